/** GRPO-ablation claims: (a) length bias of GRPO's 1/|o|, (c) clip-higher entropy; rules fixed before any run. */
import type { RunLog } from "../../lib/log/runlog.ts";
import { type ClaimRow, directionalClaim, logConfig, type Row, seedMatrix, selectRows } from "../harness.ts";
import type { GrpoAblationConfig } from "./mod.ts";

/** Fewer seeds than this make every claim "inconclusive" (underpowered; e.g. the smoke preset). */
export const MIN_SEEDS_FOR_VERDICT = 5;

/** A field of an arm's summary row within one seed's rows (NaN when the arm or the field is missing). */
function armValue(rows: Row[], arm: string, field: string): number {
  const r = rows.find((x) => x.arm === arm);
  return r && field in r && r[field] !== null ? Number(r[field]) : NaN;
}

/**
 * `directionalClaim` ("greater") on the scores, but with fewer than `MIN_SEEDS_FOR_VERDICT` seeds the row is
 * kept with verdict "inconclusive" (underpowered); with no finite score at all it is inconclusive with n = 0.
 */
function guardedClaim(
  claim: string,
  paper: string,
  scores: number[][],
  opts: { statistic: string; seed: number },
): ClaimRow {
  const row = directionalClaim(claim, paper, scores, "greater", opts);
  const n = scores[0]?.length ?? 0;
  if (n === 0 || n >= MIN_SEEDS_FOR_VERDICT) return row;
  return {
    ...row,
    verdict: "inconclusive",
    rule: `${row.rule}; underpowered: only ${n} seeds (< ${MIN_SEEDS_FOR_VERDICT}), so inconclusive`,
  };
}

/** Claims table of a GRPO-ablation run (rules fixed in code before any run). */
export function checkGrpoAblationClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<GrpoAblationConfig>(log);
  const arms = (f: (rows: Row[]) => number) => seedMatrix(selectRows(log, { kind: "arm" }), f);
  const diff = (a: string, b: string, field: string) => (r: Row[]) =>
    armValue(r, a, field) - armValue(r, b, field);
  const gap = (a: string) => (r: Row[]) =>
    armValue(r, a, "late.incorrectLength") - armValue(r, a, "late.correctLength");
  const window = `last ${Math.max(1, Math.floor(c.steps / 4))} of ${c.steps} steps`;
  const lenStat = (a: string, b: string) =>
    `per seed: mean length (tokens, eos included) of incorrect responses over the ${window}, ${a} − ${b} ` +
    `(same warm start, same trainer seed), IQM over seeds`;
  return [
    guardedClaim(
      "(a) Length bias: GRPO's per-response 1/|o| (seq-mean-token-mean) makes incorrect responses longer " +
        "than Dr.GRPO (seq-mean-token-sum-norm)",
      "qualitative: incorrect responses grow longer under GRPO, not under Dr.GRPO (arXiv 2503.20783)",
      arms(diff("grpo", "dr-grpo", "late.incorrectLength")),
      { statistic: lenStat("GRPO", "Dr.GRPO"), seed: 21 },
    ),
    guardedClaim(
      "(a) …and longer than DAPO's token-mean aggregation (same GRPO advantages)",
      "qualitative (token-level loss, arXiv 2503.14476)",
      arms(diff("grpo", "dapo-token-mean", "late.incorrectLength")),
      { statistic: lenStat("GRPO", "token-mean"), seed: 22 },
    ),
    guardedClaim(
      "(a) Under GRPO incorrect responses become longer than correct ones, more than under Dr.GRPO",
      "qualitative: GRPO prefers short correct and long incorrect responses",
      arms((r) => gap("grpo")(r) - gap("dr-grpo")(r)),
      {
        statistic: `per seed: (incorrect − correct mean length) over the ${window}, GRPO minus Dr.GRPO, IQM`,
        seed: 24,
      },
    ),
    guardedClaim(
      `(c) Clip-higher (ε_high = ${c.epsHigh} vs 0.2, ${c.clipEpochs} PPO epochs per batch) keeps the policy ` +
        "entropy higher",
      "qualitative: clip-higher prevents entropy collapse (arXiv 2503.14476)",
      arms(diff("clip-higher", "clip-symmetric", "late.entropy")),
      {
        statistic: `per seed: token-mean policy entropy on the training batch over the ${window}, ` +
          "clip-higher − symmetric, IQM",
        seed: 26,
      },
    ),
  ];
}
