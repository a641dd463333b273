import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { SuccessProbe, type SuccessProbeRecord } from "../lib/curricula/observe.ts";
import { RunLog } from "../lib/log/runlog.ts";
import { TabularSoftmaxPolicy } from "../lib/policies/tabular.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask } from "../lib/tasks/addition.ts";
import { SimChain } from "../lib/tasks/chain.ts";
import { trainArms } from "../lib/train/arms.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";
import { UniformSampling } from "../lib/train/uniform.ts";
import {
  checkKaeLmClaims,
  type KaeLmConfig,
  probeSteps,
  runKaeLmTier,
  validateKaeLm,
  valueMse,
} from "../reproductions/kae/lm.ts";
import { KAE_LM_PREREGISTRATION, KAE_LM_QUICK, KAE_LM_SMOKE } from "../reproductions/kae/preregistration.ts";
import { matchesRegistration } from "../mod.ts";

Deno.test("SuccessProbe: probe frequency matches the exact pre-update success probability (SimChain, 4σ)", async () => {
  const task = new SimChain({ length: 3, options: 3, numProblems: 4, seed: 5 });
  const policy = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
    logits: task.initialLogits({ initScale: 0.5, initCorrectBias: 1, seed: 5 }),
  });
  const M = 4000;
  const checks: { pHat: number; p: number }[] = [];
  const curriculum = new SuccessProbe(new UniformSampling(), {
    samples: M,
    steps: [0, 2],
    onProbe: (r: SuccessProbeRecord) => {
      assert.equal(r.scores.length, r.groups.length);
      const probs = policy.probabilityTable(); // onProbe runs before this step's update
      r.groups.forEach((g, i) => {
        assert.equal(r.scores[i].length, M);
        checks.push({
          pHat: r.scores[i].reduce((a, b) => a + b, 0) / M,
          p: task.successProbability(g.problem, probs),
        });
      });
    },
  });
  const trainer = new RLVRTrainer({
    policy,
    task,
    curriculum,
    config: { seed: 9, batchSize: 2, groupSize: 2, lr: 0.5, optimizer: "sgd" },
  });
  try {
    await trainer.train(3);
    assert.equal(checks.length, 4, "two probe steps × two problems");
    for (const { pHat, p } of checks) {
      assert.ok(p > 0.05 && p < 0.95, `informative p (${p})`);
      assert.ok(Math.abs(pHat - p) <= 4 * Math.sqrt(p * (1 - p) / M), `p̂ ${pHat} vs exact ${p}`);
    }
    assert.notEqual(checks[0].p, checks[2].p, "the policy moved between the probes");
    assert.deepEqual(
      trainer.runLog.rows.map((r) => r.rolloutsTotal),
      [4, 8, 12],
      "probe rollouts are not counted",
    );
  } finally {
    trainer.dispose();
    policy.dispose();
  }
  assert.throws(
    () => new SuccessProbe(new UniformSampling(), { samples: 0, steps: [], onProbe: () => {} }),
    ConfigError,
  );
  assert.throws(
    () => new SuccessProbe(new UniformSampling(), { samples: 2, steps: [-1], onProbe: () => {} }),
    ConfigError,
  );
});

Deno.test("SuccessProbe in RLVRTrainer: training is unchanged by the probe (rewards, rollouts, weights)", async () => {
  await useBackend("cpu");
  const task = new AdditionTask({ minDigits: 1, maxDigits: 1 });
  const run = async (probe: boolean) => {
    const policy = new TinyTransformer({
      vocabSize: task.vocab.size,
      contextLength: task.maxSequenceLength,
      dModel: 8,
      nLayers: 1,
      nHeads: 2,
      seed: 3,
    });
    let probes = 0;
    const curriculum = probe
      ? new SuccessProbe(new UniformSampling(), { samples: 5, steps: [0, 1], onProbe: () => probes++ })
      : new UniformSampling();
    const trainer = new RLVRTrainer({
      policy,
      task,
      curriculum,
      config: { seed: 1, batchSize: 2, groupSize: 2 },
    });
    try {
      await trainer.train(3);
      const w = JSON.stringify(await policy.getWeights());
      return {
        probes,
        w,
        rows: trainer.runLog.rows.map((r) => [r.reward, r.loss, r.rolloutsTotal, r.responseLength]),
      };
    } finally {
      trainer.dispose();
      policy.dispose();
    }
  };
  const a = await run(false);
  const b = await run(true);
  assert.equal(b.probes, 2);
  assert.deepEqual(b.rows, a.rows);
  assert.equal(b.w, a.w);
});

Deno.test("trainArms: each arm's parts factory is called once per rate of the grid, with that rate", async () => {
  await useBackend("cpu");
  const task = new AdditionTask({ minDigits: 1, maxDigits: 1 });
  const start = new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: 8,
    nLayers: 1,
    nHeads: 2,
    seed: 3,
  });
  const seen: number[] = [];
  const rng = new Rng(4);
  const heldOut = [task.sample(rng.split(0)), task.sample(rng.split(1))];
  try {
    const rows = await trainArms({
      start,
      task,
      arms: [{ name: "a", parts: (_policy, { lr }) => (seen.push(lr), {}) }],
      learningRates: [1e-3, 3e-3],
      steps: 1,
      evalEvery: 1,
      config: { seed: 1, batchSize: 1, groupSize: 2 },
      validation: heldOut.slice(0, 1),
      test: heldOut.slice(1),
    });
    assert.deepEqual(seen, [1e-3, 3e-3]);
    assert.deepEqual([...new Set(rows.map((r) => r.lr))], [1e-3, 3e-3]);
  } finally {
    start.dispose();
  }
});

Deno.test("valueMse: hand-computed case against the exact p, and unbiased for E[(V − p)²] with Bernoulli scores (4 SE)", () => {
  // p = 0.4 exactly; group mean of the first 2 scores = 0.5 (later scores unused).
  const one = valueMse([{ baseline: 0.2, weight: 1, reward: 1, scores: [1, 0, 1, 1], success: 0.4 }], 2);
  assert.ok(Math.abs(one.kae - 0.04) < 1e-12);
  assert.ok(Math.abs(one.groupMean - 0.01) < 1e-12);
  assert.ok(Math.abs(one.singleSample - 0.36) < 1e-12);
  assert.equal(one.withHistory, 1);
  assert.equal(one.meanReference, 0.4);
  // Statistical truth: p = 0.3, V̂ ≡ 0.5, G = 4 → E = (0.5 − 0.3)², p(1 − p)/4, p(1 − p).
  const rng = new Rng(11);
  const p = 0.3;
  const n = 20000;
  const probes = Array.from({ length: n }, () => ({
    baseline: 0.5,
    weight: 0,
    reward: rng.bernoulli(p) ? 1 : 0,
    scores: Array.from({ length: 4 }, () => (rng.bernoulli(p) ? 1 : 0)),
    success: p,
  }));
  const m = valueMse(probes, 4);
  const tol = (sd: number) => 4 * sd / Math.sqrt(n);
  assert.ok(Math.abs(m.kae - 0.04) < 1e-12, `kae ${m.kae}`);
  assert.ok(Math.abs(m.groupMean - p * (1 - p) / 4) < tol(0.1), `group mean ${m.groupMean}`);
  assert.ok(Math.abs(m.singleSample - p * (1 - p)) < tol(0.5), `single ${m.singleSample}`);
  assert.equal(m.withHistory, 0);
  assert.throws(
    () => valueMse([{ baseline: 0, weight: 0, reward: 0, scores: [1], success: 0.5 }], 2),
    ConfigError,
  );
});

Deno.test("KAE LM config: validation names the field; probe steps; registered presets are valid", () => {
  const bad = (patch: Partial<KaeLmConfig>, field: string) =>
    assert.throws(
      () => validateKaeLm({ ...KAE_LM_QUICK, ...patch }),
      (e: Error) => e.message.includes(field),
    );
  bad({ groupSize: 4 }, "lm.groupSize");
  bad({ trainSetSize: 0 }, "lm.trainSetSize");
  bad({ batchSize: 6 }, "lm.batchSize");
  bad({ grpoGroupSize: 1 }, "lm.grpoGroupSize");
  bad({ probeSamples: KAE_LM_QUICK.grpoGroupSize - 1 }, "lm.probeSamples");
  bad({ bandwidth: 0 }, "lm.bandwidth");
  assert.deepEqual(probeSteps({ steps: 40, probeEvery: 10 }), [9, 19, 29, 39]);
  validateKaeLm(KAE_LM_QUICK);
  validateKaeLm(KAE_LM_SMOKE);
  const quick = KAE_LM_PREREGISTRATION.presets.quick!;
  assert.deepEqual(quick.lm, KAE_LM_QUICK);
  assert.ok(matchesRegistration({ ...quick }, quick));
  assert.deepEqual(KAE_LM_PREREGISTRATION.claims.map((c) => c.id), [
    "kae.lm.1",
    "kae.lm.2",
    "kae.lm.3",
    "kae.lm.4",
  ]);
});

Deno.test("KAE LM tier smoke: arms at equal rollouts per step, one value-MSE row, four tagged claims", async () => {
  await useBackend("cpu");
  const c = KAE_LM_SMOKE;
  const log = new RunLog({});
  for (const i of [0, 1]) {
    const rows = await runKaeLmTier(c, { index: i, rng: new Rng(7).split(i), tick: () => {} });
    // RunLog rejects NaN (step 0 has no training accuracy): NaN → null, as JSON would write it.
    for (const r of rows) {
      log.log(
        Object.fromEntries(
          Object.entries({ seed: i, ...r }).map(([k, v]) => [k, Number.isNaN(v) ? null : v]),
        ),
      );
    }
  }
  const evals = log.rows.filter((r) => r.kind === "lm-eval" && r.seed === 0);
  const rates = new Set(evals.map((r) => r.lr));
  // the grid rule extends the one-rate grid once on both sides (factor 3)
  assert.equal(rates.size, 3);
  for (const arm of ["reinforce", "kae", "grpo"]) {
    const last = evals.filter((r) => r.arm === arm && r.step === c.steps && r.budget == null);
    assert.equal(last.length, rates.size);
    for (const r of last) assert.equal(r.rollouts, c.steps * c.batchSize, `${arm}: B·G rollouts per step`);
    // equal-budget readouts: every run read at exactly the same rollout counts
    for (const lr of rates) {
      const budgets = evals.filter((r) => r.arm === arm && r.lr === lr && r.budget != null).map((r) =>
        r.rollouts
      );
      assert.deepEqual(budgets, Array.from({ length: c.steps }, (_, i) => (i + 1) * c.batchSize));
    }
  }
  const mse = log.rows.filter((r) => r.kind === "lm-value-mse");
  assert.equal(mse.length, 2);
  for (const r of mse) {
    assert.equal(r.probes, probeSteps(c).length * c.batchSize);
    assert.ok(Number(r.withHistory) >= 0 && Number(r.withHistory) <= 1);
    // squared errors against the exact p: never negative (the old noise-corrected estimate could be)
    for (const k of ["mseKae", "mseGroupMean", "mseSingleSample"]) {
      assert.ok(Number(r[k]) >= 0 && Number(r[k]) <= 1, k);
    }
    assert.ok(Number(r.meanReference) >= 0 && Number(r.meanReference) <= 1);
  }
  const claims = checkKaeLmClaims(log, KAE_LM_PREREGISTRATION.claims);
  assert.deepEqual(claims.map((r) => r.id), ["kae.lm.1", "kae.lm.2", "kae.lm.3", "kae.lm.4"]);
  for (const r of claims) assert.equal(r.tier, "lm");
});
