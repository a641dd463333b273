/**
 * The job worker of `deno task reproduce --jobs N` and `deno task sweep`: `deno run … scripts/worker.ts
 * <jobs.json> [--index K]` serves the seed jobs of a job list, finding reproductions through the registry.
 */
import { serveSeedJobs } from "../mod.ts";
import { getReproduction } from "../reproductions/registry.ts";

if (import.meta.main) await serveSeedJobs(getReproduction);
