/**
 * Adam (Kingma & Ba 2015, arXiv 1412.6980) with an explicit, exactly restorable state.
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  θ ← θ − α_t · m / (√v + ε̂),  α_t = α·√(1−β₂ᵗ)/(1−β₁ᵗ)
 * (the "efficient" form of Algorithm 1, as in tf.train.adam). α_t is computed in float64 on the host from
 * the integer step t, so a restored optimizer continues bit-identically; tf.train.adam re-derives its β
 * powers with `pow` on restore, which can differ from its running products in the last bit.
 */
import { tf } from "../core/tf.ts";
import type { Tensor, Variable } from "../core/tf.ts";
import { assertFiniteNumber, ConfigError, resolveConfig } from "../core/validate.ts";

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
  step: number;
  m: number[][];
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
    tf.tidy(() => {
      grads.forEach((g, i) => {
        const m = tf.add(tf.mul(this.m[i], beta1), tf.mul(g, 1 - beta1));
        const v = tf.add(tf.mul(this.v[i], beta2), tf.mul(tf.square(g), 1 - beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        this.variables[i].assign(tf.sub(this.variables[i], tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), lrT)));
      });
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

/** A non-trainable variable of zeros shaped like `x` (the temporary zeros tensor is released). */
function zeroVariable(x: Tensor): Variable {
  const z = tf.zerosLike(x);
  const v = tf.variable(z, false);
  z.dispose();
  return v;
}
