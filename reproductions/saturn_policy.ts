/**
 * A shared-parameter SAT assignment policy for the SATURN reproduction (arXiv 2505.16368): the policy builds
 * an assignment one literal at a time. At each step it picks one literal L = (v, b) of an unassigned variable v
 * (variable choice and value together) from a linear softmax over per-literal clause features,
 *
 *   π(L | partial assignment) = softmax_L(w · φ(L)),
 *
 * with ONE weight vector w for every (n, k, l), so what is learned on easy levels transfers to harder ones. The
 * features only look at clauses not yet satisfied (u_c = number of their unassigned literals):
 *   φ₀ #clauses ∋ L with u_c = 1 (choosing L satisfies a unit clause)
 *   φ₁ #clauses ∋ L with u_c = 2
 *   φ₂ #clauses ∋ L / (l·n/k)            (occurrences, normalised by the mean occurrences of a variable)
 *   φ₃ #clauses ∋ ¬L with u_c = 1 (choosing L falsifies a clause: reward 0 for sure)
 *   φ₄ #clauses ∋ ¬L with u_c = 2 (choosing L leaves a unit clause)
 *   φ₅ #clauses ∋ ¬L / (l·n/k)
 * At w = 0 the policy is a uniformly random assignment. Reward 1 iff the finished assignment satisfies every
 * clause (`SatTask.verify` on the k-bit response). ∇_w log π(L) = φ(L) − E_π[φ]; plain Float64Array math, no tfjs.
 */
import type { Rng } from "../lib/core/rng.ts";
import { assertFiniteArray, ConfigError } from "../lib/core/validate.ts";
import type { RolloutGroup, RolloutRequest } from "../lib/curricula/types.ts";
import { type Clause, SAT_VOCAB, type SatTask } from "../lib/tasks/sat.ts";
import type { Problem } from "../lib/tasks/types.ts";

/** Number of per-literal features φ (see the module doc). */
export const SAT_FEATURES = 6;
/** Names of the features φ₀…φ₅. */
export const SAT_FEATURE_NAMES = ["sat1", "sat2", "satAll", "kill1", "kill2", "killAll"] as const;

/** One sampled assignment: the bits, and Σ_t (φ(L_t) − E_π[φ]) = ∇_w log π(trajectory). */
export interface SatTrajectory {
  /** Assignment per variable. */
  assignment: boolean[];
  /** Score function ∇_w log π(trajectory) (length SAT_FEATURES). */
  score: Float64Array;
  /** log π(trajectory). */
  logProb: number;
}

function clausesOf(problem: Problem): { clauses: Clause[]; k: number; n: number; l: number } {
  const meta = problem.meta as { clauses?: Clause[]; k?: number; n?: number; l?: number } | undefined;
  if (!meta?.clauses || typeof meta.k !== "number") {
    throw new ConfigError("problem.meta", "must be a SatTask problem (meta.clauses, meta.k)", problem.id);
  }
  return { clauses: meta.clauses, k: meta.k, n: meta.n ?? 3, l: meta.l ?? meta.clauses.length };
}

/**
 * Per-literal features φ of the partial `assignment` (−1 unassigned, 0 false, 1 true): a Float64Array of
 * 2k·SAT_FEATURES, literal (v, b) at offset (2v + b)·SAT_FEATURES (b = 1 for "true"). Assigned variables get 0.
 */
export function satLiteralFeatures(clauses: readonly Clause[], k: number, assignment: ArrayLike<number>) {
  const F = SAT_FEATURES;
  const phi = new Float64Array(2 * k * F);
  const occ = Math.max(1e-9, clauses.reduce((t, c) => t + c.length, 0) / k);
  for (const clause of clauses) {
    let sat = false;
    let u = 0;
    for (const lit of clause) {
      const a = assignment[Math.abs(lit) - 1];
      if (a < 0) u++;
      else if ((a === 1) === lit > 0) {
        sat = true;
        break;
      }
    }
    if (sat) continue;
    for (const lit of clause) {
      const v = Math.abs(lit) - 1;
      if (assignment[v] >= 0) continue;
      const b = lit > 0 ? 1 : 0;
      const pos = (2 * v + b) * F; // choosing this literal satisfies the clause
      const neg = (2 * v + 1 - b) * F; // choosing its negation removes one literal from it
      if (u === 1) phi[pos] += 1;
      if (u === 2) phi[pos + 1] += 1;
      phi[pos + 2] += 1 / occ;
      if (u === 1) phi[neg + 3] += 1;
      if (u === 2) phi[neg + 4] += 1;
      phi[neg + 5] += 1 / occ;
    }
  }
  return phi;
}

/** Sample one assignment from π_w (module doc) for `clauses` over k variables. */
export function sampleSatAssignment(
  weights: ArrayLike<number>,
  clauses: readonly Clause[],
  k: number,
  rng: Rng,
): SatTrajectory {
  const F = SAT_FEATURES;
  const assignment = new Int8Array(k).fill(-1);
  const score = new Float64Array(F);
  const logits = new Float64Array(2 * k);
  const probs = new Float64Array(2 * k);
  let logProb = 0;
  for (let t = 0; t < k; t++) {
    const phi = satLiteralFeatures(clauses, k, assignment);
    let max = -Infinity;
    for (let L = 0; L < 2 * k; L++) {
      if (assignment[L >> 1] >= 0) {
        logits[L] = -Infinity;
        continue;
      }
      let z = 0;
      for (let f = 0; f < F; f++) z += weights[f] * phi[L * F + f];
      logits[L] = z;
      if (z > max) max = z;
    }
    let sum = 0;
    for (let L = 0; L < 2 * k; L++) sum += probs[L] = logits[L] === -Infinity ? 0 : Math.exp(logits[L] - max);
    for (let L = 0; L < 2 * k; L++) probs[L] /= sum;
    const chosen = rng.categorical(probs);
    logProb += Math.log(probs[chosen]);
    for (let f = 0; f < F; f++) {
      let mean = 0;
      for (let L = 0; L < 2 * k; L++) if (probs[L] > 0) mean += probs[L] * phi[L * F + f];
      score[f] += phi[chosen * F + f] - mean;
    }
    assignment[chosen >> 1] = chosen & 1;
  }
  return { assignment: Array.from(assignment, (a) => a === 1), score, logProb };
}

/** The k-bit response tokens (+ eos) of an assignment, in the SatTask format. */
export function assignmentTokens(assignment: readonly boolean[]): number[] {
  return [...SAT_VOCAB.encode(assignment.map((b) => (b ? "1" : "0")).join("")), SAT_VOCAB.eos];
}

/**
 * Linear-softmax SAT assignment policy with shared weights w (module doc). `generate` returns scored rollout
 * groups in the trainer's format and remembers each group's score functions for `update`.
 */
export class SatAssignPolicy {
  /** Shared weights w (length SAT_FEATURES). */
  weights: Float64Array;
  private readonly scores = new WeakMap<RolloutGroup, Float64Array[]>();

  /** Start from `init` (default w = 0: a uniformly random assignment). */
  constructor(readonly task: SatTask, init?: ArrayLike<number>) {
    this.weights = new Float64Array(SAT_FEATURES);
    if (init) {
      assertFiniteArray("init", init);
      if (init.length !== SAT_FEATURES) {
        throw new ConfigError("init", `must have length ${SAT_FEATURES}`, init.length);
      }
      this.weights.set(init);
    }
  }

  /** G sampled assignments per request, rewarded by `task.verify` (hints are not supported by this policy). */
  generate(requests: RolloutRequest[], groupSize: number, rng: Rng): RolloutGroup[] {
    return requests.map(({ problem, hintLength }) => {
      if (hintLength) throw new ConfigError("hintLength", "must be 0 for SatAssignPolicy", hintLength);
      const { clauses, k } = clausesOf(problem);
      const responses: number[][] = [];
      const logProbs: number[][] = [];
      const rewards: number[] = [];
      const scores: Float64Array[] = [];
      for (let i = 0; i < groupSize; i++) {
        const tr = sampleSatAssignment(this.weights, clauses, k, rng);
        const tokens = assignmentTokens(tr.assignment);
        responses.push(tokens);
        logProbs.push([tr.logProb]);
        rewards.push(this.task.verify(problem, tokens));
        scores.push(tr.score);
      }
      const group: RolloutGroup = { problem, hintLength: 0, responses, logProbs, rewards };
      this.scores.set(group, scores);
      return group;
    });
  }

  /**
   * Policy-gradient step w ← w + lr · (1/N) Σ_groups Σ_i A_i ∇ log π(y_i) for groups from `generate`, advantages
   * aligned with `groups` (e.g. GRPO's), N = number of rollouts. Returns ‖step‖₂.
   */
  update(groups: readonly RolloutGroup[], advantages: readonly (readonly number[])[], lr: number): number {
    const grad = new Float64Array(SAT_FEATURES);
    let count = 0;
    groups.forEach((g, gi) => {
      const scores = this.scores.get(g);
      if (!scores) throw new ConfigError("groups", "must come from this policy's generate()");
      g.rewards.forEach((_, i) => {
        const a = advantages[gi][i];
        for (let f = 0; f < SAT_FEATURES; f++) grad[f] += a * scores[i][f];
        count++;
      });
    });
    let norm = 0;
    for (let f = 0; f < SAT_FEATURES; f++) {
      const d = (lr * grad[f]) / Math.max(1, count);
      this.weights[f] += d;
      norm += d * d;
    }
    return Math.sqrt(norm);
  }

  /** Monte-Carlo pass@1: mean verifier reward of `samples` assignments per problem. */
  passAt1(problems: readonly Problem[], samples: number, rng: Rng): number {
    let s = 0;
    for (const p of problems) {
      const { clauses, k } = clausesOf(p);
      for (let i = 0; i < samples; i++) {
        const tr = sampleSatAssignment(this.weights, clauses, k, rng);
        s += this.task.verify(p, assignmentTokens(tr.assignment));
      }
    }
    return s / (problems.length * samples);
  }
}
