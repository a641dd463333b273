/** RLCR claims (arXiv 2507.16806): per-seed paired differences between arms, every rule fixed before the first run. */
import {
  bySeed,
  type CalibrationSummary,
  type ClaimRow,
  directionalClaim,
  logConfig,
  pairedBySeed,
  type PreconditionSpec,
  type RunLog,
} from "../../mod.ts";
import type { RlcrArm, RlcrConfig } from "./config.ts";
import { checkRlcrLmClaims, rlcrLmMetric } from "./lm.ts";
import { RLCR_LM_PREREGISTRATION } from "./preregistration.ts";

/** A held-out metric of the eval rows. */
export type RlcrMetric = Exclude<keyof CalibrationSummary, "bins">;

/** Per-seed metric of one arm (seed → value; NaN where undefined, e.g. AUROC with one class). */
export function rlcrMetric(log: RunLog, arm: RlcrArm, field: RlcrMetric): Map<number, number> {
  return bySeed(log, { kind: "eval", arm }, field);
}

/**
 * The value an arm's seed scores on a metric it could not compute (no parsable response): a failure — ECE and
 * Brier 1 (their maximum), accuracy, parse rate and AUROC 0; mean confidence has no failure value (NaN: the
 * claim is then inconclusive with the count stated).
 */
export const RLCR_FAILURE: Readonly<Record<RlcrMetric, number>> = {
  ece: 1,
  brier: 1,
  accuracy: 0,
  parseRate: 0,
  auroc: 0,
  meanConfidence: NaN,
};

/** Each registered seed's value of `values`, a missing or non-finite one replaced by `RLCR_FAILURE[field]`. */
export function withFailures(
  values: ReadonlyMap<number, number>,
  seeds: number,
  field: RlcrMetric,
): Map<number, number> {
  return new Map(Array.from({ length: seeds }, (_, s) => {
    const v = values.get(s);
    return [s, v !== undefined && Number.isFinite(v) ? v : RLCR_FAILURE[field]];
  }));
}

/**
 * Paired per-seed differences a − b of a metric, one per registered seed (ascending): an arm without a value on a
 * seed scores the metric's failure value (`RLCR_FAILURE`), so no seed is dropped.
 */
export function rlcrPairedDifferences(log: RunLog, a: RlcrArm, b: RlcrArm, field: RlcrMetric): number[] {
  const seeds = logConfig<RlcrConfig>(log).seeds;
  if (rlcrMetric(log, a, field).size === 0 && rlcrMetric(log, b, field).size === 0) return [];
  return pairedBySeed(
    withFailures(rlcrMetric(log, a, field), seeds, field),
    withFailures(rlcrMetric(log, b, field), seeds, field),
  );
}

/**
 * Claims table of an RLCR run: the fixed-start claims rlcr.lm.1–8 (TinyTransformer runs, tier `lm`; their rules
 * were fixed before their first run but not registered in a committed plan, so they are not `preregistered`),
 * then the pre-registered chosen-start claims rlcr.lm.9–14 (lm.ts, preregistration.ts).
 */
export function checkRlcrClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<RlcrConfig>(log);
  const fixedStart = checkRlcrFixedStartClaims(log).map((r, i): ClaimRow => ({
    ...r,
    id: `rlcr.lm.${i + 1}`,
    tier: "lm",
  }));
  return [...fixedStart, ...checkRlcrLmClaims(log, RLCR_LM_PREREGISTRATION, c.lm.accuracyMargin)];
}

/** The fixed-start claims (start = SFT with confidence drawn from `referenceWeights`, three RL arms). */
export function checkRlcrFixedStartClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<RlcrConfig>(log);
  const stat = (what: string) => `per-seed paired difference of held-out ${what}`;
  const d = (a: RlcrArm, b: RlcrArm, f: RlcrMetric) => [rlcrPairedDifferences(log, a, b, f)];
  const m = c.accuracyMargin;
  const ece = stat("ECE (10 bins, parsable samples; an arm with no parsable sample on a seed scores ECE 1)");
  const nonInferior = (arm: RlcrArm, label: string, seed: number): ClaimRow =>
    directionalClaim(
      `${label} loses no accuracy vs binary RL (non-inferiority: ${arm} − binary > −${m})`,
      "equal accuracy (HotpotQA 62.1 vs 63.0)",
      d(arm, "binary", "accuracy"),
      "greater",
      { threshold: -m, statistic: stat("accuracy (all samples)"), seed, unit: "accuracy difference" },
    );
  return [
    directionalClaim(
      `RLCR (unparsable → ${c.unparsableReward}) has lower ECE than binary-reward RL (RLCR − binary < 0)`,
      "HotpotQA ECE 0.37 → 0.03; math 0.26 → 0.10",
      d("rlcr", "binary", "ece"),
      "less",
      { statistic: ece, seed: 31, unit: "ECE difference" },
    ),
    directionalClaim(
      "RLCR lowers ECE relative to the SFT start (RLCR − start < 0)",
      "calibration improves sharply",
      d("rlcr", "start", "ece"),
      "less",
      { statistic: ece, seed: 32, unit: "ECE difference" },
    ),
    nonInferior("rlcr", "RLCR", 33),
    directionalClaim(
      "Binary-reward RL degrades calibration vs the SFT start (binary − start ECE > 0)",
      "RLVR degrades calibration",
      d("binary", "start", "ece"),
      "greater",
      { statistic: ece, seed: 34, unit: "ECE difference", preconditions: ["rlcr.lm.pre2"] },
    ),
    directionalClaim(
      "RLCR's Brier score is lower than binary RL's (RLCR − binary < 0)",
      "Brier improves (reported metric)",
      d("rlcr", "binary", "brier"),
      "less",
      { statistic: stat("Brier score (parsable samples)"), seed: 35, unit: "Brier difference" },
    ),
    directionalClaim(
      "RLCR's confidence separates right from wrong answers better than binary RL's (AUROC RLCR − binary > 0)",
      "AUROC improves (reported metric)",
      d("rlcr", "binary", "auroc"),
      "greater",
      { statistic: stat("AUROC (parsable samples)"), seed: 36, unit: "AUROC difference" },
    ),
    directionalClaim(
      "RLCR with the paper's unparsable → 0 rule has lower ECE than binary RL (rlcr-paper − binary < 0)",
      "HotpotQA ECE 0.37 → 0.03; math 0.26 → 0.10",
      d("rlcr-paper", "binary", "ece"),
      "less",
      { statistic: ece, seed: 37, unit: "ECE difference" },
    ),
    nonInferior("rlcr-paper", "RLCR with the paper's unparsable → 0 rule", 38),
  ];
}

/** |mean over seeds of after − before| over the seeds with both values; NaN without any. */
function absMeanChange(after: ReadonlyMap<number, number>, before: ReadonlyMap<number, number>): number {
  const d: number[] = [];
  for (const [s, v] of after) {
    const b = before.get(s);
    if (b !== undefined && Number.isFinite(v) && Number.isFinite(b)) d.push(v - b);
  }
  return d.length ? Math.abs(d.reduce((x, y) => x + y, 0) / d.length) : NaN;
}

/**
 * Preconditions of "binary RL degrades calibration" (thresholds reasoned in ./preregistration.ts): the binary
 * reward's expected gradient on the confidence level is zero, so its ECE can only move through accuracy under a
 * fixed confidence, by at most |Δ accuracy|; the binary arm's held-out accuracy must move by ≥ 0.02 (calibrated
 * start of the chosen-start tier: pre1; the fixed start: pre2), else the claim's mechanism cannot act.
 */
export const RLCR_PRECONDITIONS: readonly PreconditionSpec[] = [
  {
    id: "rlcr.lm.pre1",
    tier: "lm",
    quantity: "|mean over seeds of the binary arm's held-out accuracy change from the calibrated start| " +
      "(accuracy points)",
    comparison: ">=",
    threshold: 0.02,
    measure: (log) =>
      absMeanChange(
        rlcrLmMetric(log, "calibrated", "binary", "accuracy"),
        rlcrLmMetric(log, "calibrated", "start", "accuracy"),
      ),
  },
  {
    id: "rlcr.lm.pre2",
    tier: "lm",
    quantity: "|mean over seeds of the binary arm's held-out accuracy change from the fixed SFT start| " +
      "(accuracy points)",
    comparison: ">=",
    threshold: 0.02,
    measure: (log) =>
      absMeanChange(rlcrMetric(log, "binary", "accuracy"), rlcrMetric(log, "start", "accuracy")),
  },
];
