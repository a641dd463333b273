/**
 * `deno task nb`: execute every notebook in notebooks/ headlessly with the real Deno Jupyter kernel
 * (`jupyter nbconvert --execute`), with SWEETSPOT_PRESET=smoke, writing executed copies to results/notebooks/.
 * First checks every markdown cell for typed result numbers (scripts/notebook_prose.ts) and fails naming the
 * notebook, cell and line; then fails (exit 1) on any cell error, showing the failing cell's error, and checks that
 * each executed notebook, and the stored copy `--write` would keep, holds at least one chart (`image/svg+xml` or
 * `image/png`). Usage: `deno task nb [--write] [name-filter | path.ipynb ...]`.
 *
 * `--write` (alias `--in-place`): after a notebook passes, store its executed copy back into notebooks/, outputs
 * included, so GitHub and nbviewer show the charts inline. The stored copy keeps each chart's `image/svg+xml`,
 * its vega-lite spec and `text/plain`, and drops the `text/html` view (the same SVG again plus the inlined vega
 * bundles and a boot script, which static viewers do not run anyway) and nbclient's per-cell timing metadata.
 * It prints the stored size of each notebook. Regenerate the committed notebooks from the published run with
 * `SWEETSPOT_PRESET=quick deno task nb --write`; the result cells read docs/results/<name>/claims.json whatever
 * the preset.
 *
 * Environment: SWEETSPOT_JUPYTER (jupyter executable; default /usr/bin/jupyter, then `jupyter` on PATH — a
 * pyenv python on PATH often lacks nbclient), SWEETSPOT_NB_TIMEOUT (seconds per cell, default 600),
 * SWEETSPOT_PRESET (default "smoke").
 */
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { proseFindings } from "./notebook_prose.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const NB_DIR = join(ROOT, "notebooks");
const OUT_DIR = join(ROOT, "results", "notebooks");

const INSTALL_HELP = `
To execute notebooks, install Jupyter (nbconvert + nbclient) and register Deno's kernel:

  Debian/Ubuntu:
    sudo apt-get update
    sudo apt-get install -y --no-install-recommends \\
      jupyter-nbconvert python3-nbclient jupyter-client jupyter-core python3-ipykernel
    deno jupyter --install

  Or with pip:
    python3 -m pip install nbconvert nbclient ipykernel && deno jupyter --install

Set SWEETSPOT_JUPYTER=/path/to/jupyter to use a specific installation.`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): Promise<Run> {
  try {
    const out = await new Deno.Command(cmd, { args, env, cwd, stdout: "piped", stderr: "piped" }).output();
    const dec = new TextDecoder();
    return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
  } catch (e) {
    return { code: 127, stdout: "", stderr: (e as Error).message };
  }
}

function existsFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function fail(message: string, code = 1): never {
  console.error(`deno task nb: ${message}`);
  Deno.exit(code);
}

/** A jupyter executable whose nbconvert can execute notebooks. */
export async function findJupyter(): Promise<string> {
  const chosen = Deno.env.get("SWEETSPOT_JUPYTER");
  const candidates = chosen ? [chosen] : ["/usr/bin/jupyter", "jupyter"];
  const tried: string[] = [];
  for (const c of candidates) {
    const v = await run(c, ["nbconvert", "--version"]);
    if (v.code !== 0) {
      tried.push(`${c}: ${(v.stderr.trim().split("\n").pop() || `exit ${v.code}`).slice(0, 160)}`);
      continue;
    }
    // nbconvert --execute needs nbclient; use the python that runs this jupyter.
    const head = await Deno.readTextFile(await resolveExecutable(c)).catch(() => "");
    const py = head.startsWith("#!") ? head.slice(2, head.indexOf("\n")).trim().split(/\s+/)[0] : "python3";
    const nbc = await run(py, ["-c", "import nbclient"]);
    if (nbc.code !== 0) {
      tried.push(`${c}: its python (${py}) cannot import nbclient`);
      continue;
    }
    return c;
  }
  fail(`no usable Jupyter found (tried: ${tried.join("; ")}).\n${INSTALL_HELP}`, 2);
}

async function resolveExecutable(cmd: string): Promise<string> {
  if (cmd.includes("/")) return cmd;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    const p = join(dir, cmd);
    try {
      if ((await Deno.stat(p)).isFile) return p;
    } catch { /* next */ }
  }
  return cmd;
}

/** Make sure the "deno" kernelspec exists and points at this deno binary; (re)install it if not. */
export async function ensureKernel(jupyter: string): Promise<string> {
  const list = await run(jupyter, ["kernelspec", "list", "--json"]);
  let argv0: string | undefined;
  try {
    argv0 = JSON.parse(list.stdout).kernelspecs?.deno?.spec?.argv?.[0];
  } catch { /* treat as missing */ }
  const exe = Deno.execPath();
  let ok = false;
  if (argv0) {
    try {
      ok = (await Deno.realPath(argv0)) === (await Deno.realPath(exe));
    } catch { /* stale path */ }
  }
  if (!ok) {
    console.log(
      argv0
        ? `deno kernelspec points at ${argv0}, not ${exe}: reinstalling (deno jupyter --install --force)`
        : "no deno kernelspec: installing it (deno jupyter --install)",
    );
    const inst = await run(exe, ["jupyter", "--install", "--force"], { PATH: pathWith(jupyter) });
    if (inst.code !== 0) fail(`deno jupyter --install failed:\n${inst.stderr}${INSTALL_HELP}`, 2);
  }
  return argv0 && ok ? argv0 : exe;
}

/** PATH with the chosen jupyter's directory first (deno jupyter --install calls `jupyter`). */
export function pathWith(jupyter: string): string {
  const path = Deno.env.get("PATH") ?? "";
  return jupyter.includes("/") ? `${dirname(jupyter)}:${path}` : path;
}

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}
interface Cell {
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
  metadata?: Record<string, unknown>;
}
interface Notebook {
  cells: Cell[];
  [key: string]: unknown;
}

/** MIME types a static viewer (GitHub, nbviewer) renders as a chart. */
const CHART_MIMES = ["image/svg+xml", "image/png"];

/** Number of outputs that carry a chart image. */
export function chartOutputs(nb: Notebook): number {
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) => CHART_MIMES.some((m) => o.data?.[m])).length;
}

/**
 * The copy of an executed notebook kept in notebooks/ (`--write`): a chart output keeps its image, vega-lite spec
 * and text but drops `text/html` (the same SVG again plus the vega bundles and a script static viewers do not
 * run); nbclient's per-cell `execution` timing metadata is dropped. Everything else is kept as executed.
 */
export function storedCopy(nb: Notebook): Notebook {
  const cells = nb.cells.map((c) => {
    const { execution: _, ...metadata } = c.metadata ?? {};
    const out: Cell = { ...c, metadata };
    if (c.outputs) {
      out.outputs = c.outputs.map((o) => {
        if (!o.data || !CHART_MIMES.some((m) => o.data?.[m]) || !("text/html" in o.data)) return o;
        const { "text/html": _html, ...data } = o.data;
        return { ...o, data };
      });
    }
    return out;
  });
  return { ...nb, cells };
}

function stripAnsi(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
}

/** The part of nbconvert's stderr that shows the failing cell and its error. */
function cellError(stderr: string): string {
  const text = stripAnsi(stderr);
  const at = text.indexOf("An error occurred while executing the following cell");
  if (at >= 0) return text.slice(at).trim();
  const lines = text.split("\n").filter((l) =>
    !/Debugger warning|frozen modules|PYDEVD|Xfrozen|Debugging will/.test(l)
  );
  return lines.slice(-40).join("\n").trim();
}

interface Result {
  name: string;
  ok: boolean;
  seconds: number;
  message: string;
}

async function execute(
  jupyter: string,
  path: string,
  preset: string,
  timeout: string,
  write: boolean,
): Promise<Result> {
  const name = basename(path);
  const t0 = performance.now();
  const r = await run(jupyter, [
    "nbconvert",
    "--to",
    "notebook",
    "--execute",
    `--ExecutePreprocessor.timeout=${timeout}`,
    "--ExecutePreprocessor.kernel_name=deno",
    "--output-dir",
    OUT_DIR,
    "--output",
    name,
    path,
  ], {
    SWEETSPOT_PRESET: preset,
    NO_COLOR: "1",
    RUST_BACKTRACE: "0",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    PATH: pathWith(jupyter),
  }, dirname(path));
  const seconds = (performance.now() - t0) / 1000;
  if (r.code !== 0) return { name, ok: false, seconds, message: cellError(r.stderr) };
  const outPath = join(OUT_DIR, name);
  const nb = JSON.parse(await Deno.readTextFile(outPath)) as Notebook;
  let svg = 0, vl = 0, errors = 0;
  const errorTexts: string[] = [];
  for (const cell of nb.cells) {
    for (const o of cell.outputs ?? []) {
      if (o.output_type === "error") {
        errors++;
        errorTexts.push(`${o.ename}: ${o.evalue}`);
      }
      if (o.data?.["image/svg+xml"]) svg++;
      if (Object.keys(o.data ?? {}).some((k) => k.startsWith("application/vnd.vegalite"))) vl++;
    }
  }
  const codeCells = nb.cells.filter((c) => c.cell_type === "code").length;
  if (errors > 0) return { name, ok: false, seconds, message: `error outputs: ${errorTexts.join("; ")}` };
  if (svg === 0) {
    return {
      name,
      ok: false,
      seconds,
      message: "no image/svg+xml output (every notebook must show a chart)",
    };
  }
  const stored = storedCopy(nb);
  if (chartOutputs(stored) === 0) {
    return {
      name,
      ok: false,
      seconds,
      message: "the stored copy keeps no chart image (image/svg+xml or image/png)",
    };
  }
  let written = "";
  if (write) {
    const text = JSON.stringify(stored, null, 1) + "\n";
    await Deno.writeTextFile(path, text);
    const executedBytes = (await Deno.stat(outPath)).size;
    written = `; stored ${relative(ROOT, path)} (${kib(text.length)}, executed copy ${kib(executedBytes)})`;
  }
  return {
    name,
    ok: true,
    seconds,
    message: `${codeCells} code cells, ${svg} SVG + ${vl} vega-lite outputs → ${
      relative(ROOT, outPath)
    }${written}`,
  };
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(0)} KiB`;
}

async function main() {
  const write = Deno.args.some((a) => a === "--write" || a === "--in-place");
  const unknown = Deno.args.filter((a) => a.startsWith("--") && a !== "--write" && a !== "--in-place");
  if (unknown.length) {
    fail(
      `unknown flag ${unknown.join(", ")}; usage: deno task nb [--write] [name-filter | path.ipynb ...]`,
      2,
    );
  }
  const filters = Deno.args.filter((a) => !a.startsWith("--"));
  const preset = Deno.env.get("SWEETSPOT_PRESET") ?? "smoke";
  const timeout = Deno.env.get("SWEETSPOT_NB_TIMEOUT") ?? "600";
  const notebooks: string[] = [];
  // Arguments naming existing .ipynb files run those; other arguments filter notebooks/ by name.
  const files = filters.filter((f) => f.endsWith(".ipynb") && existsFile(f));
  const names = filters.filter((f) => !files.includes(f));
  for (const f of files) notebooks.push(resolve(f));
  if (names.length || !files.length) {
    for await (const e of Deno.readDir(NB_DIR)) {
      if (e.isFile && e.name.endsWith(".ipynb") && (!names.length || names.some((f) => e.name.includes(f)))) {
        notebooks.push(join(NB_DIR, e.name));
      }
    }
  }
  notebooks.sort();
  if (notebooks.length === 0) {
    fail(`no notebooks${filters.length ? ` matching ${filters.join(", ")}` : ""} in ${NB_DIR}`);
  }
  // Typed result numbers in markdown fail before anything runs (results are rendered from published files).
  const prose: string[] = [];
  for (const nb of notebooks) {
    const parsed = JSON.parse(await Deno.readTextFile(nb)) as Notebook;
    for (const f of proseFindings(parsed)) {
      prose.push(`${relative(ROOT, nb)} cell ${f.cell} line ${f.line} [${f.rule}]: ${f.text}`);
    }
  }
  if (prose.length) {
    fail(
      `markdown states results (render them from docs/results/<name>/claims.json instead):\n  ${
        prose.join("\n  ")
      }`,
    );
  }
  const jupyter = await findJupyter();
  const kernel = await ensureKernel(jupyter);
  await Deno.mkdir(OUT_DIR, { recursive: true });
  console.log(
    `executing ${notebooks.length} notebook(s) with ${jupyter} nbconvert, kernel deno (${kernel}), ` +
      `SWEETSPOT_PRESET=${preset}`,
  );
  const results: Result[] = [];
  for (const nb of notebooks) {
    const r = await execute(jupyter, nb, preset, timeout, write);
    results.push(r);
    console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name} (${r.seconds.toFixed(1)}s) ${r.ok ? r.message : ""}`);
    if (!r.ok) console.error(r.message.replace(/^/gm, "     ") + "\n");
  }
  const failed = results.filter((r) => !r.ok);
  const total = results.reduce((s, r) => s + r.seconds, 0);
  console.log(
    `\n${results.length - failed.length}/${results.length} notebooks passed in ${total.toFixed(1)}s` +
      (failed.length ? `; failed: ${failed.map((r) => r.name).join(", ")}` : ""),
  );
  if (failed.length) Deno.exit(1);
}

if (import.meta.main) await main();
