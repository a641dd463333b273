import assert from "node:assert/strict";
import { SimChain } from "../lib/tasks/chain.ts";
import { TabularSoftmaxPolicy } from "../lib/policies/tabular.ts";
import { tf } from "../lib/core/tf.ts";
import type { Tensor2D } from "../lib/core/tf.ts";
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

/** A tabular policy over a SimChain pool from the task's initial logits. */
function tabular(t: SimChain, init = { initScale: 0, initCorrectBias: 0, seed: 0 }) {
  return new TabularSoftmaxPolicy(t, {
    contextLength: t.maxSequenceLength,
    eos: t.vocab.eos,
    logits: t.initialLogits(init),
  });
}

Deno.test("SimChain tabular states: state = index·L + step on option positions, null on the prompt and eos", () => {
  const t = new SimChain({ length: 3, options: 4, numProblems: 12, seed: 2 });
  const p = t.problem(11); // two-digit index: "11:3="
  const seq = [...p.prompt, ...p.solution];
  const P = p.prompt.length;
  for (let i = 1; i < P; i++) assert.equal(t.decision(seq, i), null);
  for (let j = 0; j < 3; j++) {
    const d = t.decision(seq, P + j)!;
    assert.equal(d.state, 11 * 3 + j);
    assert.deepEqual(d.actions, [0, 1, 2, 3].map((o) => t.optionToken(o)));
  }
  assert.equal(t.decision(seq, P + 3), null); // the eos after step L − 1
  assert.equal(t.numStates, 36);
  assert.equal(t.maxActions, 4);
});

Deno.test("TabularSoftmaxPolicy on SimChain: closed forms, exact success vs Monte Carlo (4 SE), greedy", async () => {
  const t = new SimChain({ length: 4, options: 3, numProblems: 3, seed: 1 });
  const uniform = tabular(t);
  const u = uniform.probabilityTable();
  for (let h = 0; h <= 5; h++) {
    close(t.successProbability(t.problem(0), u, h), 3 ** -Math.max(0, 4 - h), 1e-12);
  }
  const init = { initScale: 1, initCorrectBias: 1, seed: 3 };
  const pol = tabular(t, init);
  const p = t.problem(1);
  const m = t.meta(p);
  const theta = t.initialLogits(init);
  // Product of per-step correct probabilities, computed here from the raw logits.
  const direct = (h: number) => {
    let a = 1;
    for (let s = h; s < 4; s++) {
      const e = Array.from(theta.slice((1 * 4 + s) * 3, (1 * 4 + s) * 3 + 3), Math.exp);
      a *= e[m.correct[s]] / e.reduce((x, y) => x + y, 0);
    }
    return a;
  };
  const probs = pol.probabilityTable();
  for (let h = 0; h <= 4; h++) close(t.successProbability(p, probs, h), direct(h), 1e-6); // float32 table
  for (const h of [0, 2]) {
    const n = 4000;
    const out = await pol.sample(Array(n).fill(p.prompt), {
      maxTokens: 10,
      seed: 5 + h,
      forced: Array(n).fill(p.solution.slice(0, h)),
    });
    let wins = 0;
    out.responses.forEach((y, i) => {
      assert.equal(y.length, 5);
      assert.equal(y[4], t.vocab.eos);
      assert.deepEqual(y.slice(0, h), p.solution.slice(0, h));
      assert.equal(out.logProbs[i][4], 0);
      wins += t.verify(p, y);
    });
    const a = direct(h);
    close(wins / n, a, 4 * Math.sqrt(a * (1 - a) / n), `h=${h}`);
  }
  // Greedy picks the highest logit per step.
  const [g] = await pol.greedy([p.prompt], { maxTokens: 10 });
  for (let s = 0; s < 4; s++) {
    const row = Array.from(theta.slice((4 + s) * 3, (4 + s) * 3 + 3));
    assert.equal(t.tokenOption(g[s]), row.indexOf(Math.max(...row)));
  }
  uniform.dispose();
  pol.dispose();
});

Deno.test("TabularSoftmaxPolicy: tokenLogProbs and its gradient match log π and onehot(a) − π (left padding)", () => {
  const t = new SimChain({ length: 3, options: 4, numProblems: 12, seed: 2 });
  const init = { initScale: 0.8, initCorrectBias: 0, seed: 9 };
  const pol = tabular(t, init);
  const theta = t.initialLogits(init);
  const pi = (state: number) => {
    const e = Array.from(theta.slice(state * 4, state * 4 + 4), Math.exp);
    const z = e.reduce((x, y) => x + y, 0);
    return e.map((x) => x / z);
  };
  const rows = [
    { index: 1, actions: [2, 0, 3] },
    { index: 11, actions: [1, 1, 0] },
  ];
  const seqs = rows.map((r) => [...t.problem(r.index).prompt, ...t.encodeActions(r.actions)]);
  const T = Math.max(...seqs.map((x) => x.length));
  const tokens = seqs.map((x) => [...Array(T - x.length).fill(t.vocab.pad), ...x]);
  const valid = seqs.map((x) => [...Array(T - x.length).fill(0), ...Array(x.length).fill(1)]);
  const tk = tf.tensor2d(tokens, undefined, "int32") as Tensor2D;
  const vd = tf.tensor2d(valid) as Tensor2D;
  const { logProbs, entropy } = pol.tokenLogProbs(tk, vd);
  const lp = logProbs.arraySync() as number[][];
  const ent = entropy.arraySync() as number[][];
  rows.forEach((r, b) => {
    const start = T - seqs[b].length + t.problem(r.index).prompt.length; // first response token
    for (let t2 = 0; t2 < T - 1; t2++) {
      const j = t2 + 1 - start;
      if (j >= 0 && j < 3) {
        const q = pi(r.index * 3 + j);
        close(lp[b][t2], Math.log(q[r.actions[j]]), 1e-5);
        close(ent[b][t2], -q.reduce((s, x) => s + x * Math.log(x), 0), 1e-5);
      } else {
        close(lp[b][t2], 0, 0);
        close(ent[b][t2], 0, 0);
      }
    }
  });
  // ∂ Σ log π / ∂θ_s = onehot(a_s) − π_s on the visited states, 0 elsewhere.
  const { grads } = tf.variableGrads(() => tf.sum(pol.tokenLogProbs(tk, vd).logProbs) as tf.Scalar);
  const g = grads[pol.variables[0].name].dataSync();
  const expected = new Float64Array(36 * 4);
  rows.forEach((r) =>
    r.actions.forEach((a, j) => {
      const s = r.index * 3 + j;
      pi(s).forEach((q, k) => expected[s * 4 + k] += (k === a ? 1 : 0) - q);
    })
  );
  expected.forEach((e, i) => close(g[i], e, 1e-5, `θ[${i}]`));
  tf.dispose([tk, vd, logProbs, entropy, grads[pol.variables[0].name]]);
  pol.dispose();
});

Deno.test("policy-gradient theorem on the tabular policy: mean r·∇Σlog π over samples = ∇a = a(onehot(c_s) − π_s) (4 SE)", async () => {
  const t = new SimChain({ length: 2, options: 3, numProblems: 1, seed: 4 });
  const init = { initScale: 0.5, initCorrectBias: 0.5, seed: 1 };
  const pol = tabular(t, init);
  const p = t.problem(0);
  const m = t.meta(p);
  const probs = pol.probabilityTable();
  const a = t.successProbability(p, probs);
  const n = 6000;
  const out = await pol.sample(Array(n).fill(p.prompt), { maxTokens: 5, seed: 2 });
  // Per-sample score function r_i·(onehot(a_s) − π_s), summed by autodiff through tokenLogProbs.
  const seqs = out.responses.map((y) => [...p.prompt, ...y]);
  const tk = tf.tensor2d(seqs, undefined, "int32") as Tensor2D;
  const r = tf.tensor1d(out.responses.map((y) => t.verify(p, y)));
  const { grads } = tf.variableGrads(() =>
    tf.div(tf.sum(tf.mul(tf.sum(pol.tokenLogProbs(tk).logProbs, 1), r)), n) as tf.Scalar
  );
  const g = grads[pol.variables[0].name].dataSync();
  for (let s = 0; s < 2; s++) {
    for (let k = 0; k < 3; k++) {
      const truth = a * ((k === m.correct[s] ? 1 : 0) - probs[s * 3 + k]);
      // |r·(onehot − π)| ≤ 1, so 4·sqrt(1/n) bounds 4 standard errors.
      close(g[s * 3 + k], truth, 4 / Math.sqrt(n), `∇a[${s},${k}]`);
    }
  }
  tf.dispose([tk, r, grads[pol.variables[0].name]]);
  pol.dispose();
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
      const pol = tabular(t, { initScale: 1.5, initCorrectBias: 0, seed: rng.int(1e9) });
      const prob = t.problem(0);
      const pi = Array.from(pol.probabilityTable());
      const a = t.successProbability(prob, pi);
      const c = t.meta(prob).correct[0];
      const ga = pi.map((q, k) => a * ((k === c ? 1 : 0) - q)); // ∇_θ a for a = softmax(θ)_c
      pol.dispose();
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
