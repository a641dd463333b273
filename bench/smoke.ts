/**
 * A smoke reproduction on one backend, end to end: `deno run -A bench/smoke.ts [--backend NAME]
 * [--reproduction kae] [--kernels openblas|wasm]` runs the reproduction at its smoke preset with 1 seed through
 * the same runner as `deno task reproduce`, and prints its claims and the backend and kernel set it ran on.
 * On `webgpu` it runs the LM tier (the TinyTransformer through the library trainer), which is what the GPU
 * path is for: the exact tier's host-side policies (tabular, linear-softmax) read tensors synchronously, which
 * tfjs-backend-webgpu cannot do under Deno. A software adapter (Mesa lavapipe) is accepted, so CI and the
 * offline bundle can run it without a GPU. Exits non-zero when the run fails or a row holds a non-finite
 * number.
 */
import { parseArgs } from "node:util";
import {
  assertOneOf,
  type BackendName,
  BACKENDS,
  describeKernelSet,
  KERNEL_SETS,
  kernelSet,
  type KernelSetName,
  runReproduction,
  useBackend,
} from "../mod.ts";
import { getReproduction } from "../reproductions/registry.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "webgpu" },
    reproduction: { type: "string", default: "kae" },
    kernels: { type: "string" },
  },
  strict: true,
});
assertOneOf("--backend", values.backend!, BACKENDS);
if (values.kernels !== undefined) assertOneOf("--kernels", values.kernels, KERNEL_SETS);
const backend = values.backend as BackendName;
const report = await useBackend(backend, {
  allowFallbackAdapter: true,
  kernels: values.kernels as KernelSetName | undefined,
});
console.log(
  `backend: ${report.backend} (${report.webgpu?.description ?? report.reason})` +
    (report.backend === "wasm" ? `; kernels: ${describeKernelSet(kernelSet())}` : ""),
);
const rep = getReproduction(values.reproduction!);
const t0 = performance.now();
const log = await runReproduction(rep, {
  preset: "smoke",
  seeds: 1,
  backend,
  progress: false,
  config: backend === "webgpu" ? { tiers: ["lm"] } : undefined,
});
const bad = log.rows.flatMap((r) => Object.entries(r)).filter(([, v]) =>
  typeof v === "number" && !Number.isFinite(v)
);
console.log(
  `${rep.name} smoke on ${backend}: ${log.rows.length} rows in ${
    ((performance.now() - t0) / 1000).toFixed(1)
  } s` +
    (bad.length ? `; non-finite: ${bad.slice(0, 5).map(([k]) => k).join(", ")}` : ""),
);
if (log.rows.length === 0 || bad.length) Deno.exit(1);
