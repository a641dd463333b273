import assert from "node:assert/strict";
import * as aq from "arquero";
import {
  barChart,
  Chart,
  compileToVega,
  containerSpec,
  difficultyScatter,
  display,
  embedHTML,
  isJupyter,
  jupyterApi,
  learningCurve,
  LiveChart,
  liveCurve,
  passAtKCurve,
  Progress,
  reliabilityBins,
  reliabilityChart,
  renderSVG,
  saveChart,
  sweepExplorer,
  sweepParamName,
  VEGA_BROWSER_BUNDLES,
  VEGA_LITE_MIME,
  VEGA_LITE_SCHEMA,
} from "../lib/viz/mod.ts";
import { aggregateInterval } from "../mod.ts";
import { ConfigError } from "../lib/core/validate.ts";
import * as vega from "vega";

// deno-lint-ignore no-explicit-any
type Any = any;
const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);

/** Paths inside the SVG group of one mark type ("rect", "area", "line", "symbol"...). */
function markPaths(svg: string, mark: string): string[] {
  const out: string[] = [];
  const re = new RegExp(`<g class="mark-${mark} role-mark[^"]*"[^>]*>(.*?)</g>`, "gs");
  for (const m of svg.matchAll(re)) out.push(...(m[1].match(/<path[^>]*>/g) ?? []));
  return out;
}

Deno.test("aggregateInterval (the one interval of claims and chart bands) on hand-computed cases", () => {
  // Two runs {0, 1}: a bootstrap mean is 0, ½ or 1 with probabilities ¼, ½, ¼, so the 95% percentile interval
  // is [0, 1] (the 2.5% and 97.5% quantiles fall inside the outer quarters).
  const two = aggregateInterval([0, 1], { reps: 2000, seed: 1 });
  assert.deepEqual([two.estimate, two.lower, two.upper, two.n], [0.5, 0, 1, 2]);
  assert.equal(two.aggregate, "mean over runs");
  // One run: a zero-width interval at it; no run: NaN and n = 0.
  const one = aggregateInterval([7]);
  assert.deepEqual([one.estimate, one.lower, one.upper, one.n], [7, 7, 7, 1]);
  assert.ok(Number.isNaN(aggregateInterval([]).estimate));
  assert.equal(aggregateInterval([[], []]).n, 0);
  // From 20 pooled runs the aggregate is the IQM: 20 runs 0…19 trim 5 from each end → mean of 5…14 = 9.5.
  const many = aggregateInterval(Array.from({ length: 20 }, (_, i) => i), { reps: 200 });
  assert.equal(many.aggregate, "IQM over runs");
  assert.equal(many.estimate, 9.5);
  assert.equal(aggregateInterval([100, 0, 1, 2, 3, 4, 5, 6], { aggregate: "iqm", reps: 50 }).estimate, 3.5);
  // Seeded: the same seed gives the same interval.
  assert.deepEqual(
    aggregateInterval([1, 5, 2, 8], { seed: 3 }),
    aggregateInterval([1, 5, 2, 8], { seed: 3 }),
  );
  assert.throws(() => aggregateInterval([1, NaN]), ConfigError);
});

Deno.test("learningCurve: v5 spec with an area CI band and a mean line per arm", () => {
  const rows = [
    // arm A, step 0: seed 0 logs twice (averaged to 1), seed 1 logs 3 → values [1, 3]
    { arm: "A", seed: 0, step: 0, reward: 0 },
    { arm: "A", seed: 0, step: 0, reward: 2 },
    { arm: "A", seed: 1, step: 0, reward: 3 },
    { arm: "A", seed: 0, step: 10, reward: 5 },
    { arm: "A", seed: 1, step: 10, reward: 5 },
    { arm: "B", seed: 0, step: 0, reward: 4 },
  ];
  const c = learningCurve(rows, { y: "reward" });
  const s = c.spec as Any;
  assert.equal(s.$schema, VEGA_LITE_SCHEMA);
  assert.equal(s.$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  assert.equal(s.encoding.x.field, "step");
  assert.equal(s.layer.length, 2);
  const [band, line] = s.layer;
  assert.equal(band.mark.type, "area");
  assert.equal(band.encoding.y.field, "reward_lo");
  assert.equal(band.encoding.y2.field, "reward_hi");
  assert.equal(band.encoding.color.field, "arm");
  assert.equal(line.mark.type, "line");
  assert.equal(line.encoding.y.field, "reward");
  assert.equal(line.encoding.color.field, "arm");
  assert.match(line.encoding.y.title, /95% CI/);
  const v = s.data.values;
  assert.equal(v.length, 3);
  // A@0: seeds [1, 3] → mean 2; bootstrap means 1, 2, 3 with probabilities ¼, ½, ¼ → 95% band [1, 3].
  assert.equal(v[0].arm, "A");
  assert.equal(v[0].step, 0);
  assert.equal(v[0].n, 2);
  close(v[0].reward, 2, 1e-12);
  assert.equal(v[0].reward_lo, 1);
  assert.equal(v[0].reward_hi, 3);
  assert.deepEqual(v[1], { arm: "A", step: 10, reward: 5, reward_lo: 5, reward_hi: 5, n: 2 });
  assert.deepEqual(v[2], { arm: "B", step: 0, reward: 4, reward_lo: 4, reward_hi: 4, n: 1 });
  // arquero table input gives the same spec
  assert.deepEqual(learningCurve(aq.from(rows), { y: "reward" }).spec, c.spec);
  // wall-clock x binned: 0..10 in 2 bins → bin centres 2.5 and 7.5
  const wall = learningCurve([{ t: 0, r: 1 }, { t: 4, r: 3 }, { t: 10, r: 5 }], { x: "t", y: "r", xBins: 2 });
  assert.deepEqual((wall.spec as Any).data.values.map((r: Any) => [r.t, r.r]), [[2.5, 2], [7.5, 5]]);
  assert.throws(
    () => learningCurve(rows, { y: "nope" }),
    (e) => e instanceof ConfigError && /reward/.test(e.message),
  );
  assert.throws(() => learningCurve(rows, { y: "reward", colour: "x" } as Any), ConfigError);
});

Deno.test("learningCurve renders to SVG with one band and one line per arm", async () => {
  const rows = [];
  for (const arm of ["GRPO", "RLOO"]) {
    for (let seed = 0; seed < 3; seed++) {
      for (let step = 0; step <= 50; step += 10) {
        rows.push({ arm, seed, step, reward: step / 50 + seed * 0.05 });
      }
    }
  }
  const chart = learningCurve(rows, { y: "reward", title: "Reward" });
  const svg = await chart.toSVG();
  assert.ok(svg.startsWith("<svg"));
  assert.equal(markPaths(svg, "area").length, 2);
  assert.equal(markPaths(svg, "line").length, 2);
  assert.match(svg, />GRPO</);
  assert.match(svg, />RLOO</);
  assert.match(svg, />Reward</);
  assert.deepEqual(chart.warnings, []);
});

Deno.test("reliabilityBins / reliabilityChart: hand-computed bins, Wilson CI, ECE, diagonal and counts", async () => {
  const data = [
    { confidence: 0.05, correct: false },
    { confidence: 0.15, correct: true },
    { confidence: 0.15, correct: 0 },
    { confidence: 0.95, correct: 1 },
  ];
  const { bins, ece } = reliabilityBins(data);
  assert.equal(bins.length, 3);
  assert.deepEqual(bins.map((b) => [b.bin_lo, b.confidence, b.accuracy, b.count]), [
    [0, 0.05, 0, 1],
    [0.1, 0.15, 0.5, 2],
    [0.9, 0.95, 1, 1],
  ]);
  // Wilson 95% for 1 of 2: [0.0945, 0.9055] (published value).
  close(bins[1].acc_lo as number, 0.0945, 1e-4);
  close(bins[1].acc_hi as number, 0.9055, 1e-4);
  // ECE = ¼·0.05 + ½·0.35 + ¼·0.05 = 0.2
  close(ece.get("")!, 0.2, 1e-12);
  const s = reliabilityChart(data).spec as Any;
  assert.equal(s.$schema, VEGA_LITE_SCHEMA);
  assert.match(s.title.subtitle, /ECE 0\.200/);
  const top = s.vconcat[0].layer;
  assert.deepEqual(top[0].data.values, [{ confidence: 0, accuracy: 0 }, { confidence: 1, accuracy: 1 }]);
  assert.equal(top[0].mark.type, "line"); // diagonal
  // No whiskers (vertical bars at every bin): a thin connecting line, then points whose size is the bin count.
  assert.ok(top.every((l: Any) => l.mark.type !== "rule"));
  assert.equal(top[1].mark.type, "line");
  assert.equal(top[2].mark.type, "point");
  assert.equal(top[2].encoding.x.field, "confidence");
  assert.equal(top[2].encoding.y.field, "accuracy");
  assert.equal(top[2].encoding.size.field, "count");
  const counts = s.vconcat[1];
  assert.equal(counts.mark.type, "bar");
  assert.equal(counts.encoding.y.field, "count");
  const svg = await renderSVG(s);
  assert.equal(markPaths(svg, "rect").length, 3); // three count bars
  assert.equal(markPaths(svg, "symbol").length, 3); // three accuracy points
  assert.throws(() => reliabilityBins([{ confidence: 1.2, correct: 1 }]), ConfigError);
  // Empty bins are skipped, not drawn at accuracy 0: predictions only in bins 2 and 7 give two points.
  const sparse = reliabilityBins([
    { confidence: 0.21, correct: 1 },
    { confidence: 0.22, correct: 1 },
    { confidence: 0.75, correct: 1 },
  ]);
  assert.deepEqual(sparse.bins.map((b) => [b.bin_lo, b.accuracy, b.count]), [[0.2, 1, 2], [0.7, 1, 1]]);
});

Deno.test("learningCurve: probability bands clipped to [0, 1], a dash pattern per arm, stroke legend symbols", () => {
  // Two seeds at 0.9 and 1.0: mean 0.95, bootstrap band [0.9, 1.0] (see aggregateInterval's test).
  const rows = [
    { arm: "A", seed: 0, step: 1, acc: 0.9 },
    { arm: "A", seed: 1, step: 1, acc: 1.0 },
    { arm: "B", seed: 0, step: 1, acc: 0.0 },
    { arm: "B", seed: 1, step: 1, acc: 0.1 },
  ];
  const v = (learningCurve(rows, { y: "acc" }).spec as Any).data.values;
  close(v[0].acc_lo, 0.9, 1e-12);
  close(v[0].acc_hi, 1, 1e-12);
  assert.equal(v[1].acc_lo, 0);
  close(v[1].acc_hi, 0.1, 1e-12);
  // bounds: null keeps the raw interval; explicit bounds clip to them; a metric outside [0, 1] is not clipped.
  close((learningCurve(rows, { y: "acc", bounds: null }).spec as Any).data.values[0].acc_hi, 1, 1e-12);
  assert.equal(
    (learningCurve(rows, { y: "acc", bounds: [0, 0.98] }).spec as Any).data.values[0].acc_hi,
    0.98,
  );
  assert.throws(() => learningCurve(rows, { y: "acc", bounds: [1, 0] }), ConfigError);
  const wide = rows.map((r) => ({ ...r, acc: r.acc * 3 }));
  close((learningCurve(wide, { y: "acc" }).spec as Any).data.values[0].acc_hi, 3, 1e-12);
  const line = (learningCurve(rows, { y: "acc" }).spec as Any).layer[1];
  assert.equal(line.encoding.strokeDash.field, "arm");
  assert.equal(line.encoding.color.legend.symbolType, "stroke");
  assert.deepEqual(line.params, [{ name: "zoom", select: "interval", bind: "scales" }]);
});

Deno.test("passAtKCurve uses a log-k axis; barChart has CI whiskers; difficultyScatter computes p(1−p)", async () => {
  const pk = passAtKCurve([{ k: 1, passAtK: 0.2 }, { k: 4, passAtK: 0.5 }, { k: 16, passAtK: 0.8 }])
    .spec as Any;
  assert.deepEqual(pk.encoding.x.scale, { type: "log", base: 2 });
  assert.equal(pk.encoding.x.field, "k");
  assert.equal(pk.layer[1].encoding.y.field, "passAtK");

  const rows = [
    { task: "add", arm: "GRPO", acc: 0.5 },
    { task: "add", arm: "GRPO", acc: 0.7 },
    { task: "add", arm: "RLOO", acc: 0.4 },
    { task: "sat", arm: "GRPO", acc: 0.9 },
  ];
  const bar = barChart(rows, { category: "task", value: "acc", color: "arm" });
  const b = bar.spec as Any;
  assert.equal(b.layer[0].mark.type, "bar");
  assert.equal(b.layer[1].mark.type, "rule");
  assert.equal(b.layer[1].encoding.y.field, "acc_lo");
  assert.equal(b.layer[1].encoding.y2.field, "acc_hi");
  const g = b.data.values[0];
  close(g.acc, 0.6, 1e-12);
  // two values 0.5, 0.7: bootstrap means 0.5, 0.6, 0.7 (¼, ½, ¼) → 95% whisker [0.5, 0.7]
  close(g.acc_lo, 0.5, 1e-12);
  close(g.acc_hi, 0.7, 1e-12);
  const svg = await bar.toSVG();
  assert.equal(markPaths(svg, "rect").length, 3);
  assert.match(svg, /task: add; [^"]*arm: RLOO/);
  const given = barChart([{ m: "x", v: 1, l: 0.5, h: 1.5 }], { category: "m", value: "v", lo: "l", hi: "h" });
  assert.equal((given.spec as Any).layer[1].encoding.y.field, "l");

  const sc = difficultyScatter([{ accuracy: 0.2 }, { accuracy: 0.5 }]).spec as Any;
  assert.deepEqual(sc.data.values.map((r: Any) => r.signal), [0.2 * 0.8, 0.25]);
  assert.equal(sc.layer.length, 2); // parabola + points
  const hint = difficultyScatter([{ hint: 3, acc: 0.1 }], { x: "hint", y: "acc" }).spec as Any;
  assert.equal(hint.layer.length, 1);
  assert.equal(hint.layer[0].encoding.y.field, "acc");
});

Deno.test("Chart mimebundle: interactive HTML + vega-lite v5 + SVG + text, via Symbol.for('Jupyter.display')", async () => {
  const c = new Chart({ data: { values: [{ a: 1, b: 2 }] }, mark: "point", encoding: { x: { field: "a" } } });
  const bundle = await (c as Any)[Symbol.for("Jupyter.display")]();
  assert.deepEqual(
    Object.keys(bundle).sort(),
    ["text/html", VEGA_LITE_MIME, "image/svg+xml", "text/plain"].sort(),
  );
  assert.ok(
    bundle["text/html"].includes(bundle["image/svg+xml"]),
    "the HTML carries the SVG as its fallback",
  );
  assert.equal(VEGA_LITE_MIME, "application/vnd.vegalite.v5+json");
  assert.equal(bundle[VEGA_LITE_MIME].$schema, "https://vega.github.io/schema/vega-lite/v5.json");
  assert.match(bundle["image/svg+xml"], /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.match(bundle["text/plain"], /Chart/);
  assert.throws(
    () => new Chart({ $schema: "https://vega.github.io/schema/vega-lite/v6.json", mark: "point" }),
    ConfigError,
  );
});

Deno.test("outside Jupyter: Deno.jupyter throws, detection says no, display/saveChart write svg+html", async () => {
  assert.ok("jupyter" in Deno); // the key exists outside the kernel...
  assert.throws(() => (Deno as Any).jupyter); // ...but reading it throws
  assert.equal(jupyterApi(), undefined);
  assert.equal(isJupyter(), false);
  const dir = await Deno.makeTempDir();
  try {
    const chart = barChart([{ c: "x", v: 1 }, { c: "y", v: 2 }], {
      category: "c",
      value: "v",
      title: "Two <bars>",
    });
    const r = await display(chart, { dir });
    assert.equal(r?.svg, `${dir}/two-bars.svg`);
    assert.equal(r?.html, `${dir}/two-bars.html`);
    const saved = await saveChart(chart, dir, "bars");
    const svg = await Deno.readTextFile(saved.svg);
    const html = await Deno.readTextFile(saved.html);
    assert.ok(svg.startsWith("<svg"));
    assert.ok(html.includes(svg)); // SVG inline: shows offline
    assert.ok(!/<script[^>]+src=/.test(html)); // nothing fetched
    assert.ok(html.includes("Two &lt;bars&gt;"));
    const embedded = html.match(/<script type="application\/json" id="vega-lite-spec">(.*?)<\/script>/s)![1];
    assert.deepEqual(JSON.parse(embedded), chart.spec);
    await assert.rejects(() => saveChart(chart, dir, "../x"), ConfigError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Progress: final mode prints one line; terminal mode rewrites one throttled line", async () => {
  const out: string[] = [];
  const p = new Progress({ total: 10, label: "train", mode: "final", write: (s) => out.push(s) });
  for (let i = 0; i < 10; i++) p.tick(1, { reward: 0.5 });
  assert.equal(out.length, 0);
  await p.done();
  await p.done(); // idempotent
  assert.equal(out.length, 1);
  assert.match(out[0], /^train 10\/10 \[█{20}\] 100% .* reward=0\.5\n$/);

  const term: string[] = [];
  const t = new Progress({ total: 1000, mode: "terminal", intervalMs: 60_000, write: (s) => term.push(s) });
  for (let i = 0; i < 1000; i++) t.tick();
  assert.equal(term.length, 1); // first tick renders, the rest are throttled
  assert.ok(term[0].startsWith("\r1/1000"));
  await t.done();
  assert.equal(term.length, 2);
  assert.ok(term[1].startsWith("\r1000/1000") && term[1].endsWith("\n"));
  assert.throws(() => new Progress({ total: 0 }), ConfigError);
  assert.throws(() => new Progress({ total: 5, mode: "jupyter" }), ConfigError); // not in a kernel
});

Deno.test("Progress in Jupyter: one display_id updated in place, live chart bundle", async () => {
  const calls: { bundle: Any; opts: Any }[] = [];
  const fake = { display: (bundle: unknown, opts: unknown) => void calls.push({ bundle, opts }) };
  const p = new Progress({
    total: 50,
    intervalMs: 0,
    liveChart: { x: "step", y: "reward", color: "arm" },
    jupyter: fake,
  });
  assert.equal(p.mode, "jupyter");
  for (let i = 0; i < 50; i++) p.tick(1, { step: i, reward: i / 50, arm: "A" });
  await p.done();
  assert.equal(calls.length, 51);
  const ids = new Set(calls.map((c) => c.opts.display_id));
  assert.equal(ids.size, 1);
  assert.equal(calls[0].opts.update, false);
  assert.ok(calls.slice(1).every((c) => c.opts.update === true && c.opts.raw === true));
  const last = calls[calls.length - 1].bundle;
  assert.match(last["text/plain"], /50\/50/);
  assert.equal(last[VEGA_LITE_MIME].data.values.length, 50);
  assert.match(last["image/svg+xml"], /^<svg/);
});

Deno.test("embedHTML: vega bundles inlined from the installed packages (no CDN), SVG fallback, container width", async () => {
  const spec = { title: "a </script> b", width: 300, data: { values: [{ a: 1 }] }, mark: "point" };
  const svg = await renderSVG(spec);
  const html = embedHTML(spec, svg, { bundles: true });
  for (const path of VEGA_BROWSER_BUNDLES) {
    // The exact bytes of each installed build (its first kilobyte), not a copy fetched from elsewhere.
    const src = await Deno.readTextFile(new URL(`../node_modules/${path}`, import.meta.url));
    assert.ok(html.includes(src.slice(0, 1024)), `${path} inlined`);
  }
  assert.doesNotMatch(html, /<script[^>]*\ssrc=/);
  assert.ok(html.includes(svg));
  // Every "</script" inside the data or the bundles is escaped: the only closing tags are the two script ends.
  assert.equal(html.match(/<\/script>/gi)!.length, 2);
  const lean = embedHTML(spec, svg, { bundles: false });
  assert.equal(lean.match(/<\/script>/gi)!.length, 1);
  assert.ok(lean.length < 20_000, "later charts do not repeat the ~840 kB bundles");
  const embedded = JSON.parse(lean.match(/var spec = (.*);\n/)![1]);
  assert.equal(embedded.width, "container");
  assert.equal(embedded.title, spec.title);
  const concat = { vconcat: [{ width: 300, mark: "point" }], width: 300 };
  assert.equal(containerSpec(concat), concat); // concatenated views keep their fixed widths
});

/** The vega-lite spec rendered headless with parameter `name` set to `value` (as the bound input would). */
async function svgWithParam(spec: Any, name: string, value: unknown): Promise<string> {
  const view = new vega.View(vega.parse(compileToVega(spec) as Any), { renderer: "none" });
  try {
    view.signal(name, value);
    await view.runAsync();
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Line paths drawn in colour (the selected grid point), not in the grey context colour. */
const highlighted = (svg: string) =>
  // An empty mark group is self-closing, so markPaths can run into the next group: keep only line-mark paths.
  markPaths(svg, "line").filter((p) =>
    /aria-roledescription="line mark"/.test(p) && !/stroke="#ccc"/.test(p)
  );

Deno.test("sweepExplorer: a bound input selects the grid point; the filter uses the parameter", async () => {
  const rows: Record<string, number | string>[] = [];
  for (const lr of [0.5, 1, 2, 4]) {
    for (const arm of ["GRPO", "RLOO"]) {
      for (let step = 0; step <= 4; step++) rows.push({ lr, arm, step, acc: lr * step / 16 });
    }
  }
  const chart = sweepExplorer(rows, { param: "lr", y: "acc", color: "arm" });
  const s = chart.spec as Any;
  const name = sweepParamName("lr");
  assert.equal(name, "sweep_lr");
  // Uneven grid → a dropdown listing the grid values, starting at the smallest.
  assert.deepEqual(s.params, [{
    name,
    value: 0.5,
    bind: { input: "select", options: [0.5, 1, 2, 4], name: "lr " },
  }]);
  const filter = s.layer[1].transform[0].filter as string;
  assert.match(filter, /sweep_lr/);
  assert.match(filter, /datum\["lr"\]/);
  // Rendered: 8 grey context lines (4 grid points × 2 arms) and 2 coloured ones for the selected grid point.
  for (const lr of [0.5, 4]) {
    const svg = await svgWithParam(s, name, lr);
    assert.equal(markPaths(svg, "line").filter((p) => /stroke="#ccc"/.test(p)).length, 8);
    assert.equal(highlighted(svg).length, 2);
    assert.match(svg, new RegExp(`>lr = ${lr}<`));
  }
  const a = highlighted(await svgWithParam(s, name, 0.5)).join();
  const b = highlighted(await svgWithParam(s, name, 4)).join();
  assert.notEqual(a, b, "moving the input changes the drawn lines");
  assert.equal(highlighted(await svgWithParam(s, name, 3)).length, 0, "a value off the grid selects nothing");

  // Evenly spaced grid → a slider; its floating-point positions (0.1 + 0.2) still match the grid value 0.3.
  const even = [0.1, 0.2, 0.3].flatMap((p) => [0, 1].map((step) => ({ p, step, acc: p * step })));
  const e = sweepExplorer(even, { param: "p", y: "acc" }).spec as Any;
  assert.equal(e.params[0].bind.input, "range");
  close(e.params[0].bind.step, 0.1, 1e-12);
  assert.equal(e.params[0].bind.min, 0.1);
  assert.equal(e.params[0].bind.max, 0.3);
  assert.equal(highlighted(await svgWithParam(e, "sweep_p", 0.1 + 0.2)).length, 1);
  // Strings → dropdown.
  const named = sweepExplorer([{ est: "grpo", step: 0, acc: 1 }, { est: "rloo", step: 0, acc: 0 }], {
    param: "est",
    y: "acc",
  }).spec as Any;
  assert.deepEqual(named.params[0].bind.options, ["grpo", "rloo"]);
  assert.throws(() => sweepExplorer(rows, { param: "lr", y: "acc", input: "range" }), ConfigError);
  assert.throws(() => sweepExplorer(rows, { param: "nope", y: "acc" }), ConfigError);
  assert.throws(() => sweepExplorer(rows, { param: "lr", y: "acc", initial: 3 }), ConfigError);
  assert.deepEqual(chart.warnings, []);
});

Deno.test("LiveChart: one display id, first shown then updated in place, throttled; silent outside Jupyter", async () => {
  const calls: { bundle: Any; opts: Any }[] = [];
  const fake = { display: (bundle: unknown, opts: unknown) => void calls.push({ bundle, opts }) };
  const live = liveCurve({ x: "step", y: "reward", intervalMs: 60_000, jupyter: fake });
  assert.equal(live.active, true);
  const rows: { step: number; reward: number }[] = [];
  for (let step = 1; step <= 30; step++) {
    rows.push({ step, reward: step / 30 });
    live.update(rows);
  }
  await live.done();
  // First update draws at once; the other 29 fall inside the 60 s interval; done() draws the final 30 rows.
  assert.equal(calls.length, 2);
  assert.equal(calls[0].opts.update, false);
  assert.equal(calls[1].opts.update, true);
  assert.equal(calls[0].opts.display_id, calls[1].opts.display_id);
  assert.equal(calls[0].opts.display_id, live.displayId);
  assert.equal(calls[0].bundle[VEGA_LITE_MIME].data.values.length, 1);
  assert.equal(calls[1].bundle[VEGA_LITE_MIME].data.values.length, 30);
  assert.match(calls[1].bundle["text/html"], /sweetspot-chart/);
  await live.done(); // nothing new: no redraw
  assert.equal(calls.length, 2);
  // Unthrottled: every update is one redraw.
  const each: unknown[] = [];
  const fast = new LiveChart(
    (r: readonly { x: number }[]) => new Chart({ data: { values: [...r] }, mark: "point" }),
    {
      intervalMs: 0,
      jupyter: { display: (b: unknown) => void each.push(b) },
    },
  );
  for (let i = 0; i < 5; i++) fast.update([{ x: i }]);
  await fast.done();
  assert.equal(each.length, 5);
  // Outside Jupyter: inactive, updates are no-ops.
  const off = liveCurve({ y: "reward" });
  assert.equal(off.active, false);
  off.update(rows);
  await off.done();
  assert.equal(off.renders, 0);
  assert.throws(() => new LiveChart((() => null) as Any, { mode: "jupyter" }), ConfigError);
  assert.throws(() => new LiveChart((() => null) as Any, { intervalMs: -1 }), ConfigError);
});
