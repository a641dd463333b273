/** NSR / PSR / W-REINFORCE claims (arXiv 2506.01347): paired per-seed pass@k differences against the base policy. */
import {
  type ClaimRow,
  directionalClaim,
  logConfig,
  pairedBySeed,
  perKClaim,
  type RunLog,
  selectRows,
} from "../../mod.ts";
import type { NsrConfig } from "./config.ts";

/** Per-seed pass@k (unbiased) of `arm` at k: seed → value. */
function passBySeed(log: RunLog, arm: string, k: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const r of selectRows(log, { kind: "passk", arm, k })) out.set(Number(r.seed), Number(r.passAtK));
  return out;
}

/** Paired per-seed differences pass@k(a) − pass@k(b) at k, one per registered seed (a missing value is NaN). */
export function pairedPassDiffs(log: RunLog, a: string, b: string, k: number): number[] {
  const seeds = logConfig<NsrConfig>(log).seeds;
  return pairedBySeed(passBySeed(log, a, k), passBySeed(log, b, k), undefined, { seeds });
}

/** Per k of the config, the paired per-seed differences pass@k(a) − pass@k(b) (the input of `perKClaim`). */
export function passDiffsByK(log: RunLog, a: string, b: string): Map<number, number[][]> {
  return new Map(logConfig<NsrConfig>(log).ks.map((k) => [k, [pairedPassDiffs(log, a, b, k)]]));
}

/** Claims table of an NSR run (rules fixed in code before any run; pass@k by the unbiased estimator). */
export function checkNsrClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<NsrConfig>(log);
  const d = c.margin;
  const pk = (a: string, b: string, k: number) => [pairedPassDiffs(log, a, b, k)];
  const stat = (what: string) =>
    `the paired per-seed difference ${what} (unbiased pass@k, n = ${c.evalSamples} samples per ` +
    `held-out problem)`;
  const kRange = `k ∈ {${c.ks.join(", ")}}`;
  return [
    directionalClaim(
      "PSR raises pass@1 over the starting policy",
      "PSR improves Pass@1",
      pk("psr", "base", 1),
      "greater",
      { statistic: stat("pass@1(PSR) − pass@1(base)"), seed: 1, unit: "pass@1 difference" },
    ),
    directionalClaim(
      "PSR lowers pass@256 below the starting policy",
      "PSR degrades performance at higher k (below the base model at k = 256)",
      pk("psr", "base", 256),
      "less",
      { statistic: stat("pass@256(PSR) − pass@256(base)"), seed: 2, unit: "pass@256 difference" },
    ),
    directionalClaim(
      "NSR raises pass@1 over the starting policy",
      "NSR improves over the base model across the entire Pass@k spectrum",
      pk("nsr", "base", 1),
      "greater",
      { statistic: stat("pass@1(NSR) − pass@1(base)"), seed: 3, unit: "pass@1 difference" },
    ),
    directionalClaim(
      `NSR keeps pass@256 (non-inferior to the starting policy, margin ${d})`,
      "NSR keeps or improves Pass@k up to k = 256",
      pk("nsr", "base", 256),
      "greater",
      {
        statistic: stat("pass@256(NSR) − pass@256(base)"),
        seed: 4,
        threshold: -d,
        unit: "pass@256 difference",
      },
    ),
    perKClaim(
      `NSR keeps pass@k at every ${kRange} (non-inferior to the starting policy, margin ${d}, Holm over k)`,
      "NSR improves over the base model across the entire Pass@k spectrum (k up to 256)",
      passDiffsByK(log, "nsr", "base"),
      { statistic: stat("pass@k(NSR) − pass@k(base)"), seed: 5, margin: d, unit: "pass@k difference" },
    ),
    directionalClaim(
      "NSR beats PSR at pass@256",
      "NSR preserves diversity; PSR reduces it (higher pass@256 for NSR)",
      pk("nsr", "psr", 256),
      "greater",
      { statistic: stat("pass@256(NSR) − pass@256(PSR)"), seed: 6, unit: "pass@256 difference" },
    ),
    directionalClaim(
      `NSR matches or surpasses GRPO at pass@256 (non-inferiority margin ${d})`,
      "NSR often matches or surpasses PPO and GRPO",
      pk("nsr", "grpo", 256),
      "greater",
      {
        statistic: stat("pass@256(NSR) − pass@256(GRPO)"),
        seed: 7,
        threshold: -d,
        unit: "pass@256 difference",
      },
    ),
    directionalClaim(
      `W-REINFORCE (λ = ${c.lambda}) raises pass@1 over the starting policy`,
      "W-REINFORCE improves overall Pass@k",
      pk("w-reinforce", "base", 1),
      "greater",
      { statistic: stat("pass@1(W-REINFORCE) − pass@1(base)"), seed: 8, unit: "pass@1 difference" },
    ),
    perKClaim(
      `W-REINFORCE keeps pass@k at every ${kRange} (non-inferior to the starting policy, margin ${d}, Holm over k)`,
      "W-REINFORCE is good across k",
      passDiffsByK(log, "w-reinforce", "base"),
      {
        statistic: stat("pass@k(W-REINFORCE) − pass@k(base)"),
        seed: 9,
        margin: d,
        unit: "pass@k difference",
      },
    ),
  ];
}
