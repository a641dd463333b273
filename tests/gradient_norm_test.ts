import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { policyGradientNorm } from "../lib/train/gradient_norm.ts";

const policy = () =>
  new TinyTransformer({ vocabSize: 7, contextLength: 8, dModel: 8, nLayers: 1, nHeads: 2, seed: 2 });
const BATCH = {
  prompts: [[1, 3], [1, 4], [1, 3]],
  responses: [[5, 2], [6], [4, 5, 2]],
  advantages: [0.5, -1, 0.5],
};
const AGG = { aggregation: "seq-mean-token-sum-norm" as const, maxLength: 6 };

Deno.test("policyGradientNorm: ‖∇L(c·A)‖ = |c|·‖∇L(A)‖ (L is linear in A on-policy), 0 for A = 0, no leaks", async () => {
  await useBackend("cpu");
  const p = policy();
  const n0 = tf.memory().numTensors;
  const base = await policyGradientNorm(p, BATCH, 0, AGG);
  assert.ok(base > 0);
  for (const c of [2, -0.5, 3.25]) {
    const scaled = await policyGradientNorm(
      p,
      { ...BATCH, advantages: BATCH.advantages.map((a) => c * a) },
      0,
      AGG,
    );
    assert.ok(Math.abs(scaled / base - Math.abs(c)) < 1e-4, `c = ${c}: ${scaled / base}`);
  }
  assert.equal(await policyGradientNorm(p, { ...BATCH, advantages: [0, 0, 0] }, 0, AGG), 0);
  // seq-mean-token-sum-norm divides by B·L_max: doubling L_max halves the gradient.
  const half = await policyGradientNorm(p, BATCH, 0, { ...AGG, maxLength: 12 });
  assert.ok(Math.abs(half / base - 0.5) < 1e-4);
  assert.equal(tf.memory().numTensors, n0, "no tensors left");
  await assert.rejects(() => policyGradientNorm(p, { ...BATCH, advantages: [1] }, 0), ConfigError);
  p.dispose();
});
