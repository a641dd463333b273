/** The arms of the NSR / PSR / W-REINFORCE reproduction (arXiv 2506.01347) and the trainer objective of each. */
import { ConfigError, type TrainerConfig } from "../../mod.ts";

/** Trained arms (plus "base", the starting policy, in the logs). */
export const NSR_ARMS = ["psr", "nsr", "w-reinforce", "reinforce", "grpo"] as const;
/** A trained arm. */
export type NsrArm = typeof NSR_ARMS[number];

/**
 * Trainer objective of an arm: ±1 rewards (estimator "signed") with the PSR / NSR / W-REINFORCE sample weights
 * (λ on positives for W-REINFORCE; `nsrAdvantages` in lib/objectives is the same A = w·r), plain REINFORCE (±1, no
 * weights), or GRPO ((r − mean)/std per group, arXiv 2402.03300).
 */
export function nsrArmObjective(arm: string, lambda: number): Partial<TrainerConfig> {
  switch (arm) {
    case "grpo":
      return { estimator: "grpo" };
    case "reinforce":
      return { estimator: "signed" };
    case "psr":
    case "nsr":
    case "w-reinforce":
      return { estimator: "signed", sampleWeighting: arm, wReinforceLambda: lambda };
    default:
      throw new ConfigError("arm", `must be one of ${NSR_ARMS.join(", ")}`, arm);
  }
}
