/**
 * ROVER's objective (lib/objectives/rover.ts) against the official formula (yuxiaooye/ROVER,
 * `DataParallelROVERActor.update_policy`) on hand-computed tokens, and its relation to token-mean GRPO.
 */
import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import type { Tensor, Tensor2D, Tensor3D } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { meanLogPolicy, policyGradientLoss, roverLoss } from "../lib/objectives/mod.ts";
import { TabularSoftmaxPolicy } from "../lib/policies/tabular.ts";
import { Rng } from "../lib/core/rng.ts";
import { sampleTreeMDP, TreeMDPTask } from "../lib/tasks/tree_mdp.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";

const close = (a: number, b: number, tol = 1e-5, what = "") =>
  assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);

/** log-softmax of a row, taken action a. */
function logSoftmaxAt(row: number[], a: number): number {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return row[a] - lse;
}

/**
 * Loss and gradient of `roverLoss(ρ)` where π_θ's logits are a variable θ [B, T, A] and the taken actions `a`.
 * Returns the loss and ∂L/∂θ (flat).
 */
function roverOnLogits(
  theta: number[][][],
  old: number[][][],
  a: number[][],
  mask: number[][],
  adv: number[],
  rho: number,
): { loss: number; grad: Float32Array } {
  const v = tf.variable(tf.tensor3d(theta));
  const oldLogits = tf.tensor3d(old) as Tensor3D;
  const onehot = tf.oneHot(tf.tensor2d(a, undefined, "int32"), theta[0][0].length);
  const m = tf.tensor2d(mask);
  const A = tf.tensor1d(adv);
  const oldLp = tf.sum(tf.mul(tf.logSoftmax(oldLogits), onehot), 2);
  const { value, grads } = tf.variableGrads(() => {
    const logProbs = tf.sum(tf.mul(tf.logSoftmax(v), onehot), 2);
    return roverLoss(rho)({
      logProbs,
      oldLogProbs: oldLp,
      advantages: A,
      mask: m,
      tokenLogits: () => ({ logits: v as unknown as Tensor3D }),
      oldTokenLogits: { logits: oldLogits },
    }).loss as tf.Scalar;
  }, [v]);
  const out = { loss: value.dataSync()[0], grad: grads[v.name].dataSync() as Float32Array };
  tf.dispose([v, oldLogits, onehot, m, A, oldLp, value, grads[v.name]]);
  return out;
}

Deno.test("roverLoss: hand-computed tokens — relative Q, the reward on every token, the next-state term", () => {
  // One response of 3 generated tokens over 2 actions. π_θ rows: [½, ½], [¾, ¼], [½, ½];
  // π_old rows: [½, ½], [½, ½], [¾, ¼]; taken actions 0, 0, 1; Â = 0.5; ρ = 1.
  const l3 = Math.log(3);
  const theta = [[[0, 0], [l3, 0], [0, 0]]];
  const old = [[[0, 0], [0, 0], [l3, 0]]];
  const rho = 1;
  const { loss, grad } = roverOnLogits(theta, old, [[0, 0, 1]], [[1, 1, 1]], [0.5], rho);
  // Q_t = ρ(log π_θ − log π_old): 0, ln(¾/½) = ln 1.5, ln(½/¼) = ln 2.
  const Q = [0, Math.log(1.5), Math.log(2)];
  // m(s) = mean_a log π(a|s): θ: ln ½, ln(√3/4), ln ½; old: ln ½, ln ½, ln(√3/4).
  // target_t = Â + ρ[m_θ(s_{t+1}) − m_old(s_{t+1})], the bracket 0 at the last token:
  const target = [0.5 + Math.log(Math.sqrt(3) / 2), 0.5 + Math.log(2 / Math.sqrt(3)), 0.5];
  const d = Q.map((q, t) => q - target[t]);
  close(loss, d.reduce((s, x) => s + x * x, 0) / 3, 1e-6, "loss");
  // ∂L/∂θ[t, k] = (2/3)·d_t·ρ·(1[k = a_t] − π_θ(k|s_t)); the target carries no gradient.
  const pi = [[0.5, 0.5], [0.75, 0.25], [0.5, 0.5]];
  const a = [0, 0, 1];
  for (let t = 0; t < 3; t++) {
    for (let k = 0; k < 2; k++) {
      const expected = (2 / 3) * d[t] * rho * ((k === a[t] ? 1 : 0) - pi[t][k]);
      close(grad[t * 2 + k], expected, 1e-6, `θ[${t}, ${k}]`);
    }
  }
  // ρ scales Q and the bracket alike: at ρ = 2 every residual doubles except the reward part.
  const r2 = roverOnLogits(theta, old, [[0, 0, 1]], [[1, 1, 1]], [0.5], 2);
  const d2 = Q.map((q, t) => 2 * q - (0.5 + 2 * (target[t] - 0.5)));
  close(r2.loss, d2.reduce((s, x) => s + x * x, 0) / 3, 1e-6, "loss at ρ = 2");
});

Deno.test("roverLoss: masked tokens — no loss, and no next-state term from a masked next position", () => {
  // Row 0: prompt position masked, 2 generated tokens. Row 1: 2 generated tokens then padding (right padding,
  // as the official layout): its second token's bracket reads mask 0 at t = 2, so it is 0.
  const l3 = Math.log(3);
  const theta = [[[0, 0], [l3, 0], [0, 0]], [[l3, 0], [0, 0], [0, l3]]];
  const old = [[[0, 0], [0, 0], [l3, 0]], [[0, 0], [0, 0], [0, 0]]];
  const a = [[1, 0, 1], [0, 1, 0]];
  const mask = [[0, 1, 1], [1, 1, 0]];
  const adv = [1, -1];
  const { loss } = roverOnLogits(theta, old, a, mask, adv, 1);
  const lp = (rows: number[][][], i: number, t: number) => logSoftmaxAt(rows[i][t], a[i][t]);
  const m = (rows: number[][][], i: number, t: number) =>
    (logSoftmaxAt(rows[i][t], 0) + logSoftmaxAt(rows[i][t], 1)) / 2;
  let sum = 0;
  // Row 0, t = 1: next-state bracket at t = 2; t = 2: last token, bracket 0.
  sum += (lp(theta, 0, 1) - lp(old, 0, 1) - (1 + m(theta, 0, 2) - m(old, 0, 2))) ** 2;
  sum += (lp(theta, 0, 2) - lp(old, 0, 2) - 1) ** 2;
  // Row 1, t = 0: bracket at t = 1 (m_θ = m_old there: both uniform → 0); t = 1: mask_{2} = 0 → bracket 0.
  sum += (lp(theta, 1, 0) - lp(old, 1, 0) - (-1 + m(theta, 1, 1) - m(old, 1, 1))) ** 2;
  sum += (lp(theta, 1, 1) - lp(old, 1, 1) - -1) ** 2;
  close(loss, sum / 4, 1e-6, "masked loss");
});

Deno.test("roverLoss at θ = θ_old: gradient = 2ρ × the token-mean GRPO gradient; at θ ≠ θ_old it is not", () => {
  const theta = [[[0.3, -0.2, 0.1], [1.0, 0.4, -0.5], [0.2, 0.2, 0.9]], [[-0.4, 0.8, 0.0], [0.5, 0.1, 0.3], [
    0.0,
    -1.0,
    0.6,
  ]]];
  const a = [[0, 2, 1], [1, 0, 2]];
  const mask = [[1, 1, 1], [0, 1, 1]];
  const adv = [0.8, -1.3];
  const grpoGrad = (): Float32Array => {
    const v = tf.variable(tf.tensor3d(theta));
    const onehot = tf.oneHot(tf.tensor2d(a, undefined, "int32"), 3);
    const m = tf.tensor2d(mask);
    const A = tf.tensor1d(adv);
    const { value, grads } = tf.variableGrads(() => {
      const logProbs = tf.sum(tf.mul(tf.logSoftmax(v), onehot), 2);
      return policyGradientLoss(
        { logProbs, oldLogProbs: logProbs, advantages: A, mask: m },
        { aggregation: "token-mean" },
      ).loss as tf.Scalar;
    }, [v]);
    const g = grads[v.name].dataSync() as Float32Array;
    tf.dispose([v, onehot, m, A, value, grads[v.name]]);
    return g;
  };
  const g = grpoGrad();
  for (const rho of [1, 0.5]) {
    const r = roverOnLogits(theta, theta, a, mask, adv, rho);
    g.forEach((x, i) => close(r.grad[i], 2 * rho * x, 1e-6, `ρ = ${rho}, θ[${i}]`));
  }
  // Second minibatch: θ moved away from θ_old (the old policy is the starting one). The ROVER gradient is no
  // longer a multiple of GRPO's: the least-squares ratio leaves a residual.
  const old = theta.map((row) => row.map((l) => l.map((x) => x - 0.7 * Math.sin(3 * x + 1))));
  const r = roverOnLogits(theta, old, a, mask, adv, 1);
  let gg = 0, rg = 0;
  g.forEach((x, i) => {
    gg += x * x;
    rg += r.grad[i] * x;
  });
  const c = rg / gg;
  const residual = Math.sqrt(r.grad.reduce((s, x, i) => s + (x - c * g[i]) ** 2, 0));
  assert.ok(residual > 0.05, `ROVER's second-update gradient is a multiple of GRPO's (residual ${residual})`);
});

Deno.test("meanLogPolicy: mean over the valid actions of log π (the official sum_log_softmax)", () => {
  const logits = tf.tensor3d([[[0, Math.log(3), 5]]]) as Tensor3D;
  const valid = tf.tensor3d([[[1, 1, 0]]]) as Tensor3D;
  const all = meanLogPolicy({ logits });
  const two = meanLogPolicy({ logits, validActions: valid });
  const z = 1 + 3 + Math.exp(5);
  close(all.dataSync()[0], (0 + Math.log(3) + 5) / 3 - Math.log(z), 1e-5, "all actions");
  close(two.dataSync()[0], (Math.log(1 / 4) + Math.log(3 / 4)) / 2, 1e-5, "two valid actions");
  tf.dispose([logits, valid, all, two]);
});

Deno.test("roverLoss: errors name the missing input and the terms ROVER has no place for", () => {
  const lp = tf.zeros([1, 2]) as Tensor2D;
  const base = { logProbs: lp, oldLogProbs: lp, advantages: tf.zeros([1]), mask: tf.ones([1, 2]) };
  const logits = tf.zeros([1, 2, 3]) as Tensor3D;
  const err = (f: () => unknown, field: RegExp) =>
    assert.throws(f, (e: Error) => e instanceof ConfigError && field.test(e.message));
  err(() => roverLoss(1)({ ...base, oldTokenLogits: { logits } }), /tokenLogits/);
  err(() => roverLoss(1)({ ...base, tokenLogits: () => ({ logits }) }), /oldTokenLogits/);
  err(
    () =>
      roverLoss(1)({ ...base, tokenLogits: () => ({ logits }), oldTokenLogits: { logits } }, { klCoef: 0.1 }),
    /klCoef/,
  );
  err(() => roverLoss(0), /roverLoss\.rho/);
  tf.dispose([lp, base.advantages, base.mask, logits] as Tensor[]);
});

Deno.test("ROVER vs GRPO through RLVRTrainer: equal after one update per batch, different after a second minibatch", async () => {
  // SGD makes an update −lr·g, so GRPO at 2ρ·lr and ROVER at lr take the same first step from the same rollouts.
  const tree = sampleTreeMDP(new Rng(4), { depth: 3, minBranch: 2, maxBranch: 3, solutionRate: 0.3 });
  const task = new TreeMDPTask([tree]);
  const rho = 1;
  const run = async (arm: "grpo" | "rover", miniBatches: number) => {
    const policy = new TabularSoftmaxPolicy(task, {
      contextLength: task.maxSequenceLength,
      eos: task.vocab.eos,
    });
    const trainer = new RLVRTrainer({
      task,
      policy,
      reward: (p, y) => task.reward(p, y),
      objective: arm === "rover" ? roverLoss(rho) : undefined,
      config: {
        seed: 5,
        batchSize: 2,
        groupSize: 8,
        optimizer: "sgd",
        lr: arm === "rover" ? 1 : 2 * rho,
        maxGradNorm: null,
        estimator: "grpo",
        aggregation: "token-mean",
        miniBatches,
      },
    });
    const before = tf.memory().numTensors;
    await trainer.train(1);
    assert.equal(tf.memory().numTensors, before, "no tensor leak in an update");
    const theta = policy.logitTable();
    trainer.dispose();
    policy.dispose();
    return theta;
  };
  const maxDiff = (x: Float64Array, y: Float64Array) => Math.max(...x.map((v, i) => Math.abs(v - y[i])));
  const [g1, r1] = [await run("grpo", 1), await run("rover", 1)];
  assert.ok(maxDiff(g1, r1) < 1e-6, `one update: ${maxDiff(g1, r1)}`);
  assert.ok(Math.max(...g1.map(Math.abs)) > 1e-3, "the update moved the logits");
  const [g2, r2] = [await run("grpo", 2), await run("rover", 2)];
  const size = Math.max(...g2.map(Math.abs));
  assert.ok(maxDiff(g2, r2) > 0.05 * size, `two minibatches: ${maxDiff(g2, r2)} of ${size}`);
});

Deno.test("ROVER through RLVRTrainer at temperature τ: π_θ and π_old logits are divided by τ", async () => {
  const tree = sampleTreeMDP(new Rng(1), { depth: 1, minBranch: 2, maxBranch: 2, solutionRate: 0.5 });
  const task = new TreeMDPTask([tree]);
  const logits = new Float64Array(task.numStates * task.maxActions);
  logits[0] = 1; // root row [1, 0]
  const policy = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
    logits,
  });
  const rover = roverLoss(1);
  const seen: number[][] = [];
  const objective = Object.assign(
    (inputs: Parameters<typeof rover>[0], cfg?: Parameters<typeof rover>[1]) => {
      const old = inputs.oldTokenLogits!;
      const cur = inputs.tokenLogits!();
      const v = old.validActions!.dataSync(), o = old.logits.dataSync(), c = cur.logits.dataSync();
      for (let i = 0; i < v.length; i += 2) if (v[i] === 1) seen.push([o[i], o[i + 1], c[i], c[i + 1]]);
      return rover(inputs, cfg);
    },
    { readsOldTokenLogits: true as const },
  );
  const trainer = new RLVRTrainer({
    task,
    policy,
    reward: (p, y) => task.reward(p, y),
    objective,
    config: { seed: 2, batchSize: 1, groupSize: 4, temperature: 2, lr: 1e-3, estimator: "grpo" },
  });
  await trainer.train(1);
  assert.equal(seen.length, 4); // one decision per rollout
  for (const row of seen) row.forEach((x, k) => close(x, k % 2 === 0 ? 0.5 : 0, 1e-6, `logit ${k}`));
  trainer.dispose();
  policy.dispose();
  // A policy without tokenLogits cannot train ROVER: the trainer says so at construction.
  const noLogits = { ...policy, tokenLogits: undefined } as unknown as TabularSoftmaxPolicy;
  assert.throws(
    () => new RLVRTrainer({ task, policy: noLogits, objective: roverLoss(1) }),
    (e: Error) => e instanceof ConfigError && /parts\.objective/.test(e.message),
  );
});
