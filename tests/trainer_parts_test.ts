/**
 * Trainer parts: algorithm presets, the estimator registry (and KAE as a trainer estimator on revisited
 * prompts), plain SGD, the per-prompt log and its chart, the finite trainSet pool.
 */
import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext, RolloutGroup } from "../lib/curricula/types.ts";
import { KaeBaseline } from "../lib/estimators/kae.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask, makeDataset } from "../lib/tasks/mod.ts";
import {
  type AdvantageContext,
  ALGORITHMS,
  getAdvantageEstimator,
  kaeEstimator,
  presetConfig,
  registerAdvantageEstimator,
  resolveTrainerConfig,
  RLVRTrainer,
  Sgd,
  UniformSampling,
} from "../lib/train/mod.ts";
import { promptPassRateChart, promptPassRateSummary } from "../lib/viz/mod.ts";

const TASK = new AdditionTask({ minDigits: 1, maxDigits: 1 });
const near = (a: number, b: number, tol = 1e-6) =>
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b} (tol ${tol})`);

function tinyPolicy(seed = 0): TinyTransformer {
  return new TinyTransformer({
    vocabSize: TASK.vocab.size,
    contextLength: TASK.maxSequenceLength,
    dModel: 8,
    nLayers: 1,
    nHeads: 2,
    seed,
  });
}

const isConfigError = (re: RegExp) => (e: Error) => e instanceof ConfigError && re.test(e.message);

Deno.test("algorithm presets: the paper pairings; explicit fields win; unknown names throw", () => {
  const dapo = resolveTrainerConfig({ algorithm: "dapo" });
  assert.deepEqual(
    [dapo.estimator, dapo.aggregation, dapo.epsLow, dapo.epsHigh],
    ["grpo", "token-mean", 0.2, 0.28],
  );
  const dr = resolveTrainerConfig({ algorithm: "dr-grpo" });
  assert.deepEqual([dr.estimator, dr.aggregation], ["dr-grpo", "seq-mean-token-sum-norm"]);
  const grpo = resolveTrainerConfig({ algorithm: "grpo" });
  assert.deepEqual([grpo.estimator, grpo.aggregation], ["grpo", "seq-mean-token-mean"]);
  // Explicit overrides beat the preset.
  const own = resolveTrainerConfig({ algorithm: "dapo", epsHigh: 0.3, aggregation: "seq-mean-token-mean" });
  assert.deepEqual([own.epsHigh, own.aggregation, own.estimator], [0.3, "seq-mean-token-mean", "grpo"]);
  for (const a of ALGORITHMS) assert.equal(resolveTrainerConfig({ algorithm: a }).algorithm, a);
  assert.deepEqual(presetConfig("lite-ppo").estimator, "lite-ppo");
  // deno-lint-ignore no-explicit-any
  assert.throws(() => resolveTrainerConfig({ algorithm: "ppo" as any }), isConfigError(/^config\.algorithm/));
  // The default config is unchanged: GRPO advantages with token-mean.
  const d = resolveTrainerConfig({});
  assert.deepEqual([d.algorithm, d.estimator, d.aggregation], [null, "grpo", "token-mean"]);
});

Deno.test("estimator registry: custom names, unknown names list the registered ones, singleton groups", () => {
  registerAdvantageEstimator("test-half", () => (rs) => rs.map((r) => r.map(() => 0.5)));
  assert.equal(resolveTrainerConfig({ estimator: "test-half" }).estimator, "test-half");
  const ctx: AdvantageContext = { step: 0, problems: [], groups: [] };
  assert.deepEqual(getAdvantageEstimator("test-half")([[1, 0]], ctx), [[0.5, 0.5]]);
  assert.throws(
    () => resolveTrainerConfig({ estimator: "nope" }),
    isConfigError(/^config\.estimator must be a registered advantage estimator: .*"kae".*"test-half"/),
  );
  assert.throws(() => getAdvantageEstimator("nope"), isConfigError(/^estimator must be a registered/));
  // One-rollout groups: 0 by default (and rejected for group estimators), verl's mean 0 / std 1 with "raw".
  assert.deepEqual(getAdvantageEstimator("grpo")([[1], [0]], ctx), [[0], [0]]);
  assert.deepEqual(getAdvantageEstimator("dr-grpo", { singletonGroups: "raw" })([[0.7]], ctx), [[0.7]]);
  assert.throws(() => resolveTrainerConfig({ groupSize: 1 }), isConfigError(/^config\.groupSize/));
  assert.equal(resolveTrainerConfig({ groupSize: 1, singletonGroups: "raw" }).groupSize, 1);
});

Deno.test("SGD: one step is θ − lr·g (closed form), alone and inside the trainer", async () => {
  await useBackend("cpu");
  const x = tf.variable(tf.tensor1d([1, -2, 3]));
  const sgd = new Sgd([x], 0.1);
  const g = tf.tensor1d([0.5, -3, 1e-3]);
  sgd.apply([g]);
  Array.from(await x.data()).forEach((v, i) => near(v, [0.95, -1.7, 2.9999][i], 1e-6));
  tf.dispose([x, g]);

  // Trainer with a loss ½Σθ² (gradient θ, no clipping): one SGD step multiplies every weight by 1 − lr.
  const policy = tinyPolicy(3);
  const w0 = policy.variables.map((v) => Array.from(v.dataSync()));
  const lr = 0.1;
  const trainer = new RLVRTrainer({
    policy,
    task: TASK,
    config: { optimizer: "sgd", lr, maxGradNorm: null, batchSize: 2, groupSize: 2, seed: 1 },
    objective: () => ({
      loss: tf.mul(0.5, tf.addN(policy.variables.map((v) => tf.sum(tf.square(v))))),
      clipFraction: tf.scalar(0),
      kl: tf.scalar(0),
      entropy: tf.scalar(0),
    }),
  });
  await trainer.trainStep();
  policy.variables.forEach((v, k) => {
    const w1 = v.dataSync();
    w0[k].forEach((w, i) => near(w1[i], (1 - lr) * w, 1e-6));
  });
  trainer.dispose();
  policy.dispose();
});

/** Rolls out like UniformSampling, then rescores each group with a fixed correctness pattern (recorded). */
class PatternGroups implements Curriculum {
  readonly name = "pattern";
  state: unknown = null;
  readonly seen: RolloutGroup[][] = [];
  constructor(readonly patterns: number[][]) {}
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const batch = await new UniformSampling().nextBatch(ctx);
    const groups = batch.groups.map((g, k) => {
      const c = this.patterns[k % this.patterns.length];
      return { ...g, rewards: c.slice(), correct: c.slice() };
    });
    this.seen.push(groups);
    return { ...batch, groups };
  }
}

Deno.test("promptLog: one row per trained group; p̂, spread and lengths by hand; CSV; pass-rate chart", async () => {
  await useBackend("cpu");
  const policy = tinyPolicy(4);
  const patterns = [[1, 0, 0, 1], [1, 1, 1, 1], [0, 0, 0, 1]];
  const curriculum = new PatternGroups(patterns);
  const trainer = new RLVRTrainer({
    policy,
    task: TASK,
    curriculum,
    config: { batchSize: 3, groupSize: 4, seed: 2, logPrompts: true },
  });
  await trainer.train(2);
  const rows = trainer.promptLog.rows;
  assert.equal(rows.length, 6);
  rows.forEach((r, j) => {
    const step = Math.floor(j / 3) + 1, k = j % 3;
    const g = curriculum.seen[step - 1][k];
    assert.equal(r.step, step);
    assert.equal(r.problemId, g.problem.id);
    // p̂ = mean correctness: 2/4, 4/4, 1/4.
    assert.equal(r.passRate, [0.5, 1, 0.25][k]);
    // GRPO (population std) on binary rewards: Â ∈ {(1 − p)/σ, −p/σ}, σ = √(p(1 − p)) → spread 1/(σ + ε).
    const p = r.passRate;
    near(r.advantageSpread, p === 1 ? 0 : 1 / (Math.sqrt(p * (1 - p)) + 1e-6), 1e-9);
    const lengths = g.responses.map((y) => y.length);
    assert.equal(r.responseLengthMin, Math.min(...lengths));
    assert.equal(r.responseLengthMax, Math.max(...lengths));
    near(r.responseLengthMean, lengths.reduce((a, b) => a + b, 0) / 4, 1e-12);
    assert.equal(r.hintLength, 0);
  });
  assert.ok(trainer.promptLog.toCSV().startsWith(`"step","problemId","difficulty","passRate",`));
  const summary = promptPassRateSummary(trainer.promptLog);
  assert.deepEqual(summary.map((s) => [s.step, s.prompts]), [[1, 3], [2, 3]]);
  summary.forEach((s) => {
    near(s.informativeShare, 2 / 3, 1e-12);
    near(s.allCorrectShare, 1 / 3, 1e-12);
    assert.equal(s.noneCorrectShare, 0);
  });
  const chart = promptPassRateChart(trainer.promptLog);
  assert.equal((chart.spec.vconcat as unknown[]).length, 2);
  assert.ok((await chart.toSVG()).includes("<svg"));
  assert.throws(() => promptPassRateChart([]), isConfigError(/^data/));
  trainer.dispose();
  policy.dispose();
});

Deno.test("KAE as the trainer's estimator: revisited trainSet prompts use their kernel-weighted history", async () => {
  await useBackend("cpu");
  const policy = tinyPolicy(5);
  const trainSet = makeDataset(TASK, 2, 7);
  const h = 4;
  const kae = kaeEstimator(new KaeBaseline({ bandwidth: h }));
  const calls: { step: number; ids: string[]; rewards: number[][]; out: number[][] }[] = [];
  const patterns = [[1, 0, 0], [1, 1, 0]];
  const trainer = new RLVRTrainer({
    policy,
    task: TASK,
    trainSet,
    curriculum: new PatternGroups(patterns),
    estimator: (rs, ctx) => {
      const out = kae(rs, ctx);
      calls.push({ step: ctx.step, ids: ctx.problems.map((p) => p.id), rewards: rs, out });
      return out;
    },
    config: { batchSize: 2, groupSize: 3, seed: 9 },
  });
  await trainer.train(3);
  // Hand Nadaraya–Watson baseline: past visits weighted max(0, 1 − lag/h) (same-step earlier groups: lag 0),
  // plus the other G − 1 current rewards with weight 1 (leave-one-out).
  const history = new Map<string, { step: number; rewards: number[] }[]>();
  let revisits = 0;
  for (const c of calls) {
    c.ids.forEach((id, g) => {
      const past = history.get(id) ?? [];
      if (past.length) revisits++;
      const r = c.rewards[g];
      r.forEach((ri, i) => {
        let num = 0, den = 0;
        for (const v of past) {
          const w = Math.max(0, 1 - (c.step - v.step) / h);
          num += w * v.rewards.reduce((a, b) => a + b, 0);
          den += w * v.rewards.length;
        }
        num += r.reduce((a, b) => a + b, 0) - ri;
        den += r.length - 1;
        near(c.out[g][i], ri - num / den, 1e-12);
      });
      past.push({ step: c.step, rewards: r });
      history.set(id, past);
    });
  }
  assert.ok(revisits >= 4, `2 problems × 6 draws revisit (${revisits})`);
  assert.ok(calls.every((c) => c.ids.every((id) => trainSet.some((p) => p.id === id))));
  // By name too: estimator "kae" runs in the trainer.
  const byName = new RLVRTrainer({
    policy,
    task: TASK,
    trainSet,
    config: { estimator: "kae", batchSize: 2, groupSize: 2 },
  });
  await byName.train(1);
  assert.equal(byName.runLog.rows.length, 1);
  byName.dispose();
  trainer.dispose();
  policy.dispose();
});

Deno.test("trainSet: must be non-empty and disjoint from exclude", () => {
  const policy = tinyPolicy(6);
  const pool = makeDataset(TASK, 3, 1);
  assert.throws(
    () => new RLVRTrainer({ policy, task: TASK, trainSet: [] }),
    isConfigError(/^parts\.trainSet/),
  );
  assert.throws(
    () => new RLVRTrainer({ policy, task: TASK, trainSet: pool, exclude: [pool[1]] }),
    isConfigError(/^parts\.trainSet must not contain excluded problems/),
  );
  policy.dispose();
});

Deno.test("checkpoint: KAE estimator state and the prompt log resume exactly; no tensor growth across steps", async () => {
  await useBackend("cpu");
  const dir = await Deno.makeTempDir();
  const trainSet = makeDataset(TASK, 4, 21);
  const config = {
    estimator: "kae",
    batchSize: 2,
    groupSize: 2,
    seed: 3,
    logPrompts: true,
    optimizer: "sgd" as const,
    lr: 0.05,
    clipC: 3,
    klCoef: 0.01,
    klClamp: true,
    checkpointEvery: 2,
    checkpointDir: dir,
  };
  const make = (seed: number) => {
    const policy = tinyPolicy(seed);
    // Pattern rewards (not the untrained policy's all-zero ones), so KAE's history changes the advantages.
    const curriculum = new PatternGroups([[1, 0], [1, 1], [0, 1]]);
    return { policy, trainer: new RLVRTrainer({ policy, task: TASK, trainSet, curriculum, config }) };
  };
  const full = make(8);
  await full.trainer.train(2);
  const tensors = tf.memory().numTensors;
  await full.trainer.train(2);
  assert.equal(tf.memory().numTensors, tensors);
  const resumed = make(8);
  await resumed.trainer.loadCheckpoint(`${dir}/step-000002`);
  await resumed.trainer.train(2);
  const strip = (rows: readonly Record<string, unknown>[]) =>
    rows.map((r) =>
      Object.fromEntries(Object.entries(r).filter(([k]) => !k.endsWith("Seconds") && k !== "tokensPerSecond"))
    );
  assert.deepEqual(strip(resumed.trainer.runLog.rows), strip(full.trainer.runLog.rows));
  assert.deepEqual(resumed.trainer.promptLog.rows, full.trainer.promptLog.rows);
  for (const x of [full, resumed]) {
    x.trainer.dispose();
    x.policy.dispose();
  }
  await Deno.remove(dir, { recursive: true });
});
