/**
 * Typed CSV for run logs (RFC 4180 quoting). Strings are always written quoted, so an unquoted field reads
 * back as a number, boolean or (when empty) null, and a quoted field always reads back as a string.
 */
import { ConfigError } from "../core/validate.ts";

/** A CSV cell value. */
export type Cell = number | string | boolean | null;

function writeCell(v: Cell | undefined): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return `"${v.replace(/"/g, '""')}"`;
  return String(v);
}

/** Serialize rows to CSV with the given column order (header row first, "\n" line ends). */
export function writeCSV(columns: readonly string[], rows: readonly Record<string, Cell>[]): string {
  const lines = [columns.map((c) => writeCell(c)).join(",")];
  for (const r of rows) lines.push(columns.map((c) => writeCell(r[c])).join(","));
  return lines.join("\n") + "\n";
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function readBare(s: string): Cell {
  const t = s.trim();
  if (t === "") return null;
  if (t === "true") return true;
  if (t === "false") return false;
  if (NUMBER.test(t)) return Number(t);
  return s; // unquoted text from another writer
}

/** Parse CSV text into {columns, rows}; quoted fields are strings, bare fields are typed (see module doc). */
export function parseCSV(text: string, source = "csv"): { columns: string[]; rows: Record<string, Cell>[] } {
  const records: { value: Cell; quoted: boolean }[][] = [];
  let rec: { value: Cell; quoted: boolean }[] = [];
  let i = 0;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  let line = 1;
  while (i < n) {
    let value: Cell;
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      i++;
      let s = "";
      for (;;) {
        if (i >= n) {
          throw new ConfigError(source, `has an unterminated quoted field starting on line ${line}`);
        }
        const ch = text[i];
        if (ch === '"') {
          if (text[i + 1] === '"') {
            s += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (ch === "\n") line++;
        s += ch;
        i++;
      }
      value = s;
    } else {
      let j = i;
      while (j < n && text[j] !== "," && text[j] !== "\n" && text[j] !== "\r") j++;
      value = readBare(text.slice(i, j));
      i = j;
    }
    rec.push({ value, quoted });
    if (i >= n || text[i] === "\n" || text[i] === "\r") {
      if (text[i] === "\r") i++;
      if (text[i] === "\n") i++;
      records.push(rec);
      rec = [];
      line++;
    } else if (text[i] === ",") {
      i++;
      if (i >= n) {
        rec.push({ value: null, quoted: false });
        records.push(rec);
        rec = [];
      }
    } else {
      throw new ConfigError(source, `has text after a closing quote on line ${line}`);
    }
  }
  if (records.length === 0) return { columns: [], rows: [] };
  const columns = records[0].map((c) => String(c.value ?? ""));
  const rows: Record<string, Cell>[] = [];
  for (let r = 1; r < records.length; r++) {
    const cells = records[r];
    if (cells.length === 1 && cells[0].value === null && !cells[0].quoted && columns.length > 1) continue; // blank line
    if (cells.length !== columns.length) {
      throw new ConfigError(source, `row ${r} has ${cells.length} fields; the header has ${columns.length}`);
    }
    const row: Record<string, Cell> = {};
    columns.forEach((c, k) => (row[c] = cells[k].value));
    rows.push(row);
  }
  return { columns, rows };
}
