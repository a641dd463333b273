/**
 * Model throughput of the quick-preset TinyTransformer on the ACTIVE tfjs backend:
 * - rollout tokens/s: `sample` with the KV cache (batch prompts of 8 tokens, 16 new tokens each, no eos),
 * - train-step ms: forward + backward (`tf.variableGrads`) + the library's Adam (lib/train/adam.ts, as the
 *   trainer runs it) on next-token cross-entropy over batch × 24 tokens,
 * - achieved train-step GFLOP/s = 3 · flopsPerToken(24) · batch · 24 / time, where flopsPerToken counts the
 *   forward weight matmuls (2 FLOPs per multiply-add) plus QKᵀ and A·V over the full context (see
 *   TinyTransformer.flopsPerToken) and the backward pass is taken as 2× the forward (the usual 3× rule).
 * Standalone: `deno run -A bench/model.ts [cpu,wasm,...] [--stock]` prints JSON per backend
 * (`--stock` also times the train step with tfjs's stock BatchMatMul gradient).
 */
import process from "node:process";
import { tf } from "../lib/core/tf.ts";
import { Rng } from "../lib/core/rng.ts";
import { type BackendName, useBackend } from "../lib/core/backend.ts";
import { registerFastGradients, useStockGradients } from "../lib/core/fastops.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { Adam } from "../lib/train/adam.ts";

/** The quick-preset model the benchmark measures. */
export const QUICK_PRESET = { vocabSize: 18, contextLength: 24, dModel: 64, nLayers: 2, nHeads: 4, seed: 0 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Process CPU ms (user + system) since `from` (a `process.cpuUsage()` reading). */
function cpuMs(from: { user: number; system: number }): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
}

/** Process CPU ms per step of the last `trainStepTimes` call (less sensitive to other load than wall time). */
let lastCpuMs: number[] = [];

/** Wall ms of each Adam step (after 2 warm-up steps) on next-token cross-entropy. */
async function trainStepTimes(model: TinyTransformer, tokens: tf.Tensor2D, steps: number): Promise<number[]> {
  const adam = new Adam(model.variables, { lr: 1e-3 });
  const loss = () => tf.neg(tf.mean(model.tokenLogProbs(tokens).logProbs)) as tf.Scalar;
  const cpu: number[] = [];
  const step = async () => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const { value, grads } = tf.variableGrads(loss, model.variables);
    adam.apply(model.variables.map((v) => grads[v.name]));
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
    cpu.push(cpuMs(c0));
    return performance.now() - t0;
  };
  await step();
  await step();
  cpu.length = 0;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) times.push(await step());
  adam.dispose();
  lastCpuMs = cpu;
  return times;
}

/**
 * Benchmark the quick-preset model (vocab 18, context 24, d 64, 2 layers, 4 heads) on the active backend.
 * Returns rolloutTokensPerSec, trainStepMs (medians, with min/max over the repeats; also the process CPU ms
 * per step and per rollout, which other load on the machine disturbs less), trainStepGflops
 * (3 × forward FLOPs × tokens / time), and the settings; with `stockGradient` also trainStepMsStockGrad
 * (tfjs's own BatchMatMul gradient).
 */
export async function benchModel(
  opts: { batch?: number; steps?: number; stockGradient?: boolean } = {},
): Promise<Record<string, number>> {
  const batch = opts.batch ?? 64;
  const steps = opts.steps ?? 5;
  const T = QUICK_PRESET.contextLength;
  const promptLen = 8;
  const newTokens = T - promptLen;
  const rng = new Rng(1);
  const model = new TinyTransformer(QUICK_PRESET);
  const V = QUICK_PRESET.vocabSize;

  const prompts = Array.from(
    { length: batch },
    () => Array.from({ length: promptLen }, () => 1 + rng.int(V - 1)),
  );
  await model.sample(prompts.slice(0, 2), { maxTokens: 2, seed: 0 }); // warm-up (kernel setup)
  const rollTimes: number[] = [];
  const rollCpu: number[] = [];
  for (let i = 0; i < Math.max(1, Math.ceil(steps / 2)); i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await model.sample(prompts, { maxTokens: newTokens, seed: i });
    rollTimes.push(performance.now() - t0);
    rollCpu.push(cpuMs(c0));
  }
  const rollMs = median(rollTimes);
  const tps = (ms: number) => (batch * newTokens) / (ms / 1000);

  const seqs = Array.from({ length: batch }, () => Array.from({ length: T }, () => 1 + rng.int(V - 1)));
  const tokens = tf.tensor2d(seqs, [batch, T], "int32");
  registerFastGradients();
  const times = await trainStepTimes(model, tokens, steps);
  const ms = median(times);
  const out: Record<string, number> = {
    batch,
    seqLen: T,
    params: model.numParams(),
    forwardFlopsPerToken: model.flopsPerToken(T),
    rolloutTokensPerSec: tps(rollMs),
    rolloutTokensPerSecMin: tps(Math.max(...rollTimes)),
    rolloutTokensPerSecMax: tps(Math.min(...rollTimes)),
    rolloutMs: rollMs,
    trainStepMs: ms,
    trainStepMsMin: Math.min(...times),
    trainStepMsMax: Math.max(...times),
    trainStepCpuMs: median(lastCpuMs),
    rolloutCpuMs: median(rollCpu),
    trainStepGflops: (3 * model.flopsPerToken(T) * batch * T) / (ms * 1e6),
  };
  if (opts.stockGradient) {
    useStockGradients();
    try {
      out.trainStepMsStockGrad = median(await trainStepTimes(model, tokens, steps));
    } finally {
      registerFastGradients();
    }
  }
  tokens.dispose();
  model.dispose();
  return out;
}

if (import.meta.main) {
  const names = (Deno.args.find((a) => !a.startsWith("--")) ?? "cpu,wasm").split(",") as BackendName[];
  const stock = Deno.args.includes("--stock");
  for (const name of names) {
    await useBackend(name, { allowFallbackAdapter: true });
    console.log(
      JSON.stringify({ backend: tf.getBackend(), ...(await benchModel({ stockGradient: stock })) }),
    );
  }
}
