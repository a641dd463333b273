/**
 * Results on disk for the reproductions: `results/<name>/` holds the run log (run.csv + meta), the claims
 * (claims.json), the charts (.svg + .html) and summary.json (claims, wall time, machine, backend); REPORT.md is
 * regenerated from every summary.json present, so running reproductions one at a time still gives one report.
 */
import { join } from "node:path";
import process from "node:process";
import type { RunLog } from "../lib/log/runlog.ts";
import { saveChart } from "../lib/viz/chart.ts";
import type { BackendName } from "../lib/core/backend.ts";
import type { BaseConfig, ChartEntry, ClaimRow, PresetName, Reproduction, RunOptions } from "./harness.ts";
import { runReproduction } from "./harness.ts";
import { finalizeClaims, type Preregistration, TIERS } from "./preregistration.ts";

/** The machine a run happened on. */
export interface MachineInfo {
  /** Logical CPU cores. */
  cores: number;
  /** CPU model from /proc/cpuinfo ("unknown" elsewhere). */
  cpu: string;
  /** Deno version. */
  deno: string;
  /** OS and architecture. */
  os: string;
}

/** Cores, CPU model (/proc/cpuinfo), Deno version, OS. */
export function machineInfo(): MachineInfo {
  let cpu = "unknown";
  try {
    const m = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m);
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  return {
    cores: navigator.hardwareConcurrency,
    cpu,
    deno: Deno.version.deno,
    os: `${Deno.build.os}-${Deno.build.arch}`,
  };
}

/** What results/<name>/summary.json holds. */
export interface ReproductionSummary {
  name: string;
  title: string;
  paper: string;
  preset: string;
  seeds: number;
  /** Seeds read from per-seed checkpoints instead of computed (their compute time is not in wallSeconds). */
  resumedSeeds: number;
  wallSeconds: number;
  /** CPU seconds (user + system) of this process during the run (wall time inflates on a shared machine). */
  cpuSeconds: number;
  backend: string;
  /** How the seeds ran when not sequentially in one process, e.g. "4 seed jobs on 2 local workers" (then `wallSeconds` and `cpuSeconds` are summed over the jobs). */
  execution?: string;
  machine: MachineInfo;
  date: string;
  claims: ClaimRow[];
  charts: string[];
  /** The reproduction's committed plans (registration dates, pilots and amendments), one per tier. */
  preregistrations?: Preregistration[];
}

/** Write results/<name>/: run.csv (+ .meta.json), claims.json, charts (.svg/.html), summary.json. */
export async function writeResults(
  rep: Pick<Reproduction, "name" | "title" | "paper" | "preregistrations">,
  log: RunLog,
  claims: ClaimRow[],
  charts: ChartEntry[],
  info: {
    dir: string;
    preset: string;
    seeds: number;
    resumedSeeds: number;
    wallSeconds: number;
    cpuSeconds: number;
    backend: string;
    execution?: string;
  },
): Promise<ReproductionSummary> {
  await Deno.mkdir(info.dir, { recursive: true });
  await log.save(join(info.dir, "run.csv"));
  await Deno.writeTextFile(join(info.dir, "claims.json"), JSON.stringify(claims, null, 2) + "\n");
  for (const c of charts) await saveChart(c.chart, info.dir, c.name);
  const summary: ReproductionSummary = {
    name: rep.name,
    title: rep.title,
    paper: rep.paper,
    preset: info.preset,
    seeds: info.seeds,
    resumedSeeds: info.resumedSeeds,
    wallSeconds: info.wallSeconds,
    cpuSeconds: info.cpuSeconds,
    backend: info.backend,
    ...(info.execution ? { execution: info.execution } : {}),
    machine: machineInfo(),
    date: new Date().toISOString(),
    claims,
    charts: charts.map((c) => c.name),
    preregistrations: [...(rep.preregistrations ?? [])],
  };
  await Deno.writeTextFile(join(info.dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return summary;
}

/** Number formatting for tables: 3 significant decimals, fixed for |x| ≥ 0.001. */
export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(1) : a >= 0.001 ? x.toFixed(3) : x.toExponential(2);
}

function cell(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/**
 * Markdown claims table: claim, tier, paper, estimate, 95% CI, raw and Holm-adjusted verdicts, n, whether
 * pre-registered (optionally with a reproduction column).
 */
export function claimsMarkdown(claims: readonly ClaimRow[], reproduction?: string): string {
  return claimsHeader(reproduction !== undefined) + "\n" +
    claims.map((c) => `| ${claimCells(c, reproduction).join(" | ")} |`).join("\n") + "\n";
}

function claimsHeader(withReproduction: boolean): string {
  const cols = [
    "claim",
    "tier",
    "paper",
    "our estimate",
    "95% CI",
    "verdict",
    "Holm-adjusted",
    "n",
    "pre-registered",
  ];
  if (withReproduction) cols.unshift("reproduction");
  return `| ${cols.join(" | ")} |\n|${cols.map(() => "---").join("|")}|`;
}

function claimCells(c: ClaimRow, reproduction?: string): string[] {
  const cells = [
    cell(c.claim),
    c.tier ?? "exact",
    cell(c.paper),
    fmt(c.estimate),
    `[${fmt(c.ci[0])}, ${fmt(c.ci[1])}]`,
    `**${c.verdict}**`,
    c.verdictHolm ?? "—",
    String(c.n),
    c.preregistered ? "yes" : "no",
  ];
  if (reproduction !== undefined) cells.unshift(cell(reproduction));
  return cells;
}

/** Counts of each verdict (raw and Holm-adjusted) per tier, as markdown table rows. */
export function verdictCounts(claims: readonly ClaimRow[]): string {
  const lines = [
    "| tier | claims | reproduced | not reproduced | inconclusive | Holm: reproduced | Holm: not reproduced | Holm: inconclusive | pre-registered |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const tier of TIERS) {
    const rows = claims.filter((c) => (c.tier ?? "exact") === tier);
    const count = (f: (c: ClaimRow) => boolean) => rows.filter(f).length;
    lines.push(
      `| ${tier} | ${rows.length} | ${count((c) => c.verdict === "reproduced")} | ${
        count((c) => c.verdict === "not reproduced")
      } | ${count((c) => c.verdict === "inconclusive")} | ${count((c) => c.verdictHolm === "reproduced")} | ${
        count((c) => c.verdictHolm === "not reproduced")
      } | ${count((c) => (c.verdictHolm ?? "inconclusive") === "inconclusive")} | ${
        count((c) => !!c.preregistered)
      } |`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Plain-text claims table (for terminals and notebooks without markdown). */
export function claimsText(claims: readonly ClaimRow[]): string {
  return claims.map((c) =>
    `[${c.verdict}${c.verdictHolm ? `; Holm: ${c.verdictHolm}` : ""}] ${c.claim} (${c.tier ?? "exact"} tier${
      c.preregistered ? ", pre-registered" : ""
    })\n    paper: ${c.paper}; ours: ${fmt(c.estimate)} [${fmt(c.ci[0])}, ${fmt(c.ci[1])}] ` +
    `(n = ${c.n})\n    rule: ${c.rule}`
  ).join("\n");
}

function resumedNote(s: ReproductionSummary): string {
  return s.resumedSeeds
    ? ` (${s.resumedSeeds} resumed from checkpoints; their compute is not in the wall time)`
    : "";
}

/** REPORT.md from summaries: one table of every claim with verdicts, then per reproduction its rules, run info and charts. */
export function renderReport(summaries: readonly ReproductionSummary[]): string {
  const lines: string[] = ["# Sweetspot reproductions — report", ""];
  if (summaries.length === 0) {
    lines.push("No reproduction results yet: run `deno task reproduce`.", "");
    return lines.join("\n");
  }
  lines.push(
    "Generated by `deno task reproduce`. Every verdict follows the rule stated with its claim. Claims come in " +
      "two tiers: `lm` (a TinyTransformer trained by the library's RLVRTrainer on a token task) and `exact` " +
      "(exact or linear test beds that check algorithms against ground truth). Beside each raw verdict (95% " +
      "bootstrap CI) stands the verdict after Holm's adjustment over the reproduction's claims of the same tier; " +
      "`pre-registered` says whether the claim, its rule and the run's hyperparameters and seeds were committed " +
      "before the run.",
    "",
    "## Verdict counts",
    "",
    verdictCounts(summaries.flatMap((s) => s.claims)),
    "## All claims",
    "",
    claimsHeader(true),
    ...summaries.flatMap((s) =>
      s.claims.map((c) => `| ${claimCells(c, `${s.name} (${s.preset})`).join(" | ")} |`)
    ),
    "",
  );
  const amendments = summaries.flatMap((s) =>
    (s.preregistrations ?? []).flatMap((p) => p.amendments.map((a) => ({ s, p, a })))
  );
  lines.push("## Amendments", "");
  if (amendments.length === 0) lines.push("None: every pre-registered plan ran as committed.", "");
  for (const { s, p, a } of amendments) {
    const ids = [...new Set([...Object.keys(a.before), ...Object.keys(a.after)])];
    lines.push(
      `- **${s.name}** (${p.tier} tier, ${a.date}): ${a.change} — ${a.reason}. Verdicts before → after: ${
        ids.map((id) => `${id} ${a.before[id] ?? "—"} → ${a.after[id] ?? "—"}`).join("; ")
      }.`,
    );
  }
  lines.push("");
  for (const s of summaries) {
    const m = s.machine;
    lines.push(
      `## ${s.title} — ${s.name} (arXiv ${s.paper})`,
      "",
      `Preset \`${s.preset}\`, ${s.seeds} seeds${resumedNote(s)}, wall time ${s.wallSeconds.toFixed(1)} s ` +
        `(CPU ${(s.cpuSeconds ?? 0).toFixed(1)} s${
          s.execution ? `; ${s.execution}, times summed over the jobs` : ""
        }) ` +
        `on ${m.cores} cores (${m.cpu}), Deno ${m.deno}, ${m.os}, backend: ${s.backend}; run ${s.date}.`,
      "",
      ...(s.preregistrations ?? []).map((p) =>
        `Pre-registered (${p.tier} tier): ${p.registered}. Pilots before registration: ${p.pilots}`
      ),
      "",
      "Decision rules:",
      "",
      ...s.claims.map((c) => `- *${cell(c.claim)}* — ${c.rule} (n = ${c.n}).`),
      "",
      ...s.charts.map((c) => `![${s.name} ${c}](${s.name}/${c}.svg)`),
      "",
    );
  }
  return lines.join("\n");
}

/** Read results/<name>/summary.json for each name (skipping absent ones), in the given order. */
export function readSummaries(resultsDir: string, names: readonly string[]): ReproductionSummary[] {
  const out: ReproductionSummary[] = [];
  for (const n of names) {
    try {
      out.push(JSON.parse(Deno.readTextFileSync(join(resultsDir, n, "summary.json"))));
    } catch { /* not run yet */ }
  }
  return out;
}

/** Options of `runAndSave`. */
export interface RunAndSaveOptions {
  /** Results root (default "results"); the reproduction writes `<resultsDir>/<name>/`. */
  resultsDir?: string;
  /** Preset (default "quick"). */
  preset?: PresetName;
  /** Seeds override. */
  seeds?: number;
  /** Backend name recorded in the summary (and passed to `run`). */
  backend?: BackendName;
  /** Text recorded as the backend in the report (default: `backend` or "none (tabular; no tensor ops)"). */
  backendLabel?: string;
  /** Ignore per-seed checkpoints. */
  fresh?: boolean;
  /** Progress display passed to `run`. */
  progress?: RunOptions["progress"];
  /**
   * The seeds already ran as jobs (reproductions/jobs.ts): gather them from the checkpoints and record these
   * numbers instead of this process's times.
   */
  jobs?: { wallSeconds: number; cpuSeconds: number; resumedSeeds: number; execution: string };
}

/** Run one reproduction with per-seed checkpoints under results/<name>/seeds, check claims, write its results. */
export async function runAndSave(
  rep: Reproduction<BaseConfig>,
  options: RunAndSaveOptions = {},
): Promise<{ log: RunLog; claims: ClaimRow[]; summary: ReproductionSummary }> {
  const dir = join(options.resultsDir ?? "results", rep.name);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const log = await runReproduction(rep, {
    preset: options.preset,
    seeds: options.seeds,
    backend: options.backend,
    checkpointDir: dir,
    fresh: options.fresh,
    progress: options.progress,
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const claims = finalizeClaims(
    rep.checkClaims(log),
    rep.preregistrations ?? [],
    log.meta.preset as PresetName,
    log.meta.config as Record<string, unknown>,
  );
  const cfg = log.meta.config as BaseConfig;
  const jobs = options.jobs;
  if (jobs) log.meta.resumedSeeds = jobs.resumedSeeds;
  const summary = await writeResults(rep, log, claims, rep.charts(log), {
    dir,
    preset: String(log.meta.preset),
    seeds: cfg.seeds,
    resumedSeeds: Number(log.meta.resumedSeeds ?? 0),
    wallSeconds: jobs?.wallSeconds ?? wallSeconds,
    cpuSeconds: jobs?.cpuSeconds ?? cpuSeconds,
    backend: options.backendLabel ?? options.backend ?? "none (tabular; no tensor ops)",
    execution: jobs?.execution,
  });
  return { log, claims, summary };
}
