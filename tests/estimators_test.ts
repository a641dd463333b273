import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import {
  auroc,
  brierScore,
  drGrpoAdvantages,
  expectedCalibrationError,
  gae,
  grpoAdvantages,
  kaeAdvantages,
  KaeBaseline,
  kaeBaseline,
  kaeKernel,
  klK1,
  klK2,
  klK3,
  litePpoAdvantages,
  meanPassAtK,
  passAtK,
  passAtKValues,
  reinforcePlusPlusAdvantages,
  reliabilityDiagram,
  rlooAdvantages,
  signedAdvantages,
} from "../lib/estimators/mod.ts";

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, msg = ""): void {
  assert.equal(actual.length, expected.length, `${msg} length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tol,
      `${msg}[${i}]: got ${actual[i]}, expected ${expected[i]} (tol ${tol})`,
    );
  }
}

/** Assert fn throws a ConfigError whose field is (or starts with) `field`. */
function throwsConfig(fn: () => unknown, field: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${e}`);
    assert.ok(e.field.startsWith(field), `expected field ${field}, got ${e.field}: ${e.message}`);
    return true;
  });
}

function meanAndSe(xs: ArrayLike<number>): [number, number] {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m += xs[i];
  m /= xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - m) ** 2;
  v /= xs.length - 1;
  return [m, Math.sqrt(v / xs.length)];
}

// ---------------------------------------------------------------- advantages

Deno.test("grpoAdvantages: hand case, population std, all-equal groups give exactly 0", () => {
  // [1,0,0,0]: mean 1/4, population std √(1/4·3/4) = √3/4 → (3/4)/(√3/4) = √3 and (−1/4)/(√3/4) = −1/√3.
  close(grpoAdvantages([1, 0, 0, 0, 1, 1, 1, 1], 4, { eps: 0 }), [
    Math.sqrt(3),
    -1 / Math.sqrt(3),
    -1 / Math.sqrt(3),
    -1 / Math.sqrt(3),
    0,
    0,
    0,
    0,
  ]);
  // [2, 4]: mean 3, std 1.
  close(grpoAdvantages([2, 4], 2, { eps: 0 }), [-1, 1]);
  // default eps = 1e-6 shrinks slightly: 1/(1 + 1e-6).
  close(grpoAdvantages([2, 4], 2), [-1 / (1 + 1e-6), 1 / (1 + 1e-6)], 1e-15);
  // 0.1 + 0.1 + 0.1 is not 0.3 in floating point; still exactly 0, never NaN, even at eps = 0.
  for (const adv of [grpoAdvantages([0.1, 0.1, 0.1], 3, { eps: 0 }), grpoAdvantages([0.1, 0.1, 0.1], 3)]) {
    assert.deepEqual(adv, [0, 0, 0]);
  }
  // groupSize 1: every group is constant → 0.
  assert.deepEqual(grpoAdvantages([3, -1], 1), [0, 0]);
});

Deno.test("drGrpoAdvantages and rlooAdvantages: hand cases and the RLOO = G/(G−1)·(r − mean) identity", () => {
  close(drGrpoAdvantages([1, 0, 0, 0], 4), [0.75, -0.25, -0.25, -0.25]);
  close(rlooAdvantages([1, 0, 0, 0], 4), [1, -1 / 3, -1 / 3, -1 / 3]);
  close(rlooAdvantages([3, 1, 2, 5, 5, 5], 3), [1.5, -1.5, 0, 0, 0, 0]);
  const rng = new Rng(7);
  const r = Array.from({ length: 24 }, () => rng.normal());
  const G = 6;
  const dr = drGrpoAdvantages(r, G);
  close(rlooAdvantages(r, G), dr.map((a) => (a * G) / (G - 1)), 1e-12, "rloo vs dr");
  // Dr. GRPO advantages sum to 0 in each group.
  for (let g = 0; g < 4; g++) assert.ok(Math.abs(dr.slice(g * G, g * G + G).reduce((a, b) => a + b)) < 1e-12);
});

Deno.test("reinforcePlusPlusAdvantages and litePpoAdvantages: hand cases", () => {
  // [1,2,3,4]: mean 2.5, population variance 1.25.
  const sd = Math.sqrt(1.25);
  close(reinforcePlusPlusAdvantages([1, 2, 3, 4], { eps: 0 }), [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd]);
  assert.deepEqual(reinforcePlusPlusAdvantages([2, 2, 2]), [0, 0, 0]);
  // Lite PPO on [1,0 | 1,1]: group means 0.5 and 1; batch std of raw rewards √(3/4·1/4) = √3/4.
  close(litePpoAdvantages([1, 0, 1, 1], 2, { eps: 0 }), [2 / Math.sqrt(3), -2 / Math.sqrt(3), 0, 0]);
  // Differs from GRPO (which would give ±1 in the first group).
  close(grpoAdvantages([1, 0, 1, 1], 2, { eps: 0 }), [1, -1, 0, 0]);
});

Deno.test("advantages: bad input throws ConfigError naming the argument", () => {
  throwsConfig(() => grpoAdvantages([1, 0, 1], 2), "groupSize"); // 2 does not divide 3
  throwsConfig(() => grpoAdvantages([1, 0], 0), "groupSize");
  throwsConfig(() => drGrpoAdvantages([1, 0], -2), "groupSize");
  throwsConfig(() => drGrpoAdvantages([1, 0], 1.5), "groupSize");
  throwsConfig(() => rlooAdvantages([1, 0], 1), "groupSize"); // RLOO needs G ≥ 2
  throwsConfig(() => grpoAdvantages([1, NaN], 2), "rewards[1]");
  throwsConfig(() => litePpoAdvantages([], 2), "rewards");
  throwsConfig(() => grpoAdvantages([1, 0], 2, { eps: -1 }), "grpoAdvantages.eps");
  throwsConfig(() => grpoAdvantages([1, 0], 2, { epsilon: 1 } as never), "grpoAdvantages.epsilon");
  throwsConfig(() => reinforcePlusPlusAdvantages([1, Infinity]), "rewards[1]");
});

// ---------------------------------------------------------------- GAE

Deno.test("gae: λ = 1 gives discounted returns − values, λ = 0 gives TD errors (hand-computed)", () => {
  const rewards = [1, 0, 2];
  const values = [0.5, 1, 0.5];
  const dones = [0, 0, 0];
  // γ = 0.9, V(s_3) = 1: G_2 = 2 + 0.9 = 2.9; G_1 = 0.9·2.9 = 2.61; G_0 = 1 + 0.9·2.61 = 3.349.
  const l1 = gae(rewards, values, dones, { gamma: 0.9, lambda: 1, lastValue: 1 });
  close(l1.advantages, [3.349 - 0.5, 2.61 - 1, 2.9 - 0.5], 1e-12, "λ=1 adv");
  close(l1.returns, [3.349, 2.61, 2.9], 1e-12, "λ=1 returns");
  // δ_0 = 1 + 0.9·1 − 0.5 = 1.4; δ_1 = 0.9·0.5 − 1 = −0.55; δ_2 = 2 + 0.9·1 − 0.5 = 2.4.
  const l0 = gae(rewards, values, dones, { gamma: 0.9, lambda: 0, lastValue: 1 });
  close(l0.advantages, [1.4, -0.55, 2.4], 1e-12, "λ=0 adv");
  // λ = 0.5: A_2 = 2.4; A_1 = −0.55 + 0.45·2.4 = 0.53; A_0 = 1.4 + 0.45·0.53 = 1.6385.
  close(gae(rewards, values, dones, { gamma: 0.9, lambda: 0.5, lastValue: 1 }).advantages, [
    1.6385,
    0.53,
    2.4,
  ]);
  // An episode ends after step 1: no bootstrap across it. λ = 1: A_1 = 0 − 1, A_0 = 1 − 0.5; step 2 unchanged.
  close(
    gae(rewards, values, [false, true, false], { gamma: 0.9, lambda: 1, lastValue: 1 }).advantages,
    [0.5, -1, 2.4],
  );
  // Terminal last step ignores lastValue: δ_2 = 2 − 0.5.
  close(gae([2], [0.5], [1], { lastValue: 100 }).advantages, [1.5]);
});

Deno.test("gae: bad input throws ConfigError naming the argument", () => {
  throwsConfig(() => gae([1, 2], [0], [0, 0]), "values");
  throwsConfig(() => gae([1, 2], [0, 0], [0]), "dones");
  throwsConfig(() => gae([1, 2], [0, 0], [0, 2]), "dones[1]");
  throwsConfig(() => gae([1], [0], [0], { gamma: 1.5 }), "gae.gamma");
  throwsConfig(() => gae([1], [0], [0], { lambda: -0.1 }), "gae.lambda");
  throwsConfig(() => gae([1], [NaN], [0]), "values[0]");
});

// ---------------------------------------------------------------- KAE

Deno.test("kaeBaseline / kaeAdvantages: hand-computed kernel-weighted means", () => {
  const history = [
    { iteration: 0, rewards: [1, 0] },
    { iteration: 2, rewards: [1, 1, 0] },
    { iteration: -1, rewards: [100] }, // lag 4 = h: triangular weight 0
  ];
  // Triangular h = 4 at t = 3: weights K(3) = 1/4, K(1) = 3/4, K(4) = 0.
  // num = 1/4·1 + 3/4·2 = 7/4; den = 1/4·2 + 3/4·3 = 11/4 → 7/11.
  const b = kaeBaseline(history, 3, { kernel: "triangular", bandwidth: 4 });
  assert.ok(Math.abs(b.baseline - 7 / 11) < 1e-12, `baseline ${b.baseline}`);
  assert.ok(Math.abs(b.weight - 11 / 4) < 1e-12);
  // Exponential h = 2: weights e^{−3/2}, e^{−1/2}, e^{−2}.
  const [w0, w2, wm] = [Math.exp(-1.5), Math.exp(-0.5), Math.exp(-2)];
  const expected = (w0 * 1 + w2 * 2 + wm * 100) / (2 * w0 + 3 * w2 + wm);
  const be = kaeBaseline(history, 3, { kernel: "exponential", bandwidth: 2 });
  assert.ok(Math.abs(be.baseline - expected) < 1e-12);
  assert.ok(Math.abs(kaeKernel(3, "exponential", 2) - w0) < 1e-15);
  assert.equal(kaeKernel(5, "triangular", 4), 0);
  assert.equal(kaeKernel(1, "triangular", 4), 0.75);

  const opts = { kernel: "triangular" as const, bandwidth: 4 };
  // Leave-one-out with current rewards [1, 0]: sample 0 adds the other sample (0) with K(0) = 1:
  // (7/4 + 0)/(11/4 + 1) = 7/15 → A = 8/15; sample 1: (7/4 + 1)/(15/4) = 11/15 → A = −11/15.
  const loo = kaeAdvantages([1, 0], history, 3, opts);
  close(loo.baselines, [7 / 15, 11 / 15]);
  close(loo.advantages, [8 / 15, -11 / 15]);
  close(loo.weights, [15 / 4, 15 / 4]);
  // Include: (7/4 + 1)/(11/4 + 2) = 11/19 for both.
  close(kaeAdvantages([1, 0], history, 3, { ...opts, current: "include" }).baselines, [11 / 19, 11 / 19]);
  // Exclude: the past-only 7/11.
  close(kaeAdvantages([1, 0], history, 3, { ...opts, current: "exclude" }).advantages, [4 / 11, -7 / 11]);
});

Deno.test("kaeAdvantages: G = 1 without history — leave-one-out falls back, include zeroes the advantage", () => {
  const loo = kaeAdvantages([1], [], 0);
  assert.deepEqual(loo, { advantages: [1], baselines: [0], weights: [0] });
  assert.deepEqual(kaeAdvantages([1], [], 0, { emptyBaseline: 0.5 }).advantages, [0.5]);
  assert.deepEqual(kaeAdvantages([1], [], 0, { current: "include" }).advantages, [0]);
  // With history, G = 1 leave-one-out is the past-only baseline: history mean 0.25 at lag 1.
  close(kaeAdvantages([1], [{ iteration: 4, rewards: [0, 0, 0, 1] }], 5).advantages, [0.75]);
});

Deno.test("KaeBaseline: records history, prunes dead observations, round-trips its JSON state", () => {
  const kb = new KaeBaseline({ kernel: "triangular", bandwidth: 4 });
  close(kb.update("p", 0, [1, 0]).advantages, [1, -1]); // LOO: the other sample is the baseline
  kb.update("p", 2, [1, 1, 0]);
  kb.update("q", 2, [0]);
  // Past-only baseline at t = 3 is the hand case above (without the weight-0 entry): 7/11.
  assert.ok(Math.abs(kb.baseline("p", 3).baseline - 7 / 11) < 1e-12);
  const restored = KaeBaseline.fromState(JSON.parse(JSON.stringify(kb.state)));
  assert.ok(Math.abs(restored.baseline("p", 3).baseline - 7 / 11) < 1e-12);
  assert.equal(restored.size, 2);
  assert.deepEqual(restored.options, kb.options);
  // At t = 10 every old observation has lag ≥ 4 → weight 0: pruned; only the new one is kept.
  close(kb.update("p", 10, [1]).advantages, [1]);
  assert.deepEqual(kb.state.histories.p, [{ iteration: 10, rewards: [1] }]);
  throwsConfig(() => kb.update("p", 9, [1]), "iteration");
  throwsConfig(() => new KaeBaseline({ bandwidth: 0 }), "KaeBaseline.bandwidth");
  throwsConfig(() => new KaeBaseline({ kernel: "gaussian" as never }), "KaeBaseline.kernel");
});

Deno.test("kae: bad input throws ConfigError naming the argument", () => {
  throwsConfig(() => kaeBaseline([{ iteration: 5, rewards: [1] }], 3), "history[0].iteration"); // future
  throwsConfig(() => kaeBaseline([{ iteration: 1, rewards: [NaN] }], 3), "history[0].rewards[0]");
  throwsConfig(() => kaeAdvantages([], [], 0), "rewards");
  throwsConfig(() => kaeAdvantages([1], [], 0, { current: "all" as never }), "kaeAdvantages.current");
  throwsConfig(() => kaeAdvantages([1], [], 0, { bandwidth: -1 }), "kaeAdvantages.bandwidth");
  throwsConfig(() => kaeKernel(-1, "triangular", 1), "lag");
});

// ---------------------------------------------------------------- KL

Deno.test("KL k1/k2/k3: hand case and k3 ≥ 0", () => {
  // π(y) = 1, π_ref(y) = 1/2: Δ = −log 2.
  const l2 = Math.log(2);
  close(klK1([0], [-l2]), [l2]);
  close(klK2([0], [-l2]), [0.5 * l2 * l2]);
  close(klK3([0], [-l2]), [0.5 - 1 + l2]);
  const k3 = klK3([-3, -0.1, -2, -5], [-0.2, -4, -2, -1]);
  assert.ok(k3.every((v) => v >= 0));
  assert.equal(k3[2], 0);
  throwsConfig(() => klK1([0, 1], [0]), "logpRef");
  throwsConfig(() => klK3([NaN], [0]), "logpNew[0]");
});

Deno.test("KL estimators on p = N(μ,1), q = N(0,1): k1, k3 unbiased for μ²/2; k2 biased (closed form)", () => {
  const N = 100_000;
  const mu = 1;
  const rng = new Rng(2024);
  const logpNew = new Float64Array(N);
  const logpRef = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const x = rng.normal(mu, 1); // sample from π = p
    logpNew[i] = -0.5 * (x - mu) ** 2; // normalising constants cancel in Δ
    logpRef[i] = -0.5 * x * x;
  }
  const kl = (mu * mu) / 2;
  // Δ = log q − log p = −μx + μ²/2 ~ N(−μ²/2, μ²), so E[k2] = ½(μ² + μ⁴/4) = 0.625 at μ = 1.
  const ek2 = 0.5 * (mu * mu + mu ** 4 / 4);
  const [m1, se1] = meanAndSe(klK1(logpNew, logpRef));
  const [m2, se2] = meanAndSe(klK2(logpNew, logpRef));
  const [m3, se3] = meanAndSe(klK3(logpNew, logpRef));
  assert.ok(Math.abs(m1 - kl) < 3 * se1, `k1 mean ${m1} vs ${kl} (se ${se1})`);
  assert.ok(Math.abs(m3 - kl) < 3 * se3, `k3 mean ${m3} vs ${kl} (se ${se3})`);
  assert.ok(Math.abs(m2 - ek2) < 3 * se2, `k2 mean ${m2} vs closed form ${ek2} (se ${se2})`);
  assert.ok((m2 - kl) / se2 > 10, `k2 bias ${(m2 - kl) / se2} SE`);
});

// ---------------------------------------------------------------- pass@k

Deno.test("passAtK: hand cases against 1 − C(n−c,k)/C(n,k)", () => {
  assert.ok(Math.abs(passAtK(5, 2, 2) - (1 - 3 / 10)) < 1e-12); // C(3,2)/C(5,2)
  assert.ok(Math.abs(passAtK(10, 3, 5) - (1 - 21 / 252)) < 1e-12); // C(7,5)/C(10,5)
  assert.equal(passAtK(4, 3, 2), 1); // n − c < k
  assert.equal(passAtK(10, 0, 5), 0);
  assert.ok(Math.abs(passAtK(8, 3, 1) - 3 / 8) < 1e-12);
  // Large n: C(n−c,k)/C(n,k) = Π_{i<c} (n−k−i)/(n−i).
  assert.ok(Math.abs(passAtK(200, 3, 100) - (1 - (100 / 200) * (99 / 199) * (98 / 198))) < 1e-12);
  close(passAtKValues(5, 2, [1, 2, 4]), [0.4, 0.7, 1]);
  assert.ok(Math.abs(meanPassAtK([5, 10], [2, 0], 2) - 0.35) < 1e-12);
  throwsConfig(() => passAtK(5, 2, 6), "k");
  throwsConfig(() => passAtK(5, 6, 1), "c");
  throwsConfig(() => passAtK(5, -1, 1), "c");
  throwsConfig(() => passAtK(5, 1, 0), "k");
  throwsConfig(() => passAtK(5.5, 1, 1), "n");
  throwsConfig(() => passAtKValues(5, 1, [2, 9]), "ks[1]");
  throwsConfig(() => meanPassAtK([5, 10], [2], 2), "cs");
});

Deno.test("passAtK and passAtKValues match exact rational values (data/pass_at_k_reference.json, Python fractions)", async () => {
  const ref = JSON.parse(
    await Deno.readTextFile(new URL("../data/pass_at_k_reference.json", import.meta.url)),
  ) as { rows: { n: number; c: number; k: number; passAtK: number }[] };
  assert.ok(ref.rows.length > 300);
  let worst = 0;
  for (const { n, c, k, passAtK: want } of ref.rows) {
    const got = passAtK(n, c, k);
    worst = Math.max(worst, Math.abs(got - want));
    assert.ok(Math.abs(got - want) <= 1e-12, `pass@${k} with n=${n}, c=${c}: ${got} vs exact ${want}`);
    assert.equal(passAtKValues(n, c, [k])[0], got);
  }
  // The table is not trivial: it holds values strictly inside (0, 1) at large n and k.
  assert.ok(ref.rows.some((r) => r.n === 1000 && r.k === 256 && r.passAtK > 0 && r.passAtK < 1));
  assert.ok(worst < 1e-12);
});

Deno.test("passAtK is unbiased for 1 − (1−p)^k over 10^5 draws; the plug-in estimate is visibly biased", () => {
  const draws = 100_000;
  const n = 10;
  const k = 5;
  const p = 0.1;
  const rng = new Rng(11);
  const unbiased = new Float64Array(draws);
  const plugIn = new Float64Array(draws);
  for (let d = 0; d < draws; d++) {
    let c = 0;
    for (let i = 0; i < n; i++) if (rng.uniform() < p) c++;
    unbiased[d] = passAtK(n, c, k);
    plugIn[d] = 1 - (1 - c / n) ** k;
  }
  const truth = 1 - (1 - p) ** k;
  const [mu, seu] = meanAndSe(unbiased);
  const [mp, sep] = meanAndSe(plugIn);
  assert.ok(Math.abs(mu - truth) < 3 * seu, `unbiased mean ${mu} vs ${truth} (se ${seu})`);
  assert.ok((truth - mp) / sep > 5, `plug-in bias ${truth - mp} is only ${(truth - mp) / sep} SE`);
});

// ---------------------------------------------------------------- calibration

Deno.test("ECE, reliability diagram and Brier: hand cases", () => {
  // bins of width 0.1: {0.05 → wrong}, {0.15 → right}, {0.95, 0.95 → one right}:
  // (1/4)·0.05 + (1/4)·0.85 + (2/4)·0.45 = 0.45.
  const conf = [0.05, 0.15, 0.95, 0.95];
  const correct = [0, 1, 1, 0];
  assert.ok(Math.abs(expectedCalibrationError(conf, correct) - 0.45) < 1e-12);
  const rows = reliabilityDiagram(conf, correct);
  assert.equal(rows.length, 10);
  assert.deepEqual(rows[9], { lower: 0.9, upper: 1, count: 2, meanConfidence: 0.95, accuracy: 0.5 });
  assert.deepEqual(rows[5], { lower: 0.5, upper: 0.6, count: 0, meanConfidence: null, accuracy: null });
  // Confidence 1 falls into the last (closed) bin; 0.5 starts the upper bin.
  assert.deepEqual(reliabilityDiagram([1, 0, 0.5], [true, false, true], { bins: 2 }), [
    { lower: 0, upper: 0.5, count: 1, meanConfidence: 0, accuracy: 0 },
    { lower: 0.5, upper: 1, count: 2, meanConfidence: 0.75, accuracy: 1 },
  ]);
  assert.ok(Math.abs(brierScore([0.8, 0.3], [1, 0]) - 0.065) < 1e-12);
  assert.equal(brierScore([1, 0], [true, false]), 0);
  // Always 0.9 confident but right 60% of the time: ECE = 0.3.
  assert.ok(Math.abs(expectedCalibrationError([0.9, 0.9, 0.9, 0.9, 0.9], [1, 1, 1, 0, 0]) - 0.3) < 1e-12);
});

Deno.test("ECE of perfectly calibrated synthetic data shrinks toward 0 as n grows", () => {
  const rng = new Rng(5);
  const eces: number[] = [];
  for (const n of [1_000, 10_000, 100_000]) {
    const conf = new Float64Array(n);
    const correct = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      conf[i] = rng.uniform();
      correct[i] = rng.uniform() < conf[i] ? 1 : 0; // P(correct | q) = q
    }
    eces.push(expectedCalibrationError(conf, correct));
  }
  assert.ok(eces[0] > eces[1] && eces[1] > eces[2], `ECE not decreasing: ${eces}`);
  // Sampling noise alone: ≈ Σ_b w_b √(2/π)·√(acc_b(1−acc_b)/n_b) ≤ 0.8·0.5/√(10^4) = 0.004 at n = 10^5.
  assert.ok(eces[2] < 0.01, `ECE at n=1e5 is ${eces[2]}`);
});

Deno.test("auroc: perfect ranking 1, reversed 0, ties ½, hand case, brute force, random ≈ 0.5", () => {
  assert.equal(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1]), 1);
  assert.equal(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1]), 0);
  assert.equal(auroc([0.5, 0.5], [0, 1]), 0.5);
  assert.equal(auroc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]), 0.75);
  // Brute force over all (pos, neg) pairs with many ties.
  const rng = new Rng(3);
  const s = Array.from({ length: 60 }, () => Math.round(rng.uniform() * 5));
  const y = Array.from({ length: 60 }, (_, i) => (i < 3 ? i % 2 : rng.uniform() < 0.4 ? 1 : 0));
  let u = 0;
  let pairs = 0;
  for (let i = 0; i < 60; i++) {
    for (let j = 0; j < 60; j++) {
      if (y[i] === 1 && y[j] === 0) {
        pairs++;
        u += s[i] > s[j] ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
    }
  }
  assert.ok(Math.abs(auroc(s, y) - u / pairs) < 1e-12);
  // Random scores: AUROC ≈ 0.5 within 3 SE, SE = √((n₊ + n₋ + 1)/(12 n₊ n₋)) under H0.
  const n = 10_000;
  const scores = new Float64Array(n);
  const labels = new Uint8Array(n);
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    scores[i] = rng.uniform();
    labels[i] = rng.uniform() < 0.5 ? 1 : 0;
    nPos += labels[i];
  }
  const se = Math.sqrt((n + 1) / (12 * nPos * (n - nPos)));
  assert.ok(Math.abs(auroc(scores, labels) - 0.5) < 3 * se);
});

Deno.test("calibration metrics: bad input throws ConfigError naming the argument", () => {
  throwsConfig(() => expectedCalibrationError([0.5, 1.2], [1, 0]), "conf[1]");
  throwsConfig(() => expectedCalibrationError([0.5, -0.1], [1, 0]), "conf[1]");
  throwsConfig(() => brierScore([0.5, 0.5], [1, 0.5]), "correct[1]");
  throwsConfig(() => brierScore([0.5, 0.5], [1]), "correct");
  throwsConfig(() => reliabilityDiagram([0.5], [1], { bins: 0 }), "reliabilityDiagram.bins");
  throwsConfig(() => expectedCalibrationError([], []), "conf");
  throwsConfig(() => auroc([0.1, 0.2], [1, 1]), "labels");
  throwsConfig(() => auroc([0.1, NaN], [1, 0]), "scores[1]");
  throwsConfig(() => auroc([0.1, 0.2, 0.3], [1, 0]), "labels");
});

Deno.test("signedAdvantages: ±1 rewards (+1 iff r > 0), arXiv 2506.01347", () => {
  assert.deepEqual(signedAdvantages([1, 0, 0.5, -2, 1e-9]), [1, -1, 1, -1, 1]);
  assert.deepEqual(signedAdvantages([]), []);
});
