/**
 * Command-line entry for the task scripts (`reproduce`, `sweep`, `train`): a misuse — a bad flag or config
 * field, a folder the task may not write, an unavailable backend — ends with exit code 2 and one line naming
 * the flag and the fix, never a stack trace. Other errors (bugs) keep their stack trace.
 */
import { BackendUnavailableError } from "../lib/core/backend.ts";
import { ConfigError } from "../lib/core/validate.ts";

/** Throw a ConfigError naming `flag` unless this process may write `path` (checked before anything runs). */
export function assertWritable(flag: string, path: string, task: string, allowed: string): void {
  if (Deno.permissions.querySync({ name: "write", path }).state === "granted") return;
  throw new ConfigError(
    flag,
    `must be a folder inside ${allowed}/ (deno task ${task} may write only there): use ${flag} ${allowed}/<name>, ` +
      `or run the script with deno run and --allow-write=${path} to write elsewhere`,
    path,
  );
}

/** The one line a misuse prints, or null when `e` is not a misuse (then it propagates with its stack). */
export function misuseLine(e: unknown, task: string): string | null {
  if (e instanceof ConfigError) return `error: ${e.message} (deno task ${task} --help lists every flag)`;
  if (e instanceof BackendUnavailableError) {
    return `error: --backend: ${e.message} (pick another with --backend, or leave it out for auto)`;
  }
  if (e instanceof Deno.errors.NotCapable) {
    return `error: ${e.message.split("\n")[0]} (deno task ${task} runs with fixed permissions; ` +
      `run the script with deno run and the permission it names)`;
  }
  return null;
}

/** Run `main`; a misuse (see `misuseLine`) prints one line to stderr and exits with code 2. */
export async function runCli(task: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const line = misuseLine(e, task);
    if (line === null) throw e;
    console.error(line);
    Deno.exit(2);
  }
}
