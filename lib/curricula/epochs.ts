/**
 * EpochSchedule — visit a finite training pool in epochs: every problem exactly once per epoch, in a fresh
 * shuffled order each epoch, handed to a wrapped curriculum as its problem stream. SEELE (arXiv 2509.06923)
 * carries each problem's final hint rate to the problem's next visit in the following epoch, so its scaffold
 * needs every problem revisited a known number of times (steps·B / P epochs when the wrapped curriculum draws B
 * problems per step), not a with-replacement draw that leaves some problems unvisited.
 */
import { assertInteger, ConfigError } from "../core/validate.ts";
import type { Problem } from "../tasks/types.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext } from "./types.ts";

/** JSON-serializable state of `EpochSchedule`: the current epoch's order and position, and the inner state. */
export interface EpochScheduleState {
  /** Completed epochs. */
  epoch: number;
  /** Pool indices of the current epoch, in visiting order (empty before the first draw). */
  order: number[];
  /** Problems of the current epoch handed out so far. */
  position: number;
  /** The wrapped curriculum's state. */
  inner: unknown;
}

/** Wraps a curriculum so that its problems come from `pool` epoch by epoch (module doc). */
export class EpochSchedule implements Curriculum {
  /** "<inner name>+epochs". */
  readonly name: string;
  /** The wrapped curriculum. */
  readonly inner: Curriculum;
  private readonly pool: readonly Problem[];
  private epochState: Omit<EpochScheduleState, "inner"> = { epoch: 0, order: [], position: 0 };

  /** Hand `inner` the problems of `pool`, each once per epoch in a shuffled order drawn from the step's rng. */
  constructor(pool: readonly Problem[], inner: Curriculum) {
    if (!Array.isArray(pool) || pool.length === 0) {
      throw new ConfigError("pool", "must be a non-empty array of problems", pool);
    }
    if (new Set(pool.map((p) => p.id)).size !== pool.length) {
      throw new ConfigError("pool", "must hold problems with distinct ids");
    }
    if (!inner || typeof inner.nextBatch !== "function") {
      throw new ConfigError("inner", "must be a curriculum (an object with nextBatch)", inner);
    }
    this.pool = pool;
    this.inner = inner;
    this.name = `${inner.name}+epochs`;
  }

  /** Epoch, order, position and the wrapped curriculum's state. */
  get state(): EpochScheduleState {
    return { ...this.epochState, order: [...this.epochState.order], inner: this.inner.state };
  }

  /** Restore from a saved `state` (the wrapped curriculum's state included). */
  set state(s: EpochScheduleState) {
    assertInteger("state.epoch", s?.epoch, { min: 0 });
    assertInteger("state.position", s.position, { min: 0, max: s.order.length });
    this.epochState = { epoch: s.epoch, order: [...s.order], position: s.position };
    this.inner.state = s.inner;
  }

  /** Run the wrapped curriculum with `sampleProblem` replaced by the epoch stream; stats add `epoch`. */
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const next = (): Problem => {
      const e = this.epochState;
      if (e.position >= e.order.length) {
        if (e.order.length > 0) e.epoch++;
        e.order = ctx.rng.shuffle(this.pool.map((_, i) => i));
        e.position = 0;
      }
      return this.pool[e.order[e.position++]];
    };
    const batch = await this.inner.nextBatch({ ...ctx, sampleProblem: next });
    return { ...batch, stats: { ...batch.stats, epoch: this.epochState.epoch } };
  }
}
