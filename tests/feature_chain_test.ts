/** FeatureChain (Task), LinearSoftmaxPolicy (tfjs SequencePolicy) and the FixedHintRate / BandMixture curricula. */
import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import type { Tensor2D } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { BandMixture, FixedHintRate } from "../lib/curricula/mod.ts";
import type { CurriculumContext, GenerateFn, RolloutRequest } from "../lib/curricula/types.ts";
import { buildFeatureChain, LinearSoftmaxPolicy } from "../lib/policies/linear_softmax.ts";
import { FeatureChain } from "../lib/tasks/feature_chain.ts";
import type { Problem } from "../lib/tasks/types.ts";
import { packSequences } from "../lib/train/rollouts.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";

const task = new FeatureChain({ dim: 5, options: 3, minLength: 1, maxLength: 5, seed: 7 });
const pool = task.pool("test", 40);
const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);

/** Hand softmax of W x (W K×o row-major, x from `off`, first o features). */
function handProbs(W: ArrayLike<number>, K: number, o: number, x: ArrayLike<number>, off: number): number[] {
  const z = Array.from({ length: K }, (_, k) => {
    let v = 0;
    for (let j = 0; j < o; j++) v += W[k * o + j] * x[off + j];
    return v;
  });
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

// ------------------------------------------------------------------------------------------------ task

Deno.test("FeatureChain: c_s = argmax_k (M x_s)_k; prompt names the problem; verify accepts exactly the solution", () => {
  const { dim: d, options: K } = task.config;
  for (const q of pool) {
    const m = task.meta(q);
    assert.equal(q.difficulty, m.length);
    for (let s = 0; s < m.length; s++) {
      const scores = Array.from({ length: K }, (_, k) => {
        let v = 0;
        for (let j = 0; j < d; j++) v += task.teacher[k * d + j] * m.features[s * d + j];
        return v;
      });
      assert.equal(m.correct[s], scores.indexOf(Math.max(...scores)));
    }
    assert.equal(task.problemOfPrompt(q.prompt), q);
    const letters = q.solution.slice(0, m.length);
    assert.equal(task.verify(q, letters), 1);
    assert.equal(task.verify(q, q.solution), 1); // letters + eos
    assert.equal(task.verify(q, letters.slice(0, -1)), 0);
    const wrong = letters.slice();
    wrong[0] = task.optionBase + (m.correct[0] + 1) % K;
    assert.equal(task.verify(q, wrong), 0);
    assert.equal(q.solution.length, m.length + 1);
    assert.equal(q.solution[m.length], task.vocab.eos);
    assert.ok(q.prompt.length + q.solution.length <= task.maxSequenceLength);
  }
});

Deno.test("FeatureChain: pools are deterministic in (seed, name, index), sample stays inside [start, start + size)", () => {
  const again = new FeatureChain({ dim: 5, options: 3, minLength: 1, maxLength: 5, seed: 7 });
  again.pool("other", 3); // different creation order: only serials differ
  const q = again.problemAt("test", 11);
  assert.deepEqual(again.meta(q).features, task.meta(pool[11]).features);
  assert.equal(q.id, pool[11].id);
  assert.equal(task.problemAt("test", 11), pool[11]); // cached
  const rng = new Rng(3);
  const seen = new Map<number, number>();
  for (let i = 0; i < 2000; i++) {
    const p = task.sample(rng, { pool: "test", start: 10, size: 5 });
    const idx = task.meta(p).index;
    assert.ok(idx >= 10 && idx < 15);
    seen.set(idx, (seen.get(idx) ?? 0) + 1);
  }
  for (const n of seen.values()) close(n / 2000, 0.2, 4 * Math.sqrt(0.16 / 2000), "uniform share");
  assert.throws(() => task.sample(rng, { size: 0 }), ConfigError);
  assert.throws(() => task.sample(rng, { nope: 1 } as never), ConfigError);
  assert.throws(() => new FeatureChain({ options: 30 }), ConfigError);
  assert.throws(() => task.problemOfPrompt([task.vocab.bos, ...task.vocab.encode("99999:3=")]), ConfigError);
});

// ---------------------------------------------------------------------------------------------- policy

Deno.test("LinearSoftmaxPolicy: W = 10⁴·M solves every problem; W = 0 gives a = (1/K)^(L − h); pass@k closed form", () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 1e4 });
  assert.ok(Math.min(...pool.map((q) => p.successProbability(q))) > 0.9);
  const zero = new LinearSoftmaxPolicy(task);
  for (const q of pool.slice(0, 10)) {
    const L = task.meta(q).length;
    for (let h = 0; h <= L + 1; h++) {
      close(zero.successProbability(q, h), (1 / 3) ** Math.max(0, L - h), 1e-12);
    }
    close(zero.passAtK(q, 5), 1 - (1 - (1 / 3) ** L) ** 5, 1e-12);
  }
  p.dispose();
  zero.dispose();
});

Deno.test("LinearSoftmaxPolicy: success probability = product of per-step probabilities of the hand softmax of W·x", () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 0.7, initNoise: 0.5, seed: 3, observed: 3 });
  const W = p.weights();
  for (const q of pool.slice(0, 12)) {
    const m = task.meta(q);
    for (let h = 0; h <= m.length; h++) {
      let a = 1;
      for (let s = h; s < m.length; s++) a *= handProbs(W, 3, 3, m.features, s * 5)[m.correct[s]];
      close(p.successProbability(q, h), a, 1e-12, `h=${h}`);
    }
  }
  p.dispose();
});

/** A packed batch of (problem, response, hint) rows as the trainer builds it. */
function packed(rows: { q: Problem; y: number[]; h: number }[]) {
  const b = packSequences(
    rows.map((r) => r.q.prompt),
    rows.map((r) => r.y),
    rows.map((r) => r.h),
    task.vocab.pad,
  );
  return {
    b,
    tokens: tf.tensor2d(b.tokens, [b.N, b.L], "int32") as Tensor2D,
    valid: tf.tensor2d(b.valid, [b.N, b.L]) as Tensor2D,
  };
}

Deno.test("LinearSoftmaxPolicy.tokenLogProbs: log softmax(W x_s)[a_s] at each letter, 0 at eos, prompt and padding", async () => {
  for (const observed of [null, 2]) {
    const p = new LinearSoftmaxPolicy(task, { initSignal: 0.8, initNoise: 0.4, seed: 5, observed });
    const o = p.observed;
    const W = p.weights();
    const qs = [pool.find((q) => task.meta(q).length === 1)!, pool.find((q) => task.meta(q).length >= 4)!];
    const rows = qs.map((q, i) => ({
      q,
      y: [...task.meta(q).correct.map((c, s) => task.optionBase + (c + s + i) % 3), task.vocab.eos],
      h: i,
    }));
    const { b, tokens, valid } = packed(rows);
    const { logProbs, entropy } = p.tokenLogProbs(tokens, valid);
    const lp = await logProbs.data(), ent = await entropy.data();
    rows.forEach(({ q, y }, i) => {
      const m = task.meta(q);
      const start = b.L - q.prompt.length - y.length + q.prompt.length; // response token 0 position
      for (let t = 0; t < b.L - 1; t++) {
        const s = t + 1 - start; // response token index predicted at target t
        if (s >= 0 && s < m.length) {
          const pr = handProbs(W, 3, o, m.features, s * 5);
          close(lp[i * (b.L - 1) + t], Math.log(pr[y[s] - task.optionBase]), 1e-5, `row ${i} step ${s}`);
          close(ent[i * (b.L - 1) + t], -pr.reduce((a, v) => a + v * Math.log(v), 0), 1e-5, "entropy");
        } else {
          assert.equal(lp[i * (b.L - 1) + t], 0);
          assert.equal(ent[i * (b.L - 1) + t], 0);
        }
      }
    });
    tf.dispose([tokens, valid, logProbs, entropy]);
    p.dispose();
  }
});

Deno.test("LinearSoftmaxPolicy: ∇_W Σ_s log π(a_s|x_s) = Σ_s (e_{a_s} − π_s) x_sᵀ (tf gradient vs closed form and finite differences)", () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 0.5, initNoise: 0.5, seed: 9 });
  const W = p.weights();
  const q = pool.find((x) => task.meta(x).length >= 3)!;
  const m = task.meta(q);
  const y = [...m.correct.map((c, s) => task.optionBase + (s % 2 ? c : (c + 1) % 3)), task.vocab.eos];
  const { b, tokens, valid } = packed([{ q, y, h: 1 }]);
  const mask = tf.tensor2d(b.mask, [b.N, b.L - 1]);
  const { grads, value } = tf.variableGrads(
    () => tf.sum(tf.mul(p.tokenLogProbs(tokens, valid).logProbs, mask)) as tf.Scalar,
    [p.W],
  );
  const got = grads[p.W.name].dataSync();
  const want = new Float64Array(15);
  for (let s = 1; s < m.length; s++) { // hint h = 1: step 0 is masked out
    const pr = handProbs(W, 3, 5, m.features, s * 5);
    const a = y[s] - task.optionBase;
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 5; j++) want[k * 5 + j] += ((k === a ? 1 : 0) - pr[k]) * m.features[s * 5 + j];
    }
  }
  want.forEach((w, i) => close(got[i], w, 1e-4, `dW[${i}]`));
  // …and both agree with central finite differences of the masked Σ log π (float32 forward, ε = 1e-2).
  const f = (w: number[]) => {
    p.setWeights({ observed: 5, W: w });
    return tf.tidy(() => tf.sum(tf.mul(p.tokenLogProbs(tokens, valid).logProbs, mask)).dataSync()[0]);
  };
  const base = Array.from(W);
  for (let i = 0; i < 15; i++) {
    const up = base.slice(), dn = base.slice();
    up[i] += 1e-2;
    dn[i] -= 1e-2;
    close((f(up) - f(dn)) / 2e-2, want[i], 2e-3, `finite difference dW[${i}]`);
  }
  tf.dispose([tokens, valid, mask, value, grads[p.W.name]]);
  p.dispose();
});

Deno.test("LinearSoftmaxPolicy.sample: hints forced, all-correct frequency ≈ exact a (4 SE); greedy = argmax", async () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 0.8, initNoise: 0.3, seed: 5 });
  const W = p.weights();
  const q = pool.find((x) => task.meta(x).length === 3)!;
  const m = task.meta(q);
  for (const h of [0, 1]) {
    const a = p.successProbability(q, h);
    const N = 4000;
    const prompts = Array.from({ length: N }, () => q.prompt);
    const forced = prompts.map(() => q.solution.slice(0, h));
    const out = await p.sample(prompts, { maxTokens: 10, seed: 11 + h, forced });
    let hits = 0;
    for (const y of out.responses) {
      assert.deepEqual(y.slice(0, h), q.solution.slice(0, h));
      assert.equal(y.length, 4);
      hits += task.verify(q, y);
    }
    close(hits / N, a, 4 * Math.sqrt(a * (1 - a) / N) + 1e-9, `h=${h}`);
    const lp0 = out.logProbs[0];
    close(lp0[0], Math.log(handProbs(W, 3, 5, m.features, 0)[out.responses[0][0] - task.optionBase]), 1e-9);
  }
  const [g] = await p.greedy([q.prompt], { maxTokens: 10 });
  for (let s = 0; s < 3; s++) {
    const pr = handProbs(W, 3, 5, m.features, s * 5);
    assert.equal(g[s] - task.optionBase, pr.indexOf(Math.max(...pr)));
  }
  // same seed, same tokens
  const a1 = await p.sample([q.prompt, q.prompt], { maxTokens: 10, seed: 4 });
  const a2 = await p.sample([q.prompt, q.prompt], { maxTokens: 10, seed: 4 });
  assert.deepEqual(a1.responses, a2.responses);
  p.dispose();
});

Deno.test("LinearSoftmaxPolicy: KL(π‖π) = 0 and equals the hand sum of per-step KLs; clone and weights round-trip", async () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 0.5, initNoise: 0.5, seed: 2 });
  const c = await p.clone();
  const q = pool.find((x) => task.meta(x).length >= 3)!;
  assert.equal(p.klTo(c, q), 0);
  const w = await p.getWeights();
  p.setWeights({ ...w, W: w.W.map((v, i) => v + (i % 3 ? 0.3 : -0.2)) });
  const P = p.weights(), Q = c.weights(), m = task.meta(q);
  let kl = 0;
  for (let s = 1; s < m.length; s++) {
    const a = handProbs(P, 3, 5, m.features, s * 5), b = handProbs(Q, 3, 5, m.features, s * 5);
    for (let k = 0; k < 3; k++) kl += a[k] * Math.log(a[k] / b[k]);
  }
  close(p.klTo(c, q, 1), kl, 1e-12);
  assert.deepEqual(Array.from(c.weights()), w.W); // the clone is independent
  assert.throws(() => p.setWeights({ observed: 5, W: [1] }), ConfigError);
  assert.throws(() => new LinearSoftmaxPolicy(task, { observed: 6 }), ConfigError);
  p.dispose();
  c.dispose();
});

Deno.test("RLVRTrainer on FeatureChain + LinearSoftmaxPolicy: first Adam step = −lr·sign(∂loss/∂W); no tensor leaks; same seed → same weights", async () => {
  const setup = {
    dim: 4,
    options: 3,
    minLength: 1,
    maxLength: 4,
    initSignal: 0.5,
    initNoise: 0.5,
    trainProblems: 32,
    heldoutProblems: 8,
  };
  const run = async (steps: number) => {
    const { task: t, trainOptions, policy } = buildFeatureChain(setup, 11);
    const trainer = new RLVRTrainer({
      policy,
      task: t,
      sampleOptions: trainOptions,
      config: { seed: 5, batchSize: 4, groupSize: 8, lr: 0.01, maxGradNorm: null },
    });
    const w0 = policy.weights();
    await trainer.trainStep();
    const w1 = policy.weights();
    const n0 = tf.memory().numTensors;
    for (let i = 1; i < steps; i++) await trainer.trainStep();
    const leak = tf.memory().numTensors - n0;
    const w = policy.weights();
    trainer.dispose();
    policy.dispose();
    return { w0, w1, w, leak };
  };
  const a = await run(4), b = await run(4);
  assert.equal(a.leak, 0);
  assert.deepEqual(Array.from(a.w), Array.from(b.w));
  // Adam's first step moves every weight with a nonzero gradient by lr (m̂/√v̂ = sign(g)) up to ε.
  for (let i = 0; i < a.w0.length; i++) {
    const step = Math.abs(a.w1[i] - a.w0[i]);
    assert.ok(step < 1e-9 || Math.abs(step - 0.01) < 1e-5, `|ΔW[${i}]| = ${step}`);
  }
  assert.ok(a.w0.some((v, i) => v !== a.w1[i]));
});

// ------------------------------------------------------------------------------------------- curricula

/** generate: problem j's group has pass rate passOf(j) exactly (round(p·G) successes). */
function fakeGenerate(passOf: (q: Problem) => number, log: RolloutRequest[]): GenerateFn {
  return (reqs, G) => {
    log.push(...reqs);
    return Promise.resolve(reqs.map((r) => {
      const k = Math.round(passOf(r.problem) * G);
      const rewards = Array.from({ length: G }, (_, i) => (i < k ? 1 : 0));
      return {
        problem: r.problem,
        hintLength: r.hintLength ?? 0,
        responses: rewards.map(() => [1]),
        logProbs: rewards.map(() => [0]),
        rewards,
      };
    }));
  };
}

function ctx(generate: GenerateFn, B: number, G: number): CurriculumContext {
  return {
    step: 0,
    rng: new Rng(1),
    batchSize: B,
    groupSize: G,
    sampleProblem: (r) => pool[r.int(pool.length)],
    generate,
  };
}

Deno.test("FixedHintRate: h = round(p·|y|) on every rollout, G rollouts per problem, rollouts counted", async () => {
  for (const p of [0, 0.5, 1]) {
    const log: RolloutRequest[] = [];
    const cur = new FixedHintRate({ hintRate: p });
    const batch = await cur.nextBatch(ctx(fakeGenerate(() => 0.5, log), 6, 4));
    assert.equal(batch.groups.length, 6);
    assert.equal(batch.rolloutsGenerated, 24);
    for (const r of log) assert.equal(r.hintLength, Math.round(p * r.problem.solution.length));
    const rate = log.reduce((t, r) => t + r.hintLength! / r.problem.solution.length, 0) / log.length;
    close(batch.stats.meanHintRate, rate, 1e-12);
  }
  const fixedG = await new FixedHintRate({ groupSize: 3 }).nextBatch(ctx(fakeGenerate(() => 1, []), 2, 8));
  assert.equal(fixedG.rolloutsGenerated, 6);
  assert.throws(() => new FixedHintRate({ hintRate: 1.5 }), ConfigError);
});

Deno.test("BandMixture: round(λB) band groups + the rest unfiltered; gives up after maxRounds·B tries", async () => {
  // pass rate 0.5 (in band) for even problem indices, 0 for odd.
  const passOf = (q: Problem) => (task.meta(q).index % 2 === 0 ? 0.5 : 0);
  for (const fraction of [0, 0.25, 1]) {
    const log: RolloutRequest[] = [];
    const batch = await new BandMixture({ fraction }).nextBatch(ctx(fakeGenerate(passOf, log), 8, 4));
    const nBand = Math.round(fraction * 8);
    assert.equal(batch.groups.length, 8);
    assert.equal(batch.stats.bandGroups, nBand);
    assert.equal(batch.rolloutsGenerated, log.length * 4);
    // the last nBand groups are in the band; the first 8 − nBand are the first draws, unfiltered
    for (const g of batch.groups.slice(8 - nBand)) assert.equal(passOf(g.problem), 0.5);
    assert.deepEqual(
      batch.groups.slice(0, 8 - nBand).map((g) => g.problem),
      log.slice(0, 8 - nBand).map((r) => r.problem),
    );
  }
  const none = await new BandMixture({ fraction: 1, maxRounds: 2 }).nextBatch(
    ctx(fakeGenerate(() => 0, []), 4, 4),
  );
  assert.equal(none.groups.length, 0);
  assert.equal(none.rolloutsGenerated, 2 * 4 * 4);
  const drawn = await new BandMixture().nextBatch(ctx(fakeGenerate(() => 0.5, []), 8, 4));
  const lambda = new Rng(1).uniform(); // λ is the context rng's first draw
  close(drawn.stats.bandFraction, lambda, 0);
  assert.throws(() => new BandMixture({ low: 0.9, high: 0.1 }), ConfigError);
});
