/**
 * Adam (Kingma & Ba 2015, arXiv 1412.6980) with an explicit, exactly restorable state.
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − α_t · m / (√v + ε̂),  α_t = α·√(1−β₂ᵗ)/(1−β₁ᵗ)
 * (the "efficient" form of Algorithm 1, as in tf.train.adam). α_t is computed in float64 on the host from
 * the integer step t, so a restored optimizer continues bit-identically; tf.train.adam re-derives its β
 * powers with `pow` on restore, which can differ from its running products in the last bit.
 *
 * On backends whose tensors live in host memory (cpu, wasm) the update is one fused host loop per variable
 * (`adamUpdateFused`) instead of ~11 kernels per variable; it rounds every intermediate to float32 in the
 * order of the tensor-op form (`adamUpdateOps`), and since float64 has more than 2·24 + 2 bits, each
 * rounded f64 +, −, ×, ÷, √ equals the f32 operation, so both forms give bit-identical results.
 */
import { tf } from "../core/tf.ts";
import type { Tensor, Variable } from "../core/tf.ts";
import { assertFiniteNumber, ConfigError, resolveConfig } from "../core/validate.ts";
import { hostValues } from "../core/fastops.ts";

/** Adam hyperparameters. */
export interface AdamConfig {
  /** Learning rate α > 0. */
  lr: number;
  /** β₁ ∈ [0, 1) (default 0.9). */
  beta1: number;
  /** β₂ ∈ [0, 1) (default 0.999). */
  beta2: number;
  /** ε̂ > 0 (default 1e-8). */
  eps: number;
}

/** Defaults: α = 1e-3, β₁ = 0.9, β₂ = 0.999, ε̂ = 1e-8. */
export const ADAM_DEFAULTS: AdamConfig = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Serializable optimizer state: step count and the moment estimates (row-major, per variable). */
export interface AdamState {
  /** Steps taken t (bias correction uses β^t). */
  step: number;
  /** First-moment estimates m per variable. */
  m: number[][];
  /** Second-moment estimates v per variable. */
  v: number[][];
}

/** Adam over a fixed list of variables; `state()` / `setState()` snapshot and restore it exactly. */
export class Adam {
  /** Resolved hyperparameters. */
  readonly config: AdamConfig;
  /** Number of updates applied (t). */
  step = 0;
  private readonly m: Variable[];
  private readonly v: Variable[];

  /**
   * Force the fused host update (true) or the tensor-op update (false); default undefined: fused on the
   * cpu and wasm backends (bit-identical results either way).
   */
  fused: boolean | undefined = undefined;

  /** Create zero moments for `variables`. */
  constructor(readonly variables: Variable[], config: Partial<AdamConfig> = {}) {
    const c = resolveConfig("adam", ADAM_DEFAULTS, config);
    assertFiniteNumber("lr", c.lr, { min: 0, exclusiveMin: true });
    assertFiniteNumber("beta1", c.beta1, { min: 0, max: 1, exclusiveMax: true });
    assertFiniteNumber("beta2", c.beta2, { min: 0, max: 1, exclusiveMax: true });
    assertFiniteNumber("eps", c.eps, { min: 0, exclusiveMin: true });
    this.config = c;
    this.m = variables.map((x) => zeroVariable(x));
    this.v = variables.map((x) => zeroVariable(x));
  }

  /** Apply one update with gradients aligned to `variables` (the caller keeps ownership of `grads`). */
  apply(grads: Tensor[]): void {
    if (grads.length !== this.variables.length) {
      throw new ConfigError(
        "grads",
        `must have one gradient per variable (${this.variables.length})`,
        grads.length,
      );
    }
    this.step++;
    const { lr, beta1, beta2, eps } = this.config;
    const lrT = lr * Math.sqrt(1 - beta2 ** this.step) / (1 - beta1 ** this.step);
    const fused = this.fused ?? HOST_BACKENDS.includes(tf.getBackend());
    const update = fused ? adamUpdateFused : adamUpdateOps;
    const h = { beta1, beta2, eps, lrT };
    grads.forEach((g, i) => {
      const [x, m, v] = update(this.variables[i], this.m[i], this.v[i], g, h);
      this.m[i].assign(m);
      this.v[i].assign(v);
      this.variables[i].assign(x);
      tf.dispose([x, m, v]);
    });
  }

  /** Snapshot {step, m, v} (float32 values as numbers, JSON-safe and exact). */
  async state(): Promise<AdamState> {
    const read = async (xs: Variable[]) => {
      const out: number[][] = [];
      for (const x of xs) out.push(Array.from(await x.data()));
      return out;
    };
    return { step: this.step, m: await read(this.m), v: await read(this.v) };
  }

  /** Restore a `state()` snapshot (shapes must match the variables). */
  setState(state: unknown): void {
    const s = state as AdamState;
    if (!s || !Number.isInteger(s.step) || s.m?.length !== this.m.length || s.v?.length !== this.v.length) {
      throw new ConfigError("adamState", `must be {step, m, v} with ${this.m.length} moments each`, s?.step);
    }
    const assign = (xs: Variable[], data: number[][], name: string) =>
      xs.forEach((x, i) => {
        if (data[i].length !== x.size) {
          throw new ConfigError(`adamState.${name}[${i}]`, `must have ${x.size} values`);
        }
        const t = tf.tensor(data[i], x.shape, "float32");
        x.assign(t);
        t.dispose();
      });
    assign(this.m, s.m, "m");
    assign(this.v, s.v, "v");
    this.step = s.step;
  }

  /** Free the moment variables. */
  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/** Scale gradients so their global L2 norm is at most `maxNorm`; returns the new tensors and the pre-clip norm. */
export async function clipByGlobalNorm(
  grads: Tensor[],
  maxNorm: number | null,
): Promise<{ grads: Tensor[]; norm: number }> {
  const normT = tf.tidy(() => tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g))))));
  const norm = (await normT.data())[0];
  normT.dispose();
  const scale = maxNorm !== null && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
  return { grads: grads.map((g) => tf.mul(g, scale)), norm };
}

/** Backends whose tensors are host memory (synchronous reads), where `adamUpdateFused` applies. */
const HOST_BACKENDS = ["cpu", "wasm"];

/** Scalars of one Adam update: β₁, β₂, ε̂ and the bias-corrected step size α_t. */
export interface AdamScalars {
  /** β₁. */
  beta1: number;
  /** β₂. */
  beta2: number;
  /** ε̂. */
  eps: number;
  /** α_t = α·√(1−β₂ᵗ)/(1−β₁ᵗ). */
  lrT: number;
}

/**
 * One Adam update as tensor ops: m′ = β₁m + (1−β₁)g, v′ = β₂v + (1−β₂)g², θ′ = θ − α_t·m′/(√v′ + ε̂);
 * returns new [θ′, m′, v′] (the caller owns them).
 */
export function adamUpdateOps(x: Tensor, m: Tensor, v: Tensor, g: Tensor, h: AdamScalars): Tensor[] {
  return tf.tidy(() => {
    const m2 = tf.add(tf.mul(m, h.beta1), tf.mul(g, 1 - h.beta1));
    const v2 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(g), 1 - h.beta2));
    return [tf.sub(x, tf.mul(tf.div(m2, tf.add(tf.sqrt(v2), h.eps)), h.lrT)), m2, v2];
  });
}

/**
 * The same update as `adamUpdateOps` in one host loop over synchronously read float32 values, rounding each
 * intermediate to float32 in the same order (bit-identical to the tensor ops); returns new [θ′, m′, v′].
 */
export function adamUpdateFused(x: Tensor, m: Tensor, v: Tensor, g: Tensor, h: AdamScalars): Tensor[] {
  const f = Math.fround;
  const b1 = f(h.beta1), c1 = f(1 - h.beta1), b2 = f(h.beta2), c2 = f(1 - h.beta2);
  const e = f(h.eps), a = f(h.lrT);
  // inputs read in place (wasm heap views, cpu arrays); on wasm the outputs go through a reused scratch
  // buffer (tf.tensor copies them into the heap), on cpu they are new arrays the tensors adopt
  const xs = hostValues(x), ms = hostValues(m), vs = hostValues(v), gs = hostValues(g);
  const n = xs.length;
  const reuse = tf.getBackend() === "wasm";
  if (reuse && scratch.length < 3 * n) scratch = new Float32Array(3 * n);
  const x2 = reuse ? scratch.subarray(0, n) : new Float32Array(n);
  const m2 = reuse ? scratch.subarray(n, 2 * n) : new Float32Array(n);
  const v2 = reuse ? scratch.subarray(2 * n, 3 * n) : new Float32Array(n);
  for (let j = 0; j < n; j++) {
    const gj = gs[j];
    const mj = f(f(ms[j] * b1) + f(gj * c1));
    const vj = f(f(vs[j] * b2) + f(f(gj * gj) * c2));
    m2[j] = mj;
    v2[j] = vj;
    x2[j] = xs[j] - f(f(mj / f(f(Math.sqrt(vj)) + e)) * a);
  }
  return [tf.tensor(x2, x.shape), tf.tensor(m2, m.shape), tf.tensor(v2, v.shape)];
}

let scratch = new Float32Array(0);

/** A non-trainable variable of zeros shaped like `x` (the temporary zeros tensor is released). */
function zeroVariable(x: Tensor): Variable {
  const z = tf.zerosLike(x);
  const v = tf.variable(z, false);
  z.dispose();
  return v;
}
