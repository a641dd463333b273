/**
 * `runReproduction`, the one run path of every reproduction: in this process (`runReproductionInProcess`:
 * seeded runs with per-seed checkpoints and resume), or with `jobs` > 1 on a pool of worker subprocesses whose
 * checkpoints are then gathered (`runReproductionPooled`), giving the same log.
 */
import { assertInteger } from "../core/validate.ts";
import type { RunLog } from "../log/runlog.ts";
import { runReproductionPooled } from "./jobs.ts";
import { runReproductionInProcess } from "./runner.ts";
import type { BaseConfig, Reproduction, RunOptions } from "./types.ts";

/**
 * Run a reproduction: resolve preset + overrides, validate, run every seed (checkpointed under
 * `checkpointDir`, resumed on a rerun); with `jobs` > 1 the seeds run as jobs (needs `resolver`).
 */
export function runReproduction<C extends BaseConfig>(
  rep: Reproduction<C>,
  options: RunOptions<C> = {},
): Promise<RunLog> {
  if (options.jobs !== undefined && options.jobs !== 1) {
    assertInteger("jobs", options.jobs, { min: 1 });
    return runReproductionPooled(rep, options);
  }
  return runReproductionInProcess(rep, options);
}
