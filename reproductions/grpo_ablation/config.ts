/** Configuration of the reproduction: its config type, arms, presets and seed cost (imported by its experiment, claims and charts). */
import { type BaseConfig, type PresetName } from "../../mod.ts";
import { GRPO_ABLATION_LM_ARMS, type GrpoAblationLmConfig } from "./lm.ts";
import { GRPO_ABLATION_LM_QUICK, GRPO_ABLATION_LM_SMOKE } from "./preregistration.ts";

/** GRPO-ablation config: the seeds and the LM tier. */
export interface GrpoAblationConfig extends BaseConfig {
  /** LM-tier settings (lm.ts). */
  lm: GrpoAblationLmConfig;
}

const BASE_SEED = 250320783;
/** Config per preset (`smoke`, `quick`, `full`). */
export const GRPO_ABLATION_PRESETS: Record<PresetName, GrpoAblationConfig> = {
  smoke: { seeds: 2, baseSeed: BASE_SEED, lm: GRPO_ABLATION_LM_SMOKE },
  quick: { seeds: 10, baseSeed: BASE_SEED, lm: GRPO_ABLATION_LM_QUICK },
  full: {
    seeds: 20,
    baseSeed: BASE_SEED,
    lm: {
      ...GRPO_ABLATION_LM_QUICK,
      steps: 120,
      evalEvery: 30,
      learningRates: [1e-3, 2e-3, 5e-3],
      arms: [...GRPO_ABLATION_LM_ARMS],
    },
  },
};

/** Seconds one seed takes at `quick` on one core of the 2-core development machine (job-schedule cost). */
export const GRPO_ABLATION_SEED_SECONDS = 19.4;
