import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { GroupStatistics } from "../lib/curricula/observe.ts";
import type { Curriculum, CurriculumContext, RolloutGroup } from "../lib/curricula/types.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask } from "../lib/tasks/addition.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";
import { UniformSampling } from "../lib/train/uniform.ts";

Deno.test("GroupStatistics: stats of the inner batch's groups merged into its stats; name and state proxied", async () => {
  const groups = [
    { responses: [[1, 2], [3]], rewards: [1, 0] },
    { responses: [[4, 5, 6]], rewards: [0] },
  ] as unknown as RolloutGroup[];
  const inner: Curriculum = {
    name: "fixed",
    state: { level: 3 },
    nextBatch: () => Promise.resolve({ groups, rolloutsGenerated: 3, stats: { kept: 1 } }),
  };
  const seen: number[] = [];
  const c = new GroupStatistics(inner, (gs) => {
    seen.push(gs.length);
    return { responses: gs.reduce((s, g) => s + g.responses.length, 0) };
  });
  const b = await c.nextBatch({} as CurriculumContext);
  assert.equal(b.groups, groups, "groups passed through");
  assert.equal(b.rolloutsGenerated, 3);
  assert.deepEqual(b.stats, { kept: 1, responses: 3 });
  assert.deepEqual(seen, [2]);
  assert.equal(c.name, "fixed");
  assert.deepEqual(c.state, { level: 3 });
  c.state = { level: 4 };
  assert.deepEqual(inner.state, { level: 4 });
});

Deno.test("GroupStatistics in RLVRTrainer: logged as curriculum.<name>, agreeing with the trainer's own mean length", async () => {
  await useBackend("cpu");
  const task = new AdditionTask({ minDigits: 1, maxDigits: 1 });
  const policy = new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: 8,
    nLayers: 1,
    nHeads: 2,
    seed: 3,
  });
  const curriculum = new GroupStatistics(new UniformSampling(), (gs) => {
    const lengths = gs.flatMap((g) => g.responses.map((y) => y.length));
    return { meanLength: lengths.reduce((a, b) => a + b, 0) / lengths.length };
  });
  const trainer = new RLVRTrainer({
    policy,
    task,
    curriculum,
    config: { seed: 1, batchSize: 2, groupSize: 3 },
  });
  try {
    await trainer.train(2);
    for (const r of trainer.runLog.rows) {
      assert.ok(Math.abs(Number(r["curriculum.meanLength"]) - Number(r.responseLength)) < 1e-12);
    }
  } finally {
    trainer.dispose();
    policy.dispose();
  }
});
