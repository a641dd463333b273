/**
 * `runPool`: run a list of jobs on N worker subprocesses (default one per core). Each worker is a Deno
 * subprocess that serves job indices read from stdin (`serveJobs` in worker.ts) and answers with one marker
 * line per job. Subprocesses rather than Web Workers: each gets a real core and its own heap, and a worker that
 * crashes or is killed (SIGKILL, out of memory) loses only the job it was running — that job is retried in a
 * fresh worker (up to `retries` times) or reported as failed by name; every other job is unaffected.
 * Jobs are started longest-first (by `cost`) so the workers finish together.
 */
import { assertInteger, ConfigError } from "../core/validate.ts";

/** One job of a pool: a display name and a relative cost (longer jobs start first). */
export interface PoolJob {
  /** Name used in progress and failure messages (e.g. "seed 3 of kae"). */
  name: string;
  /** Relative cost (e.g. estimated seconds); jobs start in decreasing cost order (default 1). */
  cost?: number;
}

/**
 * This Deno's executable for subprocesses: `Deno.execPath()` when run permission covers it, else `deno` (e.g.
 * `--allow-run=deno` names the PATH entry, which may be a symlink to the same binary).
 */
export function denoExecutable(): string {
  const exec = Deno.execPath();
  return Deno.permissions.querySync({ name: "run", command: exec }).state === "granted" ? exec : "deno";
}

/** The command that starts one worker subprocess: `denoExecutable()` (default) with `args`. */
export interface WorkerCommand {
  /** Executable (default: this Deno, `denoExecutable()`). */
  command?: string;
  /** Arguments, e.g. ["run", "--allow-read", …, "worker.ts", "jobs.json"]. */
  args: string[];
  /** Working directory. */
  cwd?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

/** What happened to one job. */
export interface JobResult {
  /** Index into the job list. */
  index: number;
  /** The job's name. */
  name: string;
  /** True when the worker reported success. */
  ok: boolean;
  /** Attempts made (1 + retries used). */
  attempts: number;
  /** Why the last attempt failed (worker's error message, or how the worker died and its stderr tail). */
  error?: string;
  /** Wall seconds of the successful (or last) attempt, as measured by the worker. */
  seconds: number;
  /** CPU seconds (user + system) the worker spent on the job, when it reports them. */
  cpuSeconds?: number;
}

/** A pool event (for progress displays and tests). */
export type PoolEvent =
  | { type: "start"; index: number; name: string; attempt: number; pid: number }
  | { type: "done"; result: JobResult }
  | { type: "retry"; index: number; name: string; attempt: number; error: string };

/** Pool progress sink: called with a one-line status after every change. */
export type PoolStatusLine = (line: string) => void;

/** Options of `runPool`. */
export interface PoolOptions {
  /** Number of worker subprocesses (default `navigator.hardwareConcurrency`; capped at the job count). */
  jobs?: number;
  /** How a job whose worker died is retried: this many more attempts (default 2). Errors reported by the job itself are not retried. */
  retries?: number;
  /** How to start a worker. */
  worker: WorkerCommand;
  /** Called on every start / finish / retry. */
  onEvent?: (event: PoolEvent) => void;
  /** Status line sink ("jobs: 3/10 done, 2 running, 0 failed"), default: a `\r` line on stderr when it is a TTY, else a line per finished job; false for none. */
  status?: PoolStatusLine | false;
}

/** Summary of a pool run. */
export interface PoolResult {
  /** One result per job, in job-list order. */
  results: JobResult[];
  /** Jobs that failed after all attempts. */
  failed: JobResult[];
  /** Wall seconds of the whole pool. */
  seconds: number;
}

/** Marker that starts a worker's answer line on stdout (record separator + tag). */
export const JOB_MARKER = "\u001eSWEETSPOT_JOB ";

/** A worker's answer for one job (the JSON after `JOB_MARKER`). */
export interface JobAnswer {
  /** Job index. */
  index: number;
  /** True when the job finished without throwing. */
  ok: boolean;
  /** The thrown error's message. */
  error?: string;
  /** Wall seconds in the worker. */
  seconds: number;
  /** CPU seconds (user + system) in the worker. */
  cpuSeconds?: number;
}

/** Job indices in start order: decreasing cost, ties in list order. */
export function scheduleOrder(jobs: readonly PoolJob[]): number[] {
  return jobs.map((j, i) => ({ i, c: j.cost ?? 1 })).sort((a, b) => b.c - a.c || a.i - b.i).map((x) => x.i);
}

function defaultStatus(): PoolStatusLine {
  const tty = Deno.stderr.isTerminal();
  const enc = new TextEncoder();
  let last = "";
  return (line) => {
    // Off a terminal, one line per finished job (the part before "running" changes), not per start.
    const key = tty ? line : line.replace(/, \d+ running/, "");
    if (key === last) return;
    last = key;
    Deno.stderr.writeSync(enc.encode(tty ? `\r\x1b[2K${line}` : `${line}\n`));
  };
}

/** A running worker subprocess: send a job index, await its answer (or its death). */
class Worker {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #waiting: ((a: JobAnswer | Error) => void) | null = null;
  #stderr = "";
  #dead: Error | null = null;
  readonly pid: number;

  constructor(cmd: WorkerCommand) {
    this.#child = new Deno.Command(cmd.command ?? denoExecutable(), {
      args: cmd.args,
      cwd: cmd.cwd,
      env: cmd.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.pid = this.#child.pid;
    this.#writer = this.#child.stdin.getWriter();
    this.#readStdout();
    this.#readStderr();
    this.#child.status.then((s) => {
      const how = s.signal ? `killed by ${s.signal}` : `exited with code ${s.code}`;
      const tail = this.#stderr.trim().split("\n").slice(-8).join("\n");
      this.#dead = new Error(`worker ${this.pid} ${how}${tail ? `: ${tail}` : ""}`);
      this.#settle(this.#dead);
    });
  }

  #settle(a: JobAnswer | Error) {
    const w = this.#waiting;
    this.#waiting = null;
    w?.(a);
  }

  async #readStdout() {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of this.#child.stdout) {
      buf += dec.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const at = line.indexOf(JOB_MARKER);
        if (at >= 0) this.#settle(JSON.parse(line.slice(at + JOB_MARKER.length)) as JobAnswer);
      }
    }
  }

  async #readStderr() {
    const dec = new TextDecoder();
    for await (const chunk of this.#child.stderr) {
      this.#stderr = (this.#stderr + dec.decode(chunk, { stream: true })).slice(-4000);
    }
  }

  /** Run job `index` (attempt number `attempt`); resolves with the answer or an Error when the worker died. */
  run(index: number, attempt: number): Promise<JobAnswer | Error> {
    if (this.#dead) return Promise.resolve(this.#dead);
    return new Promise((resolve) => {
      this.#waiting = resolve;
      this.#writer.write(new TextEncoder().encode(JSON.stringify({ index, attempt }) + "\n")).catch(() => {});
    });
  }

  get dead(): boolean {
    return this.#dead !== null;
  }

  /** Close stdin (the worker exits when its input ends) and wait for it. */
  async close(): Promise<void> {
    try {
      await this.#writer.close();
    } catch { /* already dead */ }
    await this.#child.status;
  }
}

/**
 * Run every job on a pool of worker subprocesses (see module doc). Resolves when all jobs finished or failed;
 * never rejects for a failed job — check `failed`.
 */
export async function runPool(jobs: readonly PoolJob[], options: PoolOptions): Promise<PoolResult> {
  const n = options.jobs ?? navigator.hardwareConcurrency;
  assertInteger("jobs", n, { min: 1 });
  const retries = options.retries ?? 2;
  assertInteger("retries", retries, { min: 0 });
  if (!options.worker || !Array.isArray(options.worker.args)) {
    throw new ConfigError("worker.args", "must be the argument list that starts a worker");
  }
  const t0 = performance.now();
  const status = options.status === false ? null : options.status ?? defaultStatus();
  const queue = scheduleOrder(jobs).map((index) => ({ index, attempt: 0 }));
  const results: JobResult[] = new Array(jobs.length);
  let done = 0, running = 0, failedCount = 0, retried = 0;
  const report = () =>
    status?.(
      `jobs: ${done}/${jobs.length} done, ${running} running, ${failedCount} failed` +
        (retried ? `, ${retried} retried` : ""),
    );
  const emit = (e: PoolEvent) => options.onEvent?.(e);

  const slot = async () => {
    let worker: Worker | null = null;
    while (queue.length) {
      const { index, attempt } = queue.shift()!;
      if (!worker || worker.dead) worker = new Worker(options.worker);
      running++;
      emit({ type: "start", index, name: jobs[index].name, attempt, pid: worker.pid });
      report();
      const started = performance.now();
      const answer = await worker.run(index, attempt);
      running--;
      if (answer instanceof Error) {
        worker = null;
        if (attempt < retries) {
          retried++;
          emit({ type: "retry", index, name: jobs[index].name, attempt: attempt + 1, error: answer.message });
          queue.unshift({ index, attempt: attempt + 1 });
          report();
          continue;
        }
        results[index] = {
          index,
          name: jobs[index].name,
          ok: false,
          attempts: attempt + 1,
          error: answer.message,
          seconds: (performance.now() - started) / 1000,
        };
      } else {
        results[index] = {
          index,
          name: jobs[index].name,
          ok: answer.ok,
          attempts: attempt + 1,
          error: answer.error,
          seconds: answer.seconds,
          cpuSeconds: answer.cpuSeconds,
        };
      }
      done++;
      if (!results[index].ok) failedCount++;
      emit({ type: "done", result: results[index] });
      report();
    }
    await worker?.close();
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, jobs.length)) }, slot));
  if (status && jobs.length && Deno.stderr.isTerminal() && options.status === undefined) {
    Deno.stderr.writeSync(new TextEncoder().encode("\n"));
  }
  const failed = results.filter((r) => !r.ok);
  return { results, failed, seconds: (performance.now() - t0) / 1000 };
}
