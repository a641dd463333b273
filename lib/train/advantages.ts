/**
 * The trainer's advantage hook: an `AdvantageFn` maps per-group rewards to per-rollout advantages (groups may
 * differ in size, e.g. SEELE's m·n-rollout groups). `builtinAdvantages(name)` adapts lib/estimators.
 */
import { ConfigError } from "../core/validate.ts";
import {
  drGrpoAdvantages,
  grpoAdvantages,
  litePpoAdvantages,
  reinforcePlusPlusAdvantages,
  rlooAdvantages,
} from "../estimators/advantages.ts";
import type { EstimatorName } from "./config.ts";

/** rewards[g][i] (group g, rollout i) → advantages of the same shape. */
export type AdvantageFn = (rewards: number[][]) => number[][];

function unflatten(flat: number[], like: number[][]): number[][] {
  let k = 0;
  return like.map((g) => g.map(() => flat[k++]));
}

/**
 * Built-in estimators: grpo (arXiv 2402.03300), dr-grpo (2503.20783), rloo (2402.14740) per group;
 * reinforce++ (2501.03262) over the batch; lite-ppo (2508.08221) group mean / batch std (equal group sizes);
 * reinforce: A = r; signed: A = +1 if r > 0 else −1 (the ±1 rewards of PSR/NSR/W-REINFORCE, arXiv 2506.01347).
 */
export function builtinAdvantages(name: EstimatorName, eps = 1e-6): AdvantageFn {
  switch (name) {
    case "grpo":
      return (rs) => rs.map((r) => grpoAdvantages(r, r.length, { eps }));
    case "dr-grpo":
      return (rs) => rs.map((r) => drGrpoAdvantages(r, r.length));
    case "rloo":
      return (rs) => rs.map((r) => rlooAdvantages(r, r.length));
    case "reinforce++":
      return (rs) => unflatten(reinforcePlusPlusAdvantages(rs.flat(), { eps }), rs);
    case "lite-ppo":
      return (rs) => {
        const G = rs[0].length;
        if (rs.some((r) => r.length !== G)) {
          throw new ConfigError(
            "estimator",
            '"lite-ppo" needs groups of equal size',
            rs.map((r) => r.length),
          );
        }
        return unflatten(litePpoAdvantages(rs.flat(), G, { eps }), rs);
      };
    case "reinforce":
      return (rs) => rs.map((r) => r.slice());
    case "signed":
      return (rs) => rs.map((r) => r.map((x) => (x > 0 ? 1 : -1)));
    default:
      throw new ConfigError("estimator", "is not a built-in estimator", name);
  }
}
