/** The SEELE reproduction (reproductions/seele/): peak estimate, registry, smoke run. */
import assert from "node:assert/strict";
import { matchesRegistration, resolveRunConfig, runReproduction, selectRows, VERDICTS } from "../mod.ts";
import { binnedPeak, containedVerdict, REPRODUCTIONS, seele, seeleArms } from "../reproductions/mod.ts";
import { ConfigError } from "../lib/core/validate.ts";

Deno.test("binnedPeak: the parabola vertex of an exact quadratic; edges and gaps fall back to the argmax bin", () => {
  const centers = Array.from({ length: 10 }, (_, i) => (i + 0.5) / 10);
  const peak = binnedPeak(centers, centers.map((x) => 1 - (x - 0.42) ** 2));
  assert.ok(Math.abs(peak - 0.42) < 1e-9, String(peak));
  assert.equal(binnedPeak(centers, centers.map((x) => x)), 0.95);
  assert.equal(binnedPeak(centers, centers.map((x, i) => (i === 4 ? 5 : i === 5 ? NaN : x))), 0.45);
  assert.equal(containedVerdict([0.4, 0.6], [0.35, 0.65]), "reproduced");
  assert.equal(containedVerdict([0.1, 0.3], [0.35, 0.65]), "not reproduced");
  assert.equal(containedVerdict([0.3, 0.5], [0.35, 0.65]), "inconclusive");
});

Deno.test("registry: seele is second; bad configs throw ConfigErrors", async () => {
  assert.equal(REPRODUCTIONS[1].name, "seele");
  await assert.rejects(
    () => runReproduction(seele, { preset: "smoke", config: { targets: [1.5] } }),
    ConfigError,
  );
  await assert.rejects(
    () => runReproduction(seele, { preset: "smoke", config: { nope: 1 } as never }),
    ConfigError,
  );
});

Deno.test("seele smoke run: equal rollout budget in every arm, hint rates, descent rows, claims well-formed", async () => {
  const c = seele.presets.smoke;
  const log = await runReproduction(seele, { preset: "smoke", progress: false });
  const budget = c.steps * c.batchSize * c.rounds * c.rolloutsPerRound;
  for (const arm of seeleArms(c)) {
    const last = selectRows(log, { kind: "curve", arm, step: c.steps });
    assert.equal(last.length, c.seeds);
    for (const r of last) assert.equal(r.rollouts, budget, arm);
  }
  const fixed = selectRows(log, { kind: "curve", arm: "fixed" }).filter((r) => Number(r.step) > 0);
  for (const r of fixed) assert.ok(Number(r.hintRate) > 0.3 && Number(r.hintRate) < 0.7);
  const grpo = selectRows(log, { kind: "curve", arm: "grpo" }).filter((r) => Number(r.step) > 0);
  for (const r of grpo) assert.equal(r.hintRate, 0);
  const descent = selectRows(log, { kind: "descent" });
  assert.ok(descent.length > 0 && descent.every((r) => Number(r.hint) < Number(r.length)));
  // LM tier: SEELE rolls out m rounds × G per problem, no-hint RL G per problem (exactly, every step).
  const lm = c.lm;
  for (let s = 0; s < c.seeds; s++) {
    const steps = (arm: string) =>
      selectRows(log, { kind: "lm-eval", arm, seed: s }).filter((r) => r.budget === undefined);
    for (const r of steps("grpo")) assert.equal(r.rollouts, Number(r.step) * lm.batchSize * lm.groupSize);
    for (const r of steps("seele")) {
      assert.equal(r.rollouts, Number(r.step) * lm.batchSize * lm.groupSize * c.lmSeele.rounds);
    }
    // equal-budget readouts: both arms, every rate, read at exactly the no-hint arm's rollouts per step readout
    const budgets = Array.from({ length: lm.steps }, (_, i) => (i + 1) * lm.batchSize * lm.groupSize);
    for (const arm of ["grpo", "seele"]) {
      const rates = new Set(selectRows(log, { kind: "lm-eval", arm, seed: s }).map((r) => Number(r.lr)));
      for (const lr of rates) {
        const read = selectRows(log, { kind: "lm-eval", arm, seed: s, lr }).filter((r) =>
          r.budget !== undefined
        );
        assert.deepEqual(read.map((r) => r.rollouts), budgets, `${arm} at ${lr}`);
      }
    }
    const start = selectRows(log, { kind: "lm-start", seed: s });
    assert.equal(start.length, lm.trainSetSize, "the start precondition reads the whole pool");
    assert.ok(start.every((r) => r.unsolved === 0 || r.unsolved === 1));
  }
  const claims = seele.checkClaims(log);
  assert.equal(claims.length, 5 + 3);
  for (const r of claims.slice(0, 5)) {
    assert.ok(
      Number.isFinite(r.estimate) && r.ci[0] <= r.ci[1] &&
        (VERDICTS as readonly string[]).includes(r.verdict),
      r.claim,
    );
  }
  assert.deepEqual(claims.slice(5).map((r) => r.id), ["seele.lm.1", "seele.lm.2", "seele.lm.3"]);
  assert.equal(seele.charts(log).length, 3 + 3);
});

Deno.test("seele: the quick preset is the registered LM-tier plan", () => {
  const [plan] = seele.preregistrations!;
  const { config } = resolveRunConfig(seele, { preset: "quick" });
  assert.ok(matchesRegistration(config as unknown as Record<string, unknown>, plan.presets.quick!));
});
