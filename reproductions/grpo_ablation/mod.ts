/**
 * GRPO-family ablation (Dr.GRPO arXiv 2503.20783, DAPO arXiv 2503.14476, Lite PPO arXiv 2508.08221) on the LM
 * tier: a TinyTransformer trained by `RLVRTrainer` (lm.ts; pre-registered claims in preregistration.ts). Per
 * seed: an SFT warm start on free-length addition whose references sometimes omit the answer (a visible
 * failure whose length the policy chooses freely), the difficulty-bias probe on the warm start (charts), then
 * the arms from the same weights at every rate of one grid (`trainArms`: equal tuning), each arm at its
 * validation-selected rate (quick: the two length-bias arms; full and smoke: all four):
 *
 *   grpo             GRPO advantages, "seq-mean-token-mean" (per-response 1/|o|)
 *   dr-grpo          Dr.GRPO advantages r − mean, "seq-mean-token-sum-norm" (constant L_max)
 *   clip-symmetric   DAPO token-mean, `clipEpochs` PPO epochs per batch, ε_low = ε_high = 0.2
 *   clip-higher      the same with ε_high = `epsHigh` (DAPO: 0.28)
 *
 * Claims: (a) length bias — under GRPO the incorrect responses end up longer than under Dr.GRPO, and longer
 * relative to the correct ones (grpo-ablation.lm.1, lm.2: pre-registered for quick); (c) clip-higher keeps the
 * token entropy higher than the symmetric clip (lm.3: reported when the clip arms run; not registered, since
 * four arms at two rates with a warm start that has learned the task exceed the quick budget).
 * (b) difficulty bias — dividing by σ̂ = √(p̂(1−p̂)) scales a question's update by 1/σ̂ relative to Dr.GRPO — is
 * an algebraic identity of the estimators, so it is a test (tests/reproductions_grpo_ablation_test.ts), not a
 * claim; the probe measures it on the warm-started transformer for the charts.
 *
 * Changes made after runs are recorded as amendments in preregistration.ts and in docs/history.md.
 */
import { ConfigError, type Reproduction, type Row, runsTier, type SeedContext } from "../../mod.ts";
import { GRPO_ABLATION_PRESETS, GRPO_ABLATION_SEED_SECONDS, type GrpoAblationConfig } from "./config.ts";

export * from "./config.ts";
import { grpoAblationCharts } from "./charts.ts";
import {
  checkGrpoAblationLmClaims,
  runGrpoAblationLmTier,
  tunedPrecondition,
  unansweredPrecondition,
  validateGrpoAblationLm,
} from "./lm.ts";
import { GRPO_ABLATION_LM_CLAIMS, GRPO_ABLATION_LM_PREREGISTRATION } from "./preregistration.ts";

export { difficultyProbe, PROBE_ESTIMATORS } from "./probe.ts";
export {
  checkGrpoAblationLmClaims,
  GRPO_ABLATION_LM_ARMS,
  type GrpoAblationLmArm,
  type GrpoAblationLmConfig,
  lengthByOutcome,
  lmArmConfig,
  MIN_LM_SEEDS_FOR_VERDICT,
  runGrpoAblationLmTier,
  tunedPrecondition,
  unansweredPrecondition,
  windowStats,
} from "./lm.ts";
export { GRPO_ABLATION_LM_PREREGISTRATION } from "./preregistration.ts";

async function runSeed(c: GrpoAblationConfig, ctx: SeedContext): Promise<Row[]> {
  // The only training tier is the LM tier; `tiers: ["exact"]` runs nothing (the probe needs the warm start).
  return runsTier(c, "lm") ? await runGrpoAblationLmTier(c.lm, ctx) : [];
}

function validate(c: GrpoAblationConfig): void {
  if (!c.lm || typeof c.lm !== "object") throw new ConfigError("grpo-ablation.lm", "must be an object", c.lm);
  validateGrpoAblationLm(c.lm, "grpo-ablation.lm");
}

/** The GRPO-family ablation (Dr.GRPO 2503.20783, DAPO 2503.14476, Lite PPO 2508.08221). */
export const grpoAblation: Reproduction<GrpoAblationConfig> = {
  name: "grpo-ablation",
  title: "GRPO family ablation: length bias, difficulty bias, clip-higher",
  paper: "2503.20783",
  usesTensors: true,
  presets: GRPO_ABLATION_PRESETS,
  seedSeconds: GRPO_ABLATION_SEED_SECONDS,
  preregistrations: [GRPO_ABLATION_LM_PREREGISTRATION],
  preconditions: [
    unansweredPrecondition("grpo-ablation.lm.pre1"),
    tunedPrecondition("grpo-ablation.lm.tuned", ["grpo", "dr-grpo"]),
  ],
  validate,
  unitsPerSeed: (config) => config.lm.arms.length,
  runSeed,
  checkClaims: (log) => checkGrpoAblationLmClaims(log, GRPO_ABLATION_LM_CLAIMS),
  charts: grpoAblationCharts,
};
