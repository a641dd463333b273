import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { RunLog } from "../lib/log/runlog.ts";
import { CONFIDENCE_VOCAB, ConfidenceAdditionTask } from "../lib/tasks/confidence.ts";
import { matchesRegistration, resolveRunConfig } from "../mod.ts";
import { rlcr } from "../reproductions/rlcr/mod.ts";
import {
  binaryFormatReward,
  bucketAccuracy,
  checkRlcrLmClaims,
  difficultyBucket,
  nearestLevel,
  noisyLabel,
  RLCR_LM_STARTS,
  validateRlcrLm,
} from "../reproductions/rlcr/lm.ts";
import { RLCR_LM_PREREGISTRATION, RLCR_LM_QUICK } from "../reproductions/rlcr/preregistration.ts";

const task = new ConfidenceAdditionTask({ maxDigits: 2, levels: [0, 0.25, 0.5, 0.75, 1] });
const enc = (s: string) => [...CONFIDENCE_VOCAB.encode(s), CONFIDENCE_VOCAB.eos];

Deno.test("rlcr LM plan: the registered quick config is what runReproduction resolves; ≥ 2 claims with rules", () => {
  const { config } = resolveRunConfig(rlcr, { preset: "quick" });
  const plan = RLCR_LM_PREREGISTRATION.presets.quick!;
  assert.ok(matchesRegistration(config as unknown as Record<string, unknown>, plan));
  assert.ok(!matchesRegistration({ ...config, sftSteps: 250 } as unknown as Record<string, unknown>, plan));
  assert.ok(RLCR_LM_PREREGISTRATION.claims.length >= 2);
  assert.deepEqual(
    RLCR_LM_PREREGISTRATION.claims.map((c) => c.id),
    [9, 10, 11, 12, 13, 14].map((n) => `rlcr.lm.${n}`),
  );
  assert.deepEqual(rlcr.preregistrations, [RLCR_LM_PREREGISTRATION]);
});

Deno.test("rlcr LM blocks: buckets, nearest level, bucket accuracy, binary-with-format reward (hand cases)", () => {
  assert.equal(difficultyBucket(task.problem(7, 8, 1)), "1d1c");
  assert.equal(difficultyBucket(task.problem(45, 55, 2)), "2d2c");
  assert.equal(difficultyBucket(task.problem(12, 34, 2)), "2d0c");
  const levels = [0, 0.25, 0.5, 0.75, 1];
  assert.equal(nearestLevel(levels, 0.6), 2);
  assert.equal(nearestLevel(levels, 0.63), 3);
  assert.equal(nearestLevel(levels, 0.125), 0); // tie → lower
  assert.equal(nearestLevel(levels, 1), 4);
  const p1 = task.problem(1, 2, 1); // 1d0c
  const p2 = task.problem(9, 9, 1); // 1d1c
  const acc = bucketAccuracy({
    conf: [1, 1, 1, 1, 1],
    correct: [1, 0, 1, 1, 0],
    problems: [p1, p1, p1, p2, p2],
  });
  assert.deepEqual(Object.fromEntries(acc), { "1d0c": 2 / 3, "1d1c": 0.5 });
  // 07 + 68 = 75 → "570" (reversed, fixed width 3)
  const p = task.problem(7, 68, 2);
  const r = binaryFormatReward(task);
  assert.equal(r(p, enc("570|e")), 1);
  assert.equal(r(p, enc("570|a")), 1); // the level does not matter to the binary reward
  assert.equal(r(p, enc("571|e")), 0);
  assert.equal(r(p, enc("570|")), 0); // correct answer, no confidence: counted wrong
  assert.equal(r(p, [...CONFIDENCE_VOCAB.encode("570|"), CONFIDENCE_VOCAB.eos]), 0);
});

Deno.test("noisyLabel: the label with probability 1 − noise, else uniform (binomial bounds)", () => {
  const rng = new Rng(5);
  const n = 20000;
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) counts[noisyLabel(4, 5, rng, 0.1)]++;
  // P(level 4) = 0.9 + 0.1/5 = 0.92; P(other) = 0.02 each; 5-sigma binomial bounds
  const within = (k: number, p: number) => Math.abs(k - n * p) < 5 * Math.sqrt(n * p * (1 - p));
  assert.ok(within(counts[4], 0.92), `${counts}`);
  for (let k = 0; k < 4; k++) assert.ok(within(counts[k], 0.02), `${counts}`);
  assert.equal(noisyLabel(2, 5, rng, 0), 2);
});

Deno.test("checkRlcrLmClaims: claim directions on a constructed log", () => {
  const n = 10;
  const log = new RunLog({
    reproduction: "rlcr",
    preset: "smoke",
    config: { ...rlcr.presets.smoke, seeds: n },
  });
  // ECE: over-confident start 0.4, binary 0.4, rlcr 0.1; calibrated start 0.05, binary 0.1, rlcr 0.2 (worse)
  // accuracy: over-confident rlcr 0.02 below binary (within margin), calibrated rlcr 0.2 below (inferior)
  const ece = {
    overconfident: { start: 0.4, binary: 0.4, rlcr: 0.1 },
    calibrated: { start: 0.05, binary: 0.1, rlcr: 0.2 },
  };
  const acc = {
    overconfident: { start: 0.5, binary: 0.6, rlcr: 0.58 },
    calibrated: { start: 0.5, binary: 0.6, rlcr: 0.4 },
  };
  for (let seed = 0; seed < n; seed++) {
    const jitter = 0.001 * (seed % 3);
    for (const start of RLCR_LM_STARTS) {
      for (const arm of ["start", "binary", "rlcr"] as const) {
        log.log({
          seed,
          tier: "lm",
          kind: "lm-best",
          start,
          arm,
          ece: ece[start][arm] + jitter,
          accuracy: acc[start][arm] + jitter,
        });
      }
    }
  }
  const rows = checkRlcrLmClaims(log, RLCR_LM_PREREGISTRATION, 0.05);
  assert.deepEqual(rows.map((r) => r.id), RLCR_LM_PREREGISTRATION.claims.map((c) => c.id));
  assert.deepEqual(rows.map((r) => r.verdict), [
    "reproduced", // 9: over-confident rlcr − binary ECE = −0.3
    "reproduced", // 10: −0.02 > −0.05
    "reproduced", // 11: calibrated binary − start ECE = +0.05
    "not reproduced", // 12: calibrated rlcr − binary ECE = +0.1
    "not reproduced", // 13: −0.2 < −0.05
    "reproduced", // 14: over-confident rlcr − start ECE = −0.3
  ]);
  assert.ok(Math.abs(rows[0].estimate + 0.3) < 1e-9);
  assert.ok(rows.every((r) => r.tier === "lm" && r.n === n));
});

Deno.test("validateRlcrLm: bad fields throw a ConfigError naming them", () => {
  validateRlcrLm(RLCR_LM_QUICK, "lm");
  assert.throws(() => validateRlcrLm({ ...RLCR_LM_QUICK, labelNoise: 1.5 }, "lm"), /lm\.labelNoise/);
  assert.throws(() => validateRlcrLm({ ...RLCR_LM_QUICK, learningRates: [] }, "lm"), ConfigError);
  assert.throws(() => validateRlcrLm({ ...RLCR_LM_QUICK, groupSize: 1 }, "lm"), /lm\.groupSize/);
});
