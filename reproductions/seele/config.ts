/** Configuration of the reproduction: its config type, arms, presets and seed cost (imported by its experiment, claims and charts). */
import {
  type BaseConfig,
  type FeatureChainSetup,
  LM_TIER_FULL,
  type LmTierConfig,
  type PresetName,
} from "../../mod.ts";
import { SEELE_LM_ARM, SEELE_LM_QUICK, SEELE_LM_SMOKE } from "./preregistration.ts";

/** SEELE reproduction config (the training pool is revisited, so carried hint rates matter; held-out is unhinted). */
export interface SeeleConfig extends BaseConfig, FeatureChainSetup {
  /** Problems per step B. */
  batchSize: number;
  /** SEELE rounds m. */
  rounds: number;
  /** Rollouts per round n (every arm uses m·n rollouts per problem). */
  rolloutsPerRound: number;
  /** Training steps per arm. */
  steps: number;
  /** Adam learning rate. */
  lr: number;
  /** Imitation coefficient γ on hint tokens (paper: γ = 0.001). */
  imitationWeight: number;
  /** Target accuracies a* of the SEELE arms. */
  targets: number[];
  /** Hint rate of the fixed-ratio arm. */
  fixedHintRate: number;
  /** SEELE's first-visit hint rate. */
  initialHintRate: number;
  /** 3PL fit: LM starts and iterations (fewer than the library default, for speed). */
  fitStarts: number;
  fitIterations: number;
  /** Evaluate held-out accuracy every this many steps. */
  evalEvery: number;
  /** Loss-descent experiment: held-out problems used, sampled steps per (problem, hint), KL weight β. */
  descentProblems: number;
  descentRepeats: number;
  descentBeta: number;
  /** Loss-descent experiment: number of equal-width accuracy bins on [0, 1]. */
  descentBins: number;
  /** LM tier: TinyTransformer warm start and RL schedule on multi-digit addition (lib/experiment/lm_tier.ts). */
  lm: LmTierConfig;
  /** LM tier: SEELE's rounds m, target a*, first-visit hint rate and imitation weight γ (both arms Dr.GRPO). */
  lmSeele: { rounds: number; targetAccuracy: number; initialHintRate: number; imitationCoef: number };
}

const COMMON = {
  baseSeed: 250906923,
  dim: 8,
  options: 4,
  minLength: 2,
  maxLength: 12,
  initSignal: 0.6,
  initNoise: 0.5,
  trainProblems: 512,
  heldoutProblems: 256,
  batchSize: 8,
  rounds: 4,
  rolloutsPerRound: 8,
  lr: 0.05,
  imitationWeight: 0.001,
  targets: [0.25, 0.5, 0.75],
  fixedHintRate: 0.5,
  initialHintRate: 0.5,
  fitStarts: 2,
  fitIterations: 40,
  descentRepeats: 4,
  descentBeta: 0.001,
  descentBins: 10,
  lmSeele: SEELE_LM_ARM,
};
/** Config per preset (`smoke`, `quick`, `full`). */
export const SEELE_PRESETS: Record<PresetName, SeeleConfig> = {
  smoke: {
    ...COMMON,
    seeds: 2,
    steps: 6,
    batchSize: 4,
    trainProblems: 64,
    heldoutProblems: 64,
    evalEvery: 3,
    descentProblems: 6,
    descentRepeats: 1,
    lm: SEELE_LM_SMOKE,
  },
  quick: { ...COMMON, seeds: 10, steps: 80, evalEvery: 8, descentProblems: 48, lm: SEELE_LM_QUICK },
  full: {
    ...COMMON,
    seeds: 20,
    steps: 300,
    evalEvery: 10,
    descentProblems: 128,
    fitStarts: 4,
    fitIterations: 100,
    lm: { ...LM_TIER_FULL, trainSetSize: 1024 },
  },
};

/** Seconds one seed takes at `quick` on one core of the 2-core development machine (job-schedule cost). */
export const SEELE_SEED_SECONDS = 2.7;
