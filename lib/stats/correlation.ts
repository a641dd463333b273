/** Correlation coefficients for paired samples (via simple-statistics); NaN when either sample is constant. */

import * as ss from "simple-statistics";
import { assertFiniteArray, assertSameLength, ConfigError } from "../core/validate.ts";

function checkPairs(x: ArrayLike<number>, y: ArrayLike<number>): [number[], number[]] {
  assertFiniteArray("x", x);
  assertFiniteArray("y", y);
  assertSameLength("x", x, "y", y);
  if (x.length < 2) throw new ConfigError("x", "must have at least 2 pairs", `length ${x.length}`);
  return [Array.from(x), Array.from(y)];
}

/** Pearson r = cov(x, y) / (s_x s_y) (sample moments); NaN if x or y is constant. */
export function pearsonCorrelation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const [a, b] = checkPairs(x, y);
  return ss.sampleCorrelation(a, b);
}

/** Spearman ρ = Pearson r of the midranks of x and y (ties share their average rank); NaN if constant. */
export function spearmanCorrelation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const [a, b] = checkPairs(x, y);
  return ss.sampleRankCorrelation(a, b);
}
