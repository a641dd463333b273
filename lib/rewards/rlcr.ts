/**
 * RLCR — Reinforcement Learning with Calibration Rewards (Damani et al., arXiv 2507.16806): the policy states a
 * confidence q ∈ [0, 1] with its answer and is rewarded for correctness plus a proper scoring rule on q.
 */
import { assertFiniteNumber, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Problem } from "../tasks/types.ts";

/** Options of `rlcrReward`. */
export interface RlcrOptions {
  /** Reward when the confidence is missing or outside [0, 1] (paper: 0). */
  unparsableReward: number;
}

/** Options of `rlcrLogScoreReward`. */
export interface RlcrLogScoreOptions extends RlcrOptions {
  /** Floor ε on the probability inside the log: log(max(·, ε)), so the worst reward is log ε (default 1e-6 ≈ −13.8). */
  logFloor: number;
}

const RLCR_DEFAULTS: RlcrOptions = { unparsableReward: 0 };
const RLCR_LOG_DEFAULTS: RlcrLogScoreOptions = { unparsableReward: 0, logFloor: 1e-6 };

/** The confidence as a number in [0, 1], or null if it is missing, non-numeric or out of range. */
export function parseConfidence(confidence: number | string | null | undefined): number | null {
  let q: number;
  if (typeof confidence === "number") q = confidence;
  else if (typeof confidence === "string") {
    const m = /<confidence>\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*<\/confidence>/.exec(confidence) ??
      /^\s*([-+]?\d*\.?\d+(?:[eE][-+]?\d+)?)\s*$/.exec(confidence);
    if (!m) return null;
    q = Number(m[1]);
  } else return null;
  return Number.isFinite(q) && q >= 0 && q <= 1 ? q : null;
}

function checkCorrect(correct: number | boolean): number {
  const c = typeof correct === "boolean" ? (correct ? 1 : 0) : correct;
  if (c !== 0 && c !== 1) throw new ConfigError("correct", "must be 0, 1, true or false", correct);
  return c;
}

/**
 * RLCR reward (arXiv 2507.16806): r = 1[correct] − (q − 1[correct])² (correctness + Brier score);
 * an unparsable q (missing, non-numeric, outside [0, 1]) gets `unparsableReward` (paper: 0).
 */
export function rlcrReward(
  correct: number | boolean,
  confidence: number | string | null | undefined,
  options: Partial<RlcrOptions> = {},
): number {
  const o = resolveConfig("rlcrReward", RLCR_DEFAULTS, options);
  assertFiniteNumber("rlcrReward.unparsableReward", o.unparsableReward);
  const c = checkCorrect(correct);
  const q = parseConfidence(confidence);
  if (q === null) return o.unparsableReward;
  return c - (q - c) ** 2;
}

/**
 * Log-score variant (the unbounded rule RLCR warns against, arXiv 2507.16806): r = 1[correct] + log q if
 * correct, + log(1 − q) if not, with the probability floored at `logFloor` (default 1e-6, so r ≥ log 1e-6).
 */
export function rlcrLogScoreReward(
  correct: number | boolean,
  confidence: number | string | null | undefined,
  options: Partial<RlcrLogScoreOptions> = {},
): number {
  const o = resolveConfig("rlcrLogScoreReward", RLCR_LOG_DEFAULTS, options);
  assertFiniteNumber("rlcrLogScoreReward.unparsableReward", o.unparsableReward);
  assertFiniteNumber("rlcrLogScoreReward.logFloor", o.logFloor, { min: 0, exclusiveMin: true, max: 1 });
  const c = checkCorrect(correct);
  const q = parseConfidence(confidence);
  if (q === null) return o.unparsableReward;
  return c + Math.log(Math.max(c === 1 ? q : 1 - q, o.logFloor));
}

/** A task whose responses state a confidence: `verify` scores the answer, `confidence` parses q (null = none). */
export interface StatedConfidenceTask {
  /** 1 iff the response's answer is correct, else 0. */
  verify(problem: Problem, response: readonly number[]): number;
  /** The stated confidence q ∈ [0, 1] of a response, or null when it is unparsable. */
  confidence(response: readonly number[]): number | null;
}

/**
 * The RLCR reward of a response (arXiv 2507.16806) as a trainer reward function: r = 1[correct] − (q − 1[correct])²
 * with correctness from `task.verify` and q parsed by `task.confidence` (unparsable → `unparsableReward`).
 */
export function rlcrTaskReward(
  task: StatedConfidenceTask,
  options: Partial<RlcrOptions> = {},
): (problem: Problem, response: readonly number[]) => number {
  const o = resolveConfig("rlcrReward", RLCR_DEFAULTS, options);
  assertFiniteNumber("rlcrReward.unparsableReward", o.unparsableReward);
  return (problem, response) => rlcrReward(task.verify(problem, response), task.confidence(response), o);
}
