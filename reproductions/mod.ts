/**
 * Paper reproductions: the harness (`Reproduction`, presets, seeded runs with checkpoints, claim verdicts), the
 * results/REPORT.md writer, and the registry `REPRODUCTIONS` that `deno task reproduce` and the notebooks use.
 * To add a reproduction: write reproductions/<name>.ts exporting a `Reproduction`, import it here and append
 * it to `REPRODUCTIONS` (report order = notebook order).
 */
import { ConfigError } from "../lib/core/validate.ts";
import type { BaseConfig, Reproduction } from "./harness.ts";
import { filtering } from "./filtering.ts";
import { seele } from "./seele.ts";
import { rlcr } from "./rlcr.ts";
import { grpoAblation } from "./grpo_ablation.ts";
import { nsr } from "./nsr.ts";
import { kae } from "./kae.ts";
import { saturn } from "./saturn.ts";
import { rover } from "./rover.ts";

export * from "./harness.ts";
export * from "./report.ts";
export * from "./jobs.ts";
export * from "./sweep.ts";
export {
  type CalibrationSummary,
  calibrationSummary,
  checkRlcrClaims,
  reliabilityRecords,
  rlcr,
  RLCR_ARMS,
  RLCR_REWARDS,
  type RlcrArm,
  rlcrCharts,
  type RlcrConfig,
  rlcrPairedDifferences,
  rlcrTask,
} from "./rlcr.ts";
export {
  checkKaeClaims,
  kae,
  KAE_BASELINES,
  KAE_G1_ARMS,
  kaeCharts,
  type KaeConfig,
  kaeSchedule,
} from "./kae.ts";
export {
  checkSaturnClaims,
  saturn,
  SATURN_ARMS,
  type SaturnArm,
  saturnCharts,
  type SaturnConfig,
} from "./saturn.ts";
export * from "./saturn_policy.ts";
export {
  checkNsrClaims,
  minPassDiffs,
  nsr,
  NSR_ARMS,
  nsrAdvantages,
  type NsrArm,
  nsrCharts,
  type NsrConfig,
  pairedPassDiffs,
} from "./nsr.ts";
export * from "./nsr_policy.ts";
export * from "./nsr_transformer.ts";
export { checkRoverClaims, pairedDifferences, rover, ROVER_METHODS, type RoverConfig } from "./rover.ts";
export {
  checkFilteringClaims,
  filtering,
  FILTERING_ARMS,
  type FilteringArm,
  filteringCharts,
  type FilteringConfig,
  type FilteringSeedSummary,
  filteringSummaries,
  NOT_REACHED_RATIO,
  probeCorrelations,
} from "./filtering.ts";
export {
  binnedPeak,
  checkSeeleClaims,
  containedVerdict,
  descentBins,
  seele,
  seeleArms,
  seeleCharts,
  type SeeleConfig,
} from "./seele.ts";
export {
  checkGrpoAblationClaims,
  difficultyProbe,
  GRPO_ABLATION_ARMS,
  grpoAblation,
  type GrpoAblationArm,
  grpoAblationCharts,
  type GrpoAblationConfig,
} from "./grpo_ablation.ts";
export {
  FREE_LENGTH_DEFAULTS,
  type FreeLengthAdditionConfig,
  FreeLengthAdditionTask,
} from "./grpo_ablation_task.ts";
export * from "./filtering_feature_chain.ts";
export * from "./tree_mdp.ts";
export * from "./tree_policies.ts";

/** Every registered reproduction, in report order (append new ones here). */
export const REPRODUCTIONS: readonly Reproduction<BaseConfig>[] = [
  filtering,
  seele,
  rlcr,
  grpoAblation,
  nsr,
  kae,
  saturn,
  rover,
];

/** The registered reproduction called `name`; unknown names throw a ConfigError listing the valid ones. */
export function getReproduction(name: string): Reproduction<BaseConfig> {
  const rep = REPRODUCTIONS.find((r) => r.name === name);
  if (!rep) {
    const valid = REPRODUCTIONS.map((r) => JSON.stringify(r.name)).join(", ") || "(none registered)";
    throw new ConfigError("reproduction", `must be one of ${valid}`, name);
  }
  return rep;
}
