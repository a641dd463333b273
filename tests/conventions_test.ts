/**
 * verl / TRL conventions. Expected values come from the anchors' documented formulas, written out by hand per
 * token below (verl core_algos compute_policy_loss / agg_loss / compute_grpo_outcome_advantage; TRL
 * GRPOTrainer _compute_loss and advantage scaling) — never from Sweetspot's own output.
 */
import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { klK3 } from "../lib/estimators/kl.ts";
import { policyGradientLoss } from "../lib/objectives/mod.ts";
import type { RolloutGroup } from "../lib/curricula/types.ts";
import {
  fromTrl,
  fromVerl,
  getAdvantageEstimator,
  resolveTrainerConfig,
  type TrainerConfig,
} from "../lib/train/mod.ts";

const near = (a: number, b: number, tol = 1e-5) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

/** Advantages through the registered estimator built from a resolved config (the trainer's path). */
function advantagesOf(c: TrainerConfig, rewards: number[][], groups: RolloutGroup[] = []): number[][] {
  const fn = getAdvantageEstimator(c.estimator, {
    eps: c.advantageEps,
    std: c.advantageStd,
    singletonGroups: c.singletonGroups,
    reinforceNorm: c.reinforceNorm,
  });
  return fn(rewards, { step: 0, problems: groups.map((g) => g.problem), groups });
}

/** Loss and d loss / d logπ through `policyGradientLoss` with a resolved config's objective fields. */
function lossAndGrad(
  c: TrainerConfig,
  inputs: { lp: number[][]; old: number[][]; adv: number[]; mask: number[][]; ref?: number[][] },
): { loss: number; grad: number[][] } {
  const pg = {
    epsLow: c.epsLow,
    epsHigh: c.epsHigh,
    aggregation: c.aggregation,
    maxLength: c.maxLength,
    klCoef: c.klCoef,
    entropyCoef: c.entropyCoef,
    imitationCoef: c.imitationCoef,
    clipC: c.clipC,
    klClamp: c.klClamp,
    klStraightThrough: c.klStraightThrough,
    tokenSumNorm: c.tokenSumNorm,
    emptyRows: c.emptyRows,
  };
  return tf.tidy(() => {
    const old = tf.tensor2d(inputs.old);
    const adv = tf.tensor1d(inputs.adv);
    const mask = tf.tensor2d(inputs.mask);
    const ref = inputs.ref ? tf.tensor2d(inputs.ref) : undefined;
    const f = (lp: tf.Tensor) =>
      policyGradientLoss({ logProbs: lp, oldLogProbs: old, advantages: adv, mask, refLogProbs: ref }, pg)
        .loss;
    const lp = tf.tensor2d(inputs.lp);
    const { value, grad } = tf.valueAndGrad(f)(lp);
    return { loss: value.dataSync()[0], grad: grad.arraySync() as number[][] };
  });
}

const OLD = -1;
/** log π = log π_old + log ρ for a table of ratios ρ. */
const lpFromRatios = (rho: number[][]) => rho.map((r) => r.map((x) => OLD + Math.log(x)));
const oldLike = (rho: number[][]) => rho.map((r) => r.map(() => OLD));

Deno.test("fromVerl GRPO defaults: advantages (unbiased std, one-response group), dual-clip loss and gradient", () => {
  const c = resolveTrainerConfig(fromVerl({ adv_estimator: "grpo", "rollout.n": 3 }));
  // verl defaults: token-mean, norm_adv_by_std_in_grpo, clip_ratio 0.2, clip_ratio_c 3, no KL loss.
  assert.equal(c.aggregation, "token-mean");
  assert.equal(c.clipC, 3);
  // Group [1, 0, 0]: mean 1/3, torch.std (n − 1) = √((4/9 + 1/9 + 1/9)/2) = √(1/3); one-response group [1]:
  // verl sets mean 0, std 1, so Â = (1 − 0)/(1 + 1e-6).
  const sd = Math.sqrt(1 / 3);
  const Apos = (2 / 3) / (sd + 1e-6), Aneg = (-1 / 3) / (sd + 1e-6), Asingle = 1 / (1 + 1e-6);
  const adv = advantagesOf(c, [[1, 0, 0], [1]]);
  near(adv[0][0], Apos, 1e-9);
  near(adv[0][1], Aneg, 1e-9);
  near(adv[0][2], Aneg, 1e-9);
  near(adv[1][0], Asingle, 1e-12);

  // Ratios per token (rows = the 4 rollouts above); mask zeros are padding.
  const rho = [
    [1.5, 0.9, 1.0], //   A > 0: 1.5 clipped at 1.2 (zero grad); 0.9 unclipped (grad −A·ρ)
    [4.0, 2.0, 0.5], //   A < 0: 4.0 dual clip binds (−A·3, zero grad); 2.0 unclipped (−A·ρ); 0.5 clipped at 0.8
    [1.0, 1.0, 1.0], //   A < 0: unclipped
    [1.1, 1.3, 1.0], //   singleton A > 0: 1.1 unclipped, 1.3 clipped
  ];
  const mask = [[1, 1, 0], [1, 1, 1], [1, 0, 0], [1, 1, 0]];
  // Hand table of verl's per-token loss ℓ and ∂ℓ/∂logπ:
  //   A ≥ 0: ℓ = max(−Aρ, −A·clip(ρ)); A < 0: ℓ = min(max(−Aρ, −A·clip(ρ)), −3A).
  const terms: [number, number][][] = [
    [[-1.2 * Apos, 0], [-0.9 * Apos, -0.9 * Apos], [0, 0]],
    [[-3 * Aneg, 0], [-2 * Aneg, -2 * Aneg], [-0.8 * Aneg, 0]],
    [[-Aneg, -Aneg], [0, 0], [0, 0]],
    [[-1.1 * Asingle, -1.1 * Asingle], [-1.2 * Asingle, 0], [0, 0]],
  ];
  const nTokens = 8; // token-mean: Σ ℓ / Σ mask
  let want = 0;
  terms.forEach((row, i) => row.forEach(([l], t) => (want += mask[i][t] * l)));
  const got = lossAndGrad(c, {
    lp: lpFromRatios(rho),
    old: oldLike(rho),
    adv: [adv[0][0], adv[0][1], adv[0][2], adv[1][0]],
    mask,
  });
  near(got.loss, want / nTokens);
  terms.forEach((row, i) => row.forEach(([, g], t) => near(got.grad[i][t], (mask[i][t] * g) / nTokens)));
  // The dual-clip token has zero gradient; without clip_ratio_c it would carry −A·ρ.
  assert.equal(got.grad[1][0], 0);
});

Deno.test("fromVerl: seq-mean-token-sum-norm is Σ/L (B times Dr.GRPO's), seq-mean-token-mean skips empty rows", () => {
  const rho = [[1.1, 0.95], [1.0, 1.0], [1.0, 1.0]];
  const mask = [[1, 1], [1, 0], [0, 0]]; // row 2 has no response tokens
  const A = [0.5, -0.5, 0.25];
  // Dr.GRPO in verl: norm_adv_by_std_in_grpo false + seq-mean-token-sum-norm over L = max_response_length = 4.
  const dr = resolveTrainerConfig(
    fromVerl({
      adv_estimator: "grpo",
      norm_adv_by_std_in_grpo: false,
      loss_agg_mode: "seq-mean-token-sum-norm",
      max_response_length: 4,
    }),
  );
  assert.equal(dr.estimator, "dr-grpo");
  const adv = advantagesOf(dr, [[1, 0, 0]]);
  [2 / 3, -1 / 3, -1 / 3].forEach((a, i) => near(adv[0][i], a, 1e-12));
  const sumNorm = lossAndGrad(dr, { lp: lpFromRatios(rho), old: oldLike(rho), adv: A, mask });
  // ℓ = −Aρ (all unclipped): row 0: −0.5·1.1 − 0.5·0.95; row 1: +0.5; verl: Σ_i Σ_t ℓ / L.
  const sum = -0.5 * 1.1 - 0.5 * 0.95 + 0.5;
  near(sumNorm.loss, sum / 4);
  near(sumNorm.grad[0][0], (-0.5 * 1.1) / 4);
  // seq-mean-token-mean: per-row token means over non-empty rows only (row 2 dropped): (row0/2 + row1/1) / 2.
  const sm = resolveTrainerConfig(fromVerl({ adv_estimator: "grpo", loss_agg_mode: "seq-mean-token-mean" }));
  const smOut = lossAndGrad(sm, { lp: lpFromRatios(rho), old: oldLike(rho), adv: A, mask });
  near(smOut.loss, ((-0.5 * 1.1 - 0.5 * 0.95) / 2 + 0.5) / 2);
  near(smOut.grad[1][0], (0.5 * 1.0) / 1 / 2);
  // verl seq-mean-token-sum: Σ_t ℓ per row, mean over the non-empty rows (seq_mask): 2 rows here, not B = 3.
  const st = resolveTrainerConfig(fromVerl({ adv_estimator: "grpo", loss_agg_mode: "seq-mean-token-sum" }));
  const stOut = lossAndGrad(st, { lp: lpFromRatios(rho), old: oldLike(rho), adv: A, mask });
  near(stOut.loss, sum / 2);
  near(stOut.grad[0][1], (-0.5 * 0.95) / 2);
});

Deno.test("fromVerl: k3 KL loss with verl's clamps; REINFORCE++ whitened over tokens (unbiased)", () => {
  const c = resolveTrainerConfig(
    fromVerl({ adv_estimator: "reinforce_plus_plus", use_kl_loss: true, kl_loss_coef: 0.1 }),
  );
  assert.equal(c.klCoef, 0.1);
  assert.equal(c.klClamp, true);
  // Token KL: Δ = ref − logπ; k3 = e^Δ − 1 − Δ, with Δ clamped to ±20 and k3 to ≤ 10 (low_var_kl).
  const lp = [[-1, -1]], ref = [[-0.5, 30]];
  const out = lossAndGrad(c, { lp, old: lp, adv: [0], mask: [[1, 1]], ref });
  const k3a = Math.exp(0.5) - 1 - 0.5; // unclamped token, grad β(1 − e^Δ)
  near(out.loss, (0.1 * (k3a + 10)) / 2);
  near(out.grad[0][0], (0.1 * (1 - Math.exp(0.5))) / 2);
  near(out.grad[0][1], 0); // both clamps bind: constant
  assert.deepEqual(klK3([0, 0], [25, -30], { clamp: true }), [10, 10]);

  // REINFORCE++ (verl masked_whiten): rewards [1, 0, 0] with 2, 1, 3 generated tokens; μ = 2/6,
  // σ² = (2·(2/3)² + 1·(1/3)² + 3·(1/3)²)/(6 − 1) = 4/15; Â = (r − μ)/√(σ² + 1e-8).
  const problem = {
    id: "p",
    task: "t",
    difficulty: 0,
    prompt: [1],
    solution: [2],
    text: { prompt: "", solution: "" },
  };
  const group: RolloutGroup = {
    problem,
    hintLength: 0,
    responses: [[5, 5], [5], [5, 5, 5]],
    logProbs: [[0, 0], [0], [0, 0, 0]],
    rewards: [1, 0, 0],
  };
  const adv = advantagesOf(c, [[1, 0, 0]], [group]);
  const s = Math.sqrt(4 / 15 + 1e-8);
  [(2 / 3) / s, (-1 / 3) / s, (-1 / 3) / s].forEach((a, i) => near(adv[0][i], a, 1e-9));
});

Deno.test("fromTrl dr_grpo: Σ_i Σ_t ℓ / (B · max_completion_length), Â = r − mean, β·k3 unclamped", () => {
  const c = resolveTrainerConfig(
    fromTrl({
      loss_type: "dr_grpo",
      scale_rewards: false,
      max_completion_length: 4,
      beta: 0.04,
      num_generations: 2,
    }),
  );
  const adv = advantagesOf(c, [[1, 0], [0.5, 0.5]]);
  assert.deepEqual(adv, [[0.5, -0.5], [0, 0]]);
  const rho = [[1.3, 1.0], [0.7, 1.0]];
  const lp = lpFromRatios(rho);
  const ref = [[OLD, OLD], [OLD, OLD]];
  const mask = [[1, 1], [1, 0]];
  // ℓ = −min(ρA, clip(ρ, 0.8, 1.2)A) + β(e^Δ − 1 − Δ), Δ = ref − logπ = −log ρ.
  const k3 = (r: number) => 1 / r - 1 + Math.log(r);
  const dk3 = (r: number) => 1 - 1 / r; // ∂k3/∂logπ = 1 − e^Δ
  const A = [0.5, -0.5];
  const l00 = -1.2 * A[0] + 0.04 * k3(1.3), g00 = 0.04 * dk3(1.3); // clipped above
  const l01 = -1.0 * A[0] + 0.04 * k3(1.0), g01 = -A[0];
  const l10 = -0.8 * A[1] + 0.04 * k3(0.7), g10 = 0.04 * dk3(0.7); // clipped below (A < 0)
  const out = lossAndGrad(c, { lp, old: oldLike(rho), adv: A, mask, ref });
  near(out.loss, (l00 + l01 + l10) / (2 * 4));
  near(out.grad[0][0], g00 / 8);
  near(out.grad[0][1], g01 / 8);
  near(out.grad[1][0], g10 / 8);
  near(out.grad[1][1], 0);
});

Deno.test("fromTrl dapo: clip-higher 0.28, token-mean, group std (n − 1) + 1e-4", () => {
  const c = resolveTrainerConfig(fromTrl({ loss_type: "dapo", epsilon_high: 0.28, num_generations: 2 }));
  assert.equal(c.epsHigh, 0.28);
  // Group [1, 0]: mean ½, torch.std = √(½) → Â = ±½ / (√½ + 1e-4).
  const a = 0.5 / (Math.SQRT1_2 + 1e-4);
  const adv = advantagesOf(c, [[1, 0]]);
  near(adv[0][0], a, 1e-12);
  near(adv[0][1], -a, 1e-12);
  const rho = [[1.25, 1.3, 1.0], [0.75, 1.0, 1.0]];
  const mask = [[1, 1, 1], [1, 1, 0]];
  // Row 0 (A > 0): 1.25 < 1.28 unclipped; 1.3 clipped at 1.28; 1.0. Row 1 (A < 0): 0.75 < 0.8 clipped; 1.0.
  const terms: [number, number][] = [
    [-1.25 * a, -1.25 * a],
    [-1.28 * a, 0],
    [-a, -a],
    [0.8 * a, 0],
    [a, a],
  ];
  const out = lossAndGrad(c, { lp: lpFromRatios(rho), old: oldLike(rho), adv: [a, -a], mask });
  near(out.loss, terms.reduce((s, [l]) => s + l, 0) / 5);
  near(out.grad[0][0], terms[0][1] / 5);
  near(out.grad[0][1], 0);
  near(out.grad[1][0], 0);
  near(out.grad[1][1], terms[4][1] / 5);
  near(out.grad[1][2], 0);
  // scale_rewards "batch": group mean, batch std (n − 1): [1, 0, 1, 1] → std √(0.25·4/3).
  const b = resolveTrainerConfig(fromTrl({ scale_rewards: "batch", num_generations: 2 }));
  const sdB = Math.sqrt((3 * 0.0625 + 0.5625) / 3);
  const advB = advantagesOf(b, [[1, 0], [1, 1]]);
  near(advB[0][0], 0.5 / (sdB + 1e-4), 1e-12);
  assert.deepEqual(advB[1], [0, 0]);
});

Deno.test("fromVerl clip ratios: clip_ratio_low/high keep verl's 0.2 defaults; clip_ratio fills only null ones", () => {
  const eps = (cfg: Record<string, unknown>) => {
    const c = resolveTrainerConfig(fromVerl({ adv_estimator: "grpo", ...cfg }));
    return [c.epsLow, c.epsHigh];
  };
  assert.deepEqual(eps({ clip_ratio: 0.3 }), [0.2, 0.2]);
  assert.deepEqual(eps({ clip_ratio: 0.3, clip_ratio_low: null, clip_ratio_high: null }), [0.3, 0.3]);
  assert.deepEqual(eps({ clip_ratio: 0.3, clip_ratio_high: 0.28 }), [0.2, 0.28]);
  assert.deepEqual(eps({ clip_ratio_low: null }), [0.2, 0.2]);
  // A > 0 at ratio 1.25: verl (clip_ratio 0.3 alone) clips at 1 + 0.2, so the token's loss is −1.2·A, no gradient.
  const c = resolveTrainerConfig(fromVerl({ adv_estimator: "grpo", clip_ratio: 0.3 }));
  const out = lossAndGrad(c, { lp: lpFromRatios([[1.25]]), old: oldLike([[1.25]]), adv: [1], mask: [[1]] });
  near(out.loss, -1.2);
  near(out.grad[0][0], 0);
});

Deno.test("fromVerl k3+ / low_var_kl+: k3's value (clamped), the gradient of k2 = ½(log π − log π_ref)²", () => {
  for (const type of ["k3+", "low_var_kl+"]) {
    const c = resolveTrainerConfig(
      fromVerl({ adv_estimator: "grpo", use_kl_loss: true, kl_loss_coef: 0.1, kl_loss_type: type }),
    );
    assert.equal(c.klStraightThrough, true);
    const lp = [[-1, -1]], ref = [[-0.5, 30]];
    const out = lossAndGrad(c, { lp, old: lp, adv: [0], mask: [[1, 1]], ref });
    const k3a = Math.exp(0.5) - 1 - 0.5;
    near(out.loss, (0.1 * (k3a + 10)) / 2); // the value: k3 with verl's clamp
    near(out.grad[0][0], (0.1 * (-1 - -0.5)) / 2); // ∂k2/∂logπ = logπ − logπ_ref
    near(out.grad[0][1], (0.1 * (-1 - 30)) / 2, 1e-4); // k2 is not clamped
  }
  assert.equal(
    resolveTrainerConfig(fromVerl({ adv_estimator: "grpo", kl_loss_type: "k3" })).klStraightThrough,
    false,
  );
});

Deno.test("fromVerl gamma: GRPO and RLOO advantages do not read it; REINFORCE++ accepts only 1", () => {
  for (const est of ["grpo", "rloo"]) {
    assert.deepEqual(fromVerl({ adv_estimator: est, gamma: 0.9 }), fromVerl({ adv_estimator: est }));
  }
  assert.deepEqual(
    fromVerl({ adv_estimator: "reinforce_plus_plus", gamma: 1 }),
    fromVerl({ adv_estimator: "reinforce_plus_plus" }),
  );
  assert.throws(
    () => fromVerl({ adv_estimator: "reinforce_plus_plus", gamma: 0.9 }),
    (e: Error) => e instanceof ConfigError && /^verl\.gamma/.test(e.message),
  );
});

Deno.test("fromVerl ppo_mini_batch_size: train_batch_size / ppo_mini_batch_size minibatches per epoch", () => {
  const c = fromVerl({ adv_estimator: "grpo", train_batch_size: 8, ppo_mini_batch_size: 2, ppo_epochs: 2 });
  assert.equal(c.miniBatches, 4);
  assert.equal(c.ppoEpochs, 2);
  assert.equal(fromVerl({ adv_estimator: "grpo" }).miniBatches, 1);
  const bad = (cfg: Record<string, unknown>) =>
    assert.throws(
      () => fromVerl({ adv_estimator: "grpo", ...cfg }),
      (e: Error) => e instanceof ConfigError && /^verl\.ppo_mini_batch_size/.test(e.message),
    );
  bad({ train_batch_size: 8, ppo_mini_batch_size: 3 });
  bad({ ppo_mini_batch_size: 2 });
});

Deno.test("fromVerl / fromTrl: unknown and unsupported fields throw naming the field", () => {
  const bad = (f: () => unknown, re: RegExp) =>
    assert.throws(f, (e: Error) => e instanceof ConfigError && re.test(e.message));
  bad(
    () => fromVerl({ adv_estimator: "grpo", clip_ratio_d: 1 }),
    /^verl\.clip_ratio_d is not a supported field/,
  );
  bad(() => fromVerl({ adv_estimator: "gae" }), /^verl\.adv_estimator must be one of/);
  bad(() => fromVerl({}), /^verl\.adv_estimator is required/);
  bad(() => fromVerl({ adv_estimator: "grpo", kl_loss_type: "mse" }), /^verl\.kl_loss_type/);
  bad(() => fromVerl({ adv_estimator: "grpo", clip_ratio_c: 1 }), /^verl\.clip_ratio_c/);
  bad(() => fromTrl({ loss_type: "cispo" }), /^trl\.loss_type must be one of/);
  bad(() => fromTrl({ scale_rewards: "prompt" }), /^trl\.scale_rewards/);
  bad(() => fromTrl({ per_device_batch: 4 }), /^trl\.per_device_batch is not a supported field/);
  bad(() => fromTrl({ num_generations: 1 }), /^trl\.num_generations/);
});

Deno.test("dual clip in policyGradientLoss: a bound that never binds changes nothing; clipC ≤ 1 rejected", () => {
  const base = resolveTrainerConfig({});
  const rho = [[1.1, 0.9]];
  const args = { lp: lpFromRatios(rho), old: oldLike(rho), adv: [-1], mask: [[1, 1]] };
  const off = lossAndGrad(base, args);
  const on = lossAndGrad({ ...base, clipC: 3 }, args);
  near(on.loss, off.loss, 1e-7);
  near(on.loss, (1.1 + 0.9) / 2); // ℓ = −Aρ = ρ (both inside the clip range)
  assert.throws(() => resolveTrainerConfig({ clipC: 1 }), /config\.clipC/);
});
