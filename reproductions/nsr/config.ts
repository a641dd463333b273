/** Configuration of the reproduction: its config type, arms, presets and seed cost (imported by its experiment, claims and charts). */
import { type BaseConfig, type FeatureChainSetup, type PresetName } from "../../mod.ts";
import { NSR_LM_FULL, NSR_LM_QUICK, NSR_LM_SMOKE, type NsrLmConfig } from "./lm.ts";

/** NSR reproduction config. */
export interface NsrConfig extends BaseConfig, FeatureChainSetup {
  /** The LM tier (reproductions/nsr/lm.ts): TinyTransformer on 3-digit addition; its own schedule and claims. */
  lm: NsrLmConfig;
  /** Features the policy observes, o ≤ d (o < d: no policy solves everything); W starts at initSignal·M_{:,1:o}. */
  observed: number;
  /** Problems per batch B. */
  batchSize: number;
  /** Samples per problem G. */
  groupSize: number;
  /** RL steps per arm. */
  steps: number;
  /** Adam learning rate (the same in every arm). */
  lr: number;
  /** W-REINFORCE weight λ on positive samples. */
  lambda: number;
  /** Samples n per held-out problem for the unbiased pass@k estimator (≥ max k). */
  evalSamples: number;
  /** The k of the pass@k curves. */
  ks: number[];
  /** Record the training curves every this many steps. */
  curveEvery: number;
  /** Non-inferiority margin δ of the "keeps pass@k" claims (absolute pass@k). */
  margin: number;
  /**
   * Sensitivity sweep (chart only, not the claims): PSR and NSR retrained at each learning rate with steps scaled so
   * lr·steps stays at the preset's; exact held-out pass@1 / pass@256; the preset's own lr is always a point (the
   * claims' runs). Empty = no sweep.
   */
  lrSweep: number[];
}

const POW2_TO_256 = [1, 2, 4, 8, 16, 32, 64, 128, 256];

const COMMON = {
  baseSeed: 250601347,
  dim: 8,
  observed: 4,
  options: 4,
  minLength: 1,
  maxLength: 6,
  initSignal: 1,
  initNoise: 0.5,
  batchSize: 16,
  groupSize: 8,
  lr: 0.05,
  lambda: 0.1,
  margin: 0.01,
};
/** Config per preset (`smoke`, `quick`, `full`). */
export const NSR_PRESETS: Record<PresetName, NsrConfig> = {
  smoke: {
    ...COMMON,
    seeds: 2,
    trainProblems: 128,
    heldoutProblems: 24,
    steps: 20,
    evalSamples: 256,
    ks: [1, 4, 16, 64, 256],
    curveEvery: 10,
    lrSweep: [0.025, 0.1],
    lm: NSR_LM_SMOKE,
  },
  quick: {
    ...COMMON,
    seeds: 10,
    trainProblems: 1024,
    heldoutProblems: 256,
    steps: 200,
    evalSamples: 256,
    ks: POW2_TO_256,
    curveEvery: 20,
    lrSweep: [0.1],
    lm: NSR_LM_QUICK,
  },
  full: {
    ...COMMON,
    seeds: 10,
    trainProblems: 4096,
    heldoutProblems: 1024,
    steps: 300,
    evalSamples: 256,
    ks: POW2_TO_256,
    curveEvery: 20,
    lrSweep: [],
    lm: NSR_LM_FULL,
  },
};

/** Seconds one seed takes at `quick` on one core of the 2-core development machine (job-schedule cost). */
export const NSR_SEED_SECONDS = 7.5;
