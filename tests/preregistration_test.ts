import assert from "node:assert/strict";
import {
  type ClaimRow,
  directionalClaim,
  finalizeClaims,
  matchesRegistration,
  type Preregistration,
  renderReport,
  ruleTextMismatches,
  verdictCounts,
} from "../mod.ts";

function row(
  id: string,
  verdict: ClaimRow["verdict"],
  p: number,
  pOpp: number,
  tier?: "lm" | "exact",
): ClaimRow {
  return {
    id,
    claim: id,
    paper: "",
    estimate: 0,
    ci: [0, 0],
    verdict,
    rule: "CI > 0",
    n: 10,
    pValue: p,
    pOpposite: pOpp,
    ...(tier ? { tier } : {}),
  };
}

const PLAN: Preregistration = {
  tier: "lm",
  registered: "2026-11-29",
  pilots: "one smoke seed",
  claims: [{ id: "x.lm.1", claim: "a beats b", rule: "CI > 0" }, {
    id: "x.lm.2",
    claim: "c",
    rule: "CI > 0",
  }],
  presets: { quick: { seeds: 10, lm: { steps: 40, lr: [1, 2] } } },
  amendments: [],
};

Deno.test("matchesRegistration: registered keys must match exactly, key order irrelevant, extra config keys ignored", () => {
  const reg = { seeds: 10, lm: { steps: 40, lr: [1, 2] } };
  assert.ok(matchesRegistration({ lm: { lr: [1, 2], steps: 40 }, seeds: 10, other: 3 }, reg));
  assert.ok(!matchesRegistration({ lm: { lr: [1, 2], steps: 41 }, seeds: 10 }, reg));
  assert.ok(!matchesRegistration({ lm: { lr: [2, 1], steps: 40 }, seeds: 10 }, reg));
  assert.ok(!matchesRegistration({ lm: { lr: [1, 2], steps: 40 } }, reg));
});

Deno.test("finalizeClaims: tiers, pre-registration by id + config, Holm within each tier (hand-computed)", () => {
  const rows = [
    row("x.lm.1", "reproduced", 0.01, 0.99), // lm family {0.01, 0.03}: Holm 0.02, 0.03 → both survive
    row("x.lm.2", "reproduced", 0.03, 0.97),
    row("x.exact.1", "reproduced", 0.02, 0.98), // exact family {0.02, 0.04, 0.999}: Holm 3·0.02 = 0.06,
    row("x.exact.2", "reproduced", 0.04, 0.96), //   max(0.06, 2·0.04) = 0.08 → neither survives at 0.05
    row("x.exact.3", "not reproduced", 0.999, 0.001), // opposite family {0.98, 0.96, 0.001}: 3·0.001 → survives
  ];
  rows[0].tier = "lm";
  rows[1].tier = "lm";
  const out = finalizeClaims(rows, [PLAN], "quick", { seeds: 10, lm: { steps: 40, lr: [1, 2] } });
  assert.deepEqual(out.map((r) => r.tier), ["lm", "lm", "exact", "exact", "exact"]);
  assert.deepEqual(out.map((r) => r.preregistered), [true, true, false, false, false]);
  assert.deepEqual(out.map((r) => r.verdictHolm), [
    "reproduced",
    "reproduced",
    "inconclusive",
    "inconclusive",
    "not reproduced",
  ]);
  // a changed hyperparameter un-registers; a larger family makes p = 0.03 fail (3 × 0.02 = 0.06 > 0.05)
  const changed = finalizeClaims(rows, [PLAN], "quick", { seeds: 10, lm: { steps: 80, lr: [1, 2] } });
  assert.deepEqual(changed.map((r) => r.preregistered), [false, false, false, false, false]);
  assert.equal(changed[0].registrationMismatch, "config");
  // a rule text other than the registered one un-registers the claim too
  const reworded = finalizeClaims([{ ...rows[0], rule: "CI ≥ 0" }], [PLAN], "quick", {
    seeds: 10,
    lm: { steps: 40, lr: [1, 2] },
  });
  assert.equal(reworded[0].preregistered, false);
  assert.equal(reworded[0].registrationMismatch, "rule text");
  assert.deepEqual(ruleTextMismatches([{ ...rows[0], rule: "CI ≥ 0" }, rows[1]], [PLAN]), [
    'x.lm.1: registered rule "CI > 0" ≠ run\'s rule "CI ≥ 0"',
  ]);
  const three = finalizeClaims(
    [
      row("a", "reproduced", 0.02, 0.98),
      row("b", "reproduced", 0.02, 0.98),
      row("c", "reproduced", 0.02, 0.98),
    ],
    [],
    "quick",
    {},
  );
  assert.deepEqual(three.map((r) => r.verdictHolm), ["inconclusive", "inconclusive", "inconclusive"]);
  // rows without a test (range claims) are inconclusive after adjustment
  const range = finalizeClaims([{ ...row("r", "reproduced", NaN, NaN) }], [], "quick", {});
  assert.equal(range[0].verdictHolm, "inconclusive");
});

Deno.test("directionalClaim: p-values agree with the CI's side and the report counts tiers raw and Holm", () => {
  const up = directionalClaim("up", "", [[0.3, 0.2, 0.4, 0.35, 0.25, 0.3]], "greater");
  assert.equal(up.verdict, "reproduced");
  assert.ok(up.pValue! < 0.025 && up.pOpposite! > 0.975);
  const flat = directionalClaim("flat", "", [[-0.1, 0.1, -0.2, 0.2, 0, 0.05]], "greater");
  assert.equal(flat.verdict, "inconclusive");
  assert.ok(flat.pValue! > 0.025);
  const fin = finalizeClaims([{ ...up, tier: "lm" }, flat], [], "quick", {});
  const table = verdictCounts(fin);
  assert.match(table, /\| lm \| 1 \| 1 \| 0 \| 0 \| 0 \| 1 \| 0 \| 0 \| 0 \|/);
  assert.match(table, /\| exact \| 1 \| 0 \| 0 \| 1 \| 0 \| 0 \| 0 \| 1 \| 0 \|/);
  const md = renderReport([{
    name: "x",
    title: "X",
    paper: "0000.00000",
    preset: "quick",
    seeds: 6,
    resumedSeeds: 0,
    wallSeconds: 1,
    cpuSeconds: 1,
    backend: "wasm",
    machine: { cores: 2, cpu: "test", deno: "2", os: "linux" },
    date: "2026-11-29",
    claims: fin,
    charts: [],
    preregistrations: [{
      ...PLAN,
      amendments: [{
        date: "2026-11-30",
        change: "steps 40 → 80",
        reason: "example",
        before: { "x.lm.1": "inconclusive" },
        after: { "x.lm.1": "reproduced" },
      }],
    }],
  }]);
  assert.match(md, /## Verdict counts/);
  assert.match(md, /x\.lm\.1 inconclusive → reproduced/);
  assert.doesNotMatch(md, /issue/i);
});

Deno.test("directionalClaim: mean over runs below 20 runs, IQM from 20 (hand-computed)", () => {
  const few = [1, 2, 3, 4, 100]; // mean 22
  const a = directionalClaim("few", "", [few], "greater");
  assert.equal(a.estimate, 22);
  assert.match(a.rule, /mean over runs/);
  // 20 runs: 0…18 and 1000; the IQM drops the lowest and highest 5 and averages 5…14 → 9.5
  const many = [...Array.from({ length: 19 }, (_, i) => i), 1000];
  const b = directionalClaim("many", "", [many], "greater");
  assert.equal(b.estimate, 9.5);
  assert.match(b.rule, /IQM over runs/);
});
