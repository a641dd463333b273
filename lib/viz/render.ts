/**
 * Headless chart rendering: compile a vega-lite spec with vega-lite 6.5 and render it to SVG with vega 6.4
 * (`renderer: "none"`, no canvas package, a loader that refuses every network or file access).
 */
import * as vl from "vega-lite";
import * as vega from "vega";

/** The vega-lite schema URL every Sweetspot chart declares (v5: the newest JupyterLab renders natively). */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
/** Jupyter mime type for a vega-lite v5 spec (JupyterLab and VS Code render it interactively). */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** A vega-lite spec as plain JSON (inline `data.values`, v5 `$schema`). */
export type VegaLiteSpec = Record<string, unknown>;

/** Compile a vega-lite spec to a vega spec; vega-lite warnings are collected into `warnings` (not printed). */
export function compileToVega(spec: VegaLiteSpec, warnings: string[] = []): Record<string, unknown> {
  const logger = {
    level(_?: number) {
      return logger;
    },
    info(..._a: unknown[]) {
      return logger;
    },
    debug(..._a: unknown[]) {
      return logger;
    },
    warn(...a: unknown[]) {
      warnings.push(a.map(String).join(" "));
      return logger;
    },
    error(...a: unknown[]): never {
      throw new Error(a.map(String).join(" "));
    },
  };
  // Compile a JSON copy: vega tags data objects with Symbol(vega_id), which must not leak into the user's spec.
  const copy = JSON.parse(JSON.stringify(spec));
  // deno-lint-ignore no-explicit-any
  return vl.compile(copy as any, { logger: logger as any }).spec as unknown as Record<string, unknown>;
}

/** A vega loader that refuses all loads: charts carry their data inline and must render offline. */
function offlineLoader() {
  const l = vega.loader();
  const refuse = (uri: string) =>
    Promise.reject(new Error(`sweetspot charts render offline; refusing to load ${JSON.stringify(uri)}`));
  l.load = refuse;
  l.sanitize = refuse;
  return l;
}

/** Helvetica advance widths (AFM, 1/1000 em) of ASCII 32…126; other characters count as a digit (556). */
// deno-fmt-ignore
const HELVETICA = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
  556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
  611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
  667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
  222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/**
 * Text width in px for headless layout: Helvetica's advance widths × 1.1 (room for the wider DejaVu Sans),
 * × 1.07 for bold. Without a canvas vega would take 0.8 em per character, which reserves about half as much
 * room again as text needs and cuts axis labels and titles short.
 */
export function estimateTextWidth(text: string, fontSize: number, bold = false): number {
  let w = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    w += c >= 32 && c <= 126 ? HELVETICA[c - 32] : 556;
  }
  return (w / 1000) * fontSize * 1.1 * (bold ? 1.07 : 1);
}

// deno-lint-ignore no-explicit-any
const metrics = (vega as any).textMetrics as { width: (item: any, text: unknown) => number } | undefined;
if (metrics && typeof metrics.width === "function") {
  // deno-lint-ignore no-explicit-any
  metrics.width = (item: any, text: unknown) => {
    const size = typeof item?.fontSize === "number" ? item.fontSize : 11;
    const weight = item?.fontWeight;
    const bold = weight === "bold" || (typeof weight === "number" && weight >= 600);
    return estimateTextWidth(text == null ? "" : String(text), size, bold);
  };
}

/** Render a vega-lite spec to an SVG string, headless (vega View with `renderer: "none"`). */
export async function renderSVG(spec: VegaLiteSpec, warnings: string[] = []): Promise<string> {
  const vg = compileToVega(spec, warnings);
  // deno-lint-ignore no-explicit-any
  const view = new vega.View(vega.parse(vg as any), { renderer: "none", loader: offlineLoader() });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
