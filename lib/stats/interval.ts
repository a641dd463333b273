/**
 * The one confidence interval of the library, used by claims and charts alike: the aggregate of a tasks × runs
 * score matrix — the mean over runs, or the IQM (rliable, arXiv 2108.13264) from `IQM_MIN_RUNS` pooled runs —
 * with its stratified percentile-bootstrap (1 − α) interval and one-sided p-values (`stratifiedBootstrapTest`).
 */
import { assertOneOf } from "../core/validate.ts";
import { aggregateMean, iqm } from "./aggregate.ts";
import { type BootstrapOptions, type MatrixStatistic, stratifiedBootstrapTest } from "./bootstrap.ts";
import { type ScoreInput, scoreRows } from "./scores.ts";

/** Pooled runs from which the automatic aggregate is the IQM (rliable's robust mean); below it, the mean. */
export const IQM_MIN_RUNS = 20;

/** Aggregates `aggregateInterval` accepts: `auto` (mean below `IQM_MIN_RUNS` runs, else IQM), `mean`, `iqm`. */
export const INTERVAL_AGGREGATES = ["auto", "mean", "iqm"] as const;
/** An aggregate name of `aggregateInterval`. */
export type IntervalAggregate = typeof INTERVAL_AGGREGATES[number];

/**
 * The aggregate of `runs` pooled runs: the mean over runs, or the IQM when there are ≥ `IQM_MIN_RUNS` runs (an
 * IQM of fewer runs trims too few to be robust and too many to be efficient).
 */
export function claimAggregate(runs: number): { name: string; statistic: MatrixStatistic } {
  return runs >= IQM_MIN_RUNS ? aggregateStatistic("iqm") : aggregateStatistic("mean");
}

function aggregateStatistic(a: "mean" | "iqm"): { name: string; statistic: MatrixStatistic } {
  return a === "iqm"
    ? { name: "IQM over runs", statistic: (m) => iqm(m) }
    : { name: "mean over runs", statistic: (m) => aggregateMean(m) };
}

/** Options of `aggregateInterval`. */
export interface IntervalOptions extends Partial<BootstrapOptions> {
  /** Aggregate (default `auto`: `claimAggregate` of the pooled run count). */
  aggregate?: IntervalAggregate;
  /** Threshold θ of the one-sided p-values (default 0). */
  threshold?: number;
}

/** An aggregate with its (1 − α) stratified-bootstrap interval and one-sided p-values against θ. */
export interface AggregateInterval {
  /** The aggregate on the data (NaN when there are no runs). */
  estimate: number;
  /** Lower end of the interval (NaN when there are no runs). */
  lower: number;
  /** Upper end of the interval (NaN when there are no runs). */
  upper: number;
  /** p for H₁ "aggregate > θ" (NaN when there are no runs). */
  pGreater: number;
  /** p for H₁ "aggregate < θ" (NaN when there are no runs). */
  pLess: number;
  /** Pooled runs behind the estimate. */
  n: number;
  /** The aggregate's name ("mean over runs" or "IQM over runs"). */
  aggregate: string;
}

/**
 * The one interval routine (see module doc): aggregate of `scores` (tasks × runs, or a flat array of runs) with
 * its stratified percentile-bootstrap interval (default 2000 replicates, α = 0.05, seed 0). No runs gives NaNs
 * and n = 0; one run gives a zero-width interval at that run.
 */
export function aggregateInterval(scores: ScoreInput, options: IntervalOptions = {}): AggregateInterval {
  const { aggregate = "auto", threshold = 0, ...boot } = options;
  assertOneOf("aggregate", aggregate, INTERVAL_AGGREGATES);
  const flat = scores.length === 0 || typeof (scores as ArrayLike<unknown>)[0] === "number";
  const parts = flat ? [scores as ArrayLike<number>] : [...(scores as readonly ArrayLike<number>[])];
  const nonEmpty = parts.filter((r) => r && r.length > 0);
  const n = nonEmpty.reduce((t, r) => t + r.length, 0);
  const agg = aggregate === "auto" ? claimAggregate(n) : aggregateStatistic(aggregate);
  if (n === 0) {
    return { estimate: NaN, lower: NaN, upper: NaN, pGreater: NaN, pLess: NaN, n: 0, aggregate: agg.name };
  }
  const rows = scoreRows("scores", nonEmpty);
  const t = stratifiedBootstrapTest(rows, agg.statistic, threshold, {
    reps: 2000,
    alpha: 0.05,
    seed: 0,
    ...boot,
  });
  return { ...t, n, aggregate: agg.name };
}
