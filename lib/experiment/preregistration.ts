/**
 * Pre-registration and multiplicity for claim tables. A reproduction may carry a `Preregistration` per tier:
 * the claims (by id) with their decision rules, the preconditions with their threshold rules, and the exact
 * config of each registered preset, committed before the first run of that tier. `finalizeClaims` marks a
 * claim row `preregistered` only when its id is registered, the rule text the run produced equals the
 * registered rule text, AND the run's config equals the registered one (a changed hyperparameter or rule
 * silently un-registers it, and `registrationMismatch` says which); it tags every row with its tier and kind,
 * and adds Holm-adjusted verdicts (Holm 1979) over each tier's family of reproduction claims beside the raw
 * ones (manipulation checks and claims not testable here are outside the family). Changes after a run are
 * `amendments`, listed with their reason and the verdicts before and after.
 */
import { holmAdjust } from "../stats/mod.ts";
import {
  type ClaimRow,
  type ClaimStatus,
  NOT_TESTABLE,
  type Precondition,
  type PreconditionSpec,
  type Preregistration,
  type PresetName,
  TIERS,
} from "./types.ts";
import { applyPreconditions, preconditionRule } from "./preconditions.ts";

/** Canonical JSON (sorted keys) for config comparison. */
function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(",")}]`;
  if (x && typeof x === "object") {
    const o = x as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(x);
}

/** True when `config` restricted to the registered keys equals `registered` (canonical JSON). */
export function matchesRegistration(
  config: Record<string, unknown>,
  registered: Record<string, unknown>,
): boolean {
  const picked: Record<string, unknown> = {};
  for (const k of Object.keys(registered)) picked[k] = config[k];
  return canonical(picked) === canonical(registered);
}

/**
 * Registered rule texts that differ from what the run produced: one line per claim row whose id is registered
 * with another rule, and per precondition spec registered with another quantity or threshold rule (empty when
 * every text matches).
 */
export function ruleTextMismatches(
  rows: readonly ClaimRow[],
  preregistrations: readonly Preregistration[],
  preconditions: readonly PreconditionSpec[] = [],
): string[] {
  const out: string[] = [];
  for (const r of rows) {
    const reg = preregistrations.flatMap((p) => p.claims).find((c) => c.id === r.id);
    if (reg && reg.rule !== r.rule) {
      out.push(`${r.id}: registered rule "${reg.rule}" ≠ run's rule "${r.rule}"`);
    }
  }
  for (const s of preconditions) {
    const reg = preregistrations.flatMap((p) => p.preconditions ?? []).find((c) => c.id === s.id);
    if (!reg) out.push(`${s.id}: precondition not registered`);
    else if (reg.rule !== preconditionRule(s) || reg.quantity !== s.quantity) {
      out.push(
        `${s.id}: registered "${reg.quantity} ${reg.rule}" ≠ declared "${s.quantity} ${preconditionRule(s)}"`,
      );
    }
  }
  return out;
}

/**
 * Holm-adjusted verdict per row, within each tier's family of reproduction claims: a "reproduced" row stays
 * reproduced iff its claimed-direction p survives Holm at α = 0.05; a "not reproduced" row stays so iff its
 * opposite-direction p survives Holm; every other row is inconclusive. Rows without p-values (range claims)
 * are excluded from the family and marked inconclusive, since no test backs them. Manipulation checks keep
 * their raw verdict; rows not testable here stay so.
 */
function holmVerdicts(rows: readonly ClaimRow[]): ClaimStatus[] {
  const out: ClaimStatus[] = rows.map((r) =>
    r.verdict === NOT_TESTABLE ? NOT_TESTABLE : r.kind === "manipulation check" ? r.verdict : "inconclusive"
  );
  for (const tier of TIERS) {
    const idx = rows.map((r, i) =>
      r.tier === tier && r.kind !== "manipulation check" && r.verdict !== NOT_TESTABLE &&
        Number.isFinite(r.pValue)
        ? i
        : -1
    ).filter((i) => i >= 0);
    const pClaim = holmAdjust(idx.map((i) => rows[i].pValue!));
    const pOpposite = holmAdjust(idx.map((i) => rows[i].pOpposite!));
    idx.forEach((i, k) => {
      const raw = rows[i].verdict;
      if (raw === "reproduced" && pClaim[k] <= 0.05) out[i] = "reproduced";
      else if (raw === "not reproduced" && pOpposite[k] <= 0.05) out[i] = "not reproduced";
    });
  }
  return out;
}

/**
 * Tag rows with tier (default `exact`), kind (registered kind, else the row's, else `reproduction`), the
 * registered preconditions they depend on, `preregistered` (registered id + same rule text + matching config,
 * else `registrationMismatch`), the precondition status from the run's measured `preconditions`
 * (`applyPreconditions`: a failed one makes the claim not testable here) and Holm-adjusted verdicts per tier
 * (see module doc).
 */
export function finalizeClaims(
  rows: readonly ClaimRow[],
  preregistrations: readonly Preregistration[],
  preset: PresetName,
  config: Record<string, unknown>,
  preconditions: readonly Precondition[] = [],
): ClaimRow[] {
  const tagged = applyPreconditions(
    rows.map((r): ClaimRow => {
      const reg = preregistrations.find((p) => r.id !== undefined && p.claims.some((c) => c.id === r.id));
      const claim = reg?.claims.find((c) => c.id === r.id);
      const plan = reg?.presets[preset];
      const mismatch = !reg
        ? "not registered"
        : !plan
        ? `preset ${preset} not registered`
        : claim!.rule !== r.rule
        ? "rule text"
        : !matchesRegistration(config, plan)
        ? "config"
        : undefined;
      const preconditions = r.preconditions ?? claim?.preconditions;
      return {
        ...r,
        tier: r.tier ?? reg?.tier ?? "exact",
        kind: claim?.kind ?? r.kind ?? "reproduction",
        ...(preconditions?.length ? { preconditions: [...preconditions] } : {}),
        preregistered: mismatch === undefined,
        ...(mismatch ? { registrationMismatch: mismatch } : {}),
      };
    }),
    preconditions,
  );
  const holm = holmVerdicts(tagged);
  return tagged.map((r, i) => ({ ...r, verdictHolm: holm[i] }));
}
