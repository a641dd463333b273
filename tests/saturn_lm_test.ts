import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { RunLog } from "../lib/log/runlog.ts";
import { satDifficulty, SatTask } from "../lib/tasks/sat.ts";
import { makeDataset } from "../lib/tasks/dataset.ts";
import type { SequencePolicy } from "../lib/train/rollouts.ts";
import {
  checkSaturnLmClaims,
  runSaturnLmTier,
  saturnExactStart,
  type SaturnLmConfig,
  validateSaturnLm,
} from "../reproductions/saturn/lm.ts";
import {
  SATURN_LM_PREREGISTRATION,
  SATURN_LM_QUICK,
  SATURN_LM_SMOKE,
} from "../reproductions/saturn/preregistration.ts";

const ctx = (seed: number) => ({ index: 0, rng: new Rng(seed), tick: () => {} });

Deno.test("SATURN LM tier: smoke run; rollouts in closed form (ladder validations charged); ladder rule holds", async () => {
  await useBackend("cpu");
  const c: SaturnLmConfig = { ...SATURN_LM_SMOKE, steps: 4, evalEvery: 2, ladderEvalEvery: 1 };
  const n0 = tf.memory().numTensors;
  const rows = await runSaturnLmTier(c, ctx(7));
  assert.equal(tf.memory().numTensors, n0, "no tensors leak");
  const BG = c.batchSize * c.groupSize;
  // trainer step indices 0..S−1; the ladder validates at indices s > 0 with s % E = 0, before rolling out
  const validationsBefore = (s: number) => Math.floor((s - 1) / c.ladderEvalEvery);
  for (const r of rows.filter((r) => r.kind === "lm-eval")) {
    const s = Number(r.step);
    const expected = s === 0
      ? 0
      : s * BG + (r.arm === "ladder" ? c.ladderValidation * validationsBefore(s) : 0);
    assert.equal(r.rollouts, expected, `${r.arm} at step ${s}`);
    assert.ok(Number(r.testAccuracy) >= 0 && Number(r.testAccuracy) <= 1);
  }
  const best = rows.filter((r) => r.kind === "lm-best");
  assert.deepEqual(best.map((r) => r.arm).sort(), ["direct", "ladder"]);
  const budget = c.steps * BG; // the direct arm's final count is the smaller one
  for (const r of best) assert.equal(r.rolloutBudget, budget);
  // The edge rule: the one-rate grid is extended once at both ends (rate / 3, rate · 3) for both arms.
  const rates = [...new Set(rows.filter((r) => r.kind === "lm-eval").map((r) => Number(r.lr)))];
  assert.equal(rates.length, 3);
  const [lr0] = c.learningRates;
  assert.ok(
    rates.some((x) => Math.abs(x - lr0 / 3) < 1e-15) && rates.some((x) => Math.abs(x - lr0 * 3) < 1e-12),
  );
  // ladder history: one validation per due step and rate; it advances iff pass@1 > threshold below the top
  const hist = rows.filter((r) => r.kind === "lm-ladder");
  assert.equal(hist.length, rates.length * validationsBefore(c.steps));
  for (const lr of rates) {
    let level = 0;
    for (const h of hist.filter((h) => h.lr === lr)) {
      assert.equal(h.level, level);
      const advance = Number(h.passAt1) > c.threshold && level < c.levels.length - 1;
      assert.equal(h.advanced, advance ? 1 : 0);
      if (advance) level++;
    }
  }
  assert.equal(rows.filter((r) => r.kind === "lm-start").length, c.levels.length);
  const target = rows.filter((r) => r.kind === "lm-start-target");
  assert.equal(target.length, 1);
  assert.ok(Number(target[0].allZeroShare) >= 0 && Number(target[0].allZeroShare) <= 1);
  const log = new RunLog({});
  for (const r of rows) log.log({ seed: 0, ...r }); // every row is a valid log row (finite numbers only)
  assert.equal(log.rows.length, rows.length);
  // same seed → identical rows
  assert.deepEqual(await runSaturnLmTier(c, ctx(7)), rows);
});

Deno.test("saturnExactStart: exact pass@1, chance and all-zero share of a context-free policy by enumeration", async () => {
  await useBackend("cpu");
  const task = new SatTask({ n: 2, k: 4, l: 5 });
  const problems = makeDataset(task, 6, 3);
  // Every response token from one distribution whatever the context: 0 → 0.3, 1 → 0.5, eos → 0.2.
  const [zero, one] = task.vocab.encode("01");
  const q = new Map([[zero, 0.3], [one, 0.5], [task.vocab.eos, 0.2]]);
  const policy = {
    config: { contextLength: 64 },
    tokenLogProbs: (tokens: ReturnType<typeof tf.tensor2d>) => {
      const [B, L] = tokens.shape;
      const t = tokens.dataSync();
      const lp = new Float32Array(B * (L - 1));
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < L - 1; i++) lp[b * (L - 1) + i] = Math.log(q.get(t[b * L + i + 1]) ?? 1e-30);
      }
      return { logProbs: tf.tensor2d(lp, [B, L - 1]), entropy: tf.zeros([B, L - 1]) };
    },
  } as unknown as SequencePolicy;
  const G = 8;
  const got = await saturnExactStart(policy, task, problems, G);
  // Independent truth: every 4-bit string checked by the verifier.
  let pass = 0, chance = 0, zeroShare = 0;
  for (const p of problems) {
    let pSucc = 0, nSat = 0;
    for (let m = 0; m < 16; m++) {
      const bits = [3, 2, 1, 0].map((j) => (m >> j) & 1);
      if (task.verify(p, [...bits.map((b) => (b ? one : zero)), task.vocab.eos]) !== 1) continue;
      nSat++;
      pSucc += bits.reduce((x, b) => x * (b ? 0.5 : 0.3), 0.2);
    }
    pass += pSucc / problems.length;
    chance += nSat / 16 / problems.length;
    zeroShare += (1 - pSucc) ** G / problems.length;
  }
  const close = (x: number, y: number) => assert.ok(Math.abs(x - y) < 1e-6, `${x} vs ${y}`);
  close(got.exactPass1, pass);
  close(got.chancePass1, chance);
  close(got.allZeroShare, zeroShare);
});

Deno.test("SATURN LM tier: config validation names the field", () => {
  assert.throws(
    () => validateSaturnLm({ ...SATURN_LM_QUICK, levels: [SATURN_LM_QUICK.levels[0]] }),
    ConfigError,
  );
  assert.throws(
    () => validateSaturnLm({ ...SATURN_LM_QUICK, levels: [{ n: 2, k: 4, l: 3 }, { n: 2, k: 5, l: 4 }] }),
    (e: Error) => e instanceof ConfigError && e.message.includes("lm.levels[1]"),
  );
  assert.throws(() => validateSaturnLm({ ...SATURN_LM_QUICK, groupSize: 1 }), ConfigError);
  assert.throws(() => validateSaturnLm({ ...SATURN_LM_QUICK, learningRates: [] }), ConfigError);
  assert.throws(() => validateSaturnLm({ ...SATURN_LM_QUICK, threshold: 1.5 }), ConfigError);
});

Deno.test("SATURN LM preregistration: ladder levels rise in SATURN difficulty; claims ids; the quick preset is registered", () => {
  const d = SATURN_LM_QUICK.levels.map((lv) => satDifficulty(lv.n, lv.k, lv.l));
  for (let i = 1; i < d.length; i++) assert.ok(d[i] > d[i - 1]);
  assert.deepEqual(SATURN_LM_PREREGISTRATION.claims.map((c) => c.id), ["saturn.lm.1", "saturn.lm.2"]);
  assert.equal(SATURN_LM_PREREGISTRATION.tier, "lm");
  assert.deepEqual(SATURN_LM_PREREGISTRATION.presets.quick?.lm, SATURN_LM_QUICK);
  validateSaturnLm(SATURN_LM_QUICK);
  validateSaturnLm(SATURN_LM_SMOKE);
});

Deno.test("checkSaturnLmClaims: hand-built paired differences give the verdicts and tags", () => {
  const log = new RunLog({});
  // equal steps: ladder − direct = +0.1 on every seed; equal rollouts: −0.2 on every seed
  for (let seed = 0; seed < 6; seed++) {
    log.log({
      seed,
      tier: "lm",
      kind: "lm-best",
      arm: "ladder",
      testAccuracy: 0.5,
      testAtEqualRollouts: 0.2,
    });
    log.log({
      seed,
      tier: "lm",
      kind: "lm-best",
      arm: "direct",
      testAccuracy: 0.4,
      testAtEqualRollouts: 0.4,
    });
  }
  const [a, b] = checkSaturnLmClaims(log, SATURN_LM_PREREGISTRATION.claims);
  assert.equal(a.id, "saturn.lm.1");
  assert.equal(a.tier, "lm");
  assert.ok(Math.abs(a.estimate - 0.1) < 1e-12);
  assert.equal(a.verdict, "reproduced");
  assert.equal(b.id, "saturn.lm.2");
  assert.ok(Math.abs(b.estimate + 0.2) < 1e-12);
  assert.equal(b.verdict, "not reproduced");
  assert.throws(() => checkSaturnLmClaims(log, []), ConfigError);
});
