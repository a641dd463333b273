/**
 * End-to-end SLURM test: starts a private single-node cluster (munged on its own socket, slurmctld and slurmd in
 * the foreground on free ports, config in a temp folder), submits a smoke reproduction as a job array through
 * `deno task reproduce --executor slurm`, and compares its claims with a local run. Needs root and Debian's
 * slurm-wlm + munge (CI installs them); skipped with a printed reason otherwise. Daemons are killed at the end.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { taskFlags } from "./task_flags.ts";

const ROOT = join(new URL(".", import.meta.url).pathname, "..");
const BINARIES = [
  "/usr/sbin/slurmctld",
  "/usr/sbin/slurmd",
  "/usr/sbin/munged",
  "/usr/sbin/mungekey",
  "/usr/bin/sbatch",
];

function missing(): string | null {
  for (const b of BINARIES) {
    try {
      Deno.statSync(b);
    } catch {
      return `${b} not installed (apt-get install slurm-wlm munge)`;
    }
  }
  if (Deno.uid() !== 0) return "needs root to run munged as the munge user and slurmd";
  return null;
}

const reason = missing();
if (reason) console.log(`skipping the SLURM job-array test: ${reason}`);

async function sh(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  };
}

/** Two ports for slurmctld/slurmd derived from this process id (the test task has no network permission to probe). */
function ports(): [number, number] {
  const p = 20000 + 2 * (Deno.pid % 15000);
  return [p, p + 1];
}

Deno.test({
  name: "SLURM executor: a job array on a real single-node cluster gives the claims of a local run",
  ignore: reason !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sweetspot-slurm-" });
    await Deno.chmod(tmp, 0o755);
    const daemons: Deno.ChildProcess[] = [];
    const spawn = (cmd: string, args: string[], env?: Record<string, string>) => {
      const p = new Deno.Command(cmd, { args, env, stdout: "null", stderr: "null" }).spawn();
      daemons.push(p);
      return p;
    };
    try {
      const mdir = join(tmp, "munge");
      await Deno.mkdir(mdir, { mode: 0o700 });
      const key = join(mdir, "munge.key");
      assert.equal((await sh("/usr/sbin/mungekey", ["--create", "--keyfile", key])).code, 0);
      assert.equal((await sh("chown", ["-R", "munge:munge", mdir])).code, 0);
      await Deno.chmod(key, 0o400);
      await Deno.chmod(mdir, 0o755); // munged requires its socket folder to be traversable by all
      const socket = join(mdir, "munge.socket");
      spawn("runuser", [
        "-u",
        "munge",
        "--",
        "/usr/sbin/munged",
        "--foreground",
        `--key-file=${key}`,
        `--socket=${socket}`,
        `--pid-file=${join(mdir, "munged.pid")}`,
        `--log-file=${join(mdir, "munged.log")}`,
        `--seed-file=${join(mdir, "munged.seed")}`,
      ]);
      const host = Deno.hostname();
      const [ctldPort, dPort] = ports();
      const conf = join(tmp, "slurm.conf");
      await Deno.mkdir(join(tmp, "state"));
      await Deno.mkdir(join(tmp, "spool"));
      await Deno.writeTextFile(
        conf,
        [
          "ClusterName=sweetspot",
          `SlurmctldHost=${host}`,
          `SlurmctldPort=${ctldPort}`,
          `SlurmdPort=${dPort}`,
          "AuthType=auth/munge",
          "CredType=cred/munge",
          `AuthInfo=socket=${socket}`,
          "SlurmUser=root",
          `StateSaveLocation=${join(tmp, "state")}`,
          `SlurmdSpoolDir=${join(tmp, "spool")}`,
          `SlurmctldPidFile=${join(tmp, "slurmctld.pid")}`,
          `SlurmdPidFile=${join(tmp, "slurmd.pid")}`,
          `SlurmctldLogFile=${join(tmp, "slurmctld.log")}`,
          `SlurmdLogFile=${join(tmp, "slurmd.log")}`,
          "ProctrackType=proctrack/linuxproc",
          "TaskPlugin=task/none",
          "SelectType=select/cons_tres",
          "SelectTypeParameters=CR_Core",
          "MpiDefault=none",
          "ReturnToService=2",
          `NodeName=${host} CPUs=2 RealMemory=1000 State=UNKNOWN`,
          "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
          "",
        ].join("\n"),
      );
      const env = { SLURM_CONF: conf };
      for (let i = 0; i < 50; i++) {
        try {
          Deno.statSync(socket);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      spawn("/usr/sbin/slurmctld", ["-D", "-c", "-f", conf], env);
      spawn("/usr/sbin/slurmd", ["-D", "-f", conf], env);
      let ready = false;
      for (let i = 0; i < 60 && !ready; i++) {
        const s = await sh("sinfo", ["-h", "-o", "%T"], env);
        ready = s.code === 0 && /idle/.test(s.text);
        if (!ready) await new Promise((r) => setTimeout(r, 500));
      }
      assert.ok(
        ready,
        `the test cluster did not come up: ${await Deno.readTextFile(join(tmp, "slurmctld.log")).catch(() =>
          ""
        )}`,
      );

      const run = async (dir: string, extra: string[]) => {
        await Deno.mkdir(dir);
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            ...taskFlags("reproduce"),
            join(ROOT, "scripts", "reproduce.ts"),
            "kae",
            "--preset",
            "smoke",
            ...extra,
          ],
          cwd: dir,
          env: { ...env, RUST_BACKTRACE: "0", NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 0, text);
        return text;
      };
      const slurmText = await run(join(tmp, "slurm"), ["--executor", "slurm", "--time", "00:10:00"]);
      assert.match(slurmText, /SLURM array job \d+/);
      await run(join(tmp, "local"), []);
      assert.equal(
        await Deno.readTextFile(join(tmp, "slurm", "results", "kae", "claims.json")),
        await Deno.readTextFile(join(tmp, "local", "results", "kae", "claims.json")),
      );
      const summary = JSON.parse(
        await Deno.readTextFile(join(tmp, "slurm", "results", "kae", "summary.json")),
      );
      assert.match(summary.execution, /^2 seed jobs in SLURM array \d+$/);
      assert.ok(summary.wallSeconds > 0, "job times are read from the array tasks' logs");
      const logs = [...Deno.readDirSync(join(tmp, "slurm", "results", "jobs", "logs"))].map((e) => e.name);
      assert.equal(logs.length, 2, `one log per array task: ${logs}`);
      // --collect rebuilds the same claims from the shared folder.
      const collected = await run(join(tmp, "collect"), ["--collect", join(tmp, "slurm", "results", "jobs")]);
      assert.match(collected, /\[(reproduced|not reproduced|inconclusive)[\];]/);
    } finally {
      for (const p of daemons.reverse()) {
        try {
          p.kill("SIGTERM");
        } catch { /* already gone */ }
      }
      await Promise.all(daemons.map((p) => p.status));
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
