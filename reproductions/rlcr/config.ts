/** Configuration of the reproduction: its config type, arms, presets and seed cost (imported by its experiment, claims and charts). */
import { type BaseConfig, type PresetName, type TransformerSetup } from "../../mod.ts";
import { type RlcrLmConfig } from "./lm.ts";
import { RLCR_BASE_QUICK, RLCR_LM_QUICK, RLCR_LM_SMOKE } from "./preregistration.ts";

/** RLCR reproduction config (model and SFT warm start: `TransformerSetup`). */
export interface RlcrConfig extends BaseConfig, TransformerSetup {
  /** Largest operand digit count (problems mix 1 … maxDigits digits). */
  maxDigits: number;
  /** Confidence levels (one token each). */
  levels: number[];
  /** Weights of the levels in the SFT reference solutions (the start's stated confidence). */
  referenceWeights: number[];
  /** RL steps per arm. */
  rlSteps: number;
  /** Problems per RL step. */
  batchSize: number;
  /** Rollouts per problem (GRPO group). */
  groupSize: number;
  /** RL learning rate. */
  lr: number;
  /** Held-out problems per seed. */
  evalProblems: number;
  /** Sampled responses per held-out problem (temperature 1). */
  evalSamples: number;
  /** Log a training-curve point every this many RL steps. */
  curveEvery: number;
  /** Non-inferiority margin δ for "no loss of accuracy" (absolute accuracy). */
  accuracyMargin: number;
  /** RLCR reward of a response without a parsable confidence in the "rlcr" arm ("rlcr-paper" uses 0). */
  unparsableReward: number;
  /** The chosen-start LM tier (lm.ts), run from the same warm start. */
  lm: RlcrLmConfig;
}

/** Evaluated policies: the SFT start and the three RL arms. */
export const RLCR_ARMS = ["start", "binary", "rlcr", "rlcr-paper"] as const;

/** One evaluated policy. */
export type RlcrArm = typeof RLCR_ARMS[number];

/**
 * The RL arms (rewards): binary 1[correct]; rlcr = RLCR with an unparsable confidence scored
 * `unparsableReward` (−1: the worst parsable outcome); rlcr-paper = RLCR with the paper's unparsable → 0.
 */
export const RLCR_REWARDS = ["binary", "rlcr", "rlcr-paper"] as const;

const COMMON = {
  baseSeed: 2507,
  maxDigits: RLCR_BASE_QUICK.maxDigits,
  levels: RLCR_BASE_QUICK.levels,
  referenceWeights: RLCR_BASE_QUICK.referenceWeights,
  nHeads: RLCR_BASE_QUICK.nHeads,
  sftBatchSize: RLCR_BASE_QUICK.sftBatchSize,
  sftLr: RLCR_BASE_QUICK.sftLr,
  groupSize: 8,
  lr: 1e-3,
  evalSamples: 4,
  accuracyMargin: 0.05,
  unparsableReward: -1,
};
/** Config per preset (`smoke`, `quick`, `full`). */
export const RLCR_PRESETS: Record<PresetName, RlcrConfig> = {
  smoke: {
    ...COMMON,
    seeds: 2,
    dModel: 16,
    nLayers: 1,
    sftSteps: 20,
    rlSteps: 4,
    batchSize: 4,
    evalProblems: 16,
    curveEvery: 2,
    lm: RLCR_LM_SMOKE,
  },
  quick: {
    ...COMMON,
    ...RLCR_BASE_QUICK,
    seeds: 10,
    rlSteps: 50,
    batchSize: 8,
    curveEvery: 10,
    lm: RLCR_LM_QUICK,
  },
  full: {
    ...COMMON,
    seeds: 20,
    dModel: 64,
    nLayers: 2,
    nHeads: 4,
    sftSteps: 600,
    sftLr: 3e-3,
    rlSteps: 300,
    batchSize: 16,
    evalProblems: 256,
    evalSamples: 8,
    curveEvery: 20,
    lm: {
      ...RLCR_LM_QUICK,
      labelSteps: 100,
      calibrationProblems: 512,
      validationProblems: 128,
      testProblems: 256,
      evalSamples: 8,
      steps: 200,
      batchSize: 16,
      learningRates: [5e-4, 1e-3, 2e-3],
    },
  },
};

/** Seconds one seed takes at `quick` on one core of the 2-core development machine (job-schedule cost). */
export const RLCR_SEED_SECONDS = 10.6;
