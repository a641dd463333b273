/**
 * The paper reproductions as one module (for notebooks): every paper's reproduction, config, claims and
 * charts, and the registry. Nothing in lib/ or in the papers imports this file.
 */
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
  checkNsrLmClaims,
  nsr,
  NSR_ARMS,
  NSR_LM_ARMS,
  NSR_LM_PREREGISTRATION,
  type NsrArm,
  nsrArmObjective,
  nsrCharts,
  type NsrConfig,
  type NsrLmConfig,
  pairedPassDiffs,
  runNsrLmTier,
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
  checkGrpoAblationLmClaims,
  difficultyProbe,
  GRPO_ABLATION_LM_ARMS,
  GRPO_ABLATION_LM_PREREGISTRATION,
  grpoAblation,
  type GrpoAblationConfig,
  type GrpoAblationLmArm,
  type GrpoAblationLmConfig,
  lengthByOutcome,
  lmArmConfig,
  MIN_LM_SEEDS_FOR_VERDICT,
  PROBE_ESTIMATORS,
  runGrpoAblationLmTier,
} from "./grpo_ablation/mod.ts";
export { grpoAblationCharts } from "./grpo_ablation/charts.ts";
export { getReproduction, REGISTRY, REPRODUCTIONS } from "./registry.ts";
