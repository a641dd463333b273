/**
 * Shared task types: a verifiable task family produces `Problem`s over a token vocabulary and verifies
 * responses with a program. Every task family (addition, sat, chain) implements `Task`.
 */
import type { Rng } from "../core/rng.ts";

/** A token vocabulary: id ↔ symbol, plus the special tokens every task uses. */
export interface Vocabulary {
  /** Symbols by id; `symbols[id]`. */
  readonly symbols: readonly string[];
  /** Padding token id. */
  readonly pad: number;
  /** Beginning-of-sequence token id. */
  readonly bos: number;
  /** End-of-sequence token id (generation stops here). */
  readonly eos: number;
  /** Encode a string (symbol by symbol) to ids; throws naming the unknown symbol. */
  encode(text: string): number[];
  /** Decode ids to a string (special tokens dropped). */
  decode(ids: readonly number[]): string;
}

/** One verifiable problem instance. */
export interface Problem {
  /** Stable id (task name + parameters + index/seed), unique within a dataset. */
  id: string;
  /** Task family name ("addition", "sat", "chain", ...). */
  task: string;
  /** Difficulty on the family's own scale (digits for addition, D for SAT, L for chain). */
  difficulty: number;
  /** Prompt token ids (starts with bos). */
  prompt: number[];
  /** Reference solution token ids (ends with eos): the SFT target and the source of hints. */
  solution: number[];
  /** Human-readable prompt and solution. */
  text: { prompt: string; solution: string };
  /** Family-specific data (e.g. SAT clauses, chain correct options). */
  meta?: Record<string, unknown>;
}

/** A task family: samples problems at a difficulty and verifies responses. */
export interface Task<Opts = Record<string, unknown>> {
  /** Family name. */
  readonly name: string;
  /** Vocabulary shared by prompts and responses. */
  readonly vocab: Vocabulary;
  /** Longest prompt + solution length this task can produce (tokens), for sizing the model context. */
  readonly maxSequenceLength: number;
  /** Sample one problem using only `rng` for randomness. */
  sample(rng: Rng, options?: Partial<Opts>): Problem;
  /** 1 if `response` (token ids after the prompt, possibly ending in eos) solves `problem`, else 0. */
  verify(problem: Problem, response: readonly number[]): number;
  /**
   * Optional: the verifier-accepted responses A(x) as a finite prefix-free set — a response is accepted iff it
   * begins with one entry; entries ending in eos are whole responses (also accepted cut at the length cap just
   * before that eos). Exact metrics teacher-force each entry (`exactAnswerProbabilities`); absent when unbounded.
   */
  acceptedResponses?(problem: Problem): number[][];
}
