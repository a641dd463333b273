/**
 * Seeds as jobs: a run of a reproduction (name, preset, config overrides, seeds, checkpoint folder) becomes one
 * job per unfinished seed; a job list (jobs.json) runs on a local pool of worker subprocesses (lib/jobs
 * `runPool`) or as a SLURM job array (`slurmArrayScript`), each job writing its seed's checkpoint
 * `<checkpointDir>/seeds/<i>.jsonl`. Gathering then reads every run through `runReproduction`'s normal
 * checkpoint-resume path, so rows and claims equal a sequential run's. Reproductions are found by name through a
 * `ReproductionResolver`; its `worker` module is what a job subprocess runs (`deno run … <worker> <jobs.json>
 * [--index K]`), serving the jobs with `serveSeedJobs` and the same resolver.
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type BackendName, useBackend } from "../core/backend.ts";
import { tf } from "../core/tf.ts";
import { assertInteger, assertOneOf, ConfigError } from "../core/validate.ts";
import type { RunLog } from "../log/runlog.ts";
import {
  JOB_MARKER,
  type JobAnswer,
  type JobResult,
  type PoolEvent,
  runPool,
  type WorkerCommand,
} from "../jobs/pool.ts";
import { KILL_JOB_ENV, serveJobs } from "../jobs/worker.ts";
import { slurmArrayScript, type SlurmOptions, submitSlurmArray } from "../jobs/slurm.ts";
import type { GridPoint } from "../jobs/grid.ts";
import { prepareCheckpoints, resolveRunConfig, runReproductionInProcess } from "./runner.ts";
import type { BaseConfig, PresetName, Reproduction, ReproductionResolver, RunOptions } from "./types.ts";

/** Where a job list runs: `local` (worker subprocesses on this machine) or `slurm` (an sbatch job array). */
export const EXECUTORS = ["local", "slurm"] as const;
/** An executor name. */
export type ExecutorName = typeof EXECUTORS[number];

/** One run whose seeds become jobs. */
export interface RunSpec {
  /** Reproduction name (found by the resolver). */
  reproduction: string;
  /** Preset. */
  preset: PresetName;
  /** Config overrides of the preset (JSON). */
  config: Record<string, unknown>;
  /** Seeds override (default: the preset's). */
  seeds?: number;
  /** tfjs backend the jobs use (tensor reproductions; fixed by the coordinator so every job uses the same). */
  backend?: BackendName;
  /** Absolute checkpoint folder (`<dir>/seeds/<i>.jsonl`). */
  checkpointDir: string;
  /** Grid point of a sweep run. */
  point?: GridPoint;
}

/** One job: seed `seed` of run `run`. */
export interface SeedJob {
  /** Index into `JobList.runs`. */
  run: number;
  /** Seed index. */
  seed: number;
  /** "seed 3 of kae" (plus the grid point in sweeps). */
  name: string;
  /** Estimated seconds (schedules longest first). */
  cost: number;
}

/** The job list file (`jobs.json`) that local workers and SLURM array tasks read. */
export interface JobList {
  /** What the jobs belong to: `reproduce` (results/<name>/) or `sweep` (results/sweeps/<name>/). */
  kind: "reproduce" | "sweep";
  /** The runs. */
  runs: RunSpec[];
  /** The jobs (only unfinished seeds). */
  jobs: SeedJob[];
  /** Per run, the seeds already checkpointed before these jobs. */
  resumed: number[];
  /** The options of the command that made the list (for `--collect`). */
  command: Record<string, unknown>;
  /** The worker module a job subprocess runs (the resolver's `worker`). */
  worker: string;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Environment variables a worker may read: only the fault-injection hook. */
export const WORKER_ENV = [KILL_JOB_ENV] as const;

/**
 * The worker command for a job list: this Deno running the `worker` module with the repository's deno.json
 * and narrow permissions: read anywhere, write only `writeDirs`, env `WORKER_ENV`, ffi (native matmul of the
 * transformer); no run, net or sys.
 */
export function workerCommand(listPath: string, writeDirs: readonly string[], worker: string): WorkerCommand {
  return {
    args: [
      "run",
      "--config",
      join(ROOT, "deno.json"),
      "--allow-read",
      `--allow-write=${writeDirs.join(",")}`,
      `--allow-env=${WORKER_ENV.join(",")}`,
      "--allow-ffi",
      resolve(worker),
      listPath,
    ],
    cwd: ROOT,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1" },
  };
}

function activeBackend(): BackendName {
  const b = tf.getBackend();
  return b && b !== "cpu" ? b as BackendName : "wasm";
}

/**
 * Plan jobs for runs: resolve and validate each config, prepare its checkpoint folder (`prepareCheckpoints`:
 * stale or `fresh` checkpoints are cleared once, here) and list one job per missing seed. Tensor runs without a
 * backend get the one `runReproduction` would pick in this process (the active non-cpu backend, else wasm).
 * A job's cost estimate is the reproduction's `seedSeconds` (else its progress units per seed).
 */
export function planJobs(
  runs: RunSpec[],
  options: {
    kind: JobList["kind"];
    resolver: ReproductionResolver;
    fresh?: boolean;
    command?: Record<string, unknown>;
  },
): JobList {
  const jobs: SeedJob[] = [];
  const resumed: number[] = [];
  runs.forEach((spec, r) => {
    const rep = options.resolver.resolve(spec.reproduction);
    const { preset, config } = resolveRunConfig(rep, {
      preset: spec.preset,
      config: spec.config as Partial<BaseConfig>,
      seeds: spec.seeds,
    });
    rep.validate(config);
    if (rep.usesTensors) spec.backend ??= activeBackend();
    spec.checkpointDir = resolve(spec.checkpointDir);
    const present = new Set(prepareCheckpoints(spec.checkpointDir, preset, config, { fresh: options.fresh }));
    resumed.push(present.size);
    const where = spec.point && Object.keys(spec.point).length ? ` at ${JSON.stringify(spec.point)}` : "";
    for (let seed = 0; seed < config.seeds; seed++) {
      if (present.has(seed)) continue;
      jobs.push({
        run: r,
        seed,
        name: `seed ${seed} of ${rep.name}${where}`,
        cost: rep.seedSeconds ?? rep.unitsPerSeed(config),
      });
    }
  });
  return {
    kind: options.kind,
    runs,
    jobs,
    resumed,
    command: options.command ?? {},
    worker: resolve(options.resolver.worker),
  };
}

/** Run job `index` of a list in this process (what a worker does): one seed, written to its checkpoint. */
export async function runSeedJob(
  list: JobList,
  index: number,
  resolveName: ReproductionResolver["resolve"],
): Promise<void> {
  const job = list.jobs[index];
  if (!job) throw new ConfigError("index", `must be a job index 0…${list.jobs.length - 1}`, index);
  const spec = list.runs[job.run];
  await runReproductionInProcess(resolveName(spec.reproduction), {
    preset: spec.preset,
    config: spec.config as Partial<BaseConfig>,
    seeds: spec.seeds,
    backend: spec.backend,
    checkpointDir: spec.checkpointDir,
    seedIndices: [job.seed],
    progress: false,
  });
}

/** Options of `executeJobs`. */
export interface ExecuteOptions {
  /** Worker subprocesses for the local executor (default: one per core). */
  jobs?: number;
  /** `local` (default) or `slurm`. */
  executor?: ExecutorName;
  /** SLURM options (executor slurm). */
  slurm?: SlurmOptions;
  /** Retries of a job whose worker died (default 2). */
  retries?: number;
  /** Pool events (tests use them to kill a worker mid-run). */
  onEvent?: (e: PoolEvent) => void;
  /** Pool status line: default on stderr; false for none. */
  status?: false;
  /** Extra environment for the workers (e.g. the fault-injection variable). */
  env?: Record<string, string>;
}

/** Outcome of executing a job list. */
export interface ExecuteResult {
  /** Per job (local executor), in list order. */
  results: JobResult[];
  /** Failure messages, "seed 3 of kae failed: …" (empty when all succeeded). */
  failures: string[];
  /** Wall seconds. */
  seconds: number;
  /** SLURM array job id (executor slurm). */
  slurmJobId?: string;
}

/**
 * Write the list to `<dir>/jobs.json` and run it: on a local pool, or as a SLURM array (`sbatch --wait` unless
 * `slurm.wait` is false; then collect later with `deno task reproduce --collect <dir>`).
 */
export async function executeJobs(
  list: JobList,
  dir: string,
  options: ExecuteOptions = {},
): Promise<ExecuteResult> {
  const executor = options.executor ?? "local";
  assertOneOf("executor", executor, EXECUTORS);
  dir = resolve(dir);
  await Deno.mkdir(dir, { recursive: true });
  const listPath = join(dir, "jobs.json");
  await Deno.writeTextFile(listPath, JSON.stringify(list, null, 1) + "\n");
  const writeDirs = [...new Set([dir, ...list.runs.map((r) => dirname(r.checkpointDir))])];
  const comma = writeDirs.find((d) => d.includes(","));
  if (comma) {
    throw new ConfigError(
      "results folder",
      "must not contain a comma (it is passed in --allow-write=…)",
      comma,
    );
  }
  const cmd = workerCommand(listPath, writeDirs, list.worker);
  if (options.env) cmd.env = { ...cmd.env, ...options.env };
  const t0 = performance.now();
  if (list.jobs.length === 0) return { results: [], failures: [], seconds: 0 };
  if (executor === "local") {
    if (options.jobs !== undefined) assertInteger("jobs", options.jobs, { min: 1 });
    const pool = await runPool(list.jobs, {
      jobs: options.jobs,
      retries: options.retries,
      worker: cmd,
      onEvent: options.onEvent,
      status: options.status,
    });
    return {
      results: pool.results,
      failures: pool.failed.map((f) => `${f.name} failed: ${f.error}`),
      seconds: pool.seconds,
    };
  }
  const script = slurmArrayScript({
    count: list.jobs.length,
    command: [Deno.execPath(), ...cmd.args],
    cwd: ROOT,
    dir,
    slurm: options.slurm,
  });
  const scriptPath = join(dir, "array.sbatch");
  await Deno.writeTextFile(scriptPath, script);
  await Deno.mkdir(join(dir, "logs"), { recursive: true });
  const id = await submitSlurmArray(scriptPath, options.slurm);
  const failures = options.slurm?.wait === false ? [] : missingSeeds(list, dir);
  return { results: [], failures, seconds: (performance.now() - t0) / 1000, slurmJobId: id };
}

/**
 * Jobs of a list whose seed checkpoint is missing, as "seed 3 of kae failed (array index 7): <last log line>"
 * (the log is `<dir>/logs/*_<index>.out` of a SLURM array task, when present).
 */
export function missingSeeds(list: JobList, dir: string): string[] {
  const out: string[] = [];
  list.jobs.forEach((job, k) => {
    const spec = list.runs[job.run];
    try {
      Deno.statSync(join(spec.checkpointDir, "seeds", `${job.seed}.jsonl`));
      return;
    } catch { /* missing */ }
    let why = "no checkpoint written";
    try {
      for (const e of Deno.readDirSync(join(dir, "logs"))) {
        if (e.name.endsWith(`_${k}.out`)) {
          const lines = Deno.readTextFileSync(join(dir, "logs", e.name)).trim().split("\n");
          why = lines.filter((l) => l.trim()).slice(-1)[0] ?? why;
        }
      }
    } catch { /* no logs */ }
    out.push(`${job.name} failed (job ${k}): ${why}`);
  });
  return out;
}

/**
 * Per-job times of a SLURM array, read from the answer line (`JOB_MARKER` + JSON) each task printed to
 * `<dir>/logs/<array id>_<index>.out`: job index → {seconds, cpuSeconds}; jobs without a log are absent.
 */
export function jobTimesFromLogs(dir: string): Record<number, { s: number; cpu: number }> {
  const out: Record<number, { s: number; cpu: number }> = {};
  try {
    for (const e of Deno.readDirSync(join(dir, "logs"))) {
      for (const line of Deno.readTextFileSync(join(dir, "logs", e.name)).split("\n")) {
        const at = line.indexOf(JOB_MARKER);
        if (at < 0) continue;
        const a = JSON.parse(line.slice(at + JOB_MARKER.length)) as JobAnswer;
        if (a.ok) out[a.index] = { s: a.seconds, cpu: a.cpuSeconds ?? 0 };
      }
    }
  } catch { /* no logs */ }
  return out;
}

/** Read a run back from its checkpoints (every seed must be present) through the runner's resume path. */
export async function gatherRun(
  spec: RunSpec,
  resolveName: ReproductionResolver["resolve"],
): Promise<RunLog> {
  const rep = resolveName(spec.reproduction);
  const { config } = resolveRunConfig(rep, {
    preset: spec.preset,
    config: spec.config as Partial<BaseConfig>,
    seeds: spec.seeds,
  });
  const missing: number[] = [];
  for (let i = 0; i < config.seeds; i++) {
    try {
      Deno.statSync(join(spec.checkpointDir, "seeds", `${i}.jsonl`));
    } catch {
      missing.push(i);
    }
  }
  if (missing.length) {
    throw new Error(`${rep.name}: seeds ${missing.join(", ")} of ${config.seeds} have no checkpoint`);
  }
  if (spec.backend) await useBackend(spec.backend);
  return runReproductionInProcess(rep, {
    preset: spec.preset,
    config: spec.config as Partial<BaseConfig>,
    seeds: spec.seeds,
    backend: spec.backend,
    checkpointDir: spec.checkpointDir,
    progress: false,
  });
}

/** Read a job list written by `executeJobs`. */
export function readJobList(dir: string): JobList {
  const path = join(dir, "jobs.json");
  try {
    return JSON.parse(Deno.readTextFileSync(path)) as JobList;
  } catch (e) {
    throw new ConfigError("--collect", `must be a folder holding jobs.json (${(e as Error).message})`, dir);
  }
}

/**
 * A run with `jobs` > 1: the seeds run on a pool of worker subprocesses (the reproduction must be the one
 * `options.resolver` finds by its name), then the log is gathered from the checkpoints (a temporary folder when
 * `checkpointDir` is absent). meta.resumedSeeds counts seeds found before the pool ran; meta.jobs is the pool size.
 */
export async function runReproductionPooled<C extends BaseConfig>(
  rep: Reproduction<C>,
  options: RunOptions<C>,
): Promise<RunLog> {
  if (options.seedIndices) throw new ConfigError("seedIndices", "cannot be combined with jobs > 1");
  const resolver = options.resolver;
  if (!resolver) {
    throw new ConfigError(
      "resolver",
      "must be given with jobs > 1 (workers look the reproduction up by name)",
    );
  }
  let registered: Reproduction<BaseConfig>;
  try {
    registered = resolver.resolve(rep.name);
  } catch {
    throw new ConfigError("jobs", "> 1 needs a reproduction the resolver knows by name", rep.name);
  }
  if (registered !== (rep as unknown as Reproduction<BaseConfig>)) {
    throw new ConfigError("jobs", "> 1 needs the resolver's reproduction object itself", rep.name);
  }
  const tmp = options.checkpointDir ? null : await Deno.makeTempDir({ prefix: "sweetspot-jobs-" });
  const checkpointDir = resolve(options.checkpointDir ?? tmp!);
  try {
    if (rep.usesTensors && options.backend) await useBackend(options.backend);
    const list = planJobs([{
      reproduction: rep.name,
      preset: options.preset ?? "quick",
      config: (options.config ?? {}) as Record<string, unknown>,
      seeds: options.seeds,
      backend: options.backend,
      checkpointDir,
    }], { kind: "reproduce", resolver, fresh: options.fresh });
    const res = await executeJobs(list, join(checkpointDir, "jobs"), {
      jobs: options.jobs,
      status: options.progress === false ? false : undefined,
    });
    if (res.failures.length) throw new Error(res.failures.join("\n"));
    const log = await gatherRun(list.runs[0], resolver.resolve);
    log.meta.resumedSeeds = list.resumed[0];
    log.meta.jobs = options.jobs;
    return log;
  } finally {
    if (tmp) await Deno.remove(tmp, { recursive: true });
  }
}

/**
 * The body of a worker module: read the job list named by the first argument and serve its jobs
 * (`serveJobs`: `--index K` runs one job, else jobs arrive on stdin) with `resolveName`.
 */
export async function serveSeedJobs(
  resolveName: ReproductionResolver["resolve"],
  args: readonly string[] = Deno.args,
): Promise<void> {
  const list = JSON.parse(await Deno.readTextFile(args[0])) as JobList;
  await serveJobs((k) => runSeedJob(list, k, resolveName), args.slice(1));
}
