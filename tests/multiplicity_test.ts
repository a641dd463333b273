import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import {
  aggregateMean,
  holmAdjust,
  stratifiedBootstrapCI,
  stratifiedBootstrapTest,
} from "../lib/stats/mod.ts";

Deno.test("holmAdjust: hand-computed step-down case (R p.adjust(c(.01,.04,.03,.005), 'holm'))", () => {
  // sorted 0.005, 0.01, 0.03, 0.04 → 4·0.005 = 0.02, 3·0.01 = 0.03, max(0.03, 2·0.03) = 0.06, max(0.06, 0.04)
  const got = holmAdjust([0.01, 0.04, 0.03, 0.005]);
  const want = [0.03, 0.06, 0.06, 0.02];
  got.forEach((p, i) => assert.ok(Math.abs(p - want[i]) < 1e-12, `${i}: ${p} vs ${want[i]}`));
  assert.deepEqual(holmAdjust([0.6, 0.9]), [1, 1]); // capped at 1
  assert.deepEqual(holmAdjust([]), []);
  assert.throws(() => holmAdjust([0.5, 1.2]), ConfigError);
});

Deno.test("stratifiedBootstrapTest: constant data gives the minimum p on the claimed side", () => {
  const t = stratifiedBootstrapTest([[1, 1, 1, 1]], aggregateMean, 0, { reps: 999 });
  assert.equal(t.pGreater, 1 / 1000);
  assert.equal(t.pLess, 1);
  assert.equal(t.estimate, 1);
});

Deno.test("stratifiedBootstrapTest: p agrees with the normal approximation for a mean (CLT) and the CI matches", () => {
  const rng = new Rng(7);
  const n = 60;
  const x = Array.from({ length: n }, () => rng.normal() * 2 + 0.4);
  const mean = x.reduce((s, v) => s + v, 0) / n;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / n);
  const z = mean / (sd / Math.sqrt(n));
  // 1 − Φ(z) via the Abramowitz–Stegun erf approximation (|error| < 1.5e-7)
  const erf = (u: number) => {
    const t = 1 / (1 + 0.3275911 * Math.abs(u));
    const y = 1 -
      ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
        t * Math.exp(-u * u);
    return u >= 0 ? y : -y;
  };
  const normalP = 0.5 * (1 - erf(z / Math.SQRT2));
  const t = stratifiedBootstrapTest([x], aggregateMean, 0, { reps: 4000, seed: 3 });
  assert.ok(Math.abs(t.pGreater - normalP) < 0.02, `bootstrap p ${t.pGreater} vs normal ${normalP}`);
  assert.ok(Math.abs(t.pGreater + t.pLess - 1) < 0.01); // continuous statistic: the two tails partition
  const ci = stratifiedBootstrapCI([x], aggregateMean, { reps: 4000, seed: 3 });
  assert.deepEqual([t.lower, t.upper], [ci.lower, ci.upper]);
});
