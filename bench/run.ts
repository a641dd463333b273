/**
 * `deno task bench`: writes bench/results.json with
 * - matmul GFLOP/s (n = 64, 256, 1024) on every backend available here,
 * - the same sizes measured with numpy in the same run (the machine's BLAS is the reference), and ratios,
 * - model throughput (rollout tokens/s, train-step ms, achieved GFLOP/s) from bench/model.ts per backend
 *   (wasm twice: with the OpenBLAS kernels of lib/core/blas.ts when they load, and pure wasm),
 * - the same model in PyTorch CPU (bench/torch_reference.py, 1 thread), measured right before each
 *   backend's model numbers in the same run when Debian's /usr/bin/python3 imports torch, with ratios:
 *   train step ours/torch time, rollout ours/torch tokens/s (wall time, and process CPU time).
 * Options: --out PATH, --sizes 64,256,1024, --backends cpu,wasm (default: all available), --skip-model,
 * --steps N (timed train steps per model measurement, default 9).
 */
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { probeWebGPU, useBackend } from "../lib/core/backend.ts";
import type { BackendName } from "../lib/core/backend.ts";
import { tf } from "../lib/core/tf.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: "bench/results.json" },
    sizes: { type: "string", default: "64,256,1024" },
    backends: { type: "string" },
    "skip-model": { type: "boolean", default: false },
    steps: { type: "string", default: "9" },
  },
  strict: true,
});
const sizes = values.sizes!.split(",").map(Number);
const steps = Number(values.steps);

/** Median of an array. */
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Matmul GFLOP/s (2n³ flops) on the active backend: median over repeats lasting ≥ ~0.3 s after warm-up. */
async function matmulGflops(n: number): Promise<{ gflops: number; msPerOp: number; reps: number }> {
  const a = tf.randomNormal([n, n], 0, 1, "float32", 1);
  const b = tf.randomNormal([n, n], 0, 1, "float32", 2);
  const once = async () => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
    return performance.now() - t0;
  };
  await once();
  const first = await once();
  const reps = Math.max(3, Math.min(200, Math.ceil(300 / Math.max(first, 0.01))));
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  a.dispose();
  b.dispose();
  const ms = median(times);
  return { gflops: (2 * n ** 3) / (ms * 1e6), msPerOp: ms, reps };
}

/** numpy float32 matmul GFLOP/s in a subprocess, or null with the reason. */
function numpyGflops(): { python: string; numpy: string; gflops: Record<string, number> } | {
  error: string;
} {
  const script = `
import json, sys, time, numpy as np
out = {}
for n in ${JSON.stringify(sizes)}:
    a = np.random.default_rng(1).standard_normal((n, n), dtype=np.float32)
    b = np.random.default_rng(2).standard_normal((n, n), dtype=np.float32)
    a @ b
    t = time.perf_counter(); a @ b; first = time.perf_counter() - t
    reps = max(3, min(200, int(0.3 / max(first, 1e-5)) + 1))
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
    ts.sort()
    out[str(n)] = 2 * n**3 / ts[len(ts)//2] / 1e9
print(json.dumps({"python": sys.version.split()[0], "numpy": np.__version__, "gflops": out}))
`;
  for (const py of ["python3", "/usr/bin/python3"]) {
    try {
      return JSON.parse(
        execFileSync(py, ["-c", script], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }),
      );
    } catch { /* try next */ }
  }
  return { error: "no python3 with numpy found (python3 -c 'import numpy' failed); ratios omitted" };
}

/** Python used for the PyTorch reference (Debian's, where python3-torch installs). */
const TORCH_PYTHON = "/usr/bin/python3";

/** The PyTorch reference model measurement (bench/torch_reference.py), or the reason it is skipped. */
function torchReference(): Record<string, number | string> | { error: string } {
  try {
    execFileSync(TORCH_PYTHON, ["-c", "import torch"], { stdio: "ignore" });
  } catch {
    return { error: `${TORCH_PYTHON} cannot import torch (Debian package python3-torch); reference skipped` };
  }
  const script = new URL("./torch_reference.py", import.meta.url).pathname;
  try {
    return JSON.parse(
      execFileSync(TORCH_PYTHON, [script, JSON.stringify({ batch: 64, steps })], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
  } catch (e) {
    return { error: `bench/torch_reference.py failed: ${(e as Error).message.split("\n")[0]}` };
  }
}

/**
 * Ratios of our model numbers to the PyTorch reference: train step ours/torch wall ms (and process CPU ms),
 * rollout ours/torch tokens/s (and torch/ours rollout CPU ms, so > 1 is better for us in both).
 */
function torchRatios(m: Record<string, number>, t: Record<string, unknown>) {
  if (!("trainStepMs" in t)) return null;
  return {
    trainStepTimeRatio: m.trainStepMs / (t.trainStepMs as number),
    rolloutTokensPerSecRatio: m.rolloutTokensPerSec / (t.rolloutTokensPerSec as number),
    trainStepCpuTimeRatio: m.trainStepCpuMs / (t.trainStepCpuMs as number),
    rolloutCpuSpeedRatio: (t.rolloutCpuMs as number) / m.rolloutCpuMs,
  };
}

const probe = await probeWebGPU();
const candidates: Exclude<BackendName, "auto">[] = values.backends
  ? values.backends.split(",") as Exclude<BackendName, "auto">[]
  : ["cpu", "wasm", ...(probe.available ? ["webgpu" as const] : []), "tensorflow"];

const numpy = numpyGflops();
const results: Record<string, unknown> = {};
const skipped: Record<string, string> = {};
if (!probe.available) skipped.webgpu = probe.reason;
let benchModel: ((o?: { batch?: number; steps?: number }) => Promise<Record<string, number>>) | null = null;
/** Every PyTorch measurement of this run (one right before each backend's model measurement). */
const torch: ReturnType<typeof torchReference>[] = [];
if (!values["skip-model"]) {
  try {
    benchModel = (await import("./model.ts")).benchModel;
  } catch (e) {
    skipped.model = `bench/model.ts not loadable: ${(e as Error).message.split("\n")[0]}`;
  }
}

/**
 * Model benchmark on the active backend with the PyTorch ratios; PyTorch is measured right before it, so
 * both see the same machine load (the development machine is shared).
 */
async function modelResult(name: string): Promise<unknown> {
  if (!benchModel) return undefined;
  const t = torchReference();
  torch.push(t);
  console.error(`torch reference (before ${name}): ${JSON.stringify(t)}`);
  const m = await benchModel({ steps });
  const ref = "gflops" in numpy ? numpy.gflops["256"] : undefined;
  const model = {
    ...m,
    ratioToNumpy256: ref && m.trainStepGflops ? m.trainStepGflops / ref : null,
    torch: t,
    vsTorch: "error" in t ? null : torchRatios(m, t),
  };
  console.error(`${name} model: ${JSON.stringify(model)}`);
  return model;
}

/** Matmul GFLOP/s for each size on the active backend, with the ratio to numpy. */
async function matmulResults(name: string): Promise<Record<string, unknown>> {
  const mm: Record<string, unknown> = {};
  for (const n of sizes) {
    // the pure-JS cpu backend takes ~4 s per 1024² matmul: measure it once rather than skip it
    const r = await matmulGflops(n);
    const ref = "gflops" in numpy ? numpy.gflops[String(n)] : undefined;
    mm[String(n)] = { ...r, ratioToNumpy: ref ? r.gflops / ref : null };
    console.error(
      `${name} matmul ${n}: ${r.gflops.toFixed(2)} GFLOP/s${
        ref ? ` (${(r.gflops / ref).toFixed(3)}× numpy)` : ""
      }`,
    );
  }
  return mm;
}

for (const name of candidates) {
  try {
    const report = await useBackend(name);
    const mm = await matmulResults(name);
    const model = await modelResult(name);
    results[name] = { report, matmul: mm, model };
    if (name === "wasm" && report.wasm?.nativeBlas.active) {
      // the same backend without the OpenBLAS kernels (pure wasm), for the same-run comparison
      const pure = await useBackend("wasm", { kernels: "wasm" });
      results["wasm-pure"] = {
        report: pure,
        matmul: await matmulResults("wasm-pure"),
        model: await modelResult("wasm-pure"),
      };
      await useBackend("wasm", { kernels: "openblas" });
    }
  } catch (e) {
    skipped[name] = (e as Error).message;
    console.error(`${name}: skipped — ${(e as Error).message}`);
  }
}

const out = {
  date: new Date().toISOString(),
  machine: {
    cores: navigator.hardwareConcurrency,
    cpu: (() => {
      try {
        return Deno.readTextFileSync("/proc/cpuinfo").match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown";
      } catch {
        return "unknown";
      }
    })(),
    deno: Deno.version.deno,
    os: Deno.build.os,
  },
  numpy,
  torch,
  backends: results,
  skipped,
};
await Deno.mkdir(values.out!.replace(/\/[^/]*$/, ""), { recursive: true });
await Deno.writeTextFile(values.out!, JSON.stringify(out, null, 2) + "\n");
console.log(`wrote ${values.out}`);
