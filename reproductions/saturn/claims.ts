/** SATURN claims (arXiv 2505.16368): ladder vs direct at the target, the direct arm's signal, ladder progress. */
import {
  aggregateInterval,
  type ClaimRow,
  directionalClaim,
  directionalVerdict,
  logConfig,
  type RunLog,
  selectRows,
} from "../../mod.ts";
import { levelName, type SaturnArm, type SaturnConfig } from "./config.ts";
import { checkSaturnLmClaims } from "./lm.ts";
import { SATURN_LM_PREREGISTRATION } from "./preregistration.ts";

/** Per-seed value of `field` in the "final" row of `arm`. */
export function finals(log: RunLog, arm: SaturnArm, field: string): number[] {
  const c = logConfig<SaturnConfig>(log);
  const rows = selectRows(log, { kind: "final", arm });
  const out: number[] = [];
  for (let s = 0; s < c.seeds; s++) {
    const r = rows.find((x) => x.seed === s);
    if (r) out.push(Number(r[field]));
  }
  return out;
}

/** Claims table of a SATURN run (rules fixed in code before any run). */
export function checkSaturnClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<SaturnConfig>(log);
  const target = levelName(c.levels[c.levels.length - 1]);
  const budget = c.steps * c.batchSize * c.groupSize;
  const ladder = finals(log, "ladder", "pass");
  const direct = finals(log, "direct", "pass");
  const diff = ladder.map((x, i) => x - direct[i]);
  const zero = finals(log, "direct", "windowZeroFraction");
  const reached = finals(log, "ladder", "finalLevel").map((
    lv,
  ): number => (lv === c.levels.length - 1 ? 1 : 0));
  const reach = aggregateInterval([reached], { aggregate: "mean", seed: 33 });
  const window = c.signalWindow === 1 ? "its whole run" : `the first ${Math.round(c.signalWindow * 100)}%`;
  return [
    directionalClaim(
      `The ladder beats direct training on held-out ${target}-SAT (pass@1 after ${budget} rollouts each, ` +
        `validation rollouts charged to the ladder)`,
      "curriculum > no curriculum (SATURN ablation; no number in our paper notes)",
      [diff],
      "greater",
      { statistic: "per seed pass@1(ladder) − pass@1(direct) on the same held-out problems", seed: 31 },
    ),
    directionalClaim(
      `Direct training at the too-hard target ${target} gets ~no learning signal: fraction of GRPO groups ` +
        `with all-zero reward over ${window} > 0.9`,
      "hard problems give near-zero reward (SATURN's motivation for the ladder)",
      [zero],
      "greater",
      { threshold: 0.9, statistic: "per seed fraction of all-zero groups in the direct arm", seed: 32 },
    ),
    {
      claim: `The ladder climbs to the target level ${target} within the budget in most seeds (> 50%)`,
      paper: `advance when validation pass@1 > ${c.threshold} (SATURN, 1.5B)`,
      estimate: reach.estimate,
      ci: [reach.lower, reach.upper],
      verdict: directionalVerdict([reach.lower, reach.upper], "greater", 0.5),
      rule:
        "per seed 1 if the ladder's final level is the target else 0, mean over seeds; reproduced iff the " +
        "95% bootstrap CI is > 0.5, not reproduced iff it is < 0.5, else inconclusive",
      n: reached.length,
    },
    ...checkSaturnLmClaims(log, SATURN_LM_PREREGISTRATION.claims),
  ];
}
