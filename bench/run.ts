/**
 * `deno task bench`: the TinyTransformer at the three sizes of bench/model.ts (`BENCH_SIZES`: d 64 / 2 blocks,
 * batch 64 × 24 tokens; d 128 / 4 blocks, 32 × 48; d 256 / 4 blocks, 16 × 64) against a PyTorch twin
 * (bench/torch_reference.py, Debian's /usr/bin/python3 with python3-torch) held to one core
 * (OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1, torch.set_num_threads(1)), measured in the same run and
 * interleaved round by round (alternating which side goes first), so both see the same machine load:
 * - train step: Adam step ms, ratio ours / PyTorch (≤ 1: ours is as fast or faster);
 * - rollout: KV-cache sampling tokens/s, ratio ours / PyTorch (≥ 1: ours is as fast or faster);
 * - PyTorch's process CPU share (CPU time / wall time; ≈ 1 when it is held to one core on an idle machine,
 *   > 1 when it is not held to one core, < 1 when other processes take the core) and ours, and both ratios
 *   in process CPU time as well;
 * - at d 256, one run on every core: ours at 1 BLAS thread vs `navigator.hardwareConcurrency` threads
 *   (`useBackend({blasThreads})`), interleaved, as a speed-up.
 * Writes bench/results.json with the ratios, the kernel set (lib/core/blas.ts `kernelSet()`) and the machine
 * (CPU model from /proc/cpuinfo), and prints a table. Options: --out PATH, --rounds N (default 3), --steps N
 * (timed train steps per round, default 4), --rollouts N (per round, default 2), --sizes d64-2,d128-4,d256-4,
 * --backend NAME (default wasm), --kernels openblas|wasm, --no-torch, --no-threads.
 */
import { parseArgs } from "node:util";
import { type BackendName, useBackend } from "../lib/core/backend.ts";
import {
  cpuInfo,
  describeKernelSet,
  KERNEL_SETS,
  kernelSet,
  type KernelSetName,
  setBlasThreads,
} from "../lib/core/blas.ts";
import { assertOneOf, ConfigError } from "../lib/core/validate.ts";
import { BENCH_SIZES, median, ModelBench, type ModelSize, type Timings } from "./model.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    out: { type: "string", default: "bench/results.json" },
    rounds: { type: "string", default: "3" },
    steps: { type: "string", default: "4" },
    rollouts: { type: "string", default: "2" },
    sizes: { type: "string", default: BENCH_SIZES.map((s) => s.name).join(",") },
    backend: { type: "string", default: "wasm" },
    kernels: { type: "string" },
    "no-torch": { type: "boolean", default: false },
    "no-threads": { type: "boolean", default: false },
  },
  strict: true,
});

function count(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(flag, "must be an integer ≥ 1", v);
  return n;
}
const rounds = count("--rounds", values.rounds!);
const steps = count("--steps", values.steps!);
const rollouts = count("--rollouts", values.rollouts!);
const sizes = values.sizes!.split(",").map((name) => {
  const s = BENCH_SIZES.find((b) => b.name === name);
  if (!s) {
    throw new ConfigError(
      "--sizes",
      `must list names from ${BENCH_SIZES.map((b) => b.name).join(", ")}`,
      name,
    );
  }
  return s;
});
if (values.kernels !== undefined) assertOneOf("--kernels", values.kernels, KERNEL_SETS);

const backend = await useBackend(values.backend as BackendName, {
  kernels: values.kernels as KernelSetName | undefined,
  allowFallbackAdapter: true,
});
const kernels = kernelSet();
console.error(`backend ${backend.backend}; kernels: ${describeKernelSet(kernels)}`);

/** Debian's Python, where python3-torch installs. */
const TORCH_PYTHON = "/usr/bin/python3";

/** The PyTorch reference as a long-lived subprocess answering one JSON line per request. */
class TorchReference {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReader<string>;
  #buffer = "";
  /** The environment variables that hold it to one core (and the OpenBLAS core type it was given). */
  readonly env: Record<string, string>;

  constructor() {
    const env = Deno.env.toObject();
    // lib/core/blas.ts pins OPENBLAS_CORETYPE for our kernels; PyTorch gets the machine's own choice.
    if (kernels.coreTypePin.startsWith("pinned")) delete env.OPENBLAS_CORETYPE;
    this.env = { OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    if (env.OPENBLAS_CORETYPE) this.env.OPENBLAS_CORETYPE = env.OPENBLAS_CORETYPE;
    this.#child = new Deno.Command(TORCH_PYTHON, {
      args: [new URL("./torch_reference.py", import.meta.url).pathname],
      env: { ...env, ...this.env },
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.#child.stdin.getWriter();
    this.#reader = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** Send one request, await its answer. */
  async ask(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(req) + "\n"));
    while (!this.#buffer.includes("\n")) {
      const { value, done } = await this.#reader.read();
      if (done) throw new Error(`bench/torch_reference.py exited while answering ${JSON.stringify(req)}`);
      this.#buffer += value;
    }
    const i = this.#buffer.indexOf("\n");
    const line = this.#buffer.slice(0, i);
    this.#buffer = this.#buffer.slice(i + 1);
    const ans = JSON.parse(line);
    if (ans.error) throw new Error(`bench/torch_reference.py: ${ans.error}`);
    return ans;
  }

  /** Ask it to quit and wait for it. */
  async close(): Promise<void> {
    await this.ask({ cmd: "quit" }).catch(() => {});
    await this.#writer.close().catch(() => {});
    await this.#child.status;
  }
}

/** Whether the PyTorch reference can run here, and why not. */
async function torchAvailable(): Promise<string | null> {
  try {
    const out = await new Deno.Command(TORCH_PYTHON, { args: ["-c", "import torch"], stderr: "null" })
      .output();
    return out.success ? null : `${TORCH_PYTHON} cannot import torch (Debian package python3-torch)`;
  } catch (e) {
    return `cannot run ${TORCH_PYTHON}: ${(e as Error).message}`;
  }
}

/** Concatenate per-round timings. */
function concat(ts: Timings[]): Timings {
  return { ms: ts.flatMap((t) => t.ms), cpuMs: ts.flatMap((t) => t.cpuMs) };
}
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** Summary of a timing series: median wall ms, median CPU ms, CPU share (Σ CPU / Σ wall). */
function summary(t: Timings) {
  return {
    medianMs: median(t.ms),
    medianCpuMs: median(t.cpuMs),
    cpuShare: sum(t.cpuMs) / sum(t.ms),
    ms: t.ms,
  };
}

/** One size: ours and PyTorch interleaved round by round. */
async function measureSize(size: ModelSize, torch: TorchReference | null) {
  const ours = new ModelBench(size);
  const setup = torch ? await torch.ask({ cmd: "setup", size }) : null;
  const o = { step: [] as Timings[], roll: [] as Timings[] };
  const t = { step: [] as Timings[], roll: [] as Timings[] };
  for (let r = 0; r < rounds; r++) {
    const pair = [
      async () => {
        o.step.push(await ours.trainSteps(steps));
        o.roll.push(await ours.rollouts(rollouts));
      },
      async () => {
        if (!torch) return;
        t.step.push(await torch.ask({ cmd: "train", steps, warmup: 1 }) as unknown as Timings);
        t.roll.push(await torch.ask({ cmd: "rollout", n: rollouts }) as unknown as Timings);
      },
    ];
    if (r % 2) pair.reverse();
    for (const f of pair) await f();
  }
  const tokens = ours.rolloutTokens;
  const tps = (ms: number) => tokens / (ms / 1000);
  const os = summary(concat(o.step)), orr = summary(concat(o.roll));
  const params = ours.params;
  ours.dispose();
  const ts = torch ? summary(concat(t.step)) : null, tr = torch ? summary(concat(t.roll)) : null;
  return {
    size,
    params,
    ours: { trainStep: os, rollout: { ...orr, tokensPerSec: tps(orr.medianMs) } },
    torch: ts && tr && setup
      ? { params: setup.params as number, trainStep: ts, rollout: { ...tr, tokensPerSec: tps(tr.medianMs) } }
      : null,
    paramsMatch: setup ? setup.params === params : null,
    /** trainStep: ours / PyTorch ms (≤ 1 is as fast); rollout: ours / PyTorch tokens/s (≥ 1 is as fast). */
    ratios: ts && tr
      ? {
        trainStep: os.medianMs / ts.medianMs,
        rollout: tr.medianMs / orr.medianMs,
        trainStepPerRound: o.step.map((x, i) => median(x.ms) / median(t.step[i].ms)),
        rolloutPerRound: o.roll.map((x, i) => median(t.roll[i].ms) / median(x.ms)),
        /** The same ratios in process CPU time (steadier than wall time when other work shares the cores). */
        trainStepCpu: os.medianCpuMs / ts.medianCpuMs,
        rolloutCpu: tr.medianCpuMs / orr.medianCpuMs,
      }
      : null,
  };
}

/** d 256: ours at 1 BLAS thread vs every core, interleaved; the speed-up of the train step and rollout. */
async function measureThreads(size: ModelSize) {
  const cores = navigator.hardwareConcurrency;
  const ours = new ModelBench(size);
  const one = { step: [] as Timings[], roll: [] as Timings[] };
  const all = { step: [] as Timings[], roll: [] as Timings[] };
  for (let r = 0; r < rounds; r++) {
    const pair: [number, typeof one][] = [[1, one], [cores, all]];
    if (r % 2) pair.reverse();
    for (const [n, into] of pair) {
      setBlasThreads(n);
      into.step.push(await ours.trainSteps(steps));
      into.roll.push(await ours.rollouts(rollouts));
    }
  }
  setBlasThreads(1);
  ours.dispose();
  const s1 = summary(concat(one.step)), sN = summary(concat(all.step));
  const r1 = summary(concat(one.roll)), rN = summary(concat(all.roll));
  return {
    size: size.name,
    threads: cores,
    trainStep: { oneThread: s1, allCores: sN, speedUp: s1.medianMs / sN.medianMs },
    rollout: { oneThread: r1, allCores: rN, speedUp: r1.medianMs / rN.medianMs },
  };
}

const skipped: Record<string, string> = {};
const torchReason = values["no-torch"] ? "--no-torch" : await torchAvailable();
if (torchReason) skipped.torch = torchReason;
const torch = torchReason ? null : new TorchReference();
const results = [];
for (const size of sizes) {
  console.error(`measuring ${size.name} …`);
  const r = await measureSize(size, torch);
  console.error(JSON.stringify({ size: size.name, ratios: r.ratios ?? null }));
  results.push(r);
}
await torch?.close();

let threads = null;
const big = BENCH_SIZES.find((s) => s.name === "d256-4")!;
if (values["no-threads"]) skipped.threads = "--no-threads";
else if (backend.backend !== "wasm" || kernels.kernels !== "openblas") {
  skipped.threads = "BLAS threads need the wasm backend with the openblas kernel set";
} else if (navigator.hardwareConcurrency < 2) skipped.threads = "one core";
else {
  console.error(`measuring ${big.name} at 1 vs ${navigator.hardwareConcurrency} BLAS threads …`);
  threads = await measureThreads(big);
}

/** The CPU model and the flags that decide OpenBLAS's kernels. */
function machine() {
  const { model, flags } = cpuInfo();
  return {
    cpu: model ?? "unknown",
    cores: navigator.hardwareConcurrency,
    flags: ["avx2", "fma", "avx512f"].filter((x) => flags?.has(x)),
    deno: Deno.version.deno,
    os: Deno.build.os,
  };
}

const out = {
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.backend,
  kernelSet: kernels,
  kernelSetText: describeKernelSet(kernels),
  torch: torch ? { python: TORCH_PYTHON, env: torch.env } : null,
  settings: { rounds, steps, rollouts },
  sizes: results,
  blasThreads: threads,
  skipped,
};
await Deno.mkdir(values.out!.replace(/\/[^/]*$/, "") || ".", { recursive: true });
await Deno.writeTextFile(values.out!, JSON.stringify(out, null, 2) + "\n");

const f = (x: number, d = 1) => x.toFixed(d);
const lines = [
  `# Benchmark: TinyTransformer vs PyTorch held to one core`,
  "",
  `Rendered by \`deno task bench\` from ${values.out!.split("/").pop()} (${out.date}); ` +
  `${out.machine.cpu}, ${out.machine.cores} cores; backend ${out.backend}; kernels: ${out.kernelSetText}. ` +
  "Ratios are ours / PyTorch measured in the same run, interleaved by round: train step time (≤ 1: ours as fast " +
  "or faster) and rollout tokens/s (≥ 1: ours as fast or faster), from wall time and, in parentheses, from " +
  "process CPU time. PyTorch's CPU share is its process CPU time over wall time (above 100% it was not held to " +
  "one core; well below 100% other work shared the core, and the wall-time ratios are unreliable).",
  "",
  "| size | params | step ms ours / PyTorch | step ratio (CPU) | rollout tok/s ours / PyTorch | rollout ratio (CPU) | PyTorch CPU share |",
  "| --- | --- | --- | --- | --- | --- | --- |",
];
for (const r of results) {
  const o = r.ours, t = r.torch;
  lines.push(
    `| ${r.size.name} | ${r.params} | ${f(o.trainStep.medianMs)} / ${t ? f(t.trainStep.medianMs) : "–"} | ${
      r.ratios ? `${f(r.ratios.trainStep, 2)} (${f(r.ratios.trainStepCpu, 2)})` : "–"
    } | ${f(o.rollout.tokensPerSec, 0)} / ${t ? f(t.rollout.tokensPerSec, 0) : "–"} | ${
      r.ratios ? `${f(r.ratios.rollout, 2)} (${f(r.ratios.rolloutCpu, 2)})` : "–"
    } | ${t ? `${f(100 * t.trainStep.cpuShare, 0)}%` : "–"} |`,
  );
}
if (threads) {
  lines.push(
    "",
    `One run on every core: ${threads.size} at ${threads.threads} BLAS threads, train step ` +
      `${f(threads.trainStep.speedUp, 2)}× the one-thread speed (${
        f(threads.trainStep.oneThread.medianMs)
      } → ` +
      `${f(threads.trainStep.allCores.medianMs)} ms), rollout ${f(threads.rollout.speedUp, 2)}×.`,
  );
}
const skips = Object.entries(skipped).map(([k, v]) => `${k}: ${v}`);
if (skips.length) lines.push("", `Skipped: ${skips.join("; ")}.`);
const markdown = lines.join("\n") + "\n";
const mdPath = values.out!.replace(/\.json$/, "") + ".md";
await Deno.writeTextFile(mdPath, markdown);
console.log(markdown);
console.log(`wrote ${values.out} and ${mdPath}`);
