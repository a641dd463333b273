/// <reference lib="dom" />
/**
 * `deno task browser`: run every notebook in a real browser. Starts the Jupyter Notebook server (Debian's
 * `jupyter-notebook`) on 127.0.0.1 with the Deno kernel and SWEETSPOT_PRESET=smoke, drives headless Chromium
 * (`/usr/bin/chromium --headless=new --no-sandbox`) through puppeteer-core, and for each notebook: runs all
 * cells, waits for the kernel to go idle, checks that no cell shows an error, that every chart rendered as a
 * vega view (an `svg.marks` inside `.vega-embed`), and that moving every bound input (slider / dropdown) changes
 * its chart's rendered content; then saves a screenshot to results/screenshots/<notebook>.png.
 * Notebooks run from a temporary copy beside notebooks/ (same relative imports), so the originals are never
 * saved over. Ends with "N/M notebooks passed in the browser"; exits 1 on any failure. Without Chromium or
 * Jupyter it prints why and skips (exit 0). Usage: `deno task browser [name-filter ...]`.
 *
 * Environment: SWEETSPOT_CHROMIUM (default /usr/bin/chromium), SWEETSPOT_JUPYTER (default /usr/bin/jupyter),
 * SWEETSPOT_BROWSER_TIMEOUT (seconds per notebook, default 600), SWEETSPOT_PRESET (default "smoke").
 */
import { basename, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { ensureKernel, pathWith } from "./nb.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const NB_DIR = join(ROOT, "notebooks");
const SHOT_DIR = join(ROOT, "results", "screenshots");

function isExecutable(path: string): boolean {
  try {
    const st = Deno.statSync(path);
    return st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

function skip(reason: string): never {
  console.log(`deno task browser: skipped: ${reason}`);
  console.log("(CI installs both: apt-get install chromium jupyter-notebook)");
  Deno.exit(0);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolve `p` or reject with `what` after `ms` milliseconds. */
async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, rej) => {
        timer = setTimeout(() => rej(new Error(`${what}: timed out after ${(ms / 1000).toFixed(0)}s`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** A running notebook server. */
interface Server {
  base: string;
  token: string;
  child: Deno.ChildProcess;
  log: string;
}

async function startServer(jupyter: string, preset: string, runtimeDir: string): Promise<Server> {
  const port = freePort();
  const token = crypto.randomUUID().replaceAll("-", "");
  const child = new Deno.Command(jupyter, {
    args: [
      "notebook",
      "--no-browser",
      "--ip=127.0.0.1",
      `--port=${port}`,
      "--port-retries=0",
      `--notebook-dir=${ROOT}`,
      `--NotebookApp.token=${token}`,
      "--NotebookApp.password=",
      "--ContentsManager.allow_hidden=True", // the staged copy lives in a dot-directory
      ...(Deno.uid() === 0 ? ["--allow-root"] : []), // containers and CI often run as root
    ],
    cwd: ROOT,
    env: {
      SWEETSPOT_PRESET: preset,
      NO_COLOR: "1",
      RUST_BACKTRACE: "0",
      PYDEVD_DISABLE_FILE_VALIDATION: "1",
      JUPYTER_RUNTIME_DIR: runtimeDir,
      PATH: pathWith(jupyter),
    },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // Both streams are kept (the last 20 kB) to show when something fails.
  const server = { base: `http://127.0.0.1:${port}`, token, child, log: "" };
  const dec = new TextDecoder();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) server.log = (server.log + dec.decode(chunk)).slice(-20_000);
  };
  pump(child.stdout).catch(() => {});
  pump(child.stderr).catch(() => {});
  const base = server.base;
  const t0 = Date.now();
  let exited = false;
  child.status.then(() => exited = true);
  while (Date.now() - t0 < 60_000 && !exited) {
    try {
      const r = await fetch(`${base}/api/status?token=${token}`);
      await r.body?.cancel();
      if (r.ok) return server;
    } catch { /* not up yet */ }
    await sleep(250);
  }
  throw new Error(
    `jupyter notebook did not answer on ${base} (${exited ? "it exited" : "60 s"}):\n${
      server.log.slice(-3000)
    }`,
  );
}

async function stopServer(s: Server): Promise<void> {
  // Shut kernels down through the API, then the server (SIGTERM, SIGKILL after 10 s).
  try {
    const r = await fetch(`${s.base}/api/sessions?token=${s.token}`);
    for (const sess of (await r.json()) as { id: string }[]) {
      await (await fetch(`${s.base}/api/sessions/${sess.id}?token=${s.token}`, { method: "DELETE" })).body
        ?.cancel();
    }
  } catch { /* server already gone */ }
  try {
    s.child.kill("SIGTERM");
  } catch { /* exited */ }
  const exited = await Promise.race([s.child.status.then(() => true), sleep(10_000).then(() => false)]);
  if (!exited) {
    try {
      s.child.kill("SIGKILL");
    } catch { /* exited */ }
    await s.child.status;
  }
}

/** What one notebook run found. */
interface Result {
  name: string;
  ok: boolean;
  seconds: number;
  problems: string[];
  notes: string[];
}

/** In-page check of the notebook's state (runs in the browser). */
interface PageState {
  running: number;
  idle: boolean;
  codeCells: number;
}

async function runNotebook(
  browser: Browser,
  server: Server,
  stagePath: string,
  timeoutMs: number,
): Promise<Result> {
  const name = basename(stagePath);
  const t0 = performance.now();
  const problems: string[] = [];
  const notes: string[] = [];
  const pageErrors: string[] = [];
  const page: Page = await browser.newPage();
  try {
    await page.setViewport({ width: 1280, height: 1000 });
    page.on("pageerror", (e) => pageErrors.push(String((e as Error).message ?? e).slice(0, 300)));
    const url = `${server.base}/notebooks/${relative(ROOT, stagePath)}?token=${server.token}`;
    await page.goto(url, { waitUntil: "domcontentloaded", timeout: 60_000 });
    await page.waitForFunction(
      // deno-lint-ignore no-explicit-any
      () => (globalThis as any).Jupyter?.notebook?.kernel?.is_connected?.() === true,
      { timeout: 120_000, polling: 250 },
    );
    await page.evaluate(() => {
      // deno-lint-ignore no-explicit-any
      const nb = (globalThis as any).Jupyter.notebook;
      nb.set_autosave_interval(0);
      nb.execute_all_cells();
    });
    // Idle: no cell queued or running ('*' prompt) and the kernel indicator idle, seen twice 1 s apart.
    const state = () =>
      page.evaluate((): PageState => {
        // deno-lint-ignore no-explicit-any
        const nb = (globalThis as any).Jupyter.notebook;
        // deno-lint-ignore no-explicit-any
        const cells = nb.get_cells().filter((c: any) => c.cell_type === "code");
        return {
          // deno-lint-ignore no-explicit-any
          running: cells.filter((c: any) => c.input_prompt_number === "*").length,
          idle: document.querySelector("#kernel_indicator_icon")?.classList.contains("kernel_idle_icon") ??
            false,
          codeCells: cells.length,
        };
      });
    const deadline = Date.now() + timeoutMs;
    let quiet = 0;
    let s = await state();
    while (quiet < 2) {
      if (Date.now() > deadline) {
        problems.push(`kernel still busy after ${timeoutMs / 1000}s (${s.running} cells queued or running)`);
        break;
      }
      await sleep(1000);
      s = await state();
      quiet = s.running === 0 && s.idle ? quiet + 1 : 0;
    }
    notes.push(`${s.codeCells} code cells`);
    // Error outputs (an exception in a cell; queued cells after it are aborted and show no prompt number).
    const errors = await page.evaluate(() =>
      [...document.querySelectorAll(".output_area .output_error")].map((e) =>
        (e.textContent ?? "").trim().split("\n").slice(0, 6).join(" | ").slice(0, 400)
      )
    );
    for (const e of errors) problems.push(`error output: ${e}`);
    const unexecuted = await page.evaluate(() =>
      // deno-lint-ignore no-explicit-any
      (globalThis as any).Jupyter.notebook.get_cells().filter((c: any) =>
        c.cell_type === "code" && c.get_text().trim() !== "" && typeof c.input_prompt_number !== "number"
      ).length
    );
    if (unexecuted > 0 && errors.length === 0) problems.push(`${unexecuted} code cells did not run`);
    // Charts: each .sweetspot-chart must leave "pending" and hold a rendered vega view.
    const chartDeadline = Date.now() + 30_000;
    let charts: { state: string; view: boolean; text: string }[] = [];
    while (true) {
      charts = await page.evaluate(() =>
        [...document.querySelectorAll(".output_area .sweetspot-chart")].map((el) => ({
          state: el.getAttribute("data-sweetspot") ?? "",
          view: el.querySelector(".vega-embed svg.marks, .vega-embed canvas") !== null,
          text: (el.querySelector(".vega-embed svg.marks")?.getAttribute("aria-label") ?? "").slice(0, 80),
        }))
      );
      if (charts.every((c) => c.state !== "pending") || Date.now() > chartDeadline) break;
      await sleep(250);
    }
    const rendered = charts.filter((c) => c.state === "rendered" && c.view).length;
    notes.push(`${rendered}/${charts.length} charts rendered as vega views`);
    if (charts.length === 0) problems.push("no chart output (every notebook shows at least one chart)");
    charts.forEach((c, i) => {
      if (!(c.state === "rendered" && c.view)) {
        problems.push(`chart ${i + 1} not rendered (state "${c.state}")`);
      }
    });
    // Bound inputs: moving each one must change its chart's rendered SVG.
    const moved = await page.evaluate(async () => {
      const out: { chart: number; input: string; changed: boolean }[] = [];
      const charts = [...document.querySelectorAll(".output_area .sweetspot-chart")];
      for (let i = 0; i < charts.length; i++) {
        const controls = [
          ...charts[i].querySelectorAll<HTMLInputElement | HTMLSelectElement>(
            ".vega-bindings input[type=range], .vega-bindings select",
          ),
        ];
        for (const ctl of controls) {
          const marks = () => charts[i].querySelector(".vega-embed svg.marks")?.outerHTML ?? "";
          const before = marks();
          let label: string;
          if (ctl instanceof HTMLSelectElement) {
            ctl.selectedIndex = (ctl.selectedIndex + 1) % ctl.options.length;
            label = `select → ${ctl.value}`;
          } else {
            const target = Number(ctl.value) === Number(ctl.min) ? ctl.max : ctl.min;
            ctl.value = target;
            label = `range → ${target}`;
          }
          ctl.dispatchEvent(new Event("input", { bubbles: true }));
          ctl.dispatchEvent(new Event("change", { bubbles: true }));
          let changed = false;
          for (let t = 0; t < 40 && !changed; t++) {
            await new Promise((r) => setTimeout(r, 100));
            changed = marks() !== before;
          }
          out.push({ chart: i + 1, input: label, changed });
        }
      }
      return out;
    });
    if (moved.length) {
      notes.push(`${moved.filter((m) => m.changed).length}/${moved.length} bound inputs redraw`);
    }
    for (const m of moved) {
      if (!m.changed) {
        problems.push(`chart ${m.chart}: moving its input (${m.input}) did not change the chart`);
      }
    }
    // One full-length screenshot: let the notebook's scroll container grow to its content.
    await page.evaluate(() => {
      // Long outputs are shown in full, not in the notebook's scroll box.
      // deno-lint-ignore no-explicit-any
      for (const c of (globalThis as any).Jupyter.notebook.get_cells()) c.output_area?.unscroll_area?.();
      for (const sel of ["html", "body", "#site"]) {
        const el = document.querySelector<HTMLElement>(sel);
        if (el) Object.assign(el.style, { height: "auto", overflow: "visible" });
      }
    });
    await Deno.mkdir(SHOT_DIR, { recursive: true });
    const shot = join(SHOT_DIR, name.replace(/\.ipynb$/, ".png"));
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.screenshot({
      path: shot,
      clip: { x: 0, y: 0, width: 1280, height: Math.min(Math.max(height, 1000), 16000) },
      captureBeyondViewport: true,
    });
    notes.push(`screenshot ${relative(ROOT, shot)}`);
    for (const e of pageErrors) notes.push(`page error: ${e}`);
  } catch (e) {
    problems.push(`browser: ${(e as Error).message.split("\n")[0]}`);
  } finally {
    await withTimeout(page.close(), 10_000, "closing the page").catch(() => {});
    // Free the kernel before the next notebook.
    try {
      const r = await fetch(`${server.base}/api/sessions?token=${server.token}`);
      for (const sess of (await r.json()) as { id: string }[]) {
        await (await fetch(`${server.base}/api/sessions/${sess.id}?token=${server.token}`, {
          method: "DELETE",
        }))
          .body?.cancel();
      }
    } catch { /* reported by the next notebook */ }
  }
  return { name, ok: problems.length === 0, seconds: (performance.now() - t0) / 1000, problems, notes };
}

async function main() {
  const chromium = Deno.env.get("SWEETSPOT_CHROMIUM") ?? "/usr/bin/chromium";
  const jupyter = Deno.env.get("SWEETSPOT_JUPYTER") ?? "/usr/bin/jupyter";
  if (!isExecutable(chromium)) skip(`no Chromium at ${chromium}`);
  if (!isExecutable(jupyter)) skip(`no Jupyter at ${jupyter}`);
  const probe = await new Deno.Command(jupyter, {
    args: ["notebook", "--version"],
    stdout: "piped",
    stderr: "piped",
  })
    .output().catch(() => null);
  if (!probe || probe.code !== 0) skip(`${jupyter} has no notebook server (install jupyter-notebook)`);
  const preset = Deno.env.get("SWEETSPOT_PRESET") ?? "smoke";
  const timeoutMs = Number(Deno.env.get("SWEETSPOT_BROWSER_TIMEOUT") ?? "600") * 1000;
  const filters = Deno.args;
  const names = [...Deno.readDirSync(NB_DIR)]
    .filter((e) => e.isFile && e.name.endsWith(".ipynb"))
    .map((e) => e.name)
    .filter((n) => !filters.length || filters.some((f) => n.includes(f)))
    .sort();
  if (!names.length) {
    console.error(
      `deno task browser: no notebooks${filters.length ? ` matching ${filters.join(", ")}` : ""}`,
    );
    Deno.exit(1);
  }
  await ensureKernel(jupyter);
  // The copy sits beside notebooks/, so "../mod.ts" and "../results/..." resolve as in the originals.
  const stage = await Deno.makeTempDir({ dir: ROOT, prefix: ".browser-notebooks-" });
  const runtimeDir = await Deno.makeTempDir({ prefix: "sweetspot-jupyter-" });
  for (const n of names) await Deno.copyFile(join(NB_DIR, n), join(stage, n));
  let server: Server | undefined;
  let browser: Browser | undefined;
  const cleanup = async () => {
    if (browser) {
      await withTimeout(browser.close(), 15_000, "closing chromium").catch(() =>
        browser?.process()?.kill("SIGKILL")
      );
    }
    if (server) await stopServer(server);
    await Deno.remove(stage, { recursive: true }).catch(() => {});
    await Deno.remove(runtimeDir, { recursive: true }).catch(() => {});
  };
  const onSignal = () => cleanup().finally(() => Deno.exit(130));
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  const results: Result[] = [];
  try {
    server = await startServer(jupyter, preset, runtimeDir);
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      pipe: true,
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
      ],
      protocolTimeout: 120_000,
    });
    console.log(
      `running ${names.length} notebook(s) in ${await browser.version()} against jupyter notebook at ` +
        `${server.base}, SWEETSPOT_PRESET=${preset}`,
    );
    for (const n of names) {
      const r = await runNotebook(browser, server, join(stage, n), timeoutMs);
      results.push(r);
      console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name} (${r.seconds.toFixed(1)}s) ${r.notes.join("; ")}`);
      for (const p of r.problems) console.error(`     ${p}`);
    }
  } catch (e) {
    console.error(`deno task browser: ${(e as Error).message}`);
    if (server) {
      console.error(server.log.split("\n").slice(-30).join("\n"));
    }
    for (const n of names.slice(results.length)) {
      results.push({ name: n, ok: false, seconds: 0, problems: [(e as Error).message], notes: [] });
    }
  } finally {
    await cleanup();
    Deno.removeSignalListener("SIGINT", onSignal);
    Deno.removeSignalListener("SIGTERM", onSignal);
  }
  const failed = results.filter((r) => !r.ok);
  const total = results.reduce((s, r) => s + r.seconds, 0);
  console.log(
    `\n${results.length - failed.length}/${results.length} notebooks passed in the browser in ${
      total.toFixed(1)
    }s` +
      (failed.length ? `; failed: ${failed.map((r) => r.name).join(", ")}` : ""),
  );
  if (failed.length) Deno.exit(1);
}

if (import.meta.main) await main();
