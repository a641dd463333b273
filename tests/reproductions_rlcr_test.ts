import assert from "node:assert/strict";
import { ConfigError } from "../lib/core/validate.ts";
import { RunLog } from "../lib/log/runlog.ts";
import { ConfidenceAdditionTask } from "../lib/tasks/confidence.ts";
import type { RolloutGroup } from "../lib/curricula/types.ts";
import {
  applyPreconditions,
  evaluatePreconditions,
  NOT_TESTABLE,
  runReproduction,
  selectRows,
  VERDICTS,
} from "../mod.ts";
import {
  checkRlcrClaims,
  reliabilityRecords,
  rlcr,
  RLCR_ARMS,
  rlcrArmReward,
  rlcrPairedDifferences,
  statedConfidence,
} from "../reproductions/mod.ts";

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
  const all = checkRlcrClaims(log);
  // 8 fixed-start rows (ids rlcr.lm.1–8) + 6 chosen-start rows; the latter have no data in this log: n = 0
  assert.deepEqual(all.map((r) => r.id), Array.from({ length: 14 }, (_, i) => `rlcr.lm.${i + 1}`));
  assert.ok(all.every((r) => r.tier === "lm"));
  assert.ok(all.slice(8).every((r) => r.n === 0 && r.verdict === "inconclusive"));
  const rows = all.slice(0, 8);
  for (const r of rows) {
    assert.ok((VERDICTS as readonly string[]).includes(r.verdict));
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
  const cells = selectRows(log, { kind: "cell", seed: 0 });
  const perArm = new Map<string, number>();
  for (const r of cells) perArm.set(String(r.arm), (perArm.get(String(r.arm)) ?? 0) + Number(r.n));
  for (const arm of RLCR_ARMS) assert.equal(perArm.get(arm), c.evalProblems * c.evalSamples);
  const recs = reliabilityRecords(log);
  assert.ok(recs.every((r) => Number(r.confidence) >= 0 && Number(r.confidence) <= 1));
  const claims = rlcr.checkClaims(log);
  assert.equal(claims.length, 14);
  // the chosen-start tier: one lm-best row per seed × start × {start, binary, rlcr}
  assert.equal(selectRows(log, { kind: "lm-best" }).length, c.seeds * 2 * 3);
  for (const r of claims) assert.ok((VERDICTS as readonly string[]).includes(r.verdict));
  const charts = rlcr.charts(log);
  assert.deepEqual(charts.map((x) => x.name), [
    "lm_calibration",
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

Deno.test("rlcr blocks: arm rewards and the stated-confidence statistic on hand-made responses", () => {
  const task = new ConfidenceAdditionTask({ maxDigits: 2, levels: [0, 0.25, 0.5, 0.75, 1] });
  const V = task.vocab;
  const enc = (s: string) => [...V.encode(s), V.eos];
  const p = task.problem(7, 68); // answer "570"
  const c = { unparsableReward: -1 };
  assert.equal(rlcrArmReward("binary", task, c)(p, enc("570|a")), 1);
  assert.equal(rlcrArmReward("rlcr", task, c)(p, enc("570|a")), 0); // 1 − (0 − 1)²
  assert.equal(rlcrArmReward("rlcr", task, c)(p, enc("570")), -1);
  assert.equal(rlcrArmReward("rlcr-paper", task, c)(p, enc("570")), 0);
  const groups = [{ responses: [enc("570|b"), enc("570"), enc("12|d")] }] as unknown as RolloutGroup[];
  const s = statedConfidence(task, groups); // parsable 0.25 and 0.75; one of three unparsable
  assert.equal(s.meanConfidence, 0.5);
  assert.equal(s.parseRate, 2 / 3);
  assert.ok(
    Number.isNaN(
      statedConfidence(task, [{ responses: [enc("570")] }] as unknown as RolloutGroup[]).meanConfidence,
    ),
  );
});

Deno.test("rlcr preconditions: 'binary RL degrades calibration' is not testable when the binary arm's accuracy does not move", () => {
  const pre = rlcr.preconditions!;
  const log = (binaryAcc: number[], startAcc: number[]) => {
    const l = new RunLog({ reproduction: "rlcr", preset: "smoke", config: { seeds: 2 } });
    binaryAcc.forEach((a, seed) => {
      l.log({ seed, kind: "eval", arm: "binary", accuracy: a });
      l.log({ seed, kind: "eval", arm: "start", accuracy: startAcc[seed] });
      l.log({ seed, kind: "lm-best", start: "calibrated", arm: "binary", accuracy: a });
      l.log({ seed, kind: "lm-best", start: "calibrated", arm: "start", accuracy: startAcc[seed] });
    });
    return l;
  };
  // Changes +0.01 and −0.02: |mean| = 0.005 < 0.02 → fails; +0.05 and +0.03: 0.04 ≥ 0.02 → holds.
  const still = evaluatePreconditions(pre, log([0.51, 0.48], [0.5, 0.5]));
  assert.deepEqual(still.map((p) => p.id), ["rlcr.lm.pre1", "rlcr.lm.pre2"]);
  for (const p of still) {
    assert.ok(Math.abs(p.measured - 0.005) < 1e-12);
    assert.equal(p.holds, false);
  }
  const moved = evaluatePreconditions(pre, log([0.55, 0.53], [0.5, 0.5]));
  assert.ok(moved.every((p) => p.holds === true && Math.abs(p.measured - 0.04) < 1e-12));
  const row = { claim: "c", paper: "p", estimate: 0.1, ci: [0.05, 0.2] as [number, number], rule: "r", n: 2 };
  const [fails] = applyPreconditions(
    [{ ...row, verdict: "reproduced", preconditions: ["rlcr.lm.pre1"] }],
    still,
  );
  assert.equal(fails.verdict, NOT_TESTABLE);
  const [holds] = applyPreconditions(
    [{ ...row, verdict: "reproduced", preconditions: ["rlcr.lm.pre1"] }],
    moved,
  );
  assert.equal(holds.verdict, "reproduced");
});
