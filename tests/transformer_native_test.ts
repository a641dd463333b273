import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { useBackend } from "../lib/core/backend.ts";
import { hostBuffer, nativeBlasAvailable, sgemmStrided } from "../lib/core/blas.ts";
import { GeluArena, simdAvailable } from "../lib/core/simd.ts";
import { Rng } from "../lib/core/rng.ts";
import {
  nativeModelPathActive,
  TinyTransformer,
  type TinyTransformerConfig,
  useNativeModelPath,
} from "../lib/policies/transformer.ts";
import { expFast } from "../lib/policies/transformer_native.ts";
import { Adam } from "../lib/train/adam.ts";

const avail = nativeBlasAvailable();
if (!avail.available) console.warn(`native model path tests skipped: ${avail.reason}`);
const ignore = !avail.available;

const CFG: TinyTransformerConfig = {
  vocabSize: 9,
  contextLength: 10,
  dModel: 16,
  nLayers: 2,
  nHeads: 4,
  seed: 11,
};
// row 0 is left-padded (two pads), row 2 has a pad inside the prompt region's left edge only, row 3 has a
// masked key between valid ones (a hole: the per-key mask test of the attention softmax)
const TOKENS = [
  [0, 0, 3, 4, 5, 6, 7, 1],
  [1, 2, 3, 4, 5, 6, 8, 2],
  [0, 5, 5, 2, 7, 3, 1, 4],
  [0, 6, 2, 0, 3, 8, 5, 1],
];
const VALID = [
  [0, 0, 1, 1, 1, 1, 1, 1],
  [1, 1, 1, 1, 1, 1, 1, 1],
  [0, 1, 1, 1, 1, 1, 1, 1],
  [0, 1, 1, 0, 1, 1, 1, 1],
];

/** A model whose weights are scaled up (std ≈ 0.3) so attention and the MLP are far from their linear regime. */
async function sharpModel(): Promise<TinyTransformer> {
  const m = new TinyTransformer(CFG);
  const w = await m.getWeights();
  const rng = new Rng(5);
  for (const [name, e] of Object.entries(w)) {
    e.data = /\.(g|b)$|bqkv|bo$|b1$|b2$/.test(name)
      ? e.data.map((x) => x + rng.normal(0, 0.1))
      : e.data.map((x) => x * 15);
  }
  m.setWeights(w);
  return m;
}

/**
 * A loss that reads both outputs of tokenLogProbs on valid targets, with fixed per-token weights:
 * L = Σ_t c_t·log p_t + 0.3·Σ_t c'_t·H_t over targets t with real inputs and targets (exercises ∂/∂logits
 * through log-softmax and the entropy).
 */
function objective(m: TinyTransformer): () => tf.Scalar {
  const B = TOKENS.length, T = TOKENS[0].length;
  const rng = new Rng(9);
  const c = Array.from({ length: B * (T - 1) }, () => rng.normal(0, 1));
  const c2 = Array.from({ length: B * (T - 1) }, () => rng.normal(0, 1));
  return () =>
    tf.tidy(() => {
      const toks = tf.tensor2d(TOKENS, [B, T], "int32");
      const valid = tf.tensor2d(VALID, [B, T]);
      // targets whose input position is real too (a pad query's scores are all −1e9 + s, which float32
      // absorbs, so its logits do not move under finite differences although autograd sees s)
      const mask = tf.mul(tf.slice(valid, [0, 1], [B, T - 1]), tf.slice(valid, [0, 0], [B, T - 1]));
      const { logProbs, entropy } = m.tokenLogProbs(toks, valid);
      const a = tf.sum(tf.mul(logProbs, tf.mul(mask, tf.tensor2d(c, [B, T - 1]))));
      const b = tf.sum(tf.mul(entropy, tf.mul(mask, tf.tensor2d(c2, [B, T - 1]))));
      return tf.add(a, tf.mul(b, 0.3)) as tf.Scalar;
    });
}

/** Gradients of `objective` w.r.t. every weight as host arrays, on the path chosen by `native`. */
function gradients(m: TinyTransformer, native: boolean): { value: number; grads: Float32Array[] } {
  useNativeModelPath(native);
  try {
    const { value, grads } = tf.variableGrads(objective(m), m.variables);
    const out = m.variables.map((v) => grads[v.name].dataSync() as Float32Array);
    const val = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return { value: val, grads: out };
  } finally {
    useNativeModelPath(true);
  }
}

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test({
    name:
      `transformer native[${backend}]: gradients equal tfjs autograd on the op path (padding, log-prob + entropy loss)`,
    ignore,
    fn: async () => {
      await useBackend(backend);
      const m = await sharpModel();
      assert.ok(nativeModelPathActive());
      const before = tf.memory().numTensors;
      const nat = gradients(m, true);
      const ops = gradients(m, false);
      assert.equal(tf.memory().numTensors, before, "no tensor leaks");
      assert.ok(
        Math.abs(nat.value - ops.value) <= 1e-5 * Math.abs(ops.value) + 1e-5,
        `${nat.value} vs ${ops.value}`,
      );
      m.variables.forEach((v, i) => {
        const a = nat.grads[i], b = ops.grads[i];
        let scale = 0, diff = 0;
        for (let j = 0; j < a.length; j++) {
          scale = Math.max(scale, Math.abs(b[j]));
          diff = Math.max(diff, Math.abs(a[j] - b[j]));
        }
        assert.ok(scale > 0, `${v.name}: op-path gradient is not all zero`);
        // float32 on both sides, different summation orders: agree to 1e-4 of the largest entry
        assert.ok(diff <= 1e-4 * scale, `${m.variableNames[i]}: max |Δ| ${diff} vs max |g| ${scale}`);
      });
      m.dispose();
    },
  });
}

Deno.test({
  name:
    "transformer native: gradient matches central finite differences along random directions (cpu, float32)",
  ignore,
  fn: async () => {
    await useBackend("cpu");
    const m = await sharpModel();
    const f = objective(m);
    const { grads } = gradients(m, true);
    const base = m.variables.map((v) => Float32Array.from(v.dataSync()));
    const rng = new Rng(3);
    const eps = 1e-3;
    for (let trial = 0; trial < 3; trial++) {
      const dir = base.map((b) => Float32Array.from(b, () => rng.normal(0, 1)));
      let gu = 0;
      grads.forEach((g, i) => g.forEach((x, j) => (gu += x * dir[i][j])));
      const at = (s: number) => {
        tf.tidy(() =>
          m.variables.forEach((v, i) =>
            v.assign(tf.tensor(base[i].map((x, j) => x + s * eps * dir[i][j]), v.shape))
          )
        );
        const l = f();
        const out = l.dataSync()[0];
        l.dispose();
        return out;
      };
      const fd = (at(1) - at(-1)) / (2 * eps);
      // truncation error O(ε²·f''') and float32 rounding of L (~1e-7·|L|/ε) stay below 2% here
      assert.ok(Math.abs(fd - gu) <= 0.02 * Math.abs(gu) + 1e-3, `trial ${trial}: FD ${fd} vs g·u ${gu}`);
    }
    m.dispose();
  },
});

for (const backend of ["cpu", "wasm"] as const) {
  Deno.test({
    name: `transformer native[${backend}]: log-probs and KV-cache samples equal the op path's`,
    ignore,
    fn: async () => {
      await useBackend(backend);
      const m = await sharpModel();
      const seqs = [[1, 2, 3, 4, 5, 6], [7, 8, 2], [3, 3, 3, 3]];
      const nat = await m.logProbs(seqs);
      useNativeModelPath(false);
      const ops = await m.logProbs(seqs);
      const sOps = await m.sample([[1, 2, 3], [4], [5, 6]], { maxTokens: 5, seed: 4, forced: [[], [2], []] });
      useNativeModelPath(true);
      const sNat = await m.sample([[1, 2, 3], [4], [5, 6]], { maxTokens: 5, seed: 4, forced: [[], [2], []] });
      nat.forEach((row, i) =>
        row.forEach((x, j) => assert.ok(Math.abs(x - ops[i][j]) < 2e-5, `${x} vs ${ops[i][j]}`))
      );
      for (let i = 0; i < 3; i++) {
        for (let s = 0; s < sOps.responses[i].length; s++) {
          if (sNat.responses[i][s] !== sOps.responses[i][s]) break; // a float32 difference may flip a draw
          assert.ok(Math.abs(sNat.logProbs[i][s] - sOps.logProbs[i][s]) < 2e-5);
          assert.ok(Math.abs(sNat.entropies[i][s] - sOps.entropies[i][s]) < 2e-5);
        }
      }
      assert.deepEqual(sNat.responses[0].slice(0, 2), sOps.responses[0].slice(0, 2));
      m.dispose();
    },
  });
}

Deno.test({
  name: "transformer native: same seed → bit-identical Adam losses run to run (wasm)",
  ignore,
  fn: async () => {
    await useBackend("wasm");
    const run = async () => {
      const m = new TinyTransformer({ ...CFG, seed: 21 });
      const adam = new Adam(m.variables, { lr: 3e-3 });
      const toks = tf.tensor2d(TOKENS, [TOKENS.length, 8], "int32");
      const valid = tf.tensor2d(VALID, [VALID.length, 8]);
      const losses: number[] = [];
      for (let s = 0; s < 6; s++) {
        const { value, grads } = tf.variableGrads(
          () => tf.neg(tf.mean(m.tokenLogProbs(toks, valid).logProbs)) as tf.Scalar,
          m.variables,
        );
        adam.apply(m.variables.map((v) => grads[v.name]));
        losses.push((await value.data())[0]);
        tf.dispose([value, ...Object.values(grads)]);
      }
      tf.dispose([toks, valid]);
      adam.dispose();
      m.dispose();
      return losses;
    };
    const a = await run(), b = await run();
    assert.deepEqual(a, b);
    assert.ok(a[5] < a[0], `loss falls: ${a}`);
  },
});

Deno.test({
  name: "sgemmStrided: strided/offset/transposed products equal a host triple loop",
  ignore,
  fn: () => {
    const rng = new Rng(2);
    const A = hostBuffer(200), B = hostBuffer(200), C = hostBuffer(200);
    A.forEach((_, i) => (A[i] = rng.normal(0, 1)));
    B.forEach((_, i) => (B[i] = rng.normal(0, 1)));
    C.forEach((_, i) => (C[i] = rng.normal(0, 1)));
    const M = 3, N = 4, K = 5, lda = 9, ldb = 11, ldc = 7, oa = 5, ob = 13, oc = 2, alpha = 0.5, beta = 2;
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        const c0 = Float32Array.from(C);
        sgemmStrided(ta, tb, M, N, K, alpha, A, oa, lda, B, ob, ldb, beta, C, oc, ldc);
        for (let i = 0; i < M; i++) {
          for (let j = 0; j < N; j++) {
            let s = 0;
            for (let k = 0; k < K; k++) {
              s += A[oa + (ta ? k * lda + i : i * lda + k)] * B[ob + (tb ? j * ldb + k : k * ldb + j)];
            }
            const want = alpha * s + beta * c0[oc + i * ldc + j];
            assert.ok(
              Math.abs(C[oc + i * ldc + j] - want) < 1e-4 * (1 + Math.abs(want)),
              `${ta},${tb} ${i},${j}`,
            );
          }
        }
        // entries outside the M × N block (ldc > N) are untouched
        for (let i = 0; i < M; i++) {
          for (let j = N; j < ldc && oc + i * ldc + j < 200; j++) {
            assert.equal(C[oc + i * ldc + j], c0[oc + i * ldc + j]);
          }
        }
        C.set(c0);
      }
    }
  },
});

/** s = σ(1.702u), f = u·s within float32 accuracy (1.702·u rounded to float32 moves e^{−1.702u} by |1.702u|·6e-8). */
function checkGelu(u: Float32Array, s: Float32Array, f: Float32Array): void {
  for (let i = 0; i < u.length; i++) {
    const sg = 1 / (1 + Math.exp(-1.702 * u[i]));
    const tol = 3e-7 * (1 + Math.abs(1.702 * u[i]));
    assert.ok(Math.abs(s[i] - sg) <= tol * sg, `σ at ${u[i]}: ${s[i]} vs ${sg}`);
    assert.ok(Math.abs(f[i] - u[i] * sg) <= tol * Math.abs(u[i] * sg) + 1e-30, `GELU at ${u[i]}`);
  }
}

/** g = 2·GELU′(u) against central differences of the float64 GELU. */
function checkGeluGrad(u: Float32Array, g: Float32Array): void {
  const gelu = (x: number) => x / (1 + Math.exp(-1.702 * x));
  for (let i = 0; i < u.length; i += 7) {
    const x = u[i], h = 1e-4;
    const fd = (gelu(x + h) - gelu(x - h)) / (2 * h);
    assert.ok(Math.abs(g[i] / 2 - fd) < 1e-5, `GELU′ at ${x}: ${g[i] / 2} vs ${fd}`);
  }
}

Deno.test("GELU kernels: σ(1.702u) and u·σ(1.702u) to float32 accuracy; derivative equals FD (in place in the arena)", () => {
  assert.ok(simdAvailable(), "WebAssembly SIMD is available in Deno");
  const n = 1003; // not a multiple of 4: the tail is padded
  const arena = new GeluArena(n);
  arena.u.set(Float32Array.from({ length: n }, (_, i) => (i - 501) / 25));
  arena.forward();
  checkGelu(arena.u, arena.s, arena.f);
  arena.g.fill(2);
  arena.backward();
  checkGeluGrad(arena.u, arena.g);
  // saturation: σ → 0 and 1 without NaN or Inf
  const big = new GeluArena(4);
  big.u.set([-200, 200, -1e30, 1e30]);
  big.forward();
  assert.deepEqual(Array.from(big.s).map((x) => Math.round(x)), [0, 1, 0, 1]);
  assert.ok(Array.from(big.f).every(Number.isFinite));
});

Deno.test("expFast: eˣ within float32 rounding on [−100, 88]; 0 below the float32 range", () => {
  for (let x = -100; x <= 88; x += 0.37) {
    const want = Math.exp(x);
    assert.ok(Math.abs(expFast(x) - want) <= 2e-8 * want, `e^${x}`);
  }
  assert.equal(expFast(-200), 0);
});
