/**
 * ROVER reproduction (He et al., "Random Policy Valuation is Enough for LLM Reasoning with Verifiable Rewards",
 * arXiv 2509.24981) on random tree MDPs, where everything is exact. Both learners are one `RLVRTrainer` each over a
 * `TreeMDPTask` (all trees of a depth; prompt = tree, response = action tokens, terminal reward in {0, R}) with a
 * `TabularSoftmaxPolicy` (one logit row per node), Adam, and `RevisitSchedule` rolling out every tree each step:
 *
 * - GRPO: the library policy-gradient objective with GRPO advantages (plain RLVRTrainer GRPO);
 * - ROVER: the library `roverLoss(ρ)` objective as the official code trains it — Q = ρ·(log π_θ − log π_old)
 *   regressed on Â + ρ·[mean_a' log π_θ(a'|s') − the same under π_old] — with the same GRPO advantages and the same
 *   `miniBatches` optimizer steps per rollout batch as the GRPO arm (the first step of a batch is GRPO's token-mean
 *   step; ROVER's own terms act from the second on). `rover-exact` is softmax(Q^u/ρ) computed exactly from the
 *   tree (the paper's target policy, at the `temperature` ρ).
 *
 * Measured, same sample budget per tree: expected number of distinct solutions among N samples, pass@N and pass@1
 * (exact from the policies' leaf distributions: pass@k = 1 − (1 − p)^k). Theorem 3.1 (greedy on Q^u is optimal with
 * rewards in {0, R}) is exact algebra: tests check it by exact enumeration; runs still log and chart it on random
 * trees, with a graded-reward control.
 *
 * Changes made after runs are recorded as amendments in preregistration.ts and in docs/history.md.
 */
import {
  type ChartEntry,
  ConfigError,
  evaluateTreePolicy,
  greedyWorstCaseValue,
  type ObjectiveFn,
  optimalValues,
  type Reproduction,
  RevisitSchedule,
  RLVRTrainer,
  roverLoss,
  type Row,
  type RunLog,
  sampleTreeMDP,
  type SeedContext,
  softmaxPolicy,
  TabularSoftmaxPolicy,
  type TreeMDPOptions,
  TreeMDPTask,
  uniformPolicyValues,
} from "../../mod.ts";
import { ROVER_METHODS, ROVER_PRESETS, ROVER_SEED_SECONDS, type RoverConfig } from "./config.ts";

export * from "./config.ts";
import { roverCharts } from "./charts.ts";
import { checkRoverClaims, pairedDifferences, ROVER_PRECONDITIONS } from "./claims.ts";
import { ROVER_LM_PRECONDITIONS, runRoverLmTier, validateRoverLm } from "./lm.ts";
import { ROVER_LM_PREREGISTRATION } from "./preregistration.ts";

function checkConfig(c: RoverConfig): void {
  if (
    !Array.isArray(c.depths) || c.depths.length === 0 || c.depths.some((d) => !Number.isInteger(d) || d < 1)
  ) {
    throw new ConfigError("rover.depths", "must be a non-empty array of integers ≥ 1", c.depths);
  }
  for (
    const k of [
      "theoremTrees",
      "trainTrees",
      "steps",
      "groupSize",
      "samples",
      "curveEvery",
      "miniBatches",
    ] as const
  ) {
    if (!Number.isInteger(c[k]) || c[k] < 1) {
      throw new ConfigError(`rover.${k}`, "must be an integer ≥ 1", c[k]);
    }
  }
  if (!(c.rho > 0) || !Number.isFinite(c.rho)) {
    throw new ConfigError("rover.rho", "must be a number > 0", c.rho);
  }
  if (!Array.isArray(c.rhoSweep) || c.rhoSweep.some((r) => !(r > 0))) {
    throw new ConfigError("rover.rhoSweep", "must be an array of positive numbers", c.rhoSweep);
  }
  validateRoverLm(c.lm, "rover.lm");
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

async function runSeed(c: RoverConfig, ctx: SeedContext): Promise<Row[]> {
  const rows: Row[] = [];
  const ks = kGrid(c.samples);
  const points = Math.floor(c.steps / c.curveEvery) + 1;
  for (const [di, depth] of c.depths.entries()) {
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
    // Claims: train GRPO and ROVER on the same trees with the same budget, all trees of a depth in one trainer
    // (one tabular row per node, so trees do not share parameters; every step rolls out G paths of every tree).
    const curve: Record<string, { pass1: Float64Array; distinct: Float64Array }> = {};
    for (const m of ["grpo", "rover"]) {
      curve[m] = { pass1: new Float64Array(points), distinct: new Float64Array(points) };
    }
    const passk: Record<string, Float64Array> = {};
    for (const m of ROVER_METHODS) passk[m] = new Float64Array(ks.length);
    const rho = c.rhoSweep.map(() => ({ pass1: 0, distinct: 0 }));
    const tr = rng.split(2);
    const trees = Array.from(
      { length: c.trainTrees },
      (_, t) => sampleTreeMDP(tr.split(3 * t), treeOptions(c, depth, "binary")),
    );
    const task = new TreeMDPTask(trees);
    const arms: Record<
      string,
      { objective?: ObjectiveFn; lr: number; seed: number }
    > = {
      grpo: { lr: c.grpoLr, seed: tr.split(1).seed },
      rover: { objective: roverLoss(c.rho), lr: c.roverLr, seed: tr.split(2).seed },
    };
    const trained: Record<string, Float64Array[]> = {};
    for (const [m, arm] of Object.entries(arms)) {
      const policy = new TabularSoftmaxPolicy(task, {
        contextLength: task.maxSequenceLength,
        eos: task.vocab.eos,
      });
      const trainer = new RLVRTrainer({
        task,
        policy,
        curriculum: new RevisitSchedule(task.problems(), { revisit: 1 }), // every tree, every step
        reward: (p, y) => task.reward(p, y),
        objective: arm.objective,
        config: {
          seed: arm.seed,
          batchSize: c.trainTrees,
          groupSize: c.groupSize,
          lr: arm.lr,
          estimator: "grpo",
          miniBatches: c.miniBatches,
          maxGradNorm: null,
        },
      });
      const childPolicies = () => {
        const probs = policy.probabilityTable();
        return task.problems().map((p) => task.childPolicy(p, probs));
      };
      const record = (i: number) =>
        childPolicies().forEach((pi, t) => {
          const e = evaluateTreePolicy(trees[t], pi);
          curve[m].pass1[i] += e.successProbability / c.trainTrees;
          curve[m].distinct[i] += e.expectedDistinct(c.samples) / c.trainTrees;
        });
      record(0);
      for (let i = 1; i < points; i++) {
        await trainer.train(c.curveEvery);
        record(i);
      }
      await trainer.train(c.steps - trainer.step);
      trained[m] = childPolicies();
      trainer.dispose();
      policy.dispose();
      ctx.tick(1, { depth });
    }
    trees.forEach((tree, t) => {
      const vu = uniformPolicyValues(tree);
      const policies: Record<string, Float64Array> = {
        uniform: softmaxPolicy(tree, new Float64Array(tree.size)),
        grpo: trained.grpo[t],
        rover: trained.rover[t],
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
    });
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
  }
  // LM tier: ROVER vs GRPO on a warm-started TinyTransformer (one progress unit per arm).
  rows.push(...await runRoverLmTier(c.lm, ctx));
  return rows;
}

/** The ROVER reproduction (arXiv 2509.24981) on random tree MDPs. */
export const rover: Reproduction<RoverConfig> = {
  name: "rover",
  title: "ROVER: random policy valuation on tree MDPs",
  paper: "2509.24981",
  presets: ROVER_PRESETS,
  seedSeconds: ROVER_SEED_SECONDS,
  validate: checkConfig,
  usesTensors: true,
  unitsPerSeed: (config) => config.depths.length * 2 + 2,
  runSeed: (config, ctx) => runSeed(config, ctx),
  checkClaims: checkRoverClaims,
  preregistrations: [ROVER_LM_PREREGISTRATION],
  preconditions: [...ROVER_PRECONDITIONS, ...ROVER_LM_PRECONDITIONS],
  charts(log: RunLog): ChartEntry[] {
    return roverCharts(log);
  },
};

export { checkRoverClaims, pairedDifferences };
