/**
 * Per-group summaries for charts: mean with a Student-t confidence interval, and the interquartile mean
 * (IQM, Agarwal et al. 2021, arXiv:2108.13264) with a seeded percentile-bootstrap interval.
 */
import { gammaln } from "simple-statistics";
import { Rng } from "../core/rng.ts";
import { assertFiniteNumber, ConfigError } from "../core/validate.ts";
import { iqm } from "../stats/aggregate.ts";

/** Regularized incomplete beta I_x(a, b) by its continued fraction (modified Lentz), symmetric switch. */
function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(1 - x);
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - (a + b) * x / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 300; m++) {
    for (
      const num of [
        m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
        -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
      ]
    ) {
      d = 1 + num * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      f *= c * d;
    }
    if (Math.abs(c * d - 1) < 1e-15) break;
  }
  return Math.exp(lnFront) * f / a;
}

/** Student-t CDF with df degrees of freedom: F(t) = 1 − ½·I_{df/(df+t²)}(df/2, ½) for t ≥ 0. */
export function studentTCdf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

const tCache = new Map<string, number>();

/** Student-t quantile F⁻¹(p; df) for p ∈ (0, 1), by bisection on `studentTCdf` (≈1e-12 accurate). */
export function studentTQuantile(p: number, df: number): number {
  assertFiniteNumber("p", p, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
  assertFiniteNumber("df", df, { min: 0, exclusiveMin: true });
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  const key = `${p}|${df}`;
  const hit = tCache.get(key);
  if (hit !== undefined) return hit;
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  const q = (lo + hi) / 2;
  tCache.set(key, q);
  return q;
}

/** Interquartile mean: mean of the sorted values after trimming ⌊n/4⌋ from each end (scipy trim_mean 0.25). */
export function interquartileMean(values: readonly number[]): number {
  if (values.length === 0) throw new ConfigError("values", "must be non-empty");
  return iqm(values);
}

/** A point estimate with a confidence interval over n values. */
export interface IntervalEstimate {
  /** Point estimate (mean or IQM). */
  center: number;
  /** Lower CI bound (equals center when n < 2). */
  lo: number;
  /** Upper CI bound (equals center when n < 2). */
  hi: number;
  /** Number of values. */
  n: number;
}

/** Mean with a two-sided Student-t interval: x̄ ± t_{(1+level)/2, n−1} · s/√n. */
export function meanTInterval(values: readonly number[], level = 0.95): IntervalEstimate {
  const n = values.length;
  if (n === 0) throw new ConfigError("values", "must be non-empty");
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / n;
  if (n < 2) return { center: mean, lo: mean, hi: mean, n };
  let ss = 0;
  for (const v of values) ss += (v - mean) ** 2;
  const half = studentTQuantile((1 + level) / 2, n - 1) * Math.sqrt(ss / (n - 1) / n);
  return { center: mean, lo: mean - half, hi: mean + half, n };
}

/** IQM with a percentile-bootstrap interval (`resamples` draws from a seeded `Rng`). */
export function iqmBootstrapInterval(
  values: readonly number[],
  level = 0.95,
  resamples = 1000,
  seed = 0,
): IntervalEstimate {
  const n = values.length;
  const center = interquartileMean(values);
  if (n < 2) return { center, lo: center, hi: center, n };
  const rng = new Rng(seed);
  const stats = new Float64Array(resamples);
  const draw = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) draw[i] = values[rng.int(n)];
    stats[r] = interquartileMean(draw);
  }
  stats.sort();
  const at = (q: number) => stats[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))];
  return { center, lo: at((1 - level) / 2), hi: at((1 + level) / 2), n };
}
