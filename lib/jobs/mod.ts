/** Jobs: a subprocess worker pool (`runPool`, `serveJobs`), sweep grids, SLURM job arrays. */
export * from "./pool.ts";
export * from "./worker.ts";
export * from "./grid.ts";
export * from "./slurm.ts";
