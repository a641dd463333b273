/**
 * ROVER reproduction (He et al., "Random Policy Valuation is Enough for LLM Reasoning with Verifiable Rewards",
 * arXiv 2509.24981) on random tree MDPs, where everything is exact:
 *
 * 1. Theorem 3.1: in a deterministic tree MDP with terminal rewards in {0, R}, acting greedily on the Q-values of
 *    the uniform random policy is optimal. Checked on many random trees with the worst-case tie-break; a control
 *    with graded rewards R·U(0,1) (outside the theorem's condition) shows the condition matters.
 * 2. Diversity: sampling from softmax(Q/ρ) with Q learned by uniform-policy TD (ROVER) vs a GRPO-trained tabular
 *    softmax policy, same sample budget per tree: expected number of distinct solutions among N samples, pass@N
 *    and pass@1 (all computed exactly from the policies' leaf distributions: pass@k = 1 − (1 − p)^k).
 */
import { ConfigError } from "../../lib/core/validate.ts";
import type { RunLog } from "../../lib/log/runlog.ts";
import {
  type BaseConfig,
  type ChartEntry,
  type ClaimRow,
  directionalClaim,
  iqmWithCI,
  logConfig,
  type Reproduction,
  type Row,
  type SeedContext,
  selectRows,
} from "../harness.ts";
import {
  evaluateTreePolicy,
  greedyWorstCaseValue,
  optimalValues,
  sampleTreeMDP,
  softmaxPolicy,
  type TreeMDP,
  type TreeMDPOptions,
  uniformPolicyValues,
} from "../../lib/tasks/tree_mdp.ts";
import { trainGrpoTree, trainRoverTree } from "./tree_policies.ts";
import { roverCharts } from "./charts.ts";

/** ROVER reproduction config (one preset per `PresetName`). */
export interface RoverConfig extends BaseConfig {
  /** Tree depths (the strata of the stratified bootstrap). */
  depths: number[];
  /** Smallest number of actions per node. */
  minBranch: number;
  /** Largest number of actions per node. */
  maxBranch: number;
  /** Probability that a leaf is a solution (≥ 1 solution forced). */
  solutionRate: number;
  /** Random trees per depth per seed for the theorem check (claim 1 and its control). */
  theoremTrees: number;
  /** Trees per depth per seed on which GRPO and ROVER are trained (claims 2–4). */
  trainTrees: number;
  /** Training iterations per tree. */
  steps: number;
  /** Rollouts per iteration (G). */
  groupSize: number;
  /** GRPO policy-gradient learning rate. */
  grpoLr: number;
  /** ROVER TD step size α. */
  roverLr: number;
  /** ROVER sampling temperature ρ of softmax(Q/ρ) (rewards in {0, 1}). */
  temperature: number;
  /** Samples N for pass@N and distinct solutions (the paper's pass@256). */
  samples: number;
  /** Evaluate the training curves every this many iterations. */
  curveEvery: number;
  /** Temperatures of the exact softmax(Q^u/ρ) sweep chart. */
  rhoSweep: number[];
}

const COMMON = {
  baseSeed: 2509,
  minBranch: 2,
  maxBranch: 4,
  solutionRate: 0.05,
  groupSize: 8,
  grpoLr: 0.5,
  roverLr: 1,
  temperature: 0.1,
  samples: 256,
  rhoSweep: [0.01, 0.03, 0.1, 0.3, 1],
};

/** Methods evaluated after training (uniform = the initial policy of both learners). */
export const ROVER_METHODS = ["uniform", "grpo", "rover", "rover-exact"] as const;

function checkConfig(c: RoverConfig): void {
  if (
    !Array.isArray(c.depths) || c.depths.length === 0 || c.depths.some((d) => !Number.isInteger(d) || d < 1)
  ) {
    throw new ConfigError("rover.depths", "must be a non-empty array of integers ≥ 1", c.depths);
  }
  for (const k of ["theoremTrees", "trainTrees", "steps", "groupSize", "samples", "curveEvery"] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) {
      throw new ConfigError(`rover.${k}`, "must be an integer ≥ 1", c[k]);
    }
  }
  if (!Array.isArray(c.rhoSweep) || c.rhoSweep.some((r) => !(r > 0))) {
    throw new ConfigError("rover.rhoSweep", "must be an array of positive numbers", c.rhoSweep);
  }
}

function treeOptions(
  c: RoverConfig,
  depth: number,
  rewardKind: "binary" | "graded",
): Partial<TreeMDPOptions> {
  return { depth, minBranch: c.minBranch, maxBranch: c.maxBranch, solutionRate: c.solutionRate, rewardKind };
}

/** Powers of two 1, 2, 4, … up to n (n included). */
function kGrid(n: number): number[] {
  const ks: number[] = [];
  for (let k = 1; k < n; k *= 2) ks.push(k);
  ks.push(n);
  return ks;
}

function runSeed(c: RoverConfig, ctx: SeedContext): Row[] {
  const rows: Row[] = [];
  const ks = kGrid(c.samples);
  const points = Math.floor(c.steps / c.curveEvery) + 1;
  c.depths.forEach((depth, di) => {
    const rng = ctx.rng.split(di);
    // Claim 1 and its control: greedy on exact Q^u vs the optimal value.
    (["binary", "graded"] as const).forEach((rewardKind, ki) => {
      let optimal = 0;
      let gap = 0;
      const r = rng.split(ki);
      for (let t = 0; t < c.theoremTrees; t++) {
        const tree = sampleTreeMDP(r.split(t), treeOptions(c, depth, rewardKind));
        const g = optimalValues(tree)[0] - greedyWorstCaseValue(tree, uniformPolicyValues(tree));
        if (g <= 1e-12) optimal++;
        gap += g;
      }
      rows.push({
        kind: "theorem",
        depth,
        rewardKind,
        trees: c.theoremTrees,
        optimal,
        optimalFraction: optimal / c.theoremTrees,
        meanGap: gap / c.theoremTrees,
      });
    });
    // Claims 2–4: train GRPO and ROVER on the same trees with the same budget.
    const curve: Record<string, { pass1: Float64Array; distinct: Float64Array }> = {};
    for (const m of ["grpo", "rover"]) {
      curve[m] = { pass1: new Float64Array(points), distinct: new Float64Array(points) };
    }
    const passk: Record<string, Float64Array> = {};
    for (const m of ROVER_METHODS) passk[m] = new Float64Array(ks.length);
    const rho = c.rhoSweep.map(() => ({ pass1: 0, distinct: 0 }));
    const tr = rng.split(2);
    for (let t = 0; t < c.trainTrees; t++) {
      const tree = sampleTreeMDP(tr.split(3 * t), treeOptions(c, depth, "binary"));
      const record = (m: string) => (step: number, pi: () => Float64Array) => {
        if (step % c.curveEvery !== 0) return;
        const e = evaluateTreePolicy(tree, pi());
        curve[m].pass1[step / c.curveEvery] += e.successProbability / c.trainTrees;
        curve[m].distinct[step / c.curveEvery] += e.expectedDistinct(c.samples) / c.trainTrees;
      };
      const uniform = softmaxPolicy(tree, new Float64Array(tree.size));
      record("grpo")(0, () => uniform);
      record("rover")(0, () => uniform);
      const budget = { steps: c.steps, groupSize: c.groupSize };
      const theta = trainGrpoTree(tree, { ...budget, lr: c.grpoLr }, tr.split(3 * t + 1), record("grpo"));
      const q = trainRoverTree(
        tree,
        { ...budget, lr: c.roverLr, temperature: c.temperature },
        tr.split(3 * t + 2),
        record("rover"),
      );
      const vu = uniformPolicyValues(tree);
      const policies: Record<string, Float64Array> = {
        uniform,
        grpo: softmaxPolicy(tree, theta),
        rover: softmaxPolicy(tree, q, c.temperature),
        "rover-exact": softmaxPolicy(tree, vu, c.temperature),
      };
      for (const m of ROVER_METHODS) {
        const e = evaluateTreePolicy(tree, policies[m]);
        rows.push({
          kind: "final",
          depth,
          tree: t,
          method: m,
          solutions: e.solutions,
          leaves: tree.leaves.length,
          pass1: e.successProbability,
          passN: e.passAtK(c.samples),
          distinct: e.expectedDistinct(c.samples),
        });
        ks.forEach((k, i) => passk[m][i] += e.passAtK(k) / c.trainTrees);
      }
      c.rhoSweep.forEach((r, i) => {
        const e = evaluateTreePolicy(tree, softmaxPolicy(tree, vu, r));
        rho[i].pass1 += e.successProbability / c.trainTrees;
        rho[i].distinct += e.expectedDistinct(c.samples) / c.trainTrees;
      });
      ctx.tick(1, { depth, tree: t });
    }
    for (const m of ["grpo", "rover"]) {
      for (let i = 0; i < points; i++) {
        rows.push({
          kind: "curve",
          depth,
          method: m,
          step: i * c.curveEvery,
          pass1: curve[m].pass1[i],
          distinct: curve[m].distinct[i],
        });
      }
    }
    for (const m of ROVER_METHODS) {
      ks.forEach((k, i) => rows.push({ kind: "passk", depth, method: m, k, passk: passk[m][i] }));
    }
    c.rhoSweep.forEach((r, i) => rows.push({ kind: "rho", depth, rho: r, ...rho[i] }));
  });
  return rows;
}

/** Per-(depth, seed) mean over trees of metric(method a) − metric(method b): tasks = depths, runs = seeds. */
export function pairedDifferences(log: RunLog, metric: string, a: string, b: string): number[][] {
  const c = logConfig<RoverConfig>(log);
  const final = selectRows(log, { kind: "final" });
  return c.depths.map((depth) => {
    const out: number[] = [];
    for (let s = 0; s < c.seeds; s++) {
      const pick = (m: string) =>
        final.filter((r) => r.depth === depth && r.seed === s && r.method === m).map((r) =>
          Number(r[metric])
        );
      const xa = pick(a);
      const xb = pick(b);
      if (xa.length === 0 || xa.length !== xb.length) continue;
      out.push(xa.reduce((t, v, i) => t + v - xb[i], 0) / xa.length);
    }
    return out;
  }).filter((r) => r.length > 0);
}

function theoremClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<RoverConfig>(log);
  const rows = selectRows(log, { kind: "theorem" });
  const matrix = (kind: string, f: (r: Row) => number) =>
    c.depths.map((d) => rows.filter((r) => r.rewardKind === kind && r.depth === d).map(f)).filter((r) =>
      r.length
    );
  const binary = matrix("binary", (r) => Number(r.optimalFraction));
  const total = rows.filter((r) => r.rewardKind === "binary").reduce((t, r) => t + Number(r.trees), 0);
  const optimal = rows.filter((r) => r.rewardKind === "binary").reduce((t, r) => t + Number(r.optimal), 0);
  const b = iqmWithCI(binary, 1);
  const graded = matrix("graded", (r) => 1 - Number(r.optimalFraction));
  const g = directionalClaim(
    "Control (not a paper claim): with graded rewards R·U(0,1), outside the theorem's condition, greedy-Q^u is " +
      "suboptimal on a positive fraction of trees",
    "condition of Thm 3.1: rewards in {0, R}",
    graded,
    "greater",
    { statistic: "fraction of trees where greedy-Q^u < V*, IQM over (depth, seed)", seed: 2 },
  );
  return [
    {
      claim:
        `Thm 3.1: greedy w.r.t. the uniform policy's Q is optimal on deterministic tree MDPs with rewards in ` +
        `{0, R} (${optimal}/${total} random trees, worst-case tie-break)`,
      paper: "optimal (theorem: 100% of trees)",
      estimate: b.estimate,
      ci: b.ci,
      verdict: optimal === total ? "reproduced" : "not reproduced",
      rule:
        "fraction of trees where greedy-Q^u attains V* (IQM over (depth, seed), stratified bootstrap CI); " +
        "reproduced iff every sampled tree is solved optimally (the theorem is exact), not reproduced on any counterexample",
      n: total,
    },
    g,
  ];
}

/** Claims table of a ROVER run (rules fixed in code before any run). */
export function checkRoverClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<RoverConfig>(log);
  const N = c.samples;
  const stat = (what: string) => `ROVER − GRPO ${what}, per (depth, seed) mean over trees, IQM`;
  return [
    ...theoremClaims(log),
    directionalClaim(
      `ROVER (softmax(Q/ρ), ρ = ${c.temperature}) keeps more distinct solutions than GRPO: expected distinct ` +
        `solutions among ${N} samples, ROVER − GRPO > 0`,
      "+17.6% diversity",
      pairedDifferences(log, "distinct", "rover", "grpo"),
      "greater",
      { statistic: stat(`distinct solutions in ${N} samples`), seed: 3 },
    ),
    directionalClaim(
      `ROVER has higher pass@${N} than GRPO (ROVER − GRPO > 0)`,
      "+16.8 pass@256",
      pairedDifferences(log, "passN", "rover", "grpo"),
      "greater",
      { statistic: stat(`pass@${N}`), seed: 4 },
    ),
    directionalClaim(
      "ROVER has higher pass@1 than GRPO (ROVER − GRPO > 0)",
      "+8.2 pass@1",
      pairedDifferences(log, "pass1", "rover", "grpo"),
      "greater",
      { statistic: stat("pass@1"), seed: 5 },
    ),
  ];
}

/** The ROVER reproduction (arXiv 2509.24981) on random tree MDPs. */
export const rover: Reproduction<RoverConfig> = {
  name: "rover",
  title: "ROVER: random policy valuation on tree MDPs",
  paper: "2509.24981",
  presets: {
    smoke: {
      ...COMMON,
      seeds: 2,
      depths: [3, 4],
      theoremTrees: 20,
      trainTrees: 2,
      steps: 40,
      curveEvery: 10,
    },
    quick: {
      ...COMMON,
      seeds: 10,
      depths: [3, 5, 7],
      theoremTrees: 200,
      trainTrees: 10,
      steps: 200,
      curveEvery: 10,
    },
    full: {
      ...COMMON,
      seeds: 20,
      depths: [3, 5, 7, 8],
      theoremTrees: 1000,
      trainTrees: 30,
      steps: 500,
      curveEvery: 25,
    },
  },
  validate: checkConfig,
  unitsPerSeed: (config) => config.depths.length * config.trainTrees,
  runSeed: (config, ctx) => runSeed(config, ctx),
  checkClaims: checkRoverClaims,
  charts(log: RunLog): ChartEntry[] {
    return roverCharts(log);
  },
};

/** Exported for tests: one tree's exact evaluation of greedy-Q^u vs optimal. */
export function greedyUniformGap(tree: TreeMDP): number {
  return optimalValues(tree)[0] - greedyWorstCaseValue(tree, uniformPolicyValues(tree));
}
