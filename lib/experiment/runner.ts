/**
 * The runner: `runReproductionInProcess` resolves a reproduction's preset and overrides, validates, selects the
 * backend for tensor reproductions, and runs the seeds with seeds derived by `Rng.split`, a progress bar, and a
 * per-seed checkpoint (`<dir>/seeds/<i>.jsonl`) so an interrupted run loses no finished seed; a rerun with the
 * same config resumes from the checkpoints. (`runReproduction` adds running the seeds as jobs.)
 */
import { Rng } from "../core/rng.ts";
import { assertInteger, assertOneOf, ConfigError, resolveConfig } from "../core/validate.ts";
import { useBackend } from "../core/backend.ts";
import { tf } from "../core/tf.ts";
import { type Row, RunLog } from "../log/runlog.ts";
import { Progress } from "../viz/progress.ts";
import {
  type BaseConfig,
  PRESET_NAMES,
  type PresetName,
  type ProgressLike,
  type Reproduction,
  type RunOptions,
  type SeedContext,
  TIERS,
} from "./types.ts";
import { dirname, join } from "node:path";

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
 * A reproduction's seeds in this process: resolve preset + overrides, `rep.validate`, pick the tfjs backend
 * for tensor reproductions (an explicit `backend` wins; else a non-cpu backend already active is kept; else
 * wasm), then `runSeeds` with `rep.runSeed`. The log's meta holds {reproduction, preset, config, resumedSeeds}.
 */
export async function runReproductionInProcess<C extends BaseConfig>(
  rep: Reproduction<C>,
  options: RunOptions<C> = {},
): Promise<RunLog> {
  const { preset, config } = resolveRunConfig(rep, options);
  rep.validate(config);
  if (rep.usesTensors) {
    if (options.backend) await useBackend(options.backend);
    else if (tf.getBackend() === "cpu" || !tf.getBackend()) await useBackend("wasm");
  }
  return runSeeds(rep, preset, config, options, rep.unitsPerSeed(config), (ctx) => rep.runSeed(config, ctx));
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
