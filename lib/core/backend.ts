/**
 * Backend selection: `useBackend("auto" | "cpu" | "wasm" | "webgpu" | "tensorflow")` activates a tfjs
 * backend and returns a report saying what was chosen and why.
 *
 * - `wasm` loads its .wasm binaries from the installed npm package (file paths, never the network), and by
 *   default runs BatchMatMul and leading-axis Sum in OpenBLAS through Deno FFI when `libopenblas.so.0`
 *   opens (lib/core/blas.ts: the "openblas" kernel set, core type pinned; `{kernels: "wasm"}` keeps the
 *   pure-wasm kernels; `{blasThreads: n}` lets one run use n cores); the report says which (`kernelSet`).
 * - `webgpu` uses a small shim over tfjs-backend-webgpu 4.22 for Deno (tensorflow/tfjs#8518): the stock
 *   factory pushes `["bgra8unorm-storage"]` (an array, not a name) into `requiredFeatures`, which Deno
 *   rejects, and reads adapter info after device creation. The shim reads `adapter.info` first, requests
 *   only feature names the adapter lists, and refuses fallback (software) adapters unless asked.
 * - `tensorflow` is the optional native backend from `@tensorflow/tfjs-node-gpu` / `-node` when importable
 *   (their install script downloads libtensorflow, so they are never a dependency).
 * - `auto` prefers tensorflow, then a real (non-fallback) WebGPU adapter, then wasm, then cpu. It never picks
 *   a fallback adapter such as Mesa llvmpipe, on which tfjs webgpu runs ~10x slower than cpu.
 */
import { tf } from "./tf.ts";
import { ConfigError } from "./validate.ts";
import { registerWasmHostKernels } from "./fastops.ts";
import {
  disableNativeKernels,
  enableNativeKernels,
  ensureRuntimeDir,
  type KernelSet,
  kernelSet,
  type KernelSetName,
  type NativeKernelsReport,
  selectedKernels,
  selectKernels,
  setBlasThreads,
} from "./blas.ts";
export type { NativeKernelsReport } from "./blas.ts";
import { createRequire } from "node:module";
import { dirname } from "node:path";

/** Backend names accepted by `useBackend`. */
export const BACKENDS = ["auto", "cpu", "wasm", "webgpu", "tensorflow"] as const;
/** A backend name accepted by `useBackend`. */
export type BackendName = typeof BACKENDS[number];

/** What `useBackend` chose and why, plus backend-specific details. */
export interface BackendReport {
  /** Requested name. */
  requested: BackendName;
  /** Active tfjs backend after the call. */
  backend: Exclude<BackendName, "auto">;
  /** Human-readable reason for the choice (for `auto`, why earlier candidates were skipped). */
  reason: string;
  /** wasm: SIMD and multithreading as detected by tfjs, and whether OpenBLAS kernels are active (and why). */
  wasm?: {
    simd: boolean;
    threads: boolean;
    numThreads: number;
    binaryDir: string;
    nativeBlas: NativeKernelsReport;
    /** The kernel set in effect (openblas or wasm, OpenBLAS version, core type, threads). */
    kernelSet: KernelSet;
  };
  /** webgpu: adapter description. */
  webgpu?: {
    vendor: string;
    architecture: string;
    device: string;
    description: string;
    isFallbackAdapter: boolean;
  };
  /** Candidates `auto` tried, each with the reason it was skipped or chosen. */
  candidates?: { backend: string; available: boolean; reason: string }[];
}

/** Error thrown when a named backend cannot be used here; `reason` says why. */
export class BackendUnavailableError extends Error {
  /** Why the backend is unavailable. */
  readonly reason: string;
  /** Build "<backend> backend unavailable: <reason>". */
  constructor(readonly backend: string, reason: string) {
    super(`${backend} backend unavailable: ${reason}`);
    this.name = "BackendUnavailableError";
    this.reason = reason;
  }
}

/** Whether a backend candidate is available, and why not. */
export interface Probe {
  /** True when the backend can be used here. */
  available: boolean;
  /** Why it can or cannot. */
  reason: string;
}

const require = createRequire(import.meta.url);

/** Directory of the installed tfjs-backend-wasm `dist/` (where the .wasm binaries live). */
export function wasmBinaryDir(): string {
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/";
}

let wasmRegistered = false;
async function registerWasm(): Promise<Probe> {
  if (wasmRegistered) return { available: true, reason: "registered" };
  try {
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    wasm.setWasmPaths(wasmBinaryDir());
    registerWasmHostKernels();
    wasmRegistered = true;
    return { available: true, reason: "tfjs-backend-wasm loaded from node_modules" };
  } catch (e) {
    return { available: false, reason: `cannot load @tensorflow/tfjs-backend-wasm: ${(e as Error).message}` };
  }
}

// deno-lint-ignore no-explicit-any
type AnyGpu = any;

/** Adapter info for the default WebGPU adapter, or the reason there is none. */
export async function probeWebGPU(): Promise<Probe & { info?: BackendReport["webgpu"] }> {
  const gpu: AnyGpu = (globalThis.navigator as AnyGpu)?.gpu;
  if (!gpu) return { available: false, reason: "navigator.gpu is absent (run Deno with WebGPU enabled)" };
  let adapter: AnyGpu;
  ensureRuntimeDir();
  try {
    adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return { available: false, reason: `requestAdapter failed: ${(e as Error).message}` };
  }
  if (!adapter) {
    return { available: false, reason: "navigator.gpu.requestAdapter() returned null (no GPU adapter)" };
  }
  const i = adapter.info ?? {};
  const info = {
    vendor: String(i.vendor ?? ""),
    architecture: String(i.architecture ?? ""),
    device: String(i.device ?? ""),
    description: String(i.description ?? ""),
    isFallbackAdapter: Boolean(i.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false),
  };
  if (info.isFallbackAdapter) {
    return {
      available: false,
      info,
      reason: `only a fallback (software) adapter is present: ${info.description || "unknown"}; ` +
        `tfjs webgpu on it is ~10x slower than cpu`,
    };
  }
  return { available: true, info, reason: `GPU adapter: ${info.description || info.vendor}` };
}

let webgpuRegistered = false;
async function registerWebGPU(allowFallback: boolean): Promise<Probe & { info?: BackendReport["webgpu"] }> {
  const probe = await probeWebGPU();
  if (!probe.available && !(allowFallback && probe.info)) return probe;
  if (!webgpuRegistered) {
    const mod = await import("@tensorflow/tfjs-backend-webgpu");
    // Replace the stock factory (tfjs#8518) with the Deno-compatible one.
    if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
    tf.registerBackend("webgpu", async () => {
      const gpu: AnyGpu = (globalThis.navigator as AnyGpu).gpu;
      const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
      const info = adapter.info; // read before requestDevice (Deno)
      const wanted = ["timestamp-query", "bgra8unorm-storage"];
      const requiredFeatures = wanted.filter((f) => adapter.features.has(f));
      const l = adapter.limits;
      const device = await adapter.requestDevice({
        requiredFeatures,
        requiredLimits: {
          maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
          maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
          maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
          maxBufferSize: l.maxBufferSize,
          maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
          maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
        },
      });
      return new mod.WebGPUBackend(device, info);
    }, 0);
    webgpuRegistered = true;
  }
  return { ...probe, available: true };
}

let tensorflowModule: unknown = null;
async function registerTensorflow(): Promise<Probe> {
  if (tensorflowModule) return { available: true, reason: "registered" };
  const errors: string[] = [];
  for (const name of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      tensorflowModule = await import(name);
      return { available: true, reason: `${name} is installed (native libtensorflow)` };
    } catch (e) {
      errors.push(`${name}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return {
    available: false,
    reason: "neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is importable " +
      "(optional; their install script downloads libtensorflow, pinned to CUDA 11.2). " + errors.join("; "),
  };
}

async function activate(name: Exclude<BackendName, "auto">): Promise<void> {
  const ok = await tf.setBackend(name);
  if (!ok) {
    throw new BackendUnavailableError(name, "tf.setBackend returned false (backend failed to initialize)");
  }
  await tf.ready();
}

async function wasmDetails(): Promise<BackendReport["wasm"]> {
  let native: NativeKernelsReport;
  if (selectedKernels() === "openblas") native = enableNativeKernels();
  else {
    disableNativeKernels();
    native = { active: false, library: "", reason: 'kernel set "wasm" selected', threads: 1 };
  }
  const ks = kernelSet();
  if (ks.notice && !noticeShown) {
    // The fast kernels were asked for (the default) but cannot open: say so once, with the fix.
    noticeShown = true;
    console.warn(`sweetspot: ${ks.notice}`);
  }
  const simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
  const threads = Boolean(await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
  return {
    simd,
    threads,
    numThreads: threads ? navigator.hardwareConcurrency : 1,
    binaryDir: wasmBinaryDir(),
    nativeBlas: native,
    kernelSet: ks,
  };
}

let noticeShown = false;

let fallbackAllowed = false;

/** Options for `useBackend`. */
export interface UseBackendOptions {
  /**
   * Allow a fallback (software) WebGPU adapter, e.g. Mesa lavapipe, when `webgpu` is requested explicitly
   * (default: unchanged, false at start; it stays in effect for later calls, so code that re-selects the
   * backend by name keeps working). `auto` never picks one.
   */
  allowFallbackAdapter?: boolean;
  /**
   * wasm: the kernel set, "openblas" (BatchMatMul and leading-axis Sum in OpenBLAS via Deno FFI when
   * libopenblas.so.0 opens; needs --allow-ffi) or "wasm" (tfjs's pure-wasm kernels). Default: the one
   * selected before (`selectKernels`, or `SWEETSPOT_KERNELS` in the environment), else "openblas". It stays
   * selected for later calls and for worker processes started from here.
   */
  kernels?: KernelSetName;
  /**
   * OpenBLAS threads for this process (default: unchanged, 1 at start): a number > 1 lets one run use that
   * many cores; numbers are identical run to run for a given count.
   */
  blasThreads?: number;
}

/**
 * Activate a tfjs backend by name and report the choice. `auto` picks tensorflow > webgpu (real adapter
 * only) > wasm > cpu. Unknown names throw a `ConfigError` listing the valid ones; an explicitly requested
 * backend that cannot run here throws `BackendUnavailableError` with the reason.
 */
export async function useBackend(
  name: BackendName = "auto",
  options: UseBackendOptions = {},
): Promise<BackendReport> {
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new ConfigError(
      "backend",
      `must be one of ${BACKENDS.map((b) => JSON.stringify(b)).join(", ")}`,
      name,
    );
  }
  if (options.allowFallbackAdapter !== undefined) fallbackAllowed = options.allowFallbackAdapter;
  const allowFallback = fallbackAllowed;
  if (options.kernels !== undefined) selectKernels(options.kernels);
  if (options.blasThreads !== undefined) setBlasThreads(options.blasThreads);
  if (name === "cpu") {
    await activate("cpu");
    return { requested: name, backend: "cpu", reason: "requested explicitly" };
  }
  if (name === "wasm") {
    const p = await registerWasm();
    if (!p.available) throw new BackendUnavailableError("wasm", p.reason);
    await activate("wasm");
    return {
      requested: name,
      backend: "wasm",
      reason: "requested explicitly",
      wasm: await wasmDetails(),
    };
  }
  if (name === "webgpu") {
    const p = await registerWebGPU(allowFallback);
    if (!p.available) {
      throw new BackendUnavailableError(
        "webgpu",
        p.reason + (p.info ? " (pass {allowFallbackAdapter: true} to use it anyway)" : ""),
      );
    }
    await activate("webgpu");
    return { requested: name, backend: "webgpu", reason: "requested explicitly", webgpu: p.info };
  }
  if (name === "tensorflow") {
    const p = await registerTensorflow();
    if (!p.available) throw new BackendUnavailableError("tensorflow", p.reason);
    await activate("tensorflow");
    return { requested: name, backend: "tensorflow", reason: "requested explicitly" };
  }
  // auto
  const candidates: NonNullable<BackendReport["candidates"]> = [];
  const tfp = await registerTensorflow();
  candidates.push({ backend: "tensorflow", ...tfp });
  if (tfp.available) {
    await activate("tensorflow");
    return { requested: name, backend: "tensorflow", reason: tfp.reason, candidates };
  }
  const gp = await probeWebGPU();
  candidates.push({ backend: "webgpu", available: gp.available, reason: gp.reason });
  if (gp.available) {
    await registerWebGPU(false);
    await activate("webgpu");
    return { requested: name, backend: "webgpu", reason: gp.reason, webgpu: gp.info, candidates };
  }
  const wp = await registerWasm();
  candidates.push({ backend: "wasm", ...wp });
  if (wp.available) {
    await activate("wasm");
    return {
      requested: name,
      backend: "wasm",
      reason: "no native tensorflow and no hardware WebGPU adapter; wasm (SIMD) is the fast CPU path",
      wasm: await wasmDetails(),
      candidates,
    };
  }
  candidates.push({ backend: "cpu", available: true, reason: "always available" });
  await activate("cpu");
  return { requested: name, backend: "cpu", reason: "no other backend available", candidates };
}
