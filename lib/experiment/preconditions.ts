/**
 * Preconditions: the regime a paper's mechanism needs, declared per reproduction as quantities measured from the
 * run's rows with pre-registered thresholds (e.g. the share of groups with p̂ ∈ {0, 1} at the start of
 * training). A claim names the preconditions it depends on; when one fails the claim is `not testable here`
 * (no verdict, outside the Holm family), and when one was not measured the claim keeps its verdict with the
 * status `not measured`.
 */
import {
  type ClaimRow,
  NOT_TESTABLE,
  type Precondition,
  type PreconditionSpec,
  type PreconditionStatus,
} from "./types.ts";

/** The threshold rule of a precondition in words, e.g. "≥ 0.2". */
export function preconditionRule(spec: Pick<PreconditionSpec, "comparison" | "threshold">): string {
  return `${spec.comparison === ">=" ? "≥" : "≤"} ${spec.threshold}`;
}

/** Measure every precondition on a run log: value, rule, and whether it holds (null when not measured). */
export function evaluatePreconditions(
  specs: readonly PreconditionSpec[],
  log: Parameters<PreconditionSpec["measure"]>[0],
): Precondition[] {
  return specs.map((s) => {
    const measured = s.measure(log);
    const holds = Number.isFinite(measured)
      ? (s.comparison === ">=" ? measured >= s.threshold : measured <= s.threshold)
      : null;
    return {
      id: s.id,
      tier: s.tier,
      quantity: s.quantity,
      rule: preconditionRule(s),
      measured: Number.isFinite(measured) ? measured : NaN,
      holds,
    };
  });
}

/** The status of a claim depending on `ids`: fails if one fails, not measured if one is unmeasured or unknown. */
export function preconditionStatus(
  ids: readonly string[] | undefined,
  measured: readonly Precondition[],
): PreconditionStatus {
  if (!ids?.length) return "none";
  const found = ids.map((id) => measured.find((m) => m.id === id));
  if (found.some((m) => m?.holds === false)) return "fails";
  if (found.some((m) => m === undefined || m.holds === null)) return "not measured";
  return "holds";
}

/**
 * Give every claim row its precondition status; a row whose precondition fails becomes `not testable here`
 * (verdict and p-values removed; the estimate and CI stay for the record).
 */
export function applyPreconditions(rows: readonly ClaimRow[], measured: readonly Precondition[]): ClaimRow[] {
  return rows.map((r) => {
    const precondition = preconditionStatus(r.preconditions, measured);
    if (precondition !== "fails") return { ...r, precondition };
    const { pValue: _p, pOpposite: _q, ...rest } = r;
    return { ...rest, precondition, verdict: NOT_TESTABLE };
  });
}
