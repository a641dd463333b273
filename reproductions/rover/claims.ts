/**
 * Claims of the ROVER reproduction (arXiv 2509.24981); rules fixed in code before any run. Theorem 3.1 (greedy on
 * Q^u is optimal on binary-reward tree MDPs) is exact algebra and is checked by tests (exact enumeration,
 * tests/reproductions_rover_test.ts), not as a claim; its per-run counts are still logged and charted.
 */
import {
  type ClaimRow,
  directionalClaim,
  equivalenceClaim,
  logConfig,
  type PreconditionSpec,
  type RunLog,
  selectRows,
} from "../../mod.ts";
import type { RoverConfig } from "./config.ts";
import { roverLmClaim } from "./lm.ts";
import { ROVER_LM_PREREGISTRATION } from "./preregistration.ts";

/** The LM tier's registered claims (ROVER − GRPO on the TinyTransformer; reproductions/rover/preregistration.ts). */
export function checkRoverLmClaims(log: RunLog): ClaimRow[] {
  const [distinct, passK, pass1] = ROVER_LM_PREREGISTRATION.claims;
  const c = logConfig<RoverConfig>(log);
  return [
    roverLmClaim(log, distinct, "+17.6% diversity", "distinct", 6),
    roverLmClaim(log, passK, "+16.8 pass@256", `pass${c.lm.samples}`, 7),
    roverLmClaim(log, pass1, "+8.2 pass@1", "pass1", 8),
  ];
}

/** Per-(depth, seed) mean over trees of metric(method a) − metric(method b): tasks = depths, runs = seeds. */
export function pairedDifferences(log: RunLog, metric: string, a: string, b: string): number[][] {
  const c = logConfig<RoverConfig>(log);
  const final = selectRows(log, { kind: "final" });
  return c.depths.map((depth) => {
    const out: number[] = [];
    for (let s = 0; s < c.seeds; s++) {
      const pick = (m: string) =>
        final.filter((r) => r.depth === depth && r.seed === s && r.method === m).map((r) =>
          Number(r[metric])
        );
      const xa = pick(a);
      const xb = pick(b);
      if (xa.length === 0 || xa.length !== xb.length) continue;
      out.push(xa.reduce((t, v, i) => t + v - xb[i], 0) / xa.length);
    }
    return out;
  }).filter((r) => r.length > 0);
}

/** Margin of the pass@N tie at the ceiling (exact pass@N of both methods within ±0.01). */
export const ROVER_TIE_MARGIN = 0.01;

/** GRPO's exact pass@N, mean over the final rows (depth × seed × tree); NaN without final rows. */
export function grpoPassN(log: RunLog): number {
  const v = selectRows(log, { kind: "final", method: "grpo" }).map((r) => Number(r.passN));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
}

/**
 * The exact tier's precondition for "ROVER has higher pass@N than GRPO": GRPO's exact pass@N leaves room above it
 * (mean ≤ 1 − `ROVER_TIE_MARGIN`); at the ceiling both methods solve every tree and the difference is a tie.
 */
export const ROVER_PRECONDITIONS: readonly PreconditionSpec[] = [{
  id: "rover.exact.pre1",
  tier: "exact",
  quantity: "GRPO's exact pass@N after training, mean over depths, seeds and trees (probability)",
  comparison: "<=",
  threshold: 1 - ROVER_TIE_MARGIN,
  measure: grpoPassN,
}];

/** Claims table of a ROVER run (rules fixed in code before any run). */
export function checkRoverClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<RoverConfig>(log);
  const N = c.samples;
  const stat = (what: string) => `ROVER − GRPO ${what}, per (depth, seed) mean over trees`;
  return [
    directionalClaim(
      `ROVER (ρ = ${c.rho}) keeps more distinct solutions than GRPO: expected distinct ` +
        `solutions among ${N} samples, ROVER − GRPO > 0`,
      "+17.6% diversity",
      pairedDifferences(log, "distinct", "rover", "grpo"),
      "greater",
      {
        statistic: stat(`distinct solutions in ${N} samples`),
        seed: 3,
        unit: "distinct-solutions difference",
      },
    ),
    directionalClaim(
      `ROVER has higher pass@${N} than GRPO (ROVER − GRPO > 0)`,
      "+16.8 pass@256",
      pairedDifferences(log, "passN", "rover", "grpo"),
      "greater",
      {
        statistic: stat(`pass@${N}`),
        seed: 4,
        preconditions: ["rover.exact.pre1"],
        unit: "pass@N difference",
      },
    ),
    equivalenceClaim(
      `ROVER keeps GRPO's pass@${N} at the ceiling (|ROVER − GRPO| < ${ROVER_TIE_MARGIN}: a tie, not a loss)`,
      "+16.8 pass@256 (ROVER at least GRPO)",
      pairedDifferences(log, "passN", "rover", "grpo"),
      { statistic: stat(`pass@${N}`), seed: 9, margin: ROVER_TIE_MARGIN, unit: "pass@N difference" },
    ),
    directionalClaim(
      "ROVER has higher pass@1 than GRPO (ROVER − GRPO > 0)",
      "+8.2 pass@1",
      pairedDifferences(log, "pass1", "rover", "grpo"),
      "greater",
      { statistic: stat("pass@1"), seed: 5, unit: "pass@1 difference" },
    ),
    ...(selectRows(log, { kind: "lm-best" }).length > 0 ? checkRoverLmClaims(log) : []),
  ];
}
