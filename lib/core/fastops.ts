/**
 * Fast, backend-portable tfjs building blocks for the small models Sweetspot trains.
 *
 * - `registerFastGradients()` replaces the `BatchMatMul` gradient with one that has the same value but feeds
 *   the backward matmuls explicitly transposed operands (`tf.transpose`) instead of the `transposeA/B`
 *   flags. tfjs-backend-wasm's matmul with either flag set is ~10x slower than a transpose plus a plain
 *   matmul, which made a tiny transformer's Adam step 430 ms instead of 134 ms on wasm (batch 64, seq 16).
 *   The new gradient also sums over broadcast batch dimensions (the stock one does not), so it equals the
 *   stock gradient wherever the stock one is defined.
 * - `layerNorm` has a closed-form gradient (about half the kernels of autodiff through its ops); on the wasm
 *   backend its forward and backward are each one host kernel over the wasm heap (`LAYER_NORM`,
 *   `LAYER_NORM_GRAD`) instead of ~9 and ~11 tensor kernels; `registerWasmHostKernels` installs them and a
 *   zero-copy `Identity` (the engine clones every tensor a gradient saves; the stock wasm clone copies) and
 *   a block-copy `SplitV`.
 * - `embed` / `selectLastAxis` / `oneHotFloat` index by one-hot matmul / one-hot product: `tf.gather`'s gradient needs
 *   `UnsortedSegmentSum`, which the wasm backend does not register.
 */
import { tf } from "./tf.ts";
import type { Tensor } from "./tf.ts";
import { ConfigError } from "./validate.ts";
import { nativeKernelsActive } from "./blas.ts";

type GradConfig = ReturnType<typeof tf.getGradient>;

const BATCH_MATMUL = "BatchMatMul";
let stockGrad: GradConfig | undefined;
let fastActive = false;

/**
 * The float32 values of a tensor on a host backend, without a copy where the backend allows it: a view of
 * the wasm heap (valid until the next tensor allocation, which may grow the heap), the cpu backend's own
 * array, else `dataSync()`. Read-only: writing into it would change the tensor.
 */
export function hostValues(t: Tensor): Float32Array {
  // deno-lint-ignore no-explicit-any
  const backend = tf.backend() as any;
  const name = tf.getBackend();
  if (t.dtype === "float32" && name === "wasm") return backend.typedArrayFromHeap(t) as Float32Array;
  const values = t.dtype === "float32" && name === "cpu" ? backend.data.get(t.dataId)?.values : undefined;
  return values instanceof Float32Array ? values : t.dataSync() as Float32Array;
}

/** Swap the last two axes: xᵀ over the matrix dimensions of a rank ≥ 2 tensor. */
export function transposeLast2(x: Tensor): Tensor {
  const r = x.rank;
  if (r < 2) throw new ConfigError("x", "must have rank ≥ 2 to transpose its last two axes", x.shape);
  const perm = Array.from({ length: r }, (_, i) => i);
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/**
 * Whether matmul transpose flags are free on the active backend: true on wasm with the OpenBLAS kernels
 * (lib/core/blas.ts), where op(X) = Xᵀ is a BLAS flag; false elsewhere (stock wasm flags cost ~10×).
 */
export function transposeFlagsFast(): boolean {
  return nativeKernelsActive() && tf.getBackend() === "wasm";
}

/** a·bᵀ over the last two axes: a transpose flag when `transposeFlagsFast()`, else an explicit transpose. */
export function matMulBT(a: Tensor, b: Tensor): Tensor {
  return transposeFlagsFast() ? tf.matMul(a, b, false, true) : tf.matMul(a, transposeLast2(b));
}

/** Sum a batched-matmul gradient `g` (batch shape of the output) down to `shape` (broadcast batch dims). */
function reduceToShape(g: Tensor, shape: number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length; // leading axes absent from the input
  const axes: number[] = [];
  for (let i = 0; i < g.rank - 2; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? tf.sum(g, axes, true) : g;
  return tf.reshape(s, shape);
}

/**
 * Gradient of C = op(A)·op(B) with op(X) = X or Xᵀ per flag: with G = ∂L/∂C,
 * ∂L/∂A = G·op(B)ᵀ (or its transpose if A was transposed) and ∂L/∂B = op(A)ᵀ·G (likewise),
 * computed with explicit transposes and flag-free matmuls, or with transpose flags where they are free
 * (`transposeFlagsFast()`: the OpenBLAS kernels).
 */
export const fastBatchMatMulGradConfig: GradConfig = {
  kernelName: BATCH_MATMUL,
  inputsToSave: ["a", "b"],
  gradFunc: (dy, saved, attrs) => {
    const g = dy as Tensor;
    const [a, b] = saved;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    let da: () => Tensor;
    let db: () => Tensor;
    if (transposeFlagsFast()) {
      const mm = (x: Tensor, y: Tensor, tx: boolean, ty: boolean) => tf.matMul(x, y, tx, ty);
      if (!transposeA && !transposeB) {
        da = () => mm(g, b, false, true);
        db = () => mm(a, g, true, false);
      } else if (!transposeA && transposeB) {
        da = () => mm(g, b, false, false);
        db = () => mm(g, a, true, false);
      } else if (transposeA && !transposeB) {
        da = () => mm(b, g, false, true);
        db = () => mm(a, g, false, false);
      } else {
        da = () => mm(b, g, true, true);
        db = () => mm(g, a, true, true);
      }
      return { a: () => reduceToShape(da(), a.shape), b: () => reduceToShape(db(), b.shape) };
    }
    const mm = (x: Tensor, y: Tensor) => tf.matMul(x, y);
    const T = transposeLast2;
    if (!transposeA && !transposeB) {
      // C = A·B: dA = G·Bᵀ, dB = Aᵀ·G
      da = () => mm(g, T(b));
      db = () => mm(T(a), g);
    } else if (!transposeA && transposeB) {
      // C = A·Bᵀ: dA = G·B, dB = Gᵀ·A
      da = () => mm(g, b);
      db = () => mm(T(g), a);
    } else if (transposeA && !transposeB) {
      // C = Aᵀ·B: dA = B·Gᵀ, dB = A·G
      da = () => mm(b, T(g));
      db = () => mm(a, g);
    } else {
      // C = Aᵀ·Bᵀ: dA = Bᵀ·Gᵀ, dB = Gᵀ·Aᵀ
      da = () => mm(T(b), T(g));
      db = () => mm(T(g), T(a));
    }
    return { a: () => reduceToShape(da(), a.shape), b: () => reduceToShape(db(), b.shape) };
  },
};

/**
 * Install `fastBatchMatMulGradConfig` as the BatchMatMul gradient (idempotent; remembers the stock one).
 * Called at module load by lib/policies/transformer.ts.
 */
export function registerFastGradients(): void {
  if (fastActive) return;
  if (stockGrad === undefined) stockGrad = tf.getGradient(BATCH_MATMUL);
  tf.registerGradient(fastBatchMatMulGradConfig);
  fastActive = true;
}

/** Re-install tfjs's stock BatchMatMul gradient (for A/B benchmarks and tests); undo of `registerFastGradients`. */
export function useStockGradients(): void {
  if (!fastActive) return;
  if (stockGrad) tf.registerGradient(stockGrad);
  fastActive = false;
}

/** Whether the fast BatchMatMul gradient is currently installed. */
export function fastGradientsActive(): boolean {
  return fastActive;
}

/**
 * Float32 one-hot: out[..., v] = 1 if ids[...] = v else 0. Built as int32 then cast, because the wasm
 * backend's OneHot kernel ignores `dtype` and writes int32 bits into a float32 buffer (tfjs 4.22).
 */
export function oneHotFloat(ids: Tensor, depth: number): Tensor {
  return tf.tidy(() => tf.cast(tf.oneHot(ids, depth), "float32"));
}

/**
 * Embedding lookup by one-hot matmul: out[..., :] = table[ids[...], :] = onehot(ids, V)·table.
 * Gradient-safe on every backend (no `tf.gather`); ids must be int32 in [0, V) (others give a zero row).
 */
export function embed(ids: Tensor, table: Tensor): Tensor {
  if (table.rank !== 2) throw new ConfigError("table", "must be a rank-2 [vocab, dim] tensor", table.shape);
  if (ids.dtype !== "int32") throw new ConfigError("ids", "must be an int32 tensor", ids.dtype);
  const [v, d] = table.shape;
  return tf.tidy(() => {
    const oh = oneHotFloat(tf.reshape(ids, [-1]), v);
    return tf.reshape(tf.matMul(oh, table), [...ids.shape, d]);
  });
}

/**
 * Pick one entry per row along the last axis: out[...] = x[..., ids[...]] = Σ_v onehot(ids)_v · x[..., v].
 * Gradient-safe on every backend (no `tf.gather`); ids int32 with shape x.shape[:-1].
 */
export function selectLastAxis(x: Tensor, ids: Tensor): Tensor {
  if (ids.dtype !== "int32") throw new ConfigError("ids", "must be an int32 tensor", ids.dtype);
  const v = x.shape[x.rank - 1];
  if (ids.rank !== x.rank - 1 || ids.shape.some((d, i) => d !== x.shape[i])) {
    throw new ConfigError("ids", `must have shape ${JSON.stringify(x.shape.slice(0, -1))}`, ids.shape);
  }
  return tf.tidy(() => tf.sum(tf.mul(oneHotFloat(ids, v), x), -1));
}

/** Kernel name of the wasm LayerNorm forward: inputs x, gamma, beta; attr eps; outputs y, x̂, 1/√(σ²+ε). */
export const LAYER_NORM = "SweetspotLayerNorm";
/** Kernel name of the wasm LayerNorm backward: inputs dy, x̂, rstd, gamma; outputs ∂x, ∂γ, ∂β. */
export const LAYER_NORM_GRAD = "SweetspotLayerNormGrad";

// deno-lint-ignore no-explicit-any
type WasmBackend = any;
// deno-lint-ignore no-explicit-any
type Info = any;

/** Per row of x (last axis D): μ, σ² in float64, x̂ = (x − μ)/√(σ² + ε), y = γ ⊙ x̂ + β, on the wasm heap. */
function layerNormKernel(
  args: { inputs: { x: Info; gamma: Info; beta: Info }; backend: WasmBackend; attrs: Info },
) {
  const { inputs: { x, gamma, beta }, backend, attrs: { eps } } = args;
  const D = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((a: number, c: number) => a * c, 1) / D;
  const y = backend.makeOutput(x.shape, "float32");
  const xh = backend.makeOutput(x.shape, "float32");
  const rs = backend.makeOutput([...x.shape.slice(0, -1), 1], "float32");
  const [X, G, B, Y, XH, RS] = [x, gamma, beta, y, xh, rs].map((t) => backend.typedArrayFromHeap(t));
  for (let r = 0, o = 0; r < rows; r++, o += D) {
    let mu = 0;
    for (let j = 0; j < D; j++) mu += X[o + j];
    mu /= D;
    let v = 0;
    for (let j = 0; j < D; j++) v += (X[o + j] - mu) * (X[o + j] - mu);
    const rstd = 1 / Math.sqrt(v / D + eps);
    RS[r] = rstd;
    for (let j = 0; j < D; j++) {
      const h = (X[o + j] - mu) * rstd;
      XH[o + j] = h;
      Y[o + j] = h * G[j] + B[j];
    }
  }
  return [y, xh, rs];
}

/**
 * ∂x = rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) with ĝ = dy ⊙ γ; ∂γ = Σ_rows dy ⊙ x̂; ∂β = Σ_rows dy (float64
 * accumulation, rows in order), on the wasm heap.
 */
function layerNormGradKernel(
  args: { inputs: { dy: Info; xhat: Info; rstd: Info; gamma: Info }; backend: WasmBackend },
) {
  const { inputs: { dy, xhat, rstd, gamma }, backend } = args;
  const D = dy.shape[dy.shape.length - 1];
  const rows = dy.shape.reduce((a: number, c: number) => a * c, 1) / D;
  const dx = backend.makeOutput(dy.shape, "float32");
  const dg = backend.makeOutput([D], "float32");
  const db = backend.makeOutput([D], "float32");
  const [DY, XH, RS, G, DX, DG, DB] = [dy, xhat, rstd, gamma, dx, dg, db].map((t) =>
    backend.typedArrayFromHeap(t)
  );
  const sg = new Float64Array(D), sb = new Float64Array(D);
  for (let r = 0, o = 0; r < rows; r++, o += D) {
    let m1 = 0, m2 = 0;
    for (let j = 0; j < D; j++) {
      const d = DY[o + j], h = XH[o + j], gh = d * G[j];
      m1 += gh;
      m2 += gh * h;
      sg[j] += d * h;
      sb[j] += d;
    }
    m1 /= D;
    m2 /= D;
    const rstd = RS[r];
    for (let j = 0; j < D; j++) DX[o + j] = rstd * (DY[o + j] * G[j] - m1 - XH[o + j] * m2);
  }
  DG.set(sg);
  DB.set(sb);
  return [dx, dg, db];
}

/**
 * Identity without a copy: the output shares the input's buffer (reference-counted), as the cpu backend
 * does; the stock wasm kernel copies, and the engine calls Identity on every tensor a gradient saves.
 */
function identityKernel(args: { inputs: { x: Info }; backend: WasmBackend }) {
  const { inputs: { x }, backend } = args;
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

let stockSplitV: ReturnType<typeof tf.getKernel>;

/**
 * SplitV as contiguous block copies: with outer = Π shape[:axis] and inner = Π shape[axis+1:], output i
 * row o is x[o, off_i : off_i + s_i, …] (s_i·inner consecutive values); the stock wasm kernel slices
 * element-wise in JS for rank > 2.
 */
function splitVKernel(args: { inputs: { x: Info }; backend: WasmBackend; attrs: Info }) {
  const { inputs: { x }, backend, attrs } = args;
  if (x.dtype === "string") return stockSplitV!.kernelFunc(args as never);
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const sizes: number[] = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
  const outer = x.shape.slice(0, axis).reduce((a: number, c: number) => a * c, 1);
  const inner = x.shape.slice(axis + 1).reduce((a: number, c: number) => a * c, 1);
  const row = x.shape[axis] * inner;
  const outs = sizes.map((n) =>
    backend.makeOutput([...x.shape.slice(0, axis), n, ...x.shape.slice(axis + 1)], x.dtype)
  );
  const X = backend.typedArrayFromHeap(x);
  let off = 0;
  sizes.forEach((n, i) => {
    const Y = backend.typedArrayFromHeap(outs[i]), block = n * inner;
    for (let o = 0; o < outer; o++) Y.set(X.subarray(o * row + off, o * row + off + block), o * block);
    off += block;
  });
  return outs;
}

let wasmHostKernels = false;
/**
 * Register the host kernels for the wasm backend (idempotent; called by `useBackend` after loading
 * tfjs-backend-wasm): `LAYER_NORM`, `LAYER_NORM_GRAD`, a zero-copy `Identity` and a block-copy `SplitV`.
 */
export function registerWasmHostKernels(): void {
  if (wasmHostKernels) return;
  stockSplitV = tf.getKernel("SplitV", "wasm");
  for (const name of ["Identity", "SplitV"]) {
    if (tf.getKernel(name, "wasm")) tf.unregisterKernel(name, "wasm");
  }
  const kernels: [string, unknown][] = [
    [LAYER_NORM, layerNormKernel],
    [LAYER_NORM_GRAD, layerNormGradKernel],
    ["Identity", identityKernel],
    ["SplitV", splitVKernel],
  ];
  for (const [kernelName, f] of kernels) {
    tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: f as never });
  }
  wasmHostKernels = true;
}

/**
 * LayerNorm over the last axis, y = γ ⊙ x̂ + β with x̂ = (x − μ)/√(σ² + ε) (Ba et al. 2016,
 * arXiv:1607.06450), with a closed-form gradient (fewer kernels than autodiff):
 * ∂x = (1/√(σ²+ε))·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) where ĝ = dy ⊙ γ; ∂γ = Σ dy ⊙ x̂; ∂β = Σ dy.
 * On wasm, forward and backward are one host kernel each (float64 row statistics); elsewhere tensor ops.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  let op = layerNormOps.get(eps);
  if (!op) {
    op = makeLayerNorm(eps);
    layerNormOps.set(eps, op);
  }
  return op(x, gamma, beta);
}

const layerNormOps = new Map<number, (x: Tensor, gamma: Tensor, beta: Tensor) => Tensor>();

function makeLayerNorm(eps: number): (x: Tensor, gamma: Tensor, beta: Tensor) => Tensor {
  type Save = (ts: Tensor[]) => void;
  const f = (...args: unknown[]) => {
    const [x, gamma, beta, save] = args as [Tensor, Tensor, Tensor, Save];
    const host = wasmHostKernels && tf.getBackend() === "wasm" && x.dtype === "float32" && gamma.rank === 1 &&
      beta.rank === 1;
    if (host) {
      const [value, xhat, rstd] = tf.engine().runKernel(LAYER_NORM, { x, gamma, beta }, { eps }) as Tensor[];
      save([xhat, rstd, gamma]);
      const gradFunc = (dy: Tensor, saved: Tensor[]) => {
        const [xh, rs, g] = saved;
        return tf.engine().runKernel(LAYER_NORM_GRAD, { dy, xhat: xh, rstd: rs, gamma: g }, {}) as Tensor[];
      };
      return { value, gradFunc };
    }
    const mu = tf.mean(x, -1, true);
    const xc = tf.sub(x, mu);
    const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps));
    const xhat = tf.mul(xc, rstd);
    save([xhat, rstd, gamma]);
    const value = tf.add(tf.mul(xhat, gamma), beta);
    const gradFunc = (dy: Tensor, saved: Tensor[]) => {
      const [xh, rs, g] = saved;
      const lead = Array.from({ length: dy.rank - 1 }, (_, i) => i);
      const gh = tf.mul(dy, g);
      const inner = tf.add(tf.mean(gh, -1, true), tf.mul(xh, tf.mean(tf.mul(gh, xh), -1, true)));
      return [tf.mul(rs, tf.sub(gh, inner)), tf.sum(tf.mul(dy, xh), lead), tf.sum(dy, lead)];
    };
    return { value, gradFunc };
  };
  return tf.customGrad(f as Parameters<typeof tf.customGrad>[0]) as (
    x: Tensor,
    g: Tensor,
    b: Tensor,
  ) => Tensor;
}
