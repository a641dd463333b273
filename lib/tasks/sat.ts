/**
 * SATURN-style (n, k, l)-SAT (arXiv 2505.16368): l clauses of n literals over k variables, satisfiable by
 * construction (a planted assignment), verified by checking every clause.
 *
 * Format: variables are the letters a, b, c, … (k ≤ 26), a negated literal is "~" before the letter, clauses
 * are separated by ",", then ":" and the k variable letters in answer order, then "=". Prompt
 * `<bos>a~c,~bd:abcd=`; response = k bits (variable a first, "1" = true) then `<eos>`. The reference solution is
 * the planted assignment; the verifier accepts any satisfying one.
 */
import type { Rng } from "../core/rng.ts";
import { assertInteger, assertOneOf, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

/** Letters naming SAT variables 0..25. */
export const SAT_VARIABLES = "abcdefghijklmnopqrstuvwxyz";

/** The SAT vocabulary: pad/bos/eos, variables a–z, "~", ",", "=", "0", "1", ":". */
export const SAT_VOCAB: CharVocabulary = new CharVocabulary(SAT_VARIABLES + "~,=01:");

/** (n, k, l): literals per clause, variables, clauses. */
export interface SatConfig {
  /** Literals per clause (1 ≤ n ≤ k). */
  n: number;
  /** Number of variables (1 ≤ k ≤ 26). */
  k: number;
  /** Number of clauses (≥ 1). */
  l: number;
  /**
   * The reference answer (SFT target, hint source): "planted" = the planted satisfying assignment (default);
   * "uniform" = k fair coin bits drawn after the instance, which need not satisfy it — a format-only warm start
   * that leaves the model at chance on every (n, k, l). The verifier is the same either way.
   */
  reference: "planted" | "uniform";
}

/** Default (n, k, l) = (3, 5, 5), planted reference. */
export const SAT_DEFAULTS: SatConfig = { n: 3, k: 5, l: 5, reference: "planted" };

/** A clause is a list of literals: +(v+1) for variable v, −(v+1) for its negation (DIMACS convention). */
export type Clause = number[];

/** SATURN difficulty estimate D = log2 k + 2·log2 l − n + k/n (arXiv 2505.16368). */
export function satDifficulty(n: number, k: number, l: number): number {
  assertInteger("n", n, { min: 1 });
  assertInteger("k", k, { min: 1 });
  assertInteger("l", l, { min: 1 });
  return Math.log2(k) + 2 * Math.log2(l) - n + k / n;
}

/** True iff every clause has at least one literal made true by `assignment` (booleans indexed by variable). */
export function satisfies(clauses: readonly Clause[], assignment: readonly boolean[]): boolean {
  return clauses.every((clause) =>
    clause.some((lit) => {
      const v = Math.abs(lit) - 1;
      if (v >= assignment.length) return false;
      return lit > 0 ? assignment[v] : !assignment[v];
    })
  );
}

/** Clauses as text: "a~c,~bd" (see the module doc). */
export function formatClauses(clauses: readonly Clause[]): string {
  return clauses.map((c) => c.map((lit) => (lit < 0 ? "~" : "") + SAT_VARIABLES[Math.abs(lit) - 1]).join(""))
    .join(",");
}

/** (n, k, l)-SAT with a planted assignment; difficulty = `satDifficulty(n, k, l)`. */
export class SatTask implements Task<SatConfig> {
  /** Family name. */
  readonly name = "sat";
  /** Shared vocabulary (`SAT_VOCAB`). */
  readonly vocab: CharVocabulary = SAT_VOCAB;
  /** Default (n, k, l); `sample` may override any of them per problem. */
  readonly config: SatConfig;

  /** Create with default `{n, k, l}` (see `SAT_DEFAULTS`). */
  constructor(config: Partial<SatConfig> = {}) {
    this.config = SatTask.check(resolveConfig("sat", SAT_DEFAULTS, config));
  }

  /** Validate an (n, k, l) config (k ≤ the named variables, 1 ≤ n ≤ k, l ≥ 1). */
  private static check(c: SatConfig): SatConfig {
    assertInteger("sat.k", c.k, { min: 1, max: SAT_VARIABLES.length });
    assertInteger("sat.n", c.n, { min: 1, max: c.k });
    assertInteger("sat.l", c.l, { min: 1 });
    assertOneOf("sat.reference", c.reference, ["planted", "uniform"] as const);
    return c;
  }

  /**
   * bos + l clauses of n literals (≤ 2 symbols each) + (l − 1) commas + ":" + k letters + "=" + k bits + eos, at
   * the defaults.
   */
  get maxSequenceLength(): number {
    const { n, k, l } = this.config;
    return 1 + l * 2 * n + (l - 1) + 1 + k + 1 + k + 1;
  }

  /**
   * Planted instance: draw the assignment, then per clause n distinct variables (sorted) with random signs;
   * a clause the assignment falsifies gets one uniformly chosen literal flipped, so the assignment satisfies all.
   * With `reference: "uniform"` the reference answer is then k fair coin bits.
   */
  sample(rng: Rng, options: Partial<SatConfig> = {}): Problem {
    const { n, k, l, reference } = SatTask.check(resolveConfig("sat.sample", this.config, options));
    const planted = Array.from({ length: k }, () => rng.bernoulli(0.5));
    const clauses: Clause[] = [];
    for (let c = 0; c < l; c++) {
      const vars = rng.sampleWithoutReplacement(k, n).sort((x, y) => x - y);
      const clause = vars.map((v) => (rng.bernoulli(0.5) ? v + 1 : -(v + 1)));
      if (!satisfies([clause], planted)) {
        const i = rng.int(n);
        clause[i] = -clause[i];
      }
      clauses.push(clause);
    }
    const problem = this.problem(clauses, planted, { n, k, l });
    if (reference === "uniform") {
      const bits = Array.from({ length: k }, () => (rng.bernoulli(0.5) ? "1" : "0")).join("");
      problem.solution = [...this.vocab.encode(bits), this.vocab.eos];
      problem.text.solution = bits;
      problem.meta!.reference = "uniform";
    }
    return problem;
  }

  /** The problem for given clauses and a satisfying `planted` assignment (throws if it does not satisfy). */
  problem(clauses: Clause[], planted: boolean[], shape?: Pick<SatConfig, "n" | "k" | "l">): Problem {
    const k = planted.length;
    for (const [ci, clause] of clauses.entries()) {
      for (const lit of clause) {
        if (!Number.isInteger(lit) || lit === 0 || Math.abs(lit) > k) {
          throw new ConfigError(
            `clauses[${ci}]`,
            `literals must be nonzero integers in [−${k}, ${k}]`,
            clause,
          );
        }
      }
    }
    if (!satisfies(clauses, planted)) throw new ConfigError("planted", "must satisfy every clause", planted);
    const n = shape?.n ?? Math.max(...clauses.map((c) => c.length));
    const l = shape?.l ?? clauses.length;
    const prompt = formatClauses(clauses) + ":" + SAT_VARIABLES.slice(0, k) + "=";
    const answer = planted.map((b) => (b ? "1" : "0")).join("");
    return {
      id: `sat:${n},${k},${l}:${prompt}`,
      task: this.name,
      difficulty: satDifficulty(n, k, l),
      prompt: [this.vocab.bos, ...this.vocab.encode(prompt)],
      solution: [...this.vocab.encode(answer), this.vocab.eos],
      text: { prompt, solution: answer },
      meta: { n, k, l, clauses, planted },
    };
  }

  /** A(x): every satisfying assignment's k bits + eos, found by enumerating all 2^k assignments (k ≤ 20). */
  acceptedResponses(problem: Problem): number[][] {
    const meta = problem.meta as { k: number; clauses: Clause[] };
    assertInteger("problem.meta.k", meta.k, { min: 1, max: 20 });
    const [zero, one] = this.vocab.encode("01");
    const out: number[][] = [];
    const assignment = new Array<boolean>(meta.k);
    for (let m = 0; m < 2 ** meta.k; m++) {
      // variable a is the most significant bit, so entries come in lexicographic order of their bits
      for (let v = 0; v < meta.k; v++) assignment[v] = ((m >> (meta.k - 1 - v)) & 1) === 1;
      if (satisfies(meta.clauses, assignment)) {
        out.push([...assignment.map((b) => (b ? one : zero)), this.vocab.eos]);
      }
    }
    return out;
  }

  /** 1 iff the tokens before eos are exactly k bits and that assignment satisfies every clause. */
  verify(problem: Problem, response: readonly number[]): number {
    const meta = problem.meta as { k: number; clauses: Clause[] };
    const bits = this.vocab.untilEos(response);
    if (bits.length !== meta.k) return 0;
    const zero = this.vocab.encode("0")[0];
    const one = this.vocab.encode("1")[0];
    if (!bits.every((t) => t === zero || t === one)) return 0;
    return satisfies(meta.clauses, bits.map((t) => t === one)) ? 1 : 0;
  }
}

function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let out = 1;
  for (let i = 1; i <= k; i++) out = (out * (n - k + i)) / i;
  return out;
}

/**
 * Chance level of planted (n, k, l)-SAT (`SatTask.sample`): the expected share of the 2^k assignments that
 * satisfy a drawn instance, i.e. the pass@1 of a uniformly random answer,
 *   E[#sat]/2^k = 2^−k Σ_d C(k, d) (1 − q_d)^l,   q_d = Σ_j C(d, j) C(k − d, n − j)/C(k, n) · f(j),
 * where an assignment differs from the planted one on d variables, j of them in a clause, and f(j) is the
 * probability that the clause's literals are true under the planted assignment exactly outside those j: f(0) = 0,
 * f(1) = 2^−n (1 + 1/n) (a falsified draw is flipped to one true literal), f(j ≥ 2) = 2^−n.
 */
export function plantedSatChance(n: number, k: number, l: number): number {
  assertInteger("k", k, { min: 1, max: SAT_VARIABLES.length });
  assertInteger("n", n, { min: 1, max: k });
  assertInteger("l", l, { min: 1 });
  const f = (j: number) => (j === 0 ? 0 : j === 1 ? 2 ** -n * (1 + 1 / n) : 2 ** -n);
  let total = 0;
  for (let d = 0; d <= k; d++) {
    let q = 0;
    for (let j = 0; j <= Math.min(d, n); j++) q += binomial(d, j) * binomial(k - d, n - j) * f(j);
    q /= binomial(k, n);
    total += binomial(k, d) * (1 - q) ** l;
  }
  return total / 2 ** k;
}

/**
 * Success probability of the majority-polarity heuristic on one instance: each variable takes the polarity of
 * the majority of its literals (true on more positive than negated occurrences), ties (absent variables
 * included) broken by a fair coin; the result is the share of the tie completions that satisfy every clause.
 */
export function majorityPolaritySuccess(clauses: readonly Clause[], k: number): number {
  assertInteger("k", k, { min: 1, max: 20 });
  const balance = new Array<number>(k).fill(0);
  for (const clause of clauses) {
    for (const lit of clause) {
      const v = Math.abs(lit) - 1;
      if (v >= k) throw new ConfigError("clauses", `literals must name variables 1…${k}`, clause);
      balance[v] += lit > 0 ? 1 : -1;
    }
  }
  const ties = balance.flatMap((b, v) => (b === 0 ? [v] : []));
  const assignment = balance.map((b) => b > 0);
  let ok = 0;
  for (let m = 0; m < 2 ** ties.length; m++) {
    ties.forEach((v, i) => (assignment[v] = ((m >> i) & 1) === 1));
    if (satisfies(clauses, assignment)) ok++;
  }
  return ok / 2 ** ties.length;
}
