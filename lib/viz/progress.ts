/**
 * `Progress`: progress for long loops. In the Deno Jupyter kernel one output (a `display_id`) is updated in
 * place — a text line, plus a live learning curve when `liveChart` is set. In a terminal a single `\r`-rewritten
 * line on stderr. With stderr not a TTY only a final summary line is written. Rendering is throttled.
 * Jupyter updates are sent asynchronously: they go out whenever the loop awaits (a fully synchronous loop shows
 * its updates when it ends); `await progress.done()` before the cell ends so the final state lands.
 */
import {
  assertFiniteNumber,
  assertInteger,
  assertOneOf,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";
import { Chart } from "./chart.ts";
import { jupyterApi, type JupyterDisplayApi } from "./jupyter.ts";

/** Where progress goes: auto-detected, or forced. */
export const PROGRESS_MODES = ["auto", "jupyter", "terminal", "final", "silent"] as const;
/** A progress output mode ("final": only one summary line when done). */
export type ProgressMode = typeof PROGRESS_MODES[number];

/** Options for `Progress`. */
export interface ProgressOptions {
  /** Number of ticks expected (≥ 1). */
  total: number;
  /** Text shown before the bar. */
  label?: string;
  /** In Jupyter, draw a live line chart of logged metrics: x and y metric names, optional colour column. */
  liveChart?: { x: string; y: string; color?: string };
  /** Output mode (default "auto": jupyter inside the kernel, terminal when stderr is a TTY, else final). */
  mode?: ProgressMode;
  /** Minimum milliseconds between renders (default 250 text-only, 1000 with a live chart). */
  intervalMs?: number;
  /** Text sink for terminal/final modes (default: stderr). */
  write?: (text: string) => void;
  /** Display API for jupyter mode (default: `Deno.jupyter` inside the kernel); lets tests observe updates. */
  jupyter?: JupyterDisplayApi;
}

let displayCounter = 0;

/** Progress bar / live display for a loop of `total` ticks (see module doc). */
export class Progress {
  /** Ticks so far. */
  count = 0;
  /** Latest metrics passed to `tick`. */
  metrics: Record<string, number | string> = {};
  /** Rows kept for the live chart ({x, y, color} values per tick that carried them). */
  readonly history: Record<string, number | string>[] = [];
  readonly #total: number;
  readonly #label: string;
  readonly #live?: { x: string; y: string; color?: string };
  readonly #mode: Exclude<ProgressMode, "auto">;
  readonly #interval: number;
  readonly #write: (text: string) => void;
  readonly #start = performance.now();
  readonly #displayId = `sweetspot-progress-${Date.now()}-${++displayCounter}`;
  #api?: JupyterDisplayApi;
  #lastRender = -Infinity;
  #shown = false;
  #finished = false;
  #pending: Promise<void> = Promise.resolve();
  #lastLineLength = 0;

  /** Create a progress display; nothing is shown until the first `tick`. */
  constructor(options: ProgressOptions) {
    const o = resolveConfig("Progress", {
      total: 0,
      label: "",
      liveChart: undefined as ProgressOptions["liveChart"],
      mode: "auto" as ProgressMode,
      intervalMs: undefined as number | undefined,
      write: undefined as ProgressOptions["write"],
      jupyter: undefined as JupyterDisplayApi | undefined,
    }, options);
    assertInteger("total", o.total, { min: 1 });
    assertOneOf("mode", o.mode, PROGRESS_MODES);
    if (
      o.liveChart !== undefined && (typeof o.liveChart?.x !== "string" || typeof o.liveChart?.y !== "string")
    ) {
      throw new ConfigError("liveChart", "must be {x: string, y: string, color?: string}", o.liveChart);
    }
    this.#total = o.total;
    this.#label = o.label;
    this.#live = o.liveChart;
    this.#write = o.write ?? ((s) => Deno.stderr.writeSync(new TextEncoder().encode(s)));
    let mode = o.mode;
    if (mode === "auto") {
      this.#api = o.jupyter ?? jupyterApi();
      mode = this.#api ? "jupyter" : stderrIsTerminal() ? "terminal" : "final";
    } else if (mode === "jupyter") {
      this.#api = o.jupyter ?? jupyterApi();
      if (!this.#api) throw new ConfigError("mode", '"jupyter" needs the Deno Jupyter kernel', mode);
    }
    this.#mode = mode;
    const iv = o.intervalMs ?? (this.#live && mode === "jupyter" ? 1000 : 250);
    assertFiniteNumber("intervalMs", iv, { min: 0 });
    this.#interval = iv;
  }

  /** The resolved output mode. */
  get mode(): Exclude<ProgressMode, "auto"> {
    return this.#mode;
  }

  /** Advance by n (default 1) and record metrics; renders at most once per `intervalMs`. */
  tick(n = 1, metrics?: Record<string, number | string>): void {
    assertFiniteNumber("n", n, { min: 0 });
    this.count += n;
    if (metrics) {
      this.metrics = { ...this.metrics, ...metrics };
      if (this.#live && metrics[this.#live.y] !== undefined) {
        const row: Record<string, number | string> = {
          [this.#live.x]: metrics[this.#live.x] ?? this.count,
          [this.#live.y]: metrics[this.#live.y],
        };
        if (this.#live.color && metrics[this.#live.color] !== undefined) {
          row[this.#live.color] = metrics[this.#live.color];
        }
        this.history.push(row);
      }
    }
    const now = performance.now();
    if (now - this.#lastRender >= this.#interval) {
      this.#lastRender = now;
      this.#render(false);
    }
  }

  /** Final render (text line and chart); await it in notebooks so the last update lands before the cell ends. */
  done(): Promise<void> {
    if (!this.#finished) {
      this.#finished = true;
      this.#render(true);
    }
    return this.#pending;
  }

  /** Status text: "label 40/100 [████░░░░] 40% 12.0 it/s eta 5s reward=0.53". */
  line(final = false, bar = true): string {
    const frac = Math.min(1, this.count / this.#total);
    const width = 20;
    const full = Math.round(frac * width);
    const secs = (performance.now() - this.#start) / 1000;
    const rate = secs > 0 ? this.count / secs : 0;
    const eta = rate > 0 ? (this.#total - this.count) / rate : Infinity;
    const parts = [
      this.#label,
      `${this.count}/${this.#total}`,
      bar ? `[${"█".repeat(full)}${"░".repeat(width - full)}]` : "",
      `${Math.round(frac * 100)}%`,
      `${rate.toFixed(rate >= 10 ? 0 : 1)} it/s`,
      final ? `${secs.toFixed(1)}s` : Number.isFinite(eta) ? `eta ${fmtSecs(eta)}` : "",
      ...Object.entries(this.metrics).map(([k, v]) => `${k}=${typeof v === "number" ? fmtNum(v) : v}`),
    ];
    return parts.filter((p) => p !== "").join(" ");
  }

  #render(final: boolean): void {
    if (this.#mode === "silent") return;
    if (this.#mode === "final") {
      if (final) this.#write(this.line(true) + "\n");
      return;
    }
    if (this.#mode === "terminal") {
      // Never wider than the terminal: a wrapped line cannot be rewritten with \r.
      const text = [...this.line(final)].slice(0, terminalColumns() - 1).join("");
      const pad = Math.max(0, this.#lastLineLength - text.length);
      this.#lastLineLength = text.length;
      this.#write(`\r${text}${" ".repeat(pad)}${final ? "\n" : ""}`);
      return;
    }
    // jupyter: serialize updates so they arrive in order; failures never break the training loop.
    const text = this.line(final);
    const subtitle = this.line(final, false);
    const rows = this.#live ? downsample(this.history, 500) : [];
    const first = !this.#shown;
    this.#shown = true;
    this.#pending = this.#pending.then(async () => {
      const bundle: Record<string, unknown> = this.#live && rows.length > 0
        ? { ...await progressChart(rows, this.#live, subtitle).mimeBundle(), "text/plain": text }
        : { "text/plain": text };
      await this.#api!.display(bundle, { raw: true, display_id: this.#displayId, update: !first });
    }).catch(() => {});
  }
}

function progressChart(
  rows: Record<string, number | string>[],
  live: { x: string; y: string; color?: string },
  text: string,
) {
  return new Chart({
    title: { text: live.y, subtitle: text },
    width: 640,
    height: 220,
    data: { values: rows },
    mark: { type: "line", strokeWidth: 2 },
    encoding: {
      x: { field: live.x, type: "quantitative" },
      y: { field: live.y, type: "quantitative", scale: { zero: false } },
      ...(live.color ? { color: { field: live.color, type: "nominal" } } : {}),
    },
  });
}

function downsample<T>(xs: T[], max: number): T[] {
  if (xs.length <= max) return xs.slice();
  const step = xs.length / max;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(xs[Math.floor(i * step)]);
  out.push(xs[xs.length - 1]);
  return out;
}

function terminalColumns(): number {
  try {
    return Deno.consoleSize().columns || 100;
  } catch {
    return 100;
  }
}

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}

function fmtSecs(s: number): string {
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.round(s % 60).toString().padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${Math.round((s % 3600) / 60).toString().padStart(2, "0")}m`;
}

function fmtNum(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1e5 || (a !== 0 && a < 1e-3)) return v.toExponential(2);
  return a >= 1000 ? v.toFixed(1) : v.toPrecision(4).replace(/\.?0+$/, "");
}
