/**
 * Row queries of a run log: rows matching a selection, rows per seed, one value per seed, paired per-seed
 * statistics and the score matrix of a claim. No seed is dropped silently: a seed without a finite value
 * either takes the claim's stated failure value or stays NaN, which the claim builders count (and report).
 */
import { ConfigError } from "../core/validate.ts";
import { type Row, RunLog } from "../log/runlog.ts";

/** Rows of `log` whose fields equal every entry of `where`. */
export function selectRows(log: RunLog, where: Row): Row[] {
  const keys = Object.keys(where);
  return (log.rows as Row[]).filter((r) => keys.every((k) => r[k] === where[k]));
}

/** Rows of `log` (or a row list) grouped by their `seed` column, in ascending seed order. */
export function rowsBySeed(rows: RunLog | readonly Row[]): Map<number, Row[]> {
  const list = rows instanceof RunLog ? rows.rows as Row[] : rows;
  const out = new Map<number, Row[]>();
  for (const r of list) {
    const s = Number(r.seed);
    if (!Number.isInteger(s)) throw new ConfigError("row.seed", "must be an integer seed index", r.seed);
    const g = out.get(s);
    if (g) g.push(r);
    else out.set(s, [r]);
  }
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

/**
 * Per seed, the number in `field` of the one row matching `where` (seed → value, ascending seed; a missing or
 * null field gives NaN); several matching rows in one seed throw a ConfigError (the selection is ambiguous).
 */
export function bySeed(log: RunLog | readonly Row[], where: Row, field: string): Map<number, number> {
  const out = new Map<number, number>();
  const keys = Object.keys(where);
  for (const [seed, rows] of rowsBySeed(log)) {
    const hit = rows.filter((r) => keys.every((k) => r[k] === where[k]));
    if (hit.length > 1) {
      throw new ConfigError(
        "where",
        `must select at most one row per seed (seed ${seed} has ${hit.length})`,
        where,
      );
    }
    if (hit.length === 1) {
      const v = hit[0][field] as number | string | null | undefined;
      out.set(seed, v === null || v === undefined ? NaN : Number(v));
    }
  }
  return out;
}

/** How `pairedBySeed` treats seeds: which seeds count, and what a seed without a finite result scores. */
export interface SeedPairing {
  /** Registered seed count: seeds 0…seeds−1 all count, present or not (default: the seeds present in a or b). */
  seeds?: number;
  /** Value a seed without a finite result takes (a failure by the claim's rule); default NaN (kept, counted). */
  failure?: number;
}

/**
 * Paired per-seed statistic f(a_s, b_s) (default the difference a_s − b_s), one entry per seed in ascending
 * order — every registered seed when `seeds` is given, else every seed present in a or b. A seed missing from
 * either map or whose result is not finite is never dropped: it scores `failure` (when the claim's rule names
 * one) or NaN, which the claim builders count in n and report. When neither map holds a seed (the tier was
 * not run) the result is empty. Common random numbers: a and b of one seed
 * share the seed's start and streams, so the pairing removes the between-seed variance.
 */
export function pairedBySeed(
  a: ReadonlyMap<number, number>,
  b: ReadonlyMap<number, number>,
  f: (a: number, b: number) => number = (x, y) => x - y,
  pairing: SeedPairing = {},
): number[] {
  if (a.size === 0 && b.size === 0) return [];
  const seeds = pairing.seeds !== undefined
    ? Array.from({ length: pairing.seeds }, (_, i) => i)
    : [...new Set([...a.keys(), ...b.keys()])].sort((u, v) => u - v);
  return seeds.map((s) => {
    const x = a.get(s);
    const y = b.get(s);
    const v = x === undefined || y === undefined ? NaN : f(x, y);
    return Number.isFinite(v) ? v : pairing.failure ?? NaN;
  });
}

/**
 * The `scores` matrix of a claim (`directionalClaim`): f(rows of seed s) per seed, ascending seed, a
 * non-finite result kept as NaN (the claim builders count it); one row (stratum) in all, or with `stratum` one
 * row per distinct value of that field (first-seen order; strata without any finite value are dropped — they
 * were not run, e.g. a skipped tier).
 */
export function seedMatrix(
  rows: RunLog | readonly Row[],
  f: (seedRows: Row[]) => number,
  stratum?: string,
): number[][] {
  const list = rows instanceof RunLog ? rows.rows as Row[] : rows;
  const strata = stratum === undefined
    ? [list]
    : [...new Set(list.map((r) => r[stratum]))].map((v) => list.filter((r) => r[stratum] === v));
  const out = strata.map((part) =>
    [...rowsBySeed(part).values()].map(f).map((v) => Number.isFinite(v) ? v : NaN)
  );
  return stratum === undefined ? out : out.filter((r) => r.some(Number.isFinite));
}

/** The config a run log was produced with (its meta.config). */
export function logConfig<C>(log: RunLog): C {
  const meta = log.meta as { config?: C };
  if (!meta?.config) {
    throw new ConfigError("log.meta.config", "must be present (logs from runReproduction carry it)");
  }
  return meta.config;
}
