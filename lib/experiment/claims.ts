/**
 * Claim builders: each turns a tasks × runs score matrix into a `ClaimRow` with the one interval of lib/stats
 * (`aggregateInterval`: mean over runs, IQM from 20 runs, stratified-bootstrap 95% CI) and a verdict by a rule
 * stated in the row. Directional ("effect > θ"), non-inferiority ("effect > −δ"), equivalence ("|effect| < δ",
 * for ties at a ceiling) and per-k ("non-inferior at every k", Holm over k instead of a minimum over k). A run
 * without a finite value is never dropped: it takes the claim's `failure` value when the rule names one, and
 * otherwise makes the claim inconclusive with the count stated in `nNote`.
 */
import { aggregateInterval, claimAggregate, holmAdjust } from "../stats/mod.ts";
import type { ClaimPart, ClaimRow, Verdict } from "./types.ts";

/**
 * Verdict for a claim "effect > threshold" (direction "greater") or "< threshold" ("less"): reproduced iff the
 * 95% CI lies entirely on the claimed side, not reproduced iff entirely on the other side, inconclusive otherwise.
 */
export function directionalVerdict(
  ci: [number, number],
  direction: "greater" | "less",
  threshold = 0,
): Verdict {
  const [lo, hi] = ci;
  if (direction === "greater") {
    return lo > threshold ? "reproduced" : hi < threshold ? "not reproduced" : "inconclusive";
  }
  return hi < threshold ? "reproduced" : lo > threshold ? "not reproduced" : "inconclusive";
}

/** Verdict for a claimed range [a, b]: reproduced iff the 95% CI overlaps it, not reproduced otherwise. */
export function rangeVerdict(ci: [number, number], range: [number, number]): Verdict {
  return ci[1] >= range[0] && ci[0] <= range[1] ? "reproduced" : "not reproduced";
}

/**
 * Verdict for "|effect| < margin" (equivalence): reproduced iff the 95% CI lies inside (−margin, margin), not
 * reproduced iff it lies entirely outside [−margin, margin], inconclusive otherwise.
 */
export function equivalenceVerdict(ci: [number, number], margin: number): Verdict {
  const [lo, hi] = ci;
  if (lo > -margin && hi < margin) return "reproduced";
  return hi < -margin || lo > margin ? "not reproduced" : "inconclusive";
}

/** Options shared by the claim builders. */
export interface ClaimOptions {
  /** The statistic in words, prefixed to the rule (e.g. "paired per-seed difference A − B"). */
  statistic?: string;
  /** Bootstrap seed (default 0). */
  seed?: number;
  /** Value a run without a finite score takes (a failure by the rule); absent: such runs make it inconclusive. */
  failure?: number;
  /** Unit of the estimate (e.g. "accuracy difference"). */
  unit?: string;
  /** Ids of the preconditions the claim depends on. */
  preconditions?: string[];
}

interface Prepared {
  scores: number[][];
  n: number;
  missing: number;
  ruleTail: string;
}

/** Substitute `failure` for non-finite runs, or count them (see module doc). */
function prepare(scores: readonly (readonly number[])[], failure: number | undefined): Prepared {
  let missing = 0;
  const out = scores.map((r) =>
    r.map((v) => {
      if (Number.isFinite(v)) return v;
      missing++;
      return failure ?? NaN;
    })
  );
  const n = out.reduce((t, r) => t + r.length, 0);
  const ruleTail = failure !== undefined
    ? `; a run without a finite value counts as a failure (${failure})`
    : "";
  return { scores: out, n, missing, ruleTail };
}

function base(
  claim: string,
  paper: string,
  rule: string,
  p: Prepared,
  opts: ClaimOptions,
): ClaimRow {
  return {
    claim,
    paper,
    estimate: NaN,
    ci: [NaN, NaN],
    verdict: "inconclusive",
    rule,
    n: p.n,
    ...(opts.unit ? { unit: opts.unit } : {}),
    ...(opts.preconditions?.length ? { preconditions: [...opts.preconditions] } : {}),
  };
}

/** Inconclusive row when some runs have no finite value and the rule names no failure value. */
function undecidable(row: ClaimRow, p: Prepared): ClaimRow | null {
  if (p.n === 0) return row;
  if (p.scores.every((r) => r.every(Number.isFinite))) return null;
  return {
    ...row,
    nNote: `${p.missing} of ${p.n} runs have no finite value and the rule names no failure value`,
  };
}

/**
 * Claim row for "aggregate of scores (tasks × runs) is > / < threshold": the aggregate with its stratified-
 * bootstrap 95% CI and one-sided bootstrap p-values, verdict by `directionalVerdict`; with no score at all (e.g.
 * a metric undefined in every run, or a skipped tier) the row is inconclusive with n = 0 and a NaN estimate.
 */
export function directionalClaim(
  claim: string,
  paper: string,
  scores: number[][],
  direction: "greater" | "less",
  opts: ClaimOptions & { threshold?: number } = {},
): ClaimRow {
  const threshold = opts.threshold ?? 0;
  const p = prepare(scores, opts.failure);
  const agg = claimAggregate(p.n);
  const rule = `${opts.statistic ? `${opts.statistic}; ` : ""}${agg.name}; reproduced iff the 95% ` +
    `stratified-bootstrap CI is ${
      direction === "greater" ? ">" : "<"
    } ${threshold}, not reproduced iff it is ` +
    "entirely on the other side, else inconclusive" + p.ruleTail;
  const row = base(claim, paper, rule, p, opts);
  const stop = undecidable(row, p);
  if (stop) return stop;
  const t = aggregateInterval(p.scores, { threshold, seed: opts.seed ?? 0 });
  const ci: [number, number] = [t.lower, t.upper];
  return {
    ...row,
    estimate: t.estimate,
    ci,
    verdict: directionalVerdict(ci, direction, threshold),
    pValue: direction === "greater" ? t.pGreater : t.pLess,
    pOpposite: direction === "greater" ? t.pLess : t.pGreater,
  };
}

/**
 * Claim row for "A is not worse than B by more than `margin`" on scores of A − B (direction "greater": higher is
 * better) or B − A ("less": lower is better): reproduced iff the 95% CI lies beyond −margin (resp. below
 * +margin), not reproduced iff entirely on the other side of it, else inconclusive.
 */
export function nonInferiorityClaim(
  claim: string,
  paper: string,
  scores: number[][],
  opts: ClaimOptions & { margin: number; direction?: "greater" | "less" },
): ClaimRow {
  const direction = opts.direction ?? "greater";
  const threshold = direction === "greater" ? -opts.margin : opts.margin;
  const row = directionalClaim(claim, paper, scores, direction, { ...opts, threshold });
  return { ...row, rule: `non-inferiority with margin ${opts.margin}: ${row.rule}` };
}

/**
 * Claim row for "the effect is zero within ±margin" (equivalence, e.g. a tie at a ceiling where both arms are
 * ≈ 1): reproduced iff the 95% CI lies inside (−margin, margin), not reproduced iff entirely outside, else
 * inconclusive. `pValue` is the two one-sided tests' p (the larger of the two), `pOpposite` the smaller one-sided
 * p of lying beyond a margin, doubled (Bonferroni over the two sides).
 */
export function equivalenceClaim(
  claim: string,
  paper: string,
  scores: number[][],
  opts: ClaimOptions & { margin: number },
): ClaimRow {
  const p = prepare(scores, opts.failure);
  const agg = claimAggregate(p.n);
  const rule = `${opts.statistic ? `${opts.statistic}; ` : ""}${agg.name}; equivalence with margin ` +
    `${opts.margin}: reproduced iff the 95% stratified-bootstrap CI lies inside (−${opts.margin}, ` +
    `${opts.margin}), not reproduced iff it lies entirely outside, else inconclusive` + p.ruleTail;
  const row = base(claim, paper, rule, p, opts);
  const stop = undecidable(row, p);
  if (stop) return stop;
  const seed = opts.seed ?? 0;
  const low = aggregateInterval(p.scores, { threshold: -opts.margin, seed });
  const high = aggregateInterval(p.scores, { threshold: opts.margin, seed });
  const ci: [number, number] = [low.lower, low.upper];
  return {
    ...row,
    estimate: low.estimate,
    ci,
    verdict: equivalenceVerdict(ci, opts.margin),
    pValue: Math.max(low.pGreater, high.pLess),
    pOpposite: Math.min(1, 2 * Math.min(low.pLess, high.pGreater)),
  };
}

/**
 * One claim over a family of k (e.g. "keeps pass@k at every k"): a non-inferiority test per k on that k's
 * scores, Holm-adjusted over the k family (Holm 1979) instead of a minimum over k (a minimum of noisy
 * differences is biased downward). Reproduced iff every k's Holm-adjusted claimed-direction p ≤ 0.05; not
 * reproduced iff some k's Holm-adjusted opposite p ≤ 0.05; else inconclusive. The row's estimate and CI are
 * those of the k with the lowest CI bound on the claimed side; `parts` lists every k.
 */
export function perKClaim(
  claim: string,
  paper: string,
  scoresByK: ReadonlyMap<number, number[][]>,
  opts: ClaimOptions & { margin: number; direction?: "greater" | "less" },
): ClaimRow {
  const direction = opts.direction ?? "greater";
  const ks = [...scoresByK.keys()].sort((a, b) => a - b);
  const rows = ks.map((k) => nonInferiorityClaim(claim, paper, scoresByK.get(k)!, opts));
  const rule = `per k ∈ {${ks.join(", ")}}, ${rows[0]?.rule ?? "no k"}; reproduced iff every k's ` +
    "Holm-adjusted (over k) claimed-direction p ≤ 0.05, not reproduced iff some k's Holm-adjusted opposite p ≤ " +
    "0.05, else inconclusive";
  const n = Math.min(...rows.map((r) => r.n));
  const out: ClaimRow = {
    claim,
    paper,
    estimate: NaN,
    ci: [NaN, NaN],
    verdict: "inconclusive",
    rule,
    n: Number.isFinite(n) ? n : 0,
    ...(opts.unit ? { unit: opts.unit } : {}),
    ...(opts.preconditions?.length ? { preconditions: [...opts.preconditions] } : {}),
  };
  const note = rows.find((r) => r.nNote)?.nNote;
  if (note) return { ...out, nNote: note };
  if (rows.length === 0 || rows.some((r) => !Number.isFinite(r.pValue))) return out;
  const pHolm = holmAdjust(rows.map((r) => r.pValue!));
  const pOppHolm = holmAdjust(rows.map((r) => r.pOpposite!));
  const parts: ClaimPart[] = rows.map((r, i) => ({
    label: `k = ${ks[i]}`,
    estimate: r.estimate,
    ci: r.ci,
    pValue: r.pValue!,
    pHolm: pHolm[i],
  }));
  const worst = rows.reduce((w, r) =>
    (direction === "greater" ? r.ci[0] < w.ci[0] : r.ci[1] > w.ci[1]) ? r : w
  );
  const verdict: Verdict = pHolm.every((q) => q <= 0.05)
    ? "reproduced"
    : pOppHolm.some((q) => q <= 0.05)
    ? "not reproduced"
    : "inconclusive";
  return {
    ...out,
    estimate: worst.estimate,
    ci: worst.ci,
    verdict,
    pValue: Math.max(...pHolm),
    pOpposite: Math.min(...pOppHolm),
    parts,
  };
}

/**
 * IQM of the pooled scores and its stratified-bootstrap 95% CI (lib/stats `aggregateInterval`), for charts;
 * runs without a finite value are left out of the chart's estimate (n counts the runs used).
 */
export function iqmWithCI(
  scores: number[][],
  seed = 0,
  reps = 2000,
): { estimate: number; ci: [number, number]; n: number } {
  const finite = scores.map((r) => r.filter(Number.isFinite));
  const t = aggregateInterval(finite, { aggregate: "iqm", seed, reps });
  return { estimate: t.estimate, ci: [t.lower, t.upper], n: t.n };
}
