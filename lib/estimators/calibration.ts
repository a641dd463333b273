/**
 * Calibration and discrimination metrics for verbalised confidences (as reported by RLCR, arXiv 2507.16806):
 * expected calibration error, reliability diagram, Brier score, AUROC, and their summary of a set of responses
 * with stated (possibly unparsable) confidences.
 *
 * `conf` are probabilities in [0, 1]; `correct` / `labels` are 0/1 (or booleans). Binning is equal-width on
 * [0, 1]: bin b = [b/B, (b+1)/B) for b < B − 1, and the last bin is closed, [(B−1)/B, 1].
 */

import {
  assertFiniteArray,
  assertInteger,
  assertSameLength,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";

/** Binning options for ECE and the reliability diagram. */
export interface BinOptions {
  /** Number of equal-width bins on [0, 1] (default 10). */
  bins: number;
}

const BIN_DEFAULTS: BinOptions = { bins: 10 };

/** One reliability-diagram bin (null statistics for an empty bin). */
export interface ReliabilityBin {
  /** Bin lower edge. */
  lower: number;
  /** Bin upper edge. */
  upper: number;
  /** Number of predictions in the bin. */
  count: number;
  /** Mean confidence of the bin's predictions, or null when empty. */
  meanConfidence: number | null;
  /** Fraction correct among the bin's predictions, or null when empty. */
  accuracy: number | null;
}

function toBinary(field: string, xs: ArrayLike<number | boolean>): Uint8Array {
  if (xs === null || typeof xs !== "object" || typeof xs.length !== "number") {
    throw new ConfigError(field, "must be an array of 0/1 or booleans", xs);
  }
  const out = new Uint8Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    if (v === true || v === 1) out[i] = 1;
    else if (v !== false && v !== 0) {
      throw new ConfigError(`${field}[${i}]`, "must be 0, 1, true or false", v);
    }
  }
  return out;
}

function checkConfCorrect(conf: ArrayLike<number>, correct: ArrayLike<number | boolean>): Uint8Array {
  assertFiniteArray("conf", conf, { min: 0, max: 1 });
  if (conf.length === 0) throw new ConfigError("conf", "must be non-empty");
  const y = toBinary("correct", correct);
  assertSameLength("conf", conf, "correct", y);
  return y;
}

/** Reliability diagram: per equal-width bin, edges, count, mean confidence and accuracy (Guo et al. 2017, arXiv 1706.04599). */
export function reliabilityDiagram(
  conf: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
  options?: Partial<BinOptions>,
): ReliabilityBin[] {
  const { bins } = resolveConfig("reliabilityDiagram", BIN_DEFAULTS, options);
  assertInteger("reliabilityDiagram.bins", bins, { min: 1 });
  const y = checkConfCorrect(conf, correct);
  return binStats(conf, y, bins);
}

function binStats(conf: ArrayLike<number>, y: Uint8Array, bins: number): ReliabilityBin[] {
  const count = new Float64Array(bins);
  const sumConf = new Float64Array(bins);
  const sumCorrect = new Float64Array(bins);
  for (let i = 0; i < conf.length; i++) {
    const b = Math.min(Math.floor(conf[i] * bins), bins - 1);
    count[b]++;
    sumConf[b] += conf[i];
    sumCorrect[b] += y[i];
  }
  const rows: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    rows.push({
      lower: b / bins,
      upper: (b + 1) / bins,
      count: count[b],
      meanConfidence: count[b] > 0 ? sumConf[b] / count[b] : null,
      accuracy: count[b] > 0 ? sumCorrect[b] / count[b] : null,
    });
  }
  return rows;
}

/** ECE = Σ_b (n_b/N)·|acc_b − conf_b| over equal-width bins (Naeini et al. 2015; Guo et al. 2017, arXiv 1706.04599). */
export function expectedCalibrationError(
  conf: ArrayLike<number>,
  correct: ArrayLike<number | boolean>,
  options?: Partial<BinOptions>,
): number {
  const { bins } = resolveConfig("expectedCalibrationError", BIN_DEFAULTS, options);
  assertInteger("expectedCalibrationError.bins", bins, { min: 1 });
  const y = checkConfCorrect(conf, correct);
  return eceOfBins(binStats(conf, y, bins), conf.length);
}

function eceOfBins(rows: readonly ReliabilityBin[], n: number): number {
  let ece = 0;
  for (const row of rows) {
    if (row.count > 0) ece += (row.count / n) * Math.abs(row.accuracy! - row.meanConfidence!);
  }
  return ece;
}

/** Brier score = (1/N) Σ (q_i − y_i)² (Brier 1950), a proper scoring rule in [0, 1]. */
export function brierScore(conf: ArrayLike<number>, correct: ArrayLike<number | boolean>): number {
  const y = checkConfCorrect(conf, correct);
  let s = 0;
  for (let i = 0; i < y.length; i++) s += (conf[i] - y[i]) * (conf[i] - y[i]);
  return s / y.length;
}

/**
 * AUROC = P(score_pos > score_neg) + ½ P(tie) = Mann–Whitney U / (n_pos·n_neg) (Hanley & McNeil 1982);
 * needs at least one positive and one negative label.
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>): number {
  assertFiniteArray("scores", scores);
  const y = toBinary("labels", labels);
  assertSameLength("scores", scores, "labels", y);
  let nPos = 0;
  for (let i = 0; i < y.length; i++) nPos += y[i];
  const nNeg = y.length - nPos;
  if (nPos === 0 || nNeg === 0) {
    throw new ConfigError(
      "labels",
      "must contain both 0 and 1 (AUROC is undefined for one class)",
      `${nPos} positives, ${nNeg} negatives`,
    );
  }
  // Midranks (1-based) of the scores; rank-sum of the positives gives U.
  const order = Array.from({ length: y.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]] === scores[order[i]]) j++;
    const midrank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (y[order[k]] === 1) rankSumPos += midrank;
    i = j + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Calibration of stated confidences (RLCR, arXiv 2507.16806): accuracy over all responses, the rest over parsable ones. */
export interface CalibrationSummary {
  /** Fraction correct over all responses (parsable or not). */
  accuracy: number;
  /** Fraction of responses with a parsable confidence. */
  parseRate: number;
  /** Mean stated confidence (parsable responses; NaN when none). */
  meanConfidence: number;
  /** ECE = Σ_b (n_b/N)·|acc_b − conf_b| over `bins` (parsable responses; NaN when none). */
  ece: number;
  /** Brier score (1/N) Σ (q − y)² (parsable responses; NaN when none). */
  brier: number;
  /** AUROC of confidence for correctness (parsable responses; NaN when one class is absent). */
  auroc: number;
  /** Reliability diagram of the parsable responses (the bins the ECE is computed from). */
  bins: ReliabilityBin[];
}

/**
 * Calibration summary of one set of responses: `conf[i]` is response i's stated confidence or null when it has
 * none (unparsable), `correct[i]` its 0/1 correctness. Accuracy counts every response; reliability bins, ECE,
 * Brier, AUROC and mean confidence use the parsable ones (one binning for the diagram and the ECE).
 */
export function calibrationSummary(
  conf: readonly (number | null)[],
  correct: ArrayLike<number | boolean>,
  options?: Partial<BinOptions>,
): CalibrationSummary {
  const { bins } = resolveConfig("calibrationSummary", BIN_DEFAULTS, options);
  assertInteger("calibrationSummary.bins", bins, { min: 1 });
  const all = toBinary("correct", correct);
  if (!Array.isArray(conf) || conf.length === 0) {
    throw new ConfigError("conf", "must be a non-empty array", conf);
  }
  assertSameLength("conf", conf, "correct", all);
  const q: number[] = [];
  const y: number[] = [];
  conf.forEach((c, i) => {
    if (c !== null) {
      q.push(c);
      y.push(all[i]);
    }
  });
  let hits = 0;
  for (const v of all) hits += v;
  const accuracy = hits / all.length;
  if (q.length === 0) {
    return { accuracy, parseRate: 0, meanConfidence: NaN, ece: NaN, brier: NaN, auroc: NaN, bins: [] };
  }
  const yq = checkConfCorrect(q, y);
  const rows = binStats(q, yq, bins);
  const pos = y.reduce((a, b) => a + b, 0);
  return {
    accuracy,
    parseRate: q.length / conf.length,
    meanConfidence: q.reduce((a, b) => a + b, 0) / q.length,
    ece: eceOfBins(rows, q.length),
    brier: brierScore(q, yq),
    auroc: pos > 0 && pos < y.length ? auroc(q, yq) : NaN,
    bins: rows,
  };
}

/**
 * ECE predicted when stated confidence does not depend on correctness within a bucket (binary RL leaves the
 * confidence token without expected gradient, so only accuracy moves): bucket b has share n_b, accuracy a_b and
 * states level q_k with probability c_{b,k}; with one bin per level,
 *   ECE = Σ_k |Σ_b n_b c_{b,k} (a_b − q_k)| / Σ_b Σ_k n_b c_{b,k}.
 * It equals `expectedCalibrationError` on the population when the levels fall in distinct bins.
 */
export function fixedConfidenceEce(
  levels: readonly number[],
  confidence: readonly (readonly number[])[],
  accuracy: readonly number[],
  shares: readonly number[],
): number {
  assertFiniteArray("levels", levels, { min: 0, max: 1 });
  assertFiniteArray("accuracy", accuracy, { min: 0, max: 1 });
  assertFiniteArray("shares", shares, { min: 0 });
  assertSameLength("accuracy", accuracy, "shares", shares);
  if (!Array.isArray(confidence) || confidence.length !== accuracy.length) {
    throw new ConfigError("confidence", `must hold one row per bucket (${accuracy.length})`, confidence);
  }
  confidence.forEach((row, b) => {
    assertFiniteArray(`confidence[${b}]`, row, { min: 0 });
    assertSameLength(`confidence[${b}]`, row, "levels", levels);
  });
  let total = 0;
  const gap = levels.map(() => 0);
  for (let b = 0; b < accuracy.length; b++) {
    for (let k = 0; k < levels.length; k++) {
      const m = shares[b] * confidence[b][k];
      total += m;
      gap[k] += m * (accuracy[b] - levels[k]);
    }
  }
  if (!(total > 0)) {
    throw new ConfigError("shares", "must give the confidence rows a positive total mass", shares);
  }
  return gap.reduce((s, g) => s + Math.abs(g), 0) / total;
}
