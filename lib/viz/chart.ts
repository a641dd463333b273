/**
 * `Chart`: a self-contained vega-lite v5 spec that displays itself in Jupyter (one mimebundle with an interactive
 * vega-embed HTML view, the vega-lite spec, a headless-rendered SVG and a text summary) and saves itself as `.svg` + `.html` elsewhere.
 */
import { ConfigError } from "../core/validate.ts";
import { embedHTML } from "./embed.ts";
import { jupyterApi, type MimeBundle } from "./jupyter.ts";
import { applyArmPalette } from "./palette.ts";
import { renderSVG, VEGA_LITE_MIME, VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./render.ts";

/** A vega-lite v5 chart with inline data; `[Symbol.for("Jupyter.display")]` makes it a rich Jupyter output. */
export class Chart {
  /** The vega-lite spec (declares the v5 `$schema`, data inline in `data.values`). */
  readonly spec: VegaLiteSpec;
  /** vega-lite compiler warnings gathered while rendering. */
  readonly warnings: string[] = [];
  #svg: Promise<string> | undefined;

  /**
   * Wrap a vega-lite spec; a missing `$schema` is set to v5, a non-v5 one is rejected. Nominal colour encodings
   * get the arm palette (`applyArmPalette`), so an arm keeps its colour from chart to chart.
   */
  constructor(spec: VegaLiteSpec) {
    if (spec === null || typeof spec !== "object" || Array.isArray(spec)) {
      throw new ConfigError("spec", "must be a vega-lite spec object", spec);
    }
    const schema = spec.$schema;
    if (schema !== undefined && schema !== VEGA_LITE_SCHEMA) {
      throw new ConfigError("spec.$schema", `must be ${JSON.stringify(VEGA_LITE_SCHEMA)} or absent`, schema);
    }
    this.spec = applyArmPalette({ $schema: VEGA_LITE_SCHEMA, ...spec });
  }

  /** The chart title as text ("" when untitled). */
  get title(): string {
    const t = this.spec.title;
    if (typeof t === "string") return t;
    if (t && typeof t === "object" && typeof (t as { text?: unknown }).text === "string") {
      return (t as { text: string }).text;
    }
    return "";
  }

  /** SVG rendered headless by vega (cached). */
  toSVG(): Promise<string> {
    this.#svg ??= renderSVG(this.spec, this.warnings);
    return this.#svg;
  }

  /** Standalone HTML: the SVG inline (shows offline) plus the vega-lite spec as embedded JSON. */
  async toHTML(): Promise<string> {
    const svg = await this.toSVG();
    const json = JSON.stringify(this.spec).replace(/</g, "\\u003c");
    const title = escapeHtml(this.title || "Sweetspot chart");
    return `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>${title}</title>\n` +
      `<style>body{font-family:sans-serif;margin:1.5em}figure{margin:0}</style>\n</head>\n<body>\n` +
      `<figure>\n${svg}\n</figure>\n` +
      `<script type="application/json" id="vega-lite-spec">${json}</script>\n</body>\n</html>\n`;
  }

  /** One-line text summary, used as the `text/plain` output. */
  toString(): string {
    const rows = countRows(this.spec);
    return `Chart${this.title ? ` "${this.title}"` : ""} (vega-lite v5, ${rows} data rows)`;
  }

  /**
   * Jupyter mimebundle: interactive HTML (a vega-embed view over the SVG fallback, see `embedHTML`), the vega-lite
   * v5 spec, the SVG (for static viewers) and text.
   */
  async mimeBundle(): Promise<MimeBundle> {
    const svg = await this.toSVG();
    return {
      "text/html": embedHTML(this.spec, svg),
      [VEGA_LITE_MIME]: this.spec,
      "image/svg+xml": svg,
      "text/plain": this.toString(),
    };
  }

  /** Deno kernel hook: a cell whose value is a Chart shows its mimebundle. */
  [Symbol.for("Jupyter.display")](): Promise<MimeBundle> {
    return this.mimeBundle();
  }
}

function countRows(spec: unknown): number {
  if (spec === null || typeof spec !== "object") return 0;
  let n = 0;
  const s = spec as Record<string, unknown>;
  const data = s.data as { values?: unknown } | undefined;
  if (data && Array.isArray(data.values)) n += data.values.length;
  for (const k of ["layer", "vconcat", "hconcat", "concat"]) {
    const sub = s[k];
    if (Array.isArray(sub)) { for (const x of sub) n += countRows(x); }
  }
  return n;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function asChart(chart: Chart | VegaLiteSpec): Chart {
  return chart instanceof Chart ? chart : new Chart(chart);
}

/** Paths written by `saveChart`. */
export interface SavedChart {
  /** Path of the `.svg` file. */
  svg: string;
  /** Path of the `.html` file. */
  html: string;
}

/** Write `<dir>/<name>.svg` and `<dir>/<name>.html` (creating dir); returns the paths. */
export async function saveChart(chart: Chart | VegaLiteSpec, dir: string, name: string): Promise<SavedChart> {
  if (typeof name !== "string" || !/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new ConfigError("name", "must be a file stem of letters, digits, '.', '_' or '-'", name);
  }
  const c = asChart(chart);
  await Deno.mkdir(dir, { recursive: true });
  const base = `${dir.replace(/\/+$/, "")}/${name}`;
  const out = { svg: `${base}.svg`, html: `${base}.html` };
  await Deno.writeTextFile(out.svg, await c.toSVG());
  await Deno.writeTextFile(out.html, await c.toHTML());
  return out;
}

/** Options for `display`. */
export interface DisplayOptions {
  /** Outside Jupyter: directory for the .svg/.html files (default "results/charts"). */
  dir?: string;
  /** Outside Jupyter: file stem (default: the title slugified, else "chart-<n>"). */
  name?: string;
}

let unnamed = 0;

/**
 * Show a chart: in the Deno Jupyter kernel one rich output (vega-lite v5 + SVG + text) and `undefined` (so the
 * cell prints nothing more); elsewhere it writes `<dir>/<name>.svg|.html` and returns their paths.
 */
export async function display(
  chart: Chart | VegaLiteSpec,
  options: DisplayOptions = {},
): Promise<SavedChart | undefined> {
  const c = asChart(chart);
  const api = jupyterApi();
  if (api) {
    await api.display(await c.mimeBundle(), { raw: true });
    return undefined;
  }
  const slug = c.title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 60);
  const name = options.name ?? (slug || `chart-${++unnamed}`);
  return await saveChart(c, options.dir ?? "results/charts", name);
}
