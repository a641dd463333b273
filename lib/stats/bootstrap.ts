/**
 * Stratified percentile bootstrap (rliable, Agarwal et al. 2021, arXiv 2108.13264): each replicate resamples the
 * runs of every task independently with replacement (tasks are strata and are never resampled), evaluates the
 * statistic on the resampled tasks × runs matrix, and the (α/2, 1 − α/2) percentiles of the replicates
 * (linear interpolation, numpy's default, via simple-statistics quantileSorted) give the interval.
 * Randomness comes only from `Rng(seed)`, so results are reproducible.
 */

import * as ss from "simple-statistics";
import { Rng } from "../core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import { type ScoreInput, scoreRows } from "./scores.ts";

/** Bootstrap options. */
export interface BootstrapOptions {
  /** Number of bootstrap replicates (default 2000). */
  reps: number;
  /** Miscoverage α: a (1 − α) interval (default 0.05 → 95%). */
  alpha: number;
  /** Seed of the `Rng` driving the resampling (default 0). */
  seed: number;
}

const BOOTSTRAP_DEFAULTS: BootstrapOptions = { reps: 2000, alpha: 0.05, seed: 0 };

/** A point estimate with its percentile-bootstrap confidence interval. */
export interface ConfidenceInterval {
  /** The statistic on the original data. */
  estimate: number;
  /** Lower end of the (1 − α) interval. */
  lower: number;
  /** Upper end of the (1 − α) interval. */
  upper: number;
}

/** A statistic of a tasks × runs score matrix (e.g. `iqm`, or `(m) => mean of m.flat()`). */
export type MatrixStatistic = (scores: number[][]) => number;

function resolveBootstrap(name: string, options: Partial<BootstrapOptions> | undefined): BootstrapOptions {
  const o = resolveConfig(name, BOOTSTRAP_DEFAULTS, options);
  assertInteger(`${name}.reps`, o.reps, { min: 1 });
  assertFiniteNumber(`${name}.alpha`, o.alpha, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
  assertInteger(`${name}.seed`, o.seed);
  return o;
}

function resample(rows: readonly number[][], rng: Rng): number[][] {
  return rows.map((row) => {
    const n = row.length;
    const out = new Array<number>(n);
    for (let i = 0; i < n; i++) out[i] = row[rng.int(n)];
    return out;
  });
}

function evaluate(statistic: (...m: number[][][]) => number, ...m: number[][][]): number {
  const v = statistic(...m);
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ConfigError("statistic", "must return a finite number", v);
  }
  return v;
}

function percentileInterval(estimate: number, reps: Float64Array, alpha: number): ConfidenceInterval {
  const sorted = Array.from(reps).sort((a, b) => a - b);
  return {
    estimate,
    lower: ss.quantileSorted(sorted, alpha / 2),
    upper: ss.quantileSorted(sorted, 1 - alpha / 2),
  };
}

function checkStatistic(statistic: unknown): void {
  if (typeof statistic !== "function") throw new ConfigError("statistic", "must be a function", statistic);
}

/**
 * Stratified bootstrap CI (rliable, arXiv 2108.13264): resample runs with replacement within each task,
 * percentile interval [q_{α/2}, q_{1−α/2}] of statistic over `reps` replicates.
 */
export function stratifiedBootstrapCI(
  scores: ScoreInput,
  statistic: MatrixStatistic,
  options?: Partial<BootstrapOptions>,
): ConfidenceInterval {
  const o = resolveBootstrap("stratifiedBootstrapCI", options);
  const { estimate, reps } = stratifiedReplicates(scores, statistic, o);
  return percentileInterval(estimate, reps, o.alpha);
}

/** A bootstrap interval plus one-sided bootstrap p-values against a threshold θ. */
export interface BootstrapTest extends ConfidenceInterval {
  /** p for H₁ "statistic > θ": (1 + #{replicates ≤ θ}) / (reps + 1). */
  pGreater: number;
  /** p for H₁ "statistic < θ": (1 + #{replicates ≥ θ}) / (reps + 1). */
  pLess: number;
}

/**
 * Stratified bootstrap CI with one-sided p-values against `threshold` (Efron & Tibshirani 1993, §16: the
 * share of replicates on the null side, with the +1 correction so p is never 0); same resampling as
 * `stratifiedBootstrapCI` (same seed → same interval).
 */
export function stratifiedBootstrapTest(
  scores: ScoreInput,
  statistic: MatrixStatistic,
  threshold: number,
  options?: Partial<BootstrapOptions>,
): BootstrapTest {
  const o = resolveBootstrap("stratifiedBootstrapTest", options);
  assertFiniteNumber("threshold", threshold);
  const { estimate, reps } = stratifiedReplicates(scores, statistic, o);
  let atOrBelow = 0;
  let atOrAbove = 0;
  for (const r of reps) {
    if (r <= threshold) atOrBelow++;
    if (r >= threshold) atOrAbove++;
  }
  return {
    ...percentileInterval(estimate, reps, o.alpha),
    pGreater: (1 + atOrBelow) / (o.reps + 1),
    pLess: (1 + atOrAbove) / (o.reps + 1),
  };
}

function stratifiedReplicates(
  scores: ScoreInput,
  statistic: MatrixStatistic,
  o: BootstrapOptions,
): { estimate: number; reps: Float64Array } {
  checkStatistic(statistic);
  const rows = scoreRows("scores", scores);
  const rng = new Rng(o.seed);
  const estimate = evaluate(statistic, rows.map((r) => r.slice()));
  const reps = new Float64Array(o.reps);
  for (let b = 0; b < o.reps; b++) reps[b] = evaluate(statistic, resample(rows, rng));
  return { estimate, reps };
}

/**
 * Two-sample stratified bootstrap CI of a statistic f(x, y) (e.g. probability of improvement): each replicate
 * resamples x's and y's runs independently within each task (rliable, arXiv 2108.13264).
 */
export function stratifiedBootstrapPairCI(
  x: ScoreInput,
  y: ScoreInput,
  statistic: (x: number[][], y: number[][]) => number,
  options?: Partial<BootstrapOptions>,
): ConfidenceInterval {
  const o = resolveBootstrap("stratifiedBootstrapPairCI", options);
  checkStatistic(statistic);
  const xr = scoreRows("x", x);
  const yr = scoreRows("y", y);
  const root = new Rng(o.seed);
  const rngX = root.split(0);
  const rngY = root.split(1);
  const estimate = evaluate(statistic, xr.map((r) => r.slice()), yr.map((r) => r.slice()));
  const reps = new Float64Array(o.reps);
  for (let b = 0; b < o.reps; b++) reps[b] = evaluate(statistic, resample(xr, rngX), resample(yr, rngY));
  return percentileInterval(estimate, reps, o.alpha);
}

/**
 * Effect size with CI: statistic(x) − statistic(y) under independent stratified resampling of each arm,
 * percentile interval (rliable, arXiv 2108.13264). x and y may have different tasks and run counts.
 */
export function bootstrapDifferenceCI(
  x: ScoreInput,
  y: ScoreInput,
  statistic: MatrixStatistic,
  options?: Partial<BootstrapOptions>,
): ConfidenceInterval {
  checkStatistic(statistic);
  const o = resolveBootstrap("bootstrapDifferenceCI", options);
  return stratifiedBootstrapPairCI(x, y, (a, b) => evaluate(statistic, a) - evaluate(statistic, b), o);
}
