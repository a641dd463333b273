/**
 * Pre-registration and multiplicity for claim tables. A reproduction may carry a `Preregistration`: the
 * claims (by id), their decision rules, and the exact config of each registered preset, committed before the
 * first run of that tier. `finalizeClaims` marks a claim row `preregistered` only when its id is registered
 * AND the run's config equals the registered one (a changed hyperparameter silently un-registers it), tags
 * every row with its tier (`lm`: TinyTransformer runs through the library trainer; `exact`: the exact/linear
 * test beds), and adds Holm-adjusted verdicts (Holm 1979) over each tier's family of claims beside the raw
 * ones. Changes after a run are `amendments`, listed with their reason and the verdicts before and after.
 */
import { holmAdjust } from "../lib/stats/mod.ts";
import type { ClaimRow, PresetName, Verdict } from "./harness.ts";

/** Claim tiers: `lm` (TinyTransformer through the library trainer) or `exact` (exact / linear test beds). */
export const TIERS = ["lm", "exact"] as const;
/** A claim tier. */
export type Tier = typeof TIERS[number];

/** A claim fixed before its first run. */
export interface RegisteredClaim {
  /** Stable claim id (`<reproduction>.<tier>.<n>`), matched against `ClaimRow.id`. */
  id: string;
  /** The claim in words. */
  claim: string;
  /** The decision rule, in words (statistic, interval, thresholds). */
  rule: string;
}

/** A change made after a run: what, why, and the verdicts before and after. */
export interface Amendment {
  /** Date (ISO) of the change. */
  date: string;
  /** What changed. */
  change: string;
  /** Why it changed. */
  reason: string;
  /** Verdicts (claim id → verdict) of the last run before the change. */
  before: Record<string, Verdict>;
  /** Verdicts after the change (filled in by the run that followed it). */
  after: Record<string, Verdict>;
}

/** A reproduction tier's plan, committed before the first run at its presets. */
export interface Preregistration {
  /** The tier the plan covers. */
  tier: Tier;
  /** Date (ISO) the plan was committed. */
  registered: string;
  /** Pilot runs made before registration (what was run, at which size), disclosed. */
  pilots: string;
  /** The claims and their rules. */
  claims: RegisteredClaim[];
  /**
   * The registered config per preset: the run's config (with `seeds` and `baseSeed`) restricted to these keys
   * must equal it for the claims to count as pre-registered.
   */
  presets: Partial<Record<PresetName, Record<string, unknown>>>;
  /** Changes after a run (empty when none). */
  amendments: Amendment[];
}

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
 * Holm-adjusted verdict per row, within each tier's family: a "reproduced" row stays reproduced iff its
 * claimed-direction p survives Holm at α = 0.05; a "not reproduced" row stays so iff its opposite-direction p
 * survives Holm; every other row is inconclusive. Rows without p-values (range claims) keep their verdict
 * only if it is inconclusive; otherwise they are excluded from the family and marked inconclusive, since no
 * test backs them.
 */
function holmVerdicts(rows: readonly ClaimRow[]): Verdict[] {
  const out: Verdict[] = rows.map(() => "inconclusive");
  for (const tier of TIERS) {
    const idx = rows.map((r, i) => (r.tier === tier && Number.isFinite(r.pValue) ? i : -1)).filter((i) =>
      i >= 0
    );
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
 * Tag rows with tier (default `exact`), `preregistered` (registered id + matching config) and Holm-adjusted
 * verdicts per tier (see module doc).
 */
export function finalizeClaims(
  rows: readonly ClaimRow[],
  preregistrations: readonly Preregistration[],
  preset: PresetName,
  config: Record<string, unknown>,
): ClaimRow[] {
  const tagged = rows.map((r) => {
    const reg = preregistrations.find((p) => r.id !== undefined && p.claims.some((c) => c.id === r.id));
    const plan = reg?.presets[preset];
    return {
      ...r,
      tier: r.tier ?? reg?.tier ?? "exact",
      preregistered: Boolean(reg && plan && matchesRegistration(config, plan)),
    };
  });
  const holm = holmVerdicts(tagged);
  return tagged.map((r, i) => ({ ...r, verdictHolm: holm[i] }));
}
