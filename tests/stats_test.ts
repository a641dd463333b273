import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import {
  aggregateMean,
  aggregateMedian,
  bootstrapDifferenceCI,
  iqm,
  optimalityGap,
  pearsonCorrelation,
  performanceProfile,
  probabilityOfImprovement,
  spearmanCorrelation,
  stratifiedBootstrapCI,
  stratifiedBootstrapPairCI,
  trimmedMean,
} from "../lib/stats/mod.ts";

function near(actual: number, expected: number, tol = 1e-12, msg = ""): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${msg} got ${actual}, expected ${expected} (tol ${tol})`);
}

function throwsConfig(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.ok(e.field.startsWith(field), `expected field ${field}, got ${e.field}: ${e.message}`);
    return true;
  });
}

/** Plain pooled mean of a tasks × runs matrix. */
const pooledMean = (m: number[][]): number => {
  let s = 0;
  let n = 0;
  for (const row of m) for (const v of row) (s += v), n++;
  return s / n;
};

Deno.test("iqm / trimmedMean: floor(n/4) trimmed from each end of the pooled runs (scipy trim_mean)", () => {
  near(iqm([1, 2, 3, 4, 5, 6, 7, 8]), 4.5); // drop 2 each end → mean(3,4,5,6)
  near(iqm([[1, 2], [3, 4, 5, 6], [7, 8]]), 4.5); // pooled over tasks
  near(iqm([10, 1, 3, 2, 100]), 5); // n = 5: drop 1 each end → mean(2, 3, 10)
  near(iqm([6, 1, 100, 2, 3, 4]), 3.75); // n = 6: drop floor(1.5) = 1 → mean(2, 3, 4, 6)
  near(iqm([1, 2, 30]), 11); // n = 3: floor(0.75) = 0, plain mean
  near(iqm(new Float64Array([4, -4, 0, 1])), 0.5); // n = 4: mean(0, 1)
  near(trimmedMean([1, 2, 3, 4, 100], 0), 22);
  near(trimmedMean([1, 2, 3, 4, 100, -50, 7, 8, 9, 10], 0.1), 5.5); // drop 1 each end
  throwsConfig(() => trimmedMean([1, 2], 0.5), "proportion");
  throwsConfig(() => iqm([]), "x");
  throwsConfig(() => iqm([[1, 2], []]), "x[1]");
  throwsConfig(() => iqm([[1, 2], [3, NaN]]), "x[1][1]");
});

Deno.test("aggregateMean / aggregateMedian: over per-task mean scores", () => {
  // Task means 1.5, 4.5, 8 → mean 14/3, median 4.5; the pooled mean (4.5) differs for ragged tasks.
  near(aggregateMean([[1, 2], [3, 4, 5, 6], [8]]), 14 / 3);
  near(aggregateMedian([[1, 2], [3, 4, 5, 6], [8]]), 4.5);
  near(aggregateMedian([[1], [3], [10], [20]]), 6.5);
  near(aggregateMean([2, 4]), 3);
  throwsConfig(() => aggregateMedian([[1], [NaN]]), "x[1][0]");
});

Deno.test("optimalityGap and performanceProfile: hand cases", () => {
  near(optimalityGap([0.5, 1.2, 0.8]), 1 - (0.5 + 1 + 0.8) / 3);
  near(optimalityGap([[0.5], [1.2, 0.8]], 0.7), 0.7 - (0.5 + 0.7 + 0.7) / 3);
  assert.deepEqual(performanceProfile([[0.1, 0.5, 0.9, 0.9]], [0, 0.5, 0.9, 1]), [1, 0.5, 0, 0]);
  // Ragged tasks are averaged per task: τ = 2 → (1/2 + 1/4)/2.
  assert.deepEqual(performanceProfile([[1, 3], [2, 2, 2, 5]], [2]), [0.375]);
  // A flat array is one task.
  assert.deepEqual(performanceProfile([3, 1, 2], [0, 1.5, 3]), [1, 2 / 3, 0]);
  throwsConfig(() => performanceProfile([[1]], [NaN]), "taus[0]");
  throwsConfig(() => optimalityGap([1], NaN), "gamma");
});

Deno.test("probabilityOfImprovement: hand case with ties, averaging over tasks, complement identity", () => {
  // Task 1: x=1 beats none; x=2 ties both 2s (½+½); x=3 beats both 2s → U = 3 of 9 pairs.
  near(probabilityOfImprovement([[1, 2, 3]], [[2, 2, 4]]), 1 / 3);
  // Task 2: 5 beats 1 and ties 5 → 1.5/2.
  near(probabilityOfImprovement([[1, 2, 3], [5]], [[2, 2, 4], [1, 5]]), (1 / 3 + 0.75) / 2);
  near(probabilityOfImprovement([[1, 1]], [[1, 1, 1]]), 0.5);
  // Brute-force check against P(X>Y) + ½P(X=Y) and the identity P(X>Y) + P(Y>X) = 1.
  const rng = new Rng(9);
  const x = [0, 1, 2].map(() => Array.from({ length: 7 }, () => Math.round(rng.normal() * 2)));
  const y = [0, 1, 2].map(() => Array.from({ length: 5 }, () => Math.round(rng.normal() * 2)));
  let brute = 0;
  for (let t = 0; t < 3; t++) {
    let u = 0;
    for (const a of x[t]) for (const b of y[t]) u += a > b ? 1 : a === b ? 0.5 : 0;
    brute += u / 35 / 3;
  }
  near(probabilityOfImprovement(x, y), brute);
  near(probabilityOfImprovement(x, y) + probabilityOfImprovement(y, x), 1);
  throwsConfig(() => probabilityOfImprovement([[1], [2]], [[1]]), "y");
});

Deno.test("stratifiedBootstrapCI: deterministic per seed, brackets the estimate, degenerate data collapses", () => {
  const scores = [[0.1, 0.4, 0.3, 0.9], [0.5, 0.6, 0.2, 0.8]];
  const a = stratifiedBootstrapCI(scores, iqm, { reps: 500, seed: 3 });
  const b = stratifiedBootstrapCI(scores, iqm, { reps: 500, seed: 3 });
  const c = stratifiedBootstrapCI(scores, iqm, { reps: 500, seed: 4 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  near(a.estimate, iqm(scores));
  assert.ok(a.lower <= a.estimate && a.estimate <= a.upper && a.lower < a.upper, JSON.stringify(a));
  assert.deepEqual(stratifiedBootstrapCI([[2, 2], [2]], pooledMean, { reps: 50 }), {
    estimate: 2,
    lower: 2,
    upper: 2,
  });
  // Stratification: a task with one run is never perturbed, so a 1-run-per-task matrix has a zero-width CI.
  const single = stratifiedBootstrapCI([[1], [5], [9]], pooledMean, { reps: 50 });
  assert.deepEqual([single.lower, single.upper], [5, 5]);
});

Deno.test("stratifiedBootstrapCI: width matches ±1.96·σ/√n, and coverage of the true mean ≈ 95%", () => {
  // One task, n = 1000 N(0,1) runs: the 95% percentile CI width ≈ 2·1.96/√1000 = 0.124 (±15%).
  const rng = new Rng(1);
  const big = [Array.from({ length: 1000 }, () => rng.normal())];
  const ci = stratifiedBootstrapCI(big, pooledMean, { reps: 1000, seed: 1 });
  const width = ci.upper - ci.lower;
  assert.ok(Math.abs(width / ((2 * 1.96) / Math.sqrt(1000)) - 1) < 0.15, `width ${width}`);
  // Coverage over 200 synthetic experiments: 3 tasks × 10 runs, task means 0, 1, 3 (true pooled mean 4/3).
  // The stratified percentile bootstrap under-covers slightly at 10 runs per task (variance × 9/10), so ≈ 0.93.
  const taskMeans = [0, 1, 3];
  const truth = 4 / 3;
  let covered = 0;
  const experiments = 200;
  for (let e = 0; e < experiments; e++) {
    const data = taskMeans.map((m) => Array.from({ length: 10 }, () => rng.normal(m, 1)));
    const r = stratifiedBootstrapCI(data, pooledMean, { reps: 400, seed: e });
    if (r.lower <= truth && truth <= r.upper) covered++;
  }
  const coverage = covered / experiments;
  assert.ok(coverage >= 0.88 && coverage <= 0.99, `coverage ${coverage}`);
});

Deno.test("bootstrapDifferenceCI: estimate is the difference, coverage of the true effect ≈ 95%", () => {
  const rng = new Rng(2);
  const x = [
    Array.from({ length: 20 }, () => rng.normal(1, 1)),
    Array.from({ length: 20 }, () => rng.normal(2, 1)),
  ];
  const y = [
    Array.from({ length: 15 }, () => rng.normal(0, 1)),
    Array.from({ length: 15 }, () => rng.normal(0, 1)),
  ];
  const d = bootstrapDifferenceCI(x, y, pooledMean, { reps: 1000, seed: 5 });
  near(d.estimate, pooledMean(x) - pooledMean(y));
  assert.ok(
    d.lower > 0.5,
    `a 1.5-SD effect with n = 40/30 should exclude small values: ${JSON.stringify(d)}`,
  );
  // Coverage of the true difference 1.5 over 150 experiments; arms resampled independently.
  let covered = 0;
  for (let e = 0; e < 150; e++) {
    const xe = [0, 1].map((t) => Array.from({ length: 12 }, () => rng.normal(1 + t, 1)));
    const ye = [0, 1].map(() => Array.from({ length: 12 }, () => rng.normal(0, 1)));
    const r = bootstrapDifferenceCI(xe, ye, pooledMean, { reps: 300, seed: 100 + e });
    if (r.lower <= 1.5 && 1.5 <= r.upper) covered++;
  }
  assert.ok(covered / 150 >= 0.86 && covered / 150 <= 0.99, `difference coverage ${covered / 150}`);
  // The pair form works with a two-sample statistic such as the probability of improvement.
  const poi = stratifiedBootstrapPairCI(x, y, probabilityOfImprovement, { reps: 300, seed: 1 });
  near(poi.estimate, probabilityOfImprovement(x, y));
  assert.ok(poi.lower > 0.5 && poi.upper <= 1);
});

Deno.test("bootstrap: bad input throws ConfigError naming the argument", () => {
  const m = [[1, 2, 3]];
  throwsConfig(() => stratifiedBootstrapCI(m, pooledMean, { alpha: 0 }), "stratifiedBootstrapCI.alpha");
  throwsConfig(() => stratifiedBootstrapCI(m, pooledMean, { alpha: 1 }), "stratifiedBootstrapCI.alpha");
  throwsConfig(() => stratifiedBootstrapCI(m, pooledMean, { reps: 0 }), "stratifiedBootstrapCI.reps");
  throwsConfig(() => stratifiedBootstrapCI(m, pooledMean, { seed: 0.5 }), "stratifiedBootstrapCI.seed");
  throwsConfig(
    () => stratifiedBootstrapCI(m, pooledMean, { iters: 5 } as never),
    "stratifiedBootstrapCI.iters",
  );
  throwsConfig(() => stratifiedBootstrapCI(m, () => NaN), "statistic");
  throwsConfig(() => stratifiedBootstrapCI([[1], [2, Infinity]], pooledMean), "scores[1][1]");
  throwsConfig(() => bootstrapDifferenceCI(m, [[]], pooledMean), "y[0]");
  throwsConfig(() => bootstrapDifferenceCI(m, m, "mean" as never), "statistic");
});

Deno.test("pearsonCorrelation / spearmanCorrelation: hand cases", () => {
  near(pearsonCorrelation([1, 2, 3], [2, 4, 6]), 1);
  near(pearsonCorrelation([1, 2, 3, 4], [1, 3, 2, 4]), 0.8); // cov 4/3, var 5/3 each
  near(spearmanCorrelation([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  assert.ok(pearsonCorrelation([1, 2, 3, 4], [1, 8, 27, 64]) < 1);
  // Ties share midranks: ranks of [1,2,2,3] are [1, 2.5, 2.5, 4] → r = 4.5/√(4.5·5).
  near(spearmanCorrelation([1, 2, 2, 3], [1, 2, 3, 4]), 4.5 / Math.sqrt(22.5));
  near(spearmanCorrelation(new Float64Array([3, 2, 1]), [1, 2, 3]), -1);
  throwsConfig(() => pearsonCorrelation([1, 2], [1]), "y");
  throwsConfig(() => pearsonCorrelation([1], [1]), "x");
  throwsConfig(() => spearmanCorrelation([1, NaN], [1, 2]), "x[1]");
});
