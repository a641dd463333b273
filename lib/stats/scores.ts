/** Score-matrix input handling shared by the stats modules (internal: not re-exported by mod.ts). */

import { assertFiniteArray, ConfigError } from "../core/validate.ts";

/** Run scores: a `tasks × runs` matrix (rows may differ in length) or a flat array of runs of one task. */
export type ScoreInput = ArrayLike<number> | readonly ArrayLike<number>[];

function isMatrix(x: ScoreInput): x is readonly ArrayLike<number>[] {
  return x.length > 0 && typeof (x as ArrayLike<unknown>)[0] === "object" &&
    (x as ArrayLike<unknown>)[0] !== null;
}

/** Validate scores and return them as rows (a flat input is one task). */
export function scoreRows(field: string, x: ScoreInput): number[][] {
  if (x === null || typeof x !== "object" || typeof x.length !== "number") {
    throw new ConfigError(field, "must be an array of run scores or a tasks × runs matrix", x);
  }
  if (x.length === 0) throw new ConfigError(field, "must be non-empty");
  const rows: readonly ArrayLike<number>[] = isMatrix(x) ? x : [x as ArrayLike<number>];
  return rows.map((row, t) => {
    const name = isMatrix(x) ? `${field}[${t}]` : field;
    if (row === null || typeof row !== "object" || typeof row.length !== "number") {
      throw new ConfigError(name, "must be an array of numbers", row);
    }
    assertFiniteArray(name, row);
    if (row.length === 0) throw new ConfigError(name, "must be non-empty (each task needs at least one run)");
    return Array.from(row);
  });
}
