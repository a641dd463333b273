/** Plain stochastic gradient descent θ ← θ − lr·g (Robbins & Monro 1951), with the optimizer interface of `Adam`. */
import { tf } from "../core/tf.ts";
import type { Tensor, Variable } from "../core/tf.ts";
import { assertFiniteNumber, ConfigError } from "../core/validate.ts";

/** What the trainer needs from an optimizer (`Adam`, `Sgd`): one update from gradients, and exact snapshots. */
export interface Optimizer {
  /** Apply one update with gradients aligned to the variables (the caller keeps ownership of `grads`). */
  apply(grads: Tensor[]): void;
  /** JSON-serializable snapshot. */
  state(): Promise<unknown>;
  /** Restore a `state()` snapshot. */
  setState(state: unknown): void;
  /** Free optimizer-owned tensors. */
  dispose(): void;
}

/** Serializable SGD state: the number of updates applied (SGD keeps no moments). */
export interface SgdState {
  /** Updates applied. */
  step: number;
}

/** SGD over a fixed list of variables: θ ← θ − lr·g. */
export class Sgd implements Optimizer {
  /** Number of updates applied. */
  step = 0;

  /** Plain SGD with learning rate `lr` > 0. */
  constructor(readonly variables: Variable[], readonly lr: number) {
    assertFiniteNumber("lr", lr, { min: 0, exclusiveMin: true });
  }

  /** θ_i ← θ_i − lr·g_i. */
  apply(grads: Tensor[]): void {
    if (grads.length !== this.variables.length) {
      throw new ConfigError(
        "grads",
        `must have one gradient per variable (${this.variables.length})`,
        grads.length,
      );
    }
    this.step++;
    tf.tidy(() => {
      grads.forEach((g, i) => this.variables[i].assign(tf.sub(this.variables[i], tf.mul(g, this.lr))));
    });
  }

  /** Snapshot {step}. */
  state(): Promise<SgdState> {
    return Promise.resolve({ step: this.step });
  }

  /** Restore a `state()` snapshot. */
  setState(s: unknown): void {
    const st = s as SgdState;
    if (!st || !Number.isInteger(st.step)) throw new ConfigError("sgdState", "must be {step}", s);
    this.step = st.step;
  }

  /** Nothing to free. */
  dispose(): void {}
}
