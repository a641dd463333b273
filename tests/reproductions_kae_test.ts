import assert from "node:assert/strict";
import { ConfigError } from "../lib/core/validate.ts";
import { revisitBlock, RevisitSchedule } from "../lib/curricula/revisit.ts";
import { KaeBaseline } from "../lib/estimators/kae.ts";
import { kaeEstimator } from "../lib/train/advantages.ts";
import type { AdvantageContext } from "../lib/train/advantages.ts";
import { batchMeanAdvantages } from "../lib/estimators/advantages.ts";
import { TabularSoftmaxPolicy } from "../lib/policies/tabular.ts";
import { SimChain } from "../lib/tasks/chain.ts";
import { tf } from "../lib/core/tf.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";
import { runReproduction, selectRows, VERDICTS } from "../mod.ts";
import { kae } from "../reproductions/mod.ts";

Deno.test("revisitBlock: blocks of batchSize prompts, each kept for `revisit` consecutive iterations", () => {
  assert.deepEqual(revisitBlock(0, 8, 2, 3), [0, 1]);
  assert.deepEqual(revisitBlock(2, 8, 2, 3), [0, 1]);
  assert.deepEqual(revisitBlock(3, 8, 2, 3), [2, 3]);
  assert.deepEqual(revisitBlock(12, 8, 2, 3), [0, 1]); // 4 blocks × 3 iterations = period 12
  assert.throws(() => revisitBlock(0, 8, 3, 1), ConfigError);
});

Deno.test("kaeEstimator: per-prompt histories keyed by the context's ids and step; hand-computed baselines", () => {
  const fn = kaeEstimator(new KaeBaseline({ kernel: "triangular", bandwidth: 2, current: "exclude" }));
  const ctx = (step: number, ids: string[]) =>
    ({ step, problems: ids.map((id) => ({ id })), groups: [] }) as unknown as AdvantageContext;
  // Step 0: no history → baseline 0, A = r.
  assert.deepEqual(fn([[1, 0], [1, 1]], ctx(0, ["a", "b"])), [[1, 0], [1, 1]]);
  // Step 1: prompt a's history {0: [1, 0]} with K_2(1) = 0.5 → V̂ = 0.5; prompt c is new → 0.
  assert.deepEqual(fn([[1, 1], [0, 1]], ctx(1, ["a", "c"])), [[0.5, 0.5], [0, 1]]);
  // Step 2: a has {0: [1,0] w 0, 1: [1,1] w 0.5} → V̂ = 1; b has {0: [1,1] w 0} → empty → 0.
  assert.deepEqual(fn([[0, 1], [1, 0]], ctx(2, ["a", "b"])), [[-1, 0], [1, 0]]);
  // A context without one problem per group is a ConfigError.
  assert.throws(() => kaeEstimator(new KaeBaseline())([[1]], ctx(0, [])), ConfigError);
  assert.deepEqual(batchMeanAdvantages([1, 0, 0, 1]), [0.5, -0.5, -0.5, 0.5]);
});

Deno.test("RLVRTrainer + RevisitSchedule + KAE on the tabular SimChain policy: blocks revisited, no tensor leak", async () => {
  const task = new SimChain({ length: 2, options: 3, numProblems: 4, seed: 1 });
  const policy = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
  });
  const schedule = new RevisitSchedule(task.problems(), { revisit: 2 });
  const seen: string[][] = [];
  const trainer = new RLVRTrainer({
    task,
    policy,
    curriculum: schedule,
    estimator: kaeEstimator(new KaeBaseline(), {
      observe: (_r, _w, c) => seen.push(c.problems.map((p) => p.id)),
    }),
    config: { batchSize: 2, groupSize: 4, lr: 0.05, maxGradNorm: null },
  });
  await trainer.train(1);
  const before = tf.memory().numTensors;
  await trainer.train(5);
  assert.equal(tf.memory().numTensors, before);
  const ids = task.problems().map((p) => p.id);
  assert.deepEqual(seen, [0, 0, 1, 1, 0, 0].map((b) => ids.slice(2 * b, 2 * b + 2)));
  trainer.dispose();
  policy.dispose();
});

Deno.test("KAE run: the measured group-mean MSE matches its closed form E[V(1−V)/G] (±20%)", async () => {
  const log = await runReproduction(kae, {
    preset: "smoke",
    seeds: 1,
    config: { lengths: [3], mseSteps: 200, g1Steps: 20, tiers: ["exact"] },
    progress: false,
  });
  const measured = Number(selectRows(log, { kind: "mse", baseline: "groupMean" })[0].mse);
  const expected = Number(selectRows(log, { kind: "mseExpectedGroupMean" })[0].mse);
  // 800 groups; the squared error of a binomial mean has relative SE ≈ √(2/800) ≈ 5%: 20% is ~4 SE.
  assert.ok(Math.abs(measured / expected - 1) < 0.2, `measured ${measured} vs closed form ${expected}`);
  const claims = kae.checkClaims(log);
  assert.equal(claims.length, 5 + 4); // the LM tier's 4 claims come out inconclusive with n = 0 (tier skipped)
  for (const c of claims) assert.ok((VERDICTS as readonly string[]).includes(c.verdict));
  for (const c of claims.slice(5)) assert.deepEqual([c.tier, c.verdict, c.n], ["lm", "inconclusive", 0]);
  // G = 1 with GRPO's group mean: the advantage is identically 0, so the policy never moves.
  const g = selectRows(log, { kind: "g1", arm: "groupMean" })[0];
  assert.equal(g.final, g.initial);
});
