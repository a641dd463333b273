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

/** KL estimator k3 = e^Δ − 1 − Δ, Δ = log π_ref − log π; unbiased and ≥ 0 (Schulman 2020; GRPO arXiv 2402.03300). */
export function klK3(logpNew: ArrayLike<number>, logpRef: ArrayLike<number>): number[] {
  // expm1 keeps precision when Δ ≈ 0 (the usual case near the reference policy).
  return Array.from(deltas(logpNew, logpRef), (d) => Math.expm1(d) - d);
}
