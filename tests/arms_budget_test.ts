import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { BalancedDifficultyFilter } from "../lib/curricula/filter.ts";
import type { PolicyGradientInputs } from "../lib/objectives/policy_gradient.ts";
import { TabularSoftmaxPolicy } from "../lib/policies/tabular.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask, makeDataset, SimChain } from "../lib/tasks/mod.ts";
import {
  type Arm,
  type ArmEvalRow,
  atRolloutBudget,
  bestLearningRates,
  trainArms,
} from "../lib/train/arms.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";

const TASK = new AdditionTask({ minDigits: 1, maxDigits: 1 });

function tinyModel(seed = 3): TinyTransformer {
  return new TinyTransformer({
    vocabSize: TASK.vocab.size,
    contextLength: TASK.maxSequenceLength,
    dModel: 8,
    nLayers: 1,
    nHeads: 1,
    seed,
  });
}

Deno.test("trainStep rolloutLimit: trains only on the groups generated within the limit; snapshot/restore is exact", async () => {
  await useBackend("cpu");
  const policy = tinyModel();
  const trainer = new RLVRTrainer({
    policy,
    task: TASK,
    // a shaped reward that varies within groups, so every trained group moves the weights
    reward: (_q, y) => ((y[0] ?? 0) % 3) / 2,
    config: { seed: 4, batchSize: 3, groupSize: 2, maxNewTokens: 3, lr: 1e-2 },
  });
  await trainer.trainStep();
  const pre = await trainer.snapshot();
  const full = await trainer.trainStep();
  const fullWeights = JSON.stringify(await policy.getWeights());
  const post = await trainer.snapshot();
  assert.equal(full.groups, 3);
  assert.notEqual(fullWeights, JSON.stringify(pre.policy));
  assert.equal(full.rolloutsGenerated, 6);
  // a limit at or past what the step generates changes nothing
  trainer.restore(pre);
  const same = await trainer.trainStep({ rolloutLimit: 100 });
  assert.equal(JSON.stringify(await policy.getWeights()), fullWeights);
  assert.deepEqual({ ...same, stepSeconds: 0, wallSeconds: 0, rolloutSeconds: 0, updateSeconds: 0 }, {
    ...full,
    stepSeconds: 0,
    wallSeconds: 0,
    rolloutSeconds: 0,
    updateSeconds: 0,
    tokensPerSecond: same.tokensPerSecond,
  });
  // 5 of 6 rollouts: the third group is cut, so two groups (4 rollouts) are trained, 5 rollouts are spent
  trainer.restore(pre);
  const cut = await trainer.trainStep({ rolloutLimit: 5 });
  assert.equal(cut.groups, 2);
  assert.equal(cut.rolloutsGenerated, 5);
  assert.equal(cut.rolloutsTotal, 6 + 5);
  assert.notEqual(JSON.stringify(await policy.getWeights()), fullWeights);
  // limit 0: nothing trained, the weights are those before the step
  trainer.restore(pre);
  const before = JSON.stringify(pre.policy);
  const none = await trainer.trainStep({ rolloutLimit: 0 });
  assert.equal(none.groups, 0);
  assert.equal(none.rolloutsGenerated, 0);
  assert.equal(JSON.stringify(await policy.getWeights()), before);
  // restoring the post-step snapshot puts the full step back, row and all
  trainer.restore(post);
  assert.equal(JSON.stringify(await policy.getWeights()), fullWeights);
  assert.deepEqual(trainer.runLog.rows.at(-1), full);
  assert.equal(trainer.step, 2);
  trainer.dispose();
  policy.dispose();
});

Deno.test("trainArms rolloutBudgets: every arm is read at exactly the same rollout counts, the runs themselves unchanged", async () => {
  await useBackend("cpu");
  const start = tinyModel();
  const validation = makeDataset(TASK, 6, 101);
  const test = makeDataset(TASK, 6, 202, { exclude: validation });
  // GRPO spends 2 × 2 = 4 rollouts per step; the filter rejects the untrained model's all-wrong groups and
  // spends both rounds (8 per step), so the budgets fall inside steps of both arms
  // (GRPO's reward is shaped so that its groups carry signal and every trained group moves the weights)
  const arms: Arm[] = [{ name: "grpo", parts: () => ({ reward: (_q, y) => ((y[0] ?? 0) % 3) / 2 }) }, {
    name: "balanced",
    parts: () => ({ curriculum: new BalancedDifficultyFilter({ maxRounds: 2 }) }),
  }];
  const opts = {
    start,
    task: TASK,
    arms,
    learningRates: [3e-3],
    steps: 5,
    evalEvery: 1,
    config: { seed: 5, batchSize: 2, groupSize: 2, maxNewTokens: 3 },
    validation,
    test,
  };
  const plain = await trainArms(opts);
  const budgets = [6, 10, 18, 24];
  const tensors0 = tf.memory().numTensors;
  const steps: { arm: string; step: number; budgetOnly: boolean }[] = [];
  const readouts: { arm: string; budget: number }[] = [];
  const weightsAt = new Map<string, string>();
  const rows = await trainArms({
    ...opts,
    rolloutBudgets: budgets,
    onStep: ({ arm, row, budgetOnly }) => steps.push({ arm, step: row.step, budgetOnly }),
    onBudgetReadout: async ({ arm, budget, policy }) => {
      readouts.push({ arm, budget });
      weightsAt.set(`${arm}@${budget}`, JSON.stringify(await policy.getWeights()));
    },
  });
  assert.equal(tf.memory().numTensors, tensors0);
  // step readouts are those of the run without budgets: the forks leave the runs untouched
  assert.deepEqual(rows.filter((r) => r.budget === undefined), plain);
  const at = (arm: string) => rows.filter((r) => r.arm === arm && r.budget !== undefined);
  for (const arm of ["grpo", "balanced"]) {
    assert.deepEqual(at(arm).map((r) => r.budget), budgets);
    assert.deepEqual(at(arm).map((r) => r.rollouts), budgets, `${arm} is read at exactly the budgets`);
  }
  const spent = (arm: string) => new Map(plain.filter((r) => r.arm === arm).map((r) => [r.step, r.rollouts]));
  assert.equal(spent("grpo").get(5), 20);
  assert.ok(spent("balanced").get(1)! > 4, "the filter spends more rollouts per step than GRPO");
  // each readout sits in the step that crossed its budget, with the overshoot recorded
  for (const arm of ["grpo", "balanced"]) {
    const s = new Map(steps.filter((x) => x.arm === arm).map((x, i) => [i + 1, x]));
    let total = 0;
    const cum = [0];
    for (let i = 1; i <= s.size; i++) {
      cum.push(total += arm === "grpo" ? 4 : spent(arm).get(i)! - spent(arm).get(i - 1)!);
    }
    for (const r of at(arm)) {
      assert.ok(
        cum[r.step - 1] < r.budget! && r.budget! <= cum[r.step],
        `${arm} budget ${r.budget} in step ${r.step}`,
      );
      assert.equal(r.truncatedRollouts, cum[r.step] - r.budget!);
    }
  }
  assert.ok(at("balanced").some((r) => r.truncatedRollouts! > 0));
  // GRPO's 5 steps hold 20 rollouts: one budget-only step reaches 24 (no step readout for it)
  assert.deepEqual(steps.filter((x) => x.budgetOnly).map((x) => x.arm), ["grpo"]);
  assert.equal(Math.max(...rows.filter((r) => r.budget === undefined).map((r) => r.step)), 5);
  assert.deepEqual(readouts, arms.flatMap((a) => budgets.map((budget) => ({ arm: a.name, budget }))));
  const startWeights = JSON.stringify(await start.getWeights());
  assert.notEqual(weightsAt.get("grpo@6"), startWeights);
  assert.notEqual(weightsAt.get("grpo@10"), weightsAt.get("grpo@6"));
  // the readout policy is trained on exactly the first B rollouts: full steps, then the crossing step cut at B
  for (const [arm, budget, fullSteps, before] of [["grpo", 10, 2, 8], ["balanced", 10, 1, 8]] as const) {
    const policy = await start.clone();
    const parts = arms.find((a) => a.name === arm)!.parts?.(policy, { lr: 3e-3 }) ?? {};
    const trainer = new RLVRTrainer({
      ...parts,
      policy,
      task: TASK,
      config: { ...opts.config, lr: 3e-3 },
      exclude: [...validation, ...test],
    });
    for (let i = 0; i < fullSteps; i++) await trainer.trainStep();
    assert.equal(trainer.runLog.rows.at(-1)!.rolloutsTotal, before);
    await trainer.trainStep({ rolloutLimit: budget - before });
    assert.equal(
      JSON.stringify(await policy.getWeights()),
      weightsAt.get(`${arm}@${budget}`),
      `${arm}@${budget}`,
    );
    trainer.dispose();
    policy.dispose();
  }
  // atRolloutBudget prefers the exact readout; selection ignores budget readouts
  assert.equal(atRolloutBudget(rows, "balanced", 3e-3, 10)?.rollouts, 10);
  assert.deepEqual(bestLearningRates(rows), bestLearningRates(plain));
  await assert.rejects(() => trainArms({ ...opts, rolloutBudgets: [8, 8] }), ConfigError);
  await assert.rejects(() => trainArms({ ...opts, rolloutBudgets: [0] }), ConfigError);
  start.dispose();
});

/** A zero loss (no learning): the synthetic arms below set their policy from the rate instead. */
function noLearning(inputs: PolicyGradientInputs) {
  return {
    loss: tf.mul(tf.sum(inputs.logProbs), 0),
    clipFraction: tf.scalar(0),
    kl: tf.scalar(0),
    entropy: tf.scalar(0),
  };
}

Deno.test("trainArms gridExtension: an edge selection extends the shared grid until the known best rate is interior", async () => {
  await useBackend("cpu");
  // SimChain with L = 1, K = 2: state = problem index, slot = option; problem i is solved iff its correct
  // option has the larger logit. Each synthetic arm solves round(12·q(lr)) of the 12 validation problems.
  const chain = new SimChain({ length: 1, options: 2, numProblems: 40, seed: 3 });
  const validation = Array.from({ length: 12 }, (_, i) => chain.problem(i));
  const test = Array.from({ length: 12 }, (_, i) => chain.problem(12 + i));
  const start = new TabularSoftmaxPolicy(chain, {
    contextLength: chain.maxSequenceLength,
    eos: chain.vocab.eos,
  });
  const arm = (name: string, q: (lr: number) => number): Arm => ({
    name,
    parts: (policy, { lr }) => {
      const solved = Math.round(12 * q(lr));
      const data = new Array(40 * 2).fill(0);
      for (let i = 0; i < 40; i++) {
        const c = (chain.problem(i).meta as { correct: number[] }).correct[0];
        data[i * 2 + (i < solved || i >= 12 ? c : 1 - c)] = 1;
      }
      policy.setWeights({ shape: [40, 2], data });
      return { objective: noLearning };
    },
  });
  // "peaked": best at 1e-3 (q falls by 1/3 per decade away from it); "rising": better with every rate up to 0.3
  const peaked = arm("peaked", (lr) => Math.max(0, 1 - Math.abs(Math.log10(lr / 1e-3)) / 3));
  const rising = arm("rising", (lr) => Math.min(1, lr / 0.3));
  const opts = {
    start,
    task: chain,
    arms: [peaked, rising],
    learningRates: [1e-2, 3e-2],
    steps: 1,
    evalEvery: 1,
    config: { seed: 1, batchSize: 1, groupSize: 2 },
    validation,
    test,
  };
  const round = (x: number) => +x.toPrecision(6);
  const rates = (rows: ArmEvalRow[], a: string) => [
    ...new Set(rows.filter((r) => r.arm === a).map((r) => round(r.lr))),
  ];
  const best = (rows: ArmEvalRow[]) => new Map([...bestLearningRates(rows)].map(([a, lr]) => [a, round(lr)]));
  // off: the grid as given, rows without the flag
  const off = await trainArms(opts);
  assert.deepEqual(best(off), new Map([["peaked", 1e-2], ["rising", 3e-2]]));
  assert.ok(off.every((r) => r.edgeSelected === undefined));
  // 0 extensions: only the flag (both selections at an edge)
  const flagged = await trainArms({ ...opts, gridExtension: { factor: 10, maxExtensions: 0 } });
  assert.ok(flagged.every((r) => r.edgeSelected === 1));
  // 1 extension: 1e-3 below (peaked at the low edge) and 0.3 above (rising at the high edge), for BOTH arms;
  // both selections are at the new edges, so both arms stay flagged
  const ended: string[] = [];
  const one = await trainArms({
    ...opts,
    gridExtension: { factor: 10, maxExtensions: 1 },
    onArmEnd: (a) => ended.push(a),
  });
  assert.deepEqual(ended, ["peaked", "rising"]);
  for (const a of ["peaked", "rising"]) assert.deepEqual(rates(one, a), [1e-2, 3e-2, 1e-3, 0.3]);
  assert.deepEqual(best(one), new Map([["peaked", 1e-3], ["rising", 0.3]]));
  assert.ok(one.every((r) => r.edgeSelected === 1));
  // 3 extensions: round 2 adds 1e-4 and 3 (both arms), then both selections are interior and the rule stops
  const three = await trainArms({ ...opts, gridExtension: { factor: 10, maxExtensions: 3 } });
  for (const a of ["peaked", "rising"]) {
    assert.deepEqual(rates(three, a), [1e-2, 3e-2, 1e-3, 0.3, 1e-4, 3]);
  }
  assert.deepEqual(best(three), new Map([["peaked", 1e-3], ["rising", 0.3]])); // the known optima
  assert.ok(three.every((r) => r.edgeSelected === 0));
  await assert.rejects(
    () => trainArms({ ...opts, gridExtension: { factor: 1, maxExtensions: 2 } }),
    ConfigError,
  );
  await assert.rejects(
    () => trainArms({ ...opts, gridExtension: { factor: 2, maxExtensions: -1 } }),
    ConfigError,
  );
  start.dispose();
});
