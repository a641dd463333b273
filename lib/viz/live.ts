/**
 * `LiveChart`: a chart that redraws in place while a loop runs. In the Deno Jupyter kernel the first `update`
 * shows one output with a `display_id`; later updates re-send the rebuilt chart to that same id
 * (`update_display_data`), at most once per `intervalMs`. Outside Jupyter it does nothing (draw the final chart
 * yourself). Updates go out whenever the loop awaits; `await live.done()` before the cell ends so the final
 * state lands.
 */
import { assertFiniteNumber, assertOneOf, ConfigError, resolveConfig } from "../core/validate.ts";
import type { Chart } from "./chart.ts";
import { type ChartRow, learningCurve, type LearningCurveOptions } from "./charts.ts";
import { jupyterApi, type JupyterDisplayApi } from "./jupyter.ts";

/** Where a live chart goes: "auto" (Jupyter inside the kernel, else nothing), or forced. */
export const LIVE_CHART_MODES = ["auto", "jupyter", "silent"] as const;
/** A live chart output mode. */
export type LiveChartMode = typeof LIVE_CHART_MODES[number];

/** Options for `LiveChart`. */
export interface LiveChartOptions {
  /** Minimum milliseconds between redraws (default 1000). */
  intervalMs?: number;
  /** Output mode (default "auto"). */
  mode?: LiveChartMode;
  /** Display API (default: `Deno.jupyter` inside the kernel); lets tests observe the updates. */
  jupyter?: JupyterDisplayApi;
}

let liveCounter = 0;

/** A chart rebuilt from the latest rows and redrawn in place under one Jupyter display id (see module doc). */
export class LiveChart<R = ChartRow> {
  /** The display id every redraw targets. */
  readonly displayId = `sweetspot-live-${Date.now().toString(36)}-${++liveCounter}`;
  /** Redraws sent so far (the first one creates the output). */
  renders = 0;
  readonly #build: (rows: readonly R[]) => Chart;
  readonly #interval: number;
  readonly #api?: JupyterDisplayApi;
  #rows: readonly R[] = [];
  #dirty = false;
  #lastRender = -Infinity;
  #pending: Promise<void> = Promise.resolve();

  /** `build(rows)` makes the chart from all rows so far (e.g. `rows => learningCurve(rows, {...})`). */
  constructor(build: (rows: readonly R[]) => Chart, options: LiveChartOptions = {}) {
    if (typeof build !== "function") throw new ConfigError("build", "must be a function rows → Chart", build);
    const o = resolveConfig("LiveChart", {
      intervalMs: 1000,
      mode: "auto" as LiveChartMode,
      jupyter: undefined as JupyterDisplayApi | undefined,
    }, options);
    assertFiniteNumber("intervalMs", o.intervalMs, { min: 0 });
    assertOneOf("mode", o.mode, LIVE_CHART_MODES);
    this.#build = build;
    this.#interval = o.intervalMs;
    if (o.mode !== "silent") this.#api = o.jupyter ?? jupyterApi();
    if (o.mode === "jupyter" && !this.#api) {
      throw new ConfigError("mode", '"jupyter" needs the Deno Jupyter kernel', o.mode);
    }
  }

  /** True when updates are drawn (inside Jupyter). */
  get active(): boolean {
    return this.#api !== undefined;
  }

  /** Record the rows so far; redraws when `intervalMs` has passed since the last redraw. */
  update(rows: readonly R[]): void {
    this.#rows = rows.slice();
    this.#dirty = true;
    const now = performance.now();
    if (now - this.#lastRender >= this.#interval) {
      this.#lastRender = now;
      this.#render();
    }
  }

  /** Draw the latest rows if they are not shown yet; resolves when every redraw has been sent. */
  done(): Promise<void> {
    if (this.#dirty) this.#render();
    return this.#pending;
  }

  #render(): void {
    this.#dirty = false;
    const api = this.#api;
    if (!api || this.#rows.length === 0) return;
    const rows = this.#rows;
    // Serialized so redraws arrive in order; a failed redraw never breaks the training loop.
    this.#pending = this.#pending.then(async () => {
      const bundle = await this.#build(rows).mimeBundle();
      await api.display(bundle, { raw: true, display_id: this.displayId, update: this.renders > 0 });
      this.renders++;
    }).catch(() => {});
  }
}

/** Options for `liveCurve`: `learningCurve` options plus `LiveChart` options. */
export type LiveCurveOptions = LearningCurveOptions & LiveChartOptions;

/** A `LiveChart` whose chart is `learningCurve(rows, options)`: a learning curve that forms while training runs. */
export function liveCurve(options: LiveCurveOptions): LiveChart<ChartRow> {
  const { intervalMs, mode, jupyter, ...curve } = options;
  return new LiveChart((rows) => learningCurve(rows, curve), { intervalMs, mode, jupyter });
}
