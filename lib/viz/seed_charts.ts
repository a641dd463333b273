/**
 * Seed-level chart builders of the reproductions (vega-lite v5 via `Chart`): lines with a 95% band over seeds
 * (optionally log-x), faceted by a stratum; dot-and-whisker plots; scatters. Each takes long-format rows
 * already reduced to one value per (seed, x, series, facet) and aggregates over seeds through `aggregateCurve`,
 * whose band is lib/stats `aggregateInterval` — the interval the claims use.
 */
import { Chart } from "./chart.ts";
import { aggregateCurve, type ChartData, DEFAULT_WIDTH, learningCurve } from "./charts.ts";
import type { Row } from "../log/runlog.ts";

/** Field names of a band chart. */
export interface BandFields {
  /** x field (e.g. "step", "k"). */
  x: string;
  /** y field (averaged over seeds). */
  y: string;
  /** Series field (color). */
  series: string;
  /** Facet field (column), optional. */
  facet?: string;
}

/** Options of `bandChart`. */
export interface BandOptions {
  /** Chart title. */
  title: string;
  /** x-axis title. */
  xTitle: string;
  /** y-axis title. */
  yTitle: string;
  /** Log-scale x axis (base 2). */
  logX?: boolean;
}

/**
 * Group rows by the given fields and summarise `y` over the remaining rows (seeds) as the mean and its 95%
 * interval (lib/stats `aggregateInterval`) — lib/viz `aggregateCurve` does the aggregation (rows without a finite `y` are skipped).
 */
export function summariseOverSeeds(rows: readonly Row[], keys: readonly string[], y: string): Row[] {
  const seed = rows.some((r) => "seed" in r) ? "seed" : undefined;
  const keyed = rows.map((r) => ({
    key: JSON.stringify(keys.map((k) => r[k] ?? null)),
    x: 0,
    ...(seed ? { seed: r.seed } : {}),
    y: Number.isFinite(Number(r[y])) && r[y] !== null && r[y] !== "" ? Number(r[y]) : null,
  }));
  if (!keyed.some((r) => r.y !== null)) return [];
  return aggregateCurve(keyed, { x: "x", y: "y", arm: "key", seed, aggregate: "mean", level: 0.95 }).map(
    (g) => {
      const values = JSON.parse(String(g.key)) as (number | string)[];
      const out: Row = {};
      keys.forEach((k, i) => (out[k] = values[i]));
      return { ...out, mean: g.y as number, lo: g.y_lo as number, hi: g.y_hi as number, n: g.n as number };
    },
  );
}

/**
 * Line of the seed mean with a 95% band, per series, optionally faceted into columns. Without a facet this is
 * lib/viz `learningCurve` (legend in line colours, a dash per series, bands clipped to [0, 1] for
 * probabilities, zoom and pan); faceted panels use the same marks side by side.
 */
export function bandChart(rows: readonly Row[], f: BandFields, o: BandOptions): Chart {
  if (!f.facet) {
    return learningCurve(rows as ChartData, {
      x: f.x,
      y: f.y,
      arm: f.series,
      title: o.title,
      xTitle: o.xTitle,
      yTitle: o.yTitle,
      points: true,
      ...(o.logX ? { xLogBase: 2 } : {}),
    });
  }
  const keys = [f.x, f.series, f.facet];
  const values = summariseOverSeeds(rows, keys, f.y);
  const x = {
    field: f.x,
    type: "quantitative",
    title: o.xTitle,
    ...(o.logX ? { scale: { type: "log", base: 2 } } : {}),
  };
  const legend = { symbolType: "stroke", symbolStrokeWidth: 2.5, symbolOpacity: 1, symbolSize: 400 };
  const color = { field: f.series, type: "nominal", title: f.series, legend };
  const layer = [
    {
      mark: { type: "area", opacity: 0.2 },
      encoding: { x, y: { field: "lo", type: "quantitative", title: o.yTitle }, y2: { field: "hi" }, color },
    },
    {
      mark: { type: "line", strokeWidth: 2, point: { size: 30 } },
      encoding: {
        x,
        y: { field: "mean", type: "quantitative" },
        color,
        strokeDash: { field: f.series, type: "nominal", title: f.series, legend },
      },
    },
  ];
  const panels = new Set(values.map((v) => v[f.facet!])).size || 1;
  const inner = { width: Math.max(200, Math.floor(DEFAULT_WIDTH / panels)), height: 240, layer };
  return new Chart({
    title: o.title,
    data: { values },
    facet: { column: { field: f.facet, type: "ordinal", title: f.facet } },
    spec: inner,
    resolve: { scale: { y: "independent" } },
  });
}

/** One row per category: estimate with a [lo, hi] whisker. */
export interface WhiskerRow {
  /** Category label (y axis). */
  label: string;
  /** Point estimate. */
  estimate: number;
  /** Lower end of the whisker (CI). */
  lo: number;
  /** Upper end of the whisker (CI). */
  hi: number;
  /** Colour group (optional). */
  group?: string;
}

/** Dot-and-whisker chart (estimate with 95% CI) per label, colored by group. */
export function whiskerChart(
  values: readonly WhiskerRow[],
  o: { title: string; xTitle: string; zero?: boolean },
): Chart {
  const y = { field: "label", type: "nominal", title: null, sort: null, axis: { labelLimit: 360 } };
  const color = { field: "group", type: "nominal", title: null };
  const layer: Record<string, unknown>[] = [
    {
      mark: { type: "rule", strokeWidth: 2 },
      encoding: { y, x: { field: "lo", type: "quantitative", title: o.xTitle }, x2: { field: "hi" }, color },
    },
    {
      mark: { type: "point", filled: true, size: 80 },
      encoding: { y, x: { field: "estimate", type: "quantitative" }, color },
    },
  ];
  if (o.zero) layer.push({ mark: { type: "rule", strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } });
  return new Chart({
    title: o.title,
    width: 420,
    data: { values: values.map((v) => ({ group: "", ...v })) },
    layer,
  });
}

/** Scatter of (x, y) points labelled by `label`, colored by `series`, faceted by `facet`. */
export function scatterChart(
  values: readonly Row[],
  f: { x: string; y: string; series: string; label?: string; facet?: string },
  o: { title: string; xTitle: string; yTitle: string },
): Chart {
  const enc = {
    x: { field: f.x, type: "quantitative", title: o.xTitle },
    y: { field: f.y, type: "quantitative", title: o.yTitle },
    color: { field: f.series, type: "nominal", title: f.series },
  };
  const layer: Record<string, unknown>[] = [{
    mark: { type: "point", filled: true, size: 70 },
    encoding: enc,
  }];
  if (f.label) {
    layer.push({
      mark: { type: "text", dx: 6, align: "left", fontSize: 9 },
      encoding: { x: enc.x, y: enc.y, text: { field: f.label } },
    });
  }
  const inner = { width: 220, height: 180, layer };
  return new Chart(
    f.facet
      ? {
        title: o.title,
        data: { values },
        facet: { column: { field: f.facet, type: "ordinal", title: f.facet } },
        spec: inner,
        resolve: { scale: { x: "independent" } },
      }
      : { title: o.title, data: { values }, ...inner },
  );
}
