import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { PERMUTATION_VOCAB, PermutationTask } from "../lib/tasks/permutation.ts";
import type { SequencePolicy } from "../lib/train/rollouts.ts";
import { matchesRegistration, resolveRunConfig } from "../mod.ts";
import { rover } from "../reproductions/mod.ts";
import { roverLmKs, runRoverLmTier, sampledMetrics, validateRoverLm } from "../reproductions/rover/lm.ts";
import { ROVER_LM_PREREGISTRATION, ROVER_LM_SMOKE } from "../reproductions/rover/preregistration.ts";

const enc = (s: string) => [...PERMUTATION_VOCAB.encode(s), PERMUTATION_VOCAB.eos];

/** A policy whose `sample` replays fixed responses (only `sample` is read by `sampledMetrics`). */
function replay(responses: number[][]): SequencePolicy {
  return {
    sample: (prompts: number[][]) => {
      assert.equal(prompts.length, responses.length);
      return Promise.resolve({ responses, logProbs: responses.map((r) => r.map(() => 0)) });
    },
  } as unknown as SequencePolicy;
}

Deno.test("rover lm: sampled metrics on hand-made samples (pass@k, distinct correct answers)", async () => {
  const task = new PermutationTask({ minDigits: 3, maxDigits: 3 });
  const p = task.problem("112"); // 3 valid answers: 112, 121, 211
  const q = task.problem("123"); // 6 valid answers
  // p: 4 samples, 3 correct of which 2 distinct (112 twice, 121); q: 4 samples, none correct.
  const responses = [
    enc("112"),
    enc("121"),
    enc("112"),
    enc("111"),
    enc("12"),
    enc("1234"),
    enc("111"),
    enc("="),
  ];
  const m = await sampledMetrics(replay(responses), task, [p, q], 4, 1);
  assert.deepEqual(roverLmKs(4), [1, 2, 4]);
  // pass@1 = (3/4 + 0)/2; pass@2 on p = 1 − C(1,2)/C(4,2) = 1 → (1 + 0)/2; pass@4 = (1 + 0)/2.
  assert.ok(Math.abs(m.pass1 - 0.375) < 1e-12);
  assert.ok(Math.abs(m.pass2 - 0.5) < 1e-12);
  assert.ok(Math.abs(m.pass4 - 0.5) < 1e-12);
  assert.ok(Math.abs(m.distinct - 1) < 1e-12); // (2 + 0)/2
  assert.ok(Math.abs(m.distinctFraction - (2 / 3) / 2) < 1e-12);
});

Deno.test("rover lm: the quick preset is the registered LM-tier plan; config errors name the field", () => {
  const { config } = resolveRunConfig(rover, { preset: "quick" });
  assert.ok(
    matchesRegistration(
      config as unknown as Record<string, unknown>,
      ROVER_LM_PREREGISTRATION.presets.quick!,
    ),
  );
  assert.deepEqual(ROVER_LM_PREREGISTRATION.claims.map((c) => c.id), [
    "rover.lm.1",
    "rover.lm.2",
    "rover.lm.3",
  ]);
  const err = (c: Record<string, unknown>, field: string) =>
    assert.throws(
      () => validateRoverLm({ ...ROVER_LM_SMOKE, ...c }, "rover.lm"),
      (e: unknown) => e instanceof ConfigError && e.field === field,
    );
  err({ rho: 0 }, "rover.lm.rho");
  err({ learningRates: [] }, "rover.lm.learningRates");
  err({ minDigits: 5, maxDigits: 4 }, "rover.lm.maxDigits");
  err({ samples: 0 }, "rover.lm.samples");
});

Deno.test("rover lm: smoke seed gives one selected row per arm, metrics in range, no tensor leak", async () => {
  await useBackend("cpu");
  const before = tf.memory().numTensors;
  let ticks = 0;
  const rows = await runRoverLmTier(ROVER_LM_SMOKE, {
    index: 0,
    rng: new Rng(5),
    tick: (n = 1) => ticks += n,
  });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(ticks, 2); // one unit per arm
  for (const r of rows) {
    for (const v of Object.values(r)) assert.ok(typeof v === "string" || Number.isFinite(v), "loggable");
  }
  const best = rows.filter((r) => r.kind === "lm-best");
  assert.deepEqual(best.map((r) => r.arm), ["grpo", "rover"]);
  for (const r of [...best, ...rows.filter((r) => r.kind === "lm-start")]) {
    assert.equal(r.tier, "lm");
    const ks = roverLmKs(ROVER_LM_SMOKE.samples);
    for (let i = 1; i < ks.length; i++) {
      assert.ok(Number(r[`pass${ks[i]}`]) >= Number(r[`pass${ks[i - 1]}`]) - 1e-12);
    }
    assert.ok(Number(r.pass1) >= 0 && Number(r[`pass${ROVER_LM_SMOKE.samples}`]) <= 1 + 1e-12);
    assert.ok(Number(r.distinct) >= 0 && Number(r.distinct) <= ROVER_LM_SMOKE.samples);
    assert.ok(Number(r.distinctFraction) <= 1 + 1e-12);
  }
});
