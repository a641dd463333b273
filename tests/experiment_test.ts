import assert from "node:assert/strict";
import {
  aggregateInterval,
  applyPreconditions,
  type ArmEvalRow,
  baselineRolloutBudgets,
  bySeed,
  type ClaimRow,
  type ClaimStatus,
  directionalClaim,
  equivalenceClaim,
  evaluatePreconditions,
  finalizeClaims,
  learningCurve,
  lmStartPrecondition,
  lmTierRows,
  lmTunedPrecondition,
  nonInferiorityClaim,
  NOT_TESTABLE,
  pairedBySeed,
  perKClaim,
  type PreconditionSpec,
  renderReport,
  type ReproductionSummary,
  Rng,
  RunLog,
} from "../mod.ts";

function log(rows: Record<string, number | string>[], seeds: number): RunLog {
  const l = new RunLog({ config: { seeds, baseSeed: 0 } });
  for (const r of rows) l.log(r);
  return l;
}

Deno.test("a NaN seed is counted, not dropped", () => {
  // 4 registered seeds; seed 2's arm b produced no parsable value (NaN), seed 3 did not log arm a at all.
  const rows = [
    { seed: 0, arm: "a", ece: 0.1 },
    { seed: 0, arm: "b", ece: 0.3 },
    { seed: 1, arm: "a", ece: 0.2 },
    { seed: 1, arm: "b", ece: 0.3 },
    { seed: 2, arm: "a", ece: 0.1 },
    { seed: 2, arm: "b", ece: "NaN" },
    { seed: 3, arm: "b", ece: 0.4 },
  ];
  const l = log(rows, 4);
  const diffs = pairedBySeed(bySeed(l, { arm: "a" }, "ece"), bySeed(l, { arm: "b" }, "ece"), undefined, {
    seeds: 4,
  });
  assert.equal(diffs.length, 4);
  assert.deepEqual(diffs.slice(0, 2).map((d) => Math.round(d * 100) / 100), [-0.2, -0.1]);
  assert.ok(Number.isNaN(diffs[2]) && Number.isNaN(diffs[3]));
  // Without a failure value in the rule the claim cannot be decided: inconclusive, n = 4, the reason stated.
  const open = directionalClaim("a is better calibrated", "", [diffs], "less");
  assert.equal(open.verdict, "inconclusive");
  assert.equal(open.n, 4);
  assert.match(open.nNote!, /2 of 4 runs have no finite value/);
  // With the rule's failure value (the worst difference, +1) both seeds count against the claim:
  // mean of [−0.2, −0.1, 1, 1] = 0.425 > 0, while dropping them would give −0.15 (a "reproduced" survivor).
  const failed = directionalClaim("a is better calibrated", "", [diffs], "less", { failure: 1 });
  assert.equal(failed.n, 4);
  assert.ok(Math.abs(failed.estimate - 0.425) < 1e-12);
  assert.notEqual(failed.verdict, "reproduced");
  assert.match(failed.rule, /counts as a failure \(1\)/);
  const survivors = directionalClaim("", "", [diffs.filter(Number.isFinite)], "less");
  assert.ok(Math.abs(survivors.estimate + 0.15) < 1e-12);
});

Deno.test("equivalenceClaim: a tie at a ceiling is reproduced within the margin; a real gap is not", () => {
  // Exact pass@256 of two arms ≈ 1: differences of order 1e−12 are a tie, not a loss.
  const tie = equivalenceClaim("tie at pass@256", "", [[-3e-12, 1e-12, -2e-12, 0, 4e-12]], { margin: 0.01 });
  assert.equal(tie.verdict, "reproduced");
  assert.ok(tie.pValue! < 0.05);
  assert.match(tie.rule, /inside \(−0\.01, 0\.01\)/);
  const gap = equivalenceClaim("gap", "", [[0.2, 0.25, 0.3, 0.22, 0.28]], { margin: 0.01 });
  assert.equal(gap.verdict, "not reproduced");
  const wide = equivalenceClaim("wide", "", [[-0.05, 0.05, -0.04, 0.04, 0]], { margin: 0.01 });
  assert.equal(wide.verdict, "inconclusive");
});

Deno.test("nonInferiorityClaim: reproduced iff the CI lies above −margin", () => {
  const near = nonInferiorityClaim("keeps", "", [[-0.004, -0.002, 0.001, -0.003, 0]], { margin: 0.01 });
  assert.equal(near.verdict, "reproduced");
  const worse = nonInferiorityClaim("keeps", "", [[-0.1, -0.12, -0.09, -0.11, -0.1]], { margin: 0.01 });
  assert.equal(worse.verdict, "not reproduced");
});

Deno.test("perKClaim: Holm over k instead of a minimum over k; identical policies are not 'not reproduced'", () => {
  // Identical policies: per-k sampled differences are noise around 0 (sd 0.004 per seed, 10 seeds) at 8 k's.
  // A per-seed minimum over k is biased downward; the per-k test with Holm is not.
  const rng = new Rng(7);
  const noise = () => (rng.uniform() - 0.5) * 0.014;
  const ks = [1, 2, 4, 8, 16, 32, 64, 128];
  const byK = new Map(ks.map((k) => [k, [Array.from({ length: 10 }, noise)]]));
  const per = perKClaim("keeps pass@k across k", "", byK, { margin: 0.01 });
  assert.equal(per.parts!.length, ks.length);
  assert.notEqual(per.verdict, "not reproduced");
  const minOverK = Array.from({ length: 10 }, (_, s) => Math.min(...ks.map((k) => byK.get(k)![0][s])));
  assert.ok(aggregateInterval(minOverK).estimate < -0.003, "the minimum over k is biased downward");
  // Holm: each part's adjusted p ≥ its raw p; every k clearly non-inferior → reproduced.
  for (const p of per.parts!) assert.ok(p.pHolm >= p.pValue);
  const good = perKClaim("", "", new Map(ks.map((k) => [k, [[0.02, 0.03, 0.025, 0.02, 0.03]]])), {
    margin: 0.01,
  });
  assert.equal(good.verdict, "reproduced");
  // One k clearly worse than −margin → not reproduced.
  const bad = new Map(
    ks.map((k) => [k, [k === 64 ? [-0.2, -0.25, -0.22, -0.21, -0.2] : [0.02, 0.03, 0.025]]]),
  );
  assert.equal(perKClaim("", "", bad, { margin: 0.01 }).verdict, "not reproduced");
});

const SPEC: PreconditionSpec = {
  id: "x.lm.pre1",
  tier: "lm",
  quantity: "share of groups with p̂ ∈ {0, 1} at step 0",
  comparison: ">=",
  threshold: 0.2,
  measure: (l) => {
    const v = l.rows.filter((r) => r.kind === "start").map((r) => Number(r.saturated));
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  },
};

function claim(id: string, p: number, preconditions?: string[]): ClaimRow {
  return {
    id,
    claim: id,
    paper: "",
    estimate: 0.1,
    ci: [0.05, 0.15],
    verdict: "reproduced",
    rule: "CI > 0",
    n: 2,
    pValue: p,
    pOpposite: 1 - p,
    tier: "lm",
    ...(preconditions ? { preconditions } : {}),
  };
}

Deno.test("preconditions: a failed one makes its claims not testable here and removes them from the Holm family", () => {
  const low = log(
    [{ seed: 0, kind: "start", saturated: 0.1 }, { seed: 1, kind: "start", saturated: 0.2 }],
    2,
  );
  const [m] = evaluatePreconditions([SPEC], low);
  assert.deepEqual({ ...m }, {
    id: "x.lm.pre1",
    tier: "lm",
    quantity: SPEC.quantity,
    rule: "≥ 0.2",
    measured: 0.15000000000000002,
    holds: false,
  });
  const rows = [claim("x.lm.1", 0.03, ["x.lm.pre1"]), claim("x.lm.2", 0.03)];
  const out = finalizeClaims(rows, [], "quick", {}, [m]);
  assert.equal(out[0].verdict, NOT_TESTABLE);
  assert.equal(out[0].precondition, "fails");
  assert.equal(out[0].verdictHolm, NOT_TESTABLE);
  assert.equal(out[0].pValue, undefined);
  // The remaining family has one claim: p = 0.03 survives Holm (it would not in a family of two).
  assert.equal(out[1].precondition, "none");
  assert.equal(out[1].verdictHolm, "reproduced");
  // Held and unmeasured preconditions keep the verdict.
  const high = log([{ seed: 0, kind: "start", saturated: 0.5 }], 1);
  assert.equal(applyPreconditions(rows, evaluatePreconditions([SPEC], high))[0].precondition, "holds");
  const none = evaluatePreconditions([SPEC], log([], 1));
  assert.equal(none[0].holds, null);
  const unmeasured = applyPreconditions(rows, none)[0];
  assert.equal(unmeasured.precondition, "not measured");
  assert.equal(unmeasured.verdict, "reproduced");
});

Deno.test("manipulation checks stay out of the Holm family and the verdict counts, in their own report section", () => {
  const rows = finalizeClaims(
    [claim("x.lm.1", 0.03), { ...claim("x.lm.3", 0.001), kind: "manipulation check" }],
    [],
    "smoke",
    {},
    evaluatePreconditions([SPEC], log([{ seed: 0, kind: "start", saturated: 0.5 }], 1)),
  );
  assert.equal(rows[0].verdictHolm, "reproduced"); // a family of one
  assert.equal(rows[1].kind, "manipulation check");
  const summary: ReproductionSummary = {
    name: "x",
    title: "X",
    paper: "0000.00000",
    preset: "smoke",
    seeds: 1,
    resumedSeeds: 0,
    wallSeconds: 1,
    cpuSeconds: 2,
    backend: "wasm",
    machine: { cores: 2, cpu: "Test CPU", deno: "2", os: "linux" },
    date: "2026-12-07",
    claims: rows,
    charts: [],
    preconditions: evaluatePreconditions([SPEC], log([{ seed: 0, kind: "start", saturated: 0.5 }], 1)),
  };
  const md = renderReport([summary]);
  assert.match(md.split("\n").slice(0, 4).join("\n"), /Smoke run — not a result/);
  assert.match(md, /## Summary\n\n- \*\*x\*\* \(smoke, 1 seeds\): 1 claims — 1 reproduced/);
  assert.match(
    md,
    /## Preconditions\n[\s\S]*\| x \(smoke\) \| x\.lm\.pre1 \| lm \|[^\n]*\| ≥ 0\.2 \| 0\.500 \| yes \|/,
  );
  const checks = md.slice(md.indexOf("## Manipulation checks"), md.indexOf("## Amendments"));
  assert.match(checks, /x\.lm\.3|\| x \(smoke\) \| x\.lm\.3/);
  const all = md.slice(md.indexOf("## All claims"), md.indexOf("## Preconditions"));
  assert.equal(all.split("\n").filter((l) => l.startsWith("| x (smoke)")).length, 1, "checks are not claims");
  assert.match(md, /\| lm \| 1 \| 1 \| 0 \| 0 \| 0 \|/);
  assert.match(md, /Wall-clock time 1\.0 s; CPU time \(user \+ system\) 2\.0 s/);
  assert.match(md, /CPU Test CPU/);
  assert.match(md, /Kernel set: not recorded/);
  assert.match(
    renderReport([{ ...summary, kernels: "OpenBLAS 0.3.21, core Haswell" }]),
    /Kernel set: OpenBLAS/,
  );
});

Deno.test("a chart's band is the claims' interval: learningCurve reads aggregateInterval", () => {
  const rng = new Rng(11);
  const values = Array.from({ length: 7 }, () => rng.uniform());
  const rows = values.map((y, seed) => ({ arm: "a", step: 1, seed, y }));
  const band =
    (learningCurve(rows, { y: "y", bounds: null }).spec as { data: { values: Record<string, number>[] } })
      .data.values[0];
  const ci = aggregateInterval(values, { aggregate: "mean", seed: 0 });
  assert.equal(band.y, ci.estimate);
  assert.equal(band.y_lo, ci.lower);
  assert.equal(band.y_hi, ci.upper);
});

Deno.test("an amendment without 'after' shows this run's verdict of each amended claim; a recorded 'after' stays", () => {
  const plan = (after: Record<string, ClaimStatus>) => ({
    tier: "lm" as const,
    registered: "2026-11-29",
    pilots: "none",
    claims: [],
    presets: {},
    amendments: [{
      date: "2026-12-07",
      change: "readout at the exact crossing",
      reason: "readout defect",
      before: { "x.lm.1": "not reproduced" as const, "x.lm.9": "inconclusive" as const },
      after,
    }],
  });
  const summary: ReproductionSummary = {
    name: "x",
    title: "X",
    paper: "0000.00000",
    preset: "quick",
    seeds: 1,
    resumedSeeds: 0,
    wallSeconds: 1,
    cpuSeconds: 1,
    backend: "wasm",
    machine: { cores: 2, cpu: "Test CPU", deno: "2", os: "linux" },
    date: "2026-12-07",
    claims: [{ ...claim("x.lm.1", 0.03), verdict: "reproduced" }],
    charts: [],
    preregistrations: [plan({})],
  };
  const pending = renderReport([summary]);
  assert.match(pending, /x\.lm\.1 not reproduced → reproduced \(this run\)/);
  // a claim id this run did not produce has no verdict to show
  assert.match(pending, /x\.lm\.9 inconclusive → — \(this run\)/);
  const recorded = renderReport([{ ...summary, preregistrations: [plan({ "x.lm.1": "inconclusive" })] }]);
  assert.match(recorded, /x\.lm\.1 not reproduced → inconclusive;/);
  assert.doesNotMatch(recorded, /this run/);
});

Deno.test("LM tier: the baseline's budgets at its step readouts; both arms read at the same rollout count", () => {
  // GRPO at 8 × 8 rollouts per step, evaluated every 10 of 40 steps (and 25: the final step is a readout too)
  assert.deepEqual(baselineRolloutBudgets({ steps: 40, evalEvery: 10 }, 64), [640, 1280, 1920, 2560]);
  assert.deepEqual(baselineRolloutBudgets({ steps: 25, evalEvery: 10 }, 64), [640, 1280, 1600]);
  const row = (arm: string, step: number, rollouts: number, test: number, budget?: number): ArmEvalRow => ({
    arm,
    lr: 1e-3,
    step,
    rollouts,
    trainAccuracy: 0.5,
    validationAccuracy: 0.5,
    testAccuracy: test,
    ...(budget !== undefined ? { budget, trainAccuracy: NaN } : {}),
    edgeSelected: arm === "balanced" ? 1 : 0,
  });
  // balanced spends 2.5× GRPO's rollouts per step: its step-10 readout (1600) is below GRPO's 2560, its step 20
  // (3200) above; the exact readout at 2560 is what must be compared.
  const evals = [
    row("grpo", 0, 0, 0.1),
    row("grpo", 40, 2560, 0.3),
    row("grpo", 40, 2560, 0.3, 2560),
    row("balanced", 0, 0, 0.1),
    row("balanced", 10, 1600, 0.15),
    row("balanced", 17, 2560, 0.22, 2560),
    row("balanced", 20, 3200, 0.25),
    row("balanced", 40, 6400, 0.4),
  ];
  const best = lmTierRows(evals, ["grpo", "balanced"], 2560).filter((r) => r.kind === "lm-best");
  const b = best.find((r) => r.arm === "balanced")!;
  assert.equal(b.step, 40, "the final step readout, not the budget readout, is the equal-steps value");
  assert.equal(b.testAccuracy, 0.4);
  assert.equal(b.testAtEqualRollouts, 0.22, "read at exactly GRPO's budget, not at its step-10 readout");
  assert.equal(best.find((r) => r.arm === "grpo")!.testAtEqualRollouts, 0.3);
  assert.deepEqual(best.map((r) => r.rolloutBudget), [2560, 2560]);
  // the grid rule's marks: one of two (seed, arm) pairs at an edge fails the ≤ 0 rule; no marks: not measured
  const l = log(best.map((r) => ({ ...r, seed: 0 } as Record<string, number | string>)), 1);
  const [tuned] = evaluatePreconditions([lmTunedPrecondition("x.lm.tuned", ["grpo", "balanced"])], l);
  assert.equal(tuned.measured, 0.5);
  assert.equal(tuned.holds, false);
  const unmarked = log([{ seed: 0, kind: "lm-best", arm: "grpo", testAccuracy: 0.3 }], 1);
  assert.equal(evaluatePreconditions([lmTunedPrecondition("x", ["grpo"])], unmarked)[0].holds, null);
});

Deno.test("LM tier: a start precondition averages each seed's lm-start rows, then the seeds", () => {
  const l = log([
    { seed: 0, kind: "lm-start", share: 0.2 },
    { seed: 0, kind: "lm-start", share: 0.4 },
    { seed: 1, kind: "lm-start", share: 0.9 },
    { seed: 1, kind: "lm-eval", share: 5 },
  ], 2);
  const [m] = evaluatePreconditions([lmStartPrecondition("x", "share", "share", ">=", 0.5)], l);
  assert.ok(Math.abs(m.measured - (0.3 + 0.9) / 2) < 1e-12);
  assert.equal(m.holds, true);
});
