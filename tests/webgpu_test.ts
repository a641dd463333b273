/**
 * The `webgpu` backend against the `cpu` backend on the same seeded TinyTransformer: forward log-probs,
 * gradients, one Adam step, and KV-cache sampling. It runs on any WebGPU adapter, including Mesa's software
 * Vulkan driver (lavapipe, Debian `mesa-vulkan-drivers`), which CI installs, so the GPU path is exercised
 * without a GPU. Skipped only when no adapter exists and CI is not "true"; under CI=true a missing adapter
 * fails the test.
 *
 * Tolerances: both backends compute in float32 but sum in different orders (WGSL workgroup reductions vs
 * sequential JS loops), and WGSL's exp/log may differ from JS's by a few ulp. Over this model's ≤ 64-term
 * dot products in 2 blocks that is ~1e-6 relative per op; the bounds below (2e-4 on log-probs of magnitude
 * ≲ 5, 1e-3 of the largest gradient entry, 1e-5 on Adam-updated weights, 2e-4 on sampled log-probs) leave two
 * orders of magnitude of room over that and are far below the effects a wrong kernel produces (≥ 1e-2).
 */
import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { probeWebGPU, useBackend } from "../lib/core/backend.ts";
import { TinyTransformer, type TinyTransformerConfig } from "../lib/policies/transformer.ts";
import { Adam } from "../lib/train/adam.ts";

const probe = await probeWebGPU();
const hasAdapter = probe.available || probe.info !== undefined;
const ci = Deno.env.get("CI") === "true";
if (!hasAdapter) {
  console.warn(`webgpu tests: no adapter (${probe.reason})${ci ? " — failing under CI=true" : ""}`);
}

const CONFIG: TinyTransformerConfig = {
  vocabSize: 12,
  contextLength: 16,
  dModel: 32,
  nLayers: 2,
  nHeads: 2,
  seed: 5,
};
const LR = 1e-3;

/** What one backend computes on the fixed model and batch. */
interface Computed {
  logProbs: Float32Array;
  loss: number;
  /** Per variable, in `model.variables` order (names differ between model instances). */
  grads: Float32Array[];
  weights: Float32Array[];
  lossAfter: number;
  sample: { responses: number[][]; logProbs: number[][] };
}

const TOKENS = Array.from(
  { length: 6 },
  (_, i) => Array.from({ length: 16 }, (_, t) => 1 + ((i * 7 + t * 5) % 11)),
);
const PROMPTS = [[1, 2, 3], [4, 5], [6, 7, 8, 9], [10]];

async function compute(backend: "cpu" | "webgpu"): Promise<Computed> {
  await useBackend(backend, { allowFallbackAdapter: true });
  assert.equal(tf.getBackend(), backend);
  const model = new TinyTransformer(CONFIG);
  const tokens = tf.tensor2d(TOKENS, [TOKENS.length, 16], "int32");
  const lossFn = () => tf.neg(tf.mean(model.tokenLogProbs(tokens).logProbs)) as tf.Scalar;
  const lp = model.tokenLogProbs(tokens);
  const logProbs = await lp.logProbs.data() as Float32Array;
  tf.dispose([lp.logProbs, lp.entropy]);
  const { value, grads } = tf.variableGrads(lossFn, model.variables);
  const g: Float32Array[] = [];
  for (const v of model.variables) g.push(await grads[v.name].data() as Float32Array);
  const adam = new Adam(model.variables, { lr: LR });
  adam.apply(model.variables.map((v) => grads[v.name]));
  const w: Float32Array[] = [];
  for (const v of model.variables) w.push(await v.data() as Float32Array);
  const after = lossFn();
  const out: Computed = {
    logProbs,
    loss: (await value.data())[0],
    grads: g,
    weights: w,
    lossAfter: (await after.data())[0],
    sample: await model.sample(PROMPTS, { maxTokens: 8, seed: 3 }),
  };
  tf.dispose([value, after, tokens, ...Object.values(grads)]);
  adam.dispose();
  model.dispose();
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

Deno.test({
  name:
    "webgpu: forward, gradients, Adam step and KV-cache sampling match the cpu backend (software adapter in CI)",
  ignore: !hasAdapter && !ci,
  fn: async () => {
    assert.ok(hasAdapter, `CI=true but no WebGPU adapter: ${probe.reason} (install mesa-vulkan-drivers)`);
    console.log(`webgpu adapter: ${probe.info?.description} (fallback: ${probe.info?.isFallbackAdapter})`);
    const cpu = await compute("cpu");
    const gpu = await compute("webgpu");
    assert.ok(
      maxAbsDiff(gpu.logProbs, cpu.logProbs) <= 2e-4,
      `log-probs ${maxAbsDiff(gpu.logProbs, cpu.logProbs)}`,
    );
    assert.ok(Math.abs(gpu.loss - cpu.loss) <= 2e-5, `loss ${gpu.loss} vs ${cpu.loss}`);
    let gmax = 0;
    for (const g of cpu.grads) for (const x of g) gmax = Math.max(gmax, Math.abs(x));
    assert.ok(gmax > 1e-3, "the gradient is not trivially zero");
    for (let name = 0; name < cpu.grads.length; name++) {
      const d = maxAbsDiff(gpu.grads[name], cpu.grads[name]);
      assert.ok(d <= 1e-3 * gmax, `grad ${name}: ${d} > ${1e-3 * gmax}`);
      // Adam's first step moves each weight by ≈ lr·sign(g); compare where the sign is not decided by rounding.
      const c = cpu.grads[name];
      for (let i = 0; i < c.length; i++) {
        if (Math.abs(c[i]) < 1e-2 * gmax) continue;
        const dw = Math.abs(gpu.weights[name][i] - cpu.weights[name][i]);
        assert.ok(
          dw <= 1e-5,
          `weight ${name}[${i}] after Adam: ${gpu.weights[name][i]} vs ${cpu.weights[name][i]}`,
        );
      }
    }
    assert.ok(cpu.lossAfter < cpu.loss, "the Adam step lowers the loss");
    assert.ok(
      Math.abs(gpu.lossAfter - cpu.lossAfter) <= 1e-4,
      `loss after ${gpu.lossAfter} vs ${cpu.lossAfter}`,
    );
    assert.deepEqual(gpu.sample.responses, cpu.sample.responses, "same seed, same sampled tokens");
    assert.ok(new Set(cpu.sample.responses.flat()).size >= 3, "the sample is not degenerate");
    for (let i = 0; i < PROMPTS.length; i++) {
      const d = maxAbsDiff(gpu.sample.logProbs[i], cpu.sample.logProbs[i]);
      assert.ok(d <= 2e-4, `row ${i} sampled log-probs ${d}`);
    }
    await useBackend("cpu", { allowFallbackAdapter: false }); // the setting outlives the call: reset it
  },
});

Deno.test({
  name: "webgpu: a smoke reproduction runs end to end on --backend webgpu (bench/smoke.ts, KAE's LM tier)",
  ignore: !hasAdapter && !ci,
  fn: async () => {
    assert.ok(hasAdapter, `CI=true but no WebGPU adapter: ${probe.reason} (install mesa-vulkan-drivers)`);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../bench/smoke.ts", import.meta.url).pathname, "--backend", "webgpu"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, text);
    assert.match(text, /^backend: webgpu /m);
    assert.match(text, /kae smoke on webgpu: [1-9]\d* rows/);
  },
});
