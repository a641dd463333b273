import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { evaluatePreconditions, matchesRegistration, resolveRunConfig, type Row } from "../mod.ts";
import { RunLog } from "../lib/log/runlog.ts";
import {
  checkNsrLmClaims,
  lmPassDiffs,
  lmPassDiffsByK,
  nsr,
  NSR_LM_ARMS,
  NSR_LM_PRECONDITIONS,
  NSR_LM_PREREGISTRATION,
  NSR_LM_SMOKE,
  runNsrLmTier,
  validateNsrLm,
} from "../reproductions/nsr/mod.ts";

/** lm-best rows for one seed from {arm: [pass@1, pass@64]}. */
function seedRows(seed: number, v: Record<string, [number, number]>): Row[] {
  return Object.entries(v).flatMap(([arm, [p1, p64]]) => [
    { seed, tier: "lm", kind: "lm-best", arm, k: 1, passAtK: p1 },
    { seed, tier: "lm", kind: "lm-best", arm, k: 64, passAtK: p64 },
  ]);
}

Deno.test("lmPassDiffs / lmPassDiffsByK: paired per seed, per k (hand-computed)", () => {
  const rows = [
    ...seedRows(0, { base: [0.1, 0.9], psr: [0.3, 0.7], nsr: [0.05, 0.95] }),
    ...seedRows(1, { base: [0.2, 0.8], psr: [0.25, 0.85], nsr: [0.2, 0.6] }),
  ];
  const close = (a: number[], b: number[]) =>
    a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 1e-12, `${a} vs ${b}`));
  close(lmPassDiffs(rows, "psr", "base", 1), [0.2, 0.05]);
  close(lmPassDiffs(rows, "psr", "base", 64), [-0.2, 0.05]);
  const byK = lmPassDiffsByK(rows, "nsr", "base", [1, 64]);
  assert.deepEqual([...byK.keys()], [1, 64]);
  close(byK.get(1)![0], [-0.05, 0]);
  close(byK.get(64)![0], [0.05, -0.2]);
  // With the registered seed count a seed that never ran counts (NaN), it is not dropped.
  assert.equal(lmPassDiffs(rows, "psr", "base", 1, 3).length, 3);
  close(lmPassDiffs(rows, "nsr", "psr", 64), [0.25, -0.25]);
});

Deno.test("checkNsrLmClaims: ids, tier and directions on constructed logs with known answers", () => {
  const c = { ...NSR_LM_SMOKE, ks: [1, 64, 1024], claimMaxK: 64 };
  // Every seed: PSR +0.1 at pass@1 and −0.2 at pass@64; NSR −0.3 at pass@1 (non-inferiority fails at k = 1);
  // W-REINFORCE exactly the base; small per-seed jitter so the bootstrap has spread.
  const rows = Array.from({ length: 10 }, (_, s) => {
    const j = 0.001 * s;
    return seedRows(s, {
      base: [0.1, 0.8],
      psr: [0.2 + j, 0.6 + j],
      nsr: [-0.2 + j, 0.8 + j],
      "w-reinforce": [0.1 + j, 0.8 + j],
    });
  }).flat();
  const claims = checkNsrLmClaims(rows, c, NSR_LM_PREREGISTRATION.claims);
  assert.deepEqual(claims.map((r) => r.id), ["nsr.lm.1", "nsr.lm.2", "nsr.lm.3", "nsr.lm.4", "nsr.lm.5"]);
  assert.ok(claims.every((r) => r.tier === "lm" && r.n === 10));
  assert.deepEqual(claims.map((r) => r.verdict), [
    "reproduced", // PSR raises pass@1
    "reproduced", // PSR lowers pass@64
    "not reproduced", // NSR at k = 1 is −0.3 < −margin (Holm over k)
    "reproduced", // NSR − PSR at pass@64 = +0.2
    "reproduced", // W-REINFORCE at every k ≥ 0 > −margin (Holm over k)
  ]);
  assert.ok(Math.abs(claims[1].estimate - -0.2 - 0.0045) < 0.003);
});

Deno.test("NSR LM plan: registered quick config is what the quick preset resolves to; ids unique", () => {
  const { config } = resolveRunConfig(nsr, { preset: "quick" });
  assert.ok(
    matchesRegistration(config as unknown as Record<string, unknown>, NSR_LM_PREREGISTRATION.presets.quick!),
  );
  const changed = { ...config, lm: { ...config.lm, steps: config.lm.steps + 1 } };
  assert.ok(
    !matchesRegistration(
      changed as unknown as Record<string, unknown>,
      NSR_LM_PREREGISTRATION.presets.quick!,
    ),
  );
  const ids = NSR_LM_PREREGISTRATION.claims.map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length);
  assert.ok(ids.every((id) => /^nsr\.lm\.\d+$/.test(id)));
  assert.equal(nsr.preregistrations?.[0], NSR_LM_PREREGISTRATION);
});

Deno.test("validateNsrLm: bad fields throw a ConfigError naming them", () => {
  assert.throws(
    () => validateNsrLm({ ...NSR_LM_SMOKE, gridExtension: { factor: 1, maxExtensions: 1 } }),
    (e) => e instanceof ConfigError && /nsr\.lm\.gridExtension\.factor/.test(e.message),
  );
  assert.throws(
    () => validateNsrLm({ ...NSR_LM_SMOKE, ks: [8, 1] }),
    (e) => e instanceof ConfigError && /nsr\.lm\.ks/.test(e.message),
  );
  assert.throws(
    () => validateNsrLm({ ...NSR_LM_SMOKE, learningRates: [] }),
    (e) => e instanceof ConfigError && /learningRates/.test(e.message),
  );
  assert.throws(
    () => validateNsrLm({ ...NSR_LM_SMOKE, groupSize: 1 }),
    (e) => e instanceof ConfigError && /groupSize/.test(e.message),
  );
});

Deno.test("runNsrLmTier (tiny, cpu): exact pass@k rows per policy × rate × split × k, edge-of-grid extension, selection by validation mean pass@k, deterministic, no leaks", async () => {
  await useBackend("cpu");
  const c = { ...NSR_LM_SMOKE, learningRates: [1e-3, 3e-2], ks: [1, 2, 8] };
  const ctx = () => ({ index: 0, rng: new Rng(7).split(0), tick: () => {} });
  const t0 = tf.memory().numTensors;
  const rows = await runNsrLmTier(c, ctx());
  assert.equal(tf.memory().numTensors, t0);
  const passk = rows.filter((r) => r.kind === "lm-passk");
  // The edge rule: a two-rate grid always selects an edge, so every arm is also trained at min/3 or max·3 (once).
  const rates = [...new Set(passk.filter((r) => r.arm !== "base").map((r) => Number(r.lr)))].sort((a, b) =>
    a - b
  );
  const [a, b] = c.learningRates;
  const added = rates.filter((lr) => lr !== a && lr !== b);
  assert.ok(added.length >= 1 && added.length <= 2, `${rates}`);
  assert.ok(added.every((lr) => Math.abs(lr - a / 3) < 1e-15 || Math.abs(lr - b * 3) < 1e-12), `${added}`);
  // base once, every arm at every rate; validation and test; each k
  assert.equal(passk.length, (1 + NSR_LM_ARMS.length * rates.length) * 2 * c.ks.length);
  assert.ok(rows.every((r) => r.tier === "lm"));
  // pass@k is in [0, 1] and non-decreasing in k for every policy and split.
  const key = (r: Row) => `${r.arm}/${r.lr}/${r.split}`;
  for (const g of new Set(passk.map(key))) {
    const v = passk.filter((r) => key(r) === g).map((r) => Number(r.passAtK));
    v.forEach((x, i) => assert.ok(x >= 0 && x <= 1 && (i === 0 || x >= v[i - 1] - 1e-12), `${g}: ${v}`));
    // Exact pass@k of one problem set: pass@1 = mean p, and pass@k ≤ min(1, k · pass@1) (union bound).
    c.ks.forEach((k, i) => assert.ok(v[i] <= Math.min(1, k * v[0]) + 1e-9, `${g}: k=${k}`));
  }
  // The selected rate of each arm maximises the validation mean over k (ties → smaller rate), and its rows
  // carry that run's TEST values; edgeSelected marks a selection at the extended grid's ends.
  for (const arm of NSR_LM_ARMS) {
    const mean = (lr: number) => {
      const v = passk.filter((r) => r.arm === arm && r.lr === lr && r.split === "validation");
      return v.reduce((s, r) => s + Number(r.passAtK), 0) / v.length;
    };
    const want = rates.reduce((x, y) => (mean(y) > mean(x) ? y : x));
    const best = rows.filter((r) => r.kind === "lm-best" && r.arm === arm);
    assert.equal(best.length, c.ks.length);
    for (const r of best) {
      assert.equal(r.lr, want);
      assert.equal(r.edgeSelected, want === rates[0] || want === rates[rates.length - 1] ? 1 : 0);
      const t = passk.find((x) => x.arm === arm && x.lr === want && x.split === "test" && x.k === r.k)!;
      assert.equal(r.passAtK, t.passAtK);
    }
  }
  assert.equal(rows.filter((r) => r.kind === "lm-curve").length, NSR_LM_ARMS.length * rates.length * 2);
  assert.deepEqual(await runNsrLmTier(c, ctx()), rows);
});

Deno.test("NSR LM preconditions: start pass@1 band, pass@256 headroom and edge shares measured from lm-best rows", () => {
  const log = new RunLog({ reproduction: "nsr", preset: "smoke", config: { seeds: 4 } });
  for (let seed = 0; seed < 4; seed++) {
    log.log({
      seed,
      tier: "lm",
      kind: "lm-best",
      arm: "base",
      k: 1,
      passAtK: 0.05 + 0.02 * seed,
      edgeSelected: 0,
    });
    log.log({ seed, tier: "lm", kind: "lm-best", arm: "base", k: 256, passAtK: 0.97, edgeSelected: 0 });
    for (const arm of NSR_LM_ARMS) {
      // psr at an edge on 1 of 4 seeds, nsr on 0, w-reinforce on 4
      const edge = arm === "w-reinforce" || (arm === "psr" && seed === 0) ? 1 : 0;
      log.log({ seed, tier: "lm", kind: "lm-best", arm, k: 1, passAtK: 0.1, edgeSelected: edge });
    }
  }
  const m = evaluatePreconditions(NSR_LM_PRECONDITIONS, log);
  const by = new Map(m.map((p) => [p.id, p]));
  assert.ok(Math.abs(by.get("nsr.lm.pre1")!.measured - 0.08) < 1e-12); // mean of 0.05, 0.07, 0.09, 0.11
  assert.equal(by.get("nsr.lm.pre1")!.holds, true); // ≥ 0.02
  assert.equal(by.get("nsr.lm.pre2")!.holds, true); // ≤ 0.5
  assert.equal(by.get("nsr.lm.pre3")!.holds, false); // 0.97 > 0.95: no headroom at k = 256
  assert.deepEqual([4, 5, 6].map((i) => by.get(`nsr.lm.pre${i}`)!.measured), [0.25, 0, 1]);
  assert.deepEqual([4, 5, 6].map((i) => by.get(`nsr.lm.pre${i}`)!.holds), [false, true, false]);
  // Every registered precondition is declared with the same quantity and rule, and the claims name theirs.
  for (const reg of NSR_LM_PREREGISTRATION.preconditions!) {
    const spec = NSR_LM_PRECONDITIONS.find((s) => s.id === reg.id)!;
    assert.equal(spec.quantity, reg.quantity);
  }
  const claims = checkNsrLmClaims(log, NSR_LM_SMOKE, NSR_LM_PREREGISTRATION.claims);
  assert.deepEqual(claims[1].preconditions, ["nsr.lm.pre1", "nsr.lm.pre3", "nsr.lm.pre4"]);
});
