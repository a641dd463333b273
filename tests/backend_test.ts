import assert from "node:assert/strict";
import { BackendUnavailableError, probeWebGPU, useBackend } from "../lib/core/backend.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";

/** 2×3 · 3×2 product computed by hand: [[1,2,3],[4,5,6]]·[[7,8],[9,10],[11,12]] = [[58,64],[139,154]]. */
async function handMatmul(): Promise<number[]> {
  const c = tf.matMul(tf.tensor2d([[1, 2, 3], [4, 5, 6]]), tf.tensor2d([[7, 8], [9, 10], [11, 12]]));
  const out = Array.from(await c.data());
  c.dispose();
  return out;
}

Deno.test("backend: cpu runs for real and computes a hand-checked matmul", async () => {
  const r = await useBackend("cpu");
  assert.equal(r.backend, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assert.deepEqual(await handMatmul(), [58, 64, 139, 154]);
});

Deno.test("backend: wasm loads its binaries from node_modules, reports SIMD, and matches cpu", async () => {
  const r = await useBackend("wasm");
  assert.equal(r.backend, "wasm");
  assert.equal(tf.getBackend(), "wasm");
  assert.ok(r.wasm, "wasm details reported");
  assert.equal(typeof r.wasm!.simd, "boolean");
  assert.match(r.wasm!.binaryDir, /node_modules/);
  assert.deepEqual(await handMatmul(), [58, 64, 139, 154]);
  // gradients are registered (tfjs-layers imported once by lib/core/tf.ts): d/dx sum(x²) = 2x
  const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(tf.tensor1d([1, -2, 3]));
  assert.deepEqual(Array.from(await g.data()), [2, -4, 6]);
  await useBackend("cpu");
});

Deno.test("backend: auto never picks a fallback WebGPU adapter and explains every candidate", async () => {
  const probe = await probeWebGPU();
  const r = await useBackend("auto");
  assert.ok(r.candidates && r.candidates.length >= 2);
  for (const c of r.candidates!) assert.ok(c.reason.length > 0, `${c.backend} has a reason`);
  if (!probe.available) assert.notEqual(r.backend, "webgpu");
  if (probe.info?.isFallbackAdapter) assert.match(probe.reason, /fallback/);
  const tfc = r.candidates!.find((c) => c.backend === "tensorflow")!;
  if (!tfc.available) assert.notEqual(r.backend, "tensorflow");
  if (!tfc.available && !probe.available) assert.equal(r.backend, "wasm");
  await useBackend("cpu");
});

Deno.test("backend: unavailable backends say why; unknown names list the valid ones", async () => {
  const probe = await probeWebGPU();
  if (!probe.available) {
    await assert.rejects(
      () => useBackend("webgpu"),
      (e: Error) => e instanceof BackendUnavailableError && e.message.length > 30,
    );
  }
  let nativeAvailable = true;
  try {
    await useBackend("tensorflow");
  } catch (e) {
    nativeAvailable = false;
    assert.ok(e instanceof BackendUnavailableError);
    assert.match((e as Error).message, /tfjs-node/);
  }
  if (!nativeAvailable) assert.notEqual(tf.getBackend(), "tensorflow");
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    () => useBackend("gpu" as any),
    (e: Error) => e instanceof ConfigError && /"auto", "cpu", "wasm", "webgpu", "tensorflow"/.test(e.message),
  );
  await useBackend("cpu");
});
