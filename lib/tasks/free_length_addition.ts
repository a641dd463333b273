/**
 * Free-length addition for the GRPO-family length-bias test (Dr.GRPO, arXiv 2503.20783): the response is the
 * (reversed, fixed-width) sum followed by any number of free "filler" tokens, then eos. Correctness depends on
 * the answer prefix only, so response length is a free choice of the policy — as the length of an LLM's
 * reasoning is — and only the loss aggregation can move it. `sample` draws a reference solution with a
 * uniform number of filler tokens in [0, maxFiller], so a supervised warm start leaves the policy with a
 * spread of lengths to choose from. With `unansweredRate` > 0 a reference omits the answer with that probability
 * (filler, then eos: reward 0), as an R1-Zero base model often rambles without giving an answer: the warm-started
 * policy then makes failures it can SEE (no answer in its own prefix), so its length choice after a failure can
 * depend on correctness — the setting of Dr.GRPO's length-bias argument.
 */
import type { Rng } from "../core/rng.ts";
import { assertFiniteNumber, assertInteger, resolveConfig } from "../core/validate.ts";
import { AdditionTask } from "./addition.ts";
import type { AdditionOptions } from "./addition.ts";
import type { CharVocabulary } from "./vocab.ts";
import type { Problem, Task } from "./types.ts";

/** Outcome of a free-length response: the right answer prefix, a wrong one, or no answer (first token not a digit). */
export type FreeLengthOutcome = "correct" | "wrong" | "unanswered";

/** Options of `FreeLengthAdditionTask`. */
export interface FreeLengthAdditionConfig {
  /** Digits per operand (fixed width, reversed answers; default 1). */
  digits: number;
  /** Largest number of filler tokens in a sampled reference solution (default 4). */
  maxFiller: number;
  /** Largest response the task sizes its context for: answer + this many free tokens + eos (default 10). */
  maxFree: number;
  /** Filler symbol used in reference solutions (default "="). */
  filler: string;
  /** Probability that a sampled reference carries no answer, only 0…maxFiller fillers then eos (default 0). */
  unansweredRate: number;
}

/** Defaults: 1-digit operands, 0–4 filler tokens in references, room for 10 free tokens, every reference answered. */
export const FREE_LENGTH_DEFAULTS: FreeLengthAdditionConfig = {
  digits: 1,
  maxFiller: 4,
  maxFree: 10,
  filler: "=",
  unansweredRate: 0,
};

/** Addition whose verifier reads only the answer prefix: 1 iff the first d + 1 response tokens are the sum. */
export class FreeLengthAdditionTask implements Task<AdditionOptions> {
  /** Family name. */
  readonly name = "free-length-addition";
  /** Resolved configuration. */
  readonly config: FreeLengthAdditionConfig;
  /** The underlying fixed-width, reversed-answer addition task. */
  readonly base: AdditionTask;
  /** Vocabulary (the addition vocabulary). */
  readonly vocab: CharVocabulary;
  private readonly fillerId: number;
  private readonly digitIds: ReadonlySet<number>;

  /** Create with `{digits, maxFiller, maxFree, filler}` (see `FREE_LENGTH_DEFAULTS`). */
  constructor(config: Partial<FreeLengthAdditionConfig> = {}) {
    const c = resolveConfig("freeLengthAddition", FREE_LENGTH_DEFAULTS, config);
    assertInteger("freeLengthAddition.digits", c.digits, { min: 1, max: 6 });
    assertInteger("freeLengthAddition.maxFree", c.maxFree, { min: 0 });
    assertInteger("freeLengthAddition.maxFiller", c.maxFiller, { min: 0, max: c.maxFree });
    assertFiniteNumber("freeLengthAddition.unansweredRate", c.unansweredRate, { min: 0, max: 1 });
    this.config = c;
    this.base = new AdditionTask({ minDigits: c.digits, maxDigits: c.digits });
    this.vocab = this.base.vocab;
    this.fillerId = this.vocab.encode(c.filler)[0];
    this.digitIds = new Set(this.vocab.encode("0123456789"));
  }

  /** Number of answer tokens (d + 1 reversed sum digits). */
  get answerLength(): number {
    return this.config.digits + 1;
  }

  /** Prompt (bos + 2d + 2 symbols) + answer (d + 1) + maxFree + eos. */
  get maxSequenceLength(): number {
    const d = this.config.digits;
    return 1 + 2 * d + 2 + d + 1 + this.config.maxFree + 1;
  }

  /**
   * A problem with a reference solution answer + k filler tokens + eos, k uniform in [0, maxFiller]; with
   * probability `unansweredRate` the answer is left out (`meta.answered` false). With rate 0 no extra draw is
   * made, so the problems equal those of a task without the option.
   */
  sample(rng: Rng, options: Partial<AdditionOptions> = {}): Problem {
    const p = this.base.sample(rng, options);
    const k = rng.int(this.config.maxFiller + 1);
    const answered = this.config.unansweredRate === 0 || !rng.bernoulli(this.config.unansweredRate);
    const answer = p.solution.slice(0, this.answerLength);
    return {
      ...p,
      task: this.name,
      solution: [...(answered ? answer : []), ...new Array<number>(k).fill(this.fillerId), this.vocab.eos],
      meta: { ...p.meta, filler: k, answered, answer },
    };
  }

  /** A(x) = {the d + 1 answer tokens}: a prefix, since the tokens after the answer are free. */
  acceptedResponses(problem: Problem): number[][] {
    const want = (problem.meta?.answer as number[] | undefined) ?? problem.solution;
    return [want.slice(0, this.answerLength)];
  }

  /**
   * "correct" when `verify` gives 1; "unanswered" when the response (before eos) is empty or starts with a
   * non-digit — a failure the policy can see in its own prefix; else "wrong" (digits, not the sum).
   */
  outcome(problem: Problem, response: readonly number[]): FreeLengthOutcome {
    if (this.verify(problem, response) === 1) return "correct";
    const got = this.vocab.untilEos(response);
    return got.length > 0 && this.digitIds.has(got[0]) ? "wrong" : "unanswered";
  }

  /** 1 iff the response's first d + 1 tokens (before any eos) are the reversed sum; later tokens are free. */
  verify(problem: Problem, response: readonly number[]): number {
    const n = this.answerLength;
    const got = this.vocab.untilEos(response);
    if (got.length < n) return 0;
    const want = (problem.meta?.answer as number[] | undefined) ?? problem.solution;
    for (let i = 0; i < n; i++) if (got[i] !== want[i]) return 0;
    return 1;
  }
}
