/**
 * Reproduction harness: every paper reproduction implements `Reproduction` (config presets, `validate`, a
 * seeded `runSeed` returning that seed's rows, `checkClaims` turning the log into claim rows with bootstrap CIs
 * and verdicts, and `charts`). `runReproduction` is the one run path: it resolves the preset and overrides,
 * validates, selects the backend for tensor reproductions, and runs the seeds with seeds derived by
 * `Rng.split`, a progress bar, and a per-seed checkpoint (results/<name>/seeds/<i>.jsonl) so an interrupted
 * run loses no finished seed.
 */
import { Rng } from "../lib/core/rng.ts";
import { assertInteger, assertOneOf, ConfigError, resolveConfig } from "../lib/core/validate.ts";
import { type BackendName, useBackend } from "../lib/core/backend.ts";
import { tf } from "../lib/core/tf.ts";
import { RunLog } from "../lib/log/runlog.ts";
import { aggregateMean, iqm, stratifiedBootstrapCI, stratifiedBootstrapTest } from "../lib/stats/mod.ts";
import { type Preregistration, type Tier, TIERS } from "./preregistration.ts";
import { Progress } from "../lib/viz/progress.ts";
import type { Chart } from "../lib/viz/chart.ts";
import { dirname, join } from "node:path";

/** Preset names: `smoke` (CI, seconds), `quick` (2 CPU cores, minutes), `full` (GPU / long). */
export const PRESET_NAMES = ["smoke", "quick", "full"] as const;
/** A preset name. */
export type PresetName = typeof PRESET_NAMES[number];

/** Claim verdicts. */
export const VERDICTS = ["reproduced", "not reproduced", "inconclusive"] as const;
/** A claim verdict. */
export type Verdict = typeof VERDICTS[number];

/** One row of a claims table. */
export interface ClaimRow {
  /** The claim in words, as tested here. */
  claim: string;
  /** The paper's number (or statement), verbatim where possible. */
  paper: string;
  /** Our point estimate (the statistic named in `rule`). */
  estimate: number;
  /** 95% confidence interval [low, high] of the estimate. */
  ci: [number, number];
  /** Verdict by `rule`, decided before seeing results. */
  verdict: Verdict;
  /** The decision rule and the statistic, stated in words. */
  rule: string;
  /** Number of runs (seeds × strata) behind the estimate. */
  n: number;
  /** Stable id (`<reproduction>.<tier>.<n>`) matched against a `Preregistration`. */
  id?: string;
  /** `lm` (TinyTransformer through the library trainer) or `exact` (exact / linear beds); default `exact`. */
  tier?: Tier;
  /** True when the claim id and the run's config match a committed `Preregistration`. */
  preregistered?: boolean;
  /** One-sided bootstrap p-value for the claimed direction (directional claims). */
  pValue?: number;
  /** One-sided bootstrap p-value for the opposite direction (directional claims). */
  pOpposite?: number;
  /** Verdict after Holm adjustment over the reproduction's claims of the same tier. */
  verdictHolm?: Verdict;
}

/** A named chart of a reproduction. */
export interface ChartEntry {
  /** File stem (results/<rep>/<name>.svg|.html). */
  name: string;
  /** The chart (a lib/viz `Chart`). */
  chart: Chart;
}

/** Fields every reproduction config has. */
export interface BaseConfig {
  /** Number of seeds (independent runs). */
  seeds: number;
  /** Root seed; seed i uses `new Rng(baseSeed).split(i)`. */
  baseSeed: number;
  /**
   * Tiers to run (default both): `["exact"]` skips the TinyTransformer runs, e.g. for a cheap sweep of an
   * exact-bed hyperparameter; claims of a skipped tier come out inconclusive with n = 0.
   */
  tiers?: Tier[];
}

/** True when `config` runs `tier` (every tier when `tiers` is absent). */
export function runsTier(config: BaseConfig, tier: Tier): boolean {
  return config.tiers === undefined || config.tiers.includes(tier);
}

/** Anything with the Progress interface (tests pass a silent one). */
export interface ProgressLike {
  /** Advance by n units, showing the latest metrics. */
  tick(n?: number, metrics?: Record<string, number>): void;
  /** Finish the display. */
  done(): void | Promise<void>;
}

/** Options of `Reproduction.run`. */
export interface RunOptions<C extends BaseConfig = BaseConfig> {
  /** Preset (default "quick"). */
  preset?: PresetName;
  /** Overrides of preset fields; unknown keys throw a ConfigError listing the allowed ones. */
  config?: Partial<C>;
  /** Number of seeds (overrides the preset's). */
  seeds?: number;
  /** tfjs backend for reproductions that use tensors (tabular ones ignore it). */
  backend?: BackendName;
  /** Directory for per-seed checkpoints (`<dir>/seeds/<i>.jsonl`); none when absent. */
  checkpointDir?: string;
  /** Ignore and overwrite existing per-seed checkpoints. */
  fresh?: boolean;
  /** Progress display: true (default) for a bar, false for none, or a ProgressLike. */
  progress?: boolean | ProgressLike;
  /** Run only these seed indices (each in 0…seeds−1); the log holds just their rows. Default: all seeds. */
  seedIndices?: readonly number[];
  /**
   * Run the seeds as jobs on this many worker subprocesses (lib/jobs `runPool`; registered reproductions only).
   * Each job writes its seed's checkpoint; the rows are then gathered from the checkpoints, so the log equals a
   * sequential run's. Default 1 (in this process).
   */
  jobs?: number;
}

/** A paper reproduction (see module doc). */
export interface Reproduction<C extends BaseConfig = BaseConfig> {
  /** Short name: the CLI argument and the results folder. */
  readonly name: string;
  /** Human-readable title. */
  readonly title: string;
  /** arXiv id of the paper. */
  readonly paper: string;
  /** Config per preset. */
  readonly presets: Record<PresetName, C>;
  /** True when `runSeed` uses tfjs tensors (the run then activates a backend); tabular reproductions omit it. */
  readonly usesTensors?: boolean;
  /** Committed plans (claims, rules, registered preset configs, amendments), one per tier; none when absent. */
  readonly preregistrations?: readonly Preregistration[];
  /** Checks across fields beyond `resolveConfig`'s per-field checks; throws a ConfigError naming the field. */
  validate(config: C): void;
  /** Progress units one seed reports (its arms or phases). */
  unitsPerSeed(config: C): number;
  /** Run one seed (its rows get a `seed` column added by the harness). */
  runSeed(config: C, ctx: SeedContext): Promise<Row[]> | Row[];
  /** Claims table from a run log. */
  checkClaims(log: RunLog): ClaimRow[];
  /** Charts from a run log. */
  charts(log: RunLog): ChartEntry[];
}

/** One log row (scalar fields). */
export type Row = Record<string, number | string>;

/** Resolve the preset and overrides of a run into a validated config (seeds override included). */
export function resolveRunConfig<C extends BaseConfig>(
  rep: Pick<Reproduction<C>, "name" | "presets">,
  options: RunOptions<C> = {},
): { preset: PresetName; config: C } {
  const preset = options.preset ?? "quick";
  assertOneOf("preset", preset, PRESET_NAMES);
  const { tiers, ...overrides } = (options.config ?? {}) as Partial<C>;
  const config = resolveConfig(rep.name, rep.presets[preset], overrides as Partial<C>);
  if (tiers !== undefined) {
    if (!Array.isArray(tiers) || tiers.length === 0 || tiers.some((t) => !TIERS.includes(t))) {
      throw new ConfigError(
        `${rep.name}.tiers`,
        `must be a non-empty subset of ${JSON.stringify(TIERS)}`,
        tiers,
      );
    }
    config.tiers = [...tiers];
  }
  if (options.seeds !== undefined) config.seeds = options.seeds;
  assertInteger(`${rep.name}.seeds`, config.seeds, { min: 1 });
  assertInteger(`${rep.name}.baseSeed`, config.baseSeed);
  return { preset, config };
}

/**
 * The one run path of every reproduction: resolve preset + overrides, `rep.validate`, pick the tfjs backend
 * for tensor reproductions (an explicit `backend` wins; else a non-cpu backend already active is kept; else
 * wasm), then `runSeeds` with `rep.runSeed`. The log's meta holds {reproduction, preset, config, resumedSeeds}.
 * With `jobs` > 1 the seeds run on a pool of worker subprocesses first (reproductions/jobs.ts).
 */
export async function runReproduction<C extends BaseConfig>(
  rep: Reproduction<C>,
  options: RunOptions<C> = {},
): Promise<RunLog> {
  if (options.jobs !== undefined && options.jobs !== 1) {
    assertInteger("jobs", options.jobs, { min: 1 });
    const { runReproductionPooled } = await import("./jobs.ts");
    return runReproductionPooled(rep, options);
  }
  const { preset, config } = resolveRunConfig(rep, options);
  rep.validate(config);
  if (rep.usesTensors) {
    if (options.backend) await useBackend(options.backend);
    else if (tf.getBackend() === "cpu" || !tf.getBackend()) await useBackend("wasm");
  }
  return runSeeds(rep, preset, config, options, rep.unitsPerSeed(config), (ctx) => rep.runSeed(config, ctx));
}

/** What the per-seed function receives. */
export interface SeedContext {
  /** Seed index i (0-based). */
  index: number;
  /** The seed's stream: `new Rng(baseSeed).split(i)`. */
  rng: Rng;
  /** Advance the progress bar by n units (the seed has `unitsPerSeed`). */
  tick: (n?: number, metrics?: Record<string, number>) => void;
}

function makeProgress(p: RunOptions["progress"], total: number, label: string): ProgressLike {
  if (p === false) return { tick() {}, done() {} };
  if (p === undefined || p === true) return new Progress({ total, label });
  return p;
}

function readJsonl(path: string): Row[] | null {
  try {
    const text = Deno.readTextFileSync(path);
    return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Row);
  } catch {
    return null;
  }
}

/**
 * Run `fn` for seeds 0…config.seeds−1 (each seed's rows get a `seed` column) and gather one RunLog with meta
 * {reproduction, preset, config, resumedSeeds (seeds read from checkpoints)}. With `checkpointDir`, finished seeds are written to `<dir>/seeds/<i>.jsonl`
 * (atomically, after the seed completes) and reused on a rerun with the same config unless `fresh`.
 */
export async function runSeeds<C extends BaseConfig>(
  rep: Pick<Reproduction<C>, "name">,
  preset: PresetName,
  config: C,
  options: RunOptions<C>,
  unitsPerSeed: number,
  fn: (ctx: SeedContext) => Promise<Row[]> | Row[],
): Promise<RunLog> {
  const root = new Rng(config.baseSeed);
  const indices = options.seedIndices ?? Array.from({ length: config.seeds }, (_, i) => i);
  for (const i of indices) assertInteger("seedIndices[]", i, { min: 0, max: config.seeds - 1 });
  const progress = makeProgress(options.progress, indices.length * unitsPerSeed, rep.name);
  let resumedSeeds = 0;
  const seedDir = options.checkpointDir ? join(options.checkpointDir, "seeds") : null;
  if (options.checkpointDir) prepareCheckpoints(options.checkpointDir, preset, config, options);
  const rows: Row[] = [];
  for (const i of indices) {
    const path = seedDir ? join(seedDir, `${i}.jsonl`) : null;
    const cached = path && !options.fresh ? readJsonl(path) : null;
    if (cached) {
      resumedSeeds++;
      rows.push(...cached);
      progress.tick(unitsPerSeed, { seed: i });
      continue;
    }
    let used = 0;
    const tick = (n = 1, metrics?: Record<string, number>) => {
      used += n;
      progress.tick(n, metrics);
    };
    // Rows pass through their JSON form, so a computed seed equals the same seed read back from its checkpoint.
    const seedRows = (await fn({ index: i, rng: root.split(i), tick })).map((r) =>
      JSON.parse(JSON.stringify({ seed: i, ...r })) as Row
    );
    if (used < unitsPerSeed) progress.tick(unitsPerSeed - used);
    if (path) {
      Deno.mkdirSync(dirname(path), { recursive: true });
      Deno.writeTextFileSync(path + ".tmp", seedRows.map((r) => JSON.stringify(r)).join("\n") + "\n");
      Deno.renameSync(path + ".tmp", path);
    }
    rows.push(...seedRows);
  }
  await progress.done();
  const log = new RunLog({ reproduction: rep.name, preset, config, resumedSeeds });
  for (const r of rows) log.log(r);
  return log;
}

/**
 * Make `<dir>/seeds/` hold checkpoints of this run only: when its config.json differs from (preset, config
 * without `seeds`) — or `fresh` is set and no `seedIndices` — every `<i>.jsonl` is removed and config.json
 * rewritten. Returns the seed indices (< config.seeds) whose checkpoints are present afterwards. A pool's
 * coordinator calls it once before starting jobs, so concurrent jobs of one run never clear each other's seeds.
 */
export function prepareCheckpoints(
  dir: string,
  preset: PresetName,
  config: BaseConfig,
  options: { fresh?: boolean; seedIndices?: readonly number[] } = {},
): number[] {
  const seedDir = join(dir, "seeds");
  Deno.mkdirSync(seedDir, { recursive: true });
  const metaPath = join(seedDir, "config.json");
  const want = JSON.stringify({ preset, config: { ...config, seeds: undefined } });
  let have: string | null = null;
  try {
    have = Deno.readTextFileSync(metaPath);
  } catch { /* first run */ }
  if ((options.fresh && !options.seedIndices) || have !== want) {
    for (const e of Deno.readDirSync(seedDir)) {
      if (e.name.endsWith(".jsonl")) Deno.removeSync(join(seedDir, e.name));
    }
    Deno.writeTextFileSync(metaPath + ".tmp", want);
    Deno.renameSync(metaPath + ".tmp", metaPath);
  }
  const present: number[] = [];
  for (let i = 0; i < config.seeds; i++) {
    try {
      Deno.statSync(join(seedDir, `${i}.jsonl`));
      present.push(i);
    } catch { /* not finished */ }
  }
  return present;
}

/** Rows of `log` whose fields equal every entry of `where`. */
export function selectRows(log: RunLog, where: Row): Row[] {
  const keys = Object.keys(where);
  return (log.rows as Row[]).filter((r) => keys.every((k) => r[k] === where[k]));
}

/** Rows of `log` (or a row list) grouped by their `seed` column, in ascending seed order. */
export function rowsBySeed(rows: RunLog | readonly Row[]): Map<number, Row[]> {
  const list = rows instanceof RunLog ? rows.rows as Row[] : rows;
  const out = new Map<number, Row[]>();
  for (const r of list) {
    const s = Number(r.seed);
    if (!Number.isInteger(s)) throw new ConfigError("row.seed", "must be an integer seed index", r.seed);
    const g = out.get(s);
    if (g) g.push(r);
    else out.set(s, [r]);
  }
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

/**
 * Per seed, the number in `field` of the one row matching `where` (seed → value, ascending seed; a missing or
 * null field gives NaN); several matching rows in one seed throw a ConfigError (the selection is ambiguous).
 */
export function bySeed(log: RunLog | readonly Row[], where: Row, field: string): Map<number, number> {
  const out = new Map<number, number>();
  const keys = Object.keys(where);
  for (const [seed, rows] of rowsBySeed(log)) {
    const hit = rows.filter((r) => keys.every((k) => r[k] === where[k]));
    if (hit.length > 1) {
      throw new ConfigError(
        "where",
        `must select at most one row per seed (seed ${seed} has ${hit.length})`,
        where,
      );
    }
    if (hit.length === 1) {
      const v = hit[0][field] as number | string | null | undefined;
      out.set(seed, v === null || v === undefined ? NaN : Number(v));
    }
  }
  return out;
}

/**
 * Paired per-seed statistic f(a_s, b_s) (default the difference a_s − b_s) over the seeds present in both maps,
 * in ascending seed order; seeds whose result is not finite are dropped. Common random numbers: a and b of one
 * seed share the seed's start and streams, so the pairing removes the between-seed variance.
 */
export function pairedBySeed(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  f: (a: number, b: number) => number = (x, y) => x - y,
): number[] {
  const out: number[] = [];
  for (const s of [...a.keys()].sort((u, v) => u - v)) {
    const w = b.get(s);
    if (w === undefined) continue;
    const v = f(a.get(s)!, w);
    if (Number.isFinite(v)) out.push(v);
  }
  return out;
}

/**
 * The `scores` matrix of a claim (`directionalClaim`, `iqmWithCI`): f(rows of seed s) per seed, ascending seed,
 * non-finite results dropped; one row (stratum) in all, or with `stratum` one row per distinct value of that
 * field (first-seen order; strata without any finite value are dropped).
 */
export function seedMatrix(
  rows: RunLog | readonly Row[],
  f: (seedRows: Row[]) => number,
  stratum?: string,
): number[][] {
  const list = rows instanceof RunLog ? rows.rows as Row[] : rows;
  const strata = stratum === undefined
    ? [list]
    : [...new Set(list.map((r) => r[stratum]))].map((v) => list.filter((r) => r[stratum] === v));
  const out = strata.map((part) => [...rowsBySeed(part).values()].map(f).filter(Number.isFinite));
  return stratum === undefined ? out : out.filter((r) => r.length > 0);
}

/** The config a run log was produced with (its meta.config). */
export function logConfig<C>(log: RunLog): C {
  const meta = log.meta as { config?: C };
  if (!meta?.config) {
    throw new ConfigError("log.meta.config", "must be present (logs from Reproduction.run carry it)");
  }
  return meta.config;
}

/**
 * Verdict for a claim "effect > threshold" (direction "greater") or "< threshold" ("less"): reproduced iff the 95% CI
 * lies entirely on the claimed side, not reproduced iff entirely on the other side, inconclusive otherwise.
 */
export function directionalVerdict(
  ci: [number, number],
  direction: "greater" | "less",
  threshold = 0,
): Verdict {
  const [lo, hi] = ci;
  if (direction === "greater") {
    return lo > threshold ? "reproduced" : hi < threshold ? "not reproduced" : "inconclusive";
  }
  return hi < threshold ? "reproduced" : lo > threshold ? "not reproduced" : "inconclusive";
}

/** Verdict for a claimed range [a, b]: reproduced iff the 95% CI overlaps it, not reproduced otherwise. */
export function rangeVerdict(ci: [number, number], range: [number, number]): Verdict {
  return ci[1] >= range[0] && ci[0] <= range[1] ? "reproduced" : "not reproduced";
}

/** IQM of the pooled scores and its stratified-bootstrap 95% CI (runs resampled within each task row). */
export function iqmWithCI(
  scores: number[][],
  seed = 0,
  reps = 2000,
): { estimate: number; ci: [number, number]; n: number } {
  const ci = stratifiedBootstrapCI(scores, (m) => iqm(m), { reps, alpha: 0.05, seed });
  return { estimate: ci.estimate, ci: [ci.lower, ci.upper], n: scores.reduce((t, r) => t + r.length, 0) };
}

/** Runs from which a claim's aggregate is the IQM (rliable's robust mean); below it, the plain mean. */
export const IQM_MIN_RUNS = 20;

/**
 * The aggregate of a claim's pooled runs: the mean over runs, or the IQM when there are ≥ `IQM_MIN_RUNS` runs
 * (an IQM of fewer runs trims too few to be robust and too many to be efficient).
 */
export function claimAggregate(runs: number): { name: string; statistic: (m: number[][]) => number } {
  return runs >= IQM_MIN_RUNS
    ? { name: "IQM over runs", statistic: (m) => iqm(m) }
    : { name: "mean over runs", statistic: (m) => aggregateMean(m) };
}

/**
 * Claim row for "aggregate of scores (tasks × runs) is > / < threshold" — the mean over runs (IQM with ≥ 20
 * runs, `claimAggregate`) with its stratified-bootstrap 95% CI and one-sided bootstrap p-values, verdict by
 * `directionalVerdict`; with no score at all (e.g. a metric undefined in every run) the row is inconclusive with
 * n = 0 and a NaN estimate.
 */
export function directionalClaim(
  claim: string,
  paper: string,
  scores: number[][],
  direction: "greater" | "less",
  opts: { threshold?: number; statistic?: string; seed?: number } = {},
): ClaimRow {
  const threshold = opts.threshold ?? 0;
  const n = scores.reduce((s, r) => s + r.length, 0);
  const agg = claimAggregate(n);
  const rule = `${opts.statistic ? `${opts.statistic}; ` : ""}${agg.name}; reproduced iff the 95% ` +
    `stratified-bootstrap CI is ${
      direction === "greater" ? ">" : "<"
    } ${threshold}, not reproduced iff it is ` +
    "entirely on the other side, else inconclusive";
  if (n === 0) {
    return { claim, paper, estimate: NaN, ci: [NaN, NaN], verdict: "inconclusive", rule, n: 0 };
  }
  const t = stratifiedBootstrapTest(scores, agg.statistic, threshold, {
    reps: 2000,
    alpha: 0.05,
    seed: opts.seed ?? 0,
  });
  const ci: [number, number] = [t.lower, t.upper];
  return {
    claim,
    paper,
    estimate: t.estimate,
    ci,
    verdict: directionalVerdict(ci, direction, threshold),
    rule,
    n,
    pValue: direction === "greater" ? t.pGreater : t.pLess,
    pOpposite: direction === "greater" ? t.pLess : t.pGreater,
  };
}
