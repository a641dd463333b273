/**
 * Misuse of `deno task reproduce` / `deno task sweep` (run under exactly the tasks' permissions): each ends
 * with exit code 2 and one stderr line naming the flag, never a stack trace; `--help` lists every flag the
 * parser accepts; a machine without sbatch gets no line about it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, taskFlags } from "./task_flags.ts";

async function run(task: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...taskFlags(task), join("scripts", `${task}.ts`), ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { RUST_BACKTRACE: "0", ...env },
    clearEnv: env !== undefined,
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Lines of a process's stderr other than the Mesa/Vulkan loader's own environment notices. */
function errorLines(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l.trim() !== "" && !l.includes("XDG_RUNTIME_DIR"));
}

function assertOneLine(res: { code: number; stderr: string }, pattern: RegExp): void {
  const lines = errorLines(res.stderr);
  assert.notEqual(res.code, 0);
  assert.equal(lines.length, 1, `one line expected, got:\n${res.stderr}`);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(res.stderr, /^\s+at /m);
}

const MISUSES: [string, string[], RegExp][] = [
  ["reproduce", ["--out", "../elsewhere"], /--out must be a folder inside results\/.*--out results\/<name>/],
  ["reproduce", ["--out", "/tmp/elsewhere"], /--out must be a folder inside results\//],
  ["reproduce", ["--shared-dir", "/tmp/shared"], /--shared-dir must be a folder inside results\//],
  ["reproduce", ["--collect", "no-such-folder"], /--collect must be a folder holding jobs\.json/],
  ["reproduce", ["--jobs", "0"], /--jobs must be an integer ≥ 1/],
  ["reproduce", ["--seeds"], /--seeds .*argument missing/],
  ["reproduce", ["--bogus"], /bogus.*valid flags: --preset/],
  ["reproduce", ["--preset", "huge"], /--preset must be one of "smoke", "quick", "full"/],
  ["reproduce", ["--executor", "pbs"], /--executor must be one of "local", "slurm"/],
  ["reproduce", ["--backend", "tpu"], /--backend must be one of/],
  ["reproduce", ["no-such-paper"], /reproduction must be one of .*"kae"/],
  ["sweep", ["kae", "--grid", "steps=1", "--out", "../elsewhere"], /--out must be a folder inside results\//],
  ["sweep", [], /reproduction must be exactly one name: deno task sweep <reproduction>/],
  ["sweep", ["--collect", "no-such-folder"], /--collect must be a folder holding jobs\.json/],
];

for (const [task, args, pattern] of MISUSES) {
  Deno.test(`${task} ${args.join(" ")}: one line naming the flag, exit code 2, no stack trace`, async () => {
    const res = await run(task, args);
    assert.equal(res.code, 2);
    assertOneLine(res, pattern);
  });
}

for (const task of ["reproduce", "sweep", "train"]) {
  Deno.test(`${task} --help lists every flag the parser accepts`, async () => {
    const bad = await run(task, ["--bogus"]);
    const accepted = [...(errorLines(bad.stderr)[0].match(/valid flags: (.*?) \(deno task/)?.[1] ?? "")
      .matchAll(/--([a-z-]+)/g)].map((m) => m[1]);
    assert.ok(accepted.length >= 5, `flags found in: ${bad.stderr}`);
    const help = await run(task, ["--help"]);
    assert.equal(help.code, 0);
    const usageLine = help.stdout.split("\n").slice(0, 3).join(" ");
    for (const flag of accepted) {
      assert.match(usageLine, new RegExp(`--${flag}\\b`), `usage line lacks --${flag}`);
    }
  });
}

Deno.test("reproduce on a machine without sbatch prints nothing about it", async () => {
  const bin = await Deno.makeTempDir();
  try {
    await Deno.symlink(Deno.execPath(), join(bin, "deno"));
    const res = await run("reproduce", ["--list"], { PATH: bin, HOME: Deno.env.get("HOME") ?? "/tmp" });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(errorLines(res.stderr).join("\n"), "");
    assert.match(res.stdout, /kae/);
    // Asking for the SLURM executor there ends with one line saying what is missing.
    const out = join("results", `cli-test-${crypto.randomUUID()}`);
    try {
      const slurm = await run(
        "reproduce",
        ["kae", "--preset", "smoke", "--executor", "slurm", "--out", out],
        {
          PATH: bin,
          HOME: Deno.env.get("HOME") ?? "/tmp",
        },
      );
      assert.equal(slurm.code, 2);
      assertOneLine(slurm, /^error: executor slurm needs sbatch on PATH/);
    } finally {
      await Deno.remove(join(ROOT, out), { recursive: true }).catch(() => {});
    }
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("every notebook's first code cell names the setup command when the npm packages are missing", async () => {
  const scratch = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(scratch, "notebooks"));
    for await (const f of Deno.readDir(join(ROOT, "notebooks"))) {
      if (!f.name.endsWith(".ipynb")) continue;
      const nb = JSON.parse(await Deno.readTextFile(join(ROOT, "notebooks", f.name)));
      const first = nb.cells.find((c: { cell_type: string }) => c.cell_type === "code");
      const src = first.source.join("");
      // Imports resolve before a cell runs, so the check cell must hold none.
      assert.doesNotMatch(src, /^\s*import\b/m, f.name);
      // Run the cell as the Deno kernel does (a script, cwd = the notebook's folder): in a clone without
      // node_modules it fails with the command to run; in this checkout it passes silently.
      const evalIn = (cwd: string) =>
        new Deno.Command(Deno.execPath(), { args: ["eval", src], cwd, stdout: "piped", stderr: "piped" })
          .output();
      const missing = await evalIn(join(scratch, "notebooks"));
      assert.notEqual(missing.code, 0, f.name);
      assert.match(new TextDecoder().decode(missing.stderr), /run deno task setup \(or deno task notebook\)/);
      const present = await evalIn(join(ROOT, "notebooks"));
      assert.equal(present.code, 0, `${f.name}: ${new TextDecoder().decode(present.stderr)}`);
      assert.equal(new TextDecoder().decode(present.stdout), "");
    }
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
});

Deno.test("deno task notebook without Jupyter: one line saying what to install", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...taskFlags("notebook"), "scripts/notebook.ts"],
    cwd: ROOT,
    env: { SWEETSPOT_JUPYTER: "/no/such/jupyter" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = errorLines(new TextDecoder().decode(out.stderr));
  assert.equal(out.code, 2);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^error: no Jupyter found .*apt-get install jupyter-notebook/);
});
