/**
 * Fixed held-out evaluation sets. `makeDataset(task, n, seed)` draws n problems with distinct ids from its
 * own `Rng(seed)`. Keep held-out sets apart from training draws by (1) using a seed the trainer never uses
 * and (2) passing the set to `RLVRTrainer`/`sft` as `exclude`, which redraws any training problem whose id is
 * in it — for small problem spaces (1-digit addition has 100 problems) seeding alone would overlap.
 */
import { Rng } from "../core/rng.ts";
import { assertInteger, ConfigError } from "../core/validate.ts";
import type { Problem, Task } from "./types.ts";

/** Options of `makeDataset`. */
export interface DatasetOptions<Opts> {
  /** Per-problem options passed to `task.sample` (e.g. `{digits: 2}`). */
  sampleOptions?: Partial<Opts>;
  /** Problems to leave out (e.g. another split), by id. */
  exclude?: Iterable<Problem | string>;
  /** Draw attempts per requested problem before giving up (default 100). */
  maxTriesPerProblem?: number;
}

/** n problems with distinct ids drawn from `Rng(seed)`; throws if the problem space is too small. */
export function makeDataset<Opts>(
  task: Task<Opts>,
  n: number,
  seed: number,
  options: DatasetOptions<Opts> = {},
): Problem[] {
  assertInteger("n", n, { min: 1 });
  assertInteger("seed", seed);
  const tries = options.maxTriesPerProblem ?? 100;
  assertInteger("maxTriesPerProblem", tries, { min: 1 });
  const seen = idSet(options.exclude ?? []);
  const rng = new Rng(seed);
  const out: Problem[] = [];
  for (let t = 0; out.length < n; t++) {
    if (t >= tries * n) {
      throw new ConfigError("n", `exceeds the distinct problems found in ${t} draws of ${task.name}`, n);
    }
    const p = task.sample(rng, options.sampleOptions);
    if (seen.has(p.id)) continue;
    seen.add(p.id);
    out.push(p);
  }
  return out;
}

/** The set of ids of problems (or ids given directly). */
export function idSet(items: Iterable<Problem | string>): Set<string> {
  const s = new Set<string>();
  for (const x of items) s.add(typeof x === "string" ? x : x.id);
  return s;
}

/** Draw from `task` with `rng` until the id is not in `exclude` (at most `maxTries` draws, then throws). */
export function sampleExcluding<Opts>(
  task: Task<Opts>,
  rng: Rng,
  exclude: ReadonlySet<string>,
  sampleOptions?: Partial<Opts>,
  maxTries = 1000,
): Problem {
  for (let t = 0; t < maxTries; t++) {
    const p = task.sample(rng, sampleOptions);
    if (!exclude.has(p.id)) return p;
  }
  throw new ConfigError("exclude", `covers every problem drawn in ${maxTries} tries of ${task.name}`);
}
