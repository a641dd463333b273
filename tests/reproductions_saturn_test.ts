import { type ClaimRow, runReproduction, selectRows, VERDICTS } from "../mod.ts";
import { getReproduction, REPRODUCTIONS, saturn, type SaturnConfig } from "../reproductions/mod.ts";
import assert from "node:assert/strict";
import { ConfigError } from "../lib/core/validate.ts";

Deno.test("saturn: registered; config validation", async () => {
  assert.equal(getReproduction("saturn"), saturn);
  assert.ok(REPRODUCTIONS.includes(saturn));
  await assert.rejects(
    async () => await runReproduction(saturn, { preset: "smoke", config: { groupSize: 1 }, progress: false }),
    ConfigError,
  );
  await assert.rejects(
    async () =>
      await runReproduction(saturn, {
        preset: "smoke",
        config: { nope: 1 } as Partial<SaturnConfig>,
        progress: false,
      }),
    ConfigError,
  );
  for (const p of ["quick", "full"] as const) assert.ok(saturn.presets[p].seeds >= 10);
});

Deno.test("saturn smoke: budgets, ladder accounting, claims table", async () => {
  const log = await runReproduction(saturn, { preset: "smoke", progress: false });
  const c = saturn.presets.smoke;
  const budget = c.steps * c.batchSize * c.groupSize;
  for (let s = 0; s < c.seeds; s++) {
    const direct = selectRows(log, { kind: "final", arm: "direct", seed: s })[0];
    const ladder = selectRows(log, { kind: "final", arm: "ladder", seed: s })[0];
    assert.equal(direct.rolloutsUsed, budget);
    assert.equal(direct.trainSteps, c.steps);
    const vals = selectRows(log, { kind: "validation", seed: s });
    // Ladder: training + validation rollouts within the same budget.
    assert.ok(Number(ladder.rolloutsUsed) <= budget);
    assert.equal(
      Number(ladder.rolloutsUsed),
      Number(ladder.trainSteps) * c.batchSize * c.groupSize + vals.length * c.valProblems,
    );
    // The level only moves up, one step per validation above the threshold.
    const adv = vals.filter((v) => v.advanced === 1);
    assert.ok(adv.every((v) => Number(v.passAt1) > c.threshold));
    assert.equal(ladder.finalLevel, adv.length);
    // Both arms start from the same untrained policy on the same held-out problems and eval streams.
    assert.equal(ladder.initial, direct.initial);
  }
  const claims: ClaimRow[] = saturn.checkClaims(log);
  assert.equal(claims.length, 3 + 2);
  assert.deepEqual(claims.slice(3).map((r) => [r.id, r.tier]), [["saturn.lm.1", "lm"], [
    "saturn.lm.2",
    "lm",
  ]]);
  for (const r of claims.slice(0, 3)) {
    assert.ok((VERDICTS as readonly string[]).includes(r.verdict));
    assert.ok(r.ci[0] <= r.estimate + 1e-12 && r.estimate <= r.ci[1] + 1e-12, JSON.stringify(r));
    assert.equal(r.n, c.seeds);
  }
  const charts = saturn.charts(log);
  assert.deepEqual(charts.map((x) => x.name), [
    "target_pass_curve",
    "ladder_level",
    "zero_reward_groups",
    "final_pass",
    "lm_test_accuracy_by_step",
    "lm_train_accuracy",
    "lm_test_accuracy_by_rollouts",
  ]);
});
