/**
 * The TinyTransformer's forward and backward pass written on host Float32Arrays (the native model path of
 * the cpu and wasm backends): weight and attention matmuls as OpenBLAS `cblas_sgemm` calls on strided views
 * (heads read in place from the fused qkv buffer, transposes as BLAS flags), LayerNorm, causal softmax,
 * GELU, residuals and bias sums as single-pass loops. The network is the one of lib/policies/transformer.ts
 * (pre-LN GPT-2 layout, GELU(u) = u·σ(1.702u), LayerNorm ε = 1e-5, masked scores = score − 1e9);
 * `nativeForward` keeps the activations the backward needs in a `NativeTape`, and `nativeBackward` maps
 * ∂loss/∂logits to the gradient of every weight (hand-derived chain rule, no autodiff). Single-threaded
 * BLAS and fixed loop orders make results identical run to run.
 */
import { columnSums, hostBuffer, sgemmStrided } from "../core/blas.ts";
import { GeluArena } from "../core/simd.ts";

/** Shapes of the model: vocabulary V, width d, blocks L, heads H, MLP width F. */
export interface NativeDims {
  /** Vocabulary size V. */
  V: number;
  /** Residual width d. */
  d: number;
  /** Number of blocks L. */
  L: number;
  /** Attention heads H (d/H per head). */
  H: number;
  /** MLP hidden width F. */
  F: number;
}

/** Per-block weights (views in the order of TinyTransformer.variables). */
interface BlockW {
  ln1g: Float32Array;
  ln1b: Float32Array;
  wqkv: Float32Array;
  bqkv: Float32Array;
  wo: Float32Array;
  bo: Float32Array;
  ln2g: Float32Array;
  ln2b: Float32Array;
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** Activations of one block kept for the backward pass. */
interface BlockTape {
  xh1: Float32Array;
  rs1: Float32Array;
  a1: Float32Array;
  qkv: Float32Array;
  p: Float32Array;
  att: Float32Array;
  xh2: Float32Array;
  rs2: Float32Array;
  m: Float32Array;
  /** u = m·W1 + b1, σ(1.702u), GELU(u) and the backward's ∂/∂u, in one SIMD arena. */
  gelu: GeluArena;
}

/** Activations of one forward pass over B rows of T tokens; `logits` [B·T, V] is its output. */
export interface NativeTape {
  /** Rows B. */
  B: number;
  /** Tokens per row T. */
  T: number;
  /** Token ids [B·T]. */
  tok: Int32Array;
  /** Positions p = max(cumsum(valid) − 1, 0) [B·T]. */
  pos: Int32Array;
  /** Valid flags [B·T] (0: left padding, never attended to). */
  valid: Uint8Array;
  /** Per row, the first valid position (T when none). */
  first: Int32Array;
  /** Per-block activations. */
  blocks: BlockTape[];
  /** Residual stream work buffer [B·T, d]. */
  h: Float32Array;
  /** Final LayerNorm x̂ and 1/σ, and its output. */
  xhf: Float32Array;
  rsf: Float32Array;
  outf: Float32Array;
  /** Logits [B·T, V]. */
  logits: Float32Array;
  /** Backward work buffers (allocated on the first backward pass). */
  work?: {
    dh: Float32Array;
    dtmp: Float32Array;
    dqkv: Float32Array;
    dP: Float32Array;
  };
}

const POW2 = new Float64Array(300);
for (let i = 0; i < 300; i++) POW2[i] = Math.pow(2, i - 160);
const LOG2E = Math.LOG2E;
const LN2 = Math.LN2;

/**
 * eˣ for float32 use: 2ⁿ·e^r with n = round(x·log₂e), |r| ≤ ln2/2 and e^r by its degree-7 Taylor
 * polynomial (relative error < 1e-8, below float32 rounding); 0 below −104, capped at e^88.
 */
export function expFast(x: number): number {
  if (x < -104) return 0;
  if (x > 88) x = 88;
  const n = Math.round(x * LOG2E);
  const r = x - n * LN2;
  return POW2[n + 160] *
    (1 + r * (1 + r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040))))))));
}

/** Split the flat weight list (TinyTransformer.variables order) into named views. */
function unpack(dims: NativeDims, w: Float32Array[]) {
  const blocks: BlockW[] = [];
  let i = 2;
  for (let l = 0; l < dims.L; l++) {
    const [ln1g, ln1b, wqkv, bqkv, wo, bo, ln2g, ln2b, w1, b1, w2, b2] = w.slice(i, i + 12);
    blocks.push({ ln1g, ln1b, wqkv, bqkv, wo, bo, ln2g, ln2b, w1, b1, w2, b2 });
    i += 12;
  }
  return { tok: w[0], pos: w[1], blocks, lnfg: w[i], lnfb: w[i + 1], headw: w[i + 2], headb: w[i + 3] };
}

/** y = γ ⊙ x̂ + β with x̂ = (x − μ)/√(σ² + ε) per row of width D (float64 statistics); keeps x̂ and 1/√(σ²+ε). */
function layerNormRows(
  x: Float32Array,
  g: Float32Array,
  b: Float32Array,
  xh: Float32Array,
  rs: Float32Array,
  y: Float32Array,
  R: number,
  D: number,
): void {
  for (let r = 0, o = 0; r < R; r++, o += D) {
    let mu = 0;
    for (let j = 0; j < D; j++) mu += x[o + j];
    mu /= D;
    let v = 0;
    for (let j = 0; j < D; j++) {
      const c = x[o + j] - mu;
      v += c * c;
    }
    const rstd = 1 / Math.sqrt(v / D + 1e-5);
    rs[r] = rstd;
    for (let j = 0; j < D; j++) {
      const hh = Math.fround((x[o + j] - mu) * rstd);
      xh[o + j] = hh;
      y[o + j] = hh * g[j] + b[j];
    }
  }
}

/**
 * LayerNorm backward, accumulated: dx += rstd·(ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) with ĝ = dy ⊙ γ;
 * dg += Σ_rows dy ⊙ x̂, db += Σ_rows dy (float64 sums).
 */
function layerNormBackward(
  dy: Float32Array,
  xh: Float32Array,
  rs: Float32Array,
  g: Float32Array,
  dx: Float32Array,
  dg: Float64Array,
  db: Float64Array,
  R: number,
  D: number,
): void {
  for (let r = 0, o = 0; r < R; r++, o += D) {
    let m1 = 0, m2 = 0;
    for (let j = 0; j < D; j++) {
      const dd = dy[o + j], hh = xh[o + j], gh = dd * g[j];
      m1 += gh;
      m2 += gh * hh;
      dg[j] += dd * hh;
      db[j] += dd;
    }
    m1 /= D;
    m2 /= D;
    const rstd = rs[r];
    for (let j = 0; j < D; j++) dx[o + j] += rstd * (dy[o + j] * g[j] - m1 - xh[o + j] * m2);
  }
}

/** out[r, :] = bias for every row (the β = 1 sgemm then adds the product). */
function fillRows(out: Float32Array, bias: Float32Array, R: number): void {
  const N = bias.length;
  for (let r = 0; r < R; r++) out.set(bias, r * N);
}

/** out[r, :] += bias for every row. */
function addRows(out: Float32Array, bias: Float32Array, R: number): void {
  const N = bias.length;
  for (let r = 0, o = 0; r < R; r++) for (let j = 0; j < N; j++, o++) out[o] += bias[j];
}

/** Allocate the activations of one forward pass over B rows of T tokens. */
export function newTape(dims: NativeDims, B: number, T: number): NativeTape {
  const { d, L, H, F, V } = dims;
  const R = B * T;
  const blocks: BlockTape[] = [];
  for (let l = 0; l < L; l++) {
    blocks.push({
      xh1: hostBuffer(R * d),
      rs1: hostBuffer(R),
      a1: hostBuffer(R * d),
      qkv: hostBuffer(R * 3 * d),
      p: hostBuffer(B * H * T * T),
      att: hostBuffer(R * d),
      xh2: hostBuffer(R * d),
      rs2: hostBuffer(R),
      m: hostBuffer(R * d),
      gelu: new GeluArena(R * F),
    });
  }
  return {
    B,
    T,
    tok: new Int32Array(R),
    pos: new Int32Array(R),
    valid: new Uint8Array(R),
    first: new Int32Array(B),
    blocks,
    h: hostBuffer(R * d),
    xhf: hostBuffer(R * d),
    rsf: hostBuffer(R),
    outf: hostBuffer(R * d),
    logits: hostBuffer(R * V),
  };
}

/**
 * Forward pass into `tape` (sized for B rows of T tokens): tokens and valid are row-major [B, T] (valid
 * 0 marks left padding: not attended to, positions p_t = max(cumsum(valid)_t − 1, 0)). Fills tape.logits.
 */
export function nativeForward(
  dims: NativeDims,
  weights: Float32Array[],
  tokens: ArrayLike<number>,
  valid: ArrayLike<number>,
  tape: NativeTape,
): void {
  const { d, H, F, V } = dims;
  const { B, T, tok, pos, h } = tape;
  const R = B * T, dh = d / H, d3 = 3 * d, scale = 1 / Math.sqrt(dh);
  const W = unpack(dims, weights);
  for (let b = 0; b < B; b++) {
    let c = 0;
    tape.first[b] = T;
    for (let t = 0; t < T; t++) {
      const r = b * T + t;
      tok[r] = tokens[r];
      tape.valid[r] = valid[r] ? 1 : 0;
      c += tape.valid[r];
      pos[r] = Math.max(c - 1, 0);
      if (c === 1 && tape.valid[r]) tape.first[b] = t;
    }
  }
  for (let r = 0; r < R; r++) {
    const to = tok[r] * d, po = pos[r] * d, o = r * d;
    for (let j = 0; j < d; j++) h[o + j] = W.tok[to + j] + W.pos[po + j];
  }
  const ok = tape.valid;
  for (let l = 0; l < dims.L; l++) {
    const w = W.blocks[l], bt = tape.blocks[l];
    layerNormRows(h, w.ln1g, w.ln1b, bt.xh1, bt.rs1, bt.a1, R, d);
    fillRows(bt.qkv, w.bqkv, R);
    sgemmStrided(false, false, R, d3, d, 1, bt.a1, 0, d, w.wqkv, 0, d3, 1, bt.qkv, 0, d3);
    const { qkv, p, att } = bt;
    for (let b = 0; b < B; b++) {
      const vb = b * T, fv = tape.first[b];
      // whether every key from the first valid one on is valid (left padding only): no per-key mask test
      let contiguous = true;
      for (let j = fv; j < T; j++) if (!ok[vb + j]) contiguous = false;
      for (let hh = 0; hh < H; hh++) {
        const qo = vb * d3 + hh * dh, po = (b * H + hh) * T * T;
        // S = scale·Q·Kᵀ (T × T) straight from the fused qkv rows
        sgemmStrided(false, true, T, T, dh, scale, qkv, qo, d3, qkv, qo + d, d3, 0, p, po, T);
        // row i attends to keys j ≤ i with valid[b, j] (any exists iff first[b] ≤ i); a row with none is
        // uniform over all T keys (each score − 1e9, equal in float32)
        for (let i = 0; i < T; i++) {
          const ro = po + i * T;
          if (i < fv) {
            p.fill(1 / T, ro, ro + T);
            continue;
          }
          // keys before the first valid one are masked: probability 0, and nothing added to z
          if (fv > 0) p.fill(0, ro, ro + fv);
          let mx = -Infinity;
          for (let j = fv; j <= i; j++) if ((contiguous || ok[vb + j]) && p[ro + j] > mx) mx = p[ro + j];
          let z = 0;
          for (let j = fv; j <= i; j++) {
            let e = 0;
            const x = p[ro + j] - mx;
            if ((contiguous || ok[vb + j]) && x >= -104) { // eˣ as in expFast, inlined (a call would box it)
              const n = Math.round(x * LOG2E), r = x - n * LN2;
              e = POW2[n + 160] *
                (1 +
                  r *
                    (1 +
                      r *
                        (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040))))))));
            }
            p[ro + j] = e;
            z += e;
          }
          const iz = 1 / z;
          for (let j = fv; j <= i; j++) p[ro + j] *= iz;
          p.fill(0, ro + i + 1, ro + T);
        }
        // O = P·V into the head's columns of att [B·T, d]
        sgemmStrided(false, false, T, dh, T, 1, p, po, T, qkv, qo + 2 * d, d3, 0, att, vb * d + hh * dh, d);
      }
    }
    addRows(h, w.bo, R);
    sgemmStrided(false, false, R, d, d, 1, att, 0, d, w.wo, 0, d, 1, h, 0, d);
    layerNormRows(h, w.ln2g, w.ln2b, bt.xh2, bt.rs2, bt.m, R, d);
    const ga = bt.gelu;
    fillRows(ga.u, w.b1, R);
    sgemmStrided(false, false, R, F, d, 1, bt.m, 0, d, w.w1, 0, F, 1, ga.u, 0, F);
    ga.forward();
    addRows(h, w.b2, R);
    sgemmStrided(false, false, R, d, F, 1, ga.f, 0, F, w.w2, 0, d, 1, h, 0, d);
  }
  layerNormRows(h, W.lnfg, W.lnfb, tape.xhf, tape.rsf, tape.outf, R, d);
  fillRows(tape.logits, W.headb, R);
  sgemmStrided(false, false, R, V, d, 1, tape.outf, 0, d, W.headw, 0, V, 1, tape.logits, 0, V);
}

/** Gradient buffers shaped like `weights` (for `nativeBackward`). */
export function newGradients(weights: Float32Array[]): Float32Array[] {
  return weights.map((w) => hostBuffer(w.length));
}

/**
 * Backward pass of `nativeForward`: given dLogits [B·T, V] = ∂loss/∂logits, writes ∂loss/∂w for every
 * weight into `grads` (from `newGradients`, TinyTransformer.variables order; fully overwritten).
 */
export function nativeBackward(
  dims: NativeDims,
  weights: Float32Array[],
  tape: NativeTape,
  dLogits: Float32Array,
  grads: Float32Array[],
): void {
  const { d, H, F, V } = dims;
  const { B, T } = tape;
  const R = B * T, dh = d / H, d3 = 3 * d, scale = 1 / Math.sqrt(dh);
  const W = unpack(dims, weights);
  const G = unpack(dims, grads);
  tape.work ??= {
    dh: hostBuffer(R * d),
    dtmp: hostBuffer(R * d),
    dqkv: hostBuffer(R * d3),
    dP: hostBuffer(T * T),
  };
  const { dh: dh1, dtmp, dqkv, dP } = tape.work;
  dh1.fill(0);
  G.tok.fill(0);
  G.pos.fill(0);
  const acc = new Float64Array(Math.max(F, d3, V)), acc2 = new Float64Array(d);
  const store = (dst: Float32Array, a: Float64Array) => {
    for (let j = 0; j < dst.length; j++) dst[j] = a[j];
  };
  // head: logits = outf·Wh + bh
  sgemmStrided(true, false, d, V, R, 1, tape.outf, 0, d, dLogits, 0, V, 0, G.headw, 0, V);
  columnSums(R, V, dLogits, G.headb);
  sgemmStrided(false, true, R, d, V, 1, dLogits, 0, V, W.headw, 0, V, 0, dtmp, 0, d);
  acc.fill(0, 0, d);
  acc2.fill(0);
  layerNormBackward(dtmp, tape.xhf, tape.rsf, W.lnfg, dh1, acc, acc2, R, d);
  store(G.lnfg, acc);
  store(G.lnfb, acc2);
  for (let l = dims.L - 1; l >= 0; l--) {
    const w = W.blocks[l], g = G.blocks[l], bt = tape.blocks[l];
    // MLP: h ← h + f·W2 + b2, f = u·σ(1.702u), u = m·W1 + b1
    const ga = bt.gelu, df = ga.g;
    sgemmStrided(true, false, F, d, R, 1, ga.f, 0, F, dh1, 0, d, 0, g.w2, 0, d);
    columnSums(R, d, dh1, g.b2);
    sgemmStrided(false, true, R, F, d, 1, dh1, 0, d, w.w2, 0, d, 0, df, 0, F);
    ga.backward();
    sgemmStrided(true, false, d, F, R, 1, bt.m, 0, d, df, 0, F, 0, g.w1, 0, F);
    columnSums(R, F, df, g.b1);
    sgemmStrided(false, true, R, d, F, 1, df, 0, F, w.w1, 0, F, 0, dtmp, 0, d);
    acc.fill(0, 0, d);
    acc2.fill(0);
    layerNormBackward(dtmp, bt.xh2, bt.rs2, w.ln2g, dh1, acc, acc2, R, d);
    store(g.ln2g, acc);
    store(g.ln2b, acc2);
    // attention output: h ← h + att·Wo + bo
    sgemmStrided(true, false, d, d, R, 1, bt.att, 0, d, dh1, 0, d, 0, g.wo, 0, d);
    columnSums(R, d, dh1, g.bo);
    sgemmStrided(false, true, R, d, d, 1, dh1, 0, d, w.wo, 0, d, 0, dtmp, 0, d); // d(att)
    const { qkv, p } = bt;
    for (let b = 0; b < B; b++) {
      const vb = b * T, fv = tape.first[b];
      for (let hh = 0; hh < H; hh++) {
        const qo = vb * d3 + hh * dh, po = (b * H + hh) * T * T, oo = vb * d + hh * dh;
        // O = P·V: dP = dO·Vᵀ, dV = Pᵀ·dO
        sgemmStrided(false, true, T, T, dh, 1, dtmp, oo, d, qkv, qo + 2 * d, d3, 0, dP, 0, T);
        sgemmStrided(true, false, T, dh, T, 1, p, po, T, dtmp, oo, d, 0, dqkv, qo + 2 * d, d3);
        // softmax: dS = P ⊙ (dP − Σ_j P dP)
        for (let i = 0; i < T; i++) {
          const ro = po + i * T, rd = i * T, end = i < fv ? T : i + 1; // P is 0 beyond i unless uniform
          let sum = 0;
          for (let j = 0; j < end; j++) sum += p[ro + j] * dP[rd + j];
          for (let j = 0; j < end; j++) dP[rd + j] = p[ro + j] * (dP[rd + j] - sum);
          if (end < T) dP.fill(0, rd + end, rd + T);
        }
        // S = scale·Q·Kᵀ: dQ = scale·dS·K, dK = scale·dSᵀ·Q
        sgemmStrided(false, false, T, dh, T, scale, dP, 0, T, qkv, qo + d, d3, 0, dqkv, qo, d3);
        sgemmStrided(true, false, T, dh, T, scale, dP, 0, T, qkv, qo, d3, 0, dqkv, qo + d, d3);
      }
    }
    // qkv = a1·Wqkv + bqkv
    sgemmStrided(true, false, d, d3, R, 1, bt.a1, 0, d, dqkv, 0, d3, 0, g.wqkv, 0, d3);
    columnSums(R, d3, dqkv, g.bqkv);
    sgemmStrided(false, true, R, d, d3, 1, dqkv, 0, d3, w.wqkv, 0, d3, 0, dtmp, 0, d);
    acc.fill(0, 0, d);
    acc2.fill(0);
    layerNormBackward(dtmp, bt.xh1, bt.rs1, w.ln1g, dh1, acc, acc2, R, d);
    store(g.ln1g, acc);
    store(g.ln1b, acc2);
  }
  // embeddings: h₀[r] = E_tok[tok_r] + E_pos[pos_r]
  for (let r = 0; r < R; r++) {
    const to = tape.tok[r] * d, po = tape.pos[r] * d, o = r * d;
    for (let j = 0; j < d; j++) {
      G.tok[to + j] += dh1[o + j];
      G.pos[po + j] += dh1[o + j];
    }
  }
}
