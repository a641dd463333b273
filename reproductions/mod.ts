/**
 * Paper reproductions: the harness (`Reproduction`, presets, seeded runs with checkpoints, claim verdicts), the
 * results/REPORT.md writer, and the registry `REPRODUCTIONS` that `deno task reproduce` and the notebooks use.
 * To add a reproduction: write reproductions/<name>/mod.ts (or <name>.ts) exporting a `Reproduction`, import it here and append
 * it to `REPRODUCTIONS` (report order = notebook order).
 */
import { ConfigError } from "../lib/core/validate.ts";
import type { BaseConfig, Reproduction } from "./harness.ts";
import { filtering } from "./filtering/mod.ts";
import { seele } from "./seele/mod.ts";
import { rlcr } from "./rlcr.ts";
import { grpoAblation } from "./grpo_ablation.ts";
import { nsr } from "./nsr/mod.ts";
import { kae } from "./kae.ts";
import { saturn } from "./saturn/mod.ts";
import { rover } from "./rover.ts";

export * from "./harness.ts";
export * from "./report.ts";
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
  saturnTrainerConfig,
} from "./saturn/mod.ts";
export {
  checkNsrClaims,
  checkNsrTransformerConfig,
  minPassDiffs,
  nsr,
  NSR_ARMS,
  NSR_TRANSFORMER_DEFAULTS,
  type NsrArm,
  nsrArmObjective,
  nsrCharts,
  type NsrConfig,
  type NsrTransformerConfig,
  pairedPassDiffs,
  runNsrTransformerSeed,
} from "./nsr/mod.ts";
export { checkRoverClaims, pairedDifferences, rover, ROVER_METHODS, type RoverConfig } from "./rover.ts";
export {
  filtering,
  FILTERING_ARMS,
  type FilteringArm,
  type FilteringConfig,
  filteringCurriculum,
  filteringTrainerConfig,
} from "./filtering/mod.ts";
export {
  checkFilteringClaims,
  type FilteringSeedSummary,
  filteringSummaries,
  NOT_REACHED_RATIO,
  probeCorrelations,
} from "./filtering/claims.ts";
export { filteringCharts } from "./filtering/charts.ts";
export { seele, seeleArms, type SeeleConfig, seeleCurriculum, seeleTrainerConfig } from "./seele/mod.ts";
export { binnedPeak, checkSeeleClaims, containedVerdict, descentBins } from "./seele/claims.ts";
export { seeleCharts } from "./seele/charts.ts";
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
