/**
 * `deno task train`: every example config runs end to end at tiny size as a subprocess under the task's
 * permissions and writes its run directory; a resumed run continues with the numbers of an uninterrupted one;
 * a bad or unknown config field exits with one line naming it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ROOT, taskFlags } from "./task_flags.ts";
import { applyOverride, resolveRunConfig } from "../scripts/train.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { TIMING_COLUMNS } from "../lib/train/trainer.ts";

const dec = new TextDecoder();

async function train(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...taskFlags("train"), "scripts/train.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { RUST_BACKTRACE: "0" },
  }).output();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** A fresh folder under runs/ (the only place the train task may write), removed by the caller. */
async function scratch(): Promise<string> {
  await Deno.mkdir(join(ROOT, "runs"), { recursive: true });
  return await Deno.makeTempDir({ dir: join(ROOT, "runs"), prefix: "test-" });
}

function readRows(path: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(path).trim().split("\n").map((l) => JSON.parse(l));
}

/** Tiny-size overrides shared by the end-to-end runs: B problems × G rollouts, 3 steps, 2 seeds. */
const B = 2, G = 4, STEPS = 3;
const TINY = [
  "model.sftSteps=4",
  "model.sftBatchSize=8",
  `trainer.batchSize=${B}`,
  `trainer.groupSize=${G}`,
  "seeds=[0,1]",
  "eval.size=8",
  "eval.every=1",
  "checkpointEvery=2",
  "--steps",
  String(STEPS),
];

const EXAMPLES: { file: string; rolloutsPerStep: number; calibration?: boolean }[] = [
  { file: "grpo_addition.json", rolloutsPerStep: B * G },
  // SEELE generates `rounds` rounds of G rollouts per problem (the example sets 2 rounds).
  { file: "seele_hints.json", rolloutsPerStep: B * G * 2 },
  { file: "rlcr_calibration.yaml", rolloutsPerStep: B * G, calibration: true },
];

for (const ex of EXAMPLES) {
  Deno.test(`train --config examples/${ex.file} at tiny size writes a full run directory`, async () => {
    const out = await scratch();
    try {
      const res = await train(["--config", `examples/${ex.file}`, "--out", out, "--name", "run", ...TINY]);
      assert.equal(res.code, 0, res.stderr);
      const dir = join(out, "run");
      const config = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
      assert.equal(config.steps, STEPS);
      assert.deepEqual(config.seeds, [0, 1]);
      const run = JSON.parse(Deno.readTextFileSync(join(dir, "run.json")));
      assert.equal(run.sessions.length, 1);
      assert.match(run.sessions[0].commit, /^[0-9a-f]{40}$/);
      assert.ok(["cpu", "wasm", "webgpu", "tensorflow"].includes(run.sessions[0].kernels.backend));
      const rows = readRows(join(dir, "log.jsonl"));
      assert.equal(rows.length, STEPS * 2);
      for (const seed of [0, 1]) {
        assert.deepEqual(rows.filter((r) => r.seed === seed).map((r) => r.step), [1, 2, 3]);
      }
      for (const r of rows) {
        for (const [k, v] of Object.entries(r)) {
          assert.ok(v === null || typeof v === "string" || Number.isFinite(v), `${k} = ${v}`);
        }
        assert.equal(r.rolloutsGenerated, ex.rolloutsPerStep);
        assert.ok((r.accuracy as number) >= 0 && (r.accuracy as number) <= 1);
        assert.ok((r.evalAccuracy as number) >= 0 && (r.evalAccuracy as number) <= 1);
      }
      const csv = Deno.readTextFileSync(join(dir, "log.csv")).trim().split("\n");
      assert.equal(csv.length, 1 + STEPS * 2);
      assert.match(csv[0], /^"seed","step","reward"/);
      assert.match(Deno.readTextFileSync(join(dir, "charts", "reward.svg")), /^<svg/);
      const summary = JSON.parse(Deno.readTextFileSync(join(dir, "summary.json")));
      assert.equal(summary.seeds.length, 2);
      for (const s of summary.seeds) {
        assert.equal(s.evalProblems, 8);
        assert.ok(s.evalAccuracy >= 0 && s.evalAccuracy <= 1);
        if (ex.calibration) assert.ok(s.calibration.brier >= 0 && s.calibration.brier <= 1);
      }
      for (const seed of [0, 1]) {
        // checkpoints every 2 steps, and after the last one
        for (const step of ["step-000002", "step-000003"]) {
          Deno.statSync(join(dir, `seed-${seed}`, "checkpoints", step, "state.json"));
        }
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}

Deno.test("train --resume after an interruption continues with the numbers of the uninterrupted run", async () => {
  const out = await scratch();
  try {
    const args = [
      "--config",
      "examples/seele_hints.json",
      "--out",
      out,
      ...TINY.slice(0, -2),
      "--steps",
      "5",
    ];
    const full = await train([...args, "--name", "full"]);
    assert.equal(full.code, 0, full.stderr);
    // The interrupted run: the same run stopped after its step-2 checkpoint (later files never written).
    const cut = join(out, "cut");
    await Deno.mkdir(cut);
    const cfg = JSON.parse(Deno.readTextFileSync(join(out, "full", "config.json")));
    await Deno.writeTextFile(join(cut, "config.json"), JSON.stringify({ ...cfg, name: "cut" }));
    for (const seed of [0, 1]) {
      const from = join(out, "full", `seed-${seed}`, "checkpoints", "step-000002");
      const to = join(cut, `seed-${seed}`, "checkpoints", "step-000002");
      await Deno.mkdir(to, { recursive: true });
      for await (const f of Deno.readDir(from)) await Deno.copyFile(join(from, f.name), join(to, f.name));
    }
    // A checkpoint whose write was interrupted (no state.json) is skipped.
    await Deno.mkdir(join(cut, "seed-0", "checkpoints", "step-000004"));
    const resumed = await train(["--resume", cut]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /seed 0: 5 steps \(resumed at step 2\)/);
    const strip = (rows: Record<string, unknown>[]) =>
      rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING_COLUMNS.includes(k))));
    const a = strip(readRows(join(out, "full", "log.jsonl")));
    const b = strip(readRows(join(cut, "log.jsonl")));
    assert.equal(a.length, 10);
    assert.deepEqual(b, a);
    const sa = JSON.parse(Deno.readTextFileSync(join(out, "full", "summary.json"))).seeds;
    const sb = JSON.parse(Deno.readTextFileSync(join(cut, "summary.json"))).seeds;
    assert.deepEqual(sb, sa);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

const BAD: [string[], RegExp][] = [
  [["learningRate=0.1"], /^error: learningRate is not a known config field; allowed: name, task, model/],
  [["trainer.lr=-1"], /^error: trainer\.lr must be a number > 0 \(got -1\)/],
  [["trainer.lrr=0.1"], /^error: trainer\.lrr is not a known option; allowed: .*lr/],
  [
    ["curriculum=seele", "curriculum.rounds=0"],
    /^error: curriculum\.rounds must be an integer ≥ 1 \(got 0\)/,
  ],
  [["curriculum.name=ladder"], /^error: curriculum\.name must be one of "uniform", "seele"/],
  [["task.name=chess"], /^error: task\.name must be one of "addition"/],
  [["task.digits=3"], /^error: task\.digits is not a known option/],
  [["reward=rlcr"], /^error: reward\.name "rlcr" needs a task that states a confidence/],
  [["verl.adv_estimator=grpo"], /^error: algorithm must be left out when a verl: block/],
  [["algorithm=null", "verl.adv_estimator=gae"], /^error: verl\.adv_estimator must be one of/],
  [
    ["algorithm=null", "trl.loss_typ=grpo"],
    /^error: trl\.loss_typ is not a supported field; supported: loss_type/,
  ],
  [["backend=tpu"], /^error: backend must be one of "auto", "cpu"/],
  [["--out", "/tmp/elsewhere"], /^error: --out must be a folder inside runs\//],
];

for (const [args, pattern] of BAD) {
  Deno.test(`train with ${args.join(" ")}: one line naming the field, exit code 2`, async () => {
    const res = await train(["--config", "examples/grpo_addition.json", ...args]);
    assert.equal(res.code, 2);
    const lines = res.stderr.split("\n").filter((l) => l.trim() !== "");
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0], pattern);
  });
}

Deno.test("resolveRunConfig: fills defaults, maps a verl block, rejects trainer fields the run owns", () => {
  const c = resolveRunConfig({ verl: { adv_estimator: "rloo", "rollout.n": 4 } }, "x");
  assert.equal(c.algorithm, null);
  assert.equal(c.model.dModel, 32);
  assert.deepEqual(c.seeds, [0]);
  assert.throws(
    () => resolveRunConfig({ trainer: { seed: 3 } }),
    (e: ConfigError) => e.field === "trainer.seed",
  );
  assert.throws(() => resolveRunConfig({ seeds: [1, 1] }), (e: ConfigError) => e.field === "seeds");
  assert.deepEqual(resolveRunConfig({ seeds: 3 }).seeds, [0, 1, 2]);
  assert.equal(resolveRunConfig({ model: { size: "small" } }).model.nLayers, 2);
  assert.equal(resolveRunConfig({ model: { size: "small", nLayers: 3 } }).model.nLayers, 3);
  // Overrides: JSON values where they parse, strings otherwise, nested paths created, a bare name expanded.
  const raw: Record<string, unknown> = { curriculum: "seele" };
  applyOverride(raw, "curriculum.rounds=2");
  applyOverride(raw, "backend=cpu");
  applyOverride(raw, "trainer.lr=0.01");
  assert.deepEqual(raw, { curriculum: { name: "seele", rounds: 2 }, backend: "cpu", trainer: { lr: 0.01 } });
  assert.throws(() => applyOverride(raw, "novalue"), (e: ConfigError) => e.field === "override");
});
