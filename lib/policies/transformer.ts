/**
 * A tiny causal (GPT-style) transformer language-model policy for RL on token sequences.
 *
 * Architecture (Radford et al. 2019 "GPT-2" layout, pre-LayerNorm):
 *   h₀ = E_tok[x_t] + E_pos[p_t],  p_t = cumsum(valid)_t − 1 (so left padding does not shift positions)
 *   per block:  h ← h + W_o·Attn(LN₁(h)),  h ← h + W₂·GELU(W₁·LN₂(h) + b₁) + b₂
 *   logits = LN_f(h)·W_head + b_head     (untied output head: W_head is separate from E_tok)
 * Attention is multi-head, causal, and ignores padded keys (valid = 0). GELU uses the sigmoid approximation
 * GELU(x) ≈ x·σ(1.702x) (Hendrycks & Gimpel 2016, arXiv:1606.08415). Weights are drawn on the host from
 * `Rng(config.seed)` (N(0, 0.02²); residual output projections N(0, (0.02/√(2·nLayers))²); biases 0, LN
 * gains 1), so initialisation is identical on every backend.
 *
 * Speed notes: on the cpu and wasm backends with OpenBLAS loadable (`nativeModelPathActive`), the whole
 * network runs as one `tf.customGrad` op whose forward and hand-written backward work on host Float32Arrays
 * with strided sgemm calls (lib/policies/transformer_native.ts), so objectives written in tfjs ops on the
 * logits or log-probs still get gradients; KV-cache sampling then decodes on host buffers (`HostDecoder`, no
 * tfjs kernel per token). Elsewhere (webgpu, tensorflow, or `useNativeModelPath(false)`) the network below
 * runs as tfjs ops: token/position lookups are one-hot matmuls (`embed`, no `tf.gather`, whose gradient is
 * missing on wasm), matmuls use transpose flags only where they are free (OpenBLAS kernels, `matMulBT`),
 * LayerNorm (ε = 1e-5) has a closed-form gradient, and importing this module installs the fast BatchMatMul
 * gradient (`registerFastGradients`, lib/core/fastops.ts).
 */
import { tf } from "../core/tf.ts";
import type { Tensor, Tensor2D, Tensor3D, Variable } from "../core/tf.ts";
import { Rng } from "../core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError, resolveConfig } from "../core/validate.ts";
import {
  embed,
  hostValues,
  layerNorm,
  matMulBT,
  registerFastGradients,
  selectLastAxis,
} from "../core/fastops.ts";
import { hostBuffer, nativeBlasAvailable, sgemm } from "../core/blas.ts";
import { GeluArena } from "../core/simd.ts";
import {
  expFast,
  nativeBackward,
  type NativeDims,
  nativeForward,
  type NativeTape,
  newGradients,
  newTape,
} from "./transformer_native.ts";

registerFastGradients();

/** Hyper-parameters of `TinyTransformer`. */
export interface TinyTransformerConfig {
  /** Number of token ids (tokens are integers in [0, vocabSize)). */
  vocabSize: number;
  /** Maximum sequence length (prompt + response); size of the learned position table. */
  contextLength: number;
  /** Residual width d (default 64). */
  dModel?: number;
  /** Number of transformer blocks (default 2). */
  nLayers?: number;
  /** Attention heads; must divide dModel (default 4). */
  nHeads?: number;
  /** MLP hidden width (default 4·dModel). */
  dFF?: number;
  /** Seed for weight initialisation (`Rng`). */
  seed: number;
  /** Token id used for padding (default 0); `valid` is derived as tokens ≠ padToken when omitted. */
  padToken?: number;
}

/** JSON-serializable weights: variable name → shape and row-major values. */
export type TransformerWeights = Record<string, { shape: number[]; data: number[] }>;

/** Options of `TinyTransformer.sample`. */
export interface TransformerSampleOptions {
  /** Maximum number of response tokens per row (forced tokens included). */
  maxTokens: number;
  /** Seed of the host `Rng` that draws the tokens. */
  seed: number;
  /** Sampling temperature τ > 0: tokens ~ softmax(logits/τ) (default 1). */
  temperature?: number;
  /** End-of-sequence token: a row stops after emitting it (it is included in the response). */
  eos?: number;
  /** forced[i]: tokens teacher-forced as the first response tokens of row i (fed, not sampled). */
  forced?: number[][];
}

/** Result of `TinyTransformer.sample`: per row, the response tokens and their log-probs/entropies. */
export interface TransformerSampleResult {
  /** Response tokens (eos included when emitted). */
  responses: number[][];
  /** log π(token | prefix) under the sampling distribution softmax(logits/τ), one per response token. */
  logProbs: number[][];
  /** Entropy H = −Σ_v p_v log p_v of the sampling distribution at each response step. */
  entropies: number[][];
  /** Whether the row emitted eos (false: stopped at maxTokens). */
  finished: boolean[];
}

const FORMAT = "sweetspot.tiny-transformer/v1";
const NEG_INF = -1e9;
const ONES = new Uint8Array(4096).fill(1);

interface Block {
  ln1g: Variable;
  ln1b: Variable;
  wqkv: Variable;
  bqkv: Variable;
  wo: Variable;
  bo: Variable;
  ln2g: Variable;
  ln2b: Variable;
  w1: Variable;
  b1: Variable;
  w2: Variable;
  b2: Variable;
}

interface KV {
  k: Tensor;
  v: Tensor;
}

/** GELU(x) ≈ x·σ(1.702x). */
function gelu(x: Tensor): Tensor {
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
}

/**
 * Causal transformer LM policy with KV-cache sampling; see the module comment for the architecture.
 *
 * @example A 1-layer model sized for an addition task
 * ```ts
 * import { AdditionTask, TinyTransformer } from "../../mod.ts";
 *
 * const task = new AdditionTask({ minDigits: 1, maxDigits: 2 });
 * const policy = new TinyTransformer({
 *   vocabSize: task.vocab.size,
 *   contextLength: task.maxSequenceLength,
 *   dModel: 16,
 *   nLayers: 1,
 *   nHeads: 2,
 *   seed: 0, // same seed, same initial weights
 * });
 * ```
 */
export class TinyTransformer {
  /** Resolved configuration (defaults filled in). */
  readonly config: Required<TinyTransformerConfig>;
  /** All trainable weights, in the stable order of `variableNames`. */
  readonly variables: Variable[];
  /** Names of `variables` (same order), e.g. "tok_emb", "h0.attn.wqkv", "head.w". */
  readonly variableNames: string[];
  private readonly tokEmb: Variable;
  private readonly posEmb: Variable;
  private readonly blocks: Block[];
  private readonly lnfG: Variable;
  private readonly lnfB: Variable;
  private readonly headW: Variable;
  private readonly headB: Variable;
  private disposed = false;
  private readonly tapes = new Map<string, NativeTape[]>();
  private gradBuffers?: Float32Array[];

  /** Build a model with weights initialised from `config.seed`; throws ConfigError on bad fields. */
  constructor(config: TinyTransformerConfig) {
    this.config = resolveTransformerConfig(config);
    const { vocabSize: V, contextLength: C, dModel: d, nLayers: L, dFF: F, seed } = this.config;
    const rng = new Rng(seed);
    const names: string[] = [];
    const vars: Variable[] = [];
    const mk = (name: string, shape: number[], init: "normal" | "zeros" | "ones", std = 0.02): Variable => {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(n);
      if (init === "ones") data.fill(1);
      else if (init === "normal") { for (let i = 0; i < n; i++) data[i] = rng.normal(0, std); }
      const t0 = tf.tensor(data, shape);
      const v = tf.variable(t0, true); // shares t0's buffer (ref-counted); drop the temporary handle
      t0.dispose();
      names.push(name);
      vars.push(v);
      return v;
    };
    const residStd = 0.02 / Math.sqrt(2 * Math.max(L, 1));
    this.tokEmb = mk("tok_emb", [V, d], "normal");
    this.posEmb = mk("pos_emb", [C, d], "normal");
    this.blocks = [];
    for (let l = 0; l < L; l++) {
      const p = `h${l}.`;
      this.blocks.push({
        ln1g: mk(p + "ln1.g", [d], "ones"),
        ln1b: mk(p + "ln1.b", [d], "zeros"),
        wqkv: mk(p + "attn.wqkv", [d, 3 * d], "normal"),
        bqkv: mk(p + "attn.bqkv", [3 * d], "zeros"),
        wo: mk(p + "attn.wo", [d, d], "normal", residStd),
        bo: mk(p + "attn.bo", [d], "zeros"),
        ln2g: mk(p + "ln2.g", [d], "ones"),
        ln2b: mk(p + "ln2.b", [d], "zeros"),
        w1: mk(p + "mlp.w1", [d, F], "normal"),
        b1: mk(p + "mlp.b1", [F], "zeros"),
        w2: mk(p + "mlp.w2", [F, d], "normal", residStd),
        b2: mk(p + "mlp.b2", [d], "zeros"),
      });
    }
    this.lnfG = mk("ln_f.g", [d], "ones");
    this.lnfB = mk("ln_f.b", [d], "zeros");
    this.headW = mk("head.w", [d, V], "normal");
    this.headB = mk("head.b", [V], "zeros");
    this.variables = vars;
    this.variableNames = names;
  }

  /**
   * One pass of the network over T new tokens per row. `keyBias` [B, 1, T, Tpast+T] is 0 where attention
   * is allowed and −1e9 elsewhere; `past` holds per-layer cached keys/values [B, H, Tpast, dh].
   * Returns logits [B, T, V] and the per-layer keys/values including the new tokens.
   */
  private core(
    tokens: Tensor,
    pos: Tensor,
    keyBias: Tensor,
    past: KV[] | null,
  ): { logits: Tensor; kv: KV[] } {
    const { dModel: d, nHeads: H, vocabSize: V } = this.config;
    const [B, T] = tokens.shape;
    const dh = d / H;
    const scale = 1 / Math.sqrt(dh);
    let h = tf.reshape(tf.add(embed(tokens, this.tokEmb), embed(pos, this.posEmb)), [B * T, d]);
    // [B·T, 3d] → q, k, v heads [B, H, T, dh]: one transpose to [B, 3H, T, dh] and a split along axis 1
    // (contiguous blocks per row); for T = 1 the transpose moves no data, so it is a reshape.
    const heads = (qkv: Tensor) =>
      tf.split(
        T === 1
          ? tf.reshape(qkv, [B, 3 * H, 1, dh])
          : tf.transpose(tf.reshape(qkv, [B, T, 3 * H, dh]), [0, 2, 1, 3]),
        3,
        1,
      );
    const kv: KV[] = [];
    this.blocks.forEach((blk, l) => {
      const a = layerNorm(h, blk.ln1g, blk.ln1b);
      const qkv = tf.add(tf.matMul(a, blk.wqkv), blk.bqkv); // [B·T, 3d]
      const [q0, k0, v0] = heads(qkv);
      const k = past ? tf.concat([past[l].k, k0], 2) : k0;
      const v = past ? tf.concat([past[l].v, v0], 2) : v0;
      kv.push({ k, v });
      const q = tf.mul(q0, scale);
      const scores = tf.add(matMulBT(q, k), keyBias); // [B, H, T, Tk]
      const att = tf.matMul(tf.softmax(scores), v); // [B, H, T, dh]
      const merged = tf.reshape(T === 1 ? att : tf.transpose(att, [0, 2, 1, 3]), [B * T, d]);
      h = tf.add(h, tf.add(tf.matMul(merged, blk.wo), blk.bo));
      const m = layerNorm(h, blk.ln2g, blk.ln2b);
      const f = gelu(tf.add(tf.matMul(m, blk.w1), blk.b1));
      h = tf.add(h, tf.add(tf.matMul(f, blk.w2), blk.b2));
    });
    const out = layerNorm(h, this.lnfG, this.lnfB);
    const logits = tf.reshape(tf.add(tf.matMul(out, this.headW), this.headB), [B, T, V]);
    return { logits, kv };
  }

  /** Model shapes for the native path. */
  private dims(): NativeDims {
    const { vocabSize: V, dModel: d, nLayers: L, nHeads: H, dFF: F } = this.config;
    return { V, d, L, H, F };
  }

  /** A free activation tape for B rows of T tokens (reused across passes). */
  private takeTape(B: number, T: number): NativeTape {
    const free = this.tapes.get(`${B}x${T}`);
    return free?.pop() ?? newTape(this.dims(), B, T);
  }

  /** Return a tape to the pool (at most two kept per shape). */
  private giveTape(tape: NativeTape): void {
    const key = `${tape.B}x${tape.T}`;
    const free = this.tapes.get(key) ?? [];
    if (free.length < 2) free.push(tape);
    this.tapes.set(key, free);
  }

  /**
   * Logits [B, T, V] by the native path (lib/policies/transformer_native.ts) as one `tf.customGrad` op of
   * all weights, whose gradient is the hand-written backward pass.
   */
  private nativeLogits(tokens: Tensor, validF: Tensor): Tensor {
    const [B, T] = tokens.shape;
    const V = this.config.vocabSize;
    const dims = this.dims();
    const tok = tokens.dataSync(), val = validF.dataSync();
    const recording = tf.engine().state.gradientDepth > 0;
    const f = (...args: unknown[]) => {
      args.pop(); // customGrad's save: unused, the weights are read again from the variables themselves
      const ws = args as Tensor[];
      const tape = this.takeTape(B, T);
      nativeForward(dims, ws.map(hostValues), tok, val, tape);
      const value = tf.tensor3d(tf.getBackend() === "cpu" ? tape.logits.slice() : tape.logits, [B, T, V]);
      if (!recording) {
        this.giveTape(tape);
        return { value, gradFunc: () => ws.map((w) => tf.zerosLike(w)) };
      }
      // The backward reads the weights from the same tensors (no saved clones): within one gradient
      // computation they are not reassigned. Views are taken afresh, as the wasm heap may have grown since.
      const gradFunc = (dy: Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const wv = ws.map(hostValues);
        // the wasm backend copies tensor values in, so its gradient buffers are reused; cpu adopts them
        const grads = tf.getBackend() === "wasm" ? (this.gradBuffers ??= newGradients(wv)) : newGradients(wv);
        nativeBackward(dims, wv, tape, g, grads);
        this.giveTape(tape);
        return grads.map((a, i) => tf.tensor(a, ws[i].shape, "float32"));
      };
      return { value, gradFunc };
    };
    const op = tf.customGrad(f as Parameters<typeof tf.customGrad>[0]) as (...ws: Tensor[]) => Tensor;
    return op(...this.variables);
  }

  /** valid as float32 [B, T] (derived as tokens ≠ padToken when omitted); checks shapes. */
  private validOf(tokens: Tensor, valid?: Tensor): Tensor {
    if (tokens.rank !== 2) {
      throw new ConfigError("tokens", "must be a rank-2 [batch, time] tensor", tokens.shape);
    }
    const T = tokens.shape[1] as number;
    if (T < 1 || T > this.config.contextLength) {
      throw new ConfigError("tokens", `must have 1 ≤ time ≤ contextLength (${this.config.contextLength})`, T);
    }
    if (valid === undefined) return tf.cast(tf.notEqual(tokens, this.config.padToken), "float32");
    if (valid.rank !== 2 || valid.shape[0] !== tokens.shape[0] || valid.shape[1] !== T) {
      throw new ConfigError(
        "valid",
        `must have the shape of tokens ${JSON.stringify(tokens.shape)}`,
        valid.shape,
      );
    }
    return tf.cast(valid, "float32");
  }

  /** Full-sequence pass: logits [B, T, V] plus per-layer keys/values (for KV-cache prefill). */
  private full(tokens: Tensor, valid?: Tensor): { logits: Tensor; kv: KV[] } {
    this.assertAlive();
    const validF = this.validOf(tokens, valid);
    const [B, T] = tokens.shape;
    const ids = tokens.dtype === "int32" ? tokens : tf.cast(tokens, "int32");
    if (nativeModelPathActive()) return { logits: this.nativeLogits(ids, validF), kv: [] };
    // positions p_t = max(cumsum(valid)_t − 1, 0), cumsum as valid·U with U upper-triangular ones.
    const upper = tf.tensor2d(triangle(T, (i, j) => i <= j), [T, T]);
    const cum = tf.matMul(validF, upper);
    const pos = tf.cast(tf.maximum(tf.sub(cum, 1), 0), "int32");
    // allowed[b, i, j] = [j ≤ i] · valid[b, j]; bias = (allowed − 1)·1e9.
    const causal = tf.tensor4d(triangle(T, (i, j) => j <= i), [1, 1, T, T]);
    const allowed = tf.mul(causal, tf.reshape(validF, [B, 1, 1, T]));
    const bias = tf.mul(tf.sub(allowed, 1), -NEG_INF);
    return this.core(ids, pos, bias, null);
  }

  /**
   * Causal logits [B, T, V] for int32 tokens [B, T]. `valid` [B, T] (1 = real, 0 = pad) masks attention to
   * pads and sets positions to cumsum(valid) − 1; derived as tokens ≠ padToken when omitted. Pure tfjs ops
   * (usable inside tf.variableGrads / optimizer.minimize). Logits at pad positions are meaningless.
   */
  forward(tokens: Tensor2D, valid?: Tensor2D): Tensor3D {
    return tf.tidy(() => this.full(tokens, valid).logits) as Tensor3D;
  }

  /**
   * log p(tokens[:, t] | tokens[:, <t]) for t = 1..T−1 → logProbs [B, T−1], and the entropy −Σ_v p log p of
   * the predictive distribution at those steps → entropy [B, T−1]; both under softmax(logits/temperature)
   * (default temperature 1). Entries whose target is a pad are meaningless (mask them with valid[:, 1:]).
   */
  tokenLogProbs(
    tokens: Tensor2D,
    valid?: Tensor2D,
    temperature = 1,
  ): { logProbs: Tensor2D; entropy: Tensor2D } {
    assertFiniteNumber("temperature", temperature, { min: 0, exclusiveMin: true });
    return tf.tidy(() => {
      const [B, T] = tokens.shape;
      if (T < 2) throw new ConfigError("tokens", "must have at least 2 time steps for tokenLogProbs", T);
      const logits = this.full(tokens, valid).logits;
      let pred = tf.slice(logits, [0, 0, 0], [B, T - 1, -1]);
      if (temperature !== 1) pred = tf.div(pred, temperature);
      const logp = tf.logSoftmax(pred);
      const ids = tokens.dtype === "int32" ? tokens : tf.cast(tokens, "int32");
      const target = tf.slice(ids, [0, 1], [B, T - 1]);
      const logProbs = selectLastAxis(logp, target) as Tensor2D;
      const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), -1)) as Tensor2D;
      return { logProbs, entropy };
    });
  }

  /**
   * Logits over the vocabulary at every target position t = 1..T−1, [B, T−1, V] (the predictions of
   * `tokenLogProbs`: log p = logSoftmax of these); every token is a valid action, so `validActions` is omitted.
   * What value-based objectives read (ROVER's Q = ρ·logit, lib/objectives/rover.ts).
   */
  tokenLogits(tokens: Tensor2D, valid?: Tensor2D): { logits: Tensor3D } {
    return tf.tidy(() => {
      const [B, T] = tokens.shape;
      if (T < 2) throw new ConfigError("tokens", "must have at least 2 time steps for tokenLogits", T);
      return { logits: tf.slice(this.full(tokens, valid).logits, [0, 0, 0], [B, T - 1, -1]) as Tensor3D };
    });
  }

  /**
   * log p(s_t | s_<t) for t = 1..|s|−1 of each (unpadded, variable-length) sequence: the batched training pass
   * `tokenLogProbs` on left-padded rows with an explicit valid mask, read back per row (length |s|−1).
   */
  async logProbs(sequences: number[][], temperature = 1): Promise<number[][]> {
    const C = this.config.contextLength;
    const { tok, val, B, L } = this.leftPad(
      sequences,
      "sequences",
      2,
      C,
      `must have 2..${C} (contextLength) tokens`,
    );
    const tokens = tf.tensor2d(tok, [B, L], "int32");
    const valid = tf.tensor2d(val, [B, L], "float32");
    const { logProbs, entropy } = this.tokenLogProbs(tokens, valid, temperature);
    const flat = await logProbs.data();
    tf.dispose([tokens, valid, logProbs, entropy]);
    return sequences.map((s, i) => Array.from(flat.subarray(i * (L - 1) + L - s.length, (i + 1) * (L - 1))));
  }

  /**
   * KV-cache sampling, one new token per step. Prompts (non-empty, possibly different lengths) are
   * left-padded internally; `forced[i]` are fed as row i's first response tokens (log-probs recorded).
   * A row stops at `eos` or `maxTokens`. Tokens are drawn on the host by `new Rng(seed)`, one uniform per
   * sampled token in row order, so a seed gives identical tokens on the cpu backend. Requires
   * max prompt length + maxTokens ≤ contextLength.
   */
  async sample(prompts: number[][], opts: TransformerSampleOptions): Promise<TransformerSampleResult> {
    const o = resolveConfig("sample", {
      maxTokens: NaN,
      seed: NaN,
      temperature: 1,
      eos: undefined as number | undefined,
      forced: undefined as number[][] | undefined,
    }, opts);
    assertInteger("seed", o.seed);
    assertFiniteNumber("temperature", o.temperature, { min: 0, exclusiveMin: true });
    return await this.decode(prompts, o.maxTokens, o.eos, o.forced, new Rng(o.seed), o.temperature);
  }

  /** Greedy decoding (argmax at each step, i.e. temperature → 0) for evaluation; returns the responses. */
  async greedy(prompts: number[][], opts: { maxTokens: number; eos?: number }): Promise<number[][]> {
    const o = resolveConfig("greedy", { maxTokens: NaN, eos: undefined as number | undefined }, opts);
    return (await this.decode(prompts, o.maxTokens, o.eos, undefined, null, 1)).responses;
  }

  /**
   * Validate token rows (a non-empty array; each row minLength..maxLength ids in [0, V)) and left-pad them with
   * padToken to the longest length L: tokens and valid (1 on real tokens), both row-major [B, L].
   */
  private leftPad(
    rows: number[][],
    field: string,
    minLength: number,
    maxLength: number,
    lengthRule: string,
  ): { tok: Int32Array; val: Float32Array; B: number; L: number } {
    if (!Array.isArray(rows) || rows.length === 0) {
      throw new ConfigError(field, "must be a non-empty array of token arrays", rows);
    }
    const { vocabSize: V, padToken } = this.config;
    rows.forEach((r, i) => {
      if (!Array.isArray(r) || r.length < minLength || r.length > maxLength) {
        throw new ConfigError(`${field}[${i}]`, lengthRule, Array.isArray(r) ? r.length : r);
      }
      r.forEach((t, j) => assertInteger(`${field}[${i}][${j}]`, t, { min: 0, max: V - 1 }));
    });
    const B = rows.length;
    const L = Math.max(...rows.map((r) => r.length));
    const tok = new Int32Array(B * L).fill(padToken);
    const val = new Float32Array(B * L);
    rows.forEach((r, i) => {
      tok.set(r, i * L + L - r.length);
      val.fill(1, i * L + L - r.length, (i + 1) * L);
    });
    return { tok, val, B, L };
  }

  /** KV-cache decoding of `prompts` (forced tokens first), sampled or greedy; host-side on the native model path. */
  private async decode(
    prompts: number[][],
    maxTokens: number,
    eos: number | undefined,
    forced: number[][] | undefined,
    rng: Rng | null,
    temperature: number,
  ): Promise<TransformerSampleResult> {
    this.assertAlive();
    const { vocabSize: V, contextLength: C, padToken } = this.config;
    // Prefill input: left-padded prompts [B, P].
    const { tok, val, B, L: P } = this.leftPad(
      prompts,
      "prompts",
      1,
      Infinity,
      "must be a non-empty array of token ids",
    );
    assertInteger("maxTokens", maxTokens, { min: 1, max: C - P });
    if (eos !== undefined) assertInteger("eos", eos, { min: 0, max: V - 1 });
    if (forced !== undefined) {
      if (!Array.isArray(forced) || forced.length !== B) {
        throw new ConfigError("forced", `must be an array with one token array per prompt (${B})`, forced);
      }
      forced.forEach((f, i) => {
        if (!Array.isArray(f) || f.length > maxTokens) {
          throw new ConfigError(
            `forced[${i}]`,
            `must be an array of at most maxTokens (${maxTokens}) tokens`,
            f,
          );
        }
        f.forEach((t, j) => assertInteger(`forced[${i}][${j}]`, t, { min: 0, max: V - 1 }));
      });
    }

    const keyValid = prompts.map((_, i) => Array.from(val.subarray(i * P, (i + 1) * P)));
    // native model path: prompt pass and decoding on the host (no tfjs kernels per token).
    let host: HostDecoder | null = null;
    let logits: Tensor;
    let kv: KV[];
    if (nativeModelPathActive()) {
      host = new HostDecoder(this, B, P + maxTokens);
      // positions p_t = max(cumsum(valid)_t − 1, 0), as in `full`
      const pos = new Int32Array(B * P);
      for (let b = 0; b < B; b++) {
        let c = 0;
        for (let j = 0; j < P; j++) {
          c += val[b * P + j];
          pos[b * P + j] = Math.max(c - 1, 0);
        }
      }
      host.feed(tok, pos, val, P);
      logits = tf.zeros([0]);
      kv = [];
    } else {
      ({ logits, kv } = tidyKV(() => {
        const r = this.full(tf.tensor2d(tok, [B, P], "int32"), tf.tensor2d(val, [B, P]));
        return { logits: tf.reshape(tf.slice(r.logits, [0, P - 1, 0], [B, 1, V]), [B, V]), kv: r.kv };
      }));
    }

    const responses: number[][] = prompts.map(() => []);
    const logProbs: number[][] = prompts.map(() => []);
    const entropies: number[][] = prompts.map(() => []);
    const finished = prompts.map(() => false);
    const done = prompts.map(() => false);
    const nextTok = new Int32Array(B).fill(padToken);
    const lp = new Float64Array(V);
    try {
      for (let s = 0; s < maxTokens; s++) {
        const data = host ? host.logits : await logits.data();
        for (let i = 0; i < B; i++) {
          if (done[i]) {
            nextTok[i] = padToken;
            continue;
          }
          // log-softmax of logits/τ in float64 on the host.
          let mx = -Infinity;
          for (let v = 0; v < V; v++) {
            lp[v] = data[i * V + v] / temperature;
            if (lp[v] > mx) mx = lp[v];
          }
          let z = 0;
          for (let v = 0; v < V; v++) z += Math.exp(lp[v] - mx);
          const lz = mx + Math.log(z);
          let ent = 0;
          for (let v = 0; v < V; v++) {
            lp[v] -= lz;
            ent -= Math.exp(lp[v]) * lp[v];
          }
          let t: number;
          if (forced && s < forced[i].length) t = forced[i][s];
          else if (rng === null) {
            t = 0;
            for (let v = 1; v < V; v++) if (lp[v] > lp[t]) t = v;
          } else {
            const u = rng.uniform();
            let acc = 0;
            t = V - 1;
            for (let v = 0; v < V; v++) {
              acc += Math.exp(lp[v]);
              if (u < acc) {
                t = v;
                break;
              }
            }
          }
          responses[i].push(t);
          logProbs[i].push(lp[t]);
          entropies[i].push(ent);
          nextTok[i] = t;
          if (eos !== undefined && t === eos) finished[i] = done[i] = true;
        }
        if (s === maxTokens - 1 || done.every((x) => x)) break;
        const pos = new Int32Array(B);
        for (let i = 0; i < B; i++) pos[i] = prompts[i].length + s;
        if (host) {
          host.feed(nextTok, pos, ONES.length >= B ? ONES : new Uint8Array(B).fill(1), 1);
          continue;
        }
        for (let i = 0; i < B; i++) keyValid[i].push(1);
        const Tk = keyValid[0].length;
        const bias = new Float32Array(B * Tk);
        for (let i = 0; i < B; i++) {
          for (let j = 0; j < Tk; j++) {
            bias[i * Tk + j] = keyValid[i][j] ? 0 : NEG_INF;
          }
        }
        const step = tidyKV(() => {
          const r = this.core(
            tf.tensor2d(nextTok, [B, 1], "int32"),
            tf.tensor2d(pos, [B, 1], "int32"),
            tf.tensor4d(bias, [B, 1, 1, Tk]),
            kv,
          );
          return { logits: tf.reshape(r.logits, [B, V]), kv: r.kv };
        });
        tf.dispose([logits, ...kv.flatMap((c) => [c.k, c.v])]);
        logits = step.logits;
        kv = step.kv;
      }
    } finally {
      tf.dispose([logits, ...kv.flatMap((c) => [c.k, c.v])]);
    }
    return { responses, logProbs, entropies, finished };
  }

  /** Current weights as JSON-serializable {name: {shape, data}} (float32 values as numbers). */
  async getWeights(): Promise<TransformerWeights> {
    this.assertAlive();
    const out: TransformerWeights = {};
    for (let i = 0; i < this.variables.length; i++) {
      const v = this.variables[i];
      out[this.variableNames[i]] = { shape: v.shape.slice(), data: Array.from(await v.data()) };
    }
    return out;
  }

  /** Overwrite all weights from `getWeights()` output; throws ConfigError on missing/extra names or bad shapes. */
  setWeights(w: TransformerWeights): void {
    this.assertAlive();
    if (w === null || typeof w !== "object") throw new ConfigError("weights", "must be an object", w);
    const known = new Set(this.variableNames);
    for (const k of Object.keys(w)) {
      if (!known.has(k)) throw new ConfigError(`weights.${k}`, "is not a variable of this model");
    }
    this.variableNames.forEach((name, i) => {
      const e = w[name];
      const v = this.variables[i];
      if (!e) throw new ConfigError(`weights.${name}`, "is missing");
      if (!Array.isArray(e.shape) || e.shape.join(",") !== v.shape.join(",")) {
        throw new ConfigError(`weights.${name}.shape`, `must be ${JSON.stringify(v.shape)}`, e.shape);
      }
      if (!e.data || e.data.length !== v.size) {
        throw new ConfigError(`weights.${name}.data`, `must have ${v.size} numbers`, e.data?.length);
      }
    });
    this.variableNames.forEach((name, i) => {
      const t = tf.tensor(w[name].data, w[name].shape, "float32");
      this.variables[i].assign(t);
      t.dispose();
    });
  }

  /** Write {format, config, weights} as JSON to `path`. */
  async save(path: string): Promise<void> {
    const body = { format: FORMAT, config: this.config, weights: await this.getWeights() };
    await Deno.writeTextFile(path, JSON.stringify(body));
  }

  /** Read a model written by `save`. */
  static async load(path: string): Promise<TinyTransformer> {
    const body = JSON.parse(await Deno.readTextFile(path));
    if (body?.format !== FORMAT) {
      throw new ConfigError("format", `must be ${JSON.stringify(FORMAT)}`, body?.format);
    }
    const m = new TinyTransformer(body.config);
    m.setWeights(body.weights);
    return m;
  }

  /** Independent copy with the same config and weights (e.g. a frozen reference policy for KL). */
  async clone(): Promise<TinyTransformer> {
    const m = new TinyTransformer(this.config);
    m.setWeights(await this.getWeights());
    return m;
  }

  /** Number of trainable scalars. */
  numParams(): number {
    return this.variables.reduce((s, v) => s + v.size, 0);
  }

  /**
   * Forward FLOPs per token at sequence length `seqLen` (default contextLength), counting a multiply-add as
   * 2 FLOPs: 2·(nLayers·(d·3d + d·d + 2·d·dFF) + d·V) for the weight matmuls plus 4·nLayers·seqLen·d for
   * QKᵀ and A·V over the full (not causally halved) context. Embedding lookups, LayerNorm, softmax,
   * biases and activations are excluded (Kaplan et al. 2020, arXiv:2001.08361, §2.1 convention).
   */
  flopsPerToken(seqLen = this.config.contextLength): number {
    const { dModel: d, nLayers: L, dFF: F, vocabSize: V } = this.config;
    return 2 * (L * (3 * d * d + d * d + 2 * d * F) + d * V) + 4 * L * seqLen * d;
  }

  /** Free all weights; the model is unusable afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(this.variables);
  }

  /** Throw if the weights were disposed. */
  private assertAlive(): void {
    if (this.disposed) throw new ConfigError("model", "has been disposed");
  }
}

let nativeModelPath = true;

/**
 * Turn the native model path on (default) or off: with it on and OpenBLAS loadable, the cpu and wasm
 * backends run the forward/backward pass of lib/policies/transformer_native.ts as one op and decode on
 * host buffers; off, every backend runs the tfjs-op network (the reference the native path is tested against).
 */
export function useNativeModelPath(enabled: boolean): void {
  nativeModelPath = enabled;
}

/** Whether the TinyTransformer runs the native model path now (enabled, cpu/wasm backend, OpenBLAS loaded). */
export function nativeModelPathActive(): boolean {
  const b = tf.getBackend();
  return nativeModelPath && (b === "cpu" || b === "wasm") && nativeBlasAvailable().available;
}

/** Fill defaults and validate a TinyTransformerConfig; each bad field throws a ConfigError naming it. */
export function resolveTransformerConfig(config: TinyTransformerConfig): Required<TinyTransformerConfig> {
  const c = resolveConfig("config", {
    vocabSize: NaN,
    contextLength: NaN,
    dModel: 64,
    nLayers: 2,
    nHeads: 4,
    dFF: NaN,
    seed: NaN,
    padToken: 0,
  }, config);
  assertInteger("config.vocabSize", c.vocabSize, { min: 2 });
  assertInteger("config.contextLength", c.contextLength, { min: 2 });
  assertInteger("config.dModel", c.dModel, { min: 1 });
  assertInteger("config.nLayers", c.nLayers, { min: 0 });
  assertInteger("config.nHeads", c.nHeads, { min: 1 });
  if (c.dModel % c.nHeads !== 0) {
    throw new ConfigError("config.dModel", `must be divisible by nHeads (${c.nHeads})`, c.dModel);
  }
  if (Number.isNaN(c.dFF)) c.dFF = 4 * c.dModel;
  assertInteger("config.dFF", c.dFF, { min: 1 });
  assertInteger("config.seed", c.seed);
  assertInteger("config.padToken", c.padToken, { min: 0, max: c.vocabSize - 1 });
  return c;
}

/**
 * KV-cache decoding on the host, used on the native model path (cpu/wasm with OpenBLAS): the network of
 * `TinyTransformer.core` with the weight matmuls as cblas_sgemm on Float32Arrays, embedding, LayerNorm,
 * causal attention and softmax as host loops (float64 accumulation) and GELU in the SIMD kernel
 * (lib/core/simd.ts). The prompt pass and every decoded token cost no tfjs kernels and no device sync;
 * weights are read once per `sample`/`greedy` call.
 */
class HostDecoder {
  /** Next-token logits [B, V] at the last position fed. */
  readonly logits: Float32Array;
  private readonly w: Record<string, Float32Array> = {};
  private readonly k: Float32Array[] = [];
  private readonly v: Float32Array[] = [];
  private readonly valid: Uint8Array;
  private t = 0;
  private readonly p: Float64Array;
  private readonly keys: Int32Array;
  private readonly cfg: Required<TinyTransformerConfig>;
  /** Work buffers for feeds of T tokens per row. */
  private buf?: {
    T: number;
    h: Float32Array;
    a: Float32Array;
    qkv: Float32Array;
    merged: Float32Array;
    gelu: GeluArena;
  };

  /** Empty cache of `tMax` positions for `B` rows; copies the model's current weights. */
  constructor(model: TinyTransformer, private readonly B: number, private readonly tMax: number) {
    this.cfg = model.config;
    const { dModel: d, nLayers: L, vocabSize: V } = this.cfg;
    model.variables.forEach((x, i) => (this.w[model.variableNames[i]] = x.dataSync() as Float32Array));
    this.valid = new Uint8Array(B * tMax);
    for (let l = 0; l < L; l++) {
      this.k.push(hostBuffer(B * tMax * d));
      this.v.push(hostBuffer(B * tMax * d));
    }
    this.logits = new Float32Array(B * V);
    this.p = new Float64Array(tMax * this.cfg.nHeads);
    this.keys = new Int32Array(tMax);
  }

  /** out[r, :] = LN(x[r, :]) with gain g and shift s (ε = 1e-5), float64 row statistics. */
  private static layerNorm(x: Float32Array, g: Float32Array, s: Float32Array, out: Float32Array): void {
    const D = g.length;
    for (let o = 0; o < x.length; o += D) {
      let mu = 0;
      for (let j = 0; j < D; j++) mu += x[o + j];
      mu /= D;
      let v = 0;
      for (let j = 0; j < D; j++) v += (x[o + j] - mu) * (x[o + j] - mu);
      const rstd = 1 / Math.sqrt(v / D + 1e-5);
      for (let j = 0; j < D; j++) out[o + j] = (x[o + j] - mu) * rstd * g[j] + s[j];
    }
  }

  /** out[r, :] = bias (rows of a matmul output before sgemm adds x·W with β = 1). */
  private static fillRows(out: Float32Array, bias: Float32Array): void {
    for (let o = 0; o < out.length; o += bias.length) out.set(bias, o);
  }

  /**
   * Feed T tokens per row (row-major [B, T] ids, positions and valid flags; invalid = left padding, never
   * attended to) after the cached ones; sets `logits` to the predictions at each row's last position.
   */
  feed(tokens: Int32Array, pos: Int32Array, valid: ArrayLike<number>, T: number): void {
    const { B, tMax, w, p } = this;
    const { dModel: d, nHeads: H, dFF: F, vocabSize: V, nLayers: L } = this.cfg;
    const dh = d / H, scale = Math.fround(1 / Math.sqrt(dh)), t0 = this.t, R = B * T;
    if (t0 + T > tMax) throw new ConfigError("maxTokens", `exceeds the decoder's cache (${tMax})`, t0 + T);
    if (this.buf?.T !== T) {
      this.buf = {
        T,
        h: hostBuffer(R * d),
        a: hostBuffer(R * d),
        qkv: hostBuffer(R * 3 * d),
        merged: hostBuffer(R * d),
        gelu: new GeluArena(R * F),
      };
    }
    const { h, a, qkv, merged, gelu } = this.buf;
    const keys = this.keys, acc = new Float64Array(d), iz = new Float64Array(H), d3 = 3 * d;
    const tok = w["tok_emb"], pe = w["pos_emb"];
    for (let r = 0; r < R; r++) {
      const tk = tokens[r];
      for (let j = 0; j < d; j++) h[r * d + j] = tok[tk * d + j] + pe[pos[r] * d + j];
      this.valid[Math.floor(r / T) * tMax + t0 + (r % T)] = valid[r] ? 1 : 0;
    }
    for (let l = 0; l < L; l++) {
      const pre = `h${l}.`;
      HostDecoder.layerNorm(h, w[pre + "ln1.g"], w[pre + "ln1.b"], a);
      HostDecoder.fillRows(qkv, w[pre + "attn.bqkv"]);
      sgemm(R, 3 * d, d, a, w[pre + "attn.wqkv"], 1, qkv);
      // cache layout [B, tMax, d]: keys/values of head hh at columns hh·dh … (hh+1)·dh − 1
      const kc = this.k[l], vc = this.v[l];
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < T; i++) {
          const q = (b * T + i) * 3 * d, c = (b * tMax + t0 + i) * d;
          kc.set(qkv.subarray(q + d, q + 2 * d), c);
          vc.set(qkv.subarray(q + 2 * d, q + 3 * d), c);
        }
      }
      for (let b = 0; b < B; b++) {
        // valid key positions of row b, ascending (queries attend to those ≤ their own position)
        const vb = b * tMax;
        let nk = 0;
        for (let j = 0; j < t0 + T; j++) if (this.valid[vb + j]) keys[nk++] = j;
        for (let i = 0, n = 0; i < T; i++) {
          const q = (b * T + i) * d3, last = t0 + i, o = (b * T + i) * d;
          while (n < nk && keys[n] <= last) n++;
          if (n === 0) { // a padding query with no valid key: its output is never used
            merged.fill(0, o, o + d);
            continue;
          }
          // scores p[hh·tMax + m] = scale·q_hh·k_m,hh, all heads in one pass over each key row
          for (let m = 0; m < n; m++) {
            const kr = (vb + keys[m]) * d;
            for (let hh = 0, e0 = 0; hh < H; hh++, e0 += dh) {
              let sc = 0;
              for (let e = e0; e < e0 + dh; e++) sc += qkv[q + e] * kc[kr + e];
              p[hh * tMax + m] = sc * scale;
            }
          }
          for (let hh = 0; hh < H; hh++) {
            const po = hh * tMax;
            let mx = -Infinity;
            for (let m = 0; m < n; m++) if (p[po + m] > mx) mx = p[po + m];
            let z = 0;
            for (let m = 0; m < n; m++) {
              const e = expFast(p[po + m] - mx);
              p[po + m] = e;
              z += e;
            }
            iz[hh] = 1 / z;
          }
          acc.fill(0);
          for (let m = 0; m < n; m++) {
            const vr = (vb + keys[m]) * d;
            for (let hh = 0, e0 = 0; hh < H; hh++, e0 += dh) {
              const pm = p[hh * tMax + m];
              for (let e = e0; e < e0 + dh; e++) acc[e] += pm * vc[vr + e];
            }
          }
          for (let hh = 0, e0 = 0; hh < H; hh++, e0 += dh) {
            for (let e = e0; e < e0 + dh; e++) merged[o + e] = acc[e] * iz[hh];
          }
        }
      }
      const bo = w[pre + "attn.bo"], b2 = w[pre + "mlp.b2"];
      for (let o = 0; o < h.length; o++) h[o] += bo[o % d];
      sgemm(R, d, d, merged, w[pre + "attn.wo"], 1, h);
      HostDecoder.layerNorm(h, w[pre + "ln2.g"], w[pre + "ln2.b"], a);
      HostDecoder.fillRows(gelu.u, w[pre + "mlp.b1"]);
      sgemm(R, F, d, a, w[pre + "mlp.w1"], 1, gelu.u);
      gelu.forward();
      for (let o = 0; o < h.length; o++) h[o] += b2[o % d];
      sgemm(R, d, F, gelu.f, w[pre + "mlp.w2"], 1, h);
    }
    const lastRows = new Float32Array(B * d), out = new Float32Array(B * d);
    for (let b = 0; b < B; b++) lastRows.set(h.subarray((b * T + T - 1) * d, (b * T + T) * d), b * d);
    HostDecoder.layerNorm(lastRows, w["ln_f.g"], w["ln_f.b"], out);
    HostDecoder.fillRows(this.logits, w["head.b"]);
    sgemm(B, V, d, out, w["head.w"], 1, this.logits);
    this.t = t0 + T;
  }
}

/** tf.tidy for a {logits, kv} result (tidy only keeps TensorContainers, so flatten and rebuild). */
function tidyKV(fn: () => { logits: Tensor; kv: KV[] }): { logits: Tensor; kv: KV[] } {
  const flat = tf.tidy(() => {
    const r = fn();
    return [r.logits, ...r.kv.flatMap((c) => [c.k, c.v])];
  }) as Tensor[];
  const kv: KV[] = [];
  for (let i = 1; i < flat.length; i += 2) kv.push({ k: flat[i], v: flat[i + 1] });
  return { logits: flat[0], kv };
}

function triangle(n: number, keep: (i: number, j: number) => boolean): Float32Array {
  const a = new Float32Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (keep(i, j)) a[i * n + j] = 1;
  return a;
}
