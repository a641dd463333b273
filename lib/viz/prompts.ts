/**
 * Per-prompt pass-rate charts from the trainer's prompt log (`RLVRTrainer.promptLog`, one row per trained group
 * and step): the distribution of p̂ over steps and the share of prompts in the informative band 0 < p̂ < 1,
 * where a group-relative estimator gets a non-zero signal (GRPO: p̂ ∈ {0, 1} gives advantage 0).
 */
import { assertInteger, ConfigError } from "../core/validate.ts";
import { Chart } from "./chart.ts";
import { type ChartData, chartRecords, type ChartRow } from "./charts.ts";

/** Per-step summary of a prompt log: prompts, informative share, and p̂ counts per bin. */
export interface PromptPassRateStep {
  /** Training step. */
  step: number;
  /** Prompts (groups) logged at this step. */
  prompts: number;
  /** Share with 0 < p̂ < 1. */
  informativeShare: number;
  /** Share with p̂ = 0. */
  noneCorrectShare: number;
  /** Share with p̂ = 1. */
  allCorrectShare: number;
  /** Mean p̂. */
  meanPassRate: number;
}

/** Input: a prompt RunLog (anything with `rows`) or its rows / an arquero table. */
export type PromptLogData = ChartData | { rows: readonly ChartRow[] };

function promptRecords(data: PromptLogData): ChartRow[] {
  const d = data as { rows?: unknown };
  if (d && typeof d === "object" && Array.isArray(d.rows)) return d.rows as ChartRow[];
  return chartRecords(data as ChartData);
}

function readRows(data: PromptLogData): { step: number; p: number }[] {
  return promptRecords(data).map((r, i) => {
    const step = r.step, p = r.passRate;
    if (typeof step !== "number" || !Number.isFinite(step)) {
      throw new ConfigError(`data[${i}].step`, "must be a finite number (a prompt-log row)", step);
    }
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new ConfigError(`data[${i}].passRate`, "must be a number in [0, 1] (a prompt-log row)", p);
    }
    return { step, p };
  });
}

/** Per-step p̂ summary of a prompt log (pure; steps ascending): informative share = #{0 < p̂ < 1} / #prompts. */
export function promptPassRateSummary(data: PromptLogData): PromptPassRateStep[] {
  const by = new Map<number, number[]>();
  for (const { step, p } of readRows(data)) by.set(step, [...(by.get(step) ?? []), p]);
  return [...by.keys()].sort((a, b) => a - b).map((step) => {
    const ps = by.get(step)!;
    const n = ps.length;
    const share = (f: (p: number) => boolean) => ps.filter(f).length / n;
    return {
      step,
      prompts: n,
      informativeShare: share((p) => p > 0 && p < 1),
      noneCorrectShare: share((p) => p === 0),
      allCorrectShare: share((p) => p === 1),
      meanPassRate: ps.reduce((a, b) => a + b, 0) / n,
    };
  });
}

/** Options of `promptPassRateChart`. */
export interface PromptPassRateChartOptions {
  /** Bins of p̂ in the distribution panel (default 10; p̂ = 1 falls in the last bin). */
  bins?: number;
  /** Title (default "Per-prompt pass rate p̂ over training"). */
  title?: string;
  /** Panel width in px (default 420). */
  width?: number;
}

/**
 * Two panels from a prompt log: (top) the share of prompts per p̂ bin at each step (heat map); (bottom) the
 * share in the informative band 0 < p̂ < 1 and the shares at p̂ = 0 and p̂ = 1 over steps.
 */
export function promptPassRateChart(data: PromptLogData, options: PromptPassRateChartOptions = {}): Chart {
  const bins = options.bins ?? 10;
  assertInteger("bins", bins, { min: 1, max: 100 });
  const width = options.width ?? 420;
  const rows = readRows(data);
  if (rows.length === 0) throw new ConfigError("data", "must hold at least one prompt-log row");
  const summary = promptPassRateSummary(data);
  const total = new Map(summary.map((s) => [s.step, s.prompts]));
  const cells = new Map<string, { step: number; bin: number; count: number }>();
  for (const { step, p } of rows) {
    const b = Math.min(bins - 1, Math.floor(p * bins));
    const key = `${step}:${b}`;
    const c = cells.get(key) ?? { step, bin: b, count: 0 };
    c.count++;
    cells.set(key, c);
  }
  const heat = [...cells.values()].map((c) => ({
    step: c.step,
    low: c.bin / bins,
    high: (c.bin + 1) / bins,
    share: c.count / total.get(c.step)!,
  }));
  const bands = summary.flatMap((s) => [
    { step: s.step, band: "0 < p̂ < 1 (informative)", share: s.informativeShare },
    { step: s.step, band: "p̂ = 0", share: s.noneCorrectShare },
    { step: s.step, band: "p̂ = 1", share: s.allCorrectShare },
  ]);
  return new Chart({
    title: options.title ?? "Per-prompt pass rate p̂ over training",
    vconcat: [
      {
        width,
        height: 200,
        data: { values: heat },
        mark: { type: "rect" },
        encoding: {
          x: { field: "step", type: "ordinal", title: "step" },
          y: { field: "low", type: "quantitative", title: "p̂ (bin)", scale: { domain: [0, 1] } },
          y2: { field: "high" },
          color: { field: "share", type: "quantitative", title: "share of prompts" },
          tooltip: [{ field: "step" }, { field: "low" }, { field: "high" }, {
            field: "share",
            format: ".2f",
          }],
        },
      },
      {
        width,
        height: 160,
        data: { values: bands },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "step", type: "quantitative", title: "step" },
          y: { field: "share", type: "quantitative", title: "share of prompts", scale: { domain: [0, 1] } },
          color: { field: "band", type: "nominal", title: "band" },
        },
      },
    ],
  });
}
