/**
 * Random tree MDPs (the ROVER test bed) (arXiv 2509.24981): deterministic transitions, a tree-shaped
 * state space (every node has one parent), terminal rewards at the leaves, undiscounted. Taking action a in
 * state s moves to child a of s, so the pair (s, a) is identified with the child node; tabular quantities
 * over (s, a) are stored per child node id (`q[child]`, `logits[child]`).
 *
 * Everything here is exact: values by backward recursion over the tree, policy leaf distributions by forward
 * recursion, so the ROVER theorem and diversity metrics need no Monte Carlo.
 */
import type { Rng } from "../core/rng.ts";
import {
  assertFiniteNumber,
  assertInteger,
  assertOneOf,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";
import type { TabularDecision, TabularStates } from "./tabular.ts";
import type { Problem, Task } from "./types.ts";
import { CharVocabulary } from "./vocab.ts";

/** A tree MDP in flat arrays; node 0 is the root, children of a node are contiguous ids. */
export interface TreeMDP {
  /** Number of nodes. */
  readonly size: number;
  /** First child id per node (leaves: −1). */
  readonly childStart: Int32Array;
  /** Number of children (actions) per node (leaves: 0). */
  readonly childCount: Int32Array;
  /** Parent id per node (root: −1). */
  readonly parent: Int32Array;
  /** Depth per node (root: 0). */
  readonly depth: Int32Array;
  /** Terminal reward per node (0 at internal nodes). */
  readonly reward: Float64Array;
  /** Leaf ids in increasing order. */
  readonly leaves: readonly number[];
}

/** Options of `sampleTreeMDP`. */
export interface TreeMDPOptions {
  /** Depth of every leaf (horizon). */
  depth: number;
  /** Smallest number of actions per internal node. */
  minBranch: number;
  /** Largest number of actions per internal node (uniform in [minBranch, maxBranch]). */
  maxBranch: number;
  /** Probability that a leaf is a solution (binary rewards) — at least one solution is forced. */
  solutionRate: number;
  /** Reward R > 0 of a solution leaf. */
  rewardScale: number;
  /** "binary": leaf rewards in {0, R} (the theorem's condition); "graded": leaf rewards R·U(0,1) (control). */
  rewardKind: "binary" | "graded";
}

/** Reward kinds accepted by `sampleTreeMDP`. */
export const TREE_REWARD_KINDS = ["binary", "graded"] as const;

const TREE_DEFAULTS: TreeMDPOptions = {
  depth: 4,
  minBranch: 2,
  maxBranch: 4,
  solutionRate: 0.1,
  rewardScale: 1,
  rewardKind: "binary",
};

/** Sample a random tree MDP: branching uniform in [minBranch, maxBranch], leaves at `depth`, rewards per `rewardKind`. */
export function sampleTreeMDP(rng: Rng, options: Partial<TreeMDPOptions> = {}): TreeMDP {
  const o = resolveConfig("sampleTreeMDP", TREE_DEFAULTS, options);
  assertInteger("sampleTreeMDP.depth", o.depth, { min: 1, max: 64 });
  assertInteger("sampleTreeMDP.minBranch", o.minBranch, { min: 1 });
  assertInteger("sampleTreeMDP.maxBranch", o.maxBranch, { min: o.minBranch });
  assertFiniteNumber("sampleTreeMDP.solutionRate", o.solutionRate, { min: 0, max: 1 });
  assertFiniteNumber("sampleTreeMDP.rewardScale", o.rewardScale, { min: 0, exclusiveMin: true });
  assertOneOf("sampleTreeMDP.rewardKind", o.rewardKind, TREE_REWARD_KINDS);
  const childStart: number[] = [-1];
  const childCount: number[] = [0];
  const parent: number[] = [-1];
  const depth: number[] = [0];
  // Breadth-first construction keeps siblings contiguous.
  for (let head = 0; head < parent.length; head++) {
    if (depth[head] === o.depth) continue;
    const b = o.minBranch + rng.int(o.maxBranch - o.minBranch + 1);
    childStart[head] = parent.length;
    childCount[head] = b;
    for (let a = 0; a < b; a++) {
      parent.push(head);
      depth.push(depth[head] + 1);
      childStart.push(-1);
      childCount.push(0);
    }
  }
  const n = parent.length;
  const reward = new Float64Array(n);
  const leaves: number[] = [];
  for (let i = 0; i < n; i++) if (childCount[i] === 0) leaves.push(i);
  if (o.rewardKind === "binary") {
    let any = false;
    for (const l of leaves) {
      if (rng.uniform() < o.solutionRate) {
        reward[l] = o.rewardScale;
        any = true;
      }
    }
    if (!any) reward[leaves[rng.int(leaves.length)]] = o.rewardScale;
  } else {
    for (const l of leaves) reward[l] = o.rewardScale * rng.uniform();
  }
  return {
    size: n,
    childStart: Int32Array.from(childStart),
    childCount: Int32Array.from(childCount),
    parent: Int32Array.from(parent),
    depth: Int32Array.from(depth),
    reward,
    leaves,
  };
}

/** V^u(s) of the uniform random policy: reward at leaves, mean of children otherwise; Q^u(s, a) = V^u(child). */
export function uniformPolicyValues(tree: TreeMDP): Float64Array {
  const v = new Float64Array(tree.size);
  for (let s = tree.size - 1; s >= 0; s--) {
    const b = tree.childCount[s];
    if (b === 0) {
      v[s] = tree.reward[s];
      continue;
    }
    let sum = 0;
    for (let c = tree.childStart[s]; c < tree.childStart[s] + b; c++) sum += v[c];
    v[s] = sum / b;
  }
  return v;
}

/** V*(s) = max over children (reward at leaves): the optimal value by backward recursion. */
export function optimalValues(tree: TreeMDP): Float64Array {
  const v = new Float64Array(tree.size);
  for (let s = tree.size - 1; s >= 0; s--) {
    const b = tree.childCount[s];
    if (b === 0) {
      v[s] = tree.reward[s];
      continue;
    }
    let best = -Infinity;
    for (let c = tree.childStart[s]; c < tree.childStart[s] + b; c++) best = Math.max(best, v[c]);
    v[s] = best;
  }
  return v;
}

/**
 * Value at the root of acting greedily on per-(s, a) scores q[child], with the WORST tie-break (ties within
 * `tol` resolved toward the lowest true return) — so "greedy is optimal" holds for every argmax choice.
 */
export function greedyWorstCaseValue(tree: TreeMDP, q: ArrayLike<number>, tol = 1e-12): number {
  const v = new Float64Array(tree.size);
  for (let s = tree.size - 1; s >= 0; s--) {
    const b = tree.childCount[s];
    if (b === 0) {
      v[s] = tree.reward[s];
      continue;
    }
    const c0 = tree.childStart[s];
    let best = -Infinity;
    for (let c = c0; c < c0 + b; c++) best = Math.max(best, q[c]);
    let worst = Infinity;
    for (let c = c0; c < c0 + b; c++) if (q[c] >= best - tol) worst = Math.min(worst, v[c]);
    v[s] = worst;
  }
  return v[0];
}

/** π(a|s) = softmax(logits[children of s] / temperature), written per child id (root entry 1). */
export function softmaxPolicy(tree: TreeMDP, logits: ArrayLike<number>, temperature = 1): Float64Array {
  assertFiniteNumber("temperature", temperature, { min: 0, exclusiveMin: true });
  const p = new Float64Array(tree.size);
  p[0] = 1;
  for (let s = 0; s < tree.size; s++) {
    if (tree.childCount[s] > 0) nodeSoftmax(tree, logits, s, temperature, p);
  }
  return p;
}

/** π(·|s) = softmax(logits[children of s] / temperature) for one node s with children, written into `out` at the child ids. */
export function nodeSoftmax(
  tree: TreeMDP,
  logits: ArrayLike<number>,
  s: number,
  temperature: number,
  out: Float64Array,
): void {
  const c0 = tree.childStart[s];
  const b = tree.childCount[s];
  let max = -Infinity;
  for (let c = c0; c < c0 + b; c++) max = Math.max(max, logits[c] / temperature);
  let z = 0;
  for (let c = c0; c < c0 + b; c++) z += out[c] = Math.exp(logits[c] / temperature - max);
  for (let c = c0; c < c0 + b; c++) out[c] /= z;
}

/** Reach probability of every node under per-child action probabilities π (P(root) = 1, P(c) = P(s)·π(c|s)). */
export function reachProbabilities(tree: TreeMDP, policy: ArrayLike<number>): Float64Array {
  const reach = new Float64Array(tree.size);
  reach[0] = 1;
  for (let c = 1; c < tree.size; c++) reach[c] = reach[tree.parent[c]] * policy[c];
  return reach;
}

/** Exact evaluation of a policy on a binary-reward tree: success probability and diversity. */
export interface TreePolicyEvaluation {
  /** pass@1 = P(reach a solution leaf). */
  successProbability: number;
  /** Expected return Σ_leaf P(leaf)·r(leaf). */
  expectedReturn: number;
  /** Number of solution leaves in the tree. */
  solutions: number;
  /** Expected number of distinct solutions among n samples: Σ_sol 1 − (1 − P(sol))ⁿ. */
  expectedDistinct: (n: number) => number;
  /** pass@k = 1 − (1 − p)^k for k independent samples. */
  passAtK: (k: number) => number;
}

/** Exact success probability, pass@k and expected distinct solutions of a per-child policy on `tree`. */
export function evaluateTreePolicy(tree: TreeMDP, policy: ArrayLike<number>): TreePolicyEvaluation {
  const reach = reachProbabilities(tree, policy);
  const sol: number[] = [];
  let p = 0;
  let ret = 0;
  for (const l of tree.leaves) {
    ret += reach[l] * tree.reward[l];
    if (tree.reward[l] > 0) {
      sol.push(reach[l]);
      p += reach[l];
    }
  }
  p = Math.min(1, p);
  return {
    successProbability: p,
    expectedReturn: ret,
    solutions: sol.length,
    expectedDistinct: (n) => sol.reduce((acc, q) => acc + 1 - Math.pow(1 - q, n), 0),
    passAtK: (k) => 1 - Math.pow(1 - p, k),
  };
}

const ACTION_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/**
 * A pool of tree MDPs as a token `Task` (ROVER, arXiv 2509.24981): problem i is tree i; prompt = bos + "i="; a
 * response is the path's action letters (child slot a of the current node = letter a) + eos; the reward is the
 * reached leaf's terminal reward (in {0, R} for binary trees), `verify` is 1 iff it is positive. Its tabular states
 * are the trees' nodes (row = tree offset + node id; a leaf forces eos), so `TabularSoftmaxPolicy` is the tabular
 * tree policy. Exact extras for evaluation: `childPolicy` turns a probability table into the per-child π that
 * `evaluateTreePolicy` reads.
 */
export class TreeMDPTask implements Task, TabularStates {
  /** Family name "tree". */
  readonly name = "tree";
  /** Vocabulary: pad/bos/eos, one letter per action slot, digits and "=". */
  readonly vocab: CharVocabulary;
  /** The trees, by problem index. */
  readonly trees: readonly TreeMDP[];
  /** Longest prompt + path + eos. */
  readonly maxSequenceLength: number;
  /** Table rows: Σ tree sizes (one per node). */
  readonly numStates: number;
  /** Largest branching factor. */
  readonly maxActions: number;
  private readonly offsets: number[];
  private readonly pool: Problem[];
  private readonly letters: number[];
  private readonly equals: number;

  /** Wrap `trees` (each a `TreeMDP`, e.g. from `sampleTreeMDP`) as problems 0…n−1. */
  constructor(trees: readonly TreeMDP[]) {
    if (!Array.isArray(trees) || trees.length === 0) {
      throw new ConfigError("trees", "must be a non-empty array of TreeMDPs");
    }
    this.trees = trees;
    this.maxActions = Math.max(...trees.map((t) => Math.max(...t.childCount)));
    assertInteger("maxActions", this.maxActions, { min: 1, max: ACTION_LETTERS.length });
    this.vocab = new CharVocabulary(ACTION_LETTERS.slice(0, this.maxActions) + "0123456789=");
    this.letters = this.vocab.encode(ACTION_LETTERS.slice(0, this.maxActions));
    this.equals = this.vocab.encode("=")[0];
    this.offsets = [];
    let off = 0;
    for (const t of trees) this.offsets.push(off), off += t.size;
    this.numStates = off;
    this.pool = trees.map((t, i) => this.build(t, i));
    this.maxSequenceLength = Math.max(...this.pool.map((p) => p.prompt.length + p.solution.length));
  }

  /** Problem of tree `index`: prompt "index=", reference solution = the path to the first best leaf. */
  private build(tree: TreeMDP, index: number): Problem {
    // Reference solution: the path to the first best leaf.
    const best = tree.leaves.reduce((b, l) => (tree.reward[l] > tree.reward[b] ? l : b), tree.leaves[0]);
    const path: number[] = [];
    for (let c = best; c > 0; c = tree.parent[c]) path.unshift(c - tree.childStart[tree.parent[c]]);
    const solText = path.map((a) => ACTION_LETTERS[a]).join("");
    return {
      id: `tree-${index}-n${tree.size}`,
      task: this.name,
      difficulty: Math.max(...tree.depth),
      prompt: [this.vocab.bos, ...this.vocab.encode(`${index}=`)],
      solution: [...this.vocab.encode(solText), this.vocab.eos],
      text: { prompt: `${index}=`, solution: solText },
      meta: { index },
    };
  }

  /** All problems (one per tree). */
  problems(): readonly Problem[] {
    return this.pool;
  }

  /** Draw a tree uniformly. */
  sample(rng: Rng): Problem {
    return this.pool[rng.int(this.pool.length)];
  }

  /** Tree index of a problem of this pool. */
  index(problem: Problem): number {
    const i = (problem?.meta as { index?: number } | undefined)?.index;
    if (typeof i !== "number" || this.pool[i]?.id !== problem.id) {
      throw new ConfigError("problem", "must be a problem of this TreeMDPTask", problem?.id);
    }
    return i;
  }

  /** The node reached by following `actions` (slot indices) from the root, or −1 if an action is invalid. */
  private walk(tree: TreeMDP, tokens: readonly number[]): number {
    let node = 0;
    for (const tok of tokens) {
      const a = this.letters.indexOf(tok);
      if (a < 0 || a >= tree.childCount[node]) return -1;
      node = tree.childStart[node] + a;
    }
    return node;
  }

  /** Terminal reward of the leaf a response reaches (0 for an invalid or unfinished path). */
  reward(problem: Problem, response: readonly number[]): number {
    const tree = this.trees[this.index(problem)];
    const k = response.indexOf(this.vocab.eos);
    const node = this.walk(tree, k < 0 ? response : response.slice(0, k));
    return node >= 0 && tree.childCount[node] === 0 ? tree.reward[node] : 0;
  }

  /** A(x): the action letters of the path to every positive-reward leaf + eos. */
  acceptedResponses(problem: Problem): number[][] {
    const tree = this.trees[this.index(problem)];
    return tree.leaves.filter((leaf) => tree.reward[leaf] > 0).map((leaf) => {
      const path: number[] = [];
      for (let c = leaf; c > 0; c = tree.parent[c]) {
        path.unshift(this.letters[c - tree.childStart[tree.parent[c]]]);
      }
      return [...path, this.vocab.eos];
    });
  }

  /** 1 iff the response reaches a leaf with positive reward (a solution). */
  verify(problem: Problem, response: readonly number[]): number {
    return this.reward(problem, response) > 0 ? 1 : 0;
  }

  /** Actions of row `state`: the node's children. */
  actionCount(state: number): number {
    let i = this.offsets.length - 1;
    while (this.offsets[i] > state) i--;
    return this.trees[i].childCount[state - this.offsets[i]];
  }

  /** Token t of "bos i= a_1 … a_d eos" after the prompt is chosen at the node reached so far (null at a leaf). */
  decision(sequence: readonly number[], t: number): TabularDecision | null {
    const eq = sequence.indexOf(this.equals);
    if (eq < 1 || t <= eq) return null;
    let index = 0;
    for (let i = 1; i < eq; i++) index = 10 * index + Number(this.vocab.symbols[sequence[i]]);
    const tree = this.trees[index];
    if (!tree) throw new ConfigError("sequence", "must start with bos + a tree index of this task", sequence);
    const node = this.walk(tree, sequence.slice(eq + 1, t));
    if (node < 0 || tree.childCount[node] === 0) return null;
    return { state: this.offsets[index] + node, actions: this.letters.slice(0, tree.childCount[node]) };
  }

  /** Per-child π (root entry 1) of tree `problem` from a probability table [numStates × maxActions]. */
  childPolicy(problem: Problem, probs: ArrayLike<number>): Float64Array {
    const i = this.index(problem);
    const tree = this.trees[i];
    const A = this.maxActions;
    const pi = new Float64Array(tree.size);
    pi[0] = 1;
    for (let c = 1; c < tree.size; c++) {
      const s = tree.parent[c];
      pi[c] = probs[(this.offsets[i] + s) * A + c - tree.childStart[s]];
    }
    return pi;
  }

  /** Row-major logits [numStates × maxActions] of per-child scores q[child] of every tree (e.g. V^u/ρ). */
  childLogits(perTree: readonly ArrayLike<number>[]): Float64Array {
    const out = new Float64Array(this.numStates * this.maxActions);
    this.trees.forEach((tree, i) => {
      for (let c = 1; c < tree.size; c++) {
        const s = tree.parent[c];
        out[(this.offsets[i] + s) * this.maxActions + c - tree.childStart[s]] = perTree[i][c];
      }
    });
    return out;
  }
}
