/**
 * Sweep grids: a grid maps config fields to lists of values; its points are the Cartesian product (first field
 * varies slowest). `parseGridArg("lr=0.1,0.3")` reads the CLI form; values are JSON where they parse
 * (numbers, booleans, arrays such as `[3,5]`), else strings.
 */
import { ConfigError } from "../core/validate.ts";

/** A grid value (any JSON value a config field takes). */
export type GridValue = number | string | boolean | null | GridValue[] | { [k: string]: GridValue };
/** A sweep grid: field → values. */
export type Grid = Record<string, GridValue[]>;
/** One grid point: field → value. */
export type GridPoint = Record<string, GridValue>;

function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0, start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "[" || c === "{") depth++;
    else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((x) => x.trim());
}

function parseValue(s: string): GridValue {
  try {
    return JSON.parse(s) as GridValue;
  } catch {
    return s;
  }
}

/** Parse one `field=v1,v2,…` argument (commas inside [] or {} do not split). */
export function parseGridArg(arg: string): [string, GridValue[]] {
  const eq = arg.indexOf("=");
  if (eq <= 0 || eq === arg.length - 1) {
    throw new ConfigError("--grid", "must look like field=v1,v2,… (e.g. steps=20,40)", arg);
  }
  const field = arg.slice(0, eq).trim();
  const values = splitTopLevel(arg.slice(eq + 1)).filter((v) => v !== "").map(parseValue);
  if (values.length === 0) throw new ConfigError(`--grid ${field}`, "must list at least one value", arg);
  return [field, values];
}

/** Grid from repeated `--grid field=…` arguments; a field given twice is a ConfigError. */
export function parseGrid(args: readonly string[]): Grid {
  const grid: Grid = {};
  for (const a of args) {
    const [field, values] = parseGridArg(a);
    if (field in grid) throw new ConfigError("--grid", `field ${JSON.stringify(field)} is given twice`, a);
    grid[field] = values;
  }
  return grid;
}

/** All points of a grid (Cartesian product, first field slowest); an empty grid has one empty point. */
export function gridPoints(grid: Grid): GridPoint[] {
  let points: GridPoint[] = [{}];
  for (const [field, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0) {
      throw new ConfigError(`grid.${field}`, "must be a non-empty array of values", values);
    }
    points = points.flatMap((p) => values.map((v) => ({ ...p, [field]: v })));
  }
  return points;
}

/** A file-name-safe, stable key of a point, e.g. `steps=40_lr=0.3`, `[3,5]` → `[3+5]` (its checkpoint folder; no commas, so it fits a permission list). */
export function pointKey(point: GridPoint): string {
  const parts = Object.entries(point).map(([k, v]) =>
    `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`
  );
  return (parts.join("_") || "base").replace(/,/g, "+").replace(/[^A-Za-z0-9=._+[\]-]/g, "-");
}
