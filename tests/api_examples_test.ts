/**
 * The `@example` blocks of the API reference run: `deno test --doc` over the files that carry them (mod.ts,
 * RLVRTrainer, TinyTransformer, AdditionTask, grpoAdvantages), in a subprocess.
 */
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const FILES = [
  "mod.ts",
  "lib/train/trainer.ts",
  "lib/policies/transformer.ts",
  "lib/tasks/addition.ts",
  "lib/estimators/advantages.ts",
];

Deno.test("API reference examples run (deno test --doc)", async () => {
  const out = await new Deno.Command("deno", {
    args: ["test", "--doc", "--no-check=remote", "--allow-read", "--allow-env", "--allow-ffi", ...FILES],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, text.slice(-3000));
  const passed = Number(text.match(/(\d+) passed/)?.[1] ?? 0);
  assert.ok(passed >= FILES.length, `one example or more per file ran: ${passed} passed`);
});
