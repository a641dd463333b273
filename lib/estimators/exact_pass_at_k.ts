/**
 * Exact pass@k by teacher forcing, for tasks that enumerate their verifier-accepted responses
 * (`Task.acceptedResponses`: addition, digit permutation, SAT, the chains). The success probability of a
 * policy π on a prompt x is
 *   p(x) = Σ_{a ∈ A(x)} π(a | x),   π(a | x) = exp Σ_t log π(a_t | x, a_<t),
 * summed over the prefix-free set A(x), each entry teacher-forced through the policy in batches at temperature 1
 * (the distribution pass@k samples from). Then, with no sampling noise,
 *   pass@k = mean_x [1 − (1 − p(x))^k]          (= E[Chen et al.'s unbiased estimator] for any n ≥ k)
 *   E[distinct correct answers in N samples] = Σ_{a ∈ A(x)} [1 − (1 − π(a | x))^N].
 * Sampling caps a response at `maxTokens`: an entry longer than the cap cannot be generated (probability 0),
 * except that an entry ending in eos one token past the cap is accepted when cut right before its eos.
 * With a hint (SEELE, arXiv 2509.06923: the first h reference-solution tokens forced, `hintLengths`), the success
 * probability is that of the generated continuation: p(x | h) = Σ_{a ∈ A(x), a_<h = y_<h} π(a_≥h | x, y_<h), an
 * entry that disagrees with the forced prefix counting 0; the forced tokens count towards the cap, as in sampling.
 * The sampled estimator (`sampledPassAtK`) is for tasks whose accepted set cannot be enumerated.
 */
import type { Tensor2D } from "../core/tf.ts";
import { tf } from "../core/tf.ts";
import { assertFiniteNumber, assertInteger, ConfigError } from "../core/validate.ts";
import type { Problem, Task } from "../tasks/types.ts";
import type { SequencePolicy } from "../train/rollouts.ts";

/** Options of `exactAnswerProbabilities`. */
export interface ExactAnswerOptions {
  /** Response length cap of the sampler being described (default contextLength − the prompt's length). */
  maxTokens?: number;
  /** Rows (prompt + entry) per teacher-forcing pass (default 1024). */
  batchSize?: number;
  /**
   * Per problem, the number h of reference-solution tokens forced before sampling (a SEELE hint; default all 0):
   * the result is the probability of the generated continuation given that prefix (module doc).
   */
  hintLengths?: readonly number[];
}

/** The exact answer distribution of one problem: π(a | x) of every accepted response a and their sum p(x). */
export interface ExactAnswers {
  /** The task's accepted responses A(x) (`Task.acceptedResponses`), in the task's order. */
  responses: number[][];
  /** π(a | x) of each accepted response (0 for one the length cap rules out). */
  probabilities: number[];
  /** Success probability p(x) = Σ_a π(a | x), clamped to ≤ 1 against float32 rounding. */
  success: number;
}

/** Throw unless no entry is a prefix of another (the events "begins with a" must be disjoint). */
function assertPrefixFree(entries: readonly number[][], id: string): void {
  const whole = new Set(entries.map((e) => e.join(",")));
  if (whole.size !== entries.length) {
    throw new ConfigError("task.acceptedResponses", `must hold distinct entries (problem ${id})`);
  }
  for (const e of entries) {
    let key = "";
    for (let t = 0; t < e.length - 1; t++) {
      key += (t ? "," : "") + e[t];
      if (whole.has(key)) {
        throw new ConfigError("task.acceptedResponses", `must be prefix-free (problem ${id})`, e);
      }
    }
  }
}

/**
 * Teacher-forced π(a | x) = exp Σ_t log π(a_t | x, a_<t) of every accepted response a of every problem, and
 * p(x) = Σ_a π(a | x) (module doc); throws when the task does not enumerate its accepted responses.
 */
export async function exactAnswerProbabilities<Opts>(
  policy: SequencePolicy,
  task: Task<Opts>,
  problems: readonly Problem[],
  options: ExactAnswerOptions = {},
): Promise<ExactAnswers[]> {
  const { maxTokens, batchSize = 1024, hintLengths } = options;
  if (maxTokens !== undefined) assertInteger("maxTokens", maxTokens, { min: 0 });
  assertInteger("batchSize", batchSize, { min: 1 });
  if (!Array.isArray(problems) || problems.length === 0) {
    throw new ConfigError("problems", "must be a non-empty array", problems);
  }
  if (hintLengths !== undefined) {
    if (!Array.isArray(hintLengths) || hintLengths.length !== problems.length) {
      throw new ConfigError(
        "hintLengths",
        `must hold one hint length per problem (${problems.length})`,
        hintLengths,
      );
    }
    hintLengths.forEach((h, i) =>
      assertInteger(`hintLengths[${i}]`, h, { min: 0, max: problems[i].solution.length })
    );
  }
  const accepted = task.acceptedResponses?.bind(task);
  if (!accepted) {
    throw new ConfigError(
      "task",
      `must enumerate its accepted responses (acceptedResponses) for exact metrics; ${task.name} does not — use sampledPassAtK`,
      task.name,
    );
  }
  const C = policy.config.contextLength;
  const eos = task.vocab.eos;
  const out: ExactAnswers[] = [];
  const rows: { i: number; j: number; prompt: number[]; response: number[] }[] = [];
  problems.forEach((q, i) => {
    const entries = accepted(q);
    assertPrefixFree(entries, q.id);
    const room = Math.min(maxTokens ?? Infinity, C - q.prompt.length);
    const h = hintLengths?.[i] ?? 0;
    const hint = q.solution.slice(0, h);
    out.push({ responses: entries, probabilities: new Array(entries.length).fill(0), success: 0 });
    entries.forEach((a, j) => {
      let response: number[] | null = null;
      if (a.length <= room) response = a;
      else if (a.length === room + 1 && a[a.length - 1] === eos) response = a.slice(0, -1);
      if (response === null) return; // cannot be generated under the cap
      // Under a hint the forced prefix must agree with the entry; only the tokens after it are generated.
      const full: number[] = response;
      if (h > 0 && (full.length < h || hint.some((t: number, k: number) => full[k] !== t))) return;
      const generated = full.slice(h);
      if (generated.length === 0) out[i].probabilities[j] = 1; // nothing left to generate: certain
      else rows.push({ i, j, prompt: [...q.prompt, ...hint], response: generated });
    });
  });
  const pad = task.vocab.pad;
  for (let s = 0; s < rows.length; s += batchSize) {
    const part = rows.slice(s, s + batchSize);
    const L = Math.max(...part.map((r) => r.prompt.length + r.response.length));
    const B = part.length;
    const tok = new Int32Array(B * L).fill(pad);
    const val = new Float32Array(B * L);
    part.forEach((r, b) => {
      const seq = [...r.prompt, ...r.response];
      const off = L - seq.length;
      tok.set(seq, b * L + off);
      val.fill(1, b * L + off, (b + 1) * L);
    });
    const tokens = tf.tensor2d(tok, [B, L], "int32") as Tensor2D;
    const valid = tf.tensor2d(val, [B, L]) as Tensor2D;
    const { logProbs, entropy } = policy.tokenLogProbs(tokens, valid);
    const lp = await logProbs.data();
    tf.dispose([tokens, valid, logProbs, entropy]);
    part.forEach((r, b) => {
      // response token m sits at position L − |a| + m, predicted at target L − |a| + m − 1
      let sum = 0;
      for (let t = L - r.response.length - 1; t < L - 1; t++) sum += lp[b * (L - 1) + t];
      out[r.i].probabilities[r.j] = Math.exp(sum);
    });
  }
  for (const o of out) o.success = Math.min(1, o.probabilities.reduce((x, y) => x + y, 0));
  return out;
}

/** 1 − (1 − p)^k computed as −expm1(k·log1p(−p)) (accurate for small p and large k). */
function atLeastOnce(p: number, k: number): number {
  return p >= 1 ? 1 : -Math.expm1(k * Math.log1p(-p));
}

function checkProbabilities(name: string, ps: readonly number[]): void {
  if (!Array.isArray(ps) || ps.length === 0) throw new ConfigError(name, "must be a non-empty array", ps);
  ps.forEach((p, i) => assertFiniteNumber(`${name}[${i}]`, p, { min: 0, max: 1 }));
}

/** Exact pass@k = mean_x [1 − (1 − p(x))^k] over problems' success probabilities p(x) (module doc). */
export function exactPassAtK(successProbabilities: readonly number[], k: number): number {
  checkProbabilities("successProbabilities", successProbabilities);
  assertInteger("k", k, { min: 1 });
  let s = 0;
  for (const p of successProbabilities) s += atLeastOnce(p, k);
  return s / successProbabilities.length;
}

/** Exact pass@k for each k in `ks` (in order), mean_x [1 − (1 − p(x))^k]. */
export function exactPassAtKValues(successProbabilities: readonly number[], ks: readonly number[]): number[] {
  checkProbabilities("successProbabilities", successProbabilities);
  if (!Array.isArray(ks)) throw new ConfigError("ks", "must be an array of integers ≥ 1", ks);
  ks.forEach((k, j) => assertInteger(`ks[${j}]`, k, { min: 1 }));
  return ks.map((k) =>
    successProbabilities.reduce((s, p) => s + atLeastOnce(p, k), 0) / successProbabilities.length
  );
}

/**
 * Expected number of distinct correct answers among n samples of one prompt, Σ_a [1 − (1 − π(a | x))^n], from
 * the answers' probabilities π(a | x) (`ExactAnswers.probabilities`).
 */
export function expectedDistinctCorrect(answerProbabilities: readonly number[], n: number): number {
  if (!Array.isArray(answerProbabilities)) {
    throw new ConfigError("answerProbabilities", "must be an array", answerProbabilities);
  }
  answerProbabilities.forEach((p, i) =>
    assertFiniteNumber(`answerProbabilities[${i}]`, p, { min: 0, max: 1 })
  );
  assertInteger("n", n, { min: 0 });
  let s = 0;
  for (const p of answerProbabilities) s += atLeastOnce(p, n);
  return s;
}
