import { runReproduction } from "../reproductions/harness.ts";
import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { RunLog } from "../lib/log/runlog.ts";
import { rlcrReward } from "../lib/rewards/rlcr.ts";
import { CONFIDENCE_VOCAB, ConfidenceAdditionTask } from "../lib/tasks/confidence.ts";
import {
  calibrationSummary,
  checkRlcrClaims,
  reliabilityRecords,
  rlcr,
  RLCR_ARMS,
  rlcrPairedDifferences,
} from "../reproductions/rlcr.ts";
import { VERDICTS } from "../reproductions/harness.ts";

const task = new ConfidenceAdditionTask({ maxDigits: 2, levels: [0, 0.25, 0.5, 0.75, 1] });
const enc = (s: string) => [...CONFIDENCE_VOCAB.encode(s), CONFIDENCE_VOCAB.eos];

Deno.test("ConfidenceAdditionTask: format, verify and confidence parsing (hand cases)", () => {
  const p = task.problem(7, 68, 3); // 75 → "570" reversed, fixed width; reference level 3 = "d"
  assert.equal(p.text.prompt, "07+68=");
  assert.equal(p.text.solution, "570|d");
  assert.equal(p.id, "addition:7+68");
  assert.deepEqual(p.solution, enc("570|d"));
  assert.equal(task.verify(p, enc("570|a")), 1);
  assert.equal(task.verify(p, enc("570|e")), 1);
  assert.equal(task.verify(p, enc("571|e")), 0);
  assert.equal(task.verify(p, enc("570")), 0, "separator required");
  assert.equal(task.verify(p, enc("5700|e")), 0);
  assert.equal(task.confidence(enc("570|a")), 0);
  assert.equal(task.confidence(enc("123|c")), 0.5);
  assert.equal(task.confidence(enc("570|e")), 1);
  assert.equal(task.confidence(CONFIDENCE_VOCAB.encode("570|b")), 0.25, "no eos: still parsable");
  assert.equal(task.confidence(enc("570")), null);
  assert.equal(task.confidence(enc("570|")), null);
  assert.equal(task.confidence(enc("570|5")), null);
  assert.equal(task.confidence(enc("570|ab")), null, "extra token after the confidence");
  assert.equal(task.maxSequenceLength, 13);
  // the confidence's reward is the RLCR rule on the parsed value: 1 − (0.25 − 1)² and 0 − 0.25²
  assert.equal(rlcrReward(task.verify(p, enc("570|b")), task.confidence(enc("570|b"))), 1 - 0.75 ** 2);
  assert.equal(rlcrReward(task.verify(p, enc("571|b")), task.confidence(enc("571|b"))), -(0.25 ** 2));
});

Deno.test("ConfidenceAdditionTask: reference confidence follows referenceWeights (binomial bound)", () => {
  const t = new ConfidenceAdditionTask({ levels: [0.2, 0.8], referenceWeights: [1, 3] });
  const rng = new Rng(5);
  const n = 4000;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const p = t.sample(rng);
    if (p.meta!.referenceConfidence === 0.8) high++;
    assert.equal(t.verify(p, p.solution), 1);
  }
  const se = Math.sqrt(0.75 * 0.25 / n); // ≈ 0.0068
  assert.ok(Math.abs(high / n - 0.75) < 4 * se, `share ${high / n}`);
  assert.throws(() => new ConfidenceAdditionTask({ levels: [0.5, 0.4] }), ConfigError);
  assert.throws(
    () => new ConfidenceAdditionTask({ levels: [0, 1], referenceWeights: [1] }),
    /referenceWeights/,
  );
  assert.throws(() => new ConfidenceAdditionTask({ levels: [0, 1.5] }), ConfigError);
});

Deno.test("calibrationSummary: hand-computed ECE, Brier, AUROC; unparsable excluded from calibration", () => {
  // parsable: (1, y=1), (1, y=0), (0, y=0), (0.5, y=1); one unparsable correct sample
  const s = calibrationSummary([1, 1, 0, 0.5, null], [1, 0, 0, 1, 1]);
  assert.equal(s.accuracy, 3 / 5);
  assert.equal(s.parseRate, 4 / 5);
  assert.equal(s.meanConfidence, 2.5 / 4);
  // bins: {1,1}: acc 0.5 conf 1 → 2/4·0.5; {0}: 0; {0.5}: |1 − 0.5|·1/4
  assert.ok(Math.abs(s.ece - (0.25 + 0.125)) < 1e-12);
  assert.ok(Math.abs(s.brier - (0 + 1 + 0 + 0.25) / 4) < 1e-12);
  // positives {1, 0.5}, negatives {1, 0}: pairs (1>0)=1, (1=1)=½, (0.5<1)=0, (0.5>0)=1 → 2.5/4
  assert.ok(Math.abs(s.auroc - 0.625) < 1e-12);
  assert.ok(Number.isNaN(calibrationSummary([0.5, 0.5], [1, 1]).auroc), "one class → NaN");
});

function fakeLog(ece: Record<string, number[]>, acc: Record<string, number[]>): RunLog {
  const config = { ...rlcr.presets.smoke, seeds: ece.start.length };
  const log = new RunLog({ reproduction: "rlcr", preset: "smoke", config });
  for (const arm of RLCR_ARMS) {
    ece[arm].forEach((e, seed) =>
      log.log({
        seed,
        kind: "eval",
        arm,
        accuracy: acc[arm][seed],
        parseRate: 1,
        meanConfidence: 0.5,
        ece: e,
        brier: e,
        auroc: 1 - e,
      })
    );
  }
  return log;
}

Deno.test("checkRlcrClaims: paired differences and verdict directions on a constructed log", () => {
  const n = 10;
  const seq = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
  const ece = {
    start: seq((i) => 0.4 + 0.01 * i),
    binary: seq((i) => 0.45 + 0.01 * i), // binary − start = +0.05 every seed
    rlcr: seq((i) => 0.1 + 0.002 * i),
    "rlcr-paper": seq((i) => 0.5 + 0.01 * i), // worse than binary
  };
  const acc = {
    start: seq(() => 0.3),
    binary: seq(() => 0.5),
    rlcr: seq((i) => 0.5 + (i % 2 ? 0.01 : -0.01)), // ≈ equal
    "rlcr-paper": seq(() => 0.2), // 0.3 lower: clearly inferior
  };
  const log = fakeLog(ece, acc);
  assert.deepEqual(
    rlcrPairedDifferences(log, "binary", "start", "ece").map((x) => +x.toFixed(12)),
    seq(() => 0.05),
  );
  const rows = checkRlcrClaims(log);
  assert.equal(rows.length, 8);
  for (const r of rows) {
    assert.ok(VERDICTS.includes(r.verdict));
    assert.ok(r.rule.length > 20 && r.claim.length > 10 && r.paper.length > 0);
    assert.equal(r.n, n);
  }
  const v = rows.map((r) => r.verdict);
  assert.deepEqual(v, [
    "reproduced", // rlcr ECE < binary
    "reproduced", // rlcr ECE < start
    "reproduced", // accuracy within margin
    "reproduced", // binary ECE > start
    "reproduced", // Brier (= ECE here) lower
    "reproduced", // AUROC (= 1 − ECE) higher
    "not reproduced", // rlcr-paper ECE higher than binary
    "not reproduced", // rlcr-paper accuracy 0.3 below binary
  ]);
  assert.ok(Math.abs(rows[3].estimate - 0.05) < 1e-9);
  assert.ok(Math.abs(rows[7].estimate + 0.3) < 1e-9);
});

Deno.test("rlcr smoke preset: runs, logs every arm per seed, claims table and charts", async () => {
  const log = await runReproduction(rlcr, { preset: "smoke", progress: false });
  const evals = (log.rows as Record<string, unknown>[]).filter((r) => r.kind === "eval");
  assert.equal(evals.length, rlcr.presets.smoke.seeds * RLCR_ARMS.length);
  for (const r of evals) {
    assert.ok(Number(r.accuracy) >= 0 && Number(r.accuracy) <= 1);
    assert.ok(Number(r.parseRate) >= 0 && Number(r.parseRate) <= 1);
  }
  // cells add up to the number of evaluated samples per (seed, arm)
  const c = rlcr.presets.smoke;
  const cells = (log.rows as Record<string, unknown>[]).filter((r) => r.kind === "cell" && r.seed === 0);
  const perArm = new Map<string, number>();
  for (const r of cells) perArm.set(String(r.arm), (perArm.get(String(r.arm)) ?? 0) + Number(r.n));
  for (const arm of RLCR_ARMS) assert.equal(perArm.get(arm), c.evalProblems * c.evalSamples);
  const recs = reliabilityRecords(log);
  assert.ok(recs.every((r) => Number(r.confidence) >= 0 && Number(r.confidence) <= 1));
  const claims = rlcr.checkClaims(log);
  assert.equal(claims.length, 8);
  for (const r of claims) assert.ok(VERDICTS.includes(r.verdict));
  const charts = rlcr.charts(log);
  assert.deepEqual(charts.map((x) => x.name), [
    "reliability",
    "reliability_by_digits",
    "metrics",
    "confidence_curve",
    "accuracy_curve",
  ]);
  await assert.rejects(
    runReproduction(rlcr, { preset: "smoke", config: { groupSize: 1 }, progress: false }),
    ConfigError,
  );
});
