import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { useBackend } from "../lib/core/backend.ts";
import {
  disableNativeKernels,
  enableNativeKernels,
  nativeBlasAvailable,
  nativeKernelsActive,
} from "../lib/core/blas.ts";
import { transposeFlagsFast } from "../lib/core/fastops.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { Adam } from "../lib/train/adam.ts";

const avail = nativeBlasAvailable();
if (!avail.available) console.warn(`blas tests skipped: ${avail.reason}`);
const ignore = !avail.available;

/** Row-major host matmul of rank-3 arrays with broadcast batch: the independent truth. */
function hostMatMul(
  a: Float32Array,
  [ba, ar, ac]: number[],
  b: Float32Array,
  [bb, br, bc]: number[],
  ta: boolean,
  tb: boolean,
): number[] {
  const M = ta ? ac : ar, K = ta ? ar : ac, N = tb ? br : bc;
  const batch = Math.max(ba, bb);
  const out: number[] = [];
  for (let i = 0; i < batch; i++) {
    const oa = (ba === 1 ? 0 : i) * ar * ac, ob = (bb === 1 ? 0 : i) * br * bc;
    for (let r = 0; r < M; r++) {
      for (let c = 0; c < N; c++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const x = ta ? a[oa + k * ac + r] : a[oa + r * ac + k];
          const y = tb ? b[ob + c * bc + k] : b[ob + k * bc + c];
          s += x * y;
        }
        out.push(s);
      }
    }
  }
  return out;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const values = (n: number, seed: number) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(seed + 0.7 * i));

Deno.test({
  name: "blas: useBackend('wasm') reports the OpenBLAS kernels; kernels: 'wasm' restores pure wasm",
  ignore,
  fn: async () => {
    const r = await useBackend("wasm");
    assert.equal(r.wasm!.nativeBlas.active, true, r.wasm!.nativeBlas.reason);
    assert.match(r.wasm!.nativeBlas.library, /libopenblas\.so\.0/);
    assert.equal(nativeKernelsActive(), true);
    assert.equal(transposeFlagsFast(), true);
    assert.equal(r.wasm!.kernelSet.kernels, "openblas");
    const off = await useBackend("wasm", { kernels: "wasm" });
    assert.equal(off.wasm!.nativeBlas.active, false);
    assert.match(off.wasm!.nativeBlas.reason, /kernel set "wasm" selected/);
    assert.equal(off.wasm!.kernelSet.kernels, "wasm");
    assert.equal(nativeKernelsActive(), false);
    assert.equal(transposeFlagsFast(), false);
    await useBackend("wasm", { kernels: "openblas" });
    assert.equal(nativeKernelsActive(), true, "the selection is sticky until changed");
    await useBackend("cpu");
    assert.equal(transposeFlagsFast(), false, "flags are only taken as free on wasm");
  },
});

Deno.test({
  name: "blas: sgemm BatchMatMul = host matmul and = stock wasm, batched, broadcast, all transpose flags",
  ignore,
  fn: async () => {
    await useBackend("wasm");
    // [batch A, rows A, cols A], [batch B, rows B, cols B] of the stored (pre-transpose) operands; tfjs
    // shapes add a leading 2 for the rank-4 cases.
    const cases: { a: number[]; b: number[]; rank4?: boolean }[] = [
      { a: [1, 5, 7], b: [1, 7, 3] },
      { a: [3, 4, 6], b: [3, 6, 5] },
      { a: [3, 4, 6], b: [1, 6, 5] }, // b broadcast over the batch
      { a: [1, 4, 6], b: [3, 6, 5] }, // a broadcast over the batch
      { a: [4, 24, 16], b: [4, 16, 24], rank4: true }, // attention-like [2, 2, T, dh]
      { a: [1, 70, 65], b: [1, 65, 33] }, // larger than one BLAS block
    ];
    for (const c of cases) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
        const aShape = ta ? [c.a[0], c.a[2], c.a[1]] : c.a;
        const bShape = tb ? [c.b[0], c.b[2], c.b[1]] : c.b;
        const av = values(aShape[0] * aShape[1] * aShape[2], 1);
        const bv = values(bShape[0] * bShape[1] * bShape[2], 2);
        const want = hostMatMul(av, aShape, bv, bShape, ta, tb);
        const shp = (s: number[]) => (c.rank4 ? [2, s[0] / 2, s[1], s[2]] : s);
        const a = tf.tensor(av, shp(aShape)), b = tf.tensor(bv, shp(bShape));
        enableNativeKernels();
        const y = tf.matMul(a, b, ta, tb);
        const got = await y.data();
        disableNativeKernels();
        const stock = await tf.matMul(a, b, ta, tb).data();
        const what = `${JSON.stringify(c)} ta=${ta} tb=${tb}`;
        assert.deepEqual(y.shape.slice(-2), [
          want.length / Math.max(c.a[0], c.b[0]) / y.shape.at(-1)!,
          y.shape.at(-1),
        ]);
        close(got, want, 1e-4, `native ${what}`);
        close(got, stock, 1e-4, `native vs stock ${what}`);
        tf.dispose([a, b, y]);
      }
    }
    enableNativeKernels();
    // fused matmul + bias (sgemm with β = 1 onto the bias rows) = host A·B + bias, with transposes
    const av = values(5 * 7, 7), bv = values(7 * 3, 8), bias = [0.5, -1, 2];
    const want = hostMatMul(av, [1, 5, 7], bv, [1, 7, 3], false, false).map((x, i) => x + bias[i % 3]);
    const fa = tf.tensor2d(av, [5, 7]), fb = tf.tensor2d(bv, [7, 3]);
    const fused = tf.fused.matMul({ a: fa, b: fb, bias: tf.tensor1d(bias) });
    close(await fused.data(), want, 1e-4, "fused matmul + bias");
    const fusedT = tf.fused.matMul({
      a: tf.transpose(fa) as tf.Tensor2D,
      b: tf.transpose(fb) as tf.Tensor2D,
      transposeA: true,
      transposeB: true,
      bias: tf.tensor1d(bias),
    });
    close(await fusedT.data(), want, 1e-4, "fused matmul + bias, both transposed");
    const e = tf.matMul(tf.zeros([2, 0]), tf.zeros([0, 3]));
    assert.deepEqual(Array.from(await e.data()), [0, 0, 0, 0, 0, 0], "an empty inner dimension gives zeros");
    await useBackend("cpu");
  },
});

Deno.test({
  name: "blas: flag-based BatchMatMul gradient = closed form; leading-axis Sum = hand sums",
  ignore,
  fn: async () => {
    await useBackend("wasm");
    // L = Σ W ⊙ (op(A)·op(B)) ⇒ dL/dop(A) = W·op(B)ᵀ, dL/dop(B) = op(A)ᵀ·W; batched over 2.
    const n = 3, k = 4, m = 2;
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
      const opA = values(2 * n * k, 3), opB = values(2 * k * m, 4), W = values(2 * n * m, 5);
      const store = (x: Float32Array, r: number, c: number, t: boolean) =>
        t ? Float32Array.from(hostMatMul(x, [2, r, c], eye(r), [1, r, r], true, false)) : x;
      const A = store(opA, n, k, ta), B = store(opB, k, m, tb);
      const [da, db] = tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(tf.tensor(W, [2, n, m]), tf.matMul(x, y, ta, tb)))
      )([tf.tensor(A, ta ? [2, k, n] : [2, n, k]), tf.tensor(B, tb ? [2, m, k] : [2, k, m])]);
      const dOpA = hostMatMul(W, [2, n, m], opB, [2, k, m], false, true);
      const dOpB = hostMatMul(opA, [2, n, k], W, [2, n, m], true, false);
      const back = (x: number[], r: number, c: number, t: boolean) =>
        t ? hostMatMul(Float32Array.from(x), [2, r, c], eye(r), [1, r, r], true, false) : x;
      close(await da.data(), back(dOpA, n, k, ta), 1e-5, `dA ta=${ta} tb=${tb}`);
      close(await db.data(), back(dOpB, k, m, tb), 1e-5, `dB ta=${ta} tb=${tb}`);
    }
    const x = tf.tensor(values(2 * 3 * 4, 6), [2, 3, 4]);
    const xs = await x.data();
    const hand = (keep: (i: number, j: number, l: number) => number, size: number) => {
      const o = new Array(size).fill(0);
      for (let i = 0; i < 2; i++) {
        for (let j = 0; j < 3; j++) for (let l = 0; l < 4; l++) o[keep(i, j, l)] += xs[i * 12 + j * 4 + l];
      }
      return o;
    };
    close(await tf.sum(x, 0).data(), hand((_i, j, l) => j * 4 + l, 12), 1e-6, "sum axis 0");
    close(await tf.sum(x, [0, 1]).data(), hand((_i, _j, l) => l, 4), 1e-6, "sum axes 0,1");
    assert.deepEqual(tf.sum(x, [0, 1], true).shape, [1, 1, 4]);
    close(await tf.sum(x, 1).data(), hand((i, _j, l) => i * 4 + l, 8), 1e-6, "sum axis 1 (stock kernel)");
    close(await tf.sum(x).data(), [hand(() => 0, 1)[0]], 1e-5, "sum of all");
    await useBackend("cpu");
  },
});

function eye(n: number): Float32Array {
  const e = new Float32Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
}

/** Losses of `steps` Adam steps of next-token NLL on a fixed batch, from model seed 3. */
async function losses(steps: number): Promise<number[]> {
  const m = new TinyTransformer({
    vocabSize: 10,
    contextLength: 12,
    dModel: 32,
    nLayers: 2,
    nHeads: 4,
    seed: 3,
  });
  const toks = tf.tensor2d(
    Array.from({ length: 8 }, (_, i) => Array.from({ length: 12 }, (_, j) => 1 + ((i * 7 + j * j) % 9))),
    [8, 12],
    "int32",
  );
  const adam = new Adam(m.variables, { lr: 0.01 });
  const out: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(
      () => tf.neg(tf.mean(m.tokenLogProbs(toks).logProbs)) as tf.Scalar,
      m.variables,
    );
    adam.apply(m.variables.map((v) => grads[v.name]));
    out.push((await value.data())[0]);
    tf.dispose([value, ...Object.values(grads)]);
  }
  adam.dispose();
  toks.dispose();
  m.dispose();
  return out;
}

Deno.test({
  name: "blas: same seed, OpenBLAS wasm → bit-identical training losses run to run, ≈ cpu backend",
  ignore,
  fn: async () => {
    await useBackend("cpu");
    const cpu = await losses(6);
    await useBackend("wasm");
    assert.equal(nativeKernelsActive(), true);
    const n0 = tf.memory().numTensors;
    const a = await losses(6);
    assert.equal(tf.memory().numTensors, n0, "no tensor leaks");
    const b = await losses(6);
    assert.deepEqual(a, b, "same seed, same backend: identical losses");
    close(a, cpu, 2e-4, "OpenBLAS wasm vs cpu losses");
    const m = new TinyTransformer({
      vocabSize: 10,
      contextLength: 12,
      dModel: 32,
      nLayers: 2,
      nHeads: 4,
      seed: 3,
    });
    const n1 = tf.memory().numTensors;
    const s1 = await m.sample([[1, 2, 3], [4]], { maxTokens: 6, seed: 9, eos: 2 });
    const s2 = await m.sample([[1, 2, 3], [4]], { maxTokens: 6, seed: 9, eos: 2 });
    assert.equal(tf.memory().numTensors, n1, "host decoding leaks no tensors");
    assert.deepEqual(s1, s2, "same seed: identical samples");
    m.dispose();
    assert.ok(a[5] < a[0] - 0.1, `the loss falls: ${a}`);
    await useBackend("cpu");
  },
});
