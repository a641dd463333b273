/** Test helper: the `deno run` flags of a deno.json task, so tests run scripts under exactly those permissions. */
import assert from "node:assert/strict";
import { join } from "node:path";

/** Repository root. */
export const ROOT = join(new URL(".", import.meta.url).pathname, "..");

/** The flags between `deno run` and the script path of deno.json's task `task`. */
export function taskFlags(task: string): string[] {
  const cmd = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json"))).tasks[task] as string;
  const m = cmd.match(/deno run (.*?) scripts\//);
  assert.ok(m, `task ${task} runs a script: ${cmd}`);
  assert.ok(!/(^|\s)(-A|--allow-all)(\s|$)/.test(m[1]), `task ${task} must not use -A`);
  return m[1].split(/\s+/);
}
