/**
 * `deno task offline-bundle [--out PATH] [--level 0-9]`: one archive (tar + xz, default dist/sweetspot-offline.tar.xz) that
 * runs the bench and a smoke reproduction on a machine with no network and no Deno, such as a GPU node of an
 * air-gapped cluster. It holds, under `sweetspot/`:
 * - `bin/deno`: this Deno binary;
 * - the project's files (tracked and untracked-but-not-ignored, as git lists them);
 * - `node_modules/`: only the npm packages the entry points reach (`deno info` on bench/run.ts, bench/smoke.ts,
 *   scripts/reproduce.ts and mod.ts, closed over each package's own dependency links), with Deno's layout,
 *   without source maps;
 * - `lib/libvulkan.so.1`: the Vulkan loader (used only where the system has none; the GPU driver itself, e.g.
 *   NVIDIA's Vulkan ICD, always comes from the system);
 * - `run.sh`: `tar -xJf sweetspot-offline.tar.xz && sweetspot/run.sh [all|bench|smoke] [--backend NAME]
 *   [--reproduction NAME]` runs the bench (bench/run.ts) and/or the smoke reproduction (bench/smoke.ts) on the
 *   backend (default webgpu) with `--cached-only` and no network permission.
 * Needs git, tar and xz. Fails when the archive exceeds `MAX_BUNDLE_BYTES`.
 */
import { parseArgs } from "node:util";
import { basename, dirname, join, relative, resolve } from "node:path";
import { ConfigError } from "../lib/core/validate.ts";

/** Largest archive accepted: 60 MiB (the target machines take at most 64 MiB of files). */
export const MAX_BUNDLE_BYTES = 60 * 1024 * 1024;

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
/** Entry points whose module graphs decide which npm packages travel. */
const ENTRIES = ["bench/run.ts", "bench/smoke.ts", "scripts/reproduce.ts", "mod.ts"];
const VULKAN = "/usr/lib/x86_64-linux-gnu/libvulkan.so.1";

async function run(cmd: string, args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const out = await new Deno.Command(cmd, { args, cwd: opts.cwd ?? ROOT, env: opts.env, stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** `.deno/<id>` folders of the npm packages the entry points import directly. */
async function rootPackages(): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const entry of ENTRIES) {
    const info = JSON.parse(await run(Deno.execPath(), ["info", "--json", entry]));
    for (const m of info.modules as { specifier: string }[]) {
      const hit = m.specifier.match(/\/node_modules\/\.deno\/([^/]+)\//);
      if (hit) ids.add(decodeURIComponent(hit[1]));
    }
  }
  return ids;
}

/** Close `ids` over the dependency links inside `node_modules/.deno/<id>/node_modules/`. */
function packageClosure(ids: Set<string>): Set<string> {
  const store = join(ROOT, "node_modules", ".deno");
  const seen = new Set<string>();
  const todo = [...ids];
  while (todo.length) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    const nm = join(store, id, "node_modules");
    const links: string[] = [];
    for (const e of Deno.readDirSync(nm)) {
      if (e.name.startsWith("@") && e.isDirectory) {
        for (const s of Deno.readDirSync(join(nm, e.name))) links.push(join(nm, e.name, s.name));
      } else links.push(join(nm, e.name));
    }
    for (const l of links) {
      const rel = relative(store, Deno.realPathSync(l));
      const dep = rel.split("/")[0];
      if (!rel.startsWith("..") && dep !== id) todo.push(dep);
    }
  }
  return seen;
}

/** The run script placed at sweetspot/run.sh. */
const RUN_SH = `#!/bin/sh
# Sweetspot offline bundle: the bench and a smoke reproduction with no network and no installed Deno.
# usage: tar -xJf sweetspot-offline.tar.xz && sweetspot/run.sh [all|bench|smoke] [--backend webgpu|wasm|cpu]
#        [--reproduction NAME]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
what=all
backend=webgpu
reproduction=kae
case "\${1:-}" in all|bench|smoke) what=$1; shift ;; esac
while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=$2; shift 2 ;;
    --reproduction) reproduction=$2; shift 2 ;;
    *) echo "unknown argument $1 (usage: run.sh [all|bench|smoke] [--backend NAME] [--reproduction NAME])" >&2; exit 2 ;;
  esac
done
export PATH="$here/bin:$PATH" DENO_DIR="$here/.deno-dir" DENO_NO_UPDATE_CHECK=1 RUST_BACKTRACE=0 NO_COLOR=1
# The Vulkan loader: the system's when it has one, else the bundled copy (the GPU driver comes from the system).
if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan\\.so\\.1 '; then
  export LD_LIBRARY_PATH="$here/lib\${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
cd "$here"
# No --allow-net: nothing is fetched; --cached-only: Deno must not try to.
flags="--cached-only --no-check --allow-read --allow-write --allow-env --allow-run --allow-ffi --allow-sys"
if [ "$what" = all ] || [ "$what" = bench ]; then
  deno run $flags bench/run.ts --backend "$backend" --rounds 2 --out results/bench.json
fi
if [ "$what" = all ] || [ "$what" = smoke ]; then
  deno run $flags bench/smoke.ts --backend "$backend" --reproduction "$reproduction"
fi
`;

/** Build the archive at `out` (xz preset `level`, 0–9); returns its size in bytes and the npm packages in it. */
export async function buildOfflineBundle(
  out: string,
  level = 6,
): Promise<{ bytes: number; packages: string[] }> {
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new ConfigError("level", "must be 0…9 (xz)", level);
  }
  const stage = await Deno.makeTempDir({ prefix: "sweetspot-bundle-" });
  try {
    const top = join(stage, "sweetspot");
    await Deno.mkdir(join(top, "bin"), { recursive: true });
    await Deno.mkdir(join(top, "lib"), { recursive: true });
    await Deno.copyFile(Deno.execPath(), join(top, "bin", "deno"));
    await Deno.chmod(join(top, "bin", "deno"), 0o755);
    try {
      await Deno.copyFile(Deno.realPathSync(VULKAN), join(top, "lib", "libvulkan.so.1"));
    } catch {
      console.error(`note: ${VULKAN} not found; the bundle relies on the target's Vulkan loader`);
    }
    await Deno.writeTextFile(join(top, "run.sh"), RUN_SH, { mode: 0o755 });
    // Project files as git lists them (tracked, and untracked but not ignored), excluding deleted ones.
    const files = (await run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]))
      .split("\0").filter((f) => f && !f.startsWith("node_modules/"));
    const present = files.filter((f) => {
      try {
        return Deno.statSync(join(ROOT, f)).isFile;
      } catch {
        return false;
      }
    });
    await Deno.writeTextFile(join(stage, "files.txt"), present.join("\n") + "\n");
    await run("tar", ["-cf", join(stage, "project.tar"), "-T", join(stage, "files.txt")]);
    await run("tar", ["-xf", join(stage, "project.tar"), "-C", top]);
    await Deno.remove(join(stage, "project.tar"));
    // The npm packages reached from the entry points, with their dependency links (symlinks kept).
    const ids = packageClosure(await rootPackages());
    const nmFiles = [...ids].map((id) => join("node_modules", ".deno", id));
    for (const e of Deno.readDirSync(join(ROOT, "node_modules"))) {
      const tops = e.name.startsWith("@") && e.isDirectory
        ? [...Deno.readDirSync(join(ROOT, "node_modules", e.name))].map((s) => join(e.name, s.name))
        : [e.name];
      for (const t of tops) {
        const p = join(ROOT, "node_modules", t);
        if (!Deno.lstatSync(p).isSymlink) continue;
        const id = relative(join(ROOT, "node_modules", ".deno"), Deno.realPathSync(p)).split("/")[0];
        if (ids.has(id)) nmFiles.push(join("node_modules", t));
      }
    }
    await Deno.writeTextFile(join(stage, "nm.txt"), nmFiles.join("\n") + "\n");
    // Source maps (about half of the packages' bytes) are for debuggers; nothing at run time reads them.
    await run("tar", ["-cf", join(stage, "nm.tar"), "--exclude=*.map", "-T", join(stage, "nm.txt")]);
    await run("tar", ["-xf", join(stage, "nm.tar"), "-C", top]);
    await Deno.remove(join(stage, "nm.tar"));
    await Deno.mkdir(dirname(resolve(out)), { recursive: true });
    await run("tar", ["-cJf", resolve(out), "-C", stage, "sweetspot"], {
      env: { XZ_OPT: `-${level} -T0` },
    });
    const bytes = Deno.statSync(resolve(out)).size;
    return { bytes, packages: [...ids].sort() };
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "dist/sweetspot-offline.tar.xz" },
      level: { type: "string", default: "6" },
    },
    strict: true,
  });
  const t0 = performance.now();
  const { bytes, packages } = await buildOfflineBundle(values.out!, Number(values.level));
  const mib = (bytes / 2 ** 20).toFixed(1);
  console.log(
    `wrote ${values.out} (${mib} MiB, ${packages.length} npm packages, ` +
      `${((performance.now() - t0) / 1000).toFixed(0)} s); on the target: tar -xJf ${
        basename(values.out!)
      } && sweetspot/run.sh`,
  );
  if (bytes > MAX_BUNDLE_BYTES) {
    throw new ConfigError(
      "offline bundle",
      `must be at most ${MAX_BUNDLE_BYTES / 2 ** 20} MiB`,
      `${mib} MiB`,
    );
  }
}
