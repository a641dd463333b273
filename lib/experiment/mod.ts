/**
 * Experiments: run types (`Reproduction`, presets, `ClaimRow`), the runner (`runReproduction`: seeded runs with
 * per-seed checkpoints and resume, or seeds as jobs on a worker pool / SLURM array through a
 * `ReproductionResolver`), row queries, claim builders (directional, non-inferiority, equivalence, per-k with
 * Holm), preconditions, pre-registration (config and rule text), grid sweeps, the results/REPORT.md writer, and
 * the shared LM tier (TinyTransformer arms on addition).
 */
export * from "./types.ts";
export * from "./rows.ts";
export * from "./claims.ts";
export * from "./preconditions.ts";
export * from "./preregistration.ts";
export * from "./runner.ts";
export * from "./jobs.ts";
export * from "./run.ts";
export * from "./sweep.ts";
export * from "./report.ts";
export * from "./lm_tier.ts";
