/**
 * Result numbers typed into notebook prose: `proseFindings` scans the markdown cells of a notebook and reports
 * every line that states one of our estimates or verdicts instead of rendering it from the published claims
 * (docs/results/<name>/claims.json). Run by `deno task nb` before executing and by tests/notebook_prose_test.ts.
 *
 * Rules (each applied to one paragraph or list item; the offending line is reported):
 * - `claim-id`: a claim id (`<rep>.lm.<n>`, `<rep>.exact.<n>`, `lm.<n>`) on the same line as a decimal, a signed
 *   number or a verdict word;
 * - `verdict`: a verdict (reproduced / not reproduced / inconclusive / ✓ / ✗) stated as an outcome: in bold or
 *   italics, in parentheses, or within a few words of a decimal or signed number;
 * - `ci`: an interval of numbers in brackets that follows a number, carries a signed decimal or follows "CI";
 * - `table`: a markdown table row with a decimal number;
 * - `timing`: a measured duration ("167 s CPU", "≈ 200 CPU-seconds", "≈ 2 min");
 * - `iqm`: "IQM over/of/across …" (the claims use the mean below 20 runs and say so in their rules);
 * - `metric`: a metric name followed by its value (accuracy 0.39, ECE −0.18, pass@64 ≈ 0.85);
 * - `signed`: a decimal with a sign (+0.26, −0.040), the way differences are reported;
 * - `change-log`: a number → number history.
 *
 * The paper's own numbers pass: a paragraph that starts with **Paper claim** (or **Paper claims**, **Paper.**),
 * the list items and table rows right after it, and a line citing the paper ("Reported: …", "the paper reports")
 * are exempt from the number rules (`ci`, `table`, `metric`, `signed`, `change-log`, a verdict next to a number).
 * Claim ids with results, stated verdicts, timings and "IQM over" are flagged everywhere. Fenced code blocks are
 * skipped. Hyperparameters pass (bands like [0.2, 0.8], lr 1e-3, plain integers), though the notebooks print the
 * values they refer to from the presets rather than typing them.
 */

/** One offending line of a notebook's markdown. */
export interface ProseFinding {
  /** Index of the cell in the notebook's `cells`. */
  cell: number;
  /** 1-based line number within the cell's source. */
  line: number;
  /** The rule that matched (see the module doc). */
  rule: string;
  /** The offending line, trimmed. */
  text: string;
}

const NUM = String.raw`\d+(?:\.\d+)?`;
/** A decimal or a signed number: what an estimate looks like (plain integers are sizes, `1e-3` a config). */
const ESTIMATE = String.raw`(?:(?<![\w.])[−+-]\s?\d*\.?\d+|(?<![\w.])\d*\.\d+)`;
const CLAIM_ID = String
  .raw`(?:\b[a-z][a-z-]*\.(?:lm|exact)\.\d+|\b(?:lm|exact)\.\d+)(?:\s*(?:[–…/-]|\.\.\.?)\s*\d+)*`;
const VERDICT = String.raw`(?:\bnot reproduced\b|\breproduced\b|\binconclusive\b|✓|✗)`;
const METRICS = String
  .raw`(?:accuracy|pass@(?:\d+|k)|ECE|Brier|AUROC|MSE|entropy|mean q|confidence|correlation)`;

interface Rule {
  name: string;
  re: RegExp;
  /** Numbers quoted from the paper are allowed in a **Paper claim** paragraph. */
  paperExempt: boolean;
}

const RULES: Rule[] = [
  {
    name: "claim-id",
    re: new RegExp(`${CLAIM_ID}[^\\n]*?(?:${ESTIMATE}|${VERDICT})|${VERDICT}[^\\n]*?${CLAIM_ID}`, "gu"),
    paperExempt: false,
  },
  {
    name: "verdict",
    re: new RegExp(
      String.raw`\*{1,2}(?:not reproduced|reproduced|inconclusive)[.,]?\*{1,2}|` +
        String.raw`\((?:not reproduced|reproduced|inconclusive)\)`,
      "gu",
    ),
    paperExempt: false,
  },
  {
    name: "verdict",
    re: new RegExp(
      `${VERDICT}(?:\\W+\\w+){0,3}?\\W+${ESTIMATE}|${ESTIMATE}(?:\\W+\\w+){0,3}?\\W+${VERDICT}`,
      "gu",
    ),
    paperExempt: true,
  },
  {
    name: "ci",
    re: new RegExp(
      String.raw`(?:\d\s*,?\s*\(?|\bCI\W{0,3})\[\s*[−+-]?${NUM}\s*,\s*[−+-]?${NUM}\s*\]|` +
        String
          .raw`\[\s*[−+-]\s?\d*\.\d+\s*,\s*[−+-]?\s?${NUM}\s*\]|\[\s*[−+-]?${NUM}\s*,\s*[−+-]\s?\d*\.\d+\s*\]`,
      "gu",
    ),
    paperExempt: true,
  },
  { name: "table", re: /^\s*\|.*\b\d*\.\d+.*\|\s*$/gmu, paperExempt: true },
  {
    name: "timing",
    re: new RegExp(
      String.raw`\b${NUM}\s?(?:CPU[- ]seconds|CPU[- ]s\b|s\s+(?:CPU|wall)\b|min\b|minutes\b|seconds\b|sec\b)`,
      "gu",
    ),
    paperExempt: false,
  },
  { name: "iqm", re: /\bIQM\s+(?:over|of|across)\b/giu, paperExempt: false },
  { name: "metric", re: new RegExp(`\\b${METRICS}\\s*(?:[=≈:]\\s*)?${ESTIMATE}`, "gu"), paperExempt: true },
  { name: "signed", re: /(?<![\w.])[−+]\d*\.\d+/gu, paperExempt: true },
  { name: "change-log", re: new RegExp(`${ESTIMATE}\\s*(?:→|->)\\s*[−+-]?\\d`, "gu"), paperExempt: true },
];

/** A line that quotes the paper's own numbers ("Reported: …", "the paper reports …"). */
const CITES_PAPER = /\b(?:[Rr]eported:|[Tt]he paper reports|[Tt]hey report)/u;

/** Paragraphs and list items of a markdown source, each with the 0-based index of its first line. */
function units(lines: readonly string[]): { start: number; lines: string[] }[] {
  const out: { start: number; lines: string[] }[] = [];
  let cur: { start: number; lines: string[] } | null = null;
  let fenced = false;
  lines.forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      cur = null;
      return;
    }
    if (fenced) return;
    if (line.trim() === "") {
      cur = null;
      return;
    }
    const startsItem = /^\s*(?:[-*+]|\d+\.)\s+/.test(line) || /^\s*#/.test(line) || /^\s*\|/.test(line);
    if (!cur || startsItem) {
      cur = { start: i, lines: [] };
      out.push(cur);
    }
    cur.lines.push(line);
  });
  return out;
}

/** True when a paragraph quotes the paper (starts with **Paper claim**, **Paper claims**, **Paper.**). */
function quotesPaper(text: string): boolean {
  return /^\s*(?:[-*+]\s+)?\*\*Paper(?: claims?)?[.:]?\*\*/u.test(text);
}

/** Findings in one markdown source (cell index `cell`). */
export function markdownFindings(source: string, cell = 0): ProseFinding[] {
  const lines = source.split("\n");
  const findings: ProseFinding[] = [];
  let paperCell = false; // inside a paper quote
  for (const u of units(lines)) {
    const text = u.lines.join("\n");
    // A **Paper claim** paragraph exempts itself and the list items and table rows right after it.
    const continues = /^\s*(?:[-*+]|\d+\.|\|)\s/.test(text);
    paperCell = quotesPaper(text) || (paperCell && continues);
    for (const rule of RULES) {
      if (rule.paperExempt && paperCell) continue;
      for (const m of text.matchAll(rule.re)) {
        const lineInUnit = text.slice(0, m.index).split("\n").length - 1;
        const line = u.lines[lineInUnit];
        if (rule.paperExempt && CITES_PAPER.test(line)) continue;
        findings.push({ cell, line: u.start + lineInUnit + 1, rule: rule.name, text: line.trim() });
        break;
      }
    }
  }
  // One finding per line is enough to point at it.
  return findings.filter((f, i) => findings.findIndex((g) => g.line === f.line) === i);
}

/** Findings in every markdown cell of a parsed notebook. */
export function proseFindings(
  notebook: { cells: { cell_type: string; source: string | string[] }[] },
): ProseFinding[] {
  return notebook.cells.flatMap((c, i) =>
    c.cell_type === "markdown"
      ? markdownFindings(Array.isArray(c.source) ? c.source.join("") : c.source, i)
      : []
  );
}
