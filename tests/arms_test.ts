import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { BalancedDifficultyFilter } from "../lib/curricula/filter.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask, makeDataset } from "../lib/tasks/mod.ts";
import { type ArmEvalRow, atRolloutBudget, bestLearningRates, trainArms } from "../lib/train/arms.ts";

const TASK = new AdditionTask({ minDigits: 1, maxDigits: 1 });

function row(arm: string, lr: number, step: number, rollouts: number, val: number, test = 0): ArmEvalRow {
  return { arm, lr, step, rollouts, trainAccuracy: NaN, validationAccuracy: val, testAccuracy: test };
}

Deno.test("bestLearningRates: final validation accuracy picks the rate, ties go to the smaller rate", () => {
  const rows = [
    row("a", 0.1, 0, 0, 0.9), // step 0 is not final
    row("a", 0.1, 10, 80, 0.2),
    row("a", 0.01, 10, 80, 0.5),
    row("b", 0.1, 10, 80, 0.4),
    row("b", 0.01, 10, 80, 0.4),
  ];
  const best = bestLearningRates(rows);
  assert.equal(best.get("a"), 0.01);
  assert.equal(best.get("b"), 0.01);
});

Deno.test("atRolloutBudget: the last evaluation within the budget", () => {
  const rows = [row("f", 1, 0, 0, 0, 0.1), row("f", 1, 5, 90, 0, 0.2), row("f", 1, 10, 200, 0, 0.3)];
  assert.equal(atRolloutBudget(rows, "f", 1, 100)?.testAccuracy, 0.2);
  assert.equal(atRolloutBudget(rows, "f", 1, 200)?.step, 10);
  assert.equal(atRolloutBudget(rows, "f", 2, 200), undefined);
});

Deno.test("trainArms: every arm × rate × evaluation point, start policy untouched, equal arms equal rows, no leaks", async () => {
  await useBackend("cpu");
  const start = new TinyTransformer({
    vocabSize: TASK.vocab.size,
    contextLength: TASK.maxSequenceLength,
    dModel: 8,
    nLayers: 1,
    nHeads: 1,
    seed: 3,
  });
  const before = JSON.stringify(await start.getWeights());
  const validation = makeDataset(TASK, 6, 101);
  const test = makeDataset(TASK, 6, 202, { exclude: validation });
  const opts = {
    start,
    task: TASK,
    learningRates: [1e-3, 3e-3],
    steps: 3,
    evalEvery: 2,
    config: { seed: 5, batchSize: 2, groupSize: 2, maxNewTokens: 3 },
    validation,
    test,
  };
  const tensors0 = tf.memory().numTensors;
  let steps = 0;
  const rows = await trainArms({
    ...opts,
    arms: [{ name: "grpo" }, { name: "grpo-copy" }, {
      name: "balanced",
      parts: () => ({ curriculum: new BalancedDifficultyFilter({ maxRounds: 2 }) }),
    }],
    onStep: () => steps++,
  });
  assert.equal(tf.memory().numTensors, tensors0);
  assert.equal(steps, 3 * 2 * 3); // arms × rates × steps
  // evaluations at steps 0, 2 and 3 (the last) for each of 3 arms × 2 rates
  assert.equal(rows.length, 3 * 2 * 3);
  assert.deepEqual([...new Set(rows.map((r) => r.step))], [0, 2, 3]);
  assert.equal(JSON.stringify(await start.getWeights()), before);
  const strip = (name: string) => rows.filter((r) => r.arm === name).map((r) => ({ ...r, arm: "" }));
  assert.deepEqual(strip("grpo"), strip("grpo-copy")); // same seed, same config → same numbers
  for (const r of rows) {
    assert.ok(r.validationAccuracy >= 0 && r.validationAccuracy <= 1);
    if (r.step === 0) assert.equal(r.rollouts, 0);
    else assert.ok(r.rollouts >= r.step * 2 * 2, "at least batch × group rollouts per step");
  }
  await assert.rejects(() => trainArms({ ...opts, arms: [{ name: "x" }, { name: "x" }] }), ConfigError);
  await assert.rejects(() => trainArms({ ...opts, arms: [{ name: "x" }], learningRates: [] }), ConfigError);
  start.dispose();
});

Deno.test("trainArms onRunEnd: once per arm × rate after the last step, with the trained policy", async () => {
  await useBackend("cpu");
  const start = new TinyTransformer({
    vocabSize: TASK.vocab.size,
    contextLength: TASK.maxSequenceLength,
    dModel: 8,
    nLayers: 1,
    nHeads: 1,
    seed: 4,
  });
  const startWeights = JSON.stringify(await start.getWeights());
  const validation = makeDataset(TASK, 4, 11);
  const test = makeDataset(TASK, 4, 12, { exclude: validation });
  const seen: { arm: string; lr: number; steps: number; changed: boolean }[] = [];
  let steps = 0;
  const rows = await trainArms({
    start,
    task: TASK,
    // ±1 rewards: a random start's wrong answers still give a nonzero gradient (group-normalised would be 0).
    arms: [{ name: "a", config: { estimator: "signed" } }, { name: "b", config: { estimator: "signed" } }],
    learningRates: [1e-2, 3e-2],
    steps: 2,
    evalEvery: 2,
    config: { seed: 1, batchSize: 2, groupSize: 2, maxNewTokens: 3 },
    validation,
    test,
    onStep: () => steps++,
    onRunEnd: async ({ arm, lr, policy }) => {
      seen.push({ arm, lr, steps, changed: JSON.stringify(await policy.getWeights()) !== startWeights });
    },
  });
  // Called after each run's 2 steps, in arm-major order, with a policy the run has updated (not the start).
  assert.deepEqual(seen.map((s) => [s.arm, s.lr, s.steps]), [["a", 1e-2, 2], ["a", 3e-2, 4], ["b", 1e-2, 6], [
    "b",
    3e-2,
    8,
  ]]);
  assert.ok(seen.every((s) => s.changed));
  assert.equal(rows.length, 2 * 2 * 2);
  assert.equal(JSON.stringify(await start.getWeights()), startWeights);
  start.dispose();
});
