import { runReproduction } from "../reproductions/harness.ts";
import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { SatTask } from "../lib/tasks/sat.ts";
import {
  type ClaimRow,
  getReproduction,
  REPRODUCTIONS,
  sampleSatAssignment,
  SAT_FEATURES,
  SatAssignPolicy,
  satLiteralFeatures,
  saturn,
  type SaturnConfig,
  selectRows,
  VERDICTS,
} from "../reproductions/mod.ts";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-12) =>
  assert.ok(
    a.length === b.length && Array.from(a).every((x, i) => Math.abs(x - b[i]) <= tol),
    `${Array.from(a)} ≠ ${Array.from(b)}`,
  );

Deno.test("satLiteralFeatures: hand-derived counts on a 2-clause instance", () => {
  // (a ∨ b) ∧ (¬a ∨ c), k = 3: 4 literal occurrences / 3 variables → occurrence scale 4/3.
  const clauses = [[1, 2], [-1, 3]];
  const none = satLiteralFeatures(clauses, 3, [-1, -1, -1]);
  const at = (phi: Float64Array, v: number, b: number) => phi.slice((2 * v + b) * 6, (2 * v + b + 1) * 6);
  // a = true: satisfies clause 1 (u = 2), shrinks clause 2 (u = 2).
  close(at(none, 0, 1), [0, 1, 0.75, 0, 1, 0.75]);
  // a = false: the mirror image.
  close(at(none, 0, 0), [0, 1, 0.75, 0, 1, 0.75]);
  // c = true satisfies clause 2; c = false shrinks it.
  close(at(none, 2, 1), [0, 1, 0.75, 0, 0, 0]);
  close(at(none, 2, 0), [0, 0, 0, 0, 1, 0.75]);
  // b = false assigned: clause 1 becomes unit (only a left); clause 2 untouched.
  const bFalse = satLiteralFeatures(clauses, 3, [-1, 0, -1]);
  // a = true: satisfies the unit clause 1, shrinks clause 2 (u = 2).
  close(at(bFalse, 0, 1), [1, 0, 0.75, 0, 1, 0.75]);
  // a = false: satisfies clause 2 (u = 2), falsifies the unit clause 1.
  close(at(bFalse, 0, 0), [0, 1, 0.75, 1, 0, 0.75]);
  close(at(bFalse, 1, 1), [0, 0, 0, 0, 0, 0]); // assigned variables get 0
  // a = true assigned: clause 1 satisfied (ignored), clause 2 unit on c.
  const aTrue = satLiteralFeatures(clauses, 3, [1, -1, -1]);
  close(at(aTrue, 2, 1), [1, 0, 0.75, 0, 0, 0]);
  close(at(aTrue, 2, 0), [0, 0, 0, 1, 0, 0.75]);
  close(at(aTrue, 1, 1), [0, 0, 0, 0, 0, 0]);
});

Deno.test("sampleSatAssignment: w = 0 is a uniform random assignment (exact log-prob, 7/8 pass on one 3-clause)", () => {
  const rng = new Rng(7);
  const k = 3;
  const zero = new Float64Array(SAT_FEATURES);
  // Each step picks one of 2(k − t) literals uniformly: log π = −log(2^k k!) = −log 48.
  const tr = sampleSatAssignment(zero, [[1, 2, 3]], k, rng);
  assert.ok(Math.abs(tr.logProb + Math.log(48)) < 1e-12);
  const task = new SatTask({ n: 3, k: 3, l: 1 });
  const problem = task.problem([[1, 2, 3]], [true, true, true]);
  const N = 4000;
  const p = new SatAssignPolicy(task).passAt1([problem], N, rng);
  const se = Math.sqrt((7 / 8) * (1 / 8) / N);
  assert.ok(Math.abs(p - 7 / 8) < 4 * se, `pass ${p} vs 0.875 ± ${4 * se}`);
});

Deno.test("sampleSatAssignment: score equals the finite-difference gradient of log π(trajectory)", () => {
  const task = new SatTask({ n: 3, k: 8, l: 16 });
  const problem = task.sample(new Rng(3), {});
  const clauses = (problem.meta as { clauses: number[][] }).clauses;
  const w = [0.7, 0.3, 0.5, -0.8, -0.2, -0.4];
  const tr = sampleSatAssignment(w, clauses, 8, new Rng(11));
  const eps = 1e-6;
  for (let f = 0; f < SAT_FEATURES; f++) {
    const up = w.slice(), dn = w.slice();
    up[f] += eps;
    dn[f] -= eps;
    const a = sampleSatAssignment(up, clauses, 8, new Rng(11));
    const b = sampleSatAssignment(dn, clauses, 8, new Rng(11));
    assert.deepEqual(a.assignment, tr.assignment); // same uniforms, same trajectory
    const fd = (a.logProb - b.logProb) / (2 * eps);
    assert.ok(Math.abs(fd - tr.score[f]) < 1e-5, `feature ${f}: fd ${fd} vs score ${tr.score[f]}`);
  }
});

Deno.test("SatAssignPolicy.update: one GRPO-style step moves w along Σ A_i ∇log π(y_i) / N", () => {
  const task = new SatTask({ n: 3, k: 6, l: 10 });
  const rng = new Rng(5);
  const policy = new SatAssignPolicy(task);
  const groups = policy.generate([{ problem: task.sample(rng, {}) }], 4, rng);
  // Replay the same draws to get each rollout's score function independently of the policy's bookkeeping.
  const replay = new Rng(5);
  const clauses = (task.sample(replay, {}).meta as { clauses: number[][] }).clauses;
  const scores = Array.from(
    { length: 4 },
    () => sampleSatAssignment(new Float64Array(6), clauses, 6, replay).score,
  );
  const adv = [1, -1, 0.5, 0];
  policy.update(groups, [adv], 0.2);
  const want = Array.from(
    { length: 6 },
    (_, f) => (0.2 * adv.reduce((t, a, i) => t + a * scores[i][f], 0)) / 4,
  );
  close(policy.weights, want, 1e-12);
  assert.throws(() => policy.update([{ ...groups[0] }], [adv], 0.1), ConfigError);
});

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
  assert.equal(claims.length, 3);
  for (const r of claims) {
    assert.ok(VERDICTS.includes(r.verdict));
    assert.ok(r.ci[0] <= r.estimate + 1e-12 && r.estimate <= r.ci[1] + 1e-12, JSON.stringify(r));
    assert.equal(r.n, c.seeds);
  }
  const charts = saturn.charts(log);
  assert.deepEqual(charts.map((x) => x.name), [
    "target_pass_curve",
    "ladder_level",
    "zero_reward_groups",
    "final_pass",
  ]);
});
