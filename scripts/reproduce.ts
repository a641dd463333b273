/**
 * `deno task reproduce [name...] [--preset smoke|quick|full] [--seeds N] [--backend NAME] [--out DIR] [--fresh]`
 * runs the registered paper reproductions (all by default) with live progress, writes results/<name>/ (run log
 * CSV, charts as SVG + HTML, claims JSON, summary) and regenerates results/REPORT.md from every summary present.
 * Finished seeds are checkpointed in results/<name>/seeds/ and reused on a rerun unless --fresh.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { type BackendName, BACKENDS, useBackend } from "../lib/core/backend.ts";
import { assertOneOf, ConfigError } from "../lib/core/validate.ts";
import {
  claimsText,
  getReproduction,
  PRESET_NAMES,
  type PresetName,
  readSummaries,
  renderReport,
  REPRODUCTIONS,
  runAndSave,
} from "../reproductions/mod.ts";

const OPTIONS = {
  preset: { type: "string", short: "p" },
  seeds: { type: "string", short: "s" },
  backend: { type: "string", short: "b" },
  out: { type: "string", short: "o" },
  fresh: { type: "boolean" },
  list: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE = `usage: deno task reproduce [name...] [--preset ${PRESET_NAMES.join("|")}] [--seeds N] ` +
  `[--backend ${BACKENDS.join("|")}] [--out DIR] [--fresh] [--list] [--help]
  names: ${REPRODUCTIONS.map((r) => r.name).join(", ") || "(none registered)"} (default: all)
  --preset  smoke (CI, seconds) | quick (2 CPU cores, minutes; default) | full (GPU / long)
  --seeds   number of seeds (default: the preset's)
  --backend tfjs backend for reproductions that use tensors (default auto)
  --out     results directory (default results)
  --fresh   ignore per-seed checkpoints in <out>/<name>/seeds/`;

function parse(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const flags = Object.entries(OPTIONS).map(([k, v]) => `--${k}${"short" in v ? ` (-${v.short})` : ""}`);
    throw new ConfigError("arguments", `${(e as Error).message}; valid flags: ${flags.join(", ")}`);
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv);
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (values.list) {
    for (const r of REPRODUCTIONS) console.log(`${r.name.padEnd(12)} ${r.title} (arXiv ${r.paper})`);
    return;
  }
  const preset = (values.preset ?? "quick") as PresetName;
  assertOneOf("--preset", preset, PRESET_NAMES);
  let seeds: number | undefined;
  if (values.seeds !== undefined) {
    seeds = Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1) {
      throw new ConfigError("--seeds", "must be an integer ≥ 1", values.seeds);
    }
  }
  if (values.backend !== undefined) assertOneOf("--backend", values.backend, BACKENDS);
  const reps = positionals.length ? positionals.map(getReproduction) : [...REPRODUCTIONS];
  const out = values.out ?? "results";
  await Deno.mkdir(out, { recursive: true });
  if (reps.length === 0) console.log("No reproductions registered; writing an empty report.");

  let backendLabel: string | undefined;
  if (values.backend !== undefined || reps.some((r) => r.usesTensors)) {
    const report = await useBackend((values.backend ?? "auto") as BackendName);
    backendLabel = `${report.backend} (${report.reason})`;
    console.log(`backend: ${backendLabel}`);
  }
  const t0 = performance.now();
  for (const rep of reps) {
    console.log(`\n== ${rep.name}: ${rep.title} (arXiv ${rep.paper}), preset ${preset}`);
    const { claims, summary } = await runAndSave(rep, {
      resultsDir: out,
      preset,
      seeds,
      backend: values.backend as BackendName | undefined,
      backendLabel,
      fresh: values.fresh ?? false,
    });
    console.log(
      `${rep.name}: ${summary.wallSeconds.toFixed(1)} s wall, ${summary.cpuSeconds.toFixed(1)} s CPU, ` +
        `results in ${join(out, rep.name)}/`,
    );
    if (summary.resumedSeeds > 0) {
      console.log(
        `(${summary.resumedSeeds} of ${summary.seeds} seeds resumed from ${join(out, rep.name, "seeds")}/; ` +
          `pass --fresh to recompute them after a code change)`,
      );
    }
    console.log(claimsText(claims));
  }
  const summaries = readSummaries(out, REPRODUCTIONS.map((r) => r.name));
  await Deno.writeTextFile(join(out, "REPORT.md"), renderReport(summaries));
  console.log(
    `\nwrote ${join(out, "REPORT.md")} (${summaries.length} reproductions; this run ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s)`,
  );
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`error: ${e.message}\n${USAGE}`);
      Deno.exit(2);
    }
    throw e;
  }
}
