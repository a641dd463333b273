/**
 * Per-sample Monte-Carlo estimators of KL[π ‖ π_ref] from samples y ~ π (Schulman 2020, "Approximating KL
 * divergence", http://joschu.net/blog/kl-approx.html). With Δ = log π_ref(y) − log π(y) (= log r, r = π_ref/π):
 *   k1 = −Δ             unbiased, high variance, can be negative;
 *   k2 = ½ Δ²           biased (it estimates an f-divergence that matches KL only to second order), low variance;
 *   k3 = e^Δ − 1 − Δ    unbiased (E_π[e^Δ] = 1), always ≥ 0 — the estimator GRPO (arXiv 2402.03300) uses.
 * Arrays of per-sample (or per-token) log-probabilities in, an array of per-sample estimates out.
 */

import { assertFiniteArray, assertSameLength } from "../core/validate.ts";

function deltas(logpNew: ArrayLike<number>, logpRef: ArrayLike<number>): Float64Array {
  assertFiniteArray("logpNew", logpNew);
  assertFiniteArray("logpRef", logpRef);
  assertSameLength("logpNew", logpNew, "logpRef", logpRef);
  const d = new Float64Array(logpNew.length);
  for (let i = 0; i < d.length; i++) d[i] = logpRef[i] - logpNew[i];
  return d;
}

/** KL estimator k1 = log π(y) − log π_ref(y) = −Δ; unbiased for KL[π‖π_ref] when y ~ π (Schulman 2020). */
export function klK1(logpNew: ArrayLike<number>, logpRef: ArrayLike<number>): number[] {
  return Array.from(deltas(logpNew, logpRef), (d) => -d);
}

/** KL estimator k2 = ½(log π_ref(y) − log π(y))² = ½Δ²; biased, low variance (Schulman 2020). */
export function klK2(logpNew: ArrayLike<number>, logpRef: ArrayLike<number>): number[] {
  return Array.from(deltas(logpNew, logpRef), (d) => 0.5 * d * d);
}

/** Options of `klK3`. */
export interface KlK3Options {
  /** verl low_var_kl clamping: Δ clipped to ±20 before, the estimate to ±10 after (default false). */
  clamp: boolean;
}

/**
 * KL estimator k3 = e^Δ − 1 − Δ, Δ = log π_ref − log π; unbiased and ≥ 0 (Schulman 2020; GRPO arXiv 2402.03300).
 * With `clamp` (verl): Δ ← clip(Δ, −20, 20), k3 ← min(k3, 10).
 */
export function klK3(
  logpNew: ArrayLike<number>,
  logpRef: ArrayLike<number>,
  options: Partial<KlK3Options> = {},
): number[] {
  const clamp = options.clamp ?? false;
  // expm1 keeps precision when Δ ≈ 0 (the usual case near the reference policy).
  return Array.from(deltas(logpNew, logpRef), (d) => {
    if (!clamp) return Math.expm1(d) - d;
    const c = Math.min(20, Math.max(-20, d));
    return Math.min(10, Math.expm1(c) - c);
  });
}
