import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { useBackend } from "../lib/core/backend.ts";
import {
  embed,
  fastGradientsActive,
  layerNorm,
  registerFastGradients,
  selectLastAxis,
  transposeLast2,
  useStockGradients,
} from "../lib/core/fastops.ts";
import { ConfigError } from "../lib/core/validate.ts";

/** Host matrix helpers for closed-form truths (row-major number[][]). */
function mat(r: number, c: number, f: (i: number, j: number) => number): number[][] {
  return Array.from({ length: r }, (_, i) => Array.from({ length: c }, (_, j) => f(i, j)));
}
function T(a: number[][]): number[][] {
  return mat(a[0].length, a.length, (i, j) => a[j][i]);
}
function mm(a: number[][], b: number[][]): number[][] {
  return mat(a.length, b[0].length, (i, j) => a[i].reduce((s, x, k) => s + x * b[k][j], 0));
}
function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

const FLAGS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

/** L = Σ W ⊙ (op(A)·op(B)) ⇒ dL/dop(A) = W·op(B)ᵀ, dL/dop(B) = op(A)ᵀ·W (closed form, hand-derived). */
async function gradsOf(ta: boolean, tb: boolean, A: number[][], B: number[][], W: number[][]) {
  const a = tf.tensor2d(A);
  const b = tf.tensor2d(B);
  const w = tf.tensor2d(W);
  const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(w, tf.matMul(x, y, ta, tb))));
  const [da, db] = g([a, b]);
  const out = { da: Array.from(await da.data()), db: Array.from(await db.data()) };
  tf.dispose([a, b, w, da, db]);
  return out;
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`fastops[${backend}]: BatchMatMul gradient = closed form and = stock gradient, all transpose flags`, async () => {
    await useBackend(backend);
    const n = 3, k = 4, m = 2;
    for (const [ta, tb] of FLAGS) {
      const opA = mat(n, k, (i, j) => Math.sin(1 + i * 7 + j * 3)); // op(A): n×k
      const opB = mat(k, m, (i, j) => Math.cos(2 + i * 5 - j)); // op(B): k×m
      const W = mat(n, m, (i, j) => 0.5 + i - 0.3 * j);
      const A = ta ? T(opA) : opA;
      const B = tb ? T(opB) : opB;
      const dOpA = mm(W, T(opB));
      const dOpB = mm(T(opA), W);
      const wantA = (ta ? T(dOpA) : dOpA).flat();
      const wantB = (tb ? T(dOpB) : dOpB).flat();

      useStockGradients();
      assert.equal(fastGradientsActive(), false);
      const stock = await gradsOf(ta, tb, A, B, W);
      registerFastGradients();
      registerFastGradients(); // idempotent
      assert.equal(fastGradientsActive(), true);
      const fast = await gradsOf(ta, tb, A, B, W);

      close(fast.da, wantA, 1e-5, `fast dA ta=${ta} tb=${tb}`);
      close(fast.db, wantB, 1e-5, `fast dB ta=${ta} tb=${tb}`);
      close(fast.da, stock.da, 1e-5, `fast vs stock dA ta=${ta} tb=${tb}`);
      close(fast.db, stock.db, 1e-5, `fast vs stock dB ta=${ta} tb=${tb}`);
    }
  });

  Deno.test(`fastops[${backend}]: batched (rank-4) and broadcast-batch matmul gradients`, async () => {
    await useBackend(backend);
    registerFastGradients();
    // Rank 4, same batch: each batch slice follows the 2-D closed form dA = 1·Bᵀ for L = Σ A·B.
    const a = tf.tensor4d(Array.from({ length: 2 * 3 * 2 * 3 }, (_, i) => Math.sin(i)), [2, 3, 2, 3]);
    const b = tf.tensor4d(Array.from({ length: 2 * 3 * 3 * 2 }, (_, i) => Math.cos(i)), [2, 3, 3, 2]);
    const [da] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]);
    const bv = await b.array();
    const dav = await da.array() as number[][][][];
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 3; j++) {
        const ones = mat(2, 2, () => 1);
        close(dav[i][j].flat(), mm(ones, T(bv[i][j])).flat(), 1e-5, `rank4 dA[${i},${j}]`);
      }
    }
    // Broadcast batch: A [2,3,4] · B [1,4,2] — dB sums the per-batch Aᵀ·1 over the broadcast batch axis.
    const a3 = tf.tensor3d(Array.from({ length: 24 }, (_, i) => (i % 5) - 2), [2, 3, 4]);
    const b3 = tf.tensor3d(Array.from({ length: 8 }, (_, i) => i / 3), [1, 4, 2]);
    const [da3, db3] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a3, b3]);
    assert.deepEqual(db3.shape, [1, 4, 2]);
    assert.deepEqual(da3.shape, [2, 3, 4]);
    const av = await a3.array();
    const want = mat(
      4,
      2,
      (r) => av[0].reduce((s, row) => s + row[r], 0) + av[1].reduce((s, row) => s + row[r], 0),
    );
    close(await db3.data(), want.flat(), 1e-5, "broadcast dB");
    tf.dispose([a, b, da, a3, b3, da3, db3]);
  });

  Deno.test(`fastops[${backend}]: embed and selectLastAxis index correctly and have gather-equivalent gradients`, async () => {
    await useBackend(backend);
    const table = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const ids = tf.tensor2d([[2, 0], [1, 1]], [2, 2], "int32");
    const e = embed(ids, table);
    assert.deepEqual(e.shape, [2, 2, 2]);
    assert.deepEqual(await e.array(), [[[5, 6], [1, 2]], [[3, 4], [3, 4]]]);
    // d/dtable Σ embed = count of each id per row of the table: ids {2,0,1,1} → counts [1, 2, 1].
    const g = tf.grad((t: tf.Tensor) => tf.sum(embed(ids, t)))(table);
    assert.deepEqual(await g.array(), [[1, 1], [2, 2], [1, 1]]);
    const x = tf.tensor2d([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]);
    const pick = tf.tensor1d([2, 0], "int32");
    close(await selectLastAxis(x, pick).data(), [0.3, 0.4], 1e-7, "select");
    const gx = tf.grad((t: tf.Tensor) => tf.sum(selectLastAxis(t, pick)))(x);
    assert.deepEqual(await gx.array(), [[0, 0, 1], [1, 0, 0]]);
    tf.dispose([table, ids, e, g, x, pick, gx]);
  });
}

/** Reference LayerNorm composed of plain ops (tf autodiff supplies its gradient). */
function layerNormRef(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps = 1e-5): tf.Tensor {
  const mu = tf.mean(x, -1, true);
  const v = tf.mean(tf.square(tf.sub(x, mu)), -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mu), tf.sqrt(tf.add(v, eps))), g), b);
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test(`fastops[${backend}]: layerNorm value (hand case) and closed-form gradient = autodiff gradient`, async () => {
    await useBackend(backend);
    // Hand case: row [1, 2, 3, 4] has μ = 2.5, σ² = 1.25 → x̂ = (x − 2.5)/√1.25 (ε = 0).
    const y = layerNorm(tf.tensor2d([[1, 2, 3, 4]]), tf.ones([4]), tf.zeros([4]), 0);
    close(await y.data(), [-1.5, -0.5, 0.5, 1.5].map((d) => d / Math.sqrt(1.25)), 1e-6, "hand LN");
    for (const shape of [[5, 6], [2, 3, 6]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = tf.tensor(Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * (1 + (i % 4))), shape);
      const g = tf.tensor1d([0.5, 1, 1.5, -1, 2, 0.25]);
      const b = tf.tensor1d([0.1, -0.2, 0.3, 0, 0.5, -1]);
      const w = tf.tensor(Array.from({ length: n }, (_, i) => Math.cos(i * 0.7)), shape);
      const lossOf = (f: typeof layerNorm) => (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
        tf.sum(tf.mul(w, f(xx, gg, bb, 1e-5)));
      const fast = tf.grads(lossOf(layerNorm))([x, g, b]);
      const ref = tf.grads(lossOf(layerNormRef))([x, g, b]);
      close(await layerNorm(x, g, b).data(), await layerNormRef(x, g, b, 1e-5).data(), 1e-5, "LN value");
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(fast[i].shape, ref[i].shape);
        close(
          await fast[i].data(),
          await ref[i].data(),
          1e-4,
          `LN grad ${["x", "gamma", "beta"][i]} ${shape}`,
        );
      }
      tf.dispose([x, g, b, w, ...fast, ...ref]);
    }
  });
}

Deno.test("fastops: input validation and transposeLast2", async () => {
  await useBackend("cpu");
  const t = tf.tensor3d([1, 2, 3, 4, 5, 6], [1, 2, 3]);
  const tt = transposeLast2(t);
  assert.deepEqual(tt.shape, [1, 3, 2]);
  assert.deepEqual(await tt.array(), [[[1, 4], [2, 5], [3, 6]]]);
  assert.throws(() => transposeLast2(tf.tensor1d([1])), ConfigError);
  assert.throws(() => embed(tf.tensor1d([0], "float32"), tf.zeros([2, 2])), ConfigError);
  assert.throws(() => embed(tf.tensor1d([0], "int32"), tf.zeros([2])), ConfigError);
  assert.throws(() => selectLastAxis(tf.zeros([2, 3]), tf.tensor1d([0, 1, 2], "int32")), ConfigError);
  tf.dispose([t, tt]);
});

Deno.test("fastops[wasm]: host SplitV = hand slices (any axis, int32 too); zero-copy Identity survives disposal", async () => {
  await useBackend("wasm");
  const shape = [2, 6, 3, 2];
  const vals = Array.from({ length: 72 }, (_, i) => i);
  const at = (i: number[]) => ((i[0] * 6 + i[1]) * 3 + i[2]) * 2 + i[3];
  for (const dtype of ["float32", "int32"] as const) {
    const x = tf.tensor(vals, shape, dtype);
    for (
      const [axis, sizes] of [[0, [1, 1]], [1, [1, 2, 3]], [2, [2, 1]], [3, [1, 1]]] as [number, number[]][]
    ) {
      const parts = tf.split(x, sizes, axis);
      let off = 0;
      for (let p = 0; p < parts.length; p++) {
        const want: number[] = [];
        const s = shape.slice();
        s[axis] = sizes[p];
        for (let a = 0; a < s[0]; a++) {
          for (let b = 0; b < s[1]; b++) {
            for (let c = 0; c < s[2]; c++) {
              for (let d = 0; d < s[3]; d++) {
                const i = [a, b, c, d];
                i[axis] += off;
                want.push(vals[at(i)]);
              }
            }
          }
        }
        assert.deepEqual(parts[p].shape, s);
        assert.equal(parts[p].dtype, dtype);
        assert.deepEqual(Array.from(await parts[p].data()), want, `${dtype} axis ${axis} part ${p}`);
        off += sizes[p];
      }
      tf.dispose(parts);
    }
    x.dispose();
  }
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.clone(a);
  a.dispose();
  assert.deepEqual(Array.from(await b.data()), [1, 2, 3]);
  b.dispose();
  await useBackend("cpu");
});
