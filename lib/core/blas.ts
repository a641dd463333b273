/**
 * Native kernels for the tfjs `wasm` backend through OpenBLAS and Deno FFI (`Deno.dlopen`).
 *
 * The wasm backend keeps tensors in its own linear memory; these kernels hand the addresses of those
 * buffers to OpenBLAS (single-threaded, `openblas_set_num_threads(1)`, so a seed gives bit-identical
 * results run to run) and write the outputs in place:
 * - `BatchMatMul` via `cblas_sgemm`, one call per batch matrix, with `transposeA/B` passed as BLAS flags
 *   (free in BLAS, unlike the stock wasm kernel, where they cost ~10×), and `_FusedMatMul` (matmul + bias
 *   row, linear activation: `tf.fused.matMul`) as sgemm with β = 1 onto C pre-filled with the bias;
 * - `Sum` over leading axes (bias and LayerNorm-gain gradients) via `cblas_sgemv` with a ones vector
 *   (the stock kernel transposes the input first), other reductions fall through to the stock kernel.
 * WebAssembly SIMD is 128-bit and single-threaded here, so a wasm matmul reaches ~15% of an AVX2 BLAS on
 * the same core; this is the numpy/PyTorch route. `enableNativeKernels()` registers the kernels (called
 * by `useBackend` for wasm when libopenblas loads), `disableNativeKernels()` restores the stock ones.
 */
import { tf } from "./tf.ts";

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
  /** BLAS threads (1: deterministic). */
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
  openblas_get_config: { parameters: [], result: "pointer" },
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

/** Open libopenblas once (single-threaded); null with `loadError` set when it cannot be opened. */
function load(): Lib | null {
  if (lib || loadError) return lib;
  try {
    const dl = Deno.dlopen(OPENBLAS_LIBRARY, SYMBOLS);
    dl.symbols.openblas_set_num_threads(1);
    const p = dl.symbols.openblas_get_config();
    config = p ? new Deno.UnsafePointerView(p).getCString() : "";
    lib = dl.symbols;
  } catch (e) {
    loadError = (e as Error).message.split("\n")[0];
  }
  return lib;
}

/** Whether OpenBLAS can be opened here; `reason` says why not (library absent, no --allow-ffi). */
export function nativeBlasAvailable(): { available: boolean; reason: string } {
  return load()
    ? { available: true, reason: `${OPENBLAS_LIBRARY} loaded (${config})` }
    : { available: false, reason: `cannot open ${OPENBLAS_LIBRARY}: ${loadError}` };
}

/**
 * C ← A·B + β·C on host Float32Arrays (row-major; A is M×K, B is K×N, C is M×N) by cblas_sgemm, 1 thread.
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
  if (!avail.available) return { active: false, library: OPENBLAS_LIBRARY, reason: avail.reason, threads: 1 };
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
    reason:
      "BatchMatMul and fused matmul + bias (cblas_sgemm), leading-axis Sum (cblas_sgemv): OpenBLAS, 1 thread",
    threads: 1,
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
