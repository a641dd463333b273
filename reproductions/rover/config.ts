/** Configuration of the reproduction: its config type, arms, presets and seed cost (imported by its experiment, claims and charts). */
import { type BaseConfig, type PresetName } from "../../mod.ts";
import { type RoverLmConfig } from "./lm.ts";
import { ROVER_LM_FULL, ROVER_LM_QUICK, ROVER_LM_SMOKE } from "./preregistration.ts";

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
  /** Adam learning rate of the GRPO arm. */
  grpoLr: number;
  /** Adam learning rate of the ROVER arm. */
  roverLr: number;
  /** ρ of the trained ROVER arm's `roverLoss` (the official `rover_t`, default 1). */
  rho: number;
  /** Optimizer steps per rollout batch, both trained arms (`TrainerConfig.miniBatches`). */
  miniBatches: number;
  /** Temperature ρ of the exact softmax(Q^u/ρ) policy `rover-exact` (rewards in {0, 1}). */
  temperature: number;
  /** Samples N for pass@N and distinct solutions (the paper's pass@256). */
  samples: number;
  /** Evaluate the training curves every this many iterations. */
  curveEvery: number;
  /** Temperatures of the exact softmax(Q^u/ρ) sweep chart. */
  rhoSweep: number[];
  /** LM tier: ROVER vs GRPO on a warm-started TinyTransformer over digit permutations (./lm.ts). */
  lm: RoverLmConfig;
}

const COMMON = {
  baseSeed: 2509,
  minBranch: 2,
  maxBranch: 4,
  solutionRate: 0.05,
  groupSize: 8,
  grpoLr: 0.1,
  roverLr: 0.1,
  rho: 1,
  miniBatches: 4,
  temperature: 0.1,
  samples: 256,
  rhoSweep: [0.01, 0.03, 0.1, 0.3, 1],
};

/** Methods evaluated after training (uniform = the initial policy of both learners). */
export const ROVER_METHODS = ["uniform", "grpo", "rover", "rover-exact"] as const;
/** Config per preset (`smoke`, `quick`, `full`). */
export const ROVER_PRESETS: Record<PresetName, RoverConfig> = {
  smoke: {
    ...COMMON,
    seeds: 2,
    depths: [3, 4],
    theoremTrees: 20,
    trainTrees: 2,
    steps: 40,
    curveEvery: 10,
    lm: ROVER_LM_SMOKE,
  },
  quick: {
    ...COMMON,
    seeds: 10,
    depths: [3, 5, 7],
    theoremTrees: 200,
    trainTrees: 10,
    steps: 200,
    curveEvery: 10,
    lm: ROVER_LM_QUICK,
  },
  full: {
    ...COMMON,
    seeds: 20,
    depths: [3, 5, 7, 8],
    theoremTrees: 1000,
    trainTrees: 30,
    steps: 500,
    curveEvery: 25,
    lm: ROVER_LM_FULL,
  },
};

/** Seconds one seed takes at `quick` on one core of the 2-core development machine (job-schedule cost). */
export const ROVER_SEED_SECONDS = 0.4;
