/**
 * Multiplicity control over a family of claims: Holm's step-down adjustment (Holm 1979, "A simple sequentially
 * rejective multiple test procedure"), which controls the family-wise error rate under any dependence.
 */
import { assertFiniteArray, ConfigError } from "../core/validate.ts";

/**
 * Holm-adjusted p-values: sort p ascending, p̃₍ᵢ₎ = max_{j ≤ i} min(1, (m − j + 1)·p₍ⱼ₎), returned in the input
 * order; reject H₍ᵢ₎ at level α iff p̃₍ᵢ₎ ≤ α (Holm 1979).
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  assertFiniteArray("pValues", pValues);
  for (const [i, p] of pValues.entries()) {
    if (p < 0 || p > 1) throw new ConfigError(`pValues[${i}]`, "must be a probability in [0, 1]", p);
  }
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p || a.i - b.i);
  const out = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}
