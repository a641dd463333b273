import { runReproduction } from "../reproductions/harness.ts";
import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { passAtK } from "../lib/estimators/pass_at_k.ts";
import {
  claimsMarkdown,
  directionalClaim,
  directionalVerdict,
  evaluateTreePolicy,
  getReproduction,
  greedyWorstCaseValue,
  kae,
  kaeSchedule,
  optimalValues,
  rangeVerdict,
  reachProbabilities,
  renderReport,
  REPRODUCTIONS,
  resolveRunConfig,
  rover,
  type Row,
  runSeeds,
  samplePath,
  sampleTreeMDP,
  selectRows,
  softmaxPolicy,
  trainGrpoTree,
  trainRoverTree,
  type TreeMDP,
  uniformPolicyValues,
  VERDICTS,
} from "../reproductions/mod.ts";

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

Deno.test("tree MDP: sampled paths follow the reach probabilities (within 4 standard errors)", () => {
  const t = buildTree([[1, 0], [0, 0, 1]]);
  const pi = softmaxPolicy(t, [0, 0.3, -0.2, 1, 0, 0.5, 0, -1]);
  const reach = reachProbabilities(t, pi);
  const rng = new Rng(3);
  const n = 20000;
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const path = samplePath(t, pi, rng);
    assert.equal(path.length, 2);
    const leaf = path[1];
    counts.set(leaf, (counts.get(leaf) ?? 0) + 1);
  }
  for (const l of t.leaves) {
    const se = Math.sqrt((reach[l] * (1 - reach[l])) / n);
    assert.ok(Math.abs((counts.get(l) ?? 0) / n - reach[l]) < 4 * se, `leaf ${l}`);
  }
  // The exact pass@k used by the ROVER claims agrees with Chen et al.'s unbiased estimator on samples.
  const e = evaluateTreePolicy(t, pi);
  const solved = (counts.get(3) ?? 0) + (counts.get(7) ?? 0); // leaves with reward 1
  for (const k of [1, 4, 16]) {
    const est = passAtK(n, solved, k);
    // pass@k is a smooth function of p: delta-method SE = k(1 − p)^{k−1} · √(p(1 − p)/n).
    const p = e.successProbability;
    const se = k * (1 - p) ** (k - 1) * Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(est - e.passAtK(k)) < 4 * se + 1e-12, `k = ${k}: ${est} vs ${e.passAtK(k)}`);
  }
});

Deno.test("ROVER learner: TD with the uniform mean backup converges to Q^u on a small tree", () => {
  const t = buildTree([[1, 0], [0, [1, 1, 0]], [0, 0]]);
  const q = trainRoverTree(t, { steps: 400, groupSize: 4, lr: 1, temperature: 10 }, new Rng(5));
  const vu = uniformPolicyValues(t);
  for (let c = 1; c < t.size; c++) assert.ok(Math.abs(q[c] - vu[c]) < 1e-9, `node ${c}: ${q[c]} vs ${vu[c]}`);
});

Deno.test("GRPO learner: zero-variance groups leave the policy unchanged; training raises success", () => {
  const allWrong = buildTree([0, 0, 0]);
  const logits = trainGrpoTree(allWrong, { steps: 20, groupSize: 4, lr: 1 }, new Rng(1));
  assert.deepEqual(Array.from(logits), [0, 0, 0, 0]);
  const t = buildTree([[1, 0, 0], [0, 0, 0], [0, 0, 0]]); // one solution, uniform p = 1/9
  const theta = trainGrpoTree(t, { steps: 150, groupSize: 8, lr: 0.5 }, new Rng(2));
  assert.ok(evaluateTreePolicy(t, softmaxPolicy(t, theta)).successProbability > 0.9);
});

Deno.test("harness: config resolution rejects unknown keys and bad presets; verdict rules", () => {
  assert.throws(
    () => resolveRunConfig(rover, { preset: "smoke", config: { stepz: 3 } as never }),
    (e: unknown) => e instanceof ConfigError && /stepz/.test(e.message) && /allowed: .*steps/.test(e.message),
  );
  assert.throws(() => resolveRunConfig(rover, { preset: "fast" as never }), ConfigError);
  assert.throws(() => resolveRunConfig(rover, { preset: "smoke", seeds: 0 }), ConfigError);
  const { config } = resolveRunConfig(kae, { preset: "smoke", seeds: 5, config: { mseSteps: 7 } });
  assert.equal(config.seeds, 5);
  assert.equal(config.mseSteps, 7);
  assert.equal(config.g1Steps, kae.presets.smoke.g1Steps);
  assert.equal(directionalVerdict([0.1, 0.3], "greater"), "reproduced");
  assert.equal(directionalVerdict([-0.3, -0.1], "greater"), "not reproduced");
  assert.equal(directionalVerdict([-0.1, 0.1], "greater"), "inconclusive");
  assert.equal(directionalVerdict([-0.3, -0.1], "less"), "reproduced");
  assert.equal(directionalVerdict([0.5, 0.7], "greater", 0.6), "inconclusive");
  // No score at all (a metric undefined in every run): inconclusive, n = 0, NaN estimate — never a verdict.
  const empty = directionalClaim("c", "p", [[], []], "greater");
  assert.equal(empty.verdict, "inconclusive");
  assert.equal(empty.n, 0);
  assert.ok(Number.isNaN(empty.estimate) && empty.ci.every(Number.isNaN));
  // Non-inferiority through the threshold: 20 scores all in [−0.02, −0.01] clear −0.05 but not 0.
  const near = [Array.from({ length: 20 }, (_, i) => -0.01 - 0.0005 * i)];
  assert.equal(directionalClaim("c", "p", near, "greater", { threshold: -0.05 }).verdict, "reproduced");
  assert.equal(directionalClaim("c", "p", near, "greater").verdict, "not reproduced");
  assert.equal(rangeVerdict([0.55, 0.62], [0.6, 0.7]), "reproduced");
  assert.equal(rangeVerdict([0.4, 0.5], [0.6, 0.7]), "not reproduced");
  assert.throws(
    () => getReproduction("nope"),
    (e: unknown) => e instanceof ConfigError && /"kae"/.test(e.message),
  );
  const names = REPRODUCTIONS.map((r) => r.name);
  assert.ok(names.includes("kae") && names.includes("rover"));
  assert.equal(new Set(names).size, names.length, "reproduction names are unique");
  for (const r of REPRODUCTIONS) assert.deepEqual(Object.keys(r.presets).sort(), ["full", "quick", "smoke"]);
  assert.match(renderReport([]), /No reproduction results yet/);
});

Deno.test("harness: seeds come from Rng.split and finished seeds are checkpointed and reused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rep = { name: "toy" };
    const config = { seeds: 3, baseSeed: 42 };
    let calls = 0;
    const fn = ({ rng }: { rng: Rng }): Row[] => {
      calls++;
      return [{ x: rng.uniform(), s: rng.seed }];
    };
    const log1 = await runSeeds(rep, "smoke", config, { checkpointDir: dir, progress: false }, 1, fn);
    assert.equal(calls, 3);
    for (let i = 0; i < 3; i++) assert.equal(log1.rows[i].s, new Rng(42).split(i).seed);
    assert.deepEqual(log1.meta, { reproduction: "toy", preset: "smoke", config, resumedSeeds: 0 });
    // Interrupted run simulation: drop seed 1's file; a rerun recomputes only seed 1, identically.
    await Deno.remove(`${dir}/seeds/1.jsonl`);
    const log2 = await runSeeds(rep, "smoke", config, { checkpointDir: dir, progress: false }, 1, fn);
    assert.equal(calls, 4);
    assert.deepEqual(log2.rows, log1.rows);
    assert.equal(log2.meta.resumedSeeds, 2);
    await runSeeds(rep, "smoke", config, { checkpointDir: dir, fresh: true, progress: false }, 1, fn);
    assert.equal(calls, 7);
    // A changed config invalidates the checkpoints.
    await runSeeds(rep, "smoke", { ...config, baseSeed: 43 }, { checkpointDir: dir, progress: false }, 1, fn);
    assert.equal(calls, 10);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kaeSchedule: blocks of batchSize prompts, each kept for `revisit` consecutive iterations", () => {
  assert.deepEqual(kaeSchedule(0, 8, 2, 3), [0, 1]);
  assert.deepEqual(kaeSchedule(2, 8, 2, 3), [0, 1]);
  assert.deepEqual(kaeSchedule(3, 8, 2, 3), [2, 3]);
  assert.deepEqual(kaeSchedule(12, 8, 2, 3), [0, 1]); // 4 blocks × 3 iterations = period 12
});

Deno.test("ROVER smoke run: Theorem 3.1 holds on every tree; claims, charts and tables are well formed", async () => {
  const log = await runReproduction(rover, { preset: "smoke", progress: false });
  const theorem = selectRows(log, { kind: "theorem", rewardKind: "binary" });
  assert.ok(theorem.length > 0 && theorem.every((r) => r.optimal === r.trees));
  const claims = rover.checkClaims(log);
  assert.equal(claims.length, 5);
  assert.equal(claims[0].verdict, "reproduced");
  for (const c of claims) {
    assert.ok(VERDICTS.includes(c.verdict));
    assert.ok(c.ci[0] <= c.estimate + 1e-12 && c.estimate <= c.ci[1] + 1e-12, c.claim);
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

Deno.test("KAE run: the measured group-mean MSE matches its closed form E[V(1−V)/G] (±20%)", async () => {
  const log = await runReproduction(kae, {
    preset: "smoke",
    seeds: 1,
    config: { lengths: [3], mseSteps: 200, g1Steps: 20 },
    progress: false,
  });
  const measured = Number(selectRows(log, { kind: "mse", baseline: "groupMean" })[0].mse);
  const expected = Number(selectRows(log, { kind: "mseExpectedGroupMean" })[0].mse);
  // 800 groups; the squared error of a binomial mean has relative SE ≈ √(2/800) ≈ 5%: 20% is ~4 SE.
  assert.ok(Math.abs(measured / expected - 1) < 0.2, `measured ${measured} vs closed form ${expected}`);
  const claims = kae.checkClaims(log);
  assert.equal(claims.length, 5);
  for (const c of claims) assert.ok(VERDICTS.includes(c.verdict));
  // G = 1 with GRPO's group mean: the advantage is identically 0, so the policy never moves.
  const g = selectRows(log, { kind: "g1", arm: "groupMean" })[0];
  assert.equal(g.final, g.initial);
});

Deno.test("CLI: unknown flags and names fail with a clear message listing the valid ones", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/reproduce.ts", ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const a = await run(["--bogus"]);
  assert.equal(a.code, 2);
  assert.match(new TextDecoder().decode(a.stderr), /bogus.*valid flags: --preset/s);
  const b = await run(["nope", "--preset", "smoke"]);
  assert.equal(b.code, 2);
  const msg = new TextDecoder().decode(b.stderr);
  assert.match(msg, /reproduction must be one of .*"kae"/);
  assert.match(msg, /"rover"/);
});
