import { runReproduction } from "../reproductions/harness.ts";
import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { passAtK } from "../lib/estimators/pass_at_k.ts";
import type { Problem } from "../lib/tasks/types.ts";
import { FeatureChain, LinearSoftmaxPolicy } from "../reproductions/filtering_feature_chain.ts";
import { VERDICTS } from "../reproductions/harness.ts";
import { checkNsrClaims, minPassDiffs, nsr, nsrAdvantages, pairedPassDiffs } from "../reproductions/nsr.ts";
import { AdamAscent, countCorrect, sampleSequence } from "../reproductions/nsr_policy.ts";
import { NSR_TRANSFORMER_DEFAULTS, nsrTransformerArmConfig } from "../reproductions/nsr_transformer.ts";
import { useBackend } from "../lib/core/backend.ts";

const task = new FeatureChain({ dim: 6, options: 3, minLength: 1, maxLength: 4, seed: 3 });
const pool = task.pool("nsr-test", 30);
const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);

Deno.test("LinearSoftmaxPolicy(observed o): W starts as signal × the teacher's first o columns; default o = d", () => {
  const o = 2, K = task.options, d = task.dim;
  const p = new LinearSoftmaxPolicy(task, { observed: o, initSignal: 0.8, initNoise: 0 });
  assert.equal(p.weights.length, K * o);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < o; j++) close(p.weights[k * o + j], 0.8 * task.teacher[k * d + j], 1e-15);
  }
  assert.equal(new LinearSoftmaxPolicy(task).weights.length, K * d);
  assert.throws(() => new LinearSoftmaxPolicy(task, { observed: d + 1 }), /observed/);
});

Deno.test("LinearSoftmaxPolicy(observed): W = 0 gives p = (1/K)^L, and only the observed features matter", () => {
  const zero = new LinearSoftmaxPolicy(task, { observed: 2 });
  for (const q of pool) close(zero.successProbability(q), (1 / 3) ** q.solution.length, 1e-12);
  // Changing an unobserved feature leaves π unchanged; changing an observed one changes it.
  const p = new LinearSoftmaxPolicy(task, { observed: 2, initSignal: 1, initNoise: 0.3, seed: 1 });
  const q = pool[0];
  const feats = task.meta(q).features;
  const before = Array.from(p.probs(q, 0));
  const keep = feats[3];
  feats[3] += 5; // unobserved (index ≥ 2)
  assert.deepEqual(Array.from(p.probs(q, 0)), before);
  feats[3] = keep;
  feats[0] += 5;
  assert.notDeepEqual(Array.from(p.probs(q, 0)), before);
  feats[0] -= 5;
});

Deno.test("LinearSoftmaxPolicy(observed): gradLogProb matches central finite differences", () => {
  const p = new LinearSoftmaxPolicy(task, { observed: 4, initSignal: 0.7, initNoise: 0.5, seed: 2 });
  const q = pool.find((x) => x.solution.length >= 3)!;
  const { actions } = sampleSequence(p, q, new Rng(5));
  const g = p.gradLogProb(q, actions);
  const f = () => actions.reduce((t, a, s) => t + Math.log(p.probs(q, s)[a]), 0);
  const eps = 1e-6;
  for (let i = 0; i < p.weights.length; i++) {
    const w = p.weights[i];
    p.weights[i] = w + eps;
    const up = f();
    p.weights[i] = w - eps;
    const dn = f();
    p.weights[i] = w;
    close((up - dn) / (2 * eps), g[i], 1e-6, `coordinate ${i}`);
  }
});

/** Σ_y π(y) · weight(correct(y)) · ∇log π(y) over every option sequence y (exact enumeration). */
function expectedGradient(p: LinearSoftmaxPolicy, q: Problem, weight: (ok: boolean) => number) {
  const L = q.solution.length;
  const g = new Float64Array(p.weights.length);
  const seq = new Array<number>(L).fill(0);
  for (let idx = 0; idx < 3 ** L; idx++) {
    let r = idx, prob = 1, ok = true;
    for (let s = 0; s < L; s++) {
      seq[s] = r % 3;
      r = Math.floor(r / 3);
      prob *= p.probs(q, s)[seq[s]];
      ok &&= seq[s] === q.solution[s];
    }
    const w = weight(ok);
    if (w === 0) continue;
    const gl = p.gradLogProb(q, seq);
    for (let i = 0; i < g.length; i++) g[i] += prob * w * gl[i];
  }
  return g;
}

Deno.test("±1 rewards: E[PSR gradient] = E[NSR gradient] = ∇J (finite differences of the exact success probability)", () => {
  const p = new LinearSoftmaxPolicy(task, { observed: 4, initSignal: 0.6, initNoise: 0.5, seed: 4 });
  const q = pool.find((x) => x.solution.length === 3)!;
  const psr = expectedGradient(p, q, (ok) => (ok ? 1 : 0));
  const nsrG = expectedGradient(p, q, (ok) => (ok ? 0 : -1));
  const eps = 1e-6;
  let norm = 0;
  for (let i = 0; i < p.weights.length; i++) {
    const w = p.weights[i];
    p.weights[i] = w + eps;
    const up = p.successProbability(q);
    p.weights[i] = w - eps;
    const dn = p.successProbability(q);
    p.weights[i] = w;
    const fd = (up - dn) / (2 * eps);
    close(psr[i], fd, 1e-7, `PSR coordinate ${i}`);
    close(nsrG[i], fd, 1e-7, `NSR coordinate ${i}`);
    norm += fd * fd;
  }
  assert.ok(Math.sqrt(norm) > 1e-3, "the gradient is not trivially zero");
});

Deno.test("unbiased pass@k from n = 256 samples averages to the exact 1 − (1 − p)^k", () => {
  const p = new LinearSoftmaxPolicy(task, { observed: 4, initSignal: 0.5, initNoise: 0.3, seed: 6 });
  // The problem with the smallest success probability (≈ 0.01), where pass@k for k ≤ 256 is far from 0 and 1.
  const q = pool.map((x) => ({ x, a: p.successProbability(x) })).sort((u, v) => u.a - v.a)[0];
  assert.ok(q.a > 0.002 && q.a < 0.02, `smallest p ${q.a}`);
  const a = q.a;
  const n = 256, R = 300;
  const rng = new Rng(9);
  const cs = Array.from({ length: R }, () => countCorrect(p, q.x, n, rng));
  for (const k of [1, 16, 64, 256]) {
    const est = cs.map((c) => passAtK(n, c, k));
    const m = est.reduce((s, v) => s + v, 0) / R;
    const sd = Math.sqrt(est.reduce((s, v) => s + (v - m) ** 2, 0) / (R - 1));
    const exact = 1 - (1 - a) ** k;
    assert.ok(Math.abs(m - exact) < 4 * sd / Math.sqrt(R) + 1e-9, `k=${k}: ${m} vs exact ${exact}`);
  }
});

Deno.test("AdamAscent: bias-corrected steps move each coordinate by ≈ lr·sign(g) under a constant gradient", () => {
  const adam = new AdamAscent(3);
  const w = Float64Array.from([1, -2, 3]);
  const g = [0.5, -3, 1e-3];
  adam.step(w, g, 0.01); // m̂ = g, v̂ = g² → Δ = lr·g/(|g| + ε)
  [1.01, -2.01, 3.01].forEach((x, i) => close(w[i], x, 1e-6, `step 1, coordinate ${i}`));
  adam.step(w, g, 0.01); // a constant gradient keeps m̂ = g and v̂ = g²
  [1.02, -2.02, 3.02].forEach((x, i) => close(w[i], x, 1e-6, `step 2, coordinate ${i}`));
  assert.equal(adam.state.t, 2);
  assert.throws(() => adam.step(w, [1, 2], 0.01), ConfigError);
});

Deno.test("nsrAdvantages: per-sample weights of arXiv 2506.01347 on ±1 rewards, and GRPO", () => {
  const c = [1, 0, 0, 1];
  assert.deepEqual(nsrAdvantages("psr", c), [1, 0, 0, 1]);
  assert.deepEqual(nsrAdvantages("nsr", c), [0, -1, -1, 0]);
  assert.deepEqual(nsrAdvantages("w-reinforce", c, 0.1), [0.1, -1, -1, 0.1]);
  assert.deepEqual(nsrAdvantages("reinforce", c), [1, -1, -1, 1]);
  const g = nsrAdvantages("grpo", c); // mean 0, population std 1 → ±1 up to eps
  for (let i = 0; i < 4; i++) close(g[i], c[i] ? 1 : -1, 1e-5);
  assert.deepEqual(nsrAdvantages("grpo", [1, 1, 1]), [0, 0, 0]);
});

Deno.test("nsr reproduction: config errors name the field", async () => {
  await assert.rejects(
    () => runReproduction(nsr, { preset: "smoke", config: { observed: 99 }, progress: false }),
    ConfigError,
  );
  await assert.rejects(
    () => runReproduction(nsr, { preset: "smoke", config: { ks: [1, 4] }, progress: false }),
    ConfigError,
  );
  await assert.rejects(
    () => runReproduction(nsr, { preset: "smoke", config: { evalSamples: 100 }, progress: false }),
    /evalSamples/,
  );
  const bogus = { bogus: 1 } as unknown as Partial<typeof nsr.presets.smoke>;
  await assert.rejects(
    () => runReproduction(nsr, { preset: "smoke", config: bogus, progress: false }),
    /bogus/,
  );
});

Deno.test("nsr smoke run: claims table, paired differences, estimator vs exact, charts", async () => {
  const log = await runReproduction(nsr, { preset: "smoke", progress: false });
  const seeds = nsr.presets.smoke.seeds;
  const claims = checkNsrClaims(log);
  assert.equal(claims.length, 9);
  for (const c of claims) {
    assert.ok(VERDICTS.includes(c.verdict), c.verdict);
    assert.ok(c.ci[0] <= c.estimate + 1e-12 && c.estimate <= c.ci[1] + 1e-12, c.claim);
    assert.equal(c.n, seeds);
    assert.ok(c.rule.includes("reproduced iff"));
  }
  // Paired differences are per seed; the min over k is ≤ every single-k difference.
  const d256 = pairedPassDiffs(log, "nsr", "base", 256);
  const dMin = minPassDiffs(log, "nsr", "base");
  assert.equal(d256.length, seeds);
  dMin.forEach((m, i) => assert.ok(m <= d256[i] + 1e-15));
  // The unbiased estimate tracks the exact value: pooled over arms, seeds and k its mean error is small.
  // The sweep trains PSR and NSR once per swept learning rate, with lr·steps fixed.
  const sweep = log.rows.filter((r) => r.kind === "sweep");
  assert.equal(sweep.length, seeds * 2 * nsr.presets.smoke.lrSweep.length);
  for (const r of sweep) {
    assert.equal(
      Number(r.steps),
      Math.round((nsr.presets.smoke.steps * nsr.presets.smoke.lr) / Number(r.lr)),
    );
  }
  const rows = log.rows.filter((r) => r.kind === "passk");
  assert.equal(rows.length, seeds * 6 * nsr.presets.smoke.ks.length);
  const err = rows.reduce((s, r) => s + (Number(r.passAtK) - Number(r.exact)), 0) / rows.length;
  assert.ok(Math.abs(err) < 0.02, `mean estimate − exact ${err}`);
  // pass@k is non-decreasing in k for every (arm, seed), exact and estimated.
  for (const r of rows) {
    const next = rows.find((x) => x.arm === r.arm && x.seed === r.seed && Number(x.k) > Number(r.k));
    if (next) assert.ok(Number(next.exact) >= Number(r.exact) && Number(next.passAtK) >= Number(r.passAtK));
  }
  const charts = nsr.charts(log);
  assert.deepEqual(charts.map((c) => c.name), [
    "pass_at_k",
    "pass_at_k_vs_base",
    "training_curves",
    "tradeoff",
    "lr_sensitivity",
    "adam_vs_base",
    "estimator_check",
  ]);
  assert.ok((await charts[0].chart.toSVG()).includes("<svg"));
});

Deno.test("transformer variant: arm → trainer config (±1 'signed' rewards with PSR/NSR/W weights, REINFORCE, GRPO)", () => {
  const c = { batchSize: 4, groupSize: 8, steps: 1, lambda: 0.1, evalSamples: 256, ks: [1, 256] };
  const t = { ...c, transformer: { ...NSR_TRANSFORMER_DEFAULTS, lr: 2e-4 } };
  const common = { seed: 5, batchSize: 4, groupSize: 8, lr: 2e-4 };
  assert.deepEqual(nsrTransformerArmConfig("psr", t, 5), {
    ...common,
    estimator: "signed",
    sampleWeighting: "psr",
    wReinforceLambda: 0.1,
  });
  assert.deepEqual(nsrTransformerArmConfig("nsr", t, 5).sampleWeighting, "nsr");
  assert.deepEqual(nsrTransformerArmConfig("w-reinforce", t, 5).sampleWeighting, "w-reinforce");
  assert.deepEqual(nsrTransformerArmConfig("reinforce", t, 5), { ...common, estimator: "signed" });
  assert.deepEqual(nsrTransformerArmConfig("grpo", t, 5), { ...common, estimator: "grpo" });
});

Deno.test("transformer variant (tiny, cpu): SFT base + five RL arms, pass@k rows and training curves", async () => {
  await useBackend("cpu");
  const steps = 2;
  const log = await runReproduction(nsr, {
    preset: "smoke",
    seeds: 1,
    progress: false,
    config: {
      policy: "transformer",
      steps,
      batchSize: 2,
      groupSize: 4,
      transformer: {
        ...NSR_TRANSFORMER_DEFAULTS,
        dModel: 8,
        nLayers: 1,
        nHeads: 2,
        sftSteps: 3,
        heldoutProblems: 3,
      },
    },
  });
  const passk = log.rows.filter((r) => r.kind === "passk");
  assert.equal(passk.length, 6 * nsr.presets.smoke.ks.length);
  assert.ok(passk.every((r) => r.exact === undefined && Number(r.passAtK) >= 0 && Number(r.passAtK) <= 1));
  for (const arm of ["base", "psr", "nsr", "w-reinforce", "reinforce", "grpo"]) {
    const v = passk.filter((r) => r.arm === arm).map((r) => Number(r.passAtK));
    v.forEach((x, i) => i > 0 && assert.ok(x >= v[i - 1], `${arm}: pass@k non-decreasing in k`));
  }
  assert.equal(log.rows.filter((r) => r.kind === "tcurve").length, 5 * steps);
  assert.deepEqual(nsr.charts(log).map((c) => c.name), ["pass_at_k", "pass_at_k_vs_base", "training_curves"]);
  assert.equal(checkNsrClaims(log).length, 9);
});
