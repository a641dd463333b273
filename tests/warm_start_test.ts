import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask, makeDataset } from "../lib/tasks/mod.ts";
import {
  packSequences,
  type TransformerSetup,
  validateTransformerSetup,
  warmStartTransformer,
} from "../mod.ts";

const TASK = new AdditionTask({ minDigits: 1, maxDigits: 1 });
const SETUP: TransformerSetup = {
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  sftSteps: 40,
  sftBatchSize: 16,
  sftLr: 1e-2,
};

/** Token-mean NLL of the reference solutions of `problems` under `policy` (host arithmetic on log-probs). */
async function referenceNll(
  policy: TinyTransformer,
  problems: ReturnType<typeof makeDataset>,
): Promise<number> {
  const b = packSequences(
    problems.map((p) => p.prompt),
    problems.map((p) => p.solution),
    problems.map(() => 0),
    0,
  );
  const tokens = tf.tensor2d(b.tokens, [b.N, b.L], "int32") as tf.Tensor2D;
  const valid = tf.tensor2d(b.valid, [b.N, b.L]) as tf.Tensor2D;
  const { logProbs, entropy } = policy.tokenLogProbs(tokens, valid);
  const lp = await logProbs.data();
  tf.dispose([tokens, valid, logProbs, entropy]);
  let s = 0;
  let n = 0;
  for (let i = 0; i < b.mask.length; i++) {
    if (b.mask[i] > 0) {
      s -= lp[i];
      n++;
    }
  }
  return s / n;
}

Deno.test("warmStartTransformer: model sized for the task, seeded by rng.split(0); SFT lowers the reference NLL", async () => {
  await useBackend("cpu");
  const n0 = tf.memory().numTensors;
  const rng = new Rng(11);
  const held = makeDataset(TASK, 32, 5);
  const init = await warmStartTransformer(TASK, { ...SETUP, sftSteps: 0 }, rng);
  assert.equal(init.config.contextLength, TASK.maxSequenceLength);
  assert.equal(init.config.vocabSize, TASK.vocab.size);
  // sftSteps = 0: exactly the TinyTransformer initialised from rng.split(0).seed.
  const ref = new TinyTransformer({
    vocabSize: TASK.vocab.size,
    contextLength: TASK.maxSequenceLength,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    seed: rng.split(0).seed,
  });
  assert.deepEqual(await init.getWeights(), await ref.getWeights());
  const fitted = await warmStartTransformer(TASK, SETUP, rng, held);
  const again = await warmStartTransformer(TASK, SETUP, rng, held);
  assert.deepEqual(await fitted.getWeights(), await again.getWeights(), "same rng → identical weights");
  const before = await referenceNll(init, held);
  const after = await referenceNll(fitted, held);
  // Uniform over the vocabulary is log V ≈ 2.7 nats; 40 SFT steps at lr 1e-2 must fit well below the start.
  assert.ok(after < before - 0.5, `NLL ${before.toFixed(3)} → ${after.toFixed(3)}`);
  for (const p of [init, ref, fitted, again]) p.dispose();
  assert.equal(tf.memory().numTensors, n0, "no tensors left after disposing the policies");
});

Deno.test("validateTransformerSetup: bad fields throw a ConfigError naming them", () => {
  const bad: [Partial<TransformerSetup>, string][] = [
    [{ dModel: 15 }, "rlcr.dModel"], // not divisible by nHeads 2
    [{ nHeads: 0 }, "rlcr.nHeads"],
    [{ nLayers: -1 }, "rlcr.nLayers"],
    [{ sftSteps: 1.5 }, "rlcr.sftSteps"],
    [{ sftBatchSize: 0 }, "rlcr.sftBatchSize"],
    [{ sftLr: 0 }, "rlcr.sftLr"],
  ];
  for (const [patch, field] of bad) {
    assert.throws(
      () => validateTransformerSetup({ ...SETUP, ...patch }, "rlcr"),
      (e: unknown) => e instanceof ConfigError && e.message.includes(field),
      field,
    );
  }
  validateTransformerSetup({ ...SETUP, nLayers: 0, sftSteps: 0 }, "rlcr");
});

Deno.test("warmStartTransformer: sampleOptions reach every SFT draw (SFT at an easier level than the task's)", async () => {
  await useBackend("cpu");
  const seen: unknown[] = [];
  const base = new AdditionTask({ minDigits: 1, maxDigits: 3 });
  const spy = Object.assign(Object.create(base), {
    sample: (rng: Rng, options?: { digits?: number }) => {
      seen.push(options);
      return base.sample(rng, options);
    },
  }) as AdditionTask;
  const policy = await warmStartTransformer(
    spy,
    { ...SETUP, sftSteps: 2, sftBatchSize: 3 },
    new Rng(1),
    null,
    {
      digits: 1,
    },
  );
  assert.equal(policy.config.contextLength, base.maxSequenceLength); // sized for the task, not the SFT level
  assert.equal(seen.length, 2 * 3);
  assert.ok(seen.every((o) => JSON.stringify(o) === JSON.stringify({ digits: 1 })));
  policy.dispose();
  // a function draws the options per problem from the problem stream: a mixture of levels
  seen.length = 0;
  const mixed = await warmStartTransformer(
    spy,
    { ...SETUP, sftSteps: 4, sftBatchSize: 8 },
    new Rng(1),
    null,
    (r) => ({ digits: 2 + r.int(2) }),
  );
  assert.equal(seen.length, 4 * 8);
  const digits = seen.map((o) => (o as { digits: number }).digits);
  assert.ok(digits.every((d) => d === 2 || d === 3));
  assert.ok(digits.includes(2) && digits.includes(3), "both levels drawn in 32 problems");
  mixed.dispose();
});
