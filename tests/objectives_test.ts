import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import type { Tensor } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { Rng } from "../lib/core/rng.ts";
import { SatAssignmentPolicy } from "../lib/policies/sat_assignment.ts";
import { SatTask } from "../lib/tasks/sat.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";
import {
  nsrAdvantages,
  policyGradientLoss,
  resolvePolicyGradientConfig,
  sampleWeights,
  tokenNll,
} from "../lib/objectives/mod.ts";

const near = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);
const val = (t: Tensor) => t.dataSync()[0];

// Ragged batch: sequence 0 has 3 response tokens, sequence 1 has 1.
const MASK = [[1, 1, 1], [1, 0, 0]];
const LP = [[-0.5, -1.2, -0.1], [-2.0, -9.0, -9.0]];

function run(
  cfg: Record<string, unknown>,
  opts: {
    lp?: number[][];
    old?: number[][];
    adv?: number[] | number[][];
    ref?: number[][];
    ent?: number[][];
    w?: number[];
  } = {},
) {
  return tf.tidy(() => {
    const out = policyGradientLoss({
      logProbs: tf.tensor2d(opts.lp ?? LP),
      oldLogProbs: tf.tensor2d(opts.old ?? opts.lp ?? LP),
      advantages: Array.isArray(opts.adv?.[0])
        ? tf.tensor2d(opts.adv as number[][])
        : tf.tensor1d((opts.adv as number[]) ?? [2, -1]),
      mask: tf.tensor2d(MASK),
      refLogProbs: opts.ref ? tf.tensor2d(opts.ref) : undefined,
      entropy: opts.ent ? tf.tensor2d(opts.ent) : undefined,
      sampleWeights: opts.w ? tf.tensor1d(opts.w) : undefined,
    }, cfg);
    return { loss: val(out.loss), clip: val(out.clipFraction), kl: val(out.kl), ent: val(out.entropy) };
  });
}

Deno.test("ratio 1: loss = −mean(A) under each aggregation (hand values, ragged mask)", () => {
  // A = [2, −1]; tokens: 3 of seq 0, 1 of seq 1.
  near(run({ aggregation: "token-mean" }).loss, -(2 * 3 - 1) / 4); // −1.25
  near(run({ aggregation: "seq-mean-token-mean" }).loss, -(2 + -1) / 2); // −0.5
  near(run({ aggregation: "seq-mean-token-sum-norm", maxLength: 4 }).loss, -((2 * 3) / 4 + -1 / 4) / 2); // −0.625
  near(run({ aggregation: "seq-mean-token-sum-norm" }).loss, -((2 * 3) / 3 + -1 / 3) / 2); // L_max = T = 3
  assert.equal(run({}).clip, 0);
  const before = tf.memory().numTensors;
  run({ aggregation: "seq-mean-token-mean" });
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
});

Deno.test("gradient at ratio 1 is −A·m/Σm for token-mean", () => {
  const lp = tf.tensor2d(LP);
  const g = tf.grad((x: Tensor) =>
    policyGradientLoss({
      logProbs: x,
      oldLogProbs: tf.tensor2d(LP),
      advantages: tf.tensor1d([2, -1]),
      mask: tf.tensor2d(MASK),
    }).loss
  )(lp);
  const got = Array.from(g.dataSync());
  const want = [-2 / 4, -2 / 4, -2 / 4, 1 / 4, 0, 0];
  got.forEach((x, i) => near(x, want[i]));
  tf.dispose([lp, g]);
});

Deno.test("oldLogProbs are constants: old = logProbs itself gives the same gradient −A·m/Σm", () => {
  const lp = tf.tensor2d(LP);
  const g = tf.grad((x: Tensor) =>
    policyGradientLoss({
      logProbs: x,
      oldLogProbs: x,
      advantages: tf.tensor1d([2, -1]),
      mask: tf.tensor2d(MASK),
    })
      .loss
  )(lp);
  const want = [-0.5, -0.5, -0.5, 0.25, 0, 0];
  Array.from(g.dataSync()).forEach((x, i) => near(x, want[i]));
  tf.dispose([lp, g]);
});

Deno.test("clip-higher: ratio 1.5 with A>0 caps at 1+epsHigh; ratio 0.5 with A<0 floors at 1−epsLow", () => {
  const old = LP;
  const up = LP.map((r) => r.map((x) => x + Math.log(1.5)));
  const down = LP.map((r) => r.map((x) => x + Math.log(0.5)));
  const cfg = { epsLow: 0.2, epsHigh: 0.28 };
  // All tokens A = +1, ratio 1.5: per-token loss −min(1.5, 1.28) = −1.28; all 4 tokens clipped.
  let r = run(cfg, { lp: up, old, adv: [1, 1] });
  near(r.loss, -1.28, 1e-5);
  near(r.clip, 1);
  // A = −1, ratio 0.5: −min(−0.5, −0.8) = 0.8.
  r = run(cfg, { lp: down, old, adv: [-1, -1] });
  near(r.loss, 0.8, 1e-5);
  near(r.clip, 1);
  // A = −1, ratio 1.5: pessimistic branch is unclipped: −min(−1.5, −1.28) = 1.5, not clipped.
  r = run(cfg, { lp: up, old, adv: [-1, -1] });
  near(r.loss, 1.5, 1e-5);
  near(r.clip, 0);
  // Mixed: seq 0 (3 tokens) A=+1 ratio 1.5 clipped; seq 1 (1 token) A=+1 ratio 1 → clip fraction 3/4.
  const mixed = [up[0], LP[1]];
  r = run(cfg, { lp: mixed, old, adv: [1, 1] });
  near(r.clip, 0.75);
  near(r.loss, -(3 * 1.28 + 1) / 4, 1e-5);
});

Deno.test("k3 KL at known Δ equals exp(Δ)−1−Δ and adds β·KL to the loss", () => {
  const d = 0.3;
  const ref = LP.map((row) => row.map((x) => x + d)); // Δ = log π_ref − log π = 0.3 on every token
  const r = run({ klCoef: 0.5 }, { ref, adv: [0, 0] });
  const k3 = Math.exp(d) - 1 - d;
  near(r.kl, k3, 1e-6);
  near(r.loss, 0.5 * k3, 1e-6);
  const rNeg = run({}, { ref: LP.map((row) => row.map((x) => x - 0.7)), adv: [0, 0] });
  near(rNeg.kl, Math.exp(-0.7) - 1 + 0.7, 1e-6);
  assert.throws(() => run({ klCoef: 0.1 }), /refLogProbs/);
});

Deno.test("entropy bonus subtracts c·mean H; token-mean H reported", () => {
  const ent = [[1, 2, 3], [4, 100, 100]]; // masked token-mean = (1+2+3+4)/4 = 2.5
  const r = run({ entropyCoef: 0.1 }, { ent, adv: [0, 0] });
  near(r.ent, 2.5, 1e-6);
  near(r.loss, -0.25, 1e-6);
});

Deno.test("sample weights: NSR zeroes positive samples, PSR negatives, W-REINFORCE scales positives by λ", () => {
  const correct = [1, 0, 1, 0];
  assert.deepEqual(sampleWeights(correct, "nsr"), [0, 1, 0, 1]);
  assert.deepEqual(sampleWeights(correct, "psr"), [1, 0, 1, 0]);
  assert.deepEqual(sampleWeights(correct, "w-reinforce", 0.1), [0.1, 1, 0.1, 1]);
  assert.deepEqual(sampleWeights(correct, "none"), [1, 1, 1, 1]);
  // Seq 0 positive (A = +2), seq 1 negative (A = −1), ratio 1, token-mean over 4 tokens.
  near(run({}, { w: sampleWeights([1, 0], "nsr") }).loss, 1 / 4); // only the negative's −A·1 = +1
  near(run({}, { w: sampleWeights([1, 0], "psr") }).loss, -6 / 4);
  near(run({}, { w: sampleWeights([1, 0], "w-reinforce", 0.1) }).loss, (-0.1 * 6 + 1) / 4);
});

Deno.test("per-token advantages [B, T] are used token by token", () => {
  const adv = [[1, 2, 3], [4, 5, 6]];
  near(run({}, { adv }).loss, -(1 + 2 + 3 + 4) / 4);
});

Deno.test("bad configs and shapes throw naming the field", () => {
  assert.throws(() => resolvePolicyGradientConfig({ epsLow: 0.3, epsHigh: 0.2 }), /objective\.epsHigh/);
  assert.throws(() => resolvePolicyGradientConfig({ aggregation: "sum" as never }), /objective\.aggregation/);
  assert.throws(() => resolvePolicyGradientConfig({ clip: 0.2 } as never), /objective\.clip.*allowed/);
  assert.throws(() => resolvePolicyGradientConfig({ klCoef: -1 }), /objective\.klCoef/);
  assert.throws(() => run({}, { adv: [1, 2, 3] }), ConfigError);
});

Deno.test("tokenNll: −Σ m·logp / Σ m", () => {
  const v = tf.tidy(() => val(tokenNll(tf.tensor2d(LP), tf.tensor2d(MASK))));
  near(v, (0.5 + 1.2 + 0.1 + 2.0) / 4);
});

Deno.test("nsrAdvantages: hand values of A = w·(±1) for PSR, NSR, W-REINFORCE and none", () => {
  const correct = [1, 0, 1, 0];
  assert.deepEqual(nsrAdvantages(correct, "psr"), [1, 0, 1, 0]);
  assert.deepEqual(nsrAdvantages(correct, "nsr"), [0, -1, 0, -1]);
  assert.deepEqual(nsrAdvantages(correct, "w-reinforce", 0.1), [0.1, -1, 0.1, -1]);
  assert.deepEqual(nsrAdvantages(correct, "none"), [1, -1, 1, -1]);
  assert.ok(nsrAdvantages([1], "nsr").every((x) => Object.is(x, 0)), "no −0");
  assert.throws(() => nsrAdvantages(correct, "psx" as "psr"), ConfigError);
});

Deno.test("nsrAdvantages = the trainer's signed estimator × sample weights: identical loss (clipped ratios too)", () => {
  // ρ ≠ 1 on some tokens, so the clip is active: −w·min(ρA, clip(ρ)A) = −min(ρ·wA, clip(ρ)·wA) for w ≥ 0.
  const old = [[-0.2, -1.9, -0.1], [-1.0, -9.0, -9.0]];
  for (const mode of ["psr", "nsr", "w-reinforce"] as const) {
    const correct = [1, 0];
    const weighted = run({}, {
      old,
      adv: [1, -1],
      w: [mode === "nsr" ? 0 : mode === "psr" ? 1 : 0.1, mode === "psr" ? 0 : 1],
    });
    const direct = run({}, { old, adv: nsrAdvantages(correct, mode, 0.1) });
    near(weighted.loss, direct.loss, 1e-7);
  }
});

Deno.test("RLVRTrainer: {signed, sampleWeighting} and an nsrAdvantages estimator take the same step", async () => {
  const task = new SatTask({ n: 3, k: 5, l: 5 });
  const rng = new Rng(2);
  const init = [0.3, -0.2, 0.1, -0.4, 0.2, 0.05];
  for (const mode of ["psr", "nsr", "w-reinforce"] as const) {
    const a = new SatAssignmentPolicy({ init });
    const b = new SatAssignmentPolicy({ init });
    const cfg = { seed: rng.int(1000), lr: 0.05, estimator: "signed" as const };
    const ta = new RLVRTrainer({
      policy: a,
      task,
      config: { ...cfg, sampleWeighting: mode, wReinforceLambda: 0.1 },
    });
    const tb = new RLVRTrainer({
      policy: b,
      task,
      config: cfg,
      estimator: (rs) => rs.map((r) => nsrAdvantages(r, mode, 0.1)),
    });
    await ta.train(3);
    await tb.train(3);
    const wa = a.weights, wb = b.weights;
    assert.ok(wa.some((x, i) => x !== init[i]), "the policy moved");
    wa.forEach((x, i) => near(x, wb[i], 1e-6));
    for (const x of [ta, tb, a, b]) x.dispose();
  }
});
