/** DAPO soft overlong punishment (arXiv 2503.14476). */
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";

/** Configuration of `overlongPenalty`: L_max and the soft-punishment interval L_cache. */
export interface OverlongPenaltyConfig {
  /** L_max: responses longer than this get −1. */
  maxLen: number;
  /** L_cache: width of the linear ramp ending at L_max (0 < cacheLen ≤ maxLen). */
  cacheLen: number;
}

/**
 * DAPO soft overlong penalty (arXiv 2503.14476): R(|y|) = 0 for |y| ≤ L_max − L_cache,
 * ((L_max − L_cache) − |y|)/L_cache for L_max − L_cache < |y| ≤ L_max, −1 for |y| > L_max; added to the reward.
 */
export function overlongPenalty(config: OverlongPenaltyConfig): (length: number) => number {
  if (!config || typeof config !== "object") {
    throw new ConfigError("overlongPenalty", "must be {maxLen, cacheLen}", config);
  }
  const { maxLen, cacheLen } = resolveConfig("overlongPenalty", { maxLen: NaN, cacheLen: NaN }, config);
  assertFiniteNumber("overlongPenalty.maxLen", maxLen, { min: 0, exclusiveMin: true });
  assertFiniteNumber("overlongPenalty.cacheLen", cacheLen, { min: 0, exclusiveMin: true, max: maxLen });
  const start = maxLen - cacheLen;
  return (length: number): number => {
    assertInteger("length", length, { min: 0 });
    if (length <= start) return 0;
    if (length <= maxLen) return (start - length) / cacheLen;
    return -1;
  };
}
