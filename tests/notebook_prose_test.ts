import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { markdownFindings, proseFindings } from "../scripts/notebook_prose.ts";

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const rules = (md: string) => markdownFindings(md).map((f) => f.rule);

Deno.test("prose detector: flags typed estimates, CIs, verdicts, result tables, timings and 'IQM over'", () => {
  const positives: [string, string][] = [
    ["- **rlcr.lm.9 reproduced.** From the over-confident start, RLCR's ECE is lower.", "claim-id"],
    ["PSR raised pass@1 (`nsr.lm.1` by +0.020).", "claim-id"],
    ["The claim `grpo-ablation.lm.3` came out inconclusive.", "claim-id"],
    ["inconclusive for lm.2 in the quick run", "claim-id"],
    [
      "SEELE keeps training accuracy nearer the target (**reproduced**), but not the held-out one.",
      "verdict",
    ],
    ["the ladder did not beat direct training: *not reproduced*.", "verdict"],
    ["KAE's baseline has the lower error (reproduced) at every length.", "verdict"],
    ["the gap was not reproduced, −0.017 on held-out problems", "verdict"],
    ["rollouts ✗ 1.84 vs GRPO", "verdict"],
    ["RLCR vs binary −0.21 [−0.39, −0.09] on the held-out set", "ci"],
    ["the difference 0.013 [0.009, 0.017] is small", "ci"],
    ["with a 95% CI [0.12, 0.30] over seeds", "ci"],
    ["an interval [−0.40, −0.02] that excludes zero", "ci"],
    ["| arm | accuracy |\n|---|---|\n| binary | 0.35 |", "table"],
    ["## What the toy shows (quick preset: 167 s CPU for both parts)", "timing"],
    ["The quick preset is registered (≈ 200 CPU-seconds).", "timing"],
    ["`quick` (2 CPU cores, wasm, ≈ 2 min): d = 32", "timing"],
    ["estimate = IQM over seeds of the per-seed differences", "iqm"],
    ["Value MSE per baseline (IQM of the runs)", "iqm"],
    ["the start has test accuracy 0.39 on average", "metric"],
    ["here the start has pass@64 ≈ 0.85 in pilots", "metric"],
    ["ECE: −0.18 for RLCR", "metric"],
    ["accuracy moved from the previous engine's 0.371 → 0.377 here", "change-log"],
    ["SEELE keeps its batches nearer the target by +0.26 on average", "signed"],
    ["the gap (−0.040 at equal steps) is small", "signed"],
  ];
  for (const [md, rule] of positives) {
    assert.ok(rules(md).includes(rule), `expected rule ${rule} on ${JSON.stringify(md)}, got ${rules(md)}`);
  }
});

Deno.test("prose detector: passes the paper's own numbers, config values, id ranges and code blocks", () => {
  const negatives = [
    // The paper's numbers in a **Paper claim** paragraph, its list items, and lines that cite the paper.
    "**Paper claim.** RLVR is over-confident: HotpotQA ECE 0.37 → 0.03 at equal accuracy (63.0 vs 62.1).\n" +
    "- math ECE 0.26 → 0.10 [their Table 2]",
    "**Paper claims.** Result: 42.2 vs 30.4 for GRPO; in the ablation a* = 0.5 is best.",
    "Because the score is proper, the optimum is calibrated. Reported: math ECE 0.26 → 0.10.",
    // Hyperparameters and bands.
    "keep only prompts with T_low ≤ p̂ ≤ T_high (balanced filtering, [0.2, 0.8]) and L ∈ [1, 8]",
    "Adam at lr 1e-3, 50 RL steps of 8 × 8 rollouts, margin δ = 0.01, ε_high 0.28, q ∈ [0, 1]",
    "target accuracy a* = 0.5; advancing when validation pass@1 exceeds 0.5",
    "rule: the bootstrap CI of the peak lies within [0.35, 0.65]",
    // Claim ids without results, ranges of ids, legends and the names of the verdicts.
    "The claims rlcr.lm.9–14 were registered in `reproductions/rlcr/preregistration.ts` before the first run.",
    "The five claims `nsr.lm.1…5` and `grpo-ablation.lm.1/2` are in the table below.",
    "Each verdict is one of reproduced, not reproduced or inconclusive, by the rule stated with its claim.",
    "The chart marks each sample (✓ = reward 1, ✗ = reward 0).",
    "the mean over seeds (the IQM from 20 runs), as each claim's rule says",
    "the bars show 10 seeds of 256 held-out problems, k = 1 … 64",
    "a wrong answer's best reward is −(0.1)², an unparsable one scores −1, lr 1e-3, range −1 to +1",
    // Fenced code blocks are commands, not prose.
    "```\ndeno task sweep rover --grid temperature=0.03,0.1,0.3\n| a | 0.5 |\n```",
  ];
  for (const md of negatives) {
    assert.deepEqual(markdownFindings(md), [], `false positive on ${JSON.stringify(md)}`);
  }
});

Deno.test("prose detector: names the cell and the line", () => {
  const nb = {
    cells: [
      { cell_type: "markdown", source: ["# Title\n", "\n", "fine prose\n", "ECE −0.21 [−0.39, −0.09]\n"] },
      { cell_type: "code", source: "console.log('accuracy 0.39 [0.1, 0.2]')" },
      { cell_type: "markdown", source: "**Paper claim.** ECE 0.37 → 0.03\n\nours: accuracy 0.40" },
    ],
  };
  assert.deepEqual(proseFindings(nb).map((f) => [f.cell, f.line, f.rule]), [[0, 4, "ci"], [2, 3, "metric"]]);
});

Deno.test("every notebook's markdown is free of typed results; paper notebooks render the published claims", async () => {
  const problems: string[] = [];
  const names: string[] = [];
  for await (const e of Deno.readDir(join(ROOT, "notebooks"))) {
    if (e.name.endsWith(".ipynb")) names.push(e.name);
  }
  assert.ok(names.length >= 9, `notebooks found: ${names.join(", ")}`);
  for (const name of names.sort()) {
    const nb = JSON.parse(await Deno.readTextFile(join(ROOT, "notebooks", name)));
    for (const f of proseFindings(nb)) {
      problems.push(`${name} cell ${f.cell} line ${f.line} [${f.rule}]: ${f.text}`);
    }
    if (name.startsWith("00_")) continue;
    const code = (nb.cells as { cell_type: string; source: string | string[] }[])
      .filter((c) => c.cell_type === "code")
      .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source));
    if (!code.some((s) => s.includes("claims.json") && s.includes("deno task publish-results"))) {
      problems.push(`${name}: no code cell renders docs/results/<name>/claims.json`);
    }
  }
  assert.deepEqual(problems, [], `notebook prose states results:\n${problems.join("\n")}`);
});
