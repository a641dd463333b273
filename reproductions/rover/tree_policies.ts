/**
 * Tabular learners on tree MDPs for the ROVER reproduction (arXiv 2509.24981), both spending the same sample
 * budget (`steps` × `groupSize` root-to-leaf rollouts):
 *
 * - GRPO (arXiv 2402.03300) on a tabular softmax policy, one logit per (s, a) = child node:
 *   θ ← θ + (lr/G) Σ_i Â_i ∇_θ log π(path_i), Â = group-normalised reward, ∇_θ(s,·) log π(a|s) = onehot(a) − π(·|s).
 * - ROVER: tabular Q of the UNIFORM policy learned from the samples of softmax(Q/ρ):
 *   Q(s, a) ← Q(s, a) + α (r(s, a) + mean_{a'} Q(s', a') − Q(s, a)), backward along each sampled path.
 */
import type { Rng } from "../../lib/core/rng.ts";
import { assertFiniteNumber, assertInteger } from "../../lib/core/validate.ts";
import { grpoAdvantages } from "../../lib/estimators/advantages.ts";
import { nodeSoftmax, samplePath, softmaxPolicy, type TreeMDP } from "../../lib/tasks/tree_mdp.ts";

/** Shared training budget and step size. */
export interface TreeTrainConfig {
  /** Training iterations. */
  steps: number;
  /** Rollouts per iteration (G). */
  groupSize: number;
  /** Step size: the policy-gradient learning rate (GRPO) or the TD step α (ROVER). */
  lr: number;
}

/** Called after every iteration with its index (1-based) and a getter of the current per-child action probabilities. */
export type TreeTrainCallback = (step: number, policy: () => Float64Array) => void;

/** Sample a root-to-leaf path from softmax(logits/temperature), filling `pi` at the visited nodes' children. */
function samplePathLocal(
  tree: TreeMDP,
  logits: ArrayLike<number>,
  temperature: number,
  pi: Float64Array,
  rng: Rng,
): number[] {
  return samplePath(tree, pi, rng, (s) => nodeSoftmax(tree, logits, s, temperature, pi));
}

function checkTrain(name: string, c: TreeTrainConfig): void {
  assertInteger(`${name}.steps`, c.steps, { min: 0 });
  assertInteger(`${name}.groupSize`, c.groupSize, { min: 1 });
  assertFiniteNumber(`${name}.lr`, c.lr, { min: 0 });
}

/** GRPO on a tabular tree policy (see module doc); returns the final logits per child id. */
export function trainGrpoTree(
  tree: TreeMDP,
  config: TreeTrainConfig,
  rng: Rng,
  onStep?: TreeTrainCallback,
): Float64Array {
  checkTrain("trainGrpoTree", config);
  const { steps, groupSize: G, lr } = config;
  const logits = new Float64Array(tree.size);
  const delta = new Float64Array(tree.size);
  const pi = new Float64Array(tree.size); // π at the current logits, valid at the children of visited nodes
  for (let t = 1; t <= steps; t++) {
    const paths: number[][] = [];
    const rewards: number[] = [];
    for (let i = 0; i < G; i++) {
      const path = samplePathLocal(tree, logits, 1, pi, rng);
      paths.push(path);
      rewards.push(tree.reward[path[path.length - 1]]);
    }
    const adv = grpoAdvantages(rewards, G);
    const touched: number[] = [];
    for (let i = 0; i < G; i++) {
      if (adv[i] === 0) continue;
      const w = (lr / G) * adv[i];
      for (const c of paths[i]) {
        const s = tree.parent[c];
        const c0 = tree.childStart[s];
        touched.push(s);
        for (let k = c0; k < c0 + tree.childCount[s]; k++) delta[k] += w * ((k === c ? 1 : 0) - pi[k]);
      }
    }
    for (const s of touched) {
      const c0 = tree.childStart[s];
      for (let k = c0; k < c0 + tree.childCount[s]; k++) {
        logits[k] += delta[k];
        delta[k] = 0;
      }
    }
    if (onStep) onStep(t, () => softmaxPolicy(tree, logits));
  }
  return logits;
}

/** ROVER options: the training budget plus the sampling temperature ρ of softmax(Q/ρ). */
export interface RoverTrainConfig extends TreeTrainConfig {
  /** Temperature ρ > 0 of the sampling policy softmax(Q/ρ). */
  temperature: number;
}

/** ROVER on a tabular tree (see module doc): samples from softmax(Q/ρ), learns Q^u by TD; returns Q per child id. */
export function trainRoverTree(
  tree: TreeMDP,
  config: RoverTrainConfig,
  rng: Rng,
  onStep?: TreeTrainCallback,
): Float64Array {
  checkTrain("trainRoverTree", config);
  assertFiniteNumber("trainRoverTree.temperature", config.temperature, { min: 0, exclusiveMin: true });
  const { steps, groupSize: G, lr: alpha, temperature } = config;
  const q = new Float64Array(tree.size);
  const meanChildQ = (s: number): number => {
    const c0 = tree.childStart[s];
    const b = tree.childCount[s];
    let sum = 0;
    for (let k = c0; k < c0 + b; k++) sum += q[k];
    return sum / b;
  };
  const pi = new Float64Array(tree.size);
  for (let t = 1; t <= steps; t++) {
    const paths: number[][] = [];
    for (let i = 0; i < G; i++) paths.push(samplePathLocal(tree, q, temperature, pi, rng));
    for (const path of paths) {
      for (let j = path.length - 1; j >= 0; j--) {
        const c = path[j];
        const target = tree.childCount[c] === 0 ? tree.reward[c] : meanChildQ(c);
        q[c] += alpha * (target - q[c]);
      }
    }
    if (onStep) onStep(t, () => softmaxPolicy(tree, q, temperature));
  }
  return q;
}
