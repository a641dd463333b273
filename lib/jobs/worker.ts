/**
 * Worker side of `runPool` and of SLURM array tasks: `serveJobs(runJob)` either runs one job given by
 * `--index K` on the command line (a SLURM array task passes `--index $SLURM_ARRAY_TASK_ID`) and exits 0/1, or
 * serves `{"index", "attempt"}` lines from stdin, answering each with a `JOB_MARKER` line on stdout, until stdin
 * closes. A job's own stdout is free text; only marker lines are answers.
 */
import process from "node:process";
import { JOB_MARKER, type JobAnswer } from "./pool.ts";

/** Environment variable for fault-injection tests: the worker kills itself (SIGKILL) on the first attempt of this job index. */
export const KILL_JOB_ENV = "SWEETSPOT_KILL_JOB";

function killHook(index: number, attempt: number): void {
  let target: string | undefined;
  try {
    target = Deno.env.get(KILL_JOB_ENV);
  } catch { /* env not permitted: no hook */ }
  if (target !== undefined && Number(target) === index && attempt === 0) Deno.kill(Deno.pid, "SIGKILL");
}

async function answer(
  index: number,
  attempt: number,
  runJob: (index: number) => Promise<void>,
): Promise<JobAnswer> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  killHook(index, attempt);
  try {
    await runJob(index);
    const cpu = process.cpuUsage(cpu0);
    return {
      index,
      ok: true,
      seconds: (performance.now() - t0) / 1000,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } catch (e) {
    return {
      index,
      ok: false,
      error: e instanceof Error ? e.message : String(e),
      seconds: (performance.now() - t0) / 1000,
    };
  }
}

/** Run jobs by index for a pool (stdin protocol) or once (`--index K` in `args`); see module doc. */
export async function serveJobs(
  runJob: (index: number) => Promise<void>,
  args: string[] = Deno.args,
): Promise<void> {
  const enc = new TextEncoder();
  const say = (a: JobAnswer) => Deno.stdout.writeSync(enc.encode(`\n${JOB_MARKER}${JSON.stringify(a)}\n`));
  const at = args.indexOf("--index");
  if (at >= 0) {
    const index = Number(args[at + 1]);
    const a = await answer(index, 0, runJob);
    say(a);
    if (!a.ok) console.error(`job ${index} failed: ${a.error}`);
    Deno.exit(a.ok ? 0 : 1);
  }
  const dec = new TextDecoder();
  let buf = "";
  for await (const chunk of Deno.stdin.readable) {
    buf += dec.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const { index, attempt } = JSON.parse(line) as { index: number; attempt: number };
      say(await answer(index, attempt ?? 0, runJob));
    }
  }
}
