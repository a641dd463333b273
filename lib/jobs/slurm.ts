/**
 * SLURM job arrays: `slurmArrayScript` writes an sbatch script whose array task i runs job i of a job list
 * (`<worker command> --index $SLURM_ARRAY_TASK_ID`), logging to `<dir>/logs/<array id>_<i>.out`;
 * `submitSlurmArray` submits it with `sbatch --parsable [--wait]`.
 */
import { join } from "node:path";
import { assertInteger, ConfigError } from "../core/validate.ts";

/** Cluster options of an array submission (all optional; the cluster's defaults apply when absent). */
export interface SlurmOptions {
  /** `--partition`. */
  partition?: string;
  /** `--account`. */
  account?: string;
  /** `--time` limit per task, e.g. "00:30:00". */
  time?: string;
  /** `--cpus-per-task` (default 1: one seed per task is single-threaded). */
  cpusPerTask?: number;
  /** `--mem` per task, e.g. "4G". */
  mem?: string;
  /** `--job-name` (default "sweetspot"). */
  jobName?: string;
  /** Block until every task ended (`sbatch --wait`; default true). */
  wait?: boolean;
  /** The `sbatch` executable (default "sbatch" on PATH). */
  sbatch?: string;
  /** Environment for sbatch (e.g. SLURM_CONF). */
  env?: Record<string, string>;
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The sbatch script text for an array of `count` tasks running `command … --index $SLURM_ARRAY_TASK_ID` in `cwd`. */
export function slurmArrayScript(opts: {
  count: number;
  command: string[];
  cwd: string;
  dir: string;
  slurm?: SlurmOptions;
}): string {
  assertInteger("count", opts.count, { min: 1 });
  const s = opts.slurm ?? {};
  if (s.cpusPerTask !== undefined) assertInteger("cpusPerTask", s.cpusPerTask, { min: 1 });
  for (
    const [k, v] of Object.entries({ partition: s.partition, account: s.account, time: s.time, mem: s.mem })
  ) {
    if (v !== undefined && !/^[A-Za-z0-9_:.,+-]+$/.test(v)) {
      throw new ConfigError(k, "must be a plain SLURM value (letters, digits, _ : . , + -)", v);
    }
  }
  const lines = [
    "#!/bin/bash",
    `#SBATCH --job-name=${shellQuote(s.jobName ?? "sweetspot")}`,
    `#SBATCH --array=0-${opts.count - 1}`,
    `#SBATCH --output=${shellQuote(join(opts.dir, "logs", "%A_%a.out"))}`,
    `#SBATCH --cpus-per-task=${s.cpusPerTask ?? 1}`,
    `#SBATCH --ntasks=1`,
  ];
  if (s.partition) lines.push(`#SBATCH --partition=${s.partition}`);
  if (s.account) lines.push(`#SBATCH --account=${s.account}`);
  if (s.time) lines.push(`#SBATCH --time=${s.time}`);
  if (s.mem) lines.push(`#SBATCH --mem=${s.mem}`);
  lines.push(
    "set -euo pipefail",
    "export RUST_BACKTRACE=0 NO_COLOR=1",
    `cd ${shellQuote(opts.cwd)}`,
    `exec ${opts.command.map(shellQuote).join(" ")} --index "$SLURM_ARRAY_TASK_ID"`,
    "",
  );
  return lines.join("\n");
}

/** Submit an sbatch script (`sbatch --parsable [--wait] script`) and return the array job id. */
export async function submitSlurmArray(scriptPath: string, slurm: SlurmOptions = {}): Promise<string> {
  const args = ["--parsable", ...(slurm.wait ?? true ? ["--wait"] : []), scriptPath];
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(slurm.sbatch ?? "sbatch", {
      args,
      env: slurm.env,
      stdout: "piped",
      stderr: "piped",
    })
      .output();
  } catch (e) {
    throw new ConfigError("executor", `slurm needs sbatch on PATH (${(e as Error).message})`, "slurm");
  }
  const stdout = new TextDecoder().decode(out.stdout).trim();
  const stderr = new TextDecoder().decode(out.stderr).trim();
  const id = stdout.split("\n")[0]?.split(";")[0] ?? "";
  // With --wait, sbatch exits non-zero when any task failed; the collect step names those tasks.
  if (!id) throw new Error(`sbatch ${args.join(" ")} failed (code ${out.code}): ${stderr || stdout}`);
  return id;
}
