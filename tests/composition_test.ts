/**
 * Composition through the public API only (../mod.ts): TinyTransformer + RLVRTrainer + SeeleScaffold on
 * confidence addition with a finite trainSet, the "dr-grpo" preset and the RLCR reward. Typed rows are read
 * without casts (this file has no `as`).
 */
import assert from "node:assert/strict";
import {
  ConfidenceAdditionTask,
  makeDataset,
  type PromptRow,
  rlcrReward,
  RLVRTrainer,
  type SeeleProblemState,
  SeeleScaffold,
  TinyTransformer,
  type TrainerRow,
  useBackend,
} from "../mod.ts";

Deno.test("composition: SEELE + RLCR + dr-grpo preset on a 64-problem trainSet (public API, typed rows)", async () => {
  await useBackend("cpu");
  const task = new ConfidenceAdditionTask({ minDigits: 1, maxDigits: 1 });
  const trainSet = makeDataset(task, 64, 11);
  const evalSet = makeDataset(task, 6, 12, { exclude: trainSet });
  const policy = new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    seed: 0,
  });
  const rounds = 2, batchSize = 8, groupSize = 4;
  const seele = new SeeleScaffold({ rounds });
  let rewardCalls = 0;
  const trainer = new RLVRTrainer({
    policy,
    task,
    trainSet,
    curriculum: seele,
    reward: (p, y) => {
      rewardCalls++;
      return rlcrReward(task.verify(p, y), task.confidence(y));
    },
    config: { algorithm: "dr-grpo", batchSize, groupSize, seed: 5, logPrompts: true },
  });
  // The preset set the Dr.GRPO pairing.
  assert.equal(trainer.config.estimator, "dr-grpo");
  assert.equal(trainer.config.aggregation, "seq-mean-token-sum-norm");

  const trainIds = new Set(trainSet.map((p) => p.id));
  let revisits = 0;
  const steps = 4;
  for (let s = 0; s < steps; s++) {
    const before: Record<string, SeeleProblemState> = structuredClone(seele.state.problems);
    const callsBefore = rewardCalls;
    const row: TrainerRow = await trainer.trainStep();
    // Rollouts per step = batch × groupSize × rounds, each scored once by the RLCR reward.
    assert.equal(row.rolloutsGenerated, batchSize * groupSize * rounds);
    assert.equal(rewardCalls - callsBefore, batchSize * groupSize * rounds);
    assert.equal(row.groups, batchSize); // SEELE merges the rounds into one group per problem
    const prompts: PromptRow[] = trainer.promptLog.rows.filter((r) => r.step === row.step);
    assert.equal(prompts.length, batchSize);
    const seen = new Set<string>();
    for (const p of prompts) {
      assert.ok(trainIds.has(p.problemId), `${p.problemId} is drawn from the trainSet`);
      assert.equal(p.rollouts, groupSize * rounds);
      assert.ok(p.rewardMean >= -1 && p.rewardMean <= 1, `RLCR reward in [−1, 1]: ${p.rewardMean}`);
      const prev = before[p.problemId];
      const now = seele.state.problems[p.problemId];
      if (prev && !seen.has(p.problemId)) {
        // A revisit starts from the carried hint rate of the previous visit.
        const len = trainSet.find((q) => q.id === p.problemId)!.solution.length;
        assert.equal(now.lastRounds[0].hintLength, Math.round(prev.hintRate * len));
        assert.ok(now.visits > prev.visits);
        revisits++;
      }
      seen.add(p.problemId);
    }
  }
  assert.ok(revisits > 0, "some problems were revisited");
  const rows = trainer.runLog.rows;
  assert.equal(rows.length, steps);
  const accuracy: number | null = rows[steps - 1].accuracy;
  const reward: number | null = rows[steps - 1].reward;
  assert.ok(accuracy !== null && accuracy >= 0 && accuracy <= 1);
  assert.ok(reward !== null && reward >= -1 && reward <= 1);
  assert.equal(rows[steps - 1].rolloutsTotal, steps * batchSize * groupSize * rounds);

  // Calibration hook: evaluate() returns the greedy responses, so stated confidences can be parsed.
  const ev = await trainer.evaluate(evalSet);
  assert.equal(ev.responses.length, evalSet.length);
  ev.responses.forEach((y, i) => {
    assert.equal(ev.correct[i], task.verify(evalSet[i], y));
    const q = task.confidence(y);
    assert.ok(q === null || (q >= 0.1 && q <= 0.9));
  });
  trainer.dispose();
  policy.dispose();
});
