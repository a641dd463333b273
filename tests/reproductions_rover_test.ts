import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { passAtK } from "../lib/estimators/pass_at_k.ts";
import {
  evaluateTreePolicy,
  greedyWorstCaseValue,
  optimalValues,
  reachProbabilities,
  sampleTreeMDP,
  softmaxPolicy,
  type TreeMDP,
  TreeMDPTask,
  uniformPolicyValues,
} from "../lib/tasks/tree_mdp.ts";
import { TabularSoftmaxPolicy } from "../lib/policies/tabular.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";
import { claimsMarkdown, runReproduction, selectRows, VERDICTS } from "../mod.ts";
import { rover } from "../reproductions/mod.ts";

/** Build a tree from nested arrays: a number is a leaf reward, an array an internal node's children. */
type Spec = number | Spec[];
function buildTree(spec: Spec): TreeMDP {
  const childStart: number[] = [];
  const childCount: number[] = [];
  const parent: number[] = [];
  const depth: number[] = [];
  const reward: number[] = [];
  const specs: Spec[] = [spec];
  parent.push(-1);
  depth.push(0);
  for (let head = 0; head < specs.length; head++) {
    const s = specs[head];
    if (typeof s === "number") {
      childStart[head] = -1;
      childCount[head] = 0;
      reward[head] = s;
      continue;
    }
    childStart[head] = specs.length;
    childCount[head] = s.length;
    reward[head] = 0;
    for (const c of s) {
      specs.push(c);
      parent.push(head);
      depth.push(depth[head] + 1);
    }
  }
  const leaves = childCount.map((b, i) => (b === 0 ? i : -1)).filter((i) => i >= 0);
  return {
    size: specs.length,
    childStart: Int32Array.from(childStart),
    childCount: Int32Array.from(childCount),
    parent: Int32Array.from(parent),
    depth: Int32Array.from(depth),
    reward: Float64Array.from(reward),
    leaves,
  };
}

// root → A = [1, 0], B = [0, 0, 0]; ids: 0 root, 1 A, 2 B, 3–4 A's leaves, 5–7 B's leaves.
const SMALL: Spec = [[1, 0], [0, 0, 0]];

Deno.test("tree MDP: uniform-policy and optimal values match hand computation", () => {
  const t = buildTree(SMALL);
  const vu = uniformPolicyValues(t);
  assert.equal(vu[1], 0.5);
  assert.equal(vu[2], 0);
  assert.equal(vu[0], 0.25);
  const vs = optimalValues(t);
  assert.deepEqual([vs[0], vs[1], vs[2]], [1, 1, 0]);
  // Greedy on Q^u: root picks A (0.5 > 0), A picks the leaf with reward 1.
  assert.equal(greedyWorstCaseValue(t, vu), 1);
});

Deno.test("tree MDP: graded rewards break greedy-Q^u (hand counterexample), binary rewards never do", () => {
  // A = [0.9, 0] has mean 0.45 < B = [0.5, 0.5] mean 0.5: greedy picks B and gets 0.5 < V* = 0.9.
  const t = buildTree([[0.9, 0], [0.5, 0.5]]);
  assert.equal(optimalValues(t)[0], 0.9);
  assert.equal(greedyWorstCaseValue(t, uniformPolicyValues(t)), 0.5);
  // Worst-case tie-break: two children with equal score but different returns → the lower one.
  const tie = buildTree([1, 0]);
  assert.equal(greedyWorstCaseValue(tie, [0, 0.5, 0.5]), 0);
  // Theorem 3.1 on random binary trees; V* checked by brute force (max leaf reward in a deterministic tree).
  const rng = new Rng(7);
  for (let i = 0; i < 300; i++) {
    const tree = sampleTreeMDP(rng.split(i), {
      depth: 1 + (i % 6),
      minBranch: 1,
      maxBranch: 4,
      solutionRate: 0.1,
    });
    const best = Math.max(...tree.leaves.map((l) => tree.reward[l]));
    assert.equal(best, 1, "at least one solution is forced");
    assert.equal(greedyWorstCaseValue(tree, uniformPolicyValues(tree)), best, `tree ${i}`);
  }
});

Deno.test("tree MDP: softmax policy, reach probabilities, exact pass@k and distinct solutions", () => {
  const t = buildTree(SMALL);
  const uniform = softmaxPolicy(t, new Float64Array(t.size));
  const reach = reachProbabilities(t, uniform);
  assert.ok(Math.abs(reach[3] - 0.25) < 1e-15 && Math.abs(reach[5] - 1 / 6) < 1e-15);
  const e = evaluateTreePolicy(t, uniform);
  assert.equal(e.successProbability, 0.25);
  assert.equal(e.solutions, 1);
  assert.ok(Math.abs(e.passAtK(2) - (1 - 0.75 ** 2)) < 1e-15);
  assert.ok(Math.abs(e.expectedDistinct(3) - (1 - 0.75 ** 3)) < 1e-15);
  // Two solutions with reach 1/4 and 1/6: E[distinct in n] = Σ 1 − (1 − q)^n.
  const two = buildTree([[1, 0], [1, 0, 0]]);
  const e2 = evaluateTreePolicy(two, softmaxPolicy(two, new Float64Array(two.size)));
  assert.ok(Math.abs(e2.expectedDistinct(4) - (2 - 0.75 ** 4 - (5 / 6) ** 4)) < 1e-12);
  // Temperature: logits [1, 0] at ρ = 0.5 → p = e²/(e² + 1).
  const p = softmaxPolicy(buildTree([1, 0]), [0, 1, 0], 0.5);
  assert.ok(Math.abs(p[1] - Math.exp(2) / (Math.exp(2) + 1)) < 1e-12);
});

Deno.test("TreeMDPTask: prompts, states at the nodes, rewards, reference path; tabular samples follow the reach probabilities (4 SE)", async () => {
  const t = buildTree([[1, 0], [0, 0, 1]]);
  const task = new TreeMDPTask([buildTree(SMALL), t]);
  assert.equal(task.maxActions, 3);
  assert.equal(task.numStates, 8 + 8);
  const p = task.problems()[1];
  assert.equal(task.vocab.decode(p.prompt), "1=");
  assert.equal(task.vocab.decode(p.solution), "AA"); // first best leaf: node 3 = child A of child A
  const tok = (s: string) => task.vocab.encode(s);
  assert.equal(task.reward(p, [...tok("BC"), task.vocab.eos]), 1); // node 7
  assert.equal(task.reward(p, tok("BA")), 0);
  assert.equal(task.reward(p, tok("B")), 0); // unfinished
  assert.equal(task.reward(p, tok("AC")), 0); // invalid action (A has two children)
  assert.equal(task.verify(p, tok("AA")), 1);
  const seq = [...p.prompt, ...tok("B")];
  assert.deepEqual(task.decision(seq, p.prompt.length), { state: 8 + 0, actions: tok("AB") });
  assert.deepEqual(task.decision(seq, seq.length), { state: 8 + 2, actions: tok("ABC") });
  assert.equal(task.decision([...seq, ...tok("A")], seq.length + 1), null); // leaf: eos forced
  assert.equal(task.actionCount(8 + 2), 3);
  // Sampling: logits per child through childLogits; the per-child π read back must equal softmaxPolicy.
  const q = [0, 0.3, -0.2, 1, 0, 0.5, 0, -1];
  const policy = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
    logits: task.childLogits([new Float64Array(8), q]),
  });
  const pi = task.childPolicy(p, policy.probabilityTable());
  const exact = softmaxPolicy(t, q);
  pi.forEach((x, c) => assert.ok(Math.abs(x - exact[c]) < 1e-6, `π[${c}]`));
  const reach = reachProbabilities(t, exact);
  const n = 8000;
  const out = await policy.sample(Array(n).fill(p.prompt), { maxTokens: 5, seed: 3 });
  const counts = new Map<number, number>();
  for (const y of out.responses) {
    assert.equal(y.length, 3);
    assert.equal(y[2], task.vocab.eos);
    const a0 = tok("ABC").indexOf(y[0]), a1 = tok("ABC").indexOf(y[1]);
    const leaf = t.childStart[t.childStart[0] + a0] + a1;
    counts.set(leaf, (counts.get(leaf) ?? 0) + 1);
  }
  for (const l of t.leaves) {
    const se = Math.sqrt((reach[l] * (1 - reach[l])) / n);
    assert.ok(Math.abs((counts.get(l) ?? 0) / n - reach[l]) < 4 * se, `leaf ${l}`);
  }
  // The exact pass@k used by the ROVER claims agrees with Chen et al.'s unbiased estimator on samples.
  const e = evaluateTreePolicy(t, exact);
  const solved = (counts.get(3) ?? 0) + (counts.get(7) ?? 0); // leaves with reward 1
  for (const k of [1, 4, 16]) {
    const est = passAtK(n, solved, k);
    // pass@k is a smooth function of p: delta-method SE = k(1 − p)^{k−1} · √(p(1 − p)/n).
    const pp = e.successProbability;
    const se = k * (1 - pp) ** (k - 1) * Math.sqrt((pp * (1 - pp)) / n);
    assert.ok(Math.abs(est - e.passAtK(k)) < 4 * se + 1e-12, `k = ${k}: ${est} vs ${e.passAtK(k)}`);
  }
  policy.dispose();
});

Deno.test("GRPO through RLVRTrainer on a TreeMDPTask raises the exact success probability", async () => {
  const tree = sampleTreeMDP(new Rng(4), { depth: 3, minBranch: 2, maxBranch: 3, solutionRate: 0.2 });
  const task = new TreeMDPTask([tree]);
  const policy = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
  });
  const success = () =>
    evaluateTreePolicy(tree, task.childPolicy(task.problems()[0], policy.probabilityTable()))
      .successProbability;
  const before = success();
  const trainer = new RLVRTrainer({
    task,
    policy,
    reward: (p, y) => task.reward(p, y),
    config: { seed: 2, batchSize: 1, groupSize: 8, lr: 0.1, maxGradNorm: null },
  });
  await trainer.train(100);
  assert.ok(success() > before + 0.3, `${before} → ${success()}`);
  trainer.dispose();
  policy.dispose();
});

Deno.test("ROVER smoke run: Theorem 3.1 holds on every logged tree; claims, charts and tables are well formed", async () => {
  const log = await runReproduction(rover, { preset: "smoke", progress: false });
  const theorem = selectRows(log, { kind: "theorem", rewardKind: "binary" });
  assert.ok(theorem.length > 0 && theorem.every((r) => r.optimal === r.trees));
  const claims = rover.checkClaims(log);
  assert.equal(claims.length, 7);
  // pass@N: a directional claim that needs GRPO below the ceiling, and the equivalence claim for a tie at it.
  assert.deepEqual(claims[1].preconditions, ["rover.exact.pre1"]);
  assert.match(claims[2].rule, /equivalence with margin 0\.01/);
  assert.deepEqual(claims.slice(4).map((r) => [r.id, r.tier]), [
    ["rover.lm.1", "lm"],
    ["rover.lm.2", "lm"],
    ["rover.lm.3", "lm"],
  ]);
  for (const c of claims) {
    assert.ok((VERDICTS as readonly string[]).includes(c.verdict));
    if (c.n > 0) assert.ok(c.ci[0] <= c.estimate + 1e-12 && c.estimate <= c.ci[1] + 1e-12, c.claim);
  }
  // Every final pass@N is ≥ pass@1 and ≤ 1; distinct solutions ≤ number of solutions.
  for (const r of selectRows(log, { kind: "final" })) {
    assert.ok(Number(r.passN) >= Number(r.pass1) - 1e-12 && Number(r.passN) <= 1 + 1e-12);
    assert.ok(Number(r.distinct) <= Number(r.solutions) + 1e-9);
  }
  const charts = rover.charts(log);
  assert.ok(charts.length >= 4);
  assert.match(await charts[0].chart.toSVG(), /<svg/);
  assert.equal(
    claimsMarkdown(claims).split("\n").filter((l) => l.startsWith("| ")).length,
    1 + claims.length,
  );
});

Deno.test("Thm 3.1 by exact enumeration: greedy-Q^u attains V* for every {0, 1} leaf labelling of small trees", () => {
  // Full trees with per-level branching b_1, …, b_d: every non-zero labelling of the leaves (2^n − 1 of them).
  let checked = 0;
  for (const shape of [[2, 2, 2], [3, 2], [2, 3], [4, 2], [2, 2, 3]]) {
    const build = (level: number, labels: number[]): Spec =>
      level === shape.length
        ? labels.shift()!
        : Array.from({ length: shape[level] }, () => build(level + 1, labels));
    const n = shape.reduce((a, b) => a * b, 1);
    for (let mask = 1; mask < 2 ** n; mask++) {
      const labels = Array.from({ length: n }, (_, i) => (mask >> i) & 1);
      const tree = buildTree(build(0, labels));
      assert.equal(optimalValues(tree)[0], 1);
      assert.equal(
        greedyWorstCaseValue(tree, uniformPolicyValues(tree)),
        1,
        `shape ${shape} labels ${labels}`,
      );
      checked++;
    }
  }
  assert.equal(checked, 255 + 63 + 63 + 255 + 4095);
});
