/**
 * `deno task offline-bundle`: the archive is at most 60 MiB, and unpacked into an empty folder it runs a smoke
 * reproduction with no network on the cpu and wasm backends, using only what it carries (its own Deno, npm
 * packages and project files). The network is removed with `unshare -n` (a new network namespace with no
 * interfaces but loopback) where this process may create one (root); elsewhere HTTP(S) proxies point at a closed
 * port, so a fetch fails instead. Deno runs with `--cached-only` and an empty DENO_DIR inside the bundle. The
 * archive is built here at xz preset 1 (fast; bigger than the default preset 6), so its size bounds the
 * default's.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { buildOfflineBundle, MAX_BUNDLE_BYTES } from "../scripts/offline_bundle.ts";

async function sh(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  };
}

Deno.test("offline bundle: ≤ 60 MiB, unpacks into an empty folder and runs a smoke reproduction without network", async () => {
  const dir = await Deno.makeTempDir({ prefix: "sweetspot-offline-" });
  try {
    const archive = join(dir, "sweetspot-offline.tar.xz");
    const { bytes, packages } = await buildOfflineBundle(archive, 1);
    console.log(`archive ${(bytes / 2 ** 20).toFixed(1)} MiB (xz -1), ${packages.length} npm packages`);
    assert.ok(bytes <= MAX_BUNDLE_BYTES, `${bytes} bytes > ${MAX_BUNDLE_BYTES}`);
    assert.ok(packages.some((p) => p.startsWith("@tensorflow+tfjs-core@")), "tfjs travels");
    assert.ok(!packages.some((p) => p.startsWith("puppeteer-core@")), "the browser test driver does not");
    const target = join(dir, "target");
    await Deno.mkdir(target);
    const untar = await sh("tar", ["-xJf", archive, "-C", target]);
    assert.equal(untar.code, 0, untar.text);
    const runSh = join(target, "sweetspot", "run.sh");
    const isolated = (await sh("unshare", ["-n", "true"])).code === 0;
    console.log(
      isolated ? "network: none (unshare -n)" : "network: proxies at a closed port (unshare -n not allowed)",
    );
    const env = {
      PATH: "/usr/bin:/bin", // the bundle puts its own deno first
      HOME: target,
      ...(isolated ? {} : { HTTP_PROXY: "http://127.0.0.1:9", HTTPS_PROXY: "http://127.0.0.1:9" }),
    };
    for (const backend of ["wasm", "cpu"]) {
      const args = [runSh, "smoke", "--backend", backend, "--reproduction", "rover"];
      const r = isolated ? await sh("unshare", ["-n", ...args], env) : await sh(args[0], args.slice(1), env);
      assert.equal(r.code, 0, `${backend}: ${r.text}`);
      assert.match(r.text, new RegExp(`rover smoke on ${backend}: [1-9]\\d* rows`), r.text);
      if (backend === "wasm") assert.match(r.text, /kernels: /);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
