/**
 * `deno task sweep <reproduction> --grid field=v1,v2 [--grid field2=…] [--preset P] [--seeds N] [--jobs N]
 * [--executor local|slurm …] [--name NAME] [--out DIR] [--fresh] [--collect DIR]`: a grid sweep of one
 * reproduction, one job per (grid point, seed); writes results/sweeps/<name>/ (claims.csv/json, seeds.csv/json,
 * a chart per claim). Values are JSON where they parse (`--grid lengths=[3],[3,5]`).
 */
import { parseArgs } from "node:util";
import { assertOneOf, ConfigError } from "../lib/core/validate.ts";
import { assertWritable, runCli } from "./cli.ts";
import type { BackendName } from "../lib/core/backend.ts";
import { parseGrid } from "../lib/jobs/grid.ts";
import { type ExecutorName, EXECUTORS, readJobList } from "../reproductions/jobs.ts";
import { collectSweep, sweep, type SweepResult } from "../reproductions/sweep.ts";
import { PRESET_NAMES, type PresetName, REPRODUCTIONS } from "../reproductions/mod.ts";
import { jobsFlag, slurmOptions } from "./reproduce.ts";

const OPTIONS = {
  grid: { type: "string", short: "g", multiple: true },
  preset: { type: "string", short: "p" },
  seeds: { type: "string", short: "s" },
  jobs: { type: "string", short: "j" },
  executor: { type: "string" },
  partition: { type: "string" },
  account: { type: "string" },
  time: { type: "string" },
  "cpus-per-task": { type: "string" },
  "shared-dir": { type: "string" },
  backend: { type: "string", short: "b" },
  name: { type: "string" },
  out: { type: "string", short: "o" },
  fresh: { type: "boolean" },
  collect: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE = `usage: deno task sweep <reproduction> --grid field=v1,v2,… [--grid field2=…] [--preset ${
  PRESET_NAMES.join("|")
}] [--seeds N] [--jobs N] [--executor ${EXECUTORS.join("|")}] [--partition P] [--account A] [--time T]
  [--cpus-per-task N] [--shared-dir DIR] [--backend NAME] [--name NAME] [--out DIR] [--fresh] [--collect DIR] [--help]
  reproductions: ${REPRODUCTIONS.map((r) => r.name).join(", ")}
  --grid    a config field and its values (JSON where they parse; commas inside [] do not split); repeat for more
  --jobs    worker processes (default: one per core)
  --out     results root inside results/ (default results): writes <out>/sweeps/<name>/
  --executor local (default) | slurm: one SLURM job array (--partition, --account, --time, --cpus-per-task)
  --shared-dir  folder for jobs.json and task logs, visible to every node
  --backend tfjs backend (default auto); --name the sweep's folder name; --fresh ignores seed checkpoints
  --collect DIR  gather a finished sweep job list (DIR holds jobs.json)`;

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw new ConfigError(
      "arguments",
      `${(e as Error).message}; valid flags: ${Object.keys(OPTIONS).map((k) => `--${k}`).join(", ")}`,
    );
  }
  const { values, positionals } = parsed;
  if (values.help) return console.log(USAGE);
  let result: SweepResult;
  if (values.collect) {
    const list = readJobList(values.collect);
    if (list.kind !== "sweep") {
      throw new ConfigError("--collect", "must be a sweep's job list", values.collect);
    }
    result = await collectSweep(list, values.collect);
  } else {
    if (positionals.length !== 1) {
      throw new ConfigError(
        "reproduction",
        "must be exactly one name: deno task sweep <reproduction> --grid field=v1,v2",
      );
    }
    assertWritable("--out", values.out ?? "results", "sweep", "results");
    if (values["shared-dir"] !== undefined) {
      assertWritable("--shared-dir", values["shared-dir"], "sweep", "results");
    }
    const preset = (values.preset ?? "quick") as PresetName;
    assertOneOf("--preset", preset, PRESET_NAMES);
    const executor = (values.executor ?? "local") as ExecutorName;
    assertOneOf("--executor", executor, EXECUTORS);
    let seeds: number | undefined;
    if (values.seeds !== undefined) {
      seeds = Number(values.seeds);
      if (!Number.isInteger(seeds) || seeds < 1) {
        throw new ConfigError("--seeds", "must be an integer ≥ 1", values.seeds);
      }
    }
    result = await sweep({
      reproduction: positionals[0],
      grid: parseGrid(values.grid ?? []),
      preset,
      seeds,
      jobs: values.jobs === undefined ? undefined : jobsFlag(values.jobs),
      executor,
      slurm: slurmOptions(values as Record<string, string | boolean | undefined>),
      backend: values.backend as BackendName | undefined,
      name: values.name,
      resultsDir: values.out,
      fresh: values.fresh,
      sharedDir: values["shared-dir"],
    });
  }
  console.log(
    result.claims.select("point", "claim_id", "estimate", "ci_low", "ci_high", "verdict").toMarkdown(),
  );
  console.log(`wrote ${result.dir}/ (claims.csv, seeds.csv, ${result.charts.length} charts)`);
}

if (import.meta.main) await runCli("sweep", () => main(Deno.args));
