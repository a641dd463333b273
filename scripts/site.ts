/**
 * `deno task site`: the results page docs/index.html and the API reference docs/api/, generated from the
 * published files. One card per reproduction with a docs/results/<name>/claims.json: the claims as a forest plot
 * (lib/viz `claimForest`: estimate, 95% CI, the rule's reference line, colour by verdict, a panel per tier), the
 * key figure (one published chart of that reproduction), the preconditions when the claim rows carry them, the
 * claims table, and links to the paper, its notebook and REPORT.md. Every number on the page is rendered from
 * claims.json. vega, vega-lite and vega-embed are inlined from node_modules (no CDN); each forest plot also
 * carries its headless SVG, shown until (or if not) the interactive view renders.
 * The API reference is `deno doc --html mod.ts`, compacted: one page per symbol (members stay on their
 * symbol's page), inline icons dropped, source links relative to the repository. Each forest plot is also
 * written as docs/forest/<name>.svg.
 * Usage: `deno task site [--results docs/results] [--out docs] [--no-api]`.
 */
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ConfigError } from "../lib/core/validate.ts";
import { claimForest, type ForestClaim, VERDICT_COLORS } from "../lib/viz/forest.ts";
import { vegaBundleScript } from "../lib/viz/embed.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/** The key figure of each reproduction (a chart stem under docs/results/<name>/); the first LM chart otherwise. */
export const KEY_FIGURES: Readonly<Record<string, string>> = {
  "filtering": "lm_test_accuracy_by_step",
  "seele": "lm_test_accuracy_by_step",
  "rlcr": "reliability",
  "grpo-ablation": "length",
  "nsr": "lm_pass_at_k_vs_base",
  "kae": "lm_test_accuracy_by_step",
  "saturn": "lm_test_accuracy_by_step",
  "rover": "lm_pass_at_k",
};

/** One row of a published claims.json (fields beyond `ForestClaim` are shown when present). */
export interface ClaimJson extends ForestClaim {
  /** The paper's number or statement. */
  paper?: string;
  /** Verdict after Holm adjustment over the reproduction's claims of the same tier. */
  verdictHolm?: string;
  /** True when the claim, rule and config were committed before the run. */
  preregistered?: boolean;
  /** Precondition status of the claim (shape set by the reproduction; any field named `precondition…` is shown as given). */
  precondition?: unknown;
  /** Several preconditions (shown as given). */
  preconditions?: unknown;
}

/** A reproduction as the page shows it. */
export interface SitePaper {
  /** Folder name under docs/results (the `deno task reproduce` name). */
  name: string;
  /** Title from REPORT.md's section heading (the name when absent). */
  title: string;
  /** arXiv id from the heading, when given. */
  arxiv?: string;
  /** The published claim rows. */
  claims: ClaimJson[];
  /** Key figure, relative to docs/ (e.g. "results/kae/lm_test_accuracy_by_step.svg"). */
  figure?: string;
  /** Notebook, relative to the repository root (e.g. "notebooks/06_kae.ipynb"). */
  notebook?: string;
  /** The run's measured preconditions (docs/results/<name>/preconditions.json), when published. */
  preconditions?: PreconditionJson[];
}

/** One measured precondition as `deno task publish-results` writes it (lib/experiment `Precondition`). */
export interface PreconditionJson {
  /** Stable id (`<reproduction>.<tier>.pre<n>` or `.tuned`). */
  id: string;
  /** The quantity measured at the start of training (or over the run's selections), in words. */
  quantity: string;
  /** The registered threshold, e.g. "≥ 0.25". */
  rule: string;
  /** The measured value (null when it could not be measured). */
  measured: number | null;
  /** Whether the threshold holds. */
  holds: boolean | null;
}

function readJson(path: string): unknown {
  return JSON.parse(Deno.readTextFileSync(path));
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** REPORT.md section headings "## <title> — <name> (arXiv <id>)", in report order. */
export function reportSections(report: string): { name: string; title: string; arxiv?: string }[] {
  const out: { name: string; title: string; arxiv?: string }[] = [];
  for (const m of report.matchAll(/^## (.+?) — ([\w-]+)(?: \(arXiv ([\w.]+)\))?\s*$/gm)) {
    out.push({ title: m[1], name: m[2], ...(m[3] ? { arxiv: m[3] } : {}) });
  }
  return out;
}

/** The published reproductions: every docs/results/<name>/claims.json, in REPORT.md's order. */
export function loadPapers(resultsDir: string, root = ROOT): SitePaper[] {
  const reportPath = join(resultsDir, "REPORT.md");
  const sections = exists(reportPath) ? reportSections(Deno.readTextFileSync(reportPath)) : [];
  const names = [...Deno.readDirSync(resultsDir)]
    .filter((e) => e.isDirectory && exists(join(resultsDir, e.name, "claims.json")))
    .map((e) => e.name);
  const order = (n: string) => {
    const i = sections.findIndex((s) => s.name === n);
    return i < 0 ? sections.length : i;
  };
  names.sort((a, b) => order(a) - order(b) || a.localeCompare(b));
  const notebooks = exists(join(root, "notebooks"))
    ? [...Deno.readDirSync(join(root, "notebooks"))].map((e) => e.name)
    : [];
  return names.map((name) => {
    const path = join(resultsDir, name, "claims.json");
    const claims = readJson(path);
    if (!Array.isArray(claims) || claims.length === 0) {
      throw new ConfigError(path, "must hold a non-empty array of claim rows", claims);
    }
    const svgs = [...Deno.readDirSync(join(resultsDir, name))]
      .filter((e) => e.isFile && e.name.endsWith(".svg"))
      .map((e) => e.name)
      .sort();
    const wanted = `${KEY_FIGURES[name]}.svg`;
    const fig = svgs.includes(wanted) ? wanted : svgs.find((s) => s.startsWith("lm_")) ?? svgs[0];
    const nb = notebooks.find((f) => f.match(/^\d+_(.+)\.ipynb$/)?.[1] === name.replace(/-/g, "_"));
    const section = sections.find((s) => s.name === name);
    return {
      name,
      title: section?.title ?? name,
      ...(section?.arxiv ? { arxiv: section.arxiv } : {}),
      claims: claims as ClaimJson[],
      ...(fig
        ? { figure: join(relative(dirname(resultsDir), resultsDir), name, fig).replace(/\\/g, "/") }
        : {}),
      ...(nb ? { notebook: `notebooks/${nb}` } : {}),
      ...(exists(join(resultsDir, name, "preconditions.json"))
        ? { preconditions: readJson(join(resultsDir, name, "preconditions.json")) as PreconditionJson[] }
        : {}),
    };
  });
}

/** Number as in REPORT.md: 3 decimals for 0.001 ≤ |x| < 100, 1 decimal above, 3 significant digits below. */
export function formatNumber(x: number | null | undefined): string {
  if (typeof x !== "number" || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const a = Math.abs(x);
  const s = a >= 100 ? x.toFixed(1) : a >= 0.001 ? x.toFixed(3) : x.toExponential(2);
  return s.replace(/^-/, "−");
}

function esc(s: unknown): string {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function verdictBadge(v: string | undefined): string {
  if (!v) return "";
  const c = VERDICT_COLORS[v] ?? "#555";
  return `<span class="verdict" style="--c:${c}">${esc(v)}</span>`;
}

function counts(claims: readonly ClaimJson[]): string {
  const tiers = [...new Set(claims.map((c) => c.tier ?? "exact"))];
  return tiers.map((t) => {
    const rows = claims.filter((c) => (c.tier ?? "exact") === t);
    // Known verdicts in VERDICT_COLORS order (reproduced first), then any others.
    const by = new Map<string, number>(Object.keys(VERDICT_COLORS).map((v) => [v, 0]));
    for (const r of rows) by.set(r.verdict, (by.get(r.verdict) ?? 0) + 1);
    const parts = [...by].filter(([, n]) => n > 0).map(([v, n]) =>
      `<span class="count" style="--c:${VERDICT_COLORS[v] ?? "#555"}">${n} ${esc(v)}</span>`
    );
    const name = t === "lm" ? "LM" : esc(t);
    return `<span class="tier">${name} tier: ${rows.length} claims</span> ${parts.join(" ")}`;
  }).join("<br>");
}

function preconditionHtml(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value !== "object") return esc(value);
  if (Array.isArray(value)) return `<ul>${value.map((v) => `<li>${preconditionHtml(v)}</li>`).join("")}</ul>`;
  const o = value as Record<string, unknown>;
  const status = typeof o.status === "string" ? `<b>${esc(o.status)}</b>` : "";
  const rest = Object.entries(o).filter(([k]) => k !== "status").map(([k, v]) =>
    `${esc(k)}: ${
      typeof v === "number" ? formatNumber(v) : typeof v === "object" ? esc(JSON.stringify(v)) : esc(v)
    }`
  );
  return [status, ...rest].filter(Boolean).join("; ");
}

function preconditionsSection(
  claims: readonly ClaimJson[],
  measured: readonly PreconditionJson[] = [],
): string {
  const items: string[] = [];
  for (const c of claims) {
    // Every field named precondition… (precondition, preconditions, preconditionStatus, …), as given; a claim
    // without one ("none") is left out, and a list of precondition ids is shown inline (the table has them).
    const fields = Object.entries(c).filter(([k, v]) =>
      /^precondition/i.test(k) && v !== undefined && v !== "none" && !(Array.isArray(v) && v.length === 0)
    );
    const untestable = /not testable/i.test(c.verdict);
    if (fields.length === 0 && !untestable) continue;
    const shown = fields.map(([k, v]) =>
      k === "preconditions" && Array.isArray(v) && v.every((x) => typeof x === "string")
        ? `depends on ${v.map((x) => `<code>${esc(x)}</code>`).join(", ")}`
        : k === "precondition"
        ? preconditionHtml(v)
        : `${esc(k)}: ${preconditionHtml(v)}`
    );
    items.push(
      `<li><span class="cid">${esc(c.id ?? "")}</span> ${shown.join("; ")}${
        untestable ? ` ${verdictBadge(c.verdict)}` : ""
      }</li>`,
    );
  }
  const table = measured.length
    ? `<table class="claims"><thead><tr><th>id</th><th>quantity (measured at the start of training)</th>` +
      `<th>rule</th><th>measured</th><th>holds</th></tr></thead><tbody>${
        measured.map((p) =>
          `<tr><td><code>${esc(p.id)}</code></td><td>${esc(p.quantity)}</td><td>${esc(p.rule)}</td><td>${
            formatNumber(p.measured)
          }</td><td>${p.holds === true ? "yes" : p.holds === false ? "<b>no</b>" : "—"}</td></tr>`
        ).join("")
      }</tbody></table>`
    : "";
  if (items.length === 0 && !table) return "";
  return `<section class="pre"><h3>Preconditions</h3>${table}${
    items.length ? `<ul>${items.join("")}</ul>` : ""
  }</section>`;
}

function claimsTable(claims: readonly ClaimJson[]): string {
  const head = ["id", "claim", "paper", "estimate", "95% CI", "verdict", "Holm", "n", "pre-registered"];
  const rows = claims.map((c) =>
    `<tr><td class="cid">${esc(c.id ?? "")}</td><td>${esc(c.claim)}${
      c.rule ? `<div class="rule">${esc(c.rule)}</div>` : ""
    }</td><td>${esc(c.paper ?? "")}</td>` +
    `<td class="num">${formatNumber(c.estimate)}</td>` +
    `<td class="num">[${formatNumber(c.ci?.[0])}, ${formatNumber(c.ci?.[1])}]</td>` +
    `<td>${verdictBadge(c.verdict)}</td><td>${esc(c.verdictHolm ?? "")}</td>` +
    `<td class="num">${c.n ?? ""}</td><td>${
      c.preregistered === undefined ? "" : c.preregistered ? "yes" : "no"
    }</td></tr>`
  );
  return `<details><summary>All ${claims.length} claims with their numbers</summary><table class="claims">` +
    `<thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead><tbody>${
      rows.join("")
    }</tbody></table>` +
    `</details>`;
}

/** Width of the forest plots in px (the page's content column). */
export const FOREST_WIDTH = 980;

async function card(p: SitePaper): Promise<string> {
  const chart = claimForest(p.claims, { width: FOREST_WIDTH });
  const svg = await chart.toSVG();
  const spec = JSON.stringify(chart.spec).replace(/</g, "\\u003c");
  const links = [
    p.arxiv ? `<a href="https://arxiv.org/abs/${esc(p.arxiv)}">paper (arXiv ${esc(p.arxiv)})</a>` : "",
    p.notebook
      ? `<a href="../${esc(p.notebook)}">notebook ${esc(p.notebook.replace("notebooks/", ""))}</a>`
      : "",
    `<a href="results/REPORT.md">REPORT.md</a>`,
    `<a href="results/${esc(p.name)}/claims.json">claims.json</a>`,
  ].filter(Boolean).join(" · ");
  const figure = p.figure
    ? `<figure class="key"><img src="${esc(p.figure)}" alt="key figure of ${esc(p.name)}">` +
      `<figcaption>Key figure: <a href="${esc(p.figure)}">${
        esc(p.figure.split("/").pop())
      }</a></figcaption></figure>`
    : "";
  return `<section class="card" id="${esc(p.name)}" data-paper="${esc(p.name)}">
<h2>${esc(p.title)} <span class="name">${esc(p.name)}</span></h2>
<p class="links">${links}</p>
<p class="counts">${counts(p.claims)}</p>
<div class="forest" data-state="pending"><div class="view"></div><div class="fallback">${svg}</div>
<script type="application/json" class="spec">${spec}</script></div>
<p class="legend-note">Each row is one claim on its own axis: dot = the estimate its rule names (rules in the
claims table below), bar = 95% CI, dashed line = the value the rule compares the CI with (a shaded band: the
interval it must meet).</p>
${preconditionsSection(p.claims, p.preconditions)}
${figure}
${claimsTable(p.claims)}
</section>`;
}

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f6f4;color:#222}
main{max-width:1060px;margin:0 auto;padding:1.2em 1.5em 3em}
header h1{margin:.2em 0 .1em;font-size:1.7em}
header p{margin:.3em 0;line-height:1.45}
table.toc{border-collapse:collapse;margin:.8em 0 1.2em;font-size:.92em;background:#fff;border:1px solid #ddd}
table.toc td,table.toc th{padding:.3em .7em;border-top:1px solid #eee;text-align:left;vertical-align:top}
.card{background:#fff;border:1px solid #ddd;border-radius:8px;padding:1em 1.3em 1.2em;margin:1.3em 0;overflow-x:auto}
.card h2{margin:.1em 0 .2em;font-size:1.3em}
.card h2 .name{font-size:.7em;color:#777;font-weight:normal;font-family:monospace}
.links,.counts{margin:.3em 0;font-size:.92em}
.count,.verdict{display:inline-block;padding:0 .45em;border-radius:3px;background:color-mix(in srgb,var(--c) 14%,white);color:var(--c);border:1px solid var(--c);font-size:.88em;margin-right:.25em;white-space:nowrap}
.tier{font-weight:600;margin-right:.4em}
.forest{margin:.6em 0 .2em}
.legend-note{font-size:.82em;color:#666;margin:.1em 0 .6em}
figure.key{margin:.8em 0}
figure.key img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:.85em;color:#555}
table.claims{border-collapse:collapse;font-size:.85em;margin-top:.5em;width:100%}
table.claims td:nth-child(2){min-width:24em}
table.claims th,table.claims td{border-top:1px solid #e3e3e3;padding:.25em .45em;vertical-align:top;text-align:left}
td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.cid{font-family:monospace;font-size:.9em;white-space:nowrap}
.pre h3{font-size:1em;margin:.6em 0 .2em}
details summary{cursor:pointer;color:#1a5fb4}
.rule{font-size:.85em;color:#666;margin-top:.15em}
a{color:#1a5fb4}
`;

const BOOT = `(function () {
  var cards = document.querySelectorAll(".forest");
  cards.forEach(function (el) {
    var spec = JSON.parse(el.querySelector("script.spec").textContent);
    if (typeof window.vegaEmbed !== "function") { el.setAttribute("data-state", "no-vega"); return; }
    window.vegaEmbed(el.querySelector(".view"), spec, { renderer: "svg", tooltip: true, actions: false })
      .then(function () { el.querySelector(".fallback").style.display = "none"; el.setAttribute("data-state", "rendered"); })
      .catch(function (e) { el.setAttribute("data-state", "error"); console.error("forest plot: " + e); });
  });
})();`;

/** The page's HTML for the given reproductions. `provenance` is REPORT.md's first line (commit and machine). */
export async function renderSite(
  papers: readonly SitePaper[],
  options: { provenance?: string; api?: boolean } = {},
): Promise<string> {
  const bundle = vegaBundleScript();
  if (bundle === null) {
    throw new ConfigError(
      "node_modules",
      "must hold vega, vega-lite and vega-embed: run `deno task setup`",
      null,
    );
  }
  const cards = [];
  for (const p of papers) cards.push(await card(p));
  const prov = (options.provenance ?? "").replace(/^>\s*/, "").replace(/`([^`]+)`/g, "<code>$1</code>");
  const toc = papers.map((p) =>
    `<tr><td><a href="#${esc(p.name)}">${esc(p.title.split(":")[0])}</a></td><td>${
      counts(p.claims)
    }</td></tr>`
  ).join("");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sweetspot — reproduction results</title>
<style>${STYLE}</style>
<script>${bundle}</script>
</head>
<body>
<main>
<header>
<h1>Sweetspot — reproduction results</h1>
<p>One card per paper reproduction: every claim with our estimate, its 95% CI and the verdict its pre-stated
rule gives, the key chart, and links to the notebook and the full report. Tiers: <b>lm</b> trains a
TinyTransformer with the library's RLVRTrainer on a token task; <b>exact</b> checks an algorithm on an exact or
linear test bed. Generated by <code>deno task site</code> from <code>docs/results/</code>.</p>
${prov ? `<p class="prov">${prov}</p>` : ""}
<p><a href="results/REPORT.md">Full report (REPORT.md)</a>${
    options.api !== false ? ` · <a href="api/index.html">API reference</a>` : ""
  } · <a href="../README.md">README</a></p>
<table class="toc"><thead><tr><th>paper</th><th>verdicts (raw, before Holm)</th></tr></thead><tbody>${toc}</tbody></table>
</header>
${cards.join("\n")}
</main>
<script>${BOOT}</script>
</body>
</html>
`;
}

/**
 * `deno doc --html` of mod.ts into `outDir`, compacted: member pages (`~/Symbol.member.html`, whose content is
 * on the symbol's page) removed and their links pointed at the symbol's page, inline SVG icons dropped, and
 * `file://` source links made relative to the repository. Returns the number of files written.
 */
export async function buildApiDocs(outDir: string, root = ROOT): Promise<number> {
  await Deno.remove(outDir, { recursive: true }).catch(() => {});
  const out = await new Deno.Command("deno", {
    args: ["doc", "--html", "--name=Sweetspot", `--output=${outDir}`, join(root, "mod.ts")],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) throw new Error(`deno doc --html: ${new TextDecoder().decode(out.stderr).trim()}`);
  const member = /^[\w$]+\.[\w$.]+\.html$/;
  const sep = "(?:/|&#x2F;)";
  const memberLink = new RegExp(`~(${sep})([\\w$]+)\\.[\\w$.]+\\.html`, "g");
  const fileUrl = new RegExp(`file:${sep}${sep}${root.replace(/\//g, sep)}${sep}`, "g");
  let files = 0;
  const walk = (dir: string, depth: number) => {
    for (const e of Deno.readDirSync(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) {
        walk(path, depth + 1);
        continue;
      }
      if (depth > 0 && member.test(e.name)) {
        Deno.removeSync(path);
        continue;
      }
      if (e.name.endsWith(".html") || e.name === "search_index.js") {
        const up = "../".repeat(depth + 2); // docs/api/<depth dirs>/file → repository root
        let s = Deno.readTextFileSync(path).replace(memberLink, "~$1$2.html").replace(fileUrl, up);
        if (e.name.endsWith(".html")) s = s.replace(/<svg[\s\S]*?<\/svg>/g, "").replace(/>\s+</g, "><");
        Deno.writeTextFileSync(path, s);
      }
      files++;
    }
  };
  walk(outDir, 0);
  return files;
}

/** Write docs/index.html (and docs/api/ unless `api` is false); returns the paths written. */
export async function buildSite(
  options: { results?: string; out?: string; api?: boolean } = {},
): Promise<{ page: string; papers: number; apiFiles: number }> {
  const results = options.results ?? join(ROOT, "docs", "results");
  const out = options.out ?? join(ROOT, "docs");
  const papers = loadPapers(results);
  if (papers.length === 0) {
    throw new ConfigError(
      "results",
      "must hold <name>/claims.json (run `deno task publish-results`)",
      results,
    );
  }
  const reportPath = join(results, "REPORT.md");
  const provenance = exists(reportPath) ? Deno.readTextFileSync(reportPath).split("\n")[0] : undefined;
  const apiFiles = options.api === false ? 0 : await buildApiDocs(join(out, "api"));
  // Each forest plot also as a standalone SVG (docs/forest/<name>.svg), e.g. for the README.
  await Deno.remove(join(out, "forest"), { recursive: true }).catch(() => {});
  await Deno.mkdir(join(out, "forest"), { recursive: true });
  for (const p of papers) {
    const svg = await claimForest(p.claims, { width: FOREST_WIDTH }).toSVG();
    await Deno.writeTextFile(join(out, "forest", `${p.name}.svg`), svg);
  }
  const page = join(out, "index.html");
  await Deno.writeTextFile(
    page,
    await renderSite(papers, {
      provenance: provenance?.startsWith(">") ? provenance : undefined,
      api: options.api,
    }),
  );
  return { page, papers: papers.length, apiFiles };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { results: { type: "string" }, out: { type: "string" }, "no-api": { type: "boolean" } },
  });
  const r = await buildSite({ results: values.results, out: values.out, api: !values["no-api"] });
  console.log(
    `wrote ${relative(ROOT, r.page)} (${r.papers} reproductions)` +
      (r.apiFiles
        ? ` and ${r.apiFiles} API reference files under ${relative(ROOT, join(dirname(r.page), "api"))}`
        : ""),
  );
}
