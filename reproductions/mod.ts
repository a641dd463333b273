/**
 * Paper reproductions: the harness (`Reproduction`, presets, seeded runs with checkpoints, claim verdicts), the
 * results/REPORT.md writer, pre-registration, and the registry `REPRODUCTIONS` that `deno task reproduce` and
 * the notebooks use. To add a reproduction: write reproductions/<name>/mod.ts exporting a `Reproduction`
 * (claims.ts, charts.ts beside it), import it here and append it to `REPRODUCTIONS` (report order = notebook
 * order).
 */
import { ConfigError } from "../lib/core/validate.ts";
import type { BaseConfig, Reproduction } from "./harness.ts";
import { filtering } from "./filtering/mod.ts";
import { seele } from "./seele/mod.ts";
import { rlcr } from "./rlcr/mod.ts";
import { grpoAblation } from "./grpo_ablation/mod.ts";
import { nsr } from "./nsr/mod.ts";
import { kae } from "./kae/mod.ts";
import { saturn } from "./saturn/mod.ts";
import { rover } from "./rover/mod.ts";

export * from "./harness.ts";
export * from "./report.ts";
export * from "./preregistration.ts";
export * from "./jobs.ts";
export * from "./sweep.ts";
export {
  rlcr,
  RLCR_ARMS,
  RLCR_REWARDS,
  type RlcrArm,
  rlcrArmReward,
  type RlcrConfig,
  rlcrTask,
  statedConfidence,
} from "./rlcr/mod.ts";
export { checkRlcrClaims, type RlcrMetric, rlcrMetric, rlcrPairedDifferences } from "./rlcr/claims.ts";
export { reliabilityRecords, rlcrCharts } from "./rlcr/charts.ts";
export { checkKaeClaims, kae, KAE_BASELINES, KAE_G1_ARMS, kaeCharts, type KaeConfig } from "./kae/mod.ts";
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
export { checkRoverClaims, pairedDifferences, rover, ROVER_METHODS, type RoverConfig } from "./rover/mod.ts";
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
  armTrainerConfig,
  difficultyProbe,
  GRPO_ABLATION_ARMS,
  grpoAblation,
  type GrpoAblationArm,
  type GrpoAblationConfig,
  LENGTH_ARMS,
  lengthByCorrectness,
  PROBE_ESTIMATORS,
} from "./grpo_ablation/mod.ts";
export { checkGrpoAblationClaims, MIN_SEEDS_FOR_VERDICT } from "./grpo_ablation/claims.ts";
export { grpoAblationCharts } from "./grpo_ablation/charts.ts";

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
