import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import {
  exactAnswerProbabilities,
  exactPassAtK,
  exactPassAtKValues,
  expectedDistinctCorrect,
} from "../lib/estimators/exact_pass_at_k.ts";
import { passAtK } from "../lib/estimators/pass_at_k.ts";
import { SatAssignmentPolicy } from "../lib/policies/sat_assignment.ts";
import { TabularSoftmaxPolicy } from "../lib/policies/tabular.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import {
  AdditionTask,
  ConfidenceAdditionTask,
  evaluateTreePolicy,
  FreeLengthAdditionTask,
  permutationCount,
  PermutationTask,
  sampleTreeMDP,
  SatTask,
  SimChain,
  TreeMDPTask,
} from "../lib/tasks/mod.ts";
import type { Problem, Task } from "../lib/tasks/types.ts";

/** C(n, c) as a float (exact for the small n used here). */
function choose(n: number, c: number): number {
  let r = 1;
  for (let i = 1; i <= c; i++) r = (r * (n - c + i)) / i;
  return r;
}

/** Every token string of length `len` over `alphabet` (odometer order). */
function allStrings(alphabet: readonly number[], len: number): number[][] {
  const out: number[][] = [];
  const idx = new Array(len).fill(0);
  for (;;) {
    out.push(idx.map((i) => alphabet[i]));
    let j = len - 1;
    while (j >= 0 && ++idx[j] === alphabet.length) idx[j--] = 0;
    if (j < 0) return out;
  }
}

Deno.test("exactPassAtK equals the expectation of the unbiased estimator over c ~ Binomial(n, p)", () => {
  for (
    const [n, k, p] of [[10, 1, 0.3], [10, 4, 0.3], [16, 7, 0.05], [20, 20, 0.9], [12, 5, 0], [12, 5, 1]]
  ) {
    let expected = 0;
    for (let c = 0; c <= n; c++) expected += choose(n, c) * p ** c * (1 - p) ** (n - c) * passAtK(n, c, k);
    assert.ok(Math.abs(exactPassAtK([p], k) - expected) < 1e-12, `n=${n} k=${k} p=${p}`);
  }
  // the mean over problems, and the per-k variant
  const ps = [0.1, 0.5, 0.02];
  const mean = (k: number) => ps.reduce((s, p) => s + 1 - (1 - p) ** k, 0) / ps.length;
  assert.ok(Math.abs(exactPassAtK(ps, 3) - mean(3)) < 1e-15);
  const vals = exactPassAtKValues(ps, [1, 8, 1024]);
  [1, 8, 1024].forEach((k, j) => assert.ok(Math.abs(vals[j] - mean(k)) < 1e-12));
  // small p, large k: 1 − (1 − p)^k ≈ k·p without cancellation
  assert.ok(Math.abs(exactPassAtK([1e-12], 1024) / 1024e-12 - 1) < 1e-8);
  assert.throws(() => exactPassAtK([1.2], 1), ConfigError);
  assert.throws(() => exactPassAtK([], 1), ConfigError);
  assert.throws(() => exactPassAtK([0.5], 0), ConfigError);
});

Deno.test("expectedDistinctCorrect equals enumeration of every sample sequence on a 3-answer toy", () => {
  const pi = [0.5, 0.3, 0.15]; // mass 0.05 on wrong answers
  const outcomes = [0, 1, 2, 3]; // 3 = a wrong answer
  const prob = [...pi, 0.05];
  for (const n of [0, 1, 2, 3, 5]) {
    let expected = 0;
    for (const seq of n === 0 ? [[]] : allStrings(outcomes, n)) {
      const w = seq.reduce((s, o) => s * prob[o], 1);
      expected += w * new Set(seq.filter((o) => o < 3)).size;
    }
    assert.ok(Math.abs(expectedDistinctCorrect(pi, n) - expected) < 1e-12, `n=${n}`);
  }
  assert.throws(() => expectedDistinctCorrect([0.5, -0.1], 2), ConfigError);
});

Deno.test("acceptedResponses: each task's set is exactly what its verifier accepts", () => {
  // addition: every digit string of the answer's length + eos, exactly one accepted
  const add = new AdditionTask({ minDigits: 2, maxDigits: 2 });
  const digits = add.vocab.encode("0123456789");
  const q = add.sample(new Rng(4));
  const len = q.solution.length - 1;
  const accepted = allStrings(digits, len).filter((y) => add.verify(q, [...y, add.vocab.eos]) === 1);
  assert.deepEqual(add.acceptedResponses(q), accepted.map((y) => [...y, add.vocab.eos]));
  // permutations: every 4-digit string accepted by verify; count n!/∏ m_d!
  const perm = new PermutationTask({ minDigits: 4, maxDigits: 4 });
  const pq = perm.problem("3141");
  const want = allStrings(perm.vocab.encode("0123456789"), 4).filter((y) => perm.verify(pq, y) === 1);
  const got = perm.acceptedResponses(pq);
  assert.equal(got.length, permutationCount("3141"));
  assert.equal(got.length, 12);
  assert.deepEqual(got.map((y) => y.slice(0, -1).join(",")).sort(), want.map((y) => y.join(",")).sort());
  assert.ok(got.every((y) => y.at(-1) === perm.vocab.eos));
  // SAT: all 2^k bit strings through verify
  const sat = new SatTask({ n: 2, k: 5, l: 6 });
  const sq = sat.sample(new Rng(9));
  const bits = sat.vocab.encode("01");
  const sats = allStrings(bits, 5).filter((y) => sat.verify(sq, y) === 1);
  assert.ok(sats.length >= 1 && sats.length < 32);
  assert.deepEqual(sat.acceptedResponses(sq), sats.map((y) => [...y, sat.vocab.eos]));
  // prefix entries (confidence token, free tokens after the answer): every completion is accepted, the
  // entry without its last token is not
  const conf = new ConfidenceAdditionTask();
  const free = new FreeLengthAdditionTask({ digits: 2 });
  for (const t of [conf, free] as Task<unknown>[]) {
    const p = t.sample(new Rng(2));
    const [entry] = t.acceptedResponses!(p);
    for (let v = 0; v < t.vocab.symbols.length; v++) assert.equal(t.verify(p, [...entry, v, t.vocab.eos]), 1);
    assert.equal(t.verify(p, entry.slice(0, -1)), 0);
  }
  // tree MDP: the paths to the solution leaves
  const tree = sampleTreeMDP(new Rng(3), { depth: 3, minBranch: 2, maxBranch: 3, solutionRate: 0.3 });
  const tt = new TreeMDPTask([tree]);
  const tp = tt.problems()[0];
  const paths = tt.acceptedResponses(tp);
  assert.equal(paths.length, tree.leaves.filter((l) => tree.reward[l] > 0).length);
  assert.ok(paths.every((y) => tt.verify(tp, y) === 1 && tt.verify(tp, y.slice(0, -2)) === 0));
});

Deno.test("exactAnswerProbabilities: a tabular SimChain policy gives the hand-computed product of softmaxes", async () => {
  await useBackend("cpu");
  const task = new SimChain({ length: 2, options: 3, numProblems: 5, seed: 1 });
  // every state's logits (0, ln 2, ln 3): π = (1/6, 2/6, 3/6) at each step, eos forced after step 2
  const logits = new Float32Array(task.numStates * task.maxActions);
  for (let s = 0; s < task.numStates; s++) logits.set([0, Math.log(2), Math.log(3)], s * 3);
  const policy = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
    logits,
  });
  const problems = [0, 1, 2, 3, 4].map((i) => task.problem(i));
  const w = [1 / 6, 2 / 6, 3 / 6];
  const hand = problems.map((q) => {
    const c = (q.meta as { correct: number[] }).correct;
    return w[c[0]] * w[c[1]];
  });
  const tensors0 = tf.memory().numTensors;
  const exact = await exactAnswerProbabilities(policy, task, problems, { batchSize: 2 });
  assert.equal(tf.memory().numTensors, tensors0);
  exact.forEach((e, i) => {
    assert.equal(e.probabilities.length, 1);
    assert.ok(Math.abs(e.success - hand[i]) < 1e-6, `problem ${i}: ${e.success} vs ${hand[i]}`);
  });
  // a cap of L tokens cuts the eos (still accepted); a cap of L − 1 rules the answer out
  const cut = await exactAnswerProbabilities(policy, task, problems, { maxTokens: 2 });
  cut.forEach((e, i) => assert.ok(Math.abs(e.success - hand[i]) < 1e-6));
  const none = await exactAnswerProbabilities(policy, task, problems, { maxTokens: 1 });
  assert.ok(none.every((e) => e.success === 0));
  const k = 5;
  const passK = exactPassAtK(exact.map((e) => e.success), k);
  assert.ok(Math.abs(passK - hand.reduce((s, p) => s + 1 - (1 - p) ** k, 0) / hand.length) < 1e-6);
  policy.dispose();
});

Deno.test("teacher-forced exact pass@k equals the sampled estimator's expectation over every sample outcome", async () => {
  await useBackend("cpu");
  // SimChain L = 1, K = 3: a response is one option; n = 5 samples have 3^5 outcome sequences
  const task = new SimChain({ length: 1, options: 3, numProblems: 2, seed: 4 });
  const logits = Float32Array.from([0.4, -1.1, 0.9, 1.5, 0.2, -0.3]);
  const policy = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
    logits,
  });
  const problems = [task.problem(0), task.problem(1)];
  const exact = await exactAnswerProbabilities(policy, task, problems);
  const table = policy.probabilityTable(); // π(option | problem), softmax on the host
  const n = 5;
  for (const k of [1, 2, 5]) {
    let expected = 0;
    problems.forEach((q, i) => {
      const correct = (q.meta as { correct: number[] }).correct[0];
      for (const seq of allStrings([0, 1, 2], n)) {
        const w = seq.reduce((s, o) => s * table[i * 3 + o], 1);
        expected += (w * passAtK(n, seq.filter((o) => o === correct).length, k)) / problems.length;
      }
    });
    assert.ok(Math.abs(exactPassAtK(exact.map((e) => e.success), k) - expected) < 1e-6, `k=${k}`);
  }
  policy.dispose();
});

Deno.test("exactAnswerProbabilities agrees with the tree MDP's and the SAT policy's own exact evaluations", async () => {
  await useBackend("cpu");
  // tree MDP: reach probabilities of the tabular policy (evaluateTreePolicy) vs teacher forcing
  const rng = new Rng(11);
  const trees = [0, 1, 2].map(() =>
    sampleTreeMDP(rng, { depth: 3, minBranch: 2, maxBranch: 3, solutionRate: 0.4 })
  );
  const tt = new TreeMDPTask(trees);
  const logits = Float32Array.from({ length: tt.numStates * tt.maxActions }, () => rng.normal(0, 1.5));
  const tab = new TabularSoftmaxPolicy(tt, {
    contextLength: tt.maxSequenceLength,
    eos: tt.vocab.eos,
    logits,
  });
  const exact = await exactAnswerProbabilities(tab, tt, tt.problems());
  const table = tab.probabilityTable();
  tt.problems().forEach((q, i) => {
    const ev = evaluateTreePolicy(trees[i], tt.childPolicy(q, table));
    assert.ok(Math.abs(exact[i].success - ev.successProbability) < 1e-5, `tree ${i}`);
    assert.ok(Math.abs(expectedDistinctCorrect(exact[i].probabilities, 64) - ev.expectedDistinct(64)) < 1e-4);
  });
  tab.dispose();
  // SAT: the feature policy's recursive enumeration (successProbability) vs teacher forcing all 2^k assignments
  const sat = new SatTask({ n: 3, k: 6, l: 8 });
  const problems = [1, 2, 3].map((s) => sat.sample(new Rng(s)));
  const policy = new SatAssignmentPolicy({ init: [0.8, -0.3, 1.2, -0.9, 0.4, -1.5], contextLength: 64 });
  const viaTf = await exactAnswerProbabilities(policy, sat, problems, { batchSize: 7 });
  problems.forEach((q, i) => assert.ok(Math.abs(viaTf[i].success - policy.successProbability(q)) < 1e-5));
  policy.dispose();
});

Deno.test("exactAnswerProbabilities: a tiny transformer's exact answer distribution matches sampling (binomial bound)", async () => {
  await useBackend("cpu");
  const task = new PermutationTask({ minDigits: 2, maxDigits: 3 });
  const model = new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    seed: 7,
  });
  // bias the head toward the digits 1, 2 and eos so accepted responses carry visible mass
  const w = await model.getWeights();
  for (const t of [...task.vocab.encode("12"), task.vocab.eos]) w["head.b"].data[t] = 5;
  model.setWeights(w);
  const problems = [task.problem("12"), task.problem("21"), task.problem("112")];
  const room = model.config.contextLength - 5; // the longest prompt: bos + 3 digits + "="
  const exact = await exactAnswerProbabilities(model, task, problems, { maxTokens: room });
  const N = 2500;
  const out = await model.sample(problems.flatMap((q) => Array.from({ length: N }, () => q.prompt)), {
    maxTokens: room,
    seed: 100,
    eos: task.vocab.eos,
  });
  for (const [i, q] of problems.entries()) {
    const byAnswer = new Map<string, number>();
    let hits = 0;
    for (const y of out.responses.slice(i * N, (i + 1) * N)) {
      if (task.verify(q, y) !== 1) continue;
      hits++;
      const key = task.vocab.untilEos(y).join(",");
      byAnswer.set(key, (byAnswer.get(key) ?? 0) + 1);
    }
    const check = (count: number, p: number, what: string) => {
      const sd = Math.sqrt(N * p * (1 - p));
      assert.ok(Math.abs(count - N * p) <= 4.5 * sd + 1, `${q.text.prompt} ${what}: ${count} vs ${N * p}`);
    };
    check(hits, exact[i].success, "accepted");
    exact[i].responses.forEach((a, j) =>
      check(byAnswer.get(a.slice(0, -1).join(",")) ?? 0, exact[i].probabilities[j], `answer ${a}`)
    );
    assert.ok(
      exact[i].probabilities.every((p) => p > 0.01),
      "the biased head gives every answer visible mass",
    );
  }
  model.dispose();
});

Deno.test("exactAnswerProbabilities: clear errors for tasks without an accepted set or with overlapping entries", async () => {
  await useBackend("cpu");
  const add = new AdditionTask({ minDigits: 1, maxDigits: 1 });
  const model = new TinyTransformer({
    vocabSize: add.vocab.size,
    contextLength: add.maxSequenceLength,
    dModel: 8,
    nLayers: 1,
    nHeads: 1,
    seed: 1,
  });
  const q: Problem = add.problem(3, 4);
  const noSet: Task = {
    name: "open",
    vocab: add.vocab,
    maxSequenceLength: 8,
    sample: () => q,
    verify: () => 1,
  };
  await assert.rejects(() => exactAnswerProbabilities(model, noSet, [q]), ConfigError);
  const overlapping: Task = { ...noSet, acceptedResponses: () => [[1, 2], [1, 2, 3]] };
  await assert.rejects(() => exactAnswerProbabilities(model, overlapping, [q]), /prefix-free/);
  await assert.rejects(() => exactAnswerProbabilities(model, add, []), ConfigError);
  // the single-answer success equals exp(Σ log π) read from the model's own per-token log-probs
  const [e] = await exactAnswerProbabilities(model, add, [q]);
  const [lp] = await model.logProbs([[...q.prompt, ...q.solution]]);
  const tail = lp.slice(lp.length - q.solution.length);
  assert.ok(Math.abs(e.success - Math.exp(tail.reduce((s, x) => s + x, 0))) < 1e-6);
  model.dispose();
});
