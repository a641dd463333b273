/** Configuration of the reproduction: its config type, arms, presets and seed cost (imported by its experiment, claims and charts). */
import { type BaseConfig, type KaeKernel, LM_TIER_FULL, type PresetName } from "../../mod.ts";
import { type KaeLmConfig } from "./lm.ts";
import { KAE_LM_QUICK, KAE_LM_SMOKE } from "./preregistration.ts";

/** KAE reproduction config. */
export interface KaeConfig extends BaseConfig {
  /** LM tier (reproductions/kae/lm.ts): G = 1 REINFORCE vs KAE vs GRPO at G = 4 on a revisited addition pool. */
  lm: KaeLmConfig;
  /** Chain lengths L (the strata of the stratified bootstrap). */
  lengths: number[];
  /** Options per step K. */
  options: number;
  /** Prompt pool size. */
  numProblems: number;
  /** Prompts per iteration. */
  batchSize: number;
  /** Consecutive iterations a prompt block stays in the batch before the next block. */
  revisit: number;
  /** Logit bonus on the correct option at init (a "pretrained" start with per-step p = e^b/(e^b + K − 1)). */
  initCorrectBias: number;
  /** Std of Gaussian noise on the initial logits (prompts differ in difficulty). */
  initScale: number;
  /** KAE kernel. */
  kernel: KaeKernel;
  /** KAE bandwidth h (iterations). */
  bandwidth: number;
  /** Adam learning rate of the trainer. */
  lr: number;
  /** Value-MSE experiment: iterations. */
  mseSteps: number;
  /** Value-MSE experiment: samples per prompt G. */
  groupSize: number;
  /** G = 1 experiment: iterations. */
  g1Steps: number;
  /** Evaluate curves every this many iterations. */
  curveEvery: number;
  /** Bandwidths h of the sensitivity chart (scored on the `bandwidth` run's samples; the claims use `bandwidth`). */
  bandwidthSweep: number[];
}

/** Baselines scored in the value-MSE experiment. */
export const KAE_BASELINES = ["kae", "groupMean", "batchMean", "groupMeanLOO"] as const;

/** Arms of the G = 1 experiment (groupMean: GRPO's advantage is identically 0 at G = 1). */
export const KAE_G1_ARMS = ["kae", "none", "batchMean", "groupMean"] as const;

const COMMON = {
  baseSeed: 2604,
  options: 4,
  numProblems: 16,
  batchSize: 4,
  revisit: 4,
  initCorrectBias: 1,
  initScale: 1,
  kernel: "triangular" as KaeKernel,
  bandwidth: 4,
  lr: 0.05,
  groupSize: 8,
};
/** Config per preset (`smoke`, `quick`, `full`). */
export const KAE_PRESETS: Record<PresetName, KaeConfig> = {
  smoke: {
    ...COMMON,
    seeds: 2,
    lengths: [3],
    mseSteps: 40,
    g1Steps: 40,
    curveEvery: 10,
    bandwidthSweep: [1, 4],
    lm: KAE_LM_SMOKE,
  },
  quick: {
    ...COMMON,
    seeds: 10,
    lengths: [3, 5],
    mseSteps: 200,
    g1Steps: 200,
    curveEvery: 20,
    bandwidthSweep: [1, 2, 4, 8, 16],
    lm: KAE_LM_QUICK,
  },
  full: {
    ...COMMON,
    seeds: 20,
    lengths: [3, 5, 7],
    mseSteps: 1000,
    g1Steps: 1500,
    curveEvery: 50,
    bandwidthSweep: [1, 2, 4, 8, 16, 32],
    lm: { ...KAE_LM_QUICK, ...LM_TIER_FULL, trainSetSize: 256, groupSize: 1 },
  },
};

/** Seconds one seed takes at `quick` on one core of the 2-core development machine (job-schedule cost). */
export const KAE_SEED_SECONDS = 1.5;
