/**
 * rliable aggregate metrics (Agarwal et al. 2021, "Deep RL at the Edge of the Statistical Precipice",
 * arXiv 2108.13264) over a score matrix `tasks × runs` (ragged rows allowed) or a flat array of run scores.
 * IQM and the optimality gap pool all runs of all tasks; the aggregate mean/median, the performance profile and
 * the probability of improvement work on per-task quantities (a flat array is a single task).
 */

import * as ss from "simple-statistics";
import { assertFiniteArray, assertFiniteNumber, ConfigError } from "../core/validate.ts";
import { type ScoreInput, scoreRows } from "./scores.ts";

export type { ScoreInput };

function pooled(field: string, x: ScoreInput): number[] {
  return scoreRows(field, x).flat();
}

/**
 * Trimmed mean: sort the n pooled scores, drop g = floor(proportion·n) from each end, average the rest
 * (scipy.stats.trim_mean convention); proportion ∈ [0, 0.5).
 */
export function trimmedMean(x: ScoreInput, proportion: number): number {
  assertFiniteNumber("proportion", proportion, { min: 0, max: 0.5, exclusiveMax: true });
  const xs = pooled("x", x).sort((a, b) => a - b);
  const g = Math.floor(proportion * xs.length);
  return ss.mean(xs.slice(g, xs.length - g));
}

/**
 * IQM (rliable, arXiv 2108.13264): 25% trimmed mean of all runs pooled — sort the n scores, drop
 * floor(n/4) from each end (scipy trim_mean(0.25)), average the middle; n < 4 drops nothing.
 */
export function iqm(x: ScoreInput): number {
  return trimmedMean(x, 0.25);
}

/** Aggregate mean (rliable, arXiv 2108.13264): mean over tasks of each task's mean run score. */
export function aggregateMean(x: ScoreInput): number {
  return ss.mean(scoreRows("x", x).map((row) => ss.mean(row)));
}

/** Aggregate median (rliable, arXiv 2108.13264): median over tasks of each task's mean run score. */
export function aggregateMedian(x: ScoreInput): number {
  return ss.median(scoreRows("x", x).map((row) => ss.mean(row)));
}

/** Optimality gap (rliable, arXiv 2108.13264): γ − mean(min(x, γ)) over all runs pooled (default γ = 1). */
export function optimalityGap(x: ScoreInput, gamma = 1): number {
  assertFiniteNumber("gamma", gamma);
  return gamma - ss.mean(pooled("x", x).map((v) => Math.min(v, gamma)));
}

/**
 * Performance profile (rliable, arXiv 2108.13264): for each τ, the fraction of runs with score > τ, computed per
 * task and averaged over tasks (= the pooled fraction when tasks have equal run counts).
 */
export function performanceProfile(scores: ScoreInput, taus: ArrayLike<number>): number[] {
  const rows = scoreRows("scores", scores);
  assertFiniteArray("taus", taus);
  const sorted = rows.map((r) => r.slice().sort((a, b) => a - b));
  return Array.from(taus, (tau) => {
    let acc = 0;
    for (const r of sorted) acc += (r.length - upperBound(r, tau)) / r.length;
    return acc / sorted.length;
  });
}

/** Number of elements ≤ v in sorted ascending xs. */
function upperBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of elements < v in sorted ascending xs. */
function lowerBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Probability of improvement P(X > Y) (rliable, arXiv 2108.13264): per task the Mann–Whitney
 * U/(N·M) = (1/NM) Σ_i Σ_j ([x_i > y_j] + ½[x_i = y_j]), averaged over tasks; x and y are tasks × runs.
 */
export function probabilityOfImprovement(x: ScoreInput, y: ScoreInput): number {
  const xr = scoreRows("x", x);
  const yr = scoreRows("y", y);
  if (xr.length !== yr.length) {
    throw new ConfigError(
      "y",
      `must have the same number of tasks as x (${xr.length})`,
      `${yr.length} tasks`,
    );
  }
  let total = 0;
  for (let t = 0; t < xr.length; t++) {
    const ys = yr[t].slice().sort((a, b) => a - b);
    let u = 0;
    for (const xi of xr[t]) {
      const less = lowerBound(ys, xi);
      const lessOrEqual = upperBound(ys, xi);
      u += less + 0.5 * (lessOrEqual - less);
    }
    total += u / (xr[t].length * ys.length);
  }
  return total / xr.length;
}
