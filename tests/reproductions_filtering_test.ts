/** The Online Difficulty Filtering reproduction (reproductions/filtering/): summaries, registry, smoke runs. */
import assert from "node:assert/strict";
import { matchesRegistration, resolveRunConfig, runReproduction, selectRows, VERDICTS } from "../mod.ts";
import { filtering, filteringSummaries, NOT_REACHED_RATIO, REPRODUCTIONS } from "../reproductions/mod.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { RunLog } from "../lib/log/runlog.ts";

Deno.test("filteringSummaries: hand-built log gives the step and rollout ratios to GRPO's best", () => {
  const log = new RunLog({ config: { ...filtering.presets.smoke, seeds: 1, steps: 3 } });
  const curve = (arm: string, accs: number[], rolls: number[]) =>
    accs.forEach((acc, step) =>
      log.log({ kind: "curve", seed: 0, arm, step, acc, rollouts: rolls[step], pvar: step * 0.1, delta: 0 })
    );
  curve("grpo", [0.1, 0.3, 0.5, 0.4], [0, 10, 20, 30]); // best 0.5, GRPO's total rollouts 30
  curve("balanced", [0.1, 0.4, 0.55, 0.6], [0, 25, 45, 70]); // reaches 0.5 at step 2 with 45 rollouts
  curve("dapo", [0.1, 0.2, 0.3, 0.45], [0, 12, 24, 36]); // never reaches 0.5
  const [s] = filteringSummaries(log);
  assert.equal(s.grpoBest, 0.5);
  assert.ok(Math.abs(s.stepsRatio - 2 / 3) < 1e-12);
  assert.ok(Math.abs(s.rolloutsRatio - 45 / 30) < 1e-12);
  assert.equal(s.dapoStepsRatio, NOT_REACHED_RATIO);
  assert.deepEqual(s.final, { grpo: 0.4, dapo: 0.45, balanced: 0.6 });
});

Deno.test("registry: filtering comes first; bad configs throw ConfigErrors", async () => {
  assert.equal(REPRODUCTIONS[0].name, "filtering");
  await assert.rejects(
    () => runReproduction(filtering, { preset: "smoke", config: { low: 0.9, high: 0.1 } }),
    ConfigError,
  );
  await assert.rejects(
    () => runReproduction(filtering, { preset: "smoke", config: { probeAt: [1.5] } }),
    ConfigError,
  );
});

Deno.test("filtering smoke run: equal training batches, filters generate ≥ as many rollouts, claims well-formed", async () => {
  const c = filtering.presets.smoke;
  const log = await runReproduction(filtering, { preset: "smoke", progress: false });
  for (let s = 0; s < c.seeds; s++) {
    const last = (arm: string) => selectRows(log, { kind: "curve", arm, seed: s, step: c.steps })[0];
    assert.equal(last("grpo").rollouts, c.steps * c.batchSize * c.groupSize);
    assert.ok(Number(last("balanced").rollouts) >= c.steps * c.batchSize * c.groupSize);
    assert.ok(Number(last("dapo").rollouts) >= c.steps * c.batchSize * c.groupSize);
    const probes = selectRows(log, { kind: "probe", seed: s });
    assert.equal(probes.length, c.probeAt.length * c.probeBatches);
    for (const r of probes) assert.ok(Number(r.lambda) >= 0 && Number(r.lambda) <= 1);
    // exact held-out accuracies are probabilities
    for (const r of selectRows(log, { kind: "curve", seed: s })) {
      assert.ok(Number(r.acc) > 0 && Number(r.acc) < 1);
    }
  }
  // LM tier: every arm × rate evaluated at 0…steps; GRPO spends exactly B × G rollouts per step, the filter ≥.
  const lm = c.lm;
  const budgets = Array.from({ length: lm.steps }, (_, i) => (i + 1) * lm.batchSize * lm.groupSize);
  for (let s = 0; s < c.seeds; s++) {
    const rates = new Set(selectRows(log, { kind: "lm-eval", seed: s }).map((r) => Number(r.lr)));
    assert.ok(rates.size > lm.learningRates.length, "the one-rate smoke grid is extended by the edge rule");
    for (const lr of rates) {
      const at = (arm: string) =>
        selectRows(log, { kind: "lm-eval", arm, seed: s, lr }).filter((r) => r.budget === undefined)
          .sort((x, y) => Number(x.step) - Number(y.step));
      // equal-budget readouts: both arms read at exactly GRPO's rollouts at each of its step readouts
      for (const arm of ["grpo", "balanced"]) {
        const read = selectRows(log, { kind: "lm-eval", arm, seed: s, lr }).filter((r) =>
          r.budget !== undefined
        );
        assert.deepEqual(read.map((r) => r.rollouts), budgets, arm);
      }
      assert.deepEqual(at("grpo").map((r) => r.step), [
        0,
        ...Array.from({ length: lm.steps }, (_, i) => i + 1),
      ]);
      for (const r of at("grpo")) assert.equal(r.rollouts, Number(r.step) * lm.batchSize * lm.groupSize);
      for (const r of at("balanced")) {
        assert.ok(Number(r.rollouts) >= Number(r.step) * lm.batchSize * lm.groupSize);
      }
    }
    const best = selectRows(log, { kind: "lm-best", seed: s });
    assert.equal(best.length, 2);
    assert.deepEqual(best.map((r) => r.rolloutBudget), [budgets.at(-1), budgets.at(-1)]);
    const start = selectRows(log, { kind: "lm-start", seed: s });
    assert.ok(start.length > 0 && start.every((r) => Number(r.degenerate) >= 0 && Number(r.degenerate) <= 1));
  }
  const claims = filtering.checkClaims(log);
  assert.equal(claims.length, 6 + 2);
  for (const r of claims.slice(0, 6)) {
    assert.ok(
      Number.isFinite(r.estimate) && r.ci[0] <= r.ci[1] &&
        (VERDICTS as readonly string[]).includes(r.verdict),
      r.claim,
    );
  }
  const lmRows = claims.slice(6);
  assert.deepEqual(lmRows.map((r) => [r.id, r.tier]), [["filtering.lm.1", "lm"], ["filtering.lm.2", "lm"]]);
  // Per-prompt table (smoke logs it): every step of every arm has one row per trained group (B for GRPO, ≤ B for
  // the filters), and p̂ is a mean of G binary outcomes, so a multiple of 1/G in [0, 1].
  for (let s = 0; s < c.seeds; s++) {
    const grpo = selectRows(log, { kind: "prompt", arm: "grpo", seed: s });
    assert.equal(grpo.length, c.steps * c.batchSize);
    for (const arm of ["dapo", "balanced"]) {
      const steps = new Map<number, number>();
      for (const r of selectRows(log, { kind: "prompt", arm, seed: s })) {
        steps.set(Number(r.step), (steps.get(Number(r.step)) ?? 0) + 1);
      }
      for (const n of steps.values()) assert.ok(n >= 1 && n <= c.batchSize);
    }
    for (const r of selectRows(log, { kind: "prompt", seed: s })) {
      const k = Number(r.passRate) * c.groupSize;
      assert.ok(Math.abs(k - Math.round(k)) < 1e-9 && k >= 0 && k <= c.groupSize, `p̂ ${r.passRate}`);
    }
  }
  const names = filtering.charts(log).map((x) => x.name);
  assert.equal(names.length, 4 + 3 + 3);
  for (const arm of ["grpo", "dapo", "balanced"]) assert.ok(names.includes(`prompt_pass_rates_${arm}`));
});

Deno.test("filtering: the quick preset is the registered LM-tier plan (a changed value un-registers its claims)", () => {
  const [plan] = filtering.preregistrations!;
  const { config } = resolveRunConfig(filtering, { preset: "quick" });
  assert.ok(matchesRegistration(config as unknown as Record<string, unknown>, plan.presets.quick!));
  const changed = resolveRunConfig(filtering, {
    preset: "quick",
    config: { lm: { ...config.lm, steps: 41 } },
  });
  assert.ok(!matchesRegistration(changed.config as unknown as Record<string, unknown>, plan.presets.quick!));
});

Deno.test("filtering: the same seeds give the same log; the balanced arm trains on full batches (fill = 1)", async () => {
  const opts = { preset: "smoke" as const, seeds: 1, config: { steps: 8, probeBatches: 3 }, progress: false };
  const a = await runReproduction(filtering, opts);
  const b = await runReproduction(filtering, opts);
  assert.deepEqual(a.rows, b.rows);
  for (const r of selectRows(a, { kind: "curve", arm: "balanced" })) assert.equal(r.fill, 1);
});
