import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { useBackend } from "../lib/core/backend.ts";
import { Adam } from "../lib/train/adam.ts";

/** θ after `steps` Adam updates of θ₀ with gradients spanning 12 decades, fused or as tensor ops. */
async function run(fused: boolean, steps: number): Promise<{ x: Float32Array; count: number }> {
  const n = 3000;
  const x = tf.variable(tf.tensor1d(Float32Array.from({ length: n }, (_, i) => 3 * Math.sin(i))));
  const adam = new Adam([x], { lr: 0.01 });
  adam.fused = fused;
  const n0 = tf.memory().numTensors;
  for (let s = 0; s < steps; s++) {
    const g = tf.tensor1d(
      Float32Array.from({ length: n }, (_, i) => Math.cos(i * (s + 1)) * 10 ** ((i % 13) - 6)),
    );
    adam.apply([g]);
    g.dispose();
  }
  const count = tf.memory().numTensors - n0;
  const out = await x.data() as Float32Array;
  adam.dispose();
  x.dispose();
  return { x: out, count };
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`adam[${backend}]: the fused host update is bit-identical to the tensor-op update, no leaks`, async () => {
    await useBackend(backend);
    const ops = await run(false, 25);
    const fused = await run(true, 25);
    assert.equal(fused.count, 0, "fused update leaked tensors");
    assert.equal(ops.count, 0, "op update leaked tensors");
    let differ = 0;
    for (let i = 0; i < ops.x.length; i++) if (!Object.is(ops.x[i], fused.x[i])) differ++;
    assert.equal(differ, 0, `${differ} of ${ops.x.length} parameters differ`);
    await useBackend("cpu");
  });

  Deno.test(`adam[${backend}]: first fused step moves θ by lr·g/(|g| + ε̂/√(1−β₂)) (closed form)`, async () => {
    await useBackend(backend);
    const g0 = [0.5, -2, 1e-3, -7e-6, 0];
    const x = tf.variable(tf.tensor1d([1, 1, 1, 1, 1]));
    const adam = new Adam([x], { lr: 0.1 });
    adam.fused = true;
    const g = tf.tensor1d(g0);
    adam.apply([g]);
    // t = 1: m = (1−β₁)g, v = (1−β₂)g², α₁ = α√(1−β₂)/(1−β₁) ⇒ Δ = α·g/(|g| + ε̂/√(1−β₂)).
    const want = g0.map((gi) => 1 - 0.1 * gi / (Math.abs(gi) + 1e-8 / Math.sqrt(1 - 0.999)));
    const got = await x.data();
    want.forEach((w, i) => assert.ok(Math.abs(got[i] - w) < 1e-6, `θ[${i}] = ${got[i]}, want ${w}`));
    tf.dispose([x, g]);
    adam.dispose();
    await useBackend("cpu");
  });
}
