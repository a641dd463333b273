/**
 * Chart builders for RL-for-reasoning experiments. Each returns a `Chart` holding a self-contained vega-lite v5
 * spec (aggregated data inline in `data.values`). Inputs are plain records or an arquero table.
 */
import { assertInteger, assertOneOf, ConfigError, resolveConfig } from "../core/validate.ts";
import { expectedCalibrationError, reliabilityDiagram } from "../estimators/calibration.ts";
import { Chart } from "./chart.ts";
import { aggregateInterval } from "../stats/interval.ts";

/** A data row. */
export type ChartRow = Record<string, unknown>;
/** Chart input: an iterable of records, or anything with `objects()` (an arquero table). */
export type ChartData = Iterable<ChartRow> | { objects(): object[] };

/** Point estimate used when several rows share a group: the mean or the IQM, each with the stratified-bootstrap interval of lib/stats `aggregateInterval` (the claims' interval). */
export const CHART_AGGREGATES = ["mean", "iqm"] as const;
/** Name of a group aggregate. */
export type ChartAggregate = typeof CHART_AGGREGATES[number];

/** Records from plain rows or an arquero table (detected by its `objects()` method). */
export function chartRecords(data: ChartData): ChartRow[] {
  if (data && typeof (data as { objects?: unknown }).objects === "function") {
    return (data as { objects(): object[] }).objects() as ChartRow[];
  }
  if (data === null || typeof (data as Iterable<ChartRow>)[Symbol.iterator] !== "function") {
    throw new ConfigError("data", "must be an array of records or an arquero table", data);
  }
  return Array.from(data as Iterable<ChartRow>);
}

function columnsOf(rows: ChartRow[]): string[] {
  const s = new Set<string>();
  for (const r of rows.slice(0, 1000)) for (const k of Object.keys(r)) s.add(k);
  return [...s];
}

function requireField(rows: ChartRow[], option: string, field: string): void {
  if (!rows.some((r) => field in r)) {
    throw new ConfigError(
      option,
      `must name a column of the data; columns: ${columnsOf(rows).join(", ")}`,
      field,
    );
  }
}

function numberAt(row: ChartRow, field: string, index: number): number | null {
  const v = row[field];
  if (v === null || v === undefined) return null;
  const x = typeof v === "boolean" ? Number(v) : v;
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new ConfigError(`data[${index}].${field}`, "must be a finite number or null", v);
  }
  return x;
}

function estimate(
  values: number[],
  aggregate: ChartAggregate,
  level: number,
  seed: number,
): { center: number; lo: number; hi: number; n: number } {
  // α = 1 − level, rounded so that level 0.95 gives exactly the claims' α = 0.05 (same percentiles).
  const e = aggregateInterval(values, {
    aggregate,
    alpha: Number((1 - level).toPrecision(12)),
    seed,
  });
  return { center: e.estimate, lo: e.lower, hi: e.upper, n: e.n };
}

function axisTitle(aggregate: ChartAggregate, y: string, level: number, n: number): string {
  if (n < 2) return y;
  return `${y} (${aggregate === "iqm" ? "IQM" : "mean"}, ${Math.round(level * 100)}% CI)`;
}

/** Default plot width in px: fills a notebook output (the HTML view uses the container width instead). */
export const DEFAULT_WIDTH = 640;

/** Layout options shared by the chart builders. */
export interface ChartLayout {
  /** Chart title. */
  title?: string;
  /** Plot width in px (default `DEFAULT_WIDTH`; interactive views fill the output width instead). */
  width?: number;
  /** Plot height in px. */
  height?: number;
}

function frame(o: ChartLayout): ChartRow {
  const out: ChartRow = { width: o.width ?? DEFAULT_WIDTH, height: o.height ?? 300 };
  if (o.title) out.title = o.title;
  return out;
}

/** Options for `learningCurve`. */
export interface LearningCurveOptions extends ChartLayout {
  /** Metric column (y axis). */
  y: string;
  /** x column: a step counter or wall-clock seconds (default "step"). */
  x?: string;
  /** Arm (method) column; one colour per arm (default "arm" when present). */
  arm?: string;
  /** Seed column: rows are first averaged within (arm, x, seed), then summarized over seeds (default "seed" when present). */
  seed?: string;
  /** Across-seed point estimate: "mean" or "iqm", with `aggregateInterval`'s bootstrap CI (default "mean"). */
  aggregate?: ChartAggregate;
  /** Confidence level of the band (default 0.95). */
  level?: number;
  /** Bin x into this many equal-width bins before aggregating (for wall-clock x that differs per seed). */
  xBins?: number;
  /** x axis title (default: the column name). */
  xTitle?: string;
  /** y axis title (default: the column name, with the aggregate and CI level). */
  yTitle?: string;
  /** Log-scale x axis with this base (default: linear). */
  xLogBase?: number;
  /** Draw points on the line (default false). */
  points?: boolean;
  /** Seed for the IQM bootstrap (default 0). */
  bootstrapSeed?: number;
  /**
   * Range the metric cannot leave; CI bands are clipped to it. Default: [0, 1] when every y value lies in
   * [0, 1] (a probability, accuracy or pass rate), else unbounded. null = never clip.
   */
  bounds?: [number, number] | null;
}

const CURVE_DEFAULTS: Required<Pick<LearningCurveOptions, "y">> & LearningCurveOptions = {
  y: "",
  x: "step",
  arm: undefined,
  seed: undefined,
  aggregate: "mean",
  level: 0.95,
  xBins: undefined,
  xTitle: undefined,
  yTitle: undefined,
  xLogBase: undefined,
  points: false,
  bootstrapSeed: 0,
  bounds: undefined,
  title: undefined,
  width: undefined,
  height: undefined,
};

/** Aggregated curve rows: {arm?, x, y, y_lo, y_hi, n} per (arm, x), sorted by arm then x. */
export function aggregateCurve(data: ChartData, options: LearningCurveOptions): ChartRow[] {
  const o = resolveConfig("learningCurve", CURVE_DEFAULTS, options);
  const rows = chartRecords(data);
  if (typeof o.y !== "string" || o.y === "") throw new ConfigError("y", "must name the metric column", o.y);
  const x = o.x!;
  requireField(rows, "y", o.y);
  requireField(rows, "x", x);
  assertOneOf("aggregate", o.aggregate, CHART_AGGREGATES);
  const level = o.level!;
  if (!(level > 0 && level < 1)) throw new ConfigError("level", "must be in (0, 1)", level);
  const arm = o.arm ?? (rows.some((r) => "arm" in r) ? "arm" : undefined);
  if (arm) requireField(rows, "arm", arm);
  const seed = o.seed ?? (rows.some((r) => "seed" in r) ? "seed" : undefined);
  if (seed) requireField(rows, "seed", seed);
  let binOf = (v: number) => v;
  if (o.xBins !== undefined) {
    assertInteger("xBins", o.xBins, { min: 1 });
    let lo = Infinity, hi = -Infinity;
    rows.forEach((r, i) => {
      const v = numberAt(r, x, i);
      if (v !== null) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    });
    const w = (hi - lo) / o.xBins || 1;
    binOf = (v) => lo + (Math.min(o.xBins! - 1, Math.floor((v - lo) / w)) + 0.5) * w;
  }
  const bounds = o.bounds === undefined
    ? (rows.every((r, i) => {
        const v = numberAt(r, o.y!, i);
        return v === null || (v >= 0 && v <= 1);
      })
      ? [0, 1]
      : null)
    : o.bounds;
  if (bounds !== null && !(Array.isArray(bounds) && bounds.length === 2 && bounds[0] <= bounds[1])) {
    throw new ConfigError("bounds", "must be [lo, hi] with lo ≤ hi, or null", bounds);
  }
  const clip = (v: number) => bounds ? Math.min(bounds[1], Math.max(bounds[0], v)) : v;
  // (arm, x) -> seed -> values
  const groups = new Map<string, { arm: unknown; x: number; perSeed: Map<unknown, number[]> }>();
  rows.forEach((r, i) => {
    const xv = numberAt(r, x, i);
    const yv = numberAt(r, o.y, i);
    if (xv === null || yv === null) return;
    const bx = binOf(xv);
    const a = arm ? r[arm] : null;
    const key = JSON.stringify([a, bx]);
    let g = groups.get(key);
    if (!g) groups.set(key, g = { arm: a, x: bx, perSeed: new Map() });
    const s = seed ? r[seed] : i; // no seed column: each row is its own replicate
    const list = g.perSeed.get(s);
    if (list) list.push(yv);
    else g.perSeed.set(s, [yv]);
  });
  const out: ChartRow[] = [];
  for (const g of groups.values()) {
    const vals = [...g.perSeed.values()].map((v) => v.reduce((a, b) => a + b, 0) / v.length);
    const e = estimate(vals, o.aggregate!, level, o.bootstrapSeed!);
    const row: ChartRow = {};
    if (arm) row[arm] = g.arm;
    row[x] = g.x;
    row[o.y] = e.center;
    row[`${o.y}_lo`] = clip(e.lo);
    row[`${o.y}_hi`] = clip(e.hi);
    row.n = e.n;
    out.push(row);
  }
  out.sort((a, b) =>
    arm && a[arm] !== b[arm]
      ? String(a[arm]).localeCompare(String(b[arm]))
      : (a[x] as number) - (b[x] as number)
  );
  return out;
}

function curveSpec(data: ChartData, options: LearningCurveOptions, defaultTitle: string): Chart {
  const o = resolveConfig("learningCurve", CURVE_DEFAULTS, options);
  const rows = chartRecords(data);
  const values = aggregateCurve(rows, options);
  const x = o.x!;
  const arm = o.arm ?? (rows.some((r) => "arm" in r) ? "arm" : undefined);
  const maxN = values.reduce((m, r) => Math.max(m, r.n as number), 0);
  const xEnc: ChartRow = { field: x, type: "quantitative", title: o.xTitle ?? x };
  if (o.xLogBase !== undefined) {
    xEnc.scale = { type: "log", base: o.xLogBase };
    xEnc.axis = { tickCount: 6 };
  }
  const shared: ChartRow = { x: xEnc };
  // Line symbols in the line colour and dash (the merged legend would otherwise show the faint band's fill);
  // a dash pattern per arm keeps overlapping arms apart.
  const legend = { symbolType: "stroke", symbolStrokeWidth: 2.5, symbolOpacity: 1, symbolSize: 400 };
  const color = (line: boolean) =>
    arm
      ? {
        color: { field: arm, type: "nominal", title: arm, legend },
        ...(line ? { strokeDash: { field: arm, type: "nominal", title: arm, legend } } : {}),
      }
      : {};
  const yTitle = o.yTitle ?? axisTitle(o.aggregate!, o.y, o.level!, maxN);
  const tooltip = [
    ...(arm ? [{ field: arm, type: "nominal" }] : []),
    { field: x, type: "quantitative" },
    { field: o.y, type: "quantitative", format: ".4~g" },
    { field: `${o.y}_lo`, type: "quantitative", format: ".4~g" },
    { field: `${o.y}_hi`, type: "quantitative", format: ".4~g" },
    { field: "n", type: "quantitative", title: "seeds" },
  ];
  const layer: ChartRow[] = [
    {
      mark: { type: "area", opacity: 0.2 },
      encoding: {
        y: { field: `${o.y}_lo`, type: "quantitative", title: yTitle, scale: { zero: false } },
        y2: { field: `${o.y}_hi` },
        ...color(false),
      },
    },
    {
      mark: { type: "line", strokeWidth: 2, point: o.points ? { size: 30 } : false },
      encoding: { y: { field: o.y, type: "quantitative", title: yTitle }, ...color(true), tooltip },
      // Drag to pan, wheel to zoom (interactive views only); double-click resets.
      params: [{ name: "zoom", select: "interval", bind: "scales" }],
    },
  ];
  return new Chart({
    ...frame({ title: o.title ?? defaultTitle, width: o.width, height: o.height }),
    data: { values },
    encoding: shared,
    layer,
  });
}

/** Learning curve: per-(arm, x) mean or IQM over seeds as a line, with a 95% CI band (area layer). */
export function learningCurve(data: ChartData, options: LearningCurveOptions): Chart {
  return curveSpec(data, options, `${options.y} vs ${options.x ?? "step"}`);
}

/** Options for `passAtKCurve`. */
export interface PassAtKCurveOptions extends Omit<LearningCurveOptions, "x" | "y" | "xLogBase" | "xBins"> {
  /** Column holding k (default "k"). */
  k?: string;
  /** Column holding pass@k (default "passAtK"). */
  y?: string;
  /** Log base of the k axis (default 2). */
  logBase?: number;
}

/** pass@k curve (Chen et al. 2021, arXiv:2107.03374): pass@k vs k on a log-k axis, one line per arm, CI band over rows. */
export function passAtKCurve(data: ChartData, options: PassAtKCurveOptions = {}): Chart {
  const { k = "k", y = "passAtK", logBase = 2, ...rest } = options;
  return curveSpec(
    data,
    { ...rest, x: k, y, xLogBase: logBase, points: rest.points ?? true, yTitle: rest.yTitle ?? "pass@k" },
    "pass@k",
  );
}

/** Options for `reliabilityChart`. */
export interface ReliabilityOptions extends ChartLayout {
  /** Predicted-probability column in [0, 1] (default "confidence"). */
  confidence?: string;
  /** Outcome column, boolean or 0/1 (default "correct"). */
  correct?: string;
  /** Arm (model) column, one colour each (default "arm" when present). */
  arm?: string;
  /** Number of equal-width confidence bins (default 10). */
  bins?: number;
}

/** Per-bin reliability statistics plus the expected calibration error per arm. */
export interface ReliabilityBins {
  /** {arm?, bin_lo, bin_hi, confidence (mean), accuracy, acc_lo, acc_hi (Wilson 95%), count}. */
  bins: ChartRow[];
  /** ECE = Σ_b (n_b/N)·|acc_b − conf_b| per arm ("" when there is no arm column). */
  ece: Map<unknown, number>;
}

/** Bin predictions by confidence: accuracy, mean confidence, count and Wilson 95% interval per bin, ECE per arm. */
export function reliabilityBins(data: ChartData, options: ReliabilityOptions = {}): ReliabilityBins {
  const o = resolveConfig("reliabilityChart", {
    confidence: "confidence",
    correct: "correct",
    arm: undefined as string | undefined,
    bins: 10,
    title: undefined as string | undefined,
    width: undefined as number | undefined,
    height: undefined as number | undefined,
  }, options);
  const rows = chartRecords(data);
  requireField(rows, "confidence", o.confidence);
  requireField(rows, "correct", o.correct);
  assertInteger("bins", o.bins, { min: 1, max: 1000 });
  const arm = o.arm ?? (rows.some((r) => "arm" in r) ? "arm" : undefined);
  if (arm) requireField(rows, "arm", arm);
  const byArm = new Map<unknown, { conf: number[]; y: number[] }>();
  rows.forEach((r, i) => {
    const c = numberAt(r, o.confidence, i);
    const y = numberAt(r, o.correct, i);
    if (c === null || y === null) return;
    if (c < 0 || c > 1) throw new ConfigError(`data[${i}].${o.confidence}`, "must be in [0, 1]", c);
    if (y !== 0 && y !== 1) throw new ConfigError(`data[${i}].${o.correct}`, "must be 0/1 or boolean", y);
    const a = arm ? r[arm] : "";
    let g = byArm.get(a);
    if (!g) byArm.set(a, g = { conf: [], y: [] });
    g.conf.push(c);
    g.y.push(y);
  });
  const z = 1.959963984540054;
  const bins: ChartRow[] = [];
  const ece = new Map<unknown, number>();
  for (const a of [...byArm.keys()].sort((p, q) => String(p).localeCompare(String(q)))) {
    const g = byArm.get(a)!;
    // One binning implementation: the estimators' reliability diagram (equal-width, last bin closed).
    const diagram = reliabilityDiagram(g.conf, g.y, { bins: o.bins });
    for (const b of diagram) {
      if (b.count === 0) continue;
      const n = b.count;
      const p = b.accuracy!;
      const denom = 1 + z * z / n;
      const mid = (p + z * z / (2 * n)) / denom;
      const half = z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom;
      const row: ChartRow = {};
      if (arm) row[arm] = a;
      Object.assign(row, {
        bin_lo: b.lower,
        bin_hi: b.upper,
        confidence: b.meanConfidence,
        accuracy: p,
        acc_lo: Math.max(0, mid - half),
        acc_hi: Math.min(1, mid + half),
        count: n,
      });
      bins.push(row);
    }
    ece.set(a, expectedCalibrationError(g.conf, g.y, { bins: o.bins }));
  }
  return { bins, ece };
}

/** Reliability diagram: accuracy vs mean confidence per non-empty bin (point area ∝ count; Wilson 95% CI in the tooltip), the y = x diagonal, and a bin-count histogram below. */
export function reliabilityChart(data: ChartData, options: ReliabilityOptions = {}): Chart {
  const { bins, ece } = reliabilityBins(data, options);
  const rows = chartRecords(data);
  const arm = options.arm ?? (rows.some((r) => "arm" in r) ? "arm" : undefined);
  const width = options.width ?? 480;
  const height = options.height ?? 380;
  const color = arm ? { color: { field: arm, type: "nominal", title: arm } } : {};
  const shape = arm ? { shape: { field: arm, type: "nominal", title: arm } } : {};
  // One subtitle line per ~width of text, so many arms wrap instead of widening the chart.
  const eceParts = [...ece.entries()].map(([a, e]) => (arm ? `${a}: ` : "") + `ECE ${e.toFixed(3)}`);
  const eceLines: string[] = [];
  for (const part of eceParts) {
    const last = eceLines.length - 1;
    if (last >= 0 && (eceLines[last].length + 2 + part.length) * 6.5 <= width) eceLines[last] += `, ${part}`;
    else eceLines.push(part);
  }
  const eceText = eceLines.length === 1 ? eceLines[0] : eceLines;
  const unit = { type: "quantitative", scale: { domain: [0, 1] } };
  return new Chart({
    title: { text: options.title ?? "Reliability diagram", subtitle: eceText },
    data: { values: bins },
    vconcat: [
      {
        width,
        height,
        layer: [
          {
            data: { values: [{ confidence: 0, accuracy: 0 }, { confidence: 1, accuracy: 1 }] },
            mark: { type: "line", color: "#888", strokeDash: [4, 4], strokeWidth: 1 },
            encoding: {
              x: { field: "confidence", ...unit },
              y: { field: "accuracy", ...unit },
            },
          },
          {
            mark: { type: "line", strokeWidth: 1.5, opacity: 0.7 },
            encoding: {
              x: { field: "confidence", ...unit },
              y: { field: "accuracy", ...unit },
              ...color,
            },
          },
          {
            // One point per non-empty bin, its area ∝ the bin's count (thin bins are small, not loud).
            mark: { type: "point", filled: true, opacity: 0.85 },
            encoding: {
              x: { field: "confidence", ...unit, title: "mean predicted confidence" },
              y: { field: "accuracy", ...unit, title: "empirical accuracy" },
              size: { field: "count", type: "quantitative", title: "count", scale: { range: [15, 300] } },
              ...color,
              ...shape,
              tooltip: [
                ...(arm ? [{ field: arm, type: "nominal" }] : []),
                { field: "confidence", type: "quantitative", format: ".3f" },
                { field: "accuracy", type: "quantitative", format: ".3f" },
                { field: "acc_lo", type: "quantitative", format: ".3f", title: "Wilson 95% lo" },
                { field: "acc_hi", type: "quantitative", format: ".3f", title: "Wilson 95% hi" },
                { field: "count", type: "quantitative" },
              ],
            },
          },
        ],
      },
      {
        width,
        height: 80,
        mark: { type: "bar", opacity: 0.8 },
        encoding: {
          x: {
            field: "bin_lo",
            bin: { binned: true },
            type: "quantitative",
            scale: { domain: [0, 1] },
            title: "confidence bin",
          },
          x2: { field: "bin_hi" },
          y: { field: "count", type: "quantitative", title: "count", stack: arm ? "zero" : null },
          ...color,
          tooltip: [
            ...(arm ? [{ field: arm, type: "nominal" }] : []),
            { field: "bin_lo", type: "quantitative" },
            { field: "count", type: "quantitative" },
          ],
        },
      },
    ],
  });
}

/** Options for `barChart`. */
export interface BarChartOptions extends ChartLayout {
  /** Category column (x axis). */
  category: string;
  /** Value column (bar height). */
  value: string;
  /** Sub-group column, bars side by side with one colour each. */
  color?: string;
  /** Given lower CI column; when lo/hi are absent, rows sharing (category, color) are summarized with a CI. */
  lo?: string;
  /** Given upper CI column (together with `lo`). */
  hi?: string;
  /** Point estimate when summarizing rows (default "mean"). */
  aggregate?: ChartAggregate;
  /** CI level when summarizing rows (default 0.95). */
  level?: number;
  /** Axis title for the value (default: derived from the value column). */
  yTitle?: string;
}

/** Bar chart with CI whiskers: one bar per category (side by side per colour), whiskers from lo to hi. */
export function barChart(data: ChartData, options: BarChartOptions): Chart {
  const o = resolveConfig("barChart", {
    category: "",
    value: "",
    color: undefined as string | undefined,
    lo: undefined as string | undefined,
    hi: undefined as string | undefined,
    aggregate: "mean" as ChartAggregate,
    level: 0.95,
    yTitle: undefined as string | undefined,
    title: undefined as string | undefined,
    width: undefined as number | undefined,
    height: undefined as number | undefined,
  }, options);
  const rows = chartRecords(data);
  requireField(rows, "category", o.category);
  requireField(rows, "value", o.value);
  if (o.color) requireField(rows, "color", o.color);
  assertOneOf("aggregate", o.aggregate, CHART_AGGREGATES);
  if ((o.lo === undefined) !== (o.hi === undefined)) {
    throw new ConfigError(o.lo === undefined ? "lo" : "hi", "must be given together with the other bound");
  }
  const loF = o.lo ?? `${o.value}_lo`;
  const hiF = o.hi ?? `${o.value}_hi`;
  let values: ChartRow[];
  let maxN = 1;
  if (o.lo !== undefined) {
    requireField(rows, "lo", o.lo);
    requireField(rows, "hi", o.hi!);
    values = rows;
  } else {
    const groups = new Map<string, { c: unknown; s: unknown; vals: number[] }>();
    rows.forEach((r, i) => {
      const v = numberAt(r, o.value, i);
      if (v === null) return;
      const s = o.color ? r[o.color] : null;
      const key = JSON.stringify([r[o.category], s]);
      let g = groups.get(key);
      if (!g) groups.set(key, g = { c: r[o.category], s, vals: [] });
      g.vals.push(v);
    });
    values = [...groups.values()].map((g) => {
      const e = estimate(g.vals, o.aggregate, o.level, 0);
      maxN = Math.max(maxN, e.n);
      const row: ChartRow = { [o.category]: g.c };
      if (o.color) row[o.color] = g.s;
      Object.assign(row, { [o.value]: e.center, [loF]: e.lo, [hiF]: e.hi, n: e.n });
      return row;
    });
  }
  const yTitle = o.yTitle ?? (o.lo !== undefined ? o.value : axisTitle(o.aggregate, o.value, o.level, maxN));
  const colorEnc = o.color
    ? {
      color: { field: o.color, type: "nominal", title: o.color },
      xOffset: { field: o.color, type: "nominal" },
    }
    : {};
  return new Chart({
    ...frame({ title: o.title, width: o.width, height: o.height }),
    data: { values },
    encoding: {
      x: {
        field: o.category,
        type: "nominal",
        title: o.category,
        // Horizontal labels while they fit; slanted beyond that.
        axis: {
          labelAngle: labelsFit(values.map((r) => String(r[o.category])), o.width ?? DEFAULT_WIDTH) ? 0 : -40,
        },
      },
    },
    layer: [
      {
        mark: { type: "bar", opacity: 0.85 },
        encoding: {
          y: { field: o.value, type: "quantitative", title: yTitle },
          ...colorEnc,
          tooltip: [
            { field: o.category, type: "nominal" },
            ...(o.color ? [{ field: o.color, type: "nominal" }] : []),
            { field: o.value, type: "quantitative", format: ".4~g" },
            { field: loF, type: "quantitative", format: ".4~g" },
            { field: hiF, type: "quantitative", format: ".4~g" },
          ],
        },
      },
      {
        mark: { type: "rule", color: "black", strokeWidth: 1.5 },
        encoding: {
          y: { field: loF, type: "quantitative" },
          y2: { field: hiF },
          ...(o.color ? { xOffset: { field: o.color, type: "nominal" } } : {}),
        },
      },
    ],
  });
}

/** Whether distinct category labels fit side by side on a band axis of this width (~6.5 px per 11px char). */
function labelsFit(labels: string[], width: number): boolean {
  const distinct = [...new Set(labels)];
  const band = width / Math.max(1, distinct.length);
  return distinct.every((l) => l.length * 6.5 + 4 <= band);
}

/** Options for `difficultyScatter`. */
export interface DifficultyScatterOptions extends ChartLayout {
  /** x column (default "accuracy": the per-prompt pass rate p). */
  x?: string;
  /** y column; when absent y is the learning signal p(1 − p) computed from x, with the parabola drawn. */
  y?: string;
  /** Colour column (e.g. task or curriculum bucket). */
  color?: string;
  /** Size column (e.g. number of samples). */
  size?: string;
  /** x axis title. */
  xTitle?: string;
  /** y axis title. */
  yTitle?: string;
}

/**
 * Per-prompt difficulty scatter: accuracy p vs the Bernoulli reward variance p(1 − p) (the GRPO learning signal,
 * zero for all-solved or all-failed prompts), or vs any column such as hint length.
 */
export function difficultyScatter(data: ChartData, options: DifficultyScatterOptions = {}): Chart {
  const o = resolveConfig("difficultyScatter", {
    x: "accuracy",
    y: undefined as string | undefined,
    color: undefined as string | undefined,
    size: undefined as string | undefined,
    xTitle: undefined as string | undefined,
    yTitle: undefined as string | undefined,
    title: undefined as string | undefined,
    width: undefined as number | undefined,
    height: undefined as number | undefined,
  }, options);
  let rows = chartRecords(data);
  requireField(rows, "x", o.x);
  if (o.color) requireField(rows, "color", o.color);
  if (o.size) requireField(rows, "size", o.size);
  const signal = o.y === undefined;
  const y = o.y ?? "signal";
  if (signal) {
    rows = rows.map((r, i) => {
      const p = numberAt(r, o.x, i);
      if (p !== null && (p < 0 || p > 1)) {
        throw new ConfigError(`data[${i}].${o.x}`, "must be in [0, 1] to compute p(1 − p)", p);
      }
      return { ...r, signal: p === null ? null : p * (1 - p) };
    });
  } else requireField(rows, "y", y);
  const pts: ChartRow = {
    mark: { type: "point", filled: true, opacity: 0.7 },
    encoding: {
      x: { field: o.x, type: "quantitative", title: o.xTitle ?? (signal ? "accuracy p" : o.x) },
      y: { field: y, type: "quantitative", title: o.yTitle ?? (signal ? "learning signal p(1 − p)" : y) },
      ...(o.color ? { color: { field: o.color, type: "nominal", title: o.color } } : {}),
      ...(o.size ? { size: { field: o.size, type: "quantitative", title: o.size } } : {}),
      tooltip: Object.keys(rows[0] ?? {}).slice(0, 8).map((f) => ({ field: f })),
    },
  };
  const layer: ChartRow[] = [pts];
  if (signal) {
    const curve = Array.from(
      { length: 101 },
      (_, i) => ({ [o.x]: i / 100, signal: (i / 100) * (1 - i / 100) }),
    );
    layer.unshift({
      data: { values: curve },
      mark: { type: "line", color: "#999", strokeDash: [4, 4] },
      encoding: { x: { field: o.x, type: "quantitative" }, y: { field: "signal", type: "quantitative" } },
    });
  }
  return new Chart({
    ...frame({ title: o.title ?? "Per-prompt difficulty", width: o.width, height: o.height }),
    data: { values: rows },
    layer,
  });
}

/** Options for `sweepExplorer`. */
export interface SweepExplorerOptions extends ChartLayout {
  /** The swept hyperparameter column; one grid point per distinct value. */
  param: string;
  /** x column (default "step"). */
  x?: string;
  /** y column (the metric). */
  y: string;
  /** Colour column, one line per value (e.g. the arm). */
  color?: string;
  /** Input bound to the grid point: "range" (a slider over evenly spaced numbers), "select" (a dropdown), or "auto" (default: range when the numeric grid is evenly spaced, else select). */
  input?: "auto" | "range" | "select";
  /** Grid point shown first (default: the smallest value). */
  initial?: number | string;
}

/** Name of the vega-lite parameter `sweepExplorer` binds to its input: the column name made identifier-safe. */
export function sweepParamName(param: string): string {
  return `sweep_${param.replace(/[^A-Za-z0-9_]/g, "_")}`;
}

/**
 * Sweep explorer: a precomputed hyperparameter sweep (rows with a swept `param` column) as y vs x lines, one
 * grid point at a time; a slider or dropdown (a vega-lite parameter bound to an input) picks the grid point,
 * the other grid points stay as faint grey context, and the y scale is fixed across grid points.
 */
export function sweepExplorer(data: ChartData, options: SweepExplorerOptions): Chart {
  const o = resolveConfig("sweepExplorer", {
    param: "",
    x: "step",
    y: "",
    color: undefined as string | undefined,
    input: "auto" as "auto" | "range" | "select",
    initial: undefined as number | string | undefined,
    title: undefined as string | undefined,
    width: undefined as number | undefined,
    height: undefined as number | undefined,
  }, options);
  const rows = chartRecords(data);
  if (rows.length === 0) throw new ConfigError("data", "must hold at least one row of the sweep", rows);
  for (const k of ["param", "x", "y"] as const) requireField(rows, k, o[k]);
  if (o.color) requireField(rows, "color", o.color);
  assertOneOf("input", o.input, ["auto", "range", "select"] as const);
  const raw = [...new Set(rows.map((r) => r[o.param]))].filter((v) => v !== null && v !== undefined);
  const numeric = raw.every((v) => typeof v === "number" && Number.isFinite(v));
  const grid = numeric ? (raw as number[]).sort((a, b) => a - b) : raw.map(String).sort();
  const steps = numeric ? (grid as number[]).slice(1).map((v, i) => v - (grid[i] as number)) : [];
  const even = numeric && grid.length >= 2 &&
    steps.every((d) => Math.abs(d - steps[0]) <= 1e-9 * Math.abs(steps[0]));
  if (o.input === "range" && !even) {
    throw new ConfigError("input", '"range" needs an evenly spaced numeric grid; use "select"', grid);
  }
  const useRange = o.input === "range" || (o.input === "auto" && even);
  const initial = o.initial ?? grid[0];
  if (!grid.some((g) => g === initial)) {
    throw new ConfigError("initial", `must be one of the grid values ${JSON.stringify(grid)}`, initial);
  }
  const name = sweepParamName(o.param);
  const bind = useRange
    ? { input: "range", min: grid[0], max: grid[grid.length - 1], step: steps[0], name: `${o.param} ` }
    : { input: "select", options: grid, name: `${o.param} ` };
  const field = `datum[${JSON.stringify(o.param)}]`;
  // Slider values are min + k·step in floating point: compare numbers with a relative tolerance.
  const selected = numeric ? `abs(${field} - ${name}) <= 1e-9 * max(1, abs(${name}))` : `${field} == ${name}`;
  const values = numeric ? rows : rows.map((r) => ({ ...r, [o.param]: String(r[o.param]) }));
  const ys = rows.map((r, i) => numberAt(r, o.y, i)).filter((v): v is number => v !== null);
  const yScale = { domain: [Math.min(...ys), Math.max(...ys)], zero: false };
  const detail = [
    { field: o.param, type: numeric ? "quantitative" : "nominal" },
    ...(o.color ? [{ field: o.color, type: "nominal" }] : []),
  ];
  return new Chart({
    ...frame({ width: o.width, height: o.height }),
    // The subtitle follows the input, so the static SVG also says which grid point it shows.
    title: {
      text: o.title ?? `${o.y} vs ${o.x} by ${o.param}`,
      subtitle: { expr: `${JSON.stringify(`${o.param} = `)} + ${name}` },
    },
    params: [{ name, value: initial, bind }],
    data: { values },
    encoding: {
      x: { field: o.x, type: "quantitative", title: o.x },
      y: { field: o.y, type: "quantitative", title: o.y, scale: yScale },
    },
    layer: [
      {
        mark: { type: "line", color: "#ccc", strokeWidth: 1 },
        encoding: { detail },
      },
      {
        transform: [{ filter: selected }],
        mark: { type: "line", strokeWidth: 2.5, point: { size: 20 } },
        encoding: {
          ...(o.color
            ? {
              color: { field: o.color, type: "nominal", title: o.color, legend: { symbolType: "stroke" } },
              strokeDash: {
                field: o.color,
                type: "nominal",
                title: o.color,
                legend: { symbolType: "stroke" },
              },
            }
            : {}),
          tooltip: [
            { field: o.param, type: numeric ? "quantitative" : "nominal" },
            ...(o.color ? [{ field: o.color, type: "nominal" }] : []),
            { field: o.x, type: "quantitative" },
            { field: o.y, type: "quantitative", format: ".4~g" },
          ],
        },
      },
    ],
  });
}
