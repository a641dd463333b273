import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { LM_TIER_FULL, resolveRunConfig, runLmTier } from "../mod.ts";
import { REPRODUCTIONS } from "../reproductions/mod.ts";
import { useBackend } from "../lib/core/backend.ts";

Deno.test("full presets: every reproduction's full config (both tiers) passes its validation", () => {
  for (const rep of REPRODUCTIONS) {
    const { config } = resolveRunConfig(rep, { preset: "full" });
    rep.validate(config);
    assert.ok(config.seeds >= 10, `${rep.name}: full runs ≥ 10 seeds`);
    assert.ok("lm" in config, `${rep.name}: the full preset sizes an LM tier`);
  }
});

Deno.test("full LM tier: the full-size model (d 64, 2 blocks, 4-digit addition) runs end to end at a tiny step count", async () => {
  await useBackend("wasm");
  const tiny = {
    ...LM_TIER_FULL,
    sftSteps: 2,
    sftBatchSize: 4,
    validationPerDigit: 2,
    testPerDigit: 2,
    steps: 2,
    evalEvery: 1,
    batchSize: 2,
    groupSize: 2,
    learningRates: [LM_TIER_FULL.learningRates[0]],
  };
  assert.equal(tiny.dModel, 64);
  assert.equal(tiny.nLayers, 2);
  const rows = await runLmTier(tiny, () => [{ name: "grpo" }], { index: 0, rng: new Rng(3), tick: () => {} });
  // evaluations at steps 0, 1, 2 and one selected row
  assert.deepEqual(rows.filter((r) => r.kind === "lm-eval").map((r) => r.step), [0, 1, 2]);
  assert.equal(rows.filter((r) => r.kind === "lm-best").length, 1);
  for (const r of rows) assert.ok(Number(r.testAccuracy) >= 0 && Number(r.testAccuracy) <= 1);
});
