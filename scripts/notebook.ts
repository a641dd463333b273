/**
 * `deno task notebook [jupyter arguments…]`: open the notebooks on a fresh clone. The task installs the npm
 * packages first (`deno task setup`); this script registers the Deno kernel (`deno jupyter --install`, redone
 * when it points at another deno binary) and starts Jupyter on notebooks/ — JupyterLab when it is installed,
 * else Jupyter Notebook. SWEETSPOT_JUPYTER picks the jupyter executable (default: `jupyter` on PATH).
 */
import { ensureKernel } from "./nb.ts";

const INSTALL =
  "install Jupyter (Debian/Ubuntu: sudo apt-get install jupyter-notebook; or: pip install jupyterlab), " +
  "or set SWEETSPOT_JUPYTER=/path/to/jupyter";

/** Exit code of `cmd args` with its output discarded (127 when it cannot start). */
async function probe(cmd: string, args: string[]): Promise<number> {
  try {
    return (await new Deno.Command(cmd, { args, stdout: "null", stderr: "null" }).output()).code;
  } catch {
    return 127;
  }
}

async function main(): Promise<void> {
  const jupyter = Deno.env.get("SWEETSPOT_JUPYTER") ?? "jupyter";
  const app = (await probe(jupyter, ["lab", "--version"])) === 0
    ? "lab"
    : (await probe(jupyter, ["notebook", "--version"])) === 0
    ? "notebook"
    : null;
  if (app === null) {
    console.error(`error: no Jupyter found (${jupyter} lab / ${jupyter} notebook did not run): ${INSTALL}`);
    Deno.exit(2);
  }
  await ensureKernel(jupyter);
  console.log(`starting ${jupyter} ${app} on notebooks/ (pick the Deno kernel; Ctrl-C stops the server)`);
  const child = new Deno.Command(jupyter, {
    // Jupyter refuses to start as root (containers) unless told to.
    args: [app, "--notebook-dir=notebooks", ...(Deno.uid() === 0 ? ["--allow-root"] : []), ...Deno.args],
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  Deno.exit((await child.status).code);
}

if (import.meta.main) await main();
