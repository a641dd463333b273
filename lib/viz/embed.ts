/**
 * Interactive chart HTML for notebooks: a vega-embed view (tooltips, bound inputs, zoom/pan) over the chart's
 * vega-lite spec, with the headless SVG inside as the fallback that stays visible wherever scripts do not run.
 * vega, vega-lite and vega-embed come from the installed npm packages (their bundled `build/*.min.js`), inlined
 * into the first chart HTML of a session; never from a CDN.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { VegaLiteSpec } from "./render.ts";

/** Bundled browser builds inlined into the page, in load order (vega-embed needs vega and vega-lite). */
export const VEGA_BROWSER_BUNDLES = [
  "vega/build/vega.min.js",
  "vega-lite/build/vega-lite.min.js",
  "vega-embed/build/vega-embed.min.js",
] as const;

const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
let bundleCache: string | null | undefined;
let bundlesSent = false;

/**
 * The three browser bundles as one inline script, or null when they are not installed. Each bundle runs with
 * `define`, `exports` and `module` shadowed, so a page with require.js (the classic notebook) still gets
 * `window.vega`, `window.vegaLite` and `window.vegaEmbed` instead of an anonymous-define error.
 */
export function vegaBundleScript(): string | null {
  if (bundleCache !== undefined) return bundleCache;
  try {
    const parts = VEGA_BROWSER_BUNDLES.map((p) => Deno.readTextFileSync(join(ROOT, "node_modules", p)));
    bundleCache = parts.map((src) =>
      `(function (define, exports, module) {\n${
        src.replace(/<\/script/gi, "<\\/script")
      }\n}).call(globalThis);`
    ).join("\n");
  } catch {
    bundleCache = null;
  }
  return bundleCache;
}

/** Options for `embedHTML`. */
export interface EmbedOptions {
  /** Inline the vega bundles: "auto" (first chart of this process only), true or false (default "auto"). */
  bundles?: boolean | "auto";
}

/** The spec as shown in HTML: a single view with a fixed width fills the output width (`width: "container"`). */
export function containerSpec(spec: VegaLiteSpec): VegaLiteSpec {
  const concat = ["vconcat", "hconcat", "concat", "facet", "repeat"].some((k) => k in spec);
  if (concat || typeof spec.width !== "number") return spec;
  return { ...spec, width: "container", autosize: { type: "fit-x", contains: "padding" } };
}

let embedCounter = 0;

/**
 * HTML for a notebook output: `<div class="sweetspot-chart">` holding the SVG fallback and a vega-embed target,
 * then a script that renders the spec with vega-embed (SVG renderer, tooltips) once `window.vegaEmbed` exists
 * (waiting up to 20 s for an earlier output to load it) and hides the fallback; on failure the fallback stays.
 */
export function embedHTML(spec: VegaLiteSpec, svg: string, options: EmbedOptions = {}): string {
  const id = `sweetspot-chart-${Date.now().toString(36)}-${++embedCounter}`;
  const want = options.bundles ?? "auto";
  const bundle = want === false || (want === "auto" && bundlesSent) ? null : vegaBundleScript();
  if (bundle && want === "auto") bundlesSent = true;
  const json = JSON.stringify(containerSpec(spec)).replace(/</g, "\\u003c");
  const boot = `(function () {
  var root = document.getElementById(${JSON.stringify(id)});
  if (!root) return;
  var target = root.querySelector(".sweetspot-view"), fallback = root.querySelector(".sweetspot-fallback");
  var spec = ${json};
  var t0 = Date.now();
  function go() {
    if (typeof window.vegaEmbed !== "function") {
      if (Date.now() - t0 < 20000) return setTimeout(go, 100);
      root.setAttribute("data-sweetspot", "no-vega");
      return;
    }
    window.vegaEmbed(target, spec, { renderer: "svg", tooltip: true, actions: { export: true, source: false, compiled: false, editor: false } })
      .then(function (res) {
        fallback.style.display = "none";
        root.setAttribute("data-sweetspot", "rendered");
        root.sweetspotView = res.view;
      })
      .catch(function (e) { root.setAttribute("data-sweetspot", "error: " + e); target.style.display = "none"; });
  }
  go();
})();`;
  return `<div class="sweetspot-chart" id="${id}" data-sweetspot="pending" style="width:100%">` +
    `<div class="sweetspot-view" style="width:100%"></div>` +
    `<div class="sweetspot-fallback">${svg}</div></div>\n` +
    (bundle ? `<script>${bundle}</script>\n` : "") +
    `<script>${boot}</script>\n`;
}
