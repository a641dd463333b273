/**
 * A short training run printed as JSON, for the kernel-set tests (run as a subprocess so each run starts
 * from a fresh process): `deno run -A tests/kernels_run.ts [--kernels openblas|wasm] [--threads N]
 * [--sft N] [--rl N] [--matmul] [--child-env]`. Prints { kernelSet, sftLosses, rlRows } (SFT then GRPO on
 * 1–2 digit addition, d 64, 2 blocks), or with --matmul a hash of the bits of one 96×160·160×128 matmul on the
 * wasm backend; --child-env adds the OpenBLAS/kernel variables a child process (started as lib/jobs starts
 * its workers, with an `env` of its own) sees.
 */
import { parseArgs } from "node:util";
import { tf } from "../lib/core/tf.ts";
import { useBackend } from "../lib/core/backend.ts";
import { kernelSet, type KernelSetName } from "../lib/core/blas.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { AdditionTask } from "../lib/tasks/mod.ts";
import { RLVRTrainer, sft } from "../lib/train/mod.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    kernels: { type: "string" },
    threads: { type: "string" },
    sft: { type: "string", default: "6" },
    rl: { type: "string", default: "3" },
    matmul: { type: "boolean", default: false },
    "child-env": { type: "boolean", default: false },
  },
});
await useBackend("wasm", {
  kernels: values.kernels as KernelSetName | undefined,
  blasThreads: values.threads === undefined ? undefined : Number(values.threads),
});
if (values.matmul) {
  const a = tf.tensor2d(Float32Array.from({ length: 96 * 160 }, (_, i) => Math.sin(0.37 * i)), [96, 160]);
  const b = tf.tensor2d(Float32Array.from({ length: 160 * 128 }, (_, i) => Math.cos(0.11 * i)), [160, 128]);
  const c = new Uint32Array((await tf.matMul(a, b).data() as Float32Array).buffer);
  let h = 0;
  for (const x of c) h = (Math.imul(h, 31) + x) >>> 0;
  let childEnv: Record<string, string> | undefined;
  if (values["child-env"]) {
    const out = await new Deno.Command("/usr/bin/env", { env: { RUST_BACKTRACE: "0" } }).output();
    childEnv = Object.fromEntries(
      new TextDecoder().decode(out.stdout).split("\n").filter((l) =>
        /^(OPENBLAS_CORETYPE|SWEETSPOT_KERNELS)=/.test(l)
      )
        .map((l) => l.split("=", 2) as [string, string]),
    );
  }
  console.log(JSON.stringify({ kernelSet: kernelSet(), matmulHash: h.toString(16), childEnv }));
} else {
  const task = new AdditionTask({ minDigits: 1, maxDigits: 2 });
  const policy = new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: 64,
    nLayers: 2,
    nHeads: 4,
    seed: 3,
  });
  const s = await sft(policy, task, { steps: Number(values.sft), batchSize: 64, lr: 3e-3, seed: 5 });
  const trainer = new RLVRTrainer({
    policy,
    task,
    config: { seed: 7, batchSize: 16, groupSize: 8, lr: 1e-3 },
  });
  await trainer.train(Number(values.rl));
  const rlRows = trainer.runLog.rows.map((r) => [r.loss, r.entropy, r.kl, r.reward]);
  console.log(JSON.stringify({ kernelSet: kernelSet(), sftLosses: s.losses, rlRows }));
  trainer.dispose();
  policy.dispose();
}
