/** Configuration of the reproduction: its config type, arms, presets and seed cost (imported by its experiment, claims and charts). */
import { type BaseConfig, type PresetName, type SatLevel } from "../../mod.ts";
import { type SaturnLmConfig } from "./lm.ts";
import { SATURN_LM_QUICK, SATURN_LM_SMOKE } from "./preregistration.ts";

/**
 * LM-tier settings of the `full` preset (a GPU or a many-core CPU): a wider model, longer SFT and RL, more
 * held-out problems. Not run at this size yet; a test exercises it at a tiny step count.
 */
const SATURN_LM_FULL: SaturnLmConfig = {
  ...SATURN_LM_QUICK,
  dModel: 64,
  nLayers: 2,
  nHeads: 4,
  sftSteps: 600,
  sftBatchSize: 64,
  validation: 128,
  test: 256,
  steps: 300,
  evalEvery: 25,
};

/** SATURN reproduction config. */
export interface SaturnConfig extends BaseConfig {
  /** LM tier: SAT as tokens, a warm-started TinyTransformer, ladder vs direct (reproductions/saturn/lm.ts). */
  lm: SaturnLmConfig;
  /** Ladder levels (n, k, l), easiest first; the last one is the target difficulty. */
  levels: SatLevel[];
  /** Problems per step. */
  batchSize: number;
  /** Rollouts per problem G. */
  groupSize: number;
  /** Direct-arm steps; the rollout budget of each arm is steps · batchSize · groupSize. */
  steps: number;
  /** Adam learning rate on the shared weights. */
  lr: number;
  /** Ladder: advance when validation pass@1 > threshold (SATURN: 0.5). */
  threshold: number;
  /** Ladder: validate every this many ladder steps. */
  evalEvery: number;
  /** Ladder: fresh validation problems per validation (one sample each; charged to the budget). */
  valProblems: number;
  /** Held-out target problems per seed. */
  testProblems: number;
  /** Sampled assignments per held-out problem (pass@1 = mean reward). */
  testSamples: number;
  /** Number of equally spaced rollout checkpoints where both arms are scored on the held-out target set. */
  checkpoints: number;
  /** Fraction of the direct run (from its start) over which the all-zero-group fraction of claim 2 is taken. */
  signalWindow: number;
}

/** The two arms. */
export const SATURN_ARMS = ["ladder", "direct"] as const;

/** An arm. */
export type SaturnArm = typeof SATURN_ARMS[number];

/** "(n,k,l)". */
export const levelName = (lv: SatLevel): string => `(${lv.n},${lv.k},${lv.l})`;

const LEVELS: SatLevel[] = [
  { n: 3, k: 5, l: 5 },
  { n: 3, k: 6, l: 10 },
  { n: 3, k: 8, l: 16 },
  { n: 3, k: 10, l: 24 },
  { n: 3, k: 12, l: 32 },
  { n: 3, k: 14, l: 48 },
  { n: 3, k: 16, l: 64 },
];

const COMMON = {
  baseSeed: 2505,
  levels: LEVELS,
  batchSize: 8,
  groupSize: 8,
  lr: 0.05,
  threshold: 0.5,
  evalEvery: 4,
  valProblems: 16,
  testSamples: 2,
  signalWindow: 1,
};

/** Config per preset (`smoke`, `quick`, `full`). */
export const SATURN_PRESETS: Record<PresetName, SaturnConfig> = {
  smoke: {
    ...COMMON,
    seeds: 2,
    levels: [LEVELS[0], LEVELS[2], LEVELS[4]],
    steps: 20,
    testProblems: 32,
    checkpoints: 4,
    valProblems: 8,
    lm: SATURN_LM_SMOKE,
  },
  quick: { ...COMMON, seeds: 10, steps: 150, testProblems: 200, checkpoints: 10, lm: SATURN_LM_QUICK },
  full: {
    ...COMMON,
    seeds: 20,
    levels: [...LEVELS, { n: 3, k: 18, l: 72 }, { n: 3, k: 20, l: 80 }],
    steps: 400,
    testProblems: 500,
    checkpoints: 20,
    testSamples: 4,
    lm: SATURN_LM_FULL,
  },
};

/** Seconds one seed takes at `quick` on one core of the 2-core development machine (job-schedule cost). */
export const SATURN_SEED_SECONDS = 6.2;
