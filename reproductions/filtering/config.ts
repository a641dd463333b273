/** Configuration of the reproduction: its config type, arms, presets and seed cost (imported by its experiment, claims and charts). */
import {
  type BaseConfig,
  type FeatureChainSetup,
  LM_TIER_FULL,
  type LmTierConfig,
  type PresetName,
} from "../../mod.ts";
import { FILTERING_LM_FILTER, FILTERING_LM_QUICK, FILTERING_LM_SMOKE } from "./preregistration.ts";

/** Online Difficulty Filtering reproduction config. */
export interface FilteringConfig extends BaseConfig, FeatureChainSetup {
  /** Groups per training batch B (equal in every arm). */
  batchSize: number;
  /** Rollouts per group G. */
  groupSize: number;
  /** Training steps per arm. */
  steps: number;
  /** Adam learning rate. */
  lr: number;
  /** Balanced filter band [T_low, T_high]. */
  low: number;
  high: number;
  /** Sampling rounds per step before a filter gives up with a partial batch. */
  maxRounds: number;
  /** Probe experiment: GRPO-arm snapshots at these fractions of training (0 = initial policy). */
  probeAt: number[];
  /** Probe experiment: one-step probe batches per snapshot. */
  probeBatches: number;
  /** Log the per-prompt rollout table (one `kind: "prompt"` row per arm, step and problem); off at quick (size). */
  promptLog: boolean;
  /** LM tier: TinyTransformer warm start and RL schedule on multi-digit addition (lib/experiment/lm_tier.ts). */
  lm: LmTierConfig;
  /** LM tier: the balanced filter's band and its cap on sampling rounds per step. */
  lmFilter: { low: number; high: number; maxRounds: number };
}

/** Arms: plain GRPO, DAPO dynamic sampling (0 < p̂ < 1), balanced filtering (T_low ≤ p̂ ≤ T_high). */
export const FILTERING_ARMS = ["grpo", "dapo", "balanced"] as const;

/** An arm of the filtering reproduction. */
export type FilteringArm = typeof FILTERING_ARMS[number];

const COMMON = {
  baseSeed: 250403380,
  dim: 8,
  options: 4,
  minLength: 1,
  maxLength: 8,
  initSignal: 1,
  initNoise: 0.5,
  trainProblems: 1024,
  heldoutProblems: 256,
  batchSize: 16,
  groupSize: 8,
  lr: 0.05,
  low: 0.2,
  high: 0.8,
  maxRounds: 16,
  probeAt: [0, 0.25, 0.5],
  probeBatches: 48,
  lmFilter: FILTERING_LM_FILTER,
  promptLog: false,
};
/** Config per preset (`smoke`, `quick`, `full`). */
export const FILTERING_PRESETS: Record<PresetName, FilteringConfig> = {
  smoke: {
    ...COMMON,
    seeds: 2,
    steps: 20,
    trainProblems: 256,
    heldoutProblems: 64,
    probeAt: [0, 0.5],
    probeBatches: 12,
    promptLog: true,
    lm: FILTERING_LM_SMOKE,
  },
  quick: { ...COMMON, seeds: 10, steps: 300, lm: FILTERING_LM_QUICK },
  full: {
    ...COMMON,
    seeds: 20,
    steps: 800,
    trainProblems: 4096,
    heldoutProblems: 1024,
    probeBatches: 128,
    lm: LM_TIER_FULL,
  },
};

/** Seconds one seed takes at `quick` on one core of the 2-core development machine (job-schedule cost). */
export const FILTERING_SEED_SECONDS = 2.8;
