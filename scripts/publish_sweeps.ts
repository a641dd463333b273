/**
 * `deno task publish-sweeps [paper…] [--results results] [--out docs/results/sweeps]`: for each paper's
 * notebook slider (`SWEEP_SLIDERS`), read its finished sweep (results/sweeps/<sweep>/) with `sweepRunRows`,
 * average the chosen metric over seeds per (grid value, arm, x), thin the x values so the table stays within
 * `MAX_SLIDER_ROWS`, and write docs/results/sweeps/<paper>.json: a header (commit, machine, the `deno task sweep`
 * command that produced the sweep, seeds) and the tidy rows {<param>, <color>, <x>, <y>, n} that
 * `sweepExplorer` plots. Papers whose sweep has not been run are skipped with a note.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../lib/core/validate.ts";
import type { Grid, GridValue } from "../lib/jobs/grid.ts";
import { type RowFilter, sweepRunRows } from "../mod.ts";
import { type Provenance, provenance } from "./publish_results.ts";

export type { Grid, GridValue, Provenance, RowFilter };

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Most rows published per paper (the notebook embeds them all in one vega-lite spec). */
export const MAX_SLIDER_ROWS = 2000;

/** One notebook slider: which sweep, which rows, which columns. */
export interface SweepSlider {
  /** Sweep name (results/sweeps/<sweep>/). */
  sweep: string;
  /** The swept config field (the slider). */
  param: string;
  /** Rows kept (equality filter, e.g. {kind: "curve"}). */
  where: RowFilter;
  /** x column. */
  x: string;
  /** y column (averaged over seeds). */
  y: string;
  /** Colour column (one line per value, e.g. the arm). */
  color: string;
  /** Chart title. */
  title: string;
  /** One line for the notebook: what the slider moves and what the chart shows. */
  caption: string;
}

/** The slider of each paper notebook (key = docs/results/sweeps/<key>.json). */
export const SWEEP_SLIDERS: Record<string, SweepSlider> = {
  filtering: {
    sweep: "filtering-low",
    title: "Held-out accuracy (mean over seeds) at each T_low",
    param: "low",
    where: { kind: "curve" },
    x: "step",
    y: "acc",
    color: "arm",
    caption: "lower edge T_low of the balanced filter's band [T_low, T_high]; held-out accuracy per arm",
  },
  seele: {
    sweep: "seele-initialHintRate",
    title: "Unhinted held-out accuracy (mean over seeds) at each first-visit hint rate",
    param: "initialHintRate",
    where: { kind: "curve" },
    x: "step",
    y: "acc",
    color: "arm",
    caption:
      "SEELE's first-visit hint rate; held-out accuracy per arm (the SEELE arms are a* = 0.25/0.5/0.75)",
  },
  kae: {
    sweep: "kae-bandwidth",
    title: "Value-estimate MSE (mean over seeds), L = 5, at each KAE bandwidth h",
    param: "bandwidth",
    // batchMean's MSE is ~30× the others' and would flatten them on a shared y scale.
    where: { kind: "mseCurve", length: 5, baseline: ["kae", "groupMean", "groupMeanLOO"] },
    x: "step",
    y: "mse",
    color: "baseline",
    caption: "KAE bandwidth h (iterations); value-estimate MSE per per-prompt baseline, chain length L = 5",
  },
  rover: {
    sweep: "rover-temperature",
    title: "Expected distinct solutions (mean over seeds), depth 7, at each ρ",
    param: "temperature",
    where: { kind: "curve", depth: 7 },
    x: "step",
    y: "distinct",
    color: "method",
    caption: "ROVER's sampling temperature ρ; expected distinct solutions per method, depth 7",
  },
  saturn: {
    sweep: "saturn-threshold",
    title: "Held-out target pass@1 (mean over seeds) at each advance threshold",
    param: "threshold",
    where: { kind: "curve" },
    x: "rollouts",
    y: "pass",
    color: "arm",
    caption: "the ladder's advance threshold on validation pass@1; held-out target pass@1 per arm",
  },
  nsr: {
    sweep: "nsr-lambda",
    title: "Exact held-out pass@256 (mean over seeds) at each λ",
    param: "lambda",
    where: { kind: "curve" },
    x: "step",
    y: "pass256",
    color: "arm",
    caption: "W-REINFORCE's weight λ on positive samples; exact held-out pass@256 per arm",
  },
  rlcr: {
    sweep: "rlcr-referenceWeights",
    title: "Mean stated confidence during RL (mean over seeds) for each start",
    param: "referenceWeights",
    where: { kind: "curve" },
    x: "step",
    y: "meanConfidence",
    color: "arm",
    caption:
      "the start's calibration (weights of the confidence levels in the SFT references); mean stated confidence per arm",
  },
  "grpo-ablation": {
    sweep: "grpo-ablation-epsHigh",
    title: "Policy entropy (mean over seeds) at each ε_high",
    param: "epsHigh",
    where: { kind: "curve" },
    x: "step",
    y: "entropy",
    color: "arm",
    caption: "ε_high of the clip-higher arm; policy entropy per arm",
  },
};

/** What `publishSweep` writes to docs/results/sweeps/<paper>.json. */
export interface PublishedSweep {
  /** Where the numbers came from. */
  header: Provenance & { published: string; command: string; seeds: number; preset: string; sweep: string };
  /** Chart title. */
  title: string;
  /** The swept config field (the slider). */
  param: string;
  /** x column. */
  x: string;
  /** y column (seed mean). */
  y: string;
  /** Colour column. */
  color: string;
  /** What the slider moves and what the chart shows. */
  caption: string;
  /** Tidy rows {param, color, x, y, n}: y averaged over n seeds. */
  rows: Record<string, number | string>[];
}

/** The `deno task sweep` command line that reproduces a sweep from its sweep.json. */
export function sweepCommand(
  meta: { reproduction: string; grid: Grid; preset: string; seeds?: number; name: string },
): string {
  const quote = (s: string) => /^[A-Za-z0-9._=,+-]+$/.test(s) ? s : `'${s}'`;
  const grid = Object.entries(meta.grid).map(([k, vs]) =>
    `--grid ${quote(`${k}=${vs.map((v) => typeof v === "string" ? v : JSON.stringify(v)).join(",")}`)}`
  );
  return [
    "deno task sweep",
    meta.reproduction,
    ...grid,
    `--preset ${meta.preset}`,
    ...(meta.seeds ? [`--seeds ${meta.seeds}`] : []),
    `--name ${meta.name}`,
  ].join(" ");
}

/**
 * Tidy slider rows: mean of `y` over seeds (6 significant digits) per (param, color, x), n = seeds averaged; when there are more than
 * `maxRows`, every k-th x value is kept (the first and last always), k the smallest that fits.
 */
export function sliderRows(
  rows: readonly Record<string, unknown>[],
  s: Pick<SweepSlider, "param" | "x" | "y" | "color">,
  maxRows = MAX_SLIDER_ROWS,
): Record<string, number | string>[] {
  const groups = new Map<string, { key: [unknown, unknown, number]; sum: number; n: number }>();
  for (const r of rows) {
    const y = r[s.y], x = r[s.x];
    if (typeof y !== "number" || !Number.isFinite(y) || typeof x !== "number") continue;
    const key: [unknown, unknown, number] = [r[s.param], r[s.color], x];
    const id = JSON.stringify(key);
    const g = groups.get(id) ?? { key, sum: 0, n: 0 };
    g.sum += y;
    g.n++;
    groups.set(id, g);
  }
  const xs = [...new Set([...groups.values()].map((g) => g.key[2]))].sort((a, b) => a - b);
  const lines = new Set([...groups.values()].map((g) => JSON.stringify(g.key.slice(0, 2)))).size;
  let k = 1;
  while (lines * (Math.ceil((xs.length - 1) / k) + 1) > maxRows && k < xs.length) k++;
  const kept = new Set(xs.filter((_, i) => i % k === 0 || i === xs.length - 1));
  return [...groups.values()].filter((g) => kept.has(g.key[2])).map((g) => ({
    [s.param]: g.key[0] as number | string,
    [s.color]: g.key[1] as number | string,
    [s.x]: g.key[2],
    [s.y]: Number((g.sum / g.n).toPrecision(6)),
    n: g.n,
  }));
}

/** Publish one paper's slider data from results/sweeps/<sweep>/ (see module doc); returns the written object. */
export async function publishSweep(
  paper: string,
  options: { results?: string; out?: string; provenance?: Provenance; date?: Date; slider?: SweepSlider } =
    {},
): Promise<PublishedSweep> {
  const s = options.slider ?? SWEEP_SLIDERS[paper];
  if (!s) throw new ConfigError("paper", `must be one of ${Object.keys(SWEEP_SLIDERS).join(", ")}`, paper);
  const dir = join(options.results ?? join(ROOT, "results"), "sweeps", s.sweep);
  let meta;
  try {
    meta = JSON.parse(await Deno.readTextFile(join(dir, "sweep.json")));
  } catch {
    throw new ConfigError("results", `must hold the finished sweep ${s.sweep} (run: deno task sweep …)`, dir);
  }
  const rows = sliderRows(await sweepRunRows(dir, s.where), s);
  if (rows.length === 0) {
    throw new ConfigError("where", `matches no ${s.y} rows in sweep ${s.sweep}`, s.where);
  }
  const seeds = Math.max(...rows.map((r) => Number(r.n)));
  const out: PublishedSweep = {
    header: {
      ...(options.provenance ?? provenance()),
      published: (options.date ?? new Date()).toISOString().slice(0, 10),
      command: sweepCommand(meta),
      seeds,
      preset: meta.preset,
      sweep: s.sweep,
    },
    title: s.title,
    param: s.param,
    x: s.x,
    y: s.y,
    color: s.color,
    caption: s.caption,
    rows,
  };
  const outDir = options.out ?? join(ROOT, "docs", "results", "sweeps");
  await Deno.mkdir(outDir, { recursive: true });
  await Deno.writeTextFile(join(outDir, `${paper}.json`), JSON.stringify(out) + "\n");
  return out;
}

if (import.meta.main) {
  const args = [...Deno.args];
  const opt = (name: string) => {
    const i = args.indexOf(name);
    if (i < 0) return undefined;
    const v = args[i + 1];
    args.splice(i, 2);
    return v;
  };
  const results = opt("--results"), out = opt("--out");
  const papers = args.length ? args : Object.keys(SWEEP_SLIDERS);
  const p = provenance();
  for (const paper of papers) {
    try {
      const res = await publishSweep(paper, { results, out, provenance: p });
      console.log(`${paper}: ${res.rows.length} rows from ${res.header.sweep} (${res.header.seeds} seeds)`);
    } catch (e) {
      if (!(e instanceof ConfigError) || args.length) throw e;
      console.log(`${paper}: skipped (${e.message})`);
    }
  }
}
