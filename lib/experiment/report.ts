/**
 * Results on disk for the reproductions: `results/<name>/` holds the run log (run.csv + meta), the claims
 * (claims.json), the charts (.svg + .html) and summary.json (claims, preconditions, wall and CPU time, machine,
 * backend, kernel set); REPORT.md is regenerated from every summary.json present, so running reproductions one
 * at a time still gives one report.
 */
import { join } from "node:path";
import process from "node:process";
import { cpus } from "node:os";
import type { RunLog } from "../log/runlog.ts";
import { saveChart } from "../viz/chart.ts";
import type { BackendName } from "../core/backend.ts";
import {
  type BaseConfig,
  type ChartEntry,
  type ClaimRow,
  NOT_TESTABLE,
  type Precondition,
  type Preregistration,
  type PresetName,
  type Reproduction,
  type RunOptions,
  TIERS,
} from "./types.ts";
import { runReproduction } from "./run.ts";
import { finalizeClaims } from "./preregistration.ts";
import { evaluatePreconditions } from "./preconditions.ts";

/** The machine a run happened on. */
export interface MachineInfo {
  /** Logical CPU cores. */
  cores: number;
  /** CPU model (`os.cpus()`, else /proc/cpuinfo, else the architecture with the reason the model is missing). */
  cpu: string;
  /** Deno version. */
  deno: string;
  /** OS and architecture. */
  os: string;
}

/**
 * Cores, CPU model, Deno version, OS. The model comes from `os.cpus()` (permission `--allow-sys=cpus`), else
 * /proc/cpuinfo (readable only with all permissions), else names the architecture and the missing permission.
 */
export function machineInfo(): MachineInfo {
  let cpu = `${Deno.build.arch} CPU (model unreadable: run with --allow-sys=cpus)`;
  try {
    const model = cpus()[0]?.model?.trim();
    if (model) cpu = model;
  } catch {
    try {
      const text = Deno.readTextFileSync("/proc/cpuinfo");
      const m = text.match(/^model name\s*:\s*(.+)$/m) ??
        text.match(/^(?:Hardware|Processor|cpu model)\s*:\s*(.+)$/m);
      if (m) cpu = m[1].trim();
    } catch { /* no permission, or not Linux */ }
  }
  return {
    cores: navigator.hardwareConcurrency,
    cpu,
    deno: Deno.version.deno,
    os: `${Deno.build.os}-${Deno.build.arch}`,
  };
}

/** What results/<name>/summary.json holds. */
export interface ReproductionSummary {
  /** Reproduction name. */
  name: string;
  /** Title. */
  title: string;
  /** arXiv id of the paper. */
  paper: string;
  /** Preset run. */
  preset: string;
  /** Seeds run. */
  seeds: number;
  /** Seeds read from per-seed checkpoints instead of computed (their compute time is not in wallSeconds). */
  resumedSeeds: number;
  /** Wall-clock seconds of the run. */
  wallSeconds: number;
  /** CPU seconds (user + system) of this process during the run (wall time inflates on a shared machine). */
  cpuSeconds: number;
  /** Tensor backend (or "none" for tabular reproductions). */
  backend: string;
  /** How the seeds ran when not sequentially in one process, e.g. "4 seed jobs on 2 local workers" (then `wallSeconds` and `cpuSeconds` are summed over the jobs). */
  execution?: string;
  /** The machine the run happened on. */
  machine: MachineInfo;
  /** When the run finished (ISO). */
  date: string;
  /** The finalized claims. */
  claims: ClaimRow[];
  /** Chart file stems. */
  charts: string[];
  /** The reproduction's committed plans (registration dates, pilots and amendments), one per tier. */
  preregistrations?: Preregistration[];
  /** The preconditions as measured in this run. */
  preconditions?: Precondition[];
  /** The matmul kernel set the run used (e.g. the OpenBLAS version and core type), when known. */
  kernels?: string;
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
    preconditions?: Precondition[];
    kernels?: string;
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
    preconditions: info.preconditions ?? [],
    ...(info.kernels ? { kernels: info.kernels } : {}),
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

/** An estimate with its unit, e.g. "0.031 (accuracy difference)". */
function withUnit(c: ClaimRow): string {
  return `${fmt(c.estimate)}${c.unit ? ` (${c.unit})` : ""}`;
}

function isCheck(c: ClaimRow): boolean {
  return c.kind === "manipulation check";
}

/**
 * Markdown claims table: claim, tier, paper, estimate (with its unit), 95% CI, raw and Holm-adjusted verdicts,
 * n, precondition status, whether pre-registered (optionally with a reproduction column).
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
    "our estimate (unit)",
    "95% CI",
    "verdict",
    "Holm-adjusted",
    "n",
    "precondition",
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
    cell(withUnit(c)),
    `[${fmt(c.ci[0])}, ${fmt(c.ci[1])}]`,
    `**${c.verdict}**`,
    c.verdictHolm ?? "—",
    c.nNote ? `${c.n} (${cell(c.nNote)})` : String(c.n),
    c.precondition ?? "none",
    c.preregistered ? "yes" : `no${c.registrationMismatch ? ` (${c.registrationMismatch})` : ""}`,
  ];
  if (reproduction !== undefined) cells.unshift(cell(reproduction));
  return cells;
}

/**
 * Counts of each verdict (raw and Holm-adjusted) per tier over the reproduction claims, as markdown table rows
 * (manipulation checks are not counted; claims whose precondition failed are counted as not testable here).
 */
export function verdictCounts(claims: readonly ClaimRow[]): string {
  const lines = [
    "| tier | claims | reproduced | not reproduced | inconclusive | not testable here | Holm: reproduced | Holm: not reproduced | Holm: inconclusive | pre-registered |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const tier of TIERS) {
    const rows = claims.filter((c) => (c.tier ?? "exact") === tier && !isCheck(c));
    const count = (f: (c: ClaimRow) => boolean) => rows.filter(f).length;
    lines.push(
      `| ${tier} | ${rows.length} | ${count((c) => c.verdict === "reproduced")} | ${
        count((c) => c.verdict === "not reproduced")
      } | ${count((c) => c.verdict === "inconclusive")} | ${count((c) => c.verdict === NOT_TESTABLE)} | ${
        count((c) => c.verdictHolm === "reproduced")
      } | ${count((c) => c.verdictHolm === "not reproduced")} | ${
        count((c) => (c.verdictHolm ?? "inconclusive") === "inconclusive")
      } | ${count((c) => !!c.preregistered)} |`,
    );
  }
  return lines.join("\n") + "\n";
}

/** Plain-text claims table (for terminals and notebooks without markdown). */
export function claimsText(claims: readonly ClaimRow[]): string {
  return claims.map((c) =>
    `[${c.verdict}${c.verdictHolm ? `; Holm: ${c.verdictHolm}` : ""}] ${c.claim} (${c.tier ?? "exact"} tier${
      isCheck(c) ? ", manipulation check" : ""
    }${c.preregistered ? ", pre-registered" : ""}${
      c.precondition && c.precondition !== "none" ? `, precondition ${c.precondition}` : ""
    })\n    paper: ${c.paper}; ours: ${withUnit(c)} [${fmt(c.ci[0])}, ${fmt(c.ci[1])}] ` +
    `(n = ${c.n}${c.nNote ? `: ${c.nNote}` : ""})\n    rule: ${c.rule}`
  ).join("\n");
}

function resumedNote(s: ReproductionSummary): string {
  return s.resumedSeeds
    ? ` (${s.resumedSeeds} resumed from checkpoints; their compute is not in the wall time)`
    : "";
}

/** One line per reproduction: its verdict counts over reproduction claims, preconditions and manipulation checks. */
function summaryLine(s: ReproductionSummary): string {
  const claims = s.claims.filter((c) => !isCheck(c));
  const count = (v: string) => claims.filter((c) => c.verdict === v).length;
  const checks = s.claims.filter(isCheck);
  const pre = s.preconditions ?? [];
  return `- **${s.name}** (${s.preset}, ${s.seeds} seeds): ${claims.length} claims — ${
    count("reproduced")
  } ` +
    `reproduced, ${count("not reproduced")} not reproduced, ${count("inconclusive")} inconclusive, ` +
    `${count(NOT_TESTABLE)} not testable here; preconditions ${pre.filter((p) => p.holds === true).length}/` +
    `${pre.length} hold; manipulation checks ${checks.filter((c) => c.verdict === "reproduced").length}/` +
    `${checks.length} pass.`;
}

/**
 * REPORT.md from summaries: a "smoke run — not a result" banner when any summary is a smoke run, a one-screen
 * summary (one line per reproduction), the verdict counts, every reproduction claim, the preconditions, the
 * manipulation checks, the amendments, then per reproduction its rules, run info (wall time, CPU time, CPU
 * model, kernel set) and charts.
 */
export function renderReport(summaries: readonly ReproductionSummary[]): string {
  const lines: string[] = ["# Sweetspot reproductions — report", ""];
  if (summaries.length === 0) {
    lines.push("No reproduction results yet: run `deno task reproduce`.", "");
    return lines.join("\n");
  }
  const smoke = summaries.filter((s) => s.preset === "smoke").map((s) => s.name);
  if (smoke.length) {
    lines.push(
      `> **Smoke run — not a result.** ${
        smoke.join(", ")
      } ran at the \`smoke\` preset (a seconds-long check ` +
        "that the code path works); the estimates and verdicts say nothing about the papers.",
      "",
    );
  }
  lines.push("## Summary", "", ...summaries.map(summaryLine), "");
  lines.push(
    "Generated by `deno task reproduce`. Every verdict follows the rule stated with its claim. Claims come in " +
      "two tiers: `lm` (a TinyTransformer trained by the library's RLVRTrainer on a token task) and `exact` " +
      "(exact or linear test beds that check algorithms against ground truth). Beside each raw verdict (95% " +
      "bootstrap CI) stands the verdict after Holm's adjustment over the reproduction's claims of the same tier; " +
      "`pre-registered` says whether the claim, its rule text and the run's hyperparameters and seeds were " +
      "committed before the run. A claim whose precondition failed is *not testable here* and gets no verdict; " +
      "manipulation checks (the setup did what it was built to do) are listed apart and never counted.",
    "",
    "## Verdict counts",
    "",
    verdictCounts(summaries.flatMap((s) => s.claims)),
    "## All claims",
    "",
    claimsHeader(true),
    ...summaries.flatMap((s) =>
      s.claims.filter((c) => !isCheck(c)).map((c) =>
        `| ${claimCells(c, `${s.name} (${s.preset})`).join(" | ")} |`
      )
    ),
    "",
    "## Preconditions",
    "",
  );
  const pre = summaries.flatMap((s) => (s.preconditions ?? []).map((p) => ({ s, p })));
  if (pre.length === 0) lines.push("No reproduction declares a precondition measured in these runs.", "");
  else {
    lines.push(
      "| reproduction | id | tier | quantity | rule | measured | holds |",
      "|---|---|---|---|---|---|---|",
      ...pre.map(({ s, p }) =>
        `| ${s.name} (${s.preset}) | ${p.id} | ${p.tier} | ${cell(p.quantity)} | ${p.rule} | ${
          fmt(p.measured)
        } | ${p.holds === null ? "not measured" : p.holds ? "yes" : "**no**"} |`
      ),
      "",
    );
  }
  lines.push("## Manipulation checks", "");
  const checks = summaries.flatMap((s) => s.claims.filter(isCheck).map((c) => ({ s, c })));
  if (checks.length === 0) lines.push("None recorded in these runs.", "");
  else {
    lines.push(
      "These check that a curriculum or setup did what it was built to do; they are not reproductions of a " +
        "paper's claim and are not counted above.",
      "",
      claimsHeader(true),
      ...checks.map(({ s, c }) => `| ${claimCells(c, `${s.name} (${s.preset})`).join(" | ")} |`),
      "",
    );
  }
  const amendments = summaries.flatMap((s) =>
    (s.preregistrations ?? []).flatMap((p) => p.amendments.map((a) => ({ s, p, a })))
  );
  lines.push("## Amendments", "");
  if (amendments.length === 0) lines.push("None: every pre-registered plan ran as committed.", "");
  for (const { s, p, a } of amendments) {
    const ids = [...new Set([...Object.keys(a.before), ...Object.keys(a.after)])];
    // an amendment not yet followed by a recorded run: 'after' is this run's verdict of the claim
    const pending = Object.keys(a.after).length === 0;
    const after = (id: string) =>
      pending ? `${s.claims.find((c) => c.id === id)?.verdict ?? "—"} (this run)` : a.after[id] ?? "—";
    lines.push(
      `- **${s.name}** (${p.tier} tier, ${a.date}): ${a.change} — ${a.reason}. Verdicts before → after: ${
        ids.map((id) => `${id} ${a.before[id] ?? "—"} → ${after(id)}`).join("; ")
      }.`,
    );
  }
  lines.push("");
  for (const s of summaries) {
    const m = s.machine;
    lines.push(
      `## ${s.title} — ${s.name} (arXiv ${s.paper})`,
      "",
      `Preset \`${s.preset}\`, ${s.seeds} seeds${resumedNote(s)}. Wall-clock time ${
        s.wallSeconds.toFixed(1)
      } s; ` +
        `CPU time (user + system) ${(s.cpuSeconds ?? 0).toFixed(1)} s${
          s.execution ? ` (${s.execution}; both summed over the jobs)` : ""
        }. Machine: ${m.cores} logical cores, CPU ${m.cpu}, Deno ${m.deno}, ${m.os}. Tensor backend: ${s.backend}. ` +
        `Kernel set: ${s.kernels ?? "not recorded"}. Run ${s.date}.`,
      "",
      ...(s.preregistrations ?? []).map((p) =>
        `Pre-registered (${p.tier} tier): ${p.registered}. Pilots before registration: ${p.pilots}`
      ),
      "",
      "Decision rules:",
      "",
      ...s.claims.map((c) =>
        `- *${cell(c.claim)}* — ${c.rule} (n = ${c.n}${c.nNote ? `: ${c.nNote}` : ""}).`
      ),
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
  /** The matmul kernel set, recorded in the summary and the report (e.g. OpenBLAS version and core type). */
  kernels?: string;
  /**
   * The seeds already ran as jobs (`executeJobs`): gather them from the checkpoints and record these
   * numbers instead of this process's times.
   */
  jobs?: { wallSeconds: number; cpuSeconds: number; resumedSeeds: number; execution: string };
}

/**
 * Run one reproduction with per-seed checkpoints under results/<name>/seeds, measure its preconditions, check
 * and finalize its claims (pre-registration, preconditions, Holm), and write its results.
 */
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
  const preconditions = evaluatePreconditions(rep.preconditions ?? [], log);
  const claims = finalizeClaims(
    rep.checkClaims(log),
    rep.preregistrations ?? [],
    log.meta.preset as PresetName,
    log.meta.config as Record<string, unknown>,
    preconditions,
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
    preconditions,
    kernels: options.kernels,
  });
  return { log, claims, summary };
}
