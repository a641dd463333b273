/**
 * The one place Sweetspot touches `Deno.jupyter`. In Deno the `jupyter` key exists on `Deno` everywhere, but
 * outside `deno jupyter` reading it throws ("Deno.jupyter is only available in `deno jupyter` subcommand"),
 * so detection reads it inside try/catch and checks for a `display` function.
 */

/** A Jupyter mimebundle: mime type → data. */
export type MimeBundle = Record<string, unknown>;

/** The subset of the Deno kernel API Sweetspot uses. */
export interface JupyterDisplayApi {
  /** `Deno.jupyter.display(bundle, {raw: true, display_id, update})`. */
  display(
    obj: unknown,
    options?: { raw?: boolean; update?: boolean; display_id?: string },
  ): Promise<void> | void;
}

/** The Deno Jupyter kernel API when running inside `deno jupyter`, else undefined (never throws). */
export function jupyterApi(): JupyterDisplayApi | undefined {
  // deno-lint-ignore no-explicit-any
  const d = (globalThis as any).Deno;
  if (d === undefined || d === null) return undefined;
  try {
    const j = d.jupyter;
    return j && typeof j.display === "function" ? j as JupyterDisplayApi : undefined;
  } catch {
    return undefined;
  }
}

/** True inside the Deno Jupyter kernel. */
export function isJupyter(): boolean {
  return jupyterApi() !== undefined;
}
