/**
 * `deno task publish-results`: copy a finished run's results/REPORT.md, charts (results/<name>/*.svg) and claims
 * (results/<name>/claims.json, read by `deno task site`) into
 * docs/results/ (same relative layout, so the report's links keep working), replacing what was published
 * before, with a header naming the commit (`git rev-parse HEAD`, marked "+ uncommitted changes" when the work
 * tree differs) and the machine (CPU model, logical cores, OS) the numbers came from.
 * docs/results/sweeps/ (from `deno task publish-sweeps`) is kept.
 * Usage: `deno task publish-results [--results results] [--out docs/results]`.
 */
import { cpus, platform, release } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../lib/core/validate.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** Where the published results came from. */
export interface Provenance {
  /** `git rev-parse HEAD`. */
  commit: string;
  /** True when `git status --porcelain` lists tracked changes. */
  dirty: boolean;
  /** CPU model name (first core). */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** OS and kernel release. */
  os: string;
}

function git(args: string[], cwd: string): string {
  const out = new Deno.Command("git", { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  if (out.code !== 0) {
    throw new Error(`git ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout).trim();
}

/** Commit and machine of this checkout and this computer. */
export function provenance(cwd = ROOT): Provenance {
  const list = cpus();
  return {
    commit: git(["rev-parse", "HEAD"], cwd),
    dirty: git(["status", "--porcelain", "--untracked-files=no"], cwd) !== "",
    cpu: (list[0]?.model ?? "unknown CPU").trim(),
    cores: list.length,
    os: `${platform()} ${release()}`,
  };
}

/** The header put above the published report. */
export function provenanceHeader(p: Provenance, date = new Date()): string {
  return `> Published results: commit \`${p.commit}\`${p.dirty ? " + uncommitted changes" : ""}, ` +
    `run on ${p.cpu} (${p.cores} logical cores, ${p.os}); published ${date.toISOString().slice(0, 10)} ` +
    `with \`deno task publish-results\`.\n\n`;
}

/** Options for `publishResults`. */
export interface PublishOptions {
  /** Source directory holding REPORT.md and <name>/*.svg (default "results"). */
  results?: string;
  /** Destination directory, replaced except its sweeps/ folder (default "docs/results"). */
  out?: string;
  /** Provenance to stamp (default: `provenance()`). */
  provenance?: Provenance;
}

/** Copy REPORT.md (with the provenance header), every results/<name>/*.svg and claims.json, and each run's measured preconditions (preconditions.json), into `out`; returns the written paths. */
export async function publishResults(options: PublishOptions = {}): Promise<string[]> {
  const results = options.results ?? join(ROOT, "results");
  const out = options.out ?? join(ROOT, "docs", "results");
  const reportPath = join(results, "REPORT.md");
  let report: string;
  try {
    report = await Deno.readTextFile(reportPath);
  } catch {
    throw new ConfigError("results", "must hold REPORT.md from `deno task reproduce`", reportPath);
  }
  const svgs: string[] = [];
  for await (const dir of Deno.readDir(results)) {
    if (!dir.isDirectory) continue;
    for await (const f of Deno.readDir(join(results, dir.name))) {
      if (f.isFile && (f.name.endsWith(".svg") || f.name === "claims.json")) {
        svgs.push(join(dir.name, f.name));
      }
    }
  }
  svgs.sort();
  // Replace everything but sweeps/ (the notebooks' slider data, published by `deno task publish-sweeps`).
  await Deno.mkdir(out, { recursive: true });
  for await (const e of Deno.readDir(out)) {
    if (e.name !== "sweeps") await Deno.remove(join(out, e.name), { recursive: true });
  }
  const written = [join(out, "REPORT.md")];
  await Deno.writeTextFile(written[0], provenanceHeader(options.provenance ?? provenance()) + report);
  for (const rel of svgs) {
    await Deno.mkdir(join(out, dirname(rel)), { recursive: true });
    await Deno.copyFile(join(results, rel), join(out, rel));
    written.push(join(out, rel));
  }
  // The measured preconditions of each run (its summary.json), for the results page.
  for (const name of new Set(svgs.map((rel) => dirname(rel)))) {
    let summary: { preconditions?: unknown[] };
    try {
      summary = JSON.parse(await Deno.readTextFile(join(results, name, "summary.json")));
    } catch {
      continue;
    }
    if (!summary.preconditions?.length) continue;
    const path = join(out, name, "preconditions.json");
    await Deno.writeTextFile(path, JSON.stringify(summary.preconditions, null, 1) + "\n");
    written.push(path);
  }
  return written;
}

/** Markers around README.md's block that `publishReadmeSummary` rewrites from the published REPORT.md. */
export const README_MARKERS = ["<!-- published-summary:begin -->", "<!-- published-summary:end -->"] as const;

/** The "## Summary" section of a REPORT.md (its one line per reproduction), without the heading. */
export function reportSummary(report: string): string {
  const start = report.indexOf("\n## Summary\n");
  if (start < 0) throw new ConfigError("REPORT.md", "must have a '## Summary' section", report.slice(0, 80));
  const body = report.slice(start + "\n## Summary\n".length);
  const end = body.search(/\n(## |Generated by )/);
  return (end < 0 ? body : body.slice(0, end)).trim();
}

/** README text with the block between `README_MARKERS` replaced by the published report's summary and provenance. */
export function readmeWithSummary(readme: string, report: string): string {
  const [begin, end] = README_MARKERS;
  const a = readme.indexOf(begin);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new ConfigError("README.md", `must hold the markers ${begin} … ${end}`, "");
  const header = report.match(/^> Published results:[^\n]*/m)?.[0] ?? "";
  const block = [begin, ...(header ? [header, ""] : []), reportSummary(report), end].join("\n");
  return readme.slice(0, a) + block + readme.slice(b + end.length);
}

/** Rewrite README.md's published-summary block from docs/results/REPORT.md (numbers are never typed into it). */
export async function publishReadmeSummary(readmePath: string, publishedReport: string): Promise<void> {
  const readme = await Deno.readTextFile(readmePath);
  await Deno.writeTextFile(readmePath, readmeWithSummary(readme, await Deno.readTextFile(publishedReport)));
}

if (import.meta.main) {
  const args = [...Deno.args];
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const p = provenance();
  const written = await publishResults({ results: opt("--results"), out: opt("--out"), provenance: p });
  if (opt("--out") === undefined) await publishReadmeSummary(join(ROOT, "README.md"), written[0]);
  console.log(
    `published ${written.length - 1} charts and claims files and REPORT.md to ${dirname(written[0])} ` +
      `(commit ${p.commit.slice(0, 12)}${p.dirty ? "+dirty" : ""}, ${p.cpu}, ${p.cores} cores)`,
  );
}
