/**
 * Kernelized Advantage Estimation (KAE, arXiv 2604.28005): a per-prompt baseline that reuses the prompt's past
 * rewards, smoothed over the training-iteration index by a Nadaraya–Watson kernel regression:
 *
 *   V̂_t(x) = Σ_s Σ_j K_h(t − s) r_{s,j}(x) / Σ_s Σ_j K_h(t − s),   Â_{t,i} = r_{t,i} − V̂_t(x).
 *
 * Kernels, on the lag u = t − s ≥ 0 (the 1/h normalisation cancels in the ratio and is dropped):
 *   triangular  K_h(u) = max(0, 1 − u/h)   (the paper's main choice; lags ≥ h get weight 0)
 *   exponential K_h(u) = exp(−u/h)          (the paper's sensitivity study)
 *
 * What the current step contributes (`current` option) — our documented choice, not fixed by the paper notes:
 *   "leaveOneOut" (default): sample i's baseline uses the past plus the other G−1 current samples (weight K_h(0)),
 *       never r_{t,i} itself, so the baseline does not depend on the sample it scores (no bias toward 0; at G = 1
 *       it is the past-only baseline and the advantage is not identically 0);
 *   "exclude": past iterations only; every current sample shares one baseline;
 *   "include": past plus all G current samples (the literal formula with s = t) — at G = 1 with no history the
 *       advantage is identically 0.
 * When the total kernel weight is 0 (no usable history) the baseline is `emptyBaseline` (default 0) and the
 * reported weight is 0, so callers can tell.
 */

import {
  assertFiniteArray,
  assertFiniteNumber,
  assertOneOf,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";

/** Kernel shapes supported by KAE. */
export type KaeKernel = "triangular" | "exponential";
/** How the current iteration's own rewards enter the baseline (see module doc). */
export type KaeCurrent = "leaveOneOut" | "exclude" | "include";

/** KAE options. */
export interface KaeOptions {
  /** Kernel over the iteration lag (default "triangular"). */
  kernel: KaeKernel;
  /** Bandwidth h > 0 in training iterations (default 4; an assumed default, tune per run). */
  bandwidth: number;
  /** Treatment of the current iteration's rewards (default "leaveOneOut"). */
  current: KaeCurrent;
  /** Baseline used when no observation has positive kernel weight (default 0). */
  emptyBaseline: number;
}

/** Default KAE options. */
export const KAE_DEFAULTS: KaeOptions = {
  kernel: "triangular",
  bandwidth: 4,
  current: "leaveOneOut",
  emptyBaseline: 0,
};

/** One past visit of a prompt: the training iteration and the rewards of the samples drawn then. */
export interface KaeObservation {
  /** Training iteration s of the visit. */
  iteration: number;
  /** Rewards r_{s,j} of the samples drawn then. */
  rewards: number[];
}

/** Baseline value and the total kernel weight Σ K_h that produced it (0 → `emptyBaseline` was used). */
export interface KaeBaselineResult {
  /** V̂_t(x). */
  baseline: number;
  /** Σ K_h over the retained samples. */
  weight: number;
}

/** Per-sample advantages, baselines and kernel weights from `kaeAdvantages`. */
export interface KaeAdvantagesResult {
  /** A = r − V̂ per sample. */
  advantages: number[];
  /** V̂ per sample (leave-one-out when the current batch is included). */
  baselines: number[];
  /** Kernel weight behind each baseline. */
  weights: number[];
}

function resolveKae(name: string, options: Partial<KaeOptions> | undefined): KaeOptions {
  const o = resolveConfig(name, KAE_DEFAULTS, options);
  assertOneOf(`${name}.kernel`, o.kernel, ["triangular", "exponential"] as const);
  assertFiniteNumber(`${name}.bandwidth`, o.bandwidth, { min: 0, exclusiveMin: true });
  assertOneOf(`${name}.current`, o.current, ["leaveOneOut", "exclude", "include"] as const);
  assertFiniteNumber(`${name}.emptyBaseline`, o.emptyBaseline);
  return o;
}

/** KAE kernel K_h(u) for lag u ≥ 0: triangular max(0, 1 − u/h) or exponential exp(−u/h) (arXiv 2604.28005). */
export function kaeKernel(lag: number, kernel: KaeKernel, bandwidth: number): number {
  assertFiniteNumber("lag", lag, { min: 0 });
  assertOneOf("kernel", kernel, ["triangular", "exponential"] as const);
  assertFiniteNumber("bandwidth", bandwidth, { min: 0, exclusiveMin: true });
  return kernelValue(lag, kernel, bandwidth);
}

function kernelValue(lag: number, kernel: KaeKernel, h: number): number {
  return kernel === "triangular" ? Math.max(0, 1 - lag / h) : Math.exp(-lag / h);
}

function checkHistory(history: readonly KaeObservation[], iteration: number): void {
  if (!Array.isArray(history)) {
    throw new ConfigError("history", "must be an array of {iteration, rewards}", history);
  }
  for (let k = 0; k < history.length; k++) {
    const h = history[k];
    if (h === null || typeof h !== "object") {
      throw new ConfigError(`history[${k}]`, "must be an object {iteration, rewards}", h);
    }
    assertFiniteNumber(`history[${k}].iteration`, h.iteration, { max: iteration });
    assertFiniteArray(`history[${k}].rewards`, h.rewards);
  }
}

/** Kernel-weighted sums Σ K r and Σ K over the history at iteration t. */
function historySums(history: readonly KaeObservation[], t: number, o: KaeOptions): [number, number] {
  let num = 0;
  let den = 0;
  for (const h of history) {
    const w = kernelValue(t - h.iteration, o.kernel, o.bandwidth);
    if (w === 0) continue;
    for (const r of h.rewards) num += w * r;
    den += w * h.rewards.length;
  }
  return [num, den];
}

/**
 * KAE baseline from history alone: V̂_t = Σ_s Σ_j K_h(t−s) r_{s,j} / Σ_s Σ_j K_h(t−s) (arXiv 2604.28005).
 * History entries must have iteration ≤ t (entries at s = t count with weight K_h(0)).
 */
export function kaeBaseline(
  history: readonly KaeObservation[],
  iteration: number,
  options?: Partial<KaeOptions>,
): KaeBaselineResult {
  const o = resolveKae("kaeBaseline", options);
  assertFiniteNumber("iteration", iteration);
  checkHistory(history, iteration);
  const [num, den] = historySums(history, iteration, o);
  return den > 0 ? { baseline: num / den, weight: den } : { baseline: o.emptyBaseline, weight: 0 };
}

/**
 * KAE advantages Â_i = r_i − V̂_t for the current rewards of one prompt at iteration t, with the current samples
 * entering V̂_t per `options.current` (default leave-one-out) (arXiv 2604.28005).
 */
export function kaeAdvantages(
  rewards: ArrayLike<number>,
  history: readonly KaeObservation[],
  iteration: number,
  options?: Partial<KaeOptions>,
): KaeAdvantagesResult {
  const o = resolveKae("kaeAdvantages", options);
  assertFiniteArray("rewards", rewards);
  if (rewards.length === 0) throw new ConfigError("rewards", "must be non-empty");
  assertFiniteNumber("iteration", iteration);
  checkHistory(history, iteration);
  const [pastNum, pastDen] = historySums(history, iteration, o);
  const k0 = kernelValue(0, o.kernel, o.bandwidth); // = 1 for both kernels
  const G = rewards.length;
  let curSum = 0;
  for (let i = 0; i < G; i++) curSum += rewards[i];
  const advantages = new Array<number>(G);
  const baselines = new Array<number>(G);
  const weights = new Array<number>(G);
  for (let i = 0; i < G; i++) {
    let num = pastNum;
    let den = pastDen;
    if (o.current === "include") {
      num += k0 * curSum;
      den += k0 * G;
    } else if (o.current === "leaveOneOut") {
      num += k0 * (curSum - rewards[i]);
      den += k0 * (G - 1);
    }
    const b = den > 0 ? num / den : o.emptyBaseline;
    baselines[i] = b;
    weights[i] = den > 0 ? den : 0;
    advantages[i] = rewards[i] - b;
  }
  return { advantages, baselines, weights };
}

/**
 * Effective sample count of KAE's V̂_t (Kish): n_eff = (Σ w)² / Σ w² over every reward behind the baseline, each
 * reward of the visit at iteration s weighted w = K_h(t − s), plus `currentSamples` rewards of the current
 * iteration at weight K_h(0) = 1 (0: the past-only baseline, KAE's V̂ at G = 1). n_eff is the number of fresh
 * samples whose plain mean has the same variance as V̂ when every reward has the same variance; 0 with no weight.
 */
export function kaeEffectiveSampleCount(
  history: readonly KaeObservation[],
  iteration: number,
  options?: Partial<KaeOptions>,
  currentSamples = 0,
): number {
  const o = resolveKae("kaeEffectiveSampleCount", options);
  assertFiniteNumber("iteration", iteration);
  checkHistory(history, iteration);
  if (!Number.isInteger(currentSamples) || currentSamples < 0) {
    throw new ConfigError("currentSamples", "must be an integer ≥ 0", currentSamples);
  }
  let sum = currentSamples;
  let sumSq = currentSamples;
  for (const h of history) {
    const w = kernelValue(iteration - h.iteration, o.kernel, o.bandwidth);
    sum += w * h.rewards.length;
    sumSq += w * w * h.rewards.length;
  }
  return sumSq > 0 ? (sum * sum) / sumSq : 0;
}

/**
 * Smallest integer bandwidth h whose past-only V̂ reaches an effective sample count ≥ `target` when the prompt
 * was visited at each of the `lags` 1…maxLag before t with `samplesPerVisit` rewards per visit (consecutive
 * revisits, `RevisitSchedule`); null when no h ≤ `maxBandwidth` does. Triangular kernel, one sample per visit,
 * all lags < h present: n_eff = 3h(h − 1) / (2(2h − 1)) (h = 6 gives 4.09).
 */
export function kaeBandwidthForSampleCount(
  target: number,
  options: { kernel: KaeKernel; samplesPerVisit: number; maxLag: number; maxBandwidth?: number },
): number | null {
  assertFiniteNumber("target", target, { min: 0, exclusiveMin: true });
  assertOneOf("kernel", options?.kernel, ["triangular", "exponential"] as const);
  for (const k of ["samplesPerVisit", "maxLag"] as const) {
    if (!Number.isInteger(options[k]) || options[k] < 1) {
      throw new ConfigError(k, "must be an integer ≥ 1", options[k]);
    }
  }
  const maxH = options.maxBandwidth ?? 1000;
  assertFiniteNumber("maxBandwidth", maxH, { min: 1 });
  const history = Array.from({ length: options.maxLag }, (_, i) => ({
    iteration: i,
    rewards: new Array<number>(options.samplesPerVisit).fill(0),
  }));
  for (let h = 1; h <= maxH; h++) {
    const n = kaeEffectiveSampleCount(history, options.maxLag, { kernel: options.kernel, bandwidth: h });
    if (n >= target) return h;
  }
  return null;
}

/** Serializable state of a `KaeBaseline`: its options and each prompt's retained history. */
export interface KaeState {
  /** The baseline's options. */
  options: KaeOptions;
  /** Retained visits per prompt id. */
  histories: Record<string, KaeObservation[]>;
}

/**
 * Stateful KAE for a trainer (arXiv 2604.28005): keeps each prompt's (iteration, rewards) history, scores new
 * rewards with `kaeAdvantages`, then records them. Iterations must not decrease per prompt. Observations whose
 * weight has fallen below 1e-12 (triangular: lag ≥ h; exponential: lag > h·ln 1e12) are pruned, as they can never
 * count again. `state` is a JSON-serializable deep copy; `KaeBaseline.fromState` restores it.
 */
export class KaeBaseline {
  /** The resolved, validated options. */
  readonly options: KaeOptions;
  private histories = new Map<string, KaeObservation[]>();

  /** Create an empty baseline store with the given options (defaults: `KAE_DEFAULTS`). */
  constructor(options?: Partial<KaeOptions>) {
    this.options = resolveKae("KaeBaseline", options);
  }

  /** Restore from a `state` snapshot. */
  static fromState(state: KaeState): KaeBaseline {
    if (state === null || typeof state !== "object" || typeof state.histories !== "object") {
      throw new ConfigError("state", "must be a KaeState {options, histories}", state);
    }
    const kb = new KaeBaseline(state.options);
    for (const [id, hist] of Object.entries(state.histories)) {
      checkHistory(hist, Infinity);
      kb.histories.set(id, hist.map((h) => ({ iteration: h.iteration, rewards: h.rewards.slice() })));
    }
    return kb;
  }

  /** JSON-serializable deep copy of options and histories. */
  get state(): KaeState {
    const histories: Record<string, KaeObservation[]> = {};
    for (const [id, hist] of this.histories) {
      histories[id] = hist.map((h) => ({ iteration: h.iteration, rewards: h.rewards.slice() }));
    }
    return { options: { ...this.options }, histories };
  }

  /** Past-only baseline V̂_t(prompt) without recording anything. */
  baseline(promptId: string, iteration: number): KaeBaselineResult {
    return kaeBaseline(this.histories.get(promptId) ?? [], iteration, this.options);
  }

  /** Advantages for this prompt's current rewards at `iteration`, then append them to its history. */
  update(promptId: string, iteration: number, rewards: ArrayLike<number>): KaeAdvantagesResult {
    if (typeof promptId !== "string") throw new ConfigError("promptId", "must be a string", promptId);
    const hist = this.histories.get(promptId) ?? [];
    const last = hist.length > 0 ? hist[hist.length - 1].iteration : -Infinity;
    assertFiniteNumber("iteration", iteration);
    if (iteration < last) {
      throw new ConfigError(
        "iteration",
        `must not decrease for prompt ${JSON.stringify(promptId)} (last ${last})`,
        iteration,
      );
    }
    const result = kaeAdvantages(rewards, hist, iteration, this.options);
    const kept = hist.filter((h) =>
      kernelValue(iteration - h.iteration, this.options.kernel, this.options.bandwidth) >= 1e-12
    );
    kept.push({ iteration, rewards: Array.from(rewards) });
    this.histories.set(promptId, kept);
    return result;
  }

  /** Number of prompts with a retained history. */
  get size(): number {
    return this.histories.size;
  }
}
