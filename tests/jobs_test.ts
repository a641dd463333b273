import assert from "node:assert/strict";
import { join, resolve } from "node:path";
import { ConfigError } from "../lib/core/validate.ts";
import { gridPoints, parseGrid, parseGridArg, pointKey } from "../lib/jobs/grid.ts";
import { scheduleOrder } from "../lib/jobs/pool.ts";
import { slurmArrayScript } from "../lib/jobs/slurm.ts";
import { KILL_JOB_ENV } from "../lib/jobs/worker.ts";
import { executeJobs, gatherRun, planJobs, runReproduction, sweep } from "../mod.ts";
import { getReproduction, REGISTRY } from "../reproductions/mod.ts";
import { taskFlags } from "./task_flags.ts";

const ROOT = resolve(new URL(".", import.meta.url).pathname, "..");

async function reproduceCli(cwd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...taskFlags("reproduce"), join(ROOT, "scripts", "reproduce.ts"), ...args],
    cwd,
    env: { RUST_BACKTRACE: "0", NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
  };
}

Deno.test("grid: CLI values parse as JSON, commas inside [] do not split, points are the Cartesian product", () => {
  assert.deepEqual(parseGridArg("lr=0.1,0.3"), ["lr", [0.1, 0.3]]);
  assert.deepEqual(parseGridArg("lengths=[3],[3,5]"), ["lengths", [[3], [3, 5]]]);
  assert.deepEqual(parseGridArg("arm=grpo,true"), ["arm", ["grpo", true]]);
  assert.throws(() => parseGridArg("lr"), ConfigError);
  assert.throws(() => parseGrid(["a=1", "a=2"]), /given twice/);
  const pts = gridPoints({ a: [1, 2, 3], b: ["x", "y"] });
  assert.equal(pts.length, 6);
  assert.deepEqual(pts[0], { a: 1, b: "x" });
  assert.deepEqual(pts[1], { a: 1, b: "y" });
  assert.deepEqual(pts[5], { a: 3, b: "y" });
  assert.equal(pointKey({ lengths: [3, 5], lr: 0.1 }), "lengths=[3+5]_lr=0.1");
});

Deno.test("pool schedule: decreasing cost, ties in list order", () => {
  assert.deepEqual(
    scheduleOrder([{ name: "a", cost: 1 }, { name: "b", cost: 5 }, { name: "c", cost: 1 }, { name: "d" }]),
    [
      1,
      0,
      2,
      3,
    ],
  );
});

Deno.test("SLURM array script: one task per job, task i runs job i, cluster options as #SBATCH lines", () => {
  const s = slurmArrayScript({
    count: 4,
    command: ["/opt/deno", "run", "w.ts", "/shared/jobs.json"],
    cwd: "/repo",
    dir: "/shared",
    slurm: { partition: "gpu", account: "lab", time: "00:10:00", cpusPerTask: 2 },
  });
  assert.match(s, /^#SBATCH --array=0-3$/m);
  assert.match(s, /^#SBATCH --partition=gpu$/m);
  assert.match(s, /^#SBATCH --account=lab$/m);
  assert.match(s, /^#SBATCH --time=00:10:00$/m);
  assert.match(s, /^#SBATCH --cpus-per-task=2$/m);
  assert.match(s, /^exec \/opt\/deno run w.ts \/shared\/jobs.json --index "\$SLURM_ARRAY_TASK_ID"$/m);
  assert.throws(() => slurmArrayScript({ count: 0, command: ["x"], cwd: "/", dir: "/" }), ConfigError);
  assert.throws(() =>
    slurmArrayScript({ count: 1, command: ["x"], cwd: "/", dir: "/", slurm: { partition: "a b" } })
  );
});

Deno.test("reproduce under exactly the task's flags: --jobs 2 gives byte-identical claims.json and run.csv to --jobs 1", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sweetspot-jobs-" });
  try {
    const dirs = [join(tmp, "a"), join(tmp, "b")];
    for (const d of dirs) await Deno.mkdir(d);
    const one = await reproduceCli(dirs[0], ["kae", "rover", "--preset", "smoke", "--jobs", "1"]);
    assert.equal(one.code, 0, one.text);
    const two = await reproduceCli(dirs[1], ["kae", "rover", "--preset", "smoke", "--jobs", "2"]);
    assert.equal(two.code, 0, two.text);
    assert.match(two.text, /4 seed jobs of 2 reproductions on 2 workers/);
    for (const name of ["kae", "rover"]) {
      for (const f of ["claims.json", "run.csv"]) {
        const a = await Deno.readTextFile(join(dirs[0], "results", name, f));
        const b = await Deno.readTextFile(join(dirs[1], "results", name, f));
        assert.equal(b, a, `${name}/${f}`);
      }
    }
    // A rerun finds every seed checkpointed: no jobs, same claims.
    const again = await reproduceCli(dirs[1], ["kae", "--preset", "smoke", "--jobs", "2"]);
    assert.equal(again.code, 0, again.text);
    assert.match(again.text, /0 seed jobs of 1 reproductions \(2 seeds resumed/);
    assert.equal(
      await Deno.readTextFile(join(dirs[1], "results", "kae", "claims.json")),
      await Deno.readTextFile(join(dirs[0], "results", "kae", "claims.json")),
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("a worker killed with SIGKILL loses only its job: retried, every seed present once, rows equal a sequential run", async () => {
  const kae = getReproduction("kae");
  const sequential = await runReproduction(kae, { preset: "smoke", seeds: 3, progress: false });
  const tmp = await Deno.makeTempDir({ prefix: "sweetspot-kill-" });
  try {
    const spec = {
      reproduction: "kae",
      preset: "smoke" as const,
      config: {},
      seeds: 3,
      checkpointDir: join(tmp, "kae"),
    };
    const list = planJobs([spec], { kind: "reproduce", resolver: REGISTRY });
    assert.equal(list.jobs.length, 3);
    const events: string[] = [];
    const res = await executeJobs(list, join(tmp, "jobs"), {
      jobs: 2,
      status: false,
      env: { [KILL_JOB_ENV]: "1" },
      onEvent: (e) => {
        if (e.type === "retry") events.push(`${e.name}: ${e.error}`);
      },
    });
    assert.deepEqual(res.failures, []);
    assert.equal(events.length, 1);
    assert.match(events[0], /^seed 1 of kae: worker \d+ killed by SIGKILL/);
    assert.equal(res.results[1].attempts, 2);
    const log = await gatherRun(list.runs[0], getReproduction);
    assert.deepEqual(log.rows, sequential.rows);
    // With no retries the job is reported by name; the other seeds still finish.
    const tmp2 = join(tmp, "noretry");
    const list2 = planJobs([{ ...spec, checkpointDir: join(tmp2, "kae") }], {
      kind: "reproduce",
      resolver: REGISTRY,
    });
    const res2 = await executeJobs(list2, join(tmp2, "jobs"), {
      jobs: 2,
      retries: 0,
      status: false,
      env: { [KILL_JOB_ENV]: "2" },
    });
    assert.equal(res2.failures.length, 1);
    assert.match(res2.failures[0], /^seed 2 of kae failed: worker \d+ killed by SIGKILL/);
    assert.deepEqual(res2.results.map((r) => r.ok), [true, true, false]);
    await assert.rejects(() => gatherRun(list2.runs[0], getReproduction), /seeds 2 of 3 have no checkpoint/);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("runReproduction({ jobs: 2 }) from a notebook equals the sequential log", async () => {
  const rover = getReproduction("rover");
  const a = await runReproduction(rover, { preset: "smoke", progress: false });
  const b = await runReproduction(rover, { preset: "smoke", progress: false, jobs: 2, resolver: REGISTRY });
  assert.deepEqual(b.rows, a.rows);
  assert.equal(b.meta.jobs, 2);
});

Deno.test("sweep: one claims row per (point, claim) equal to a sequential run at that point; per-seed final metrics", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "sweetspot-sweep-" });
  try {
    const kae = getReproduction("kae");
    const res = await sweep({
      resolver: REGISTRY,
      reproduction: "kae",
      grid: { g1Steps: [20, 40] },
      preset: "smoke",
      jobs: 2,
      resultsDir: tmp,
      status: false,
    });
    const rows = res.claims.objects() as Record<string, unknown>[];
    for (const g1Steps of [20, 40]) {
      const log = await runReproduction(kae, {
        preset: "smoke",
        config: { g1Steps } as Record<string, unknown>,
        progress: false,
      });
      const want = kae.checkClaims(log);
      const got = rows.filter((r) => r.g1Steps === g1Steps);
      assert.equal(got.length, want.length);
      want.forEach((c, i) => {
        assert.equal(got[i].claim, c.claim);
        assert.equal(got[i].estimate, c.estimate);
        assert.equal(got[i].verdict, c.verdict);
      });
      // seeds table: the value of metric m in group g is the last such row of that seed.
      const seedRows = (res.seeds.objects() as Record<string, unknown>[]).filter((r) =>
        r.g1Steps === g1Steps && r.seed === 1 && r.metric === "mse" &&
        r.group === "kind=mseCurve,baseline=kae"
      );
      const logRows = log.rows.filter((r) => r.seed === 1 && r.kind === "mseCurve" && r.baseline === "kae");
      assert.equal(seedRows.length, 1);
      assert.equal(seedRows[0].value, logRows[logRows.length - 1].mse);
    }
    for (const f of ["claims.csv", "claims.json", "seeds.csv", "seeds.json", "claim_0.svg"]) {
      await Deno.stat(join(res.dir, f));
    }
    assert.throws(() => parseGrid(["nope"]), ConfigError);
    await assert.rejects(
      () =>
        sweep({
          resolver: REGISTRY,
          reproduction: "kae",
          grid: { bogus: [1] },
          preset: "smoke",
          resultsDir: tmp,
        }),
      /grid.bogus must be a config field of kae/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
