import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { BalancedDifficultyFilter } from "../lib/curricula/filter.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask, makeDataset } from "../lib/tasks/mod.ts";
import { type ArmEvalRow, atRolloutBudget, bestLearningRates, trainArms } from "../lib/train/arms.ts";
import { evaluate } from "../lib/train/rollouts.ts";

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
  const perRun = new Map<string, number[]>();
  const ended: { arm: string; lr: number; test: number }[] = [];
  const armEnds: { arm: string; runsEnded: number }[] = [];
  const rows = await trainArms({
    ...opts,
    arms: [{ name: "grpo" }, { name: "grpo-copy" }, {
      name: "balanced",
      parts: () => ({ curriculum: new BalancedDifficultyFilter({ maxRounds: 2 }) }),
    }],
    onStep: ({ arm, lr, row }) => {
      steps++;
      const key = `${arm}@${lr}`;
      perRun.set(key, [...(perRun.get(key) ?? []), Number(row.step)]);
    },
    onRunEnd: async ({ arm, lr, policy }) => {
      ended.push({ arm, lr, test: (await evaluate(policy, TASK, test)).accuracy });
    },
    onArmEnd: (arm) => armEnds.push({ arm, runsEnded: ended.length }),
  });
  // onArmEnd: once per arm, in order, after both of its rates' runs ended
  assert.deepEqual(armEnds, [
    { arm: "grpo", runsEnded: 2 },
    { arm: "grpo-copy", runsEnded: 4 },
    { arm: "balanced", runsEnded: 6 },
  ]);
  assert.equal(tf.memory().numTensors, tensors0);
  // onRunEnd: once per arm × rate, handed the trained policy (its test accuracy = that run's last evaluation)
  assert.equal(ended.length, 3 * 2);
  for (const e of ended) {
    const last = rows.filter((r) => r.arm === e.arm && r.lr === e.lr && r.step === 3);
    assert.equal(last.length, 1);
    assert.equal(e.test, last[0].testAccuracy);
  }
  assert.equal(steps, 3 * 2 * 3); // arms × rates × steps
  // every (arm, rate) run reports its own trainer rows, steps 1…3 in order
  assert.deepEqual([...perRun.keys()].sort(), [
    "balanced@0.001",
    "balanced@0.003",
    "grpo-copy@0.001",
    "grpo-copy@0.003",
    "grpo@0.001",
    "grpo@0.003",
  ]);
  for (const s of perRun.values()) assert.deepEqual(s, [1, 2, 3]);
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
  // parts receive the run's own policy (a clone of start, one per rate), e.g. for a validating curriculum
  const given: unknown[] = [];
  await trainArms({
    ...opts,
    steps: 1,
    arms: [{
      name: "probe",
      parts: (policy) => {
        given.push(policy);
        return {};
      },
    }],
  });
  assert.equal(given.length, 2);
  assert.ok(given.every((p) => p instanceof TinyTransformer && p !== start));
  assert.notEqual(given[0], given[1]);
  await assert.rejects(() => trainArms({ ...opts, arms: [{ name: "x" }, { name: "x" }] }), ConfigError);
  await assert.rejects(() => trainArms({ ...opts, arms: [{ name: "x" }], learningRates: [] }), ConfigError);
  start.dispose();
});
