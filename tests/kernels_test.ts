/**
 * Kernel sets (lib/core/blas.ts): selection and its errors, the OpenBLAS core-type pin (checked on the
 * library's own `openblas_get_corename()` and on the bits of a matmul), inheritance by child processes, the
 * notice when OpenBLAS cannot be opened, and run-to-run bit-identity of training losses on the default
 * kernels, on the pure-wasm kernels and at 2 BLAS threads. Each run is a fresh `deno` process
 * (tests/kernels_run.ts), so identity is between processes, not within one.
 */
import assert from "node:assert/strict";
import { ConfigError } from "../lib/core/validate.ts";
import {
  cpuInfo,
  describeKernelSet,
  type KernelSet,
  nativeBlasAvailable,
  PINNED_CORE_TYPE,
  selectKernels,
} from "../lib/core/blas.ts";
import { useBackend } from "../lib/core/backend.ts";

const RUN = new URL("./kernels_run.ts", import.meta.url).pathname;
const blas = nativeBlasAvailable();
const flags = cpuInfo().flags;
const hasAvx2 = Boolean(flags?.has("avx2") && flags.has("fma"));

/** Run tests/kernels_run.ts in a fresh process with `env` changes (undefined deletes) and return its JSON. */
async function run(
  args: string[],
  env: Record<string, string | undefined> = {},
  perms = ["-A"],
): Promise<{ kernelSet: KernelSet; [k: string]: unknown }> {
  const base = Deno.env.toObject();
  for (const k of ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "SWEETSPOT_KERNELS"]) delete base[k];
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, RUN, ...args],
    env: base,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]);
}

Deno.test("kernels: bad names throw a ConfigError naming the field and the allowed sets", async () => {
  assert.throws(
    () => selectKernels("blas" as never),
    (e: Error) =>
      e instanceof ConfigError && /^kernels must be one of "openblas", "wasm" \(got "blas"\)/.test(e.message),
  );
  await assert.rejects(() => useBackend("wasm", { blasThreads: 0 }), /^ConfigError: blasThreads must be/);
  await assert.rejects(() => useBackend("wasm", { blasThreads: 1.5 }), /blasThreads must be an integer/);
});

Deno.test({
  name: "kernels: OPENBLAS_CORETYPE is pinned before the library opens, and child processes inherit it",
  ignore: !blas.available || !hasAvx2,
  fn: async () => {
    // No OPENBLAS_CORETYPE in the environment: the pin must take effect, as the library itself reports.
    // Worker-like permissions (no --allow-env, no --allow-all): the pin goes through libc.
    const pinned = await run(["--matmul", "--child-env", "--kernels", "openblas"], {}, [
      "--allow-read",
      "--allow-ffi",
      "--allow-run=/usr/bin/env",
    ]);
    assert.equal(pinned.kernelSet.coreType, PINNED_CORE_TYPE);
    assert.match(pinned.kernelSet.coreTypePin, /^pinned OPENBLAS_CORETYPE=Haswell/);
    assert.match(pinned.kernelSet.openblas!, /OpenBLAS \d+\.\d+\.\d+/);
    assert.deepEqual(pinned.childEnv, { OPENBLAS_CORETYPE: PINNED_CORE_TYPE, SWEETSPOT_KERNELS: "openblas" });
    assert.match(
      describeKernelSet(pinned.kernelSet),
      /^openblas \(OpenBLAS .*core Haswell.*1 BLAS thread\)$/,
    );
    // The same bits as a process whose user asked for Haswell kernels explicitly: the pin is the kernel choice.
    const asked = await run(["--matmul"], { OPENBLAS_CORETYPE: PINNED_CORE_TYPE });
    assert.match(asked.kernelSet.coreTypePin, /from the environment/);
    assert.equal(pinned.matmulHash, asked.matmulHash);
    // A user's choice is respected, and another core type's kernels round differently (what the pin removes).
    const other = await run(["--matmul"], { OPENBLAS_CORETYPE: "Sandybridge" });
    assert.equal(other.kernelSet.coreType, "Sandybridge");
    assert.notEqual(other.matmulHash, pinned.matmulHash);
  },
});

Deno.test({
  name: "kernels: without --allow-ffi the wasm kernels run and a one-line notice names the fix",
  fn: async () => {
    const r = await run(["--matmul"], {}, ["--allow-read", "--allow-env"]);
    assert.equal(r.kernelSet.selected, "openblas");
    assert.equal(r.kernelSet.kernels, "wasm");
    assert.match(r.kernelSet.notice!, /apt-get install libopenblas0/);
    assert.doesNotMatch(r.kernelSet.notice!, /\n/);
    // SWEETSPOT_KERNELS selects the set for processes (workers) that do not choose one themselves.
    const w = await run(["--matmul"], { SWEETSPOT_KERNELS: "wasm" });
    assert.equal(w.kernelSet.kernels, "wasm");
    assert.equal(w.kernelSet.notice, null);
  },
});

Deno.test({
  name: "kernels: training losses are bit-identical run to run (default kernels, pure wasm, 2 BLAS threads)",
  fn: async () => {
    const configs: [string, string[]][] = [["default", []], ["wasm", ["--kernels", "wasm"]]];
    if (blas.available) configs.push(["2 threads", ["--threads", "2"]]);
    const results: Record<string, unknown[]> = {};
    for (const [name, args] of configs) {
      const a = await run(args), b = await run(args);
      assert.ok((a.sftLosses as number[]).every(Number.isFinite), `${name}: finite losses`);
      assert.deepEqual(b.sftLosses, a.sftLosses, `${name}: SFT losses run to run`);
      assert.deepEqual(b.rlRows, a.rlRows, `${name}: GRPO rows run to run`);
      results[name] = [a.kernelSet, a.sftLosses];
      if (name === "2 threads") assert.equal(a.kernelSet.blasThreads, 2);
      if (name === "default" && blas.available) assert.equal(a.kernelSet.kernels, "openblas");
    }
    // The losses go down (SFT is training), so identity is not of a constant.
    const d = results.default[1] as number[];
    assert.ok(d[d.length - 1] < d[0], `SFT losses fall: ${d}`);
  },
});
