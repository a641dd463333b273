import { runReproduction, VERDICTS } from "../mod.ts";
import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import type { Tensor2D } from "../lib/core/tf.ts";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { passAtK, sampledPassAtK } from "../lib/estimators/pass_at_k.ts";
import { LinearSoftmaxPolicy } from "../lib/policies/linear_softmax.ts";
import { FeatureChain } from "../lib/tasks/feature_chain.ts";
import type { Problem } from "../lib/tasks/types.ts";
import { packSequences } from "../lib/train/rollouts.ts";
import { checkNsrClaims, nsr, nsrArmObjective, pairedPassDiffs } from "../reproductions/nsr/mod.ts";

const task = new FeatureChain({ dim: 6, options: 3, minLength: 1, maxLength: 4, seed: 3 });
const pool = task.pool("nsr-test", 30);
const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);

Deno.test("LinearSoftmaxPolicy(observed o): W starts as signal × the teacher's first o columns; default o = d", () => {
  const o = 2, K = task.options, d = task.dim;
  const p = new LinearSoftmaxPolicy(task, { observed: o, initSignal: 0.8, initNoise: 0 });
  const w = p.weights();
  assert.equal(w.length, K * o);
  for (let k = 0; k < K; k++) {
    for (let j = 0; j < o; j++) close(w[k * o + j], 0.8 * task.teacher[k * d + j], 1e-6);
  }
  const full = new LinearSoftmaxPolicy(task);
  assert.equal(full.weights().length, K * d);
  assert.throws(() => new LinearSoftmaxPolicy(task, { observed: d + 1 }), /observed/);
  p.dispose();
  full.dispose();
});

Deno.test("LinearSoftmaxPolicy(observed): W = 0 gives p = (1/K)^L, and only the observed features matter", () => {
  const zero = new LinearSoftmaxPolicy(task, { observed: 2 });
  for (const q of pool) close(zero.successProbability(q), (1 / 3) ** task.meta(q).length, 1e-12);
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
  zero.dispose();
  p.dispose();
});

/** Σ_y c_y · ∇_W log π(y | q) for option sequences y with coefficients c_y, through the policy's tokenLogProbs. */
function weightedScore(p: LinearSoftmaxPolicy, q: Problem, seqs: number[][], coef: number[]): Float64Array {
  const responses = seqs.map((y) => [...y.map((k) => task.optionBase + k), task.vocab.eos]);
  const b = packSequences(seqs.map(() => q.prompt), responses, seqs.map(() => 0), task.vocab.pad);
  const tokens = tf.tensor2d(b.tokens, [b.N, b.L], "int32") as Tensor2D;
  const valid = tf.tensor2d(b.valid, [b.N, b.L]) as Tensor2D;
  const c = tf.tensor2d(coef.map((x) => new Array(b.L - 1).fill(x)));
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(p.tokenLogProbs(tokens, valid).logProbs, c)) as tf.Scalar,
    p.variables,
  );
  const g = Float64Array.from(grads[p.W.name].dataSync());
  tf.dispose([tokens, valid, c, value, ...Object.values(grads)]);
  return g;
}

/** Central finite differences of f(w) over the entries of W. */
function finiteDiff(p: LinearSoftmaxPolicy, f: (w: Float64Array) => number, eps = 1e-5): Float64Array {
  const w = p.weights();
  return w.map((x, i) => {
    const up = w.slice(), dn = w.slice();
    up[i] = x + eps;
    dn[i] = x - eps;
    return (f(up) - f(dn)) / (2 * eps);
  });
}

Deno.test("LinearSoftmaxPolicy(observed): tokenLogProbs gradient = finite differences of Σ_s log π(y_s | x_s)", () => {
  const p = new LinearSoftmaxPolicy(task, { observed: 4, initSignal: 0.7, initNoise: 0.5, seed: 2 });
  const q = pool.find((x) => task.meta(x).length >= 3)!;
  const y = task.meta(q).correct.map((c, s) => (c + s) % 3); // a fixed sequence, some steps wrong
  const g = weightedScore(p, q, [y], [1]);
  const fd = finiteDiff(p, (w) => y.reduce((t, k, s) => t + Math.log(p.probs(q, s, w)[k]), 0));
  g.forEach((x, i) => close(x, fd[i], 2e-3, `coordinate ${i}`)); // float32 tensors vs float64 differences
  p.dispose();
});

Deno.test("±1 rewards: E[PSR gradient] = E[NSR gradient] = ∇J (exact enumeration vs finite differences of J)", () => {
  const p = new LinearSoftmaxPolicy(task, { observed: 4, initSignal: 0.6, initNoise: 0.5, seed: 4 });
  const q = pool.find((x) => task.meta(x).length === 3)!;
  const correct = task.meta(q).correct;
  const seqs: number[][] = [];
  for (let i = 0; i < 27; i++) seqs.push([i % 3, Math.floor(i / 3) % 3, Math.floor(i / 9)]);
  const prob = seqs.map((y) => y.reduce((t, k, s) => t * p.probs(q, s)[k], 1));
  const ok = seqs.map((y) => y.every((k, s) => k === correct[s]));
  // E[w·r·∇log π] with the PSR (w = 1[r = +1]) and NSR (w = 1[r = −1]) weights of ±1 rewards.
  const psr = weightedScore(p, q, seqs, prob.map((x, i) => (ok[i] ? x : 0)));
  const nsrG = weightedScore(p, q, seqs, prob.map((x, i) => (ok[i] ? 0 : -x)));
  const fd = finiteDiff(p, (w) => p.successProbability(q, 0, w));
  let norm = 0;
  fd.forEach((x, i) => {
    close(psr[i], x, 1e-4, `PSR coordinate ${i}`);
    close(nsrG[i], x, 1e-4, `NSR coordinate ${i}`);
    norm += x * x;
  });
  assert.ok(Math.sqrt(norm) > 1e-3, "the gradient is not trivially zero");
  p.dispose();
});

Deno.test("sampledPassAtK: the unbiased estimate from n = 256 samples averages to the exact 1 − (1 − p)^k", async () => {
  const p = new LinearSoftmaxPolicy(task, { observed: 4, initSignal: 0.5, initNoise: 0.3, seed: 6 });
  // The problem with the smallest success probability (≈ 0.01), where pass@k for k ≤ 256 is far from 0 and 1.
  const q = pool.map((x) => ({ x, a: p.successProbability(x) })).sort((u, v) => u.a - v.a)[0];
  assert.ok(q.a > 0.002 && q.a < 0.03, `smallest p ${q.a}`);
  const n = 256, R = 300, ks = [1, 16, 64, 256];
  const rng = new Rng(9);
  const { counts, passAtK: mean } = await sampledPassAtK(p, task, new Array(R).fill(q.x), {
    n,
    ks,
    nextSeed: () => rng.tfSeed(),
    chunk: 10_000,
  });
  ks.forEach((k, j) => {
    const est = counts.map((c) => passAtK(n, c, k));
    const m = est.reduce((s, v) => s + v, 0) / R;
    close(m, mean[j], 1e-12, "mean over problems");
    const sd = Math.sqrt(est.reduce((s, v) => s + (v - m) ** 2, 0) / (R - 1));
    const exact = 1 - (1 - q.a) ** k;
    assert.ok(Math.abs(m - exact) < 4 * sd / Math.sqrt(R) + 1e-9, `k=${k}: ${m} vs exact ${exact}`);
  });
  p.dispose();
});

Deno.test("nsrArmObjective: arm → trainer objective (±1 'signed' rewards with PSR/NSR/W weights, REINFORCE, GRPO)", () => {
  assert.deepEqual(nsrArmObjective("psr", 0.1), {
    estimator: "signed",
    sampleWeighting: "psr",
    wReinforceLambda: 0.1,
  });
  assert.equal(nsrArmObjective("nsr", 0.1).sampleWeighting, "nsr");
  assert.deepEqual(nsrArmObjective("w-reinforce", 0.3), {
    estimator: "signed",
    sampleWeighting: "w-reinforce",
    wReinforceLambda: 0.3,
  });
  assert.deepEqual(nsrArmObjective("reinforce", 0.1), { estimator: "signed" });
  assert.deepEqual(nsrArmObjective("grpo", 0.1), { estimator: "grpo" });
  assert.throws(() => nsrArmObjective("ppo", 0.1), ConfigError);
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
    assert.ok((VERDICTS as readonly string[]).includes(c.verdict), c.verdict);
    assert.ok(c.ci[0] <= c.estimate + 1e-12 && c.estimate <= c.ci[1] + 1e-12, c.claim);
    assert.equal(c.n, seeds);
    assert.ok(c.rule.includes("reproduced iff"));
  }
  // Paired differences are per seed; "keeps pass@k across k" is one non-inferiority test per k, Holm over k.
  const d256 = pairedPassDiffs(log, "nsr", "base", 256);
  assert.equal(d256.length, seeds);
  const across = claims.find((c) => c.claim.startsWith("NSR keeps pass@k at every"))!;
  assert.equal(across.parts!.length, nsr.presets.smoke.ks.length);
  assert.ok(across.parts!.every((p) => p.pHolm >= p.pValue));
  // The sweep trains PSR and NSR once per swept learning rate, with lr·steps fixed.
  const sweep = log.rows.filter((r) => r.kind === "sweep");
  // (plus the claims' runs as the point at the preset's lr).
  assert.equal(sweep.length, seeds * 2 * (nsr.presets.smoke.lrSweep.length + 1));
  for (const r of sweep) {
    assert.equal(
      Number(r.steps),
      Math.round((nsr.presets.smoke.steps * nsr.presets.smoke.lr) / Number(r.lr)),
    );
  }
  // Training curves start at the base policy: step-0 exact pass@1 equals the base's exact pass@1 in every arm.
  const rows = log.rows.filter((r) => r.kind === "passk");
  for (const r of log.rows.filter((x) => x.kind === "curve" && x.step === 0)) {
    const base = rows.find((x) => x.arm === "base" && x.seed === r.seed && x.k === 1)!;
    close(Number(r.pass1), Number(base.exact), 1e-12, "step-0 pass@1");
  }
  // The unbiased estimate tracks the exact value: pooled over arms, seeds and k its mean error is small.
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
    "estimator_check",
    "lm_pass_at_k_vs_base",
  ]);
  assert.ok((await charts[0].chart.toSVG()).includes("<svg"));
});
