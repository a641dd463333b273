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
