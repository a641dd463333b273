/// <reference lib="dom" />
/**
 * The arm palette, the claim charts (forest plot, paired differences) and the results page: specs checked
 * against hand-made inputs, headless SVG rendering, and docs/index.html loaded in real Chromium (no console
 * error, a rendered forest plot in every card, a screenshot at results/screenshots/site.png).
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import puppeteer from "puppeteer-core";
import {
  ARM_PALETTE,
  armColor,
  armColorScale,
  barChart,
  claimForest,
  claimReference,
  type ForestClaim,
  KNOWN_ARM_COLORS,
  learningCurve,
  pairedDifference,
  pairedDifferences,
  VERDICT_COLORS,
} from "../lib/viz/mod.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { FOREST_WIDTH, formatNumber, loadPapers, renderSite, reportSections } from "../scripts/site.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CHROMIUM = Deno.env.get("SWEETSPOT_CHROMIUM") ?? "/usr/bin/chromium";

/** The colour a spec's colour scale gives `name` (domain/range written by the palette). */
function colourOf(enc: Any, name: string): string {
  const s = enc.color.scale;
  const i = s.domain.indexOf(name);
  assert.ok(i >= 0, `${name} in the colour domain ${JSON.stringify(s.domain)}`);
  return s.range[i];
}

Deno.test("arm palette: the same arm gets the same colour in a learning curve and a bar chart with other arms", () => {
  const curve = learningCurve(
    [
      { arm: "grpo", step: 0, seed: 0, acc: 0.1 },
      { arm: "nsr", step: 0, seed: 0, acc: 0.2 },
      { arm: "psr", step: 0, seed: 0, acc: 0.3 },
    ],
    { y: "acc" },
  ).spec as Any;
  const bar = barChart(
    [
      { task: "a", arm: "psr", acc: 0.5 },
      { task: "a", arm: "my-new-arm", acc: 0.4 },
      { task: "b", arm: "grpo", acc: 0.6 },
    ],
    { category: "task", value: "acc", color: "arm" },
  ).spec as Any;
  const line = curve.layer[1].encoding, band = curve.layer[0].encoding;
  const bars = bar.layer[0].encoding;
  for (const arm of ["grpo", "psr"]) {
    assert.equal(colourOf(line, arm), colourOf(bars, arm), `${arm}: curve vs bar`);
    assert.equal(colourOf(band, arm), colourOf(line, arm), `${arm}: band vs line of one chart`);
    assert.equal(colourOf(line, arm), KNOWN_ARM_COLORS[arm]);
  }
  // An unknown name: FNV-1a("my-new-arm") mod 20, computed here from the published FNV-1a constants.
  let h = 0x811c9dc5;
  for (const ch of "my-new-arm") h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  assert.equal(colourOf(bars, "my-new-arm"), ARM_PALETTE[h % 20]);
  assert.equal(armColor("GRPO"), armColor("grpo"), "case-insensitive");
});

Deno.test("arm palette: arms of one paper never share a colour; a clash within a chart takes a free colour", () => {
  const papers = [
    ["grpo", "dapo", "balanced"],
    ["grpo", "dr-grpo", "clip-symmetric", "clip-higher"],
    ["ladder", "direct"],
    ["start", "binary", "rlcr", "rlcr-paper"],
    ["psr", "nsr", "w-reinforce", "reinforce", "grpo"],
    ["uniform", "grpo", "rover", "rover-exact"],
    ["kae", "none", "batchMean", "groupMean", "reinforce", "grpo"],
  ];
  for (const arms of papers) {
    const colours = arms.map(armColor);
    assert.equal(new Set(colours).size, arms.length, `${arms.join(", ")}: ${colours.join(", ")}`);
  }
  // "grpo" and "direct" share blue by design; in one chart the second takes the first unused palette colour.
  const s = armColorScale(["grpo", "direct"]);
  assert.deepEqual(s.domain, ["grpo", "direct"]);
  assert.equal(s.range[0], KNOWN_ARM_COLORS.grpo);
  assert.equal(s.range[1], ARM_PALETTE.find((c) => c !== KNOWN_ARM_COLORS.grpo));
  // An explicit scale is left alone.
  const fixed = barChart([{ c: "a", v: 1, arm: "grpo" }], { category: "c", value: "v", color: "arm" });
  assert.ok((fixed.spec as Any).layer[0].encoding.color.scale.domain.includes("grpo"));
});

const CLAIMS: ForestClaim[] = [
  {
    id: "x.exact.1",
    claim: "A beats B",
    estimate: 0.2,
    ci: [0.1, 0.3],
    verdict: "reproduced",
    tier: "exact",
    rule: "mean over runs; reproduced iff the 95% stratified-bootstrap CI is > 0, not reproduced iff …",
  },
  {
    id: "x.exact.2",
    claim: "the reduction is 60–70%",
    estimate: 0.4,
    ci: [0.35, 0.45],
    verdict: "not reproduced",
    tier: "exact",
    rule: "reproduced iff the 95% stratified-bootstrap CI overlaps [0.60, 0.70], else not reproduced",
  },
  {
    id: "x.lm.1",
    claim: "no accuracy lost",
    estimate: -0.02,
    ci: [-0.07, 0.01],
    verdict: "inconclusive",
    tier: "lm",
    rule: "reproduced iff CI > −0.05, not reproduced iff CI < −0.05",
  },
  { id: "x.lm.2", claim: "no runs", estimate: null, ci: [null, null], verdict: "inconclusive", tier: "lm" },
];

Deno.test("claimReference reads the threshold or interval a rule compares the CI with", () => {
  assert.equal(claimReference(CLAIMS[0].rule!), 0);
  assert.deepEqual(claimReference(CLAIMS[1].rule!), [0.6, 0.7]);
  assert.equal(claimReference(CLAIMS[2].rule!), -0.05);
  assert.equal(claimReference("reproduced iff CI < −0.01, else inconclusive"), -0.01);
  assert.equal(claimReference("a verdict by hand"), null);
});

Deno.test("claimForest: one row per claim with the input's estimate, CI and verdict; a panel per tier; renders to SVG", async () => {
  const chart = claimForest(CLAIMS, { width: 800 });
  const spec = chart.spec as Any;
  const rows = spec.data.values as Any[];
  assert.equal(rows.length, CLAIMS.length);
  CLAIMS.forEach((c, i) => {
    assert.equal(rows[i].id, c.id);
    assert.equal(rows[i].estimate, c.estimate);
    assert.deepEqual([rows[i].lo, rows[i].hi], c.ci);
    assert.equal(rows[i].verdict, c.verdict);
  });
  assert.deepEqual([rows[0].refLo, rows[0].refHi], [0, 0], "a threshold: a zero-width reference");
  assert.deepEqual([rows[1].refLo, rows[1].refHi], [0.6, 0.7]);
  assert.deepEqual([rows[2].refLo, rows[2].refHi], [-0.05, -0.05]);
  // Tiers in first-seen order, each panel filtering its own tier.
  assert.deepEqual(spec.vconcat.map((p: Any) => p.transform[0].filter.equal), ["exact", "lm"]);
  // Verdict colours fixed (not the arm palette).
  const ci = spec.vconcat[0].spec.layer[1].encoding.color;
  assert.deepEqual(ci.scale.domain, ["reproduced", "not reproduced", "inconclusive"], "the verdicts present");
  assert.equal(ci.scale.range[0], VERDICT_COLORS.reproduced);
  const svg = await chart.toSVG();
  assert.match(svg, /^<svg/);
  // One CI bar per claim with a CI (3 here): vega writes rule marks as <line> inside role-mark groups.
  const ruleGroups = [...svg.matchAll(/class="mark-rule role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)];
  const colouredLines = ruleGroups.flatMap((g) =>
    [...g[1].matchAll(/stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1])
  )
    .filter((c) => Object.values(VERDICT_COLORS).includes(c));
  assert.equal(colouredLines.length, 3, "three CI bars coloured by verdict");
  // A claim whose precondition failed: its verdict gets its own colour and legend entry.
  const untestable = claimForest([{ ...CLAIMS[3], verdict: "not testable here" }]).spec as Any;
  assert.deepEqual(untestable.vconcat[0].spec.layer[1].encoding.color.scale, {
    domain: ["not testable here"],
    range: [VERDICT_COLORS["not testable here"]],
  });
  assert.throws(
    () => claimForest([{ ...CLAIMS[0], verdict: undefined as Any }]),
    (e: unknown) => e instanceof ConfigError && /claims\[0\]\.verdict/.test(e.message),
  );
  assert.throws(
    () => claimForest([{ ...CLAIMS[0], ci: [0.1] as Any }]),
    (e: unknown) => e instanceof ConfigError && /claims\[0\]\.ci/.test(e.message),
  );
});

Deno.test("pairedDifference: per-seed differences computed by hand; the claim's estimate and CI drawn as given", async () => {
  const rows = [
    { arm: "kae", seed: 0, acc: 0.5 },
    { arm: "kae", seed: 0, acc: 0.7 }, // two rows of one seed: averaged (0.6)
    { arm: "kae", seed: 1, acc: 0.4 },
    { arm: "kae", seed: 2, acc: 0.9 }, // seed 2 has no baseline: not paired
    { arm: "reinforce", seed: 0, acc: 0.5 },
    { arm: "reinforce", seed: 1, acc: 0.6 },
  ];
  const d = pairedDifferences(rows, { value: "acc", treatment: "kae", baseline: "reinforce" });
  assert.deepEqual(d.map((r) => r.seed), [0, 1]);
  assert.ok(Math.abs(d[0].difference - 0.1) < 1e-12 && Math.abs(d[1].difference + 0.2) < 1e-12);
  const chart = pairedDifference(rows, {
    value: "acc",
    treatment: "kae",
    baseline: "reinforce",
    claim: { estimate: -0.05, ci: [-0.2, 0.1] },
  });
  const spec = chart.spec as Any;
  assert.deepEqual(spec.layer[1].data.values.map((p: Any) => p.seed), ["0", "1"]);
  assert.deepEqual(spec.layer[2].data.values[0], { lo: -0.2, hi: 0.1, estimate: -0.05, y: -1.1 });
  assert.match(spec.title.subtitle, /mean over seeds with the claim's 95% CI/);
  // Computed CI of the mean of two seeds lies between the two differences.
  const own = pairedDifference(rows, {
    value: "acc",
    treatment: "kae",
    baseline: "reinforce",
    aggregate: "mean",
  });
  const ci = (own.spec as Any).layer[2].data.values[0];
  assert.ok(Math.abs(ci.estimate - (-0.05)) < 1e-12, "mean of 0.1 and −0.2");
  assert.ok(ci.lo >= -0.2 - 1e-12 && ci.hi <= 0.1 + 1e-12 && ci.lo <= ci.estimate && ci.estimate <= ci.hi);
  assert.match(await chart.toSVG(), /<svg/);
  assert.throws(
    () => pairedDifference(rows, { value: "acc", treatment: "kae", baseline: "grpo" }),
    (e: unknown) => e instanceof ConfigError && /baseline/.test(e.message) && /reinforce/.test(e.message),
  );
});

Deno.test("site: REPORT.md headings, number format, and every published claims.json becomes a card", async () => {
  assert.deepEqual(reportSections("## KAE: kernelized baselines — kae (arXiv 2604.28005)\n## Other — x\n"), [
    { title: "KAE: kernelized baselines", name: "kae", arxiv: "2604.28005" },
    { title: "Other", name: "x" },
  ]);
  assert.equal(formatNumber(-0.0625), "−0.063");
  assert.equal(formatNumber(0.000913), "9.13e-4");
  assert.equal(formatNumber(null), "—");
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "REPORT.md"), "## B paper — b (arXiv 1.2)\n## A paper — a\n");
    for (const n of ["a", "b"]) {
      await Deno.mkdir(join(dir, n));
      await Deno.writeTextFile(join(dir, n, "claims.json"), JSON.stringify(CLAIMS.slice(0, 3)));
    }
    await Deno.writeTextFile(join(dir, "a", "lm_curve.svg"), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    const papers = loadPapers(dir);
    assert.deepEqual(papers.map((p) => p.name), ["b", "a"], "REPORT.md order");
    assert.equal(papers[1].figure, `${dir.split("/").pop()}/a/lm_curve.svg`);
    const html = await renderSite(papers, { api: false });
    assert.equal(html.match(/<section class="card"/g)?.length, 2);
    assert.ok(!/<script[^>]+src=/.test(html), "no external script");
    assert.ok(html.includes("−0.070") && html.includes("[0.350, 0.450]"), "numbers from the claims");
    assert.ok(!html.includes("<h3>Preconditions</h3>"), "no preconditions section when no row carries one");
    // Rows with a precondition status, and a claim reported as not testable: a preconditions section lists them.
    const withPre = [
      { ...CLAIMS[0], precondition: { status: "holds", measured: 0.42, threshold: 0.3 } },
      { ...CLAIMS[2], verdict: "not testable here", preconditionStatus: "fails" },
    ];
    const pre = await renderSite([{ ...papers[0], claims: withPre }], { api: false });
    const section = pre.match(/<h3>Preconditions<\/h3>([\s\S]*?)<\/section>/)?.[1] ?? "";
    assert.match(section, /x\.exact\.1<\/span> <b>holds<\/b>; measured: 0\.420; threshold: 0\.300/);
    assert.match(
      section,
      /x\.lm\.1<\/span> preconditionStatus: fails <span class="verdict"[^>]*>not testable here/,
    );
    // Measured preconditions (preconditions.json) become a table: id, quantity, rule, measured value, holds.
    const measured = [
      {
        id: "x.lm.pre1",
        quantity: "share of all-zero groups",
        rule: "≥ 0.9",
        measured: 0.5384,
        holds: false,
      },
      { id: "x.lm.pre2", quantity: "baseline gain", rule: "≥ 0.02", measured: 0.097, holds: true },
    ];
    const tab = await renderSite([{ ...papers[0], claims: CLAIMS.slice(0, 1), preconditions: measured }], {
      api: false,
    });
    const tsec = tab.match(/<h3>Preconditions<\/h3>([\s\S]*?)<\/section>/)?.[1] ?? "";
    assert.match(
      tsec,
      /<code>x\.lm\.pre1<\/code><\/td><td>share of all-zero groups<\/td><td>≥ 0\.9<\/td><td>0\.538<\/td><td><b>no<\/b>/,
    );
    assert.match(tsec, /<code>x\.lm\.pre2<\/code>.*<td>0\.097<\/td><td>yes<\/td>/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("publish-results also copies results/<name>/claims.json", async () => {
  const { publishResults } = await import("../scripts/publish_results.ts");
  const src = await Deno.makeTempDir(), out = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(src, "REPORT.md"), "# Report\n");
    await Deno.mkdir(join(src, "kae"));
    await Deno.writeTextFile(join(src, "kae", "claims.json"), "[]\n");
    const written = await publishResults({
      results: src,
      out,
      provenance: { commit: "c", dirty: false, cpu: "cpu", cores: 1, os: "os" },
    });
    assert.deepEqual(written.map((p: string) => p.slice(out.length + 1)).sort(), [
      "REPORT.md",
      "kae/claims.json",
    ]);
  } finally {
    await Deno.remove(src, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

const PAGE = join(ROOT, "docs", "index.html");

Deno.test("docs/index.html is what `deno task site` generates from docs/results (rerun it after publishing)", async () => {
  const papers = loadPapers(join(ROOT, "docs", "results"));
  const report = await Deno.readTextFile(join(ROOT, "docs", "results", "REPORT.md"));
  const expected = await renderSite(papers, { provenance: report.split("\n")[0] });
  assert.ok(expected === await Deno.readTextFile(PAGE), "docs/index.html is stale: run `deno task site`");
  assert.ok(FOREST_WIDTH > 0);
});

function isExecutable(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "docs/index.html in Chromium: no console error, a rendered forest plot per card, key figures load, screenshot",
  ignore: !isExecutable(CHROMIUM),
  async fn() {
    const papers = loadPapers(join(ROOT, "docs", "results"));
    const browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      pipe: true,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--allow-file-access-from-files",
      ],
      protocolTimeout: 120_000,
    });
    try {
      const page = await browser.newPage();
      await page.setViewport({ width: 1200, height: 1000 });
      const errors: string[] = [];
      page.on("console", (m) => {
        if (m.type() === "error") errors.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => errors.push(`page: ${e}`));
      page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
      await page.goto(pathToFileURL(PAGE).href, { waitUntil: "load", timeout: 120_000 });
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll(".forest")].every((f) => f.getAttribute("data-state") !== "pending"),
        { timeout: 120_000 },
      );
      const cards = await page.$$eval(".card", (els) =>
        els.map((c) => ({
          paper: c.getAttribute("data-paper"),
          state: c.querySelector(".forest")?.getAttribute("data-state"),
          marks: c.querySelectorAll(".forest .view svg .role-mark").length,
          img: (() => {
            const i = c.querySelector("figure.key img") as HTMLImageElement | null;
            return i ? i.complete && i.naturalWidth > 0 : null;
          })(),
        })));
      assert.deepEqual(
        cards.map((c) => c.paper),
        papers.map((p) => p.name),
        "one card per published reproduction",
      );
      for (const c of cards) {
        assert.equal(c.state, "rendered", `${c.paper}: forest plot state`);
        assert.ok(c.marks > 0, `${c.paper}: forest plot has marks`);
        assert.notEqual(c.img, false, `${c.paper}: key figure loads`);
      }
      assert.deepEqual(errors, [], "no console errors");
      const shots = join(ROOT, "results", "screenshots");
      await Deno.mkdir(shots, { recursive: true });
      await page.screenshot({ path: join(shots, "site.png") as `${string}.png`, fullPage: true });
      assert.ok(Deno.statSync(join(shots, "site.png")).size > 10_000);
    } finally {
      await browser.close();
    }
  },
});

Deno.test("headless text widths: a 55-character axis label fits a 360 px label limit (0.8 em per character would cut it)", async () => {
  const { estimateTextWidth, renderSVG } = await import("../lib/viz/render.ts");
  const label = "RLCR lowers expected calibration error vs the SFT start";
  assert.equal(label.length, 55);
  // Helvetica AFM: "i" 222, "M" 833 (1/1000 em); × 1.1 for DejaVu Sans.
  assert.ok(Math.abs(estimateTextWidth("iiii", 10) - 4 * 2.22 * 1.1) < 1e-9);
  assert.ok(Math.abs(estimateTextWidth("MMMM", 10) - 4 * 8.33 * 1.1) < 1e-9);
  assert.ok(0.8 * 10 * label.length > 360, "the default estimate would exceed the limit");
  const svg = await renderSVG({
    data: { values: [{ label, v: 1 }] },
    mark: "bar",
    encoding: {
      y: { field: "label", type: "nominal", axis: { labelLimit: 360, labelFontSize: 10 } },
      x: { field: "v", type: "quantitative" },
    },
  });
  assert.ok(svg.includes(`>${label}<`), "the full label is in the SVG");
});

Deno.test("published claims.json agree with REPORT.md's table (same run): estimate, CI, verdict and n of every claim", () => {
  const dir = join(ROOT, "docs", "results");
  const report = Deno.readTextFileSync(join(dir, "REPORT.md"));
  // REPORT.md's number format (reproductions/report.ts): 3 decimals, 1 from 100, 3 significant digits below 0.001.
  const f = (x: number | null) =>
    x === null
      ? "NaN"
      : x === 0
      ? "0"
      : Math.abs(x) >= 100
      ? x.toFixed(1)
      : Math.abs(x) >= 0.001
      ? x.toFixed(3)
      : x.toExponential(2);
  const cells = (l: string) => l.slice(2, -2).split(/ (?<!\\)\| /);
  const lines = report.split("\n");
  const head = lines.find((l) => l.startsWith("| reproduction | claim |"));
  assert.ok(head, "REPORT.md has the all-claims table");
  const col = (name: string) => {
    const k = cells(head).findIndex((h) => h.startsWith(name));
    assert.ok(k >= 0, `all-claims table has a column "${name}"`);
    return k;
  };
  const [cClaim, cEst, cCi, cVerdict, cN] = ["claim", "our estimate", "95% CI", "verdict", "n"].map(col);
  // Rows of the claim tables only (all claims and manipulation checks share the header; the preconditions
  // table has its own), matched to claims.json by claim text.
  const rows: string[][] = [];
  let inClaims = false;
  for (const l of lines) {
    if (!l.startsWith("|")) inClaims = false;
    else if (l.startsWith("| reproduction |")) inClaims = l.startsWith("| reproduction | claim |");
    else if (inClaims && /^\| [\w-]+ \(\w+\) \|/.test(l)) rows.push(cells(l));
  }
  const papers = loadPapers(dir);
  assert.ok(papers.length > 0);
  for (const p of papers) {
    const mine = rows.filter((r) => r[0].startsWith(`${p.name} (`));
    assert.equal(mine.length, p.claims.length, `${p.name}: claims in REPORT.md vs claims.json`);
    p.claims.forEach((c, i) => {
      const text = c.claim.replace(/\n/g, " ");
      const r = mine.find((m) => m[cClaim].replace(/\\\|/g, "|") === text);
      assert.ok(r, `${p.name} #${i}: claim text in REPORT.md`);
      // Units or notes may follow a number in the report; the number comes first.
      assert.ok(r[cEst].startsWith(f(c.estimate)), `${p.name} #${i}: estimate ${r[cEst]} vs ${c.estimate}`);
      assert.ok(
        r[cCi].startsWith(`[${f(c.ci[0])}, ${f(c.ci[1])}]`),
        `${p.name} #${i}: CI ${r[cCi]} vs ${c.ci}`,
      );
      assert.equal(r[cVerdict].replace(/\*/g, "").trim(), c.verdict, `${p.name} #${i}: verdict`);
      assert.equal(r[cN], String(c.n), `${p.name} #${i}: n`);
    });
  }
});
