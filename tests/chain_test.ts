import assert from "node:assert/strict";
import { SimChain } from "../lib/tasks/chain.ts";
import { simChainGenerate, SoftmaxPolicy } from "../lib/policies/softmax.ts";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";

const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);

Deno.test("SimChain: deterministic pool, tokens, verify, hints", () => {
  const t = new SimChain({ length: 5, options: 3, numProblems: 10, seed: 7 });
  const t2 = new SimChain({ length: 5, options: 3, numProblems: 10, seed: 7 });
  const p = t.problem(3);
  assert.deepEqual(t2.problem(3).solution, p.solution);
  assert.equal(p.task, "chain");
  assert.equal(p.difficulty, 5);
  assert.equal(p.prompt[0], t.vocab.bos);
  assert.equal(t.vocab.decode(p.prompt), "3:5=");
  const m = t.meta(p);
  assert.equal(m.correct.length, 5);
  assert.ok(m.correct.every((c) => c >= 0 && c < 3));
  assert.equal(p.solution.length, 6);
  assert.equal(p.solution[5], t.vocab.eos);
  assert.equal(t.vocab.decode(p.solution), m.correct.map((c) => "ABC"[c]).join(""));
  assert.equal(t.verify(p, p.solution), 1);
  assert.equal(t.verify(p, p.solution.slice(0, 5)), 1); // eos not required at the end
  const wrong = p.solution.slice();
  wrong[2] = t.optionToken((m.correct[2] + 1) % 3);
  assert.equal(t.verify(p, wrong), 0);
  assert.equal(t.verify(p, [...p.solution.slice(0, 5), t.optionToken(0)]), 0); // extra step instead of eos
  assert.equal(t.verify(p, p.solution.slice(0, 4)), 0);
  assert.equal(t.verifyActions(p, m.correct), 1);
  // Solutions differ across the pool (5 steps × 3 options: collisions among 10 are unlikely but possible).
  assert.ok(new Set(t.problems().map((q) => q.text.solution)).size >= 8);
  assert.ok(t.maxSequenceLength >= p.prompt.length + p.solution.length);
  assert.equal(t.forcedSteps(2), 2);
  assert.equal(t.forcedSteps(9), 5);
  assert.equal(t.hintLengthForRate(0), 0);
  assert.equal(t.hintLengthForRate(0.2), 1); // ⌈0.2·5⌉ = 1
  assert.equal(t.hintLengthForRate(0.21), 2);
  assert.equal(t.hintLengthForRate(1), 5);
  assert.throws(() => new SimChain({ options: 1 }), ConfigError);
  assert.throws(() => new SimChain({ lenght: 3 } as never), ConfigError);
  assert.throws(() => new SimChain({ seed: 8 }).meta(p), ConfigError);
  const r = new Rng(1);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 2000; i++) counts[t.meta(t.sample(r)).index]++;
  for (const c of counts) close(c, 200, 4 * Math.sqrt(2000 * 0.1 * 0.9), "uniform pool draw"); // 4 SE
});

Deno.test("SoftmaxPolicy: closed forms, exact success probability vs Monte Carlo (4 SE)", () => {
  const t = new SimChain({ length: 4, options: 3, numProblems: 3, seed: 1 });
  const uniform = new SoftmaxPolicy(t);
  for (let h = 0; h <= 5; h++) {
    close(uniform.successProbability(t.problem(0), h), 3 ** -Math.max(0, 4 - h), 1e-12);
  }
  const pol = new SoftmaxPolicy(t, { initScale: 1, initCorrectBias: 1, seed: 3 });
  const p = t.problem(1);
  const m = t.meta(p);
  // Product of per-step correct probabilities, computed here from the raw logits.
  const direct = (h: number) => {
    let a = 1;
    for (let s = h; s < 4; s++) {
      const z = pol.problemLogits(p).slice(s * 3, s * 3 + 3);
      const e = Array.from(z, Math.exp);
      a *= e[m.correct[s]] / e.reduce((x, y) => x + y, 0);
    }
    return a;
  };
  for (let h = 0; h <= 4; h++) close(pol.successProbability(p, h), direct(h), 1e-12);
  const rng = new Rng(5);
  for (const h of [0, 2]) {
    const n = 20000;
    let wins = 0;
    for (let i = 0; i < n; i++) {
      const a = pol.sample(p, h, rng);
      for (let s = 0; s < h; s++) assert.equal(a[s], m.correct[s]);
      wins += t.verifyActions(p, a);
    }
    const a = pol.successProbability(p, h);
    close(wins / n, a, 4 * Math.sqrt(a * (1 - a) / n), `h=${h}`);
  }
});

Deno.test("SoftmaxPolicy: gradLogProb and successGradient match central finite differences", () => {
  const t = new SimChain({ length: 3, options: 4, numProblems: 2, seed: 2 });
  const pol = new SoftmaxPolicy(t, { initScale: 0.8, seed: 9 });
  const p = t.problem(1);
  const actions = [2, 0, 3];
  for (const h of [0, 1]) {
    const g = pol.gradLogProb(p, actions, h);
    const ga = pol.successGradient(p, h);
    const eps = 1e-6;
    for (let i = 0; i < 12; i++) {
      const e = new Float64Array(12);
      e[i] = eps;
      pol.addToProblemLogits(p, e);
      const lpPlus = pol.logProb(p, actions, h), aPlus = pol.successProbability(p, h);
      e[i] = -2 * eps;
      pol.addToProblemLogits(p, e);
      const lpMinus = pol.logProb(p, actions, h), aMinus = pol.successProbability(p, h);
      e[i] = eps;
      pol.addToProblemLogits(p, e);
      close(g[i], (lpPlus - lpMinus) / (2 * eps), 1e-6, `dlogπ/dθ${i} h=${h}`);
      close(ga[i], (aPlus - aMinus) / (2 * eps), 1e-6, `da/dθ${i} h=${h}`);
      if (i < 4 * h) assert.equal(g[i], 0);
    }
  }
});

/** Jacobi eigen-decomposition of a symmetric matrix → Moore–Penrose pseudo-inverse (eigenvalues < tol dropped). */
function pinvSymmetric(A: number[][], tol = 1e-10): number[][] {
  const n = A.length;
  const a = A.map((r) => r.slice());
  const V: number[][] = Array.from(
    { length: n },
    (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  );
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += a[i][j] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (Math.abs(a[p][q]) < 1e-300) continue;
        const theta = (a[q][q] - a[p][p]) / (2 * a[p][q]);
        const tt = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(tt * tt + 1), s = tt * c;
        for (let k = 0; k < n; k++) { // A ← A J
          const akp = a[k][p], akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) { // A ← Jᵀ A
          const apk = a[p][k], aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p], vkq = V[k][q];
          V[k][p] = c * vkp - s * vkq;
          V[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const out = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let e = 0; e < n; e++) {
    if (Math.abs(a[e][e]) < tol) continue;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i][j] += (V[i][e] * V[j][e]) / a[e][e];
  }
  return out;
}

Deno.test("p(1−p) identity: softmax bandit natural-gradient improvement ∇aᵀF⁺∇a = a(1−a)", () => {
  const rng = new Rng(11);
  let checked = 0;
  for (const K of [2, 3, 5, 8]) {
    for (let rep = 0; rep < 5; rep++) {
      // A bandit = SimChain with one step; random logits through the policy state.
      const t = new SimChain({ length: 1, options: K, numProblems: 1, seed: rep });
      const pol = new SoftmaxPolicy(t, { initScale: 1.5, seed: rng.int(1e9) });
      const prob = t.problem(0);
      const pi = pol.probs(prob, 0);
      const a = pol.successProbability(prob);
      const ga = pol.successGradient(prob);
      // Fisher of the categorical in logit coordinates: F = diag(π) − ππᵀ (rank K−1).
      const F = Array.from(
        { length: K },
        (_, i) => Array.from({ length: K }, (_, j) => (i === j ? pi[i] : 0) - pi[i] * pi[j]),
      );
      const Fp = pinvSymmetric(F);
      // Pseudo-inverse sanity: F F⁺ F = F.
      for (let i = 0; i < K; i++) {
        for (let j = 0; j < K; j++) {
          let v = 0;
          for (let k = 0; k < K; k++) for (let l = 0; l < K; l++) v += F[i][k] * Fp[k][l] * F[l][j];
          close(v, F[i][j], 1e-9);
        }
      }
      let ng = 0;
      for (let i = 0; i < K; i++) for (let j = 0; j < K; j++) ng += ga[i] * Fp[i][j] * ga[j];
      close(ng, a * (1 - a), 1e-6, `K=${K}`);
      checked++;
    }
  }
  assert.equal(checked, 20);
});

Deno.test("SoftmaxPolicy.update: hand-derived REINFORCE step, forced steps untouched, imitation term", () => {
  const t = new SimChain({ length: 2, options: 3, numProblems: 1, seed: 4 });
  const pol = new SoftmaxPolicy(t); // uniform: π = 1/3
  const p = t.problem(0);
  const c = t.meta(p).correct;
  const actions = [c[0], (c[1] + 1) % 3];
  const group = {
    problem: p,
    hintLength: 1,
    responses: [t.encodeActions(actions)],
    logProbs: [[0, 0, 0]],
    rewards: [0],
  };
  pol.update([group], [[-0.5]], 0.3);
  const th = pol.problemLogits(p);
  for (let k = 0; k < 3; k++) assert.equal(th[k], 0); // step 0 forced: no RL gradient
  for (let k = 0; k < 3; k++) close(th[3 + k], 0.3 * -0.5 * ((k === actions[1] ? 1 : 0) - 1 / 3), 1e-15);
  const pol2 = new SoftmaxPolicy(t);
  pol2.update([group], [[0]], 1, { imitationWeight: 0.1 });
  const th2 = pol2.problemLogits(p);
  for (let k = 0; k < 3; k++) close(th2[k], 0.1 * ((k === c[0] ? 1 : 0) - 1 / 3), 1e-15);
  for (let k = 0; k < 3; k++) assert.equal(th2[3 + k], 0);
  // Per-rollout hint lengths override the group's.
  const pol3 = new SoftmaxPolicy(t);
  pol3.update([{ ...group, hintLength: 0, hintLengths: [2] }], [[1]], 1);
  assert.ok(pol3.problemLogits(p).every((x) => x === 0));
  assert.throws(() => pol.update([group], [[1, 2]], 1), ConfigError);
});

Deno.test("SoftmaxPolicy.update with A = r averages to lr·∇a (policy-gradient theorem; 4 SE)", async () => {
  const t = new SimChain({ length: 3, options: 2, numProblems: 1, seed: 6 });
  const base = new SoftmaxPolicy(t, { initScale: 0.5, initCorrectBias: 0.5, seed: 1 });
  const p = t.problem(0);
  const grad = base.successGradient(p);
  const gen = simChainGenerate(base, new Rng(2));
  const n = 20000;
  const [g] = await gen([{ problem: p }], n);
  // One update over n rollouts (normalize "group"): Δθ = lr·mean_i r_i ∇logπ(a_i); per-coordinate SE from the samples.
  const pol = SoftmaxPolicy.fromState(t, base.state);
  pol.update([g], [g.rewards], 1);
  const delta = pol.problemLogits(p).map((x, i) => x - base.problemLogits(p)[i]);
  for (let i = 0; i < 6; i++) {
    let m2 = 0;
    for (let j = 0; j < n; j++) {
      const gl = base.gradLogProb(p, t.decodeActions(g.responses[j]));
      m2 += (g.rewards[j] * gl[i]) ** 2;
    }
    const se = Math.sqrt((m2 / n - delta[i] ** 2) / n);
    close(delta[i], grad[i], 4 * se + 1e-12, `coord ${i}`);
  }
});

Deno.test("simChainGenerate: groups, hints, log-probs, reward rate vs exact (4 SE); state round trip", async () => {
  const t = new SimChain({ length: 6, options: 3, numProblems: 4, seed: 3 });
  const pol = new SoftmaxPolicy(t, { initScale: 1, initCorrectBias: 1.5, seed: 8 });
  const gen = simChainGenerate(pol, new Rng(4));
  const groups = await gen([{ problem: t.problem(0) }, { problem: t.problem(2), hintLength: 3 }], 4000);
  assert.equal(groups.length, 2);
  assert.equal(groups[1].hintLength, 3);
  for (const [gi, g] of groups.entries()) {
    assert.equal(g.responses.length, 4000);
    const a = pol.successProbability(g.problem, g.hintLength);
    const rate = g.rewards.reduce((x, y) => x + y, 0) / 4000;
    close(rate, a, 4 * Math.sqrt(a * (1 - a) / 4000), `group ${gi}`);
    const r0 = g.responses[0];
    assert.equal(r0.length, 7);
    assert.equal(r0[6], t.vocab.eos);
    assert.deepEqual(g.logProbs[0].slice(0, 6), pol.stepLogProbs(g.problem, t.decodeActions(r0)));
    assert.equal(g.rewards[0], t.verify(g.problem, r0));
  }
  for (const r of groups[1].responses) assert.deepEqual(r.slice(0, 3), t.problem(2).solution.slice(0, 3));
  const copy = SoftmaxPolicy.fromState(t, JSON.parse(JSON.stringify(pol.state)));
  assert.equal(copy.successProbability(t.problem(3)), pol.successProbability(t.problem(3)));
  assert.throws(
    () => SoftmaxPolicy.fromState(new SimChain({ length: 5, options: 3, numProblems: 4 }), pol.state),
    ConfigError,
  );
});
