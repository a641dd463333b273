/**
 * Library pieces the redesigned LM beds measure their preconditions with: KAE's effective sample count and the
 * bandwidth reaching it, the GRPO-with-token-sum preset, response lengths by outcome on free-length addition,
 * and the fixed-confidence ECE prediction. Expected values are worked out by hand in the comments.
 */
import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { lengthByOutcome } from "../lib/curricula/observe.ts";
import { revisitBlock } from "../lib/curricula/revisit.ts";
import type { RolloutGroup } from "../lib/curricula/types.ts";
import {
  expectedCalibrationError,
  fixedConfidenceEce,
  kaeBandwidthForSampleCount,
  KaeBaseline,
  kaeEffectiveSampleCount,
} from "../lib/estimators/mod.ts";
import { policyGradientLoss } from "../lib/objectives/mod.ts";
import { FreeLengthAdditionTask } from "../lib/tasks/mod.ts";
import { getAdvantageEstimator, presetConfig, resolveTrainerConfig } from "../lib/train/mod.ts";

const near = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("kaeEffectiveSampleCount: Kish count (Σw)²/Σw² of the kernel weights, by hand", () => {
  // Triangular h = 4 at t = 3, one reward at each of s = 0, 1, 2: w = 0.25, 0.5, 0.75.
  const hist = [0, 1, 2].map((s) => ({ iteration: s, rewards: [1] }));
  // Σw = 1.5, Σw² = 0.0625 + 0.25 + 0.5625 = 0.875 → 2.25 / 0.875.
  near(kaeEffectiveSampleCount(hist, 3, { kernel: "triangular", bandwidth: 4 }), 2.25 / 0.875);
  // Plus G = 2 current rewards at weight 1: Σw = 3.5, Σw² = 2.875.
  near(kaeEffectiveSampleCount(hist, 3, { kernel: "triangular", bandwidth: 4 }, 2), 3.5 ** 2 / 2.875);
  // Two rewards per visit double both sums' counts: (2·1.5)² / (2·0.875) = 2 × the one-reward count.
  const two = [0, 1, 2].map((s) => ({ iteration: s, rewards: [0, 1] }));
  near(kaeEffectiveSampleCount(two, 3, { kernel: "triangular", bandwidth: 4 }), 2 * 2.25 / 0.875);
  // Lags ≥ h weigh 0 (t = 6: lags 6, 5, 4 with h = 4): no weight, count 0.
  assert.equal(kaeEffectiveSampleCount(hist, 6, { kernel: "triangular", bandwidth: 4 }), 0);
  // Equal weights give the plain count: exponential with one lag → weight e^{-1/h} on 3 rewards → 3.
  near(kaeEffectiveSampleCount([{ iteration: 0, rewards: [1, 0, 1] }], 1, { kernel: "exponential" }), 3);
  assert.throws(() => kaeEffectiveSampleCount(hist, 3, {}, -1), /currentSamples/);
});

Deno.test("kaeBandwidthForSampleCount: smallest h with 3h(h−1)/(2(2h−1)) ≥ target for one sample per lag", () => {
  // n(h) = 3h(h−1)/(2(2h−1)): n(5) = 60/18 = 3.33, n(6) = 90/22 = 4.09, n(9) = 216/34 = 6.35, n(10) = 270/38 = 7.1.
  const o = { kernel: "triangular" as const, samplesPerVisit: 1, maxLag: 50 };
  assert.equal(kaeBandwidthForSampleCount(4, o), 6);
  assert.equal(kaeBandwidthForSampleCount(7, o), 10);
  // Two samples per visit double the count: n(4) = 2·2.571 = 5.14 ≥ 4 > 2·n(3) = 2·1.2 (n(3) = 18/10 = 1.8 → 3.6).
  assert.equal(kaeBandwidthForSampleCount(4, { ...o, samplesPerVisit: 2 }), 4);
  // Only 2 past visits can never reach 4 samples' worth with one sample each.
  assert.equal(kaeBandwidthForSampleCount(4, { ...o, maxLag: 2 }), null);
});

Deno.test("consecutive revisits (R = 8) with h = 4 and G = 4: past n_eff ≥ G on 7 of every 8 updates", () => {
  // Block position j has past lags 1…min(j, 3) with 4 rewards each: n_eff = 0, 4, 7.69, 10.29, 10.29, …
  // (the previous block of the same prompts is 64 steps back, weight 0), so 7/8 of updates reach G = 4.
  const options = { kernel: "triangular" as const, bandwidth: 4 };
  const kb = new KaeBaseline(options);
  let ok = 0, total = 0;
  for (let step = 0; step < 128; step++) {
    for (const i of revisitBlock(step, 64, 8, 8)) {
      const id = `p${i}`;
      const n = kaeEffectiveSampleCount(kb.state.histories[id] ?? [], step, options);
      const j = step % 8;
      near(n, [0, 4, 4 * 1.25 ** 2 / 0.8125][j] ?? 4 * 1.5 ** 2 / 0.875, 1e-9);
      ok += n >= 4 ? 1 : 0;
      total++;
      kb.update(id, step, [1, 0, 0, 1]);
    }
  }
  assert.equal(ok / total, 7 / 8);
});

Deno.test("grpo-token-sum preset: GRPO's std-normalised advantages with token weights Â/(B·L_max), not Â/(B·|o|)", () => {
  const c = resolveTrainerConfig({ ...presetConfig("grpo-token-sum"), maxLength: 4 });
  assert.equal(c.estimator, "grpo");
  assert.equal(c.aggregation, "seq-mean-token-sum-norm");
  // Group rewards [1, 0]: mean 0.5, population std 0.5 → Â = ±0.5/(0.5 + ε) ≈ ±1 (ε = 1e-6).
  const adv = getAdvantageEstimator(c.estimator, { eps: c.advantageEps, std: c.advantageStd })(
    [[1, 0]],
    { step: 0, problems: [], groups: [] },
  )[0];
  near(adv[0], 0.5 / (0.5 + 1e-6));
  near(adv[1], -0.5 / (0.5 + 1e-6));
  // Response 0 has 1 token, response 1 has 3; at ρ = 1 the per-token loss is −Â and d loss / d log π = −Â·w.
  const mask = [[1, 0, 0], [1, 1, 1]];
  const grads = (aggregation: "seq-mean-token-sum-norm" | "seq-mean-token-mean") =>
    tf.tidy(() => {
      const old = tf.zeros([2, 3]);
      const f = (lp: tf.Tensor) =>
        policyGradientLoss(
          { logProbs: lp, oldLogProbs: old, advantages: tf.tensor1d(adv), mask: tf.tensor2d(mask) },
          { aggregation, maxLength: c.maxLength },
        ).loss;
      return tf.grad(f)(tf.zeros([2, 3])).arraySync() as number[][];
    });
  const sum = grads(c.aggregation as "seq-mean-token-sum-norm");
  // Token sum over L_max = 4, mean over B = 2 rows: w = 1/8 on every token, whatever the length.
  near(sum[0][0], -adv[0] / 8, 1e-6);
  for (let t = 0; t < 3; t++) near(sum[1][t], -adv[1] / 8, 1e-6);
  // GRPO's own per-sequence token mean: w = 1/(2·1) on the short response, 1/(2·3) on the long one.
  const grpo = grads(resolveTrainerConfig({ algorithm: "grpo" }).aggregation as "seq-mean-token-mean");
  near(grpo[0][0], -adv[0] / 2, 1e-6);
  near(grpo[1][0], -adv[1] / 6, 1e-6);
});

Deno.test("FreeLengthAdditionTask.outcome + lengthByOutcome: counts and length sums per class", () => {
  const task = new FreeLengthAdditionTask({ digits: 1, maxFree: 6 });
  const p = task.base.problem(3, 4); // 3 + 4 = 07, reversed "70"
  const v = task.vocab;
  const ids = (s: string) => [...v.encode(s), v.eos];
  assert.equal(task.outcome(p, ids("70==")), "correct");
  assert.equal(task.outcome(p, ids("71")), "wrong");
  assert.equal(task.outcome(p, ids("===")), "unanswered");
  assert.equal(task.outcome(p, [v.eos]), "unanswered");
  const group: RolloutGroup = {
    problem: p,
    hintLength: 0,
    responses: [ids("70=="), ids("71"), ids("==="), ids("=====")],
    logProbs: [],
    rewards: [1, 0, 0, 0],
  };
  const stats = lengthByOutcome((q, y) => task.outcome(q, y))([group]);
  // Lengths with eos: 5, 3, 4, 6.
  assert.deepEqual(stats, {
    rollouts: 4,
    correct: 1,
    correctLengthSum: 5,
    wrong: 1,
    wrongLengthSum: 3,
    unanswered: 2,
    unansweredLengthSum: 10,
  });
});

Deno.test("fixedConfidenceEce: hand-worked buckets, and equal to the ECE of the exact population", () => {
  // One bucket always stating 0.9: ECE = |a − 0.9|.
  near(fixedConfidenceEce([0.1, 0.9], [[0, 1]], [0.3], [1]), 0.6);
  near(fixedConfidenceEce([0.1, 0.9], [[0, 1]], [0.8], [1]), 0.1);
  // Calibrated start (bucket 0 states 0.3 at a = 0.3, bucket 1 states 0.7 at a = 0.7): 0; accuracy +0.2 each: 0.2.
  const levels = [0.3, 0.7];
  const conf = [[1, 0], [0, 1]];
  near(fixedConfidenceEce(levels, conf, [0.3, 0.7], [0.5, 0.5]), 0);
  near(fixedConfidenceEce(levels, conf, [0.5, 0.9], [0.5, 0.5]), 0.2);
  // Both buckets split evenly over the levels, a = 0.2 and 0.6: each bin's accuracy 0.4 → 0.5·0.1 + 0.5·0.3.
  const mixed = [[0.5, 0.5], [0.5, 0.5]];
  near(fixedConfidenceEce(levels, mixed, [0.2, 0.6], [0.5, 0.5]), 0.2);
  // The same population written out as 40 responses (10 per bucket × level), graded by the sampled ECE.
  const q: number[] = [];
  const y: number[] = [];
  [[0.2, 0.5], [0.6, 0.5]].forEach(([a]) =>
    levels.forEach((lv) => {
      for (let i = 0; i < 10; i++) {
        q.push(lv);
        y.push(i < a * 10 ? 1 : 0);
      }
    })
  );
  near(
    expectedCalibrationError(q, y, { bins: 5 }),
    fixedConfidenceEce(levels, mixed, [0.2, 0.6], [0.5, 0.5]),
  );
  assert.throws(() => fixedConfidenceEce(levels, [[1, 0]], [0.3, 0.7], [0.5, 0.5]), /confidence/);
});
