/**
 * Native kernels for the tfjs `wasm` backend through OpenBLAS and Deno FFI (`Deno.dlopen`).
 *
 * The wasm backend keeps tensors in its own linear memory; these kernels hand the addresses of those
 * buffers to OpenBLAS (one thread by default, `setBlasThreads(n)` for more; a seed gives bit-identical
 * results run to run for a given thread count) and write the outputs in place:
 * - `BatchMatMul` via `cblas_sgemm`, one call per batch matrix, with `transposeA/B` passed as BLAS flags
 *   (free in BLAS, unlike the stock wasm kernel, where they cost ~10×), and `_FusedMatMul` (matmul + bias
 *   row, linear activation: `tf.fused.matMul`) as sgemm with β = 1 onto C pre-filled with the bias;
 * - `Sum` over leading axes (bias and LayerNorm-gain gradients) via `cblas_sgemv` with a ones vector
 *   (the stock kernel transposes the input first), other reductions fall through to the stock kernel.
 * WebAssembly SIMD is 128-bit and single-threaded here, so a wasm matmul reaches ~15% of an AVX2 BLAS on
 * the same core; this is the numpy/PyTorch route. `enableNativeKernels()` registers the kernels (called
 * by `useBackend` for wasm when libopenblas loads), `disableNativeKernels()` restores the stock ones.
 *
 * Kernel sets: `"openblas"` (these kernels) or `"wasm"` (tfjs's pure-wasm kernels) — the two round matmul
 * sums differently, so they give different numbers for the same seed. OpenBLAS built with DYNAMIC_ARCH
 * picks its kernels per CPU (Haswell, Zen, SkylakeX, Cooperlake, …), and those differ in rounding too; before
 * the library is opened, `OPENBLAS_CORETYPE` is pinned to `PINNED_CORE_TYPE` (AVX2 + FMA kernels: Intel
 * since 2013, AMD since 2015) unless the user set it, so a kernel set gives the same numbers on any such CPU;
 * on a CPU without AVX2/FMA (or not x86-64) the pin is skipped and `kernelSet().coreTypePin` says so. The environment is read and written through libc (`getenv`/`setenv` over FFI, so only
 * `--allow-ffi` is needed) and is inherited by worker processes. `kernelSet()` describes what is in effect.
 */
import { tf } from "./tf.ts";
import { ConfigError } from "./validate.ts";

/** Library file opened by `Deno.dlopen` (Debian package `libopenblas0`). */
export const OPENBLAS_LIBRARY = "libopenblas.so.0";

/** Whether the native kernels are active and, if not, why. */
export interface NativeKernelsReport {
  /** true when the wasm backend's BatchMatMul and Sum run through OpenBLAS. */
  active: boolean;
  /** Library name (OPENBLAS_LIBRARY) and its OpenBLAS config string when loaded. */
  library: string;
  /** Why the kernels are active or not (missing library, no FFI permission, disabled by option). */
  reason: string;
  /** BLAS threads (`setBlasThreads`; deterministic for a given count). */
  threads: number;
}

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "usize",
      "i32",
      "usize",
      "i32",
      "f32",
      "usize",
      "i32",
    ],
    result: "void",
  },
  cblas_sgemv: {
    parameters: ["i32", "i32", "i32", "i32", "f32", "usize", "i32", "buffer", "i32", "f32", "usize", "i32"],
    result: "void",
  },
  sgemm_host: {
    name: "cblas_sgemm",
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
  openblas_set_num_threads: { parameters: ["i32"], result: "void" },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_get_config: { parameters: [], result: "pointer" },
  openblas_get_corename: { parameters: [], result: "pointer" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
/** The FFI calls with addresses as plain numbers (Deno accepts numbers for `usize`; the types say bigint). */
type Call = (...args: (number | Float32Array)[]) => void;

const ROW_MAJOR = 101;
const NO_TRANS = 111;
const TRANS = 112;

let lib: Lib | null = null;
let loadError = "";
let config = "";
let active = false;
// deno-lint-ignore no-explicit-any
type KernelConfig = any;
const stock = new Map<string, KernelConfig>();
let ones = new Float32Array(0);

/** The kernel sets of the wasm backend: OpenBLAS through FFI, or tfjs's pure-wasm kernels. */
export const KERNEL_SETS = ["openblas", "wasm"] as const;
/** A kernel set name (`KERNEL_SETS`). */
export type KernelSetName = typeof KERNEL_SETS[number];
/** Environment variable carrying the selected kernel set to worker processes (read when none is selected). */
export const KERNELS_ENV = "SWEETSPOT_KERNELS";
/** OpenBLAS core type pinned by default (`OPENBLAS_CORETYPE`): its AVX2 + FMA kernels. */
export const PINNED_CORE_TYPE = "Haswell";
/** The command that installs the OpenBLAS kernels (Debian / Ubuntu). */
export const OPENBLAS_INSTALL = "apt-get install libopenblas0";

const libcSymbols = {
  getenv: { parameters: ["buffer"], result: "pointer" },
  setenv: { parameters: ["buffer", "buffer", "i32"], result: "i32" },
  open: { parameters: ["buffer", "i32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
} as const;
let libc: Deno.DynamicLibrary<typeof libcSymbols>["symbols"] | null | undefined;
const cString = (s: string) => new TextEncoder().encode(s + "\0");

/** libc's getenv/setenv (the process environment OpenBLAS and child processes see), or null off Linux/FFI. */
function libcEnv() {
  if (libc !== undefined) return libc;
  try {
    libc = Deno.build.os === "linux" ? Deno.dlopen("libc.so.6", libcSymbols).symbols : null;
  } catch {
    libc = null;
  }
  return libc;
}

/** getenv(name) through libc; undefined when unset or libc is not reachable. */
function getEnv(name: string): string | undefined {
  const c = libcEnv();
  const p = c?.getenv(cString(name));
  return p ? new Deno.UnsafePointerView(p).getCString() : undefined;
}

/**
 * Give the Vulkan loader an XDG_RUNTIME_DIR (/tmp) when the environment has none: Mesa's drivers otherwise print
 * "XDG_RUNTIME_DIR is invalid or not set" on every adapter probe, a line nobody can act on. Set through libc.
 */
export function ensureRuntimeDir(): void {
  if (getEnv("XDG_RUNTIME_DIR") === undefined) setEnv("XDG_RUNTIME_DIR", "/tmp");
}

/** setenv(name, value, overwrite = 1) through libc; false when libc is not reachable. */
function setEnv(name: string, value: string): boolean {
  const c = libcEnv();
  return c ? c.setenv(cString(name), cString(value), 1) === 0 : false;
}

let selected: KernelSetName | null = null;
let threads = 1;
let coreTypePin = "";
let coreName = "";

/**
 * Select the kernel set for this process and for the worker processes it starts (`SWEETSPOT_KERNELS` in the
 * environment). `useBackend("wasm")` applies it; throws a ConfigError naming the allowed sets otherwise.
 */
export function selectKernels(kernels: KernelSetName): void {
  if (!(KERNEL_SETS as readonly string[]).includes(kernels)) {
    throw new ConfigError(
      "kernels",
      `must be one of ${KERNEL_SETS.map((k) => `"${k}"`).join(", ")}`,
      kernels,
    );
  }
  selected = kernels;
  setEnv(KERNELS_ENV, kernels);
}

/** The selected kernel set: `selectKernels`, else `SWEETSPOT_KERNELS` from the environment, else "openblas". */
export function selectedKernels(): KernelSetName {
  if (selected) return selected;
  const env = getEnv(KERNELS_ENV);
  if (env === undefined || env === "") return "openblas";
  if (!(KERNEL_SETS as readonly string[]).includes(env)) {
    throw new ConfigError(KERNELS_ENV, `must be one of ${KERNEL_SETS.map((k) => `"${k}"`).join(", ")}`, env);
  }
  return env as KernelSetName;
}

/** A /proc file's text through libc open/read (Deno asks for --allow-all to read /proc/cpuinfo); null if not. */
function readProcFile(path: string): string | null {
  const c = libcEnv();
  if (!c) return null;
  const fd = c.open(cString(path), 0);
  if (fd < 0) return null;
  const chunks: Uint8Array[] = [];
  try {
    for (;;) {
      const buf = new Uint8Array(65536);
      const n = Number(c.read(fd, buf, 65536n));
      if (n <= 0) break;
      chunks.push(buf.subarray(0, n));
    }
  } finally {
    c.close(fd);
  }
  const all = new Uint8Array(chunks.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const ch of chunks) {
    all.set(ch, at);
    at += ch.length;
  }
  return new TextDecoder().decode(all);
}

/** The CPU model name and flags (/proc/cpuinfo, first processor); null fields when it cannot be read. */
export function cpuInfo(): { model: string | null; flags: Set<string> | null } {
  const info = readProcFile("/proc/cpuinfo");
  if (!info) return { model: null, flags: null };
  const flags = info.match(/^flags\s*:\s*(.*)$/m);
  return {
    model: info.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? null,
    flags: flags ? new Set(flags[1].split(/\s+/)) : null,
  };
}

/** Pin OPENBLAS_CORETYPE before the library is opened (unless the user set it); says what was done. */
function pinCoreType(): string {
  const user = getEnv("OPENBLAS_CORETYPE");
  if (user) return `OPENBLAS_CORETYPE=${user} from the environment`;
  if (Deno.build.arch !== "x86_64") {
    return `not pinned: OpenBLAS picks its ${Deno.build.arch} kernels for this CPU`;
  }
  const flags = cpuInfo().flags;
  if (!flags) return "not pinned: /proc/cpuinfo unreadable (OpenBLAS picks its kernels for this CPU)";
  if (!flags.has("avx2") || !flags.has("fma")) {
    return "not pinned: this CPU lacks AVX2/FMA, so OpenBLAS picks older kernels (numbers differ from AVX2 machines)";
  }
  if (!setEnv("OPENBLAS_CORETYPE", PINNED_CORE_TYPE)) {
    return "not pinned: libc setenv unreachable (OpenBLAS picks its kernels for this CPU)";
  }
  return `pinned OPENBLAS_CORETYPE=${PINNED_CORE_TYPE}`;
}

const cstr = (p: Deno.PointerValue) => (p ? new Deno.UnsafePointerView(p).getCString() : "");

/** Open libopenblas once (core type pinned, `threads` BLAS threads); null with `loadError` set when it cannot. */
function load(): Lib | null {
  if (lib || loadError) return lib;
  try {
    coreTypePin = pinCoreType();
    const dl = Deno.dlopen(OPENBLAS_LIBRARY, SYMBOLS);
    dl.symbols.openblas_set_num_threads(threads);
    config = cstr(dl.symbols.openblas_get_config());
    coreName = cstr(dl.symbols.openblas_get_corename());
    if (coreTypePin.startsWith("pinned") && coreName.toLowerCase() !== PINNED_CORE_TYPE.toLowerCase()) {
      coreTypePin = `pin did not take effect (the library was opened before the pin): ${coreName}`;
    }
    lib = dl.symbols;
  } catch (e) {
    loadError = (e as Error).message.split("\n")[0];
  }
  return lib;
}

/**
 * Set the OpenBLAS thread count for this process (`openblas_set_num_threads`; 1 by default): n > 1 lets one
 * run use n cores. Numbers are identical run to run for a given n, but differ between thread counts.
 */
export function setBlasThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new ConfigError("blasThreads", "must be an integer from 1 to 256 (cores to use)", n);
  }
  threads = n;
  if (lib) {
    lib.openblas_set_num_threads(n);
    threads = lib.openblas_get_num_threads();
  }
}

/** The OpenBLAS thread count in effect (1 by default; the library's own count once loaded). */
export function blasThreads(): number {
  return lib ? lib.openblas_get_num_threads() : threads;
}

/** The kernel set in effect: what was selected, what runs, OpenBLAS's version and core type, threads. */
export interface KernelSet {
  /** The selected set (`selectKernels`, `SWEETSPOT_KERNELS` or the default "openblas"). */
  selected: KernelSetName;
  /** The set that runs the wasm backend's matmuls: "wasm" when OpenBLAS was selected but cannot be opened. */
  kernels: KernelSetName;
  /** OpenBLAS version and build (`openblas_get_config()`), or null when not loaded. */
  openblas: string | null;
  /** OpenBLAS core type (`openblas_get_corename()`), or null when not loaded. */
  coreType: string | null;
  /** How the core type was chosen (pinned, from the environment, or why it is not pinned). */
  coreTypePin: string;
  /** OpenBLAS threads (1 unless `setBlasThreads`). */
  blasThreads: number;
  /** One line with the fix when OpenBLAS was selected but cannot be opened; null otherwise. */
  notice: string | null;
}

/** Describe the kernel set in effect (opens OpenBLAS when it is selected). */
export function kernelSet(): KernelSet {
  const sel = selectedKernels();
  const loaded = sel === "openblas" && load() !== null;
  return {
    selected: sel,
    kernels: loaded ? "openblas" : "wasm",
    openblas: loaded ? config : null,
    coreType: loaded ? coreName : null,
    coreTypePin: loaded ? coreTypePin : "",
    blasThreads: blasThreads(),
    notice: sel === "openblas" && !loaded
      ? `OpenBLAS kernels unavailable (${loadError}); running the slower pure-wasm kernels, whose numbers ` +
        `differ — install them with \`${OPENBLAS_INSTALL}\` (and pass --allow-ffi)`
      : null,
  };
}

/** One line naming a kernel set, e.g. "openblas (OpenBLAS 0.3.21 …, core Haswell: pinned …, 1 thread)". */
export function describeKernelSet(k: KernelSet = kernelSet()): string {
  if (k.kernels === "wasm") return `wasm (tfjs pure-wasm kernels)${k.notice ? `; ${k.notice}` : ""}`;
  const t = `${k.blasThreads} BLAS thread${k.blasThreads === 1 ? "" : "s"}`;
  return `openblas (${k.openblas}; core ${k.coreType}, ${k.coreTypePin}; ${t})`;
}

/** Whether OpenBLAS can be opened here; `reason` says why not (library absent, no --allow-ffi). */
export function nativeBlasAvailable(): { available: boolean; reason: string } {
  return load()
    ? { available: true, reason: `${OPENBLAS_LIBRARY} loaded (${config})` }
    : { available: false, reason: `cannot open ${OPENBLAS_LIBRARY}: ${loadError}` };
}

/**
 * C ← A·B + β·C on host Float32Arrays (row-major; A is M×K, B is K×N, C is M×N) by cblas_sgemm.
 * Requires `nativeBlasAvailable()`.
 */
export function sgemm(
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  beta: number,
  C: Float32Array,
) {
  if (!load()) throw new Error(`cannot open ${OPENBLAS_LIBRARY}: ${loadError}`);
  lib!.sgemm_host(ROW_MAJOR, NO_TRANS, NO_TRANS, M, N, K, 1, A, K, B, N, beta, C, N);
}

/** A zeroed Float32Array of n elements on its own ArrayBuffer (never a movable on-heap array): pass these to `sgemmStrided`. */
export function hostBuffer(n: number): Float32Array {
  return new Float32Array(new ArrayBuffer(Math.max(n, 16) * 4), 0, n);
}

const addresses = new WeakMap<Float32Array, number>();
/** Byte address of a Float32Array's first element (cached per array; `Deno.UnsafePointer.of` costs ~1 µs). */
function addressOf(x: Float32Array): number {
  let p = addresses.get(x);
  if (p === undefined) {
    p = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(x)));
    addresses.set(x, p);
  }
  return p;
}

/**
 * C ← α·op(A)·op(B) + β·C by row-major cblas_sgemm on host Float32Arrays, each matrix given by an element
 * offset and a leading dimension (strided views: heads of a fused qkv buffer, rows of a batch), op(X) = Xᵀ
 * when its flag is set. Requires `nativeBlasAvailable()`; the arrays must stay attached during the call.
 */
export function sgemmStrided(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  offA: number,
  lda: number,
  B: Float32Array,
  offB: number,
  ldb: number,
  beta: number,
  C: Float32Array,
  offC: number,
  ldc: number,
): void {
  if (!load()) throw new Error(`cannot open ${OPENBLAS_LIBRARY}: ${loadError}`);
  (lib!.cblas_sgemm as unknown as Call)(
    ROW_MAJOR,
    transA ? TRANS : NO_TRANS,
    transB ? TRANS : NO_TRANS,
    M,
    N,
    K,
    alpha,
    addressOf(A) + 4 * offA,
    lda,
    addressOf(B) + 4 * offB,
    ldb,
    beta,
    addressOf(C) + 4 * offC,
    ldc,
  );
}

/**
 * y[j] ← Σ_r A[r, j] over the R rows of a row-major R × N matrix (column sums: bias gradients) by
 * cblas_sgemv with Aᵀ and a ones vector, streaming A once. Requires `nativeBlasAvailable()`.
 */
export function columnSums(R: number, N: number, A: Float32Array, y: Float32Array): void {
  if (!load()) throw new Error(`cannot open ${OPENBLAS_LIBRARY}: ${loadError}`);
  if (ones.length < R) ones = new Float32Array(R).fill(1);
  (lib!.cblas_sgemv as unknown as Call)(
    ROW_MAJOR,
    TRANS,
    R,
    N,
    1,
    addressOf(A),
    N,
    ones,
    1,
    0,
    addressOf(y),
    1,
  );
}

/** Whether the OpenBLAS kernels are registered for the wasm backend. */
export function nativeKernelsActive(): boolean {
  return active;
}

// deno-lint-ignore no-explicit-any
type WasmBackend = any;
// deno-lint-ignore no-explicit-any
type Info = any;

/** Byte address of a tensor's data in this process (wasm heap base + the tensor's offset). */
function heapBase(backend: WasmBackend): number {
  return Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(backend.wasm.HEAPU8)));
}
function offsetOf(backend: WasmBackend, t: Info): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}
function size(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * C = op(A)·op(B) (+ bias row) per batch matrix (batch dims equal, or one side's batch size 1), by
 * cblas_sgemm; the fused form writes the bias into C and calls sgemm with β = 1.
 */
function gemm(kernel: string, args: { inputs: Info; backend: WasmBackend; attrs: Info }): Info {
  const { inputs: { a, b, bias, preluActivationWeights }, backend, attrs } = args;
  const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
  const ra = a.shape.length, rb = b.shape.length;
  const outerA: number[] = a.shape.slice(0, -2), outerB: number[] = b.shape.slice(0, -2);
  const batchA = size(outerA), batchB = size(outerB);
  const N0 = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (
    a.dtype !== "float32" || b.dtype !== "float32" || (batchA !== batchB && batchA !== 1 && batchB !== 1) ||
    (attrs.activation !== undefined && attrs.activation !== "linear") || preluActivationWeights ||
    (bias && (bias.dtype !== "float32" || size(bias.shape) !== N0))
  ) {
    return stock.get(kernel).kernelFunc(args);
  }
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const kb = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== kb) {
    throw new Error(
      `Error in matMul: inner shapes (${K}) and (${kb}) of Tensors with shapes ${a.shape} and ${b.shape} ` +
        `and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  const out = backend.makeOutput([...outer, M, N], "float32");
  const batch = Math.max(batchA, batchB);
  if (batch * M * N === 0) return out;
  if (bias) {
    const c = backend.typedArrayFromHeap(out), row = backend.typedArrayFromHeap(bias);
    for (let r = 0; r < batch * M; r++) c.set(row, r * N);
  }
  if (K === 0) { // an empty inner dimension: C = 0 (+ bias)
    if (!bias) backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const beta = bias ? 1 : 0;
  const base = heapBase(backend); // after makeOutput: the heap may have grown (moved)
  const pa = base + offsetOf(backend, a),
    pb = base + offsetOf(backend, b),
    pc = base + offsetOf(backend, out);
  const sa = batchA === 1 ? 0 : M * K * 4, sb = batchB === 1 ? 0 : K * N * 4, sc = M * N * 4;
  const ta = transposeA ? TRANS : NO_TRANS, tb = transposeB ? TRANS : NO_TRANS;
  const lda = transposeA ? M : K, ldb = transposeB ? K : N;
  const sgemm = lib!.cblas_sgemm as unknown as Call;
  for (let i = 0; i < batch; i++) {
    sgemm(ROW_MAJOR, ta, tb, M, N, K, 1, pa + i * sa, lda, pb + i * sb, ldb, beta, pc + i * sc, N);
  }
  return out;
}

/** Σ over the leading axes of a float32 tensor (out[j] = Σ_i x[i, j]) by cblas_sgemv; else stock Sum. */
function sum(args: { inputs: { x: Info }; backend: WasmBackend; attrs: Info }): Info {
  const { inputs: { x }, backend, attrs } = args;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((p: number, q: number) => p - q);
  const leading = axes.length > 0 && axes.length < rank && axes.every((ax: number, i: number) => ax === i);
  if (x.dtype !== "float32" || !leading) return stock.get("Sum").kernelFunc(args);
  const R = size(x.shape.slice(0, axes.length)), C = size(x.shape.slice(axes.length));
  const keep = x.shape.map((d: number, i: number) => (i < axes.length ? 1 : d));
  const out = backend.makeOutput(attrs.keepDims ? keep : x.shape.slice(axes.length), "float32");
  if (R * C === 0) {
    if (C > 0) backend.typedArrayFromHeap(out).fill(0);
    return out;
  }
  if (ones.length < R) ones = new Float32Array(R).fill(1);
  const base = heapBase(backend);
  (lib!.cblas_sgemv as unknown as Call)(
    ROW_MAJOR,
    TRANS,
    R,
    C,
    1,
    base + offsetOf(backend, x),
    C,
    ones,
    1,
    0,
    base + offsetOf(backend, out),
    1,
  );
  return out;
}

const KERNELS: Record<string, (args: never) => Info> = {
  BatchMatMul: (args: never) => gemm("BatchMatMul", args),
  _FusedMatMul: (args: never) => gemm("_FusedMatMul", args),
  Sum: sum,
};

/**
 * Register the OpenBLAS `BatchMatMul`, `_FusedMatMul` and `Sum` kernels for the wasm backend (idempotent). Returns a report;
 * when libopenblas cannot be opened, nothing changes and `reason` says why (the stock wasm kernels stay).
 */
export function enableNativeKernels(): NativeKernelsReport {
  const avail = nativeBlasAvailable();
  if (!avail.available) {
    return { active: false, library: OPENBLAS_LIBRARY, reason: avail.reason, threads: blasThreads() };
  }
  if (!active) {
    for (const [name, kernelFunc] of Object.entries(KERNELS)) {
      const s = tf.getKernel(name, "wasm");
      if (!s) continue;
      stock.set(name, s);
      tf.unregisterKernel(name, "wasm");
      tf.registerKernel({ kernelName: name, backendName: "wasm", kernelFunc: kernelFunc as never });
    }
    active = true;
  }
  return {
    active: true,
    library: `${OPENBLAS_LIBRARY} (${config})`,
    reason: "BatchMatMul and fused matmul + bias (cblas_sgemm), leading-axis Sum (cblas_sgemv): OpenBLAS " +
      `core ${coreName}, ${blasThreads()} thread(s)`,
    threads: blasThreads(),
  };
}

/** Restore tfjs's stock wasm `BatchMatMul`, `_FusedMatMul` and `Sum` kernels (undo of `enableNativeKernels`). */
export function disableNativeKernels(): void {
  if (!active) return;
  for (const [name, s] of stock) {
    tf.unregisterKernel(name, "wasm");
    tf.registerKernel(s);
  }
  stock.clear();
  active = false;
}
