/**
 * `deno task reproduce [name...] [--preset smoke|quick|full] [--seeds N] [--backend NAME] [--kernels openblas|wasm]
 * [--blas-threads N] [--out DIR] [--fresh] [--jobs N] [--executor local|slurm …] [--collect DIR]` runs the registered paper reproductions (all by
 * default) with live progress, writes results/<name>/ (run log CSV, charts as SVG + HTML, claims JSON, summary)
 * and regenerates results/REPORT.md from every summary present. Finished seeds are checkpointed in
 * results/<name>/seeds/ and reused on a rerun unless --fresh. With --jobs N > 1 the seeds of all selected
 * reproductions run as one job list on N worker subprocesses (longest first); with --executor slurm as a SLURM
 * job array; either way the results are gathered from the seed checkpoints, identical to a sequential run.
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import { assertWritable, runCli } from "./cli.ts";
import { describeKernelSet, KERNEL_SETS, type KernelSetName, selectKernels } from "../mod.ts";
import {
  assertOneOf,
  type BackendName,
  BACKENDS,
  claimsText,
  ConfigError,
  executeJobs,
  type ExecutorName,
  EXECUTORS,
  type JobList,
  jobTimesFromLogs,
  missingSeeds,
  planJobs,
  PRESET_NAMES,
  type PresetName,
  readJobList,
  readSummaries,
  renderReport,
  runAndSave,
  type SlurmOptions,
  useBackend,
} from "../mod.ts";
import { getReproduction, REGISTRY, REPRODUCTIONS } from "../reproductions/registry.ts";

const OPTIONS = {
  preset: { type: "string", short: "p" },
  seeds: { type: "string", short: "s" },
  backend: { type: "string", short: "b" },
  kernels: { type: "string" },
  "blas-threads": { type: "string" },
  "allow-fallback-adapter": { type: "boolean" },
  out: { type: "string", short: "o" },
  fresh: { type: "boolean" },
  jobs: { type: "string", short: "j" },
  executor: { type: "string" },
  partition: { type: "string" },
  account: { type: "string" },
  time: { type: "string" },
  "cpus-per-task": { type: "string" },
  "shared-dir": { type: "string" },
  "no-wait": { type: "boolean" },
  collect: { type: "string" },
  list: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE = `usage: deno task reproduce [name...] [--preset ${PRESET_NAMES.join("|")}] [--seeds N] ` +
  `[--backend ${BACKENDS.join("|")}] [--kernels ${KERNEL_SETS.join("|")}] [--blas-threads N] ` +
  `[--allow-fallback-adapter] [--out DIR] [--fresh] [--jobs N] [--executor ${EXECUTORS.join("|")}] ` +
  `[--partition P] [--account A] [--time T] [--cpus-per-task N] [--shared-dir DIR] [--no-wait] ` +
  `[--collect DIR] [--list] [--help]
  names: ${REPRODUCTIONS.map((r) => r.name).join(", ") || "(none registered)"} (default: all)
  --preset  smoke (CI, seconds) | quick (2 CPU cores, minutes; default) | full (GPU / long)
  --seeds   number of seeds (default: the preset's)
  --backend tfjs backend for reproductions that use tensors (default auto)
  --kernels ${KERNEL_SETS.join(" | ")}: the wasm backend's matmul kernels (default openblas when
            libopenblas.so.0 opens; the two round differently, so numbers differ between them)
  --blas-threads N  OpenBLAS threads of this process (default 1; with --jobs 1, one run on N cores)
  --allow-fallback-adapter  let --backend webgpu run on a software adapter (Mesa lavapipe; slow, for tests)
  --out     results directory inside results/ (default results)
  --fresh   ignore per-seed checkpoints in <out>/<name>/seeds/
  --jobs    run the seeds of all selected reproductions as jobs on N worker processes (default: one per
            core; 1 runs them in this process; the results are identical)
  --executor local (default) | slurm: submit the jobs as one SLURM job array (sbatch --array) and wait
  --partition, --account, --time, --cpus-per-task  SLURM options of the array
  --shared-dir  folder for jobs.json, the sbatch script and task logs, visible to every node (default <out>/jobs)
  --no-wait submit the array and exit; collect later with --collect DIR
  --collect DIR  build the results and report of a finished job list (names missing or failed jobs)`;

/** SLURM options from the CLI flags. */
export function slurmOptions(values: Record<string, string | boolean | undefined>): SlurmOptions {
  const cpus = values["cpus-per-task"];
  if (cpus !== undefined && !(Number.isInteger(Number(cpus)) && Number(cpus) >= 1)) {
    throw new ConfigError("--cpus-per-task", "must be an integer ≥ 1", cpus);
  }
  return {
    partition: values.partition as string | undefined,
    account: values.account as string | undefined,
    time: values.time as string | undefined,
    cpusPerTask: cpus === undefined ? undefined : Number(cpus),
    wait: !values["no-wait"],
  };
}

/**
 * Apply `--kernels` (selected for this process and its workers) and return `--blas-threads` as a number
 * (undefined when absent); bad values throw a ConfigError naming the flag.
 */
export function kernelFlags(values: Record<string, unknown>): number | undefined {
  if (values.kernels !== undefined) {
    assertOneOf("--kernels", values.kernels as string, KERNEL_SETS);
    selectKernels(values.kernels as KernelSetName);
  }
  const t = values["blas-threads"];
  if (t === undefined) return undefined;
  const n = Number(t);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError("--blas-threads", "must be an integer ≥ 1", t);
  return n;
}

/** Parse `--jobs` (default: one per core, `navigator.hardwareConcurrency`). */
export function jobsFlag(v: string | undefined): number {
  if (v === undefined) return navigator.hardwareConcurrency;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError("--jobs", "must be an integer ≥ 1", v);
  return n;
}

/** Gather, check and save every run of a finished "reproduce" job list; returns the failure messages. */
async function collectReproduce(
  list: JobList,
  dir: string,
  backendLabel: string | undefined,
  kernels: string | undefined,
  execution: string,
  times: Record<number, { s: number; cpu: number }> = jobTimesFromLogs(dir),
  poolFailures?: string[],
) {
  const failures = poolFailures ?? missingSeeds(list, dir);
  const out = String(list.command.out ?? "results");
  for (const [r, spec] of list.runs.entries()) {
    const rep = getReproduction(spec.reproduction);
    const mine = list.jobs.filter((j) => j.run === r);
    if (failures.some((f) => mine.some((j) => f.startsWith(j.name + " ")))) {
      console.log(`\n== ${rep.name}: skipped (seeds missing)`);
      continue;
    }
    const { claims, summary } = await runAndSave(rep, {
      resultsDir: out,
      preset: spec.preset,
      seeds: spec.seeds,
      backend: spec.backend,
      backendLabel: backendLabel ?? spec.backend,
      kernels,
      progress: false,
      jobs: {
        wallSeconds: mine.reduce((t, j) => t + (times[list.jobs.indexOf(j)]?.s ?? 0), 0),
        cpuSeconds: mine.reduce((t, j) => t + (times[list.jobs.indexOf(j)]?.cpu ?? 0), 0),
        resumedSeeds: list.resumed[r],
        execution: `${mine.length} seed jobs ${execution}`,
      },
    });
    console.log(`\n== ${rep.name}: ${rep.title} (arXiv ${rep.paper}), preset ${summary.preset}`);
    console.log(claimsText(claims));
  }
  return failures;
}

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
  const blasThreads = kernelFlags(values);
  const jobs = jobsFlag(values.jobs);
  const executor = (values.executor ?? "local") as ExecutorName;
  assertOneOf("--executor", executor, EXECUTORS);
  const reps = values.collect
    ? []
    : positionals.length
    ? positionals.map(getReproduction)
    : [...REPRODUCTIONS];
  let out = values.out ?? "results";
  assertWritable("--out", out, "reproduce", "results");
  if (values["shared-dir"] !== undefined) {
    assertWritable("--shared-dir", values["shared-dir"], "reproduce", "results");
  }
  await Deno.mkdir(out, { recursive: true });
  if (reps.length === 0 && !values.collect) {
    console.log("No reproductions registered; writing an empty report.");
  }

  let backendLabel: string | undefined;
  let kernels: string | undefined;
  const collected = values.collect ? readJobList(values.collect) : null;
  if (collected && collected.kind !== "reproduce") {
    throw new ConfigError(
      "--collect",
      "must be a job list of `deno task reproduce` (use `deno task sweep --collect` for sweeps)",
      values.collect,
    );
  }
  if (
    values.backend !== undefined || reps.some((r) => r.usesTensors) || collected?.runs.some((r) => r.backend)
  ) {
    const report = await useBackend((values.backend ?? "auto") as BackendName, {
      blasThreads,
      allowFallbackAdapter: values["allow-fallback-adapter"],
    });
    backendLabel = `${report.backend} (${report.reason})`;
    kernels = report.wasm ? describeKernelSet(report.wasm.kernelSet) : undefined;
    console.log(`backend: ${backendLabel}${kernels ? `; kernels: ${kernels}` : ""}`);
  }
  const t0 = performance.now();
  let failures: string[] = [];
  if (collected) {
    out = String(collected.command.out ?? out);
    failures = await collectReproduce(
      collected,
      values.collect!,
      backendLabel,
      kernels,
      "collected from a job list",
    );
  } else if (jobs > 1 || executor === "slurm") {
    const list = planJobs(
      reps.map((rep) => ({
        reproduction: rep.name,
        preset,
        config: {},
        seeds,
        backend: values.backend as BackendName | undefined,
        checkpointDir: join(out, rep.name),
      })),
      {
        kind: "reproduce",
        resolver: REGISTRY,
        fresh: values.fresh ?? false,
        command: { out, preset, seeds },
      },
    );
    const dir = values["shared-dir"] ?? join(out, "jobs");
    const resumed = list.resumed.reduce((a, b) => a + b, 0);
    console.log(
      `${list.jobs.length} seed jobs of ${reps.length} reproductions` +
        (resumed ? ` (${resumed} seeds resumed from checkpoints)` : "") +
        (executor === "slurm" ? `, as a SLURM job array (job list in ${dir}/)` : ` on ${jobs} workers`),
    );
    const slurm = slurmOptions(values);
    const res = await executeJobs(list, dir, { jobs, executor, slurm });
    if (executor === "slurm") console.log(`SLURM array job ${res.slurmJobId}`);
    if (executor === "slurm" && slurm.wait === false) {
      console.log(`submitted; when it has finished: deno task reproduce --collect ${dir}`);
      return;
    }
    const times: Record<number, { s: number; cpu: number }> = {};
    for (const r of res.results) times[r.index] = { s: r.seconds, cpu: r.cpuSeconds ?? 0 };
    const execution = executor === "slurm" ? `in SLURM array ${res.slurmJobId}` : `on ${jobs} local workers`;
    failures = await collectReproduce(
      list,
      dir,
      backendLabel,
      kernels,
      execution,
      executor === "slurm" ? undefined : times,
      executor === "slurm" ? undefined : res.failures,
    );
    console.log(`\n${list.jobs.length} jobs in ${res.seconds.toFixed(1)} s wall`);
  } else {
    for (const rep of reps) {
      console.log(`\n== ${rep.name}: ${rep.title} (arXiv ${rep.paper}), preset ${preset}`);
      const { claims, summary } = await runAndSave(rep, {
        resultsDir: out,
        preset,
        seeds,
        backend: values.backend as BackendName | undefined,
        backendLabel,
        kernels,
        fresh: values.fresh ?? false,
      });
      console.log(
        `${rep.name}: ${summary.wallSeconds.toFixed(1)} s wall, ${summary.cpuSeconds.toFixed(1)} s CPU, ` +
          `results in ${join(out, rep.name)}/`,
      );
      if (summary.resumedSeeds > 0) {
        console.log(
          `(${summary.resumedSeeds} of ${summary.seeds} seeds resumed from ${
            join(out, rep.name, "seeds")
          }/; ` +
            `pass --fresh to recompute them after a code change)`,
        );
      }
      console.log(claimsText(claims));
    }
  }
  const summaries = readSummaries(out, REPRODUCTIONS.map((r) => r.name));
  await Deno.writeTextFile(join(out, "REPORT.md"), renderReport(summaries));
  console.log(
    `\nwrote ${join(out, "REPORT.md")} (${summaries.length} reproductions; this run ${
      ((performance.now() - t0) / 1000).toFixed(1)
    } s)`,
  );
  if (failures.length) {
    console.error(`\n${failures.length} jobs failed or are missing:\n${failures.join("\n")}`);
    Deno.exit(1);
  }
}

if (import.meta.main) await runCli("reproduce", () => main(Deno.args));
