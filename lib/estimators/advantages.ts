/**
 * Outcome-reward advantage estimators for critic-free policy gradients (GRPO family, RLOO, REINFORCE++)
 * and generalized advantage estimation for critic-based PPO.
 *
 * Layout convention: a batch of rewards is flat, with the G samples of each prompt contiguous —
 * `[r(x0,y0) … r(x0,y_{G−1}), r(x1,y0) …]` — so `rewards.length` must be a multiple of `groupSize`.
 * Standard deviations are population standard deviations (divide by n) unless `std: "unbiased"` (n − 1, as
 * torch.std in verl and TRL) is passed. A group (or batch, for
 * batch-normalised estimators) whose rewards are all equal gets advantage exactly 0.
 * Every function returns a new `number[]` and never mutates its input.
 */

import {
  assertFiniteArray,
  assertFiniteNumber,
  assertInteger,
  assertOneOf,
  assertSameLength,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";

/** Standard-deviation kinds: "population" √(Σ(x−x̄)²/n) or "unbiased" √(Σ(x−x̄)²/(n−1)) (torch.std). */
export const STD_KINDS = ["population", "unbiased"] as const;
/** A standard-deviation kind. */
export type StdKind = typeof STD_KINDS[number];

/** Options for normalised advantages: `eps` is added to the standard deviation (default 1e-6). */
export interface StdNormOptions {
  /** Added to the std in the denominator so that zero-variance groups give 0, not NaN (default 1e-6). */
  eps: number;
  /** Standard deviation kind (default "population"; verl and TRL use "unbiased"). */
  std: StdKind;
}

const STD_NORM_DEFAULTS: StdNormOptions = { eps: 1e-6, std: "population" };

function resolveStdNorm(name: string, options: Partial<StdNormOptions> | undefined): StdNormOptions {
  const o = resolveConfig(name, STD_NORM_DEFAULTS, options);
  assertFiniteNumber(`${name}.eps`, o.eps, { min: 0 });
  assertOneOf(`${name}.std`, o.std, STD_KINDS);
  return o;
}

/** Validate a flat reward batch and a group size that divides it; returns the number of groups. */
function checkGroups(rewards: ArrayLike<number>, groupSize: number, minGroupSize = 1): number {
  assertFiniteArray("rewards", rewards);
  if (rewards.length === 0) throw new ConfigError("rewards", "must be non-empty");
  assertInteger("groupSize", groupSize, { min: minGroupSize });
  if (rewards.length % groupSize !== 0) {
    throw new ConfigError(
      "groupSize",
      `must divide rewards.length (${rewards.length}) — groups are contiguous blocks of groupSize samples`,
      groupSize,
    );
  }
  return rewards.length / groupSize;
}

/** Mean and std (population, or unbiased n − 1; 0 for a single value) of xs[start, start+len). */
function meanStd(
  xs: ArrayLike<number>,
  start: number,
  len: number,
  kind: StdKind = "population",
): [number, number] {
  let m = 0;
  for (let i = start; i < start + len; i++) m += xs[i];
  m /= len;
  let v = 0;
  for (let i = start; i < start + len; i++) v += (xs[i] - m) * (xs[i] - m);
  const dof = kind === "unbiased" ? len - 1 : len;
  return [m, dof > 0 ? Math.sqrt(v / dof) : 0];
}

/** True when xs[start, start+len) are all equal. */
function isConstant(xs: ArrayLike<number>, start: number, len: number): boolean {
  for (let i = start + 1; i < start + len; i++) if (xs[i] !== xs[start]) return false;
  return true;
}

/** Signed (±1) rewards of arXiv 2506.01347: Â_i = +1 if r_i > 0 else −1 (REINFORCE without a baseline). */
export function signedAdvantages(rewards: ArrayLike<number>): number[] {
  return Array.from(rewards, (r) => (r > 0 ? 1 : -1));
}

/**
 * GRPO (arXiv 2402.03300): Â_i = (r_i − mean_group r) / (std_group r + eps), population std by default.
 *
 * @example One group of four rollouts, two correct
 * ```ts
 * import { grpoAdvantages } from "../../mod.ts";
 *
 * grpoAdvantages([1, 0, 0, 1], 4); // ≈ [1, −1, −1, 1]: mean 0.5, population std 0.5
 * ```
 */
export function grpoAdvantages(
  rewards: ArrayLike<number>,
  groupSize: number,
  options?: Partial<StdNormOptions>,
): number[] {
  const { eps, std } = resolveStdNorm("grpoAdvantages", options);
  const groups = checkGroups(rewards, groupSize);
  const out = new Array<number>(rewards.length);
  for (let g = 0; g < groups; g++) {
    const s = g * groupSize;
    const [m, sd] = meanStd(rewards, s, groupSize, std);
    // A group with identical rewards gets exactly 0 (not rounding noise / (tiny std), not NaN at eps = 0).
    const flat = isConstant(rewards, s, groupSize);
    for (let i = s; i < s + groupSize; i++) out[i] = flat ? 0 : (rewards[i] - m) / (sd + eps);
  }
  return out;
}

/** Dr. GRPO (arXiv 2503.20783): Â_i = r_i − mean_group r (no std division, no difficulty bias). */
export function drGrpoAdvantages(rewards: ArrayLike<number>, groupSize: number): number[] {
  const groups = checkGroups(rewards, groupSize);
  const out = new Array<number>(rewards.length);
  for (let g = 0; g < groups; g++) {
    const s = g * groupSize;
    const [m] = meanStd(rewards, s, groupSize);
    const flat = isConstant(rewards, s, groupSize);
    for (let i = s; i < s + groupSize; i++) out[i] = flat ? 0 : rewards[i] - m;
  }
  return out;
}

/**
 * RLOO (Kool et al. 2019; Ahmadian et al. arXiv 2402.14740): Â_i = r_i − (1/(G−1)) Σ_{j≠i} r_j
 * (= G/(G−1)·(r_i − mean)); needs groupSize ≥ 2.
 */
export function rlooAdvantages(rewards: ArrayLike<number>, groupSize: number): number[] {
  const groups = checkGroups(rewards, groupSize, 2);
  const out = new Array<number>(rewards.length);
  for (let g = 0; g < groups; g++) {
    const s = g * groupSize;
    let sum = 0;
    for (let i = s; i < s + groupSize; i++) sum += rewards[i];
    for (let i = s; i < s + groupSize; i++) out[i] = rewards[i] - (sum - rewards[i]) / (groupSize - 1);
  }
  return out;
}

/** REINFORCE++ (arXiv 2501.03262): global batch normalisation Â_i = (r_i − mean_batch r) / (std_batch r + eps). */
export function reinforcePlusPlusAdvantages(
  rewards: ArrayLike<number>,
  options?: Partial<StdNormOptions>,
): number[] {
  const { eps, std } = resolveStdNorm("reinforcePlusPlusAdvantages", options);
  checkGroups(rewards, 1);
  const [m, sd] = meanStd(rewards, 0, rewards.length, std);
  const flat = isConstant(rewards, 0, rewards.length);
  return Array.from(rewards, (r) => (flat ? 0 : (r - m) / (sd + eps)));
}

/** REINFORCE with a batch-mean baseline: Â_i = r_i − mean_batch r (one baseline shared by every prompt). */
export function batchMeanAdvantages(rewards: ArrayLike<number>): number[] {
  checkGroups(rewards, 1);
  const [m] = meanStd(rewards, 0, rewards.length);
  return Array.from(rewards, (r) => r - m);
}

/**
 * REINFORCE++ whitened over tokens (verl `masked_whiten`): each sequence's reward r_i repeated over its n_i
 * response tokens, Â_i = (r_i − μ) / √(σ² + 1e-8) with μ = Σ n_i r_i / N, σ² = Σ n_i (r_i − μ)² / (N − 1),
 * N = Σ n_i (unbiased token variance). Sequences with n_i = 0 take no part in μ, σ²; a constant batch gives 0.
 */
export function reinforcePlusPlusTokenAdvantages(
  rewards: ArrayLike<number>,
  tokenCounts: ArrayLike<number>,
): number[] {
  checkGroups(rewards, 1);
  assertSameLength("rewards", rewards, "tokenCounts", tokenCounts);
  let N = 0, s = 0;
  for (let i = 0; i < rewards.length; i++) {
    assertInteger(`tokenCounts[${i}]`, tokenCounts[i], { min: 0 });
    N += tokenCounts[i];
    s += tokenCounts[i] * rewards[i];
  }
  if (N < 2) {
    throw new ConfigError("tokenCounts", "must sum to at least 2 tokens (unbiased token variance)", N);
  }
  const m = s / N;
  let v = 0;
  for (let i = 0; i < rewards.length; i++) v += tokenCounts[i] * (rewards[i] - m) * (rewards[i] - m);
  v /= N - 1;
  const flat = isConstant(rewards, 0, rewards.length);
  return Array.from(rewards, (r) => (flat ? 0 : (r - m) / Math.sqrt(v + 1e-8)));
}

/**
 * Lite PPO ("Tricks or Traps", arXiv 2508.08221): Â_i = (r_i − mean_group r) / (std_batch r + eps) — group-level
 * mean, batch-level population std of the raw rewards.
 */
export function litePpoAdvantages(
  rewards: ArrayLike<number>,
  groupSize: number,
  options?: Partial<StdNormOptions>,
): number[] {
  const { eps, std } = resolveStdNorm("litePpoAdvantages", options);
  const groups = checkGroups(rewards, groupSize);
  const [, batchSd] = meanStd(rewards, 0, rewards.length, std);
  const out = new Array<number>(rewards.length);
  for (let g = 0; g < groups; g++) {
    const s = g * groupSize;
    const [m] = meanStd(rewards, s, groupSize);
    const flat = isConstant(rewards, s, groupSize);
    for (let i = s; i < s + groupSize; i++) out[i] = flat ? 0 : (rewards[i] - m) / (batchSd + eps);
  }
  return out;
}

/** Options for `gae`. */
export interface GaeOptions {
  /** Discount γ ∈ [0, 1] (default 0.99). */
  gamma: number;
  /** GAE trace parameter λ ∈ [0, 1] (default 0.95). */
  lambda: number;
  /** Bootstrap value V(s_T) of the state after the last step, used unless dones[T−1] (default 0). */
  lastValue: number;
}

const GAE_DEFAULTS: GaeOptions = { gamma: 0.99, lambda: 0.95, lastValue: 0 };

/** Result of `gae`: per-step advantages Â_t and λ-returns Â_t + V(s_t) (the critic's regression target). */
export interface GaeResult {
  /** Â_t per step. */
  advantages: number[];
  /** λ-returns Â_t + V(s_t). */
  returns: number[];
}

/**
 * GAE (Schulman et al. arXiv 1506.02438): δ_t = r_t + γ(1−d_t)V(s_{t+1}) − V(s_t),
 * Â_t = δ_t + γλ(1−d_t)Â_{t+1}; V(s_T) = options.lastValue; d_t = 1 ends the episode after step t.
 */
export function gae(
  rewards: ArrayLike<number>,
  values: ArrayLike<number>,
  dones: ArrayLike<number | boolean>,
  options?: Partial<GaeOptions>,
): GaeResult {
  const o = resolveConfig("gae", GAE_DEFAULTS, options);
  assertFiniteNumber("gae.gamma", o.gamma, { min: 0, max: 1 });
  assertFiniteNumber("gae.lambda", o.lambda, { min: 0, max: 1 });
  assertFiniteNumber("gae.lastValue", o.lastValue);
  assertFiniteArray("rewards", rewards);
  assertFiniteArray("values", values);
  const T = rewards.length;
  assertSameLength("rewards", rewards, "values", values);
  if (dones === null || typeof dones !== "object" || dones.length !== T) {
    throw new ConfigError("dones", `must be an array of 0/1 or booleans with length ${T}`, dones);
  }
  const done = new Uint8Array(T);
  for (let t = 0; t < T; t++) {
    const d = dones[t];
    if (d === true || d === 1) done[t] = 1;
    else if (d !== false && d !== 0) throw new ConfigError(`dones[${t}]`, "must be 0, 1, true or false", d);
  }
  const advantages = new Array<number>(T);
  const returns = new Array<number>(T);
  let next = 0; // Â_{t+1}
  for (let t = T - 1; t >= 0; t--) {
    const notDone = 1 - done[t];
    const nextValue = t === T - 1 ? o.lastValue : values[t + 1];
    const delta = rewards[t] + o.gamma * notDone * nextValue - values[t];
    next = delta + o.gamma * o.lambda * notDone * next;
    advantages[t] = next;
    returns[t] = next + values[t];
  }
  return { advantages, returns };
}
