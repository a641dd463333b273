/**
 * RLVRTrainer step time on FeatureChain + LinearSoftmaxPolicy (the filtering quick batch: 16 problems × 8
 * rollouts, d = 8, K = 4, L ∈ [1, 8]) on each requested tfjs backend, as JSON: median ms of a full trainer step
 * (sample, verify, GRPO advantages, loss, backward, Adam) and, as the reference measured in the same run, median ms of
 * sampling the same batch alone (host work only); `ratioToSampling` = step / sampling.
 * Standalone: `deno run -A bench/feature_chain.ts [cpu,wasm]`.
 */
import { type BackendName, useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { buildFeatureChain } from "../lib/policies/linear_softmax.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";

const SETUP = {
  dim: 8,
  options: 4,
  minLength: 1,
  maxLength: 8,
  initSignal: 1,
  initNoise: 0.5,
  trainProblems: 1024,
  heldoutProblems: 256,
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median ms of a trainer step and of sampling the same batch, after 5 warm-up steps. */
export async function benchFeatureChain(steps = 40): Promise<Record<string, number>> {
  const { task, trainOptions, policy } = buildFeatureChain(SETUP, 1);
  const trainer = new RLVRTrainer({
    task,
    policy,
    sampleOptions: trainOptions,
    config: {
      seed: 1,
      batchSize: 16,
      groupSize: 8,
      lr: 0.05,
      aggregation: "seq-mean-token-sum-norm",
      maxGradNorm: null,
    },
  });
  for (let i = 0; i < 5; i++) await trainer.trainStep();
  const stepMs: number[] = [], sampleMs: number[] = [];
  const rng = new Rng(2);
  for (let i = 0; i < steps; i++) {
    let t0 = performance.now();
    await trainer.trainStep();
    stepMs.push(performance.now() - t0);
    const prompts = Array.from({ length: 128 }, () => task.sample(rng, trainOptions).prompt);
    t0 = performance.now();
    await policy.sample(prompts, { maxTokens: 16, seed: i });
    sampleMs.push(performance.now() - t0);
  }
  trainer.dispose();
  policy.dispose();
  const step = median(stepMs), sample = median(sampleMs);
  return { trainerStepMs: step, samplingMs: sample, ratioToSampling: step / sample };
}

if (import.meta.main) {
  const backends = (Deno.args[0] ?? "cpu,wasm").split(",") as BackendName[];
  const out: Record<string, unknown> = {};
  for (const b of backends) {
    await useBackend(b);
    out[b] = await benchFeatureChain();
  }
  console.log(JSON.stringify({ bench: "feature-chain-trainer-step", batch: "16x8", results: out }, null, 2));
}
