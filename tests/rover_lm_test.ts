import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { PERMUTATION_VOCAB, PermutationTask } from "../lib/tasks/permutation.ts";
import type { SequencePolicy } from "../lib/train/rollouts.ts";
import { matchesRegistration, resolveRunConfig } from "../mod.ts";
import { rover } from "../reproductions/mod.ts";
import { exactMetrics, roverLmKs, runRoverLmTier, validateRoverLm } from "../reproductions/rover/lm.ts";
import { ROVER_LM_PREREGISTRATION, ROVER_LM_SMOKE } from "../reproductions/rover/preregistration.ts";

const enc = (s: string) => [...PERMUTATION_VOCAB.encode(s), PERMUTATION_VOCAB.eos];

Deno.test("rover lm: exact metrics of a context-free policy equal their closed forms (pass@k, distinct, alternative mass)", async () => {
  await useBackend("cpu");
  const task = new PermutationTask({ minDigits: 3, maxDigits: 3 });
  const p = task.problem("112"); // 3 correct answers: 112, 121, 211
  const q = task.problem("123"); // 6 correct answers
  // Every response token is drawn from the same distribution whatever the context: 1 → 0.4, 2 → 0.2, 3 → 0.1,
  // eos → 0.3 (others 0), so π(a | x) = Π_t q(a_t) and every answer of a prompt has the same probability.
  const qTok = new Map([[enc("1")[0], 0.4], [enc("2")[0], 0.2], [enc("3")[0], 0.1], [
    PERMUTATION_VOCAB.eos,
    0.3,
  ]]);
  const policy = {
    config: { contextLength: 32 },
    tokenLogProbs: (tokens: ReturnType<typeof tf.tensor2d>) => {
      const [B, L] = tokens.shape;
      const t = tokens.dataSync();
      const lp = new Float32Array(B * (L - 1));
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < L - 1; i++) lp[b * (L - 1) + i] = Math.log(qTok.get(t[b * L + i + 1]) ?? 1e-30);
      }
      return { logProbs: tf.tensor2d(lp, [B, L - 1]), entropy: tf.zeros([B, L - 1]) };
    },
  } as unknown as SequencePolicy;
  const m = await exactMetrics(policy, task, [p, q], 4);
  assert.deepEqual(roverLmKs(4), [1, 2, 4]);
  const a112 = 0.4 * 0.4 * 0.2 * 0.3, a123 = 0.4 * 0.2 * 0.1 * 0.3;
  const at = (x: number, k: number) => 1 - (1 - x) ** k;
  const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-6, `${x} vs ${y}`);
  for (const k of [1, 2, 4]) close(m[`pass${k}`], (at(3 * a112, k) + at(6 * a123, k)) / 2);
  close(m.distinct, (3 * at(a112, 4) + 6 * at(a123, 4)) / 2);
  close(m.distinctFraction, (at(a112, 4) + at(a123, 4)) / 2);
  close(m.altMass, (2 * a112 + 5 * a123) / 2);
});

Deno.test("rover lm: the quick preset is the registered LM-tier plan; config errors name the field", () => {
  const { config } = resolveRunConfig(rover, { preset: "quick" });
  assert.ok(
    matchesRegistration(
      config as unknown as Record<string, unknown>,
      ROVER_LM_PREREGISTRATION.presets.quick!,
    ),
  );
  assert.deepEqual(ROVER_LM_PREREGISTRATION.claims.map((c) => c.id), [
    "rover.lm.1",
    "rover.lm.2",
    "rover.lm.3",
  ]);
  const err = (c: Record<string, unknown>, field: string) =>
    assert.throws(
      () => validateRoverLm({ ...ROVER_LM_SMOKE, ...c }, "rover.lm"),
      (e: unknown) => e instanceof ConfigError && e.field === field,
    );
  err({ rho: 0 }, "rover.lm.rho");
  err({ learningRates: [] }, "rover.lm.learningRates");
  err({ minDigits: 5, maxDigits: 4 }, "rover.lm.maxDigits");
  err({ samples: 0 }, "rover.lm.samples");
  err({ gridExtension: { factor: 0.5, maxExtensions: 1 } }, "rover.lm.gridExtension.factor");
});

Deno.test("rover lm: smoke seed gives one selected row per arm, metrics in range, no tensor leak", async () => {
  await useBackend("cpu");
  const before = tf.memory().numTensors;
  let ticks = 0;
  const rows = await runRoverLmTier(ROVER_LM_SMOKE, {
    index: 0,
    rng: new Rng(5),
    tick: (n = 1) => ticks += n,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(ticks, 2); // one unit per arm
  for (const r of rows) {
    for (const v of Object.values(r)) assert.ok(typeof v === "string" || Number.isFinite(v), "loggable");
  }
  const best = rows.filter((r) => r.kind === "lm-best");
  assert.deepEqual(best.map((r) => r.arm), ["grpo", "rover"]);
  // The edge rule: a one-rate grid is extended once at both ends (rate / 3 and rate · 3) for every arm, and an
  // arm selecting an end of the extended grid is marked edgeSelected.
  const [lr0] = ROVER_LM_SMOKE.learningRates;
  const rates = [...new Set(rows.filter((r) => r.kind === "lm-eval").map((r) => Number(r.lr)))].sort((a, b) =>
    a - b
  );
  assert.equal(rates.length, 3);
  assert.ok(Math.abs(rates[0] - lr0 / 3) < 1e-15 && rates[1] === lr0 && Math.abs(rates[2] - lr0 * 3) < 1e-12);
  for (const r of best) {
    assert.equal(r.edgeSelected, r.lr === rates[0] || r.lr === rates[2] ? 1 : 0);
  }
  for (const r of [...best, ...rows.filter((r) => r.kind === "lm-start")]) {
    assert.equal(r.tier, "lm");
    const ks = roverLmKs(ROVER_LM_SMOKE.samples);
    for (let i = 1; i < ks.length; i++) {
      assert.ok(Number(r[`pass${ks[i]}`]) >= Number(r[`pass${ks[i - 1]}`]) - 1e-12);
    }
    assert.ok(Number(r.pass1) >= 0 && Number(r[`pass${ROVER_LM_SMOKE.samples}`]) <= 1 + 1e-12);
    assert.ok(Number(r.distinct) >= 0 && Number(r.distinct) <= ROVER_LM_SMOKE.samples);
    assert.ok(Number(r.distinctFraction) <= 1 + 1e-12);
  }
});
