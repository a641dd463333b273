/**
 * `RunLog`: the rows a training loop logs (step, arm, seed, metrics…) plus run metadata, convertible to an
 * arquero table for groupby/rollup summaries and to CSV/JSONL on disk (with `<path>.meta.json`), and back.
 */
import * as aq from "arquero";
import type { ColumnTable } from "arquero";
import { ConfigError } from "../core/validate.ts";
import { parseCSV, writeCSV } from "./csv.ts";

/** One logged row: column → finite number, string, boolean or null. */
export type RunRow = Record<string, number | string | boolean | null>;

/** A row of a reproduction's seed log: scalar fields only (numbers and strings; a `seed` column is added by the runner). */
export type Row = Record<string, number | string>;

const META_VERSION = 1;

function validateRow(row: unknown, where: string): RunRow {
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new ConfigError(where, "must be an object of column → number | string | boolean | null", row);
  }
  const out: RunRow = {};
  for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
    if (k === "") throw new ConfigError(where, "has an empty column name");
    if (typeof v === "number") {
      if (!Number.isFinite(v)) {
        throw new ConfigError(
          `${where}.${k}`,
          "must be a finite number or null (NaN/Infinity not allowed)",
          v,
        );
      }
    } else if (v !== null && typeof v !== "string" && typeof v !== "boolean") {
      throw new ConfigError(`${where}.${k}`, "must be a finite number, string, boolean or null", v);
    }
    out[k] = v as RunRow[string];
  }
  return out;
}

/**
 * Rows of one run (or many) plus metadata; see module doc. `Row` types the columns a producer guarantees
 * (e.g. `RunLog<TrainerRow>`: `log.rows[i].accuracy` is `number | null`); it defaults to the untyped `RunRow`.
 */
export class RunLog<Row extends RunRow = RunRow> {
  /** Run metadata: config, seeds, backend, start time… (JSON-serializable). */
  readonly meta: Record<string, unknown>;
  /** Logged rows, in order. */
  readonly rows: Row[] = [];

  /** Start an empty log with optional metadata. */
  constructor(meta: Record<string, unknown> = {}) {
    if (meta === null || typeof meta !== "object" || Array.isArray(meta)) {
      throw new ConfigError("meta", "must be an object", meta);
    }
    this.meta = meta;
  }

  /** Append a row (copied); a NaN/Infinity or non-scalar value throws a ConfigError naming the column. */
  log(row: Row): void {
    this.rows.push(validateRow(row, `row ${this.rows.length}`) as Row);
  }

  /** Number of rows. */
  get length(): number {
    return this.rows.length;
  }

  /** Column names in first-seen order over all rows. */
  get columns(): string[] {
    const seen = new Set<string>();
    for (const r of this.rows) for (const k of Object.keys(r)) seen.add(k);
    return [...seen];
  }

  /** Arquero table with every column (missing cells are null). */
  toTable(): ColumnTable {
    const cols: Record<string, RunRow[string][]> = {};
    for (const c of this.columns) cols[c] = this.rows.map((r) => (c in r ? r[c] : null));
    return aq.table(cols);
  }

  /** CSV text: header, then one line per row; strings quoted, null as an empty field. */
  toCSV(): string {
    return writeCSV(this.columns, this.rows);
  }

  /** JSON Lines: one JSON object per row. */
  toJSONL(): string {
    return this.rows.map((r) => JSON.stringify(r)).join("\n") + (this.rows.length ? "\n" : "");
  }

  /** Write `path` (.csv or .jsonl) and `<path>.meta.json` ({format, version, columns, rows, meta}). */
  async save(path: string): Promise<void> {
    const format = formatOf(path);
    const dir = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    if (dir) await Deno.mkdir(dir, { recursive: true });
    await Deno.writeTextFile(path, format === "csv" ? this.toCSV() : this.toJSONL());
    const sidecar = {
      format: "sweetspot.runlog",
      version: META_VERSION,
      columns: this.columns,
      rows: this.rows.length,
      meta: this.meta,
    };
    await Deno.writeTextFile(`${path}.meta.json`, JSON.stringify(sidecar, null, 2) + "\n");
  }

  /**
   * Read a log written by `save` (meta from `<path>.meta.json` when present); types round-trip. `R` asserts
   * the row type of the writer (e.g. `RunLog.load<TrainerRow>(path)` for a trainer's log).
   */
  static async load<R extends RunRow = RunRow>(path: string): Promise<RunLog<R>> {
    const format = formatOf(path);
    const text = await Deno.readTextFile(path);
    let meta: Record<string, unknown> = {};
    try {
      const side = JSON.parse(await Deno.readTextFile(`${path}.meta.json`));
      meta = side && typeof side === "object" && side.format === "sweetspot.runlog" ? side.meta ?? {} : side;
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    const log = new RunLog<R>(meta);
    if (format === "csv") {
      for (const row of parseCSV(text, path).rows) {
        // CSV has every column on every line; an empty cell for a column the row never had reads as null.
        log.log(row as R);
      }
    } else {
      text.split("\n").forEach((line, i) => {
        if (line.trim() === "") return;
        let obj: unknown;
        try {
          obj = JSON.parse(line);
        } catch (e) {
          throw new ConfigError(`${path}:${i + 1}`, `must be a JSON object (${(e as Error).message})`);
        }
        log.log(obj as R);
      });
    }
    return log;
  }

  /** A log holding copies of the given rows (validated). */
  static fromRows<R extends RunRow = RunRow>(rows: R[], meta: Record<string, unknown> = {}): RunLog<R> {
    const log = new RunLog<R>(meta);
    for (const r of rows) log.log(r);
    return log;
  }

  /** All rows of the logs in order; meta is `{parts: [meta of each log]}`. */
  static concat<R extends RunRow = RunRow>(logs: RunLog<R>[]): RunLog<R> {
    const out = new RunLog<R>({ parts: logs.map((l) => l.meta) });
    for (const l of logs) for (const r of l.rows) out.rows.push({ ...r });
    return out;
  }

  /**
   * Per-group summaries via arquero groupby/rollup: for each metric m, `m_mean`, `m_std` (sample, n − 1;
   * null when fewer than 2 values) and `m_count` (non-null values). Groups appear in first-seen order.
   */
  summarize(by: string[], metrics: string[]): RunRow[] {
    const cols = this.columns;
    for (const [field, names] of [["by", by], ["metrics", metrics]] as const) {
      if (!Array.isArray(names)) throw new ConfigError(field, "must be an array of column names", names);
      for (const c of names) {
        if (!cols.includes(c)) {
          throw new ConfigError(field, `must list columns of the log; columns: ${cols.join(", ")}`, c);
        }
      }
    }
    for (const m of metrics) {
      const bad = this.rows.find((r) => r[m] !== null && r[m] !== undefined && typeof r[m] !== "number");
      if (bad) {
        throw new ConfigError(
          "metrics",
          `must name numeric columns; ${m} holds ${JSON.stringify(bad[m])}`,
          m,
        );
      }
    }
    const spec: Record<string, unknown> = {};
    for (const m of metrics) {
      spec[`${m}_mean`] = aq.op.mean(m);
      spec[`${m}_std`] = aq.op.stdev(m);
      spec[`${m}_count`] = aq.op.valid(m);
    }
    const table = by.length ? this.toTable().groupby(...by) : this.toTable();
    // deno-lint-ignore no-explicit-any
    const out = (table as any).rollup(spec).objects() as Record<string, unknown>[];
    return out.map((r) => {
      const row: RunRow = {};
      for (const [k, v] of Object.entries(r)) {
        row[k] = typeof v === "number" && !Number.isFinite(v) ? null : (v ?? null) as RunRow[string];
      }
      for (const m of metrics) if ((row[`${m}_count`] as number) < 2) row[`${m}_std`] = null;
      return row;
    });
  }
}

function formatOf(path: string): "csv" | "jsonl" {
  if (typeof path === "string" && path.endsWith(".csv")) return "csv";
  if (typeof path === "string" && path.endsWith(".jsonl")) return "jsonl";
  throw new ConfigError("path", 'must end with ".csv" or ".jsonl"', path);
}
