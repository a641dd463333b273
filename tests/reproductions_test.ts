import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import {
  directionalClaim,
  directionalVerdict,
  rangeVerdict,
  renderReport,
  resolveRunConfig,
  type Row,
  ruleTextMismatches,
  runSeeds,
} from "../mod.ts";
import { getReproduction, kae, REPRODUCTIONS, rover } from "../reproductions/mod.ts";

Deno.test("harness: config resolution rejects unknown keys and bad presets; verdict rules", () => {
  assert.throws(
    () => resolveRunConfig(rover, { preset: "smoke", config: { stepz: 3 } as never }),
    (e: unknown) => e instanceof ConfigError && /stepz/.test(e.message) && /allowed: .*steps/.test(e.message),
  );
  assert.throws(() => resolveRunConfig(rover, { preset: "fast" as never }), ConfigError);
  assert.throws(() => resolveRunConfig(rover, { preset: "smoke", seeds: 0 }), ConfigError);
  const { config } = resolveRunConfig(kae, { preset: "smoke", seeds: 5, config: { mseSteps: 7 } });
  assert.equal(config.seeds, 5);
  assert.equal(config.mseSteps, 7);
  assert.equal(config.g1Steps, kae.presets.smoke.g1Steps);
  assert.equal(directionalVerdict([0.1, 0.3], "greater"), "reproduced");
  assert.equal(directionalVerdict([-0.3, -0.1], "greater"), "not reproduced");
  assert.equal(directionalVerdict([-0.1, 0.1], "greater"), "inconclusive");
  assert.equal(directionalVerdict([-0.3, -0.1], "less"), "reproduced");
  assert.equal(directionalVerdict([0.5, 0.7], "greater", 0.6), "inconclusive");
  // No score at all (a metric undefined in every run): inconclusive, n = 0, NaN estimate — never a verdict.
  const empty = directionalClaim("c", "p", [[], []], "greater");
  assert.equal(empty.verdict, "inconclusive");
  assert.equal(empty.n, 0);
  assert.ok(Number.isNaN(empty.estimate) && empty.ci.every(Number.isNaN));
  // Non-inferiority through the threshold: 20 scores all in [−0.02, −0.01] clear −0.05 but not 0.
  const near = [Array.from({ length: 20 }, (_, i) => -0.01 - 0.0005 * i)];
  assert.equal(directionalClaim("c", "p", near, "greater", { threshold: -0.05 }).verdict, "reproduced");
  assert.equal(directionalClaim("c", "p", near, "greater").verdict, "not reproduced");
  assert.equal(rangeVerdict([0.55, 0.62], [0.6, 0.7]), "reproduced");
  assert.equal(rangeVerdict([0.4, 0.5], [0.6, 0.7]), "not reproduced");
  assert.throws(
    () => getReproduction("nope"),
    (e: unknown) => e instanceof ConfigError && /"kae"/.test(e.message),
  );
  const names = REPRODUCTIONS.map((r) => r.name);
  assert.ok(names.includes("kae") && names.includes("rover"));
  assert.equal(new Set(names).size, names.length, "reproduction names are unique");
  for (const r of REPRODUCTIONS) assert.deepEqual(Object.keys(r.presets).sort(), ["full", "quick", "smoke"]);
  assert.match(renderReport([]), /No reproduction results yet/);
});

Deno.test("harness: seeds come from Rng.split and finished seeds are checkpointed and reused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rep = { name: "toy" };
    const config = { seeds: 3, baseSeed: 42 };
    let calls = 0;
    const fn = ({ rng }: { rng: Rng }): Row[] => {
      calls++;
      return [{ x: rng.uniform(), s: rng.seed }];
    };
    const log1 = await runSeeds(rep, "smoke", config, { checkpointDir: dir, progress: false }, 1, fn);
    assert.equal(calls, 3);
    for (let i = 0; i < 3; i++) assert.equal(log1.rows[i].s, new Rng(42).split(i).seed);
    assert.deepEqual(log1.meta, { reproduction: "toy", preset: "smoke", config, resumedSeeds: 0 });
    // Interrupted run simulation: drop seed 1's file; a rerun recomputes only seed 1, identically.
    await Deno.remove(`${dir}/seeds/1.jsonl`);
    const log2 = await runSeeds(rep, "smoke", config, { checkpointDir: dir, progress: false }, 1, fn);
    assert.equal(calls, 4);
    assert.deepEqual(log2.rows, log1.rows);
    assert.equal(log2.meta.resumedSeeds, 2);
    await runSeeds(rep, "smoke", config, { checkpointDir: dir, fresh: true, progress: false }, 1, fn);
    assert.equal(calls, 7);
    // A changed config invalidates the checkpoints.
    await runSeeds(rep, "smoke", { ...config, baseSeed: 43 }, { checkpointDir: dir, progress: false }, 1, fn);
    assert.equal(calls, 10);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: unknown flags and names fail with a clear message listing the valid ones", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "scripts/reproduce.ts", ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  const a = await run(["--bogus"]);
  assert.equal(a.code, 2);
  assert.match(new TextDecoder().decode(a.stderr), /bogus.*valid flags: --preset/s);
  const b = await run(["nope", "--preset", "smoke"]);
  assert.equal(b.code, 2);
  const msg = new TextDecoder().decode(b.stderr);
  assert.match(msg, /reproduction must be one of .*"kae"/);
  assert.match(msg, /"rover"/);
});

Deno.test("every declared precondition is registered in its tier's plan with the same quantity and rule", () => {
  for (const rep of REPRODUCTIONS) {
    const lines = ruleTextMismatches(
      [],
      rep.preregistrations ?? [],
      (rep.preconditions ?? []).filter((p) =>
        (rep.preregistrations ?? []).some((plan) => plan.tier === p.tier)
      ),
    );
    assert.deepEqual(lines, [], rep.name);
    for (const plan of rep.preregistrations ?? []) {
      for (const c of plan.claims) {
        for (const id of c.preconditions ?? []) {
          assert.ok((plan.preconditions ?? []).some((p) => p.id === id), `${c.id} names unregistered ${id}`);
          assert.ok((rep.preconditions ?? []).some((p) => p.id === id), `${c.id} names undeclared ${id}`);
        }
      }
    }
  }
});
