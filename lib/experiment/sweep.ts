/**
 * `sweep`: run a reproduction over a grid of config values — one job per (grid point, seed) through the same
 * job list as `deno task reproduce --jobs` (local pool or SLURM array), each point checkpointed in
 * `results/sweeps/<name>/points/<point key>/` so a sweep resumes — and gather two tidy tables:
 * - `claims`: one row per (point, claim): the grid fields, `point`, `claim_id`, `claim`, `estimate`, `ci_low`,
 *   `ci_high`, `verdict`, `n`;
 * - `seeds`: one row per (point, seed, group, metric): the grid fields, `point`, `seed`, `group` (the string
 *   fields of the seed's rows, e.g. "arm=grpo"), `metric`, `value` = the metric's last logged value in that group.
 * Both are saved as CSV and JSON under results/sweeps/<name>/, with a vega-lite chart per claim (estimate and
 * 95% CI against the first grid field, coloured by the second). `sweepRunRows` reads a finished sweep's per-seed
 * run rows back, annotated with the grid fields (the data of a notebook's sweep explorer).
 */
import { join, resolve } from "node:path";
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { ConfigError } from "../core/validate.ts";
import type { BackendName } from "../core/backend.ts";
import { type Grid, type GridPoint, gridPoints, pointKey } from "../jobs/grid.ts";
import type { SlurmOptions } from "../jobs/slurm.ts";
import type { Row } from "../log/runlog.ts";
import { Chart, saveChart } from "../viz/chart.ts";
import type { ChartEntry, PresetName, ReproductionResolver } from "./types.ts";
import { executeJobs, type ExecutorName, gatherRun, type JobList, missingSeeds, planJobs } from "./jobs.ts";

/** Options of `sweep`. */
export interface SweepOptions {
  /** Reproduction name (found by `resolver`). */
  reproduction: string;
  /** How the sweep and its workers find the reproduction by name. */
  resolver: ReproductionResolver;
  /** Config field → values; every combination is one point. */
  grid: Grid;
  /** Preset (default "quick"). */
  preset?: PresetName;
  /** Seeds per point (default: the preset's). */
  seeds?: number;
  /** Overrides applied at every point (the grid's fields win). */
  config?: Record<string, unknown>;
  /** Worker subprocesses (default: one per core). */
  jobs?: number;
  /** `local` (default) or `slurm`. */
  executor?: ExecutorName;
  /** SLURM options. */
  slurm?: SlurmOptions;
  /** tfjs backend of tensor reproductions. */
  backend?: BackendName;
  /** Results root (default "results"); the sweep writes `<resultsDir>/sweeps/<name>/`. */
  resultsDir?: string;
  /** Sweep name (default `<reproduction>-<field>-<field>…`). */
  name?: string;
  /** Recompute every point's seeds. */
  fresh?: boolean;
  /** Folder for jobs.json and SLURM logs (default `<sweep dir>/jobs`). */
  sharedDir?: string;
  /** Pool status line (false: none). */
  status?: false;
}

/** What `sweep` returns. */
export interface SweepResult {
  /** Sweep name. */
  name: string;
  /** Output folder. */
  dir: string;
  /** The grid points, in job-list order. */
  points: GridPoint[];
  /** One row per (point, claim) (see module doc). */
  claims: ColumnTable;
  /** One row per (point, seed, group, metric) (see module doc). */
  seeds: ColumnTable;
  /** A chart per claim. */
  charts: ChartEntry[];
}

function cellValue(v: unknown): number | string | boolean | null {
  return v === null || typeof v === "number" || typeof v === "string" || typeof v === "boolean"
    ? v
    : JSON.stringify(v);
}

/** Per-seed final metrics: for each seed and group of rows (same string fields), the last value of each numeric field. */
export function finalSeedMetrics(
  rows: readonly Row[],
): { seed: number; group: string; metric: string; value: number }[] {
  const last = new Map<string, { seed: number; group: string; metric: string; value: number }>();
  for (const r of rows) {
    const seed = Number(r.seed);
    const group = Object.entries(r).filter(([, v]) => typeof v === "string").map(([k, v]) => `${k}=${v}`)
      .join(",");
    for (const [metric, value] of Object.entries(r)) {
      if (metric === "seed" || typeof value !== "number") continue;
      last.set(JSON.stringify([seed, group, metric]), { seed, group, metric, value });
    }
  }
  return [...last.values()];
}

function claimChart(rows: Record<string, unknown>[], fields: string[], title: string): Chart {
  const x = fields[0] ?? "point";
  const numeric = rows.every((r) => typeof r[x] === "number");
  const enc: Record<string, unknown> = {
    x: { field: x, type: numeric ? "quantitative" : "ordinal" },
  };
  if (fields[1]) enc.color = { field: fields[1], type: "nominal" };
  return new Chart({
    title,
    data: { values: rows },
    encoding: enc,
    layer: [
      { mark: { type: "line", point: true }, encoding: { y: { field: "estimate", type: "quantitative" } } },
      {
        mark: { type: "rule" },
        encoding: {
          y: { field: "ci_low", type: "quantitative", title: "estimate (95% CI)" },
          y2: { field: "ci_high" },
        },
      },
    ],
  });
}

/** Gather a finished sweep's points into tables and charts and save them (see module doc). */
export async function collectSweep(
  list: JobList,
  jobsDir: string,
  resolveName: ReproductionResolver["resolve"],
): Promise<SweepResult> {
  const dir = String(list.command.dir);
  const failures = missingSeeds(list, jobsDir);
  if (failures.length) throw new Error(`sweep incomplete:\n${failures.join("\n")}`);
  const name = String(list.command.name);
  const fields = Object.keys(list.command.grid as Grid);
  const rep = resolveName(String(list.command.reproduction));
  const claimRows: Record<string, unknown>[] = [];
  const seedRows: Record<string, unknown>[] = [];
  const points: GridPoint[] = [];
  for (const spec of list.runs) {
    const point = spec.point ?? {};
    points.push(point);
    const cols: Record<string, unknown> = {};
    for (const f of fields) cols[f] = cellValue(point[f]);
    cols.point = pointKey(point);
    const log = await gatherRun(spec, resolveName);
    rep.checkClaims(log).forEach((c, i) =>
      claimRows.push({
        ...cols,
        claim_id: i,
        claim: c.claim,
        estimate: c.estimate,
        ci_low: c.ci[0],
        ci_high: c.ci[1],
        verdict: c.verdict,
        n: c.n,
      })
    );
    for (const m of finalSeedMetrics(log.rows as Row[])) seedRows.push({ ...cols, ...m });
  }
  const claims = aq.from(claimRows);
  const seeds = aq.from(seedRows);
  await Deno.writeTextFile(join(dir, "claims.csv"), claims.toCSV());
  await Deno.writeTextFile(join(dir, "claims.json"), JSON.stringify(claimRows, null, 1) + "\n");
  await Deno.writeTextFile(join(dir, "seeds.csv"), seeds.toCSV());
  await Deno.writeTextFile(join(dir, "seeds.json"), JSON.stringify(seedRows) + "\n");
  const claimIds = [...new Set(claimRows.map((r) => Number(r.claim_id)))];
  const charts = claimIds.map((id) => {
    const rows = claimRows.filter((r) => r.claim_id === id);
    return { name: `claim_${id}`, chart: claimChart(rows, fields, `${rep.name}: ${rows[0].claim}`) };
  });
  for (const c of charts) await saveChart(c.chart, dir, c.name);
  await Deno.writeTextFile(
    join(dir, "sweep.json"),
    JSON.stringify({ ...list.command, points: points.map(pointKey) }, null, 2) + "\n",
  );
  return { name, dir, points, claims, seeds, charts };
}

/** Filter on run rows: a row is kept when every named field equals the given value (or one of the given list). */
export type RowFilter = Record<string, string | number | (string | number)[]>;

/**
 * A finished sweep's run rows: for each grid point (sweep.json's grid, in job-list order) and seed, the rows of
 * `points/<point key>/seeds/<seed>.jsonl`, each annotated with the grid fields (arrays as JSON text, as in the
 * claims table) and `point`, kept when they match `where` (grid fields included); rows keep their `seed` column.
 */
export async function sweepRunRows(dir: string, where: RowFilter = {}): Promise<Row[]> {
  let meta: { grid?: Grid };
  try {
    meta = JSON.parse(await Deno.readTextFile(join(dir, "sweep.json")));
  } catch {
    throw new ConfigError("dir", "must be a finished sweep folder holding sweep.json", dir);
  }
  const grid = meta.grid ?? {};
  const fields = Object.keys(grid);
  const keep = Object.entries(where);
  const out: Row[] = [];
  for (const point of gridPoints(grid)) {
    const seedDir = join(dir, "points", pointKey(point), "seeds");
    const files: { seed: number; name: string }[] = [];
    try {
      for await (const e of Deno.readDir(seedDir)) {
        const m = /^(\d+)\.jsonl$/.exec(e.name);
        if (e.isFile && m) files.push({ seed: Number(m[1]), name: e.name });
      }
    } catch {
      throw new ConfigError("dir", `must hold the seeds of grid point ${pointKey(point)}`, seedDir);
    }
    if (files.length === 0) {
      throw new ConfigError("dir", `must hold the seeds of grid point ${pointKey(point)}`, seedDir);
    }
    files.sort((a, b) => a.seed - b.seed);
    const cols: Row = {};
    for (const f of fields) {
      const v = point[f];
      cols[f] = typeof v === "number" || typeof v === "string" ? v : JSON.stringify(v);
    }
    cols.point = pointKey(point);
    for (const f of files) {
      const text = await Deno.readTextFile(join(seedDir, f.name));
      for (const line of text.split("\n")) {
        if (line.trim() === "") continue;
        const row = { ...JSON.parse(line) as Row, ...cols };
        if (keep.every(([k, v]) => Array.isArray(v) ? v.includes(row[k]) : row[k] === v)) out.push(row);
      }
    }
  }
  return out;
}

/** Run a grid sweep of a reproduction (see module doc); resolves when every point is gathered and saved. */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const rep = options.resolver.resolve(options.reproduction);
  if (options.slurm?.wait === false) {
    throw new ConfigError(
      "slurm.wait",
      "must be true for a sweep (it gathers the points when the array ends)",
      false,
    );
  }
  const fields = Object.keys(options.grid ?? {});
  if (fields.length === 0) throw new ConfigError("grid", "must name at least one config field", options.grid);
  // `tiers` is a run field (BaseConfig.tiers): `tiers=["exact"]` sweeps without the TinyTransformer runs.
  const allowed = [...Object.keys(rep.presets[options.preset ?? "quick"] ?? {}), "tiers"];
  for (const f of fields) {
    if (!allowed.includes(f)) {
      throw new ConfigError(`grid.${f}`, `must be a config field of ${rep.name}: ${allowed.join(", ")}`, f);
    }
  }
  const name = options.name ?? `${rep.name}-${fields.join("-")}`;
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new ConfigError("name", "must use letters, digits, . _ -", name);
  const dir = resolve(options.resultsDir ?? "results", "sweeps", name);
  const points = gridPoints(options.grid);
  const list = planJobs(
    points.map((point) => ({
      reproduction: rep.name,
      preset: options.preset ?? "quick",
      config: { ...(options.config ?? {}), ...point },
      seeds: options.seeds,
      backend: options.backend,
      checkpointDir: join(dir, "points", pointKey(point)),
      point,
    })),
    {
      kind: "sweep",
      resolver: options.resolver,
      fresh: options.fresh,
      command: {
        name,
        reproduction: rep.name,
        grid: options.grid,
        preset: options.preset ?? "quick",
        seeds: options.seeds,
        config: options.config ?? {},
        dir,
      },
    },
  );
  const jobsDir = options.sharedDir ? resolve(options.sharedDir) : join(dir, "jobs");
  const res = await executeJobs(list, jobsDir, {
    jobs: options.jobs,
    executor: options.executor,
    slurm: options.slurm,
    status: options.status,
  });
  if (res.failures.length) {
    throw new Error(`sweep ${name}: ${res.failures.length} jobs failed:\n${res.failures.join("\n")}`);
  }
  return collectSweep(list, jobsDir, options.resolver.resolve);
}
