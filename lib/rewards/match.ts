/** Verifiable outcome rewards: exact match of the final answer and format compliance. */
import { assertFiniteNumber, ConfigError, resolveConfig } from "../core/validate.ts";

/** Options of `exactMatchReward`. */
export interface ExactMatchOptions {
  /** Trim surrounding whitespace of string answers before comparing (default true). */
  trim: boolean;
  /** Compare strings case-insensitively (default false). */
  ignoreCase: boolean;
}

const EXACT_DEFAULTS: ExactMatchOptions = { trim: true, ignoreCase: false };

/** r = 1[answer = reference] (strings, optionally trimmed/case-folded, or token arrays element-wise); null answer → 0. */
export function exactMatchReward(
  answer: string | readonly number[] | null | undefined,
  reference: string | readonly number[],
  options: Partial<ExactMatchOptions> = {},
): number {
  const c = resolveConfig("exactMatchReward", EXACT_DEFAULTS, options);
  if (answer === null || answer === undefined) return 0;
  if (typeof reference === "string") {
    if (typeof answer !== "string") {
      throw new ConfigError("answer", "must be a string when reference is a string", answer);
    }
    let a = c.trim ? answer.trim() : answer;
    let b = c.trim ? reference.trim() : reference;
    if (c.ignoreCase) [a, b] = [a.toLowerCase(), b.toLowerCase()];
    return a === b ? 1 : 0;
  }
  if (!Array.isArray(reference)) {
    throw new ConfigError("reference", "must be a string or an array of token ids", reference);
  }
  if (!Array.isArray(answer)) {
    throw new ConfigError("answer", "must be an array when reference is an array", answer);
  }
  if (answer.length !== reference.length) return 0;
  for (let i = 0; i < answer.length; i++) if (answer[i] !== reference[i]) return 0;
  return 1;
}

/** Options of `formatReward`. */
export interface FormatRewardOptions {
  /** Reward when the text matches (default 1). */
  reward: number;
  /** Reward when it does not (default 0). */
  penalty: number;
}

const FORMAT_DEFAULTS: FormatRewardOptions = { reward: 1, penalty: 0 };

/** r = reward if `pattern.test(text)`, else penalty (rule-based format reward, e.g. DeepSeek-R1 tags, arXiv 2501.12948). */
export function formatReward(
  text: string,
  pattern: RegExp,
  options: Partial<FormatRewardOptions> = {},
): number {
  const c = resolveConfig("formatReward", FORMAT_DEFAULTS, options);
  assertFiniteNumber("formatReward.reward", c.reward);
  assertFiniteNumber("formatReward.penalty", c.penalty);
  if (typeof text !== "string") throw new ConfigError("text", "must be a string", text);
  if (!(pattern instanceof RegExp)) throw new ConfigError("pattern", "must be a RegExp", pattern);
  pattern.lastIndex = 0; // a /g or /y pattern keeps state between test() calls
  return pattern.test(text) ? c.reward : c.penalty;
}
