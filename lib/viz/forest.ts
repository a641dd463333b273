/**
 * Charts that show a claim at a glance: `claimForest`, a forest plot of a reproduction's claims (estimate, 95%
 * CI, the line the decision rule compares against, colour by verdict, one panel per tier), and
 * `pairedDifference`, the per-seed differences behind a paired claim (arm − baseline per seed, as points) with
 * their aggregate and 95% CI.
 */
import { ConfigError } from "../core/validate.ts";
import { aggregateMean, iqm } from "../stats/aggregate.ts";
import { stratifiedBootstrapCI } from "../stats/bootstrap.ts";
import { Chart } from "./chart.ts";
import { type ChartData, type ChartLayout, chartRecords, type ChartRow, DEFAULT_WIDTH } from "./charts.ts";

/**
 * Verdict colours of the forest plot: reproduced green, not reproduced red, inconclusive grey, not testable here
 * (a failed precondition) violet; any other verdict is drawn in `OTHER_VERDICT_COLOR`.
 */
export const VERDICT_COLORS: Readonly<Record<string, string>> = {
  "reproduced": "#2e7d32",
  "not reproduced": "#c62828",
  "inconclusive": "#8a8a8a",
  "not testable here": "#7e57c2",
};

/** Colour of a verdict not in `VERDICT_COLORS`. */
export const OTHER_VERDICT_COLOR = "#444444";

/** A decision rule's reference: the threshold the CI is compared with, or the interval it must meet. */
export type ClaimReference = number | [number, number];

/** One claim as the forest plot reads it (the fields of a claims.json row). */
export interface ForestClaim {
  /** Stable id (`<reproduction>.<tier>.<n>`); rows without one are labelled by tier and position. */
  id?: string;
  /** The claim in words (tooltip; the label is cut to `labelLimit`). */
  claim: string;
  /** Point estimate (null or NaN: no estimate, drawn as a label without a mark). */
  estimate: number | null;
  /** 95% CI [low, high]. */
  ci: [number | null, number | null];
  /** Verdict by the claim's rule ("reproduced", "not reproduced", "inconclusive"). */
  verdict: string;
  /** Tier ("lm", "exact"); one panel per tier. */
  tier?: string;
  /** Decision rule in words; the reference line is read from it when `reference` is absent. */
  rule?: string;
  /** Threshold or interval of the rule (default: `claimReference(rule)`; null draws none). */
  reference?: ClaimReference | null;
  /** Number of runs behind the estimate. */
  n?: number;
}

const NUMBER = String.raw`[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?`;
const num = (s: string) => Number(s.replace(/−/g, "-"));

/**
 * The reference a rule text compares the CI with: "CI overlaps / lies inside / ⊂ [a, b]" → [a, b]; "CI (is) >
 * θ" or "< θ" → θ; null when the rule names neither.
 */
export function claimReference(rule: string): ClaimReference | null {
  const range = rule.match(new RegExp(String.raw`CI[^.;]*?\[(${NUMBER}),\s*(${NUMBER})\]`));
  if (range) return [num(range[1]), num(range[2])];
  const side = rule.match(new RegExp(String.raw`CI (?:is )?(?:entirely )?[<>]=? ?(${NUMBER})`));
  return side ? num(side[1]) : null;
}

/** Options for `claimForest`. */
export interface ClaimForestOptions extends ChartLayout {
  /** Characters of the claim text kept in the row label (default 70; the tooltip has it all). */
  labelChars?: number;
  /** Label column width in px (default 360). */
  labelWidth?: number;
  /** Tier panel titles (default: "LM tier" for lm, "exact tier" for exact, else the tier name). */
  tierTitles?: Record<string, string>;
}

const TIER_TITLES: Record<string, string> = {
  lm: "LM tier (TinyTransformer trained by the library's trainer)",
  exact: "exact tier (exact or linear test beds)",
};

/** Height of one claim's row in px (its axis comes below it). */
const ROW_HEIGHT = 14;

function finite(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1).trimEnd() + "…";
}

/**
 * Forest plot of claims: one row per claim (label: id and claim text), its 95% CI as a bar and the estimate as
 * a dot, coloured by verdict, with the rule's reference drawn as a dashed line (a threshold) or a shaded band (an
 * interval). Claims measure different things, so each row has its own x axis. Rows are grouped into one panel
 * per tier, in the order the tiers first appear.
 */
export function claimForest(claims: readonly ForestClaim[], options: ClaimForestOptions = {}): Chart {
  if (!Array.isArray(claims) || claims.length === 0) {
    throw new ConfigError("claims", "must be a non-empty array of claim rows", claims);
  }
  const labelChars = options.labelChars ?? 70;
  const labelWidth = options.labelWidth ?? 360;
  const width = Math.max(160, (options.width ?? DEFAULT_WIDTH) - labelWidth);
  const tiers: string[] = [];
  const perTier = new Map<string, number>();
  const rows: ChartRow[] = claims.map((c, i) => {
    if (typeof c?.claim !== "string") {
      throw new ConfigError(`claims[${i}].claim`, "must be a string", c?.claim);
    }
    if (!Array.isArray(c.ci) || c.ci.length !== 2) {
      throw new ConfigError(`claims[${i}].ci`, "must be [low, high]", c.ci);
    }
    if (typeof c.verdict !== "string" || c.verdict === "") {
      throw new ConfigError(
        `claims[${i}].verdict`,
        `must be a verdict string, e.g. ${Object.keys(VERDICT_COLORS).join(", ")}`,
        c.verdict,
      );
    }
    const tier = c.tier ?? "exact";
    if (!tiers.includes(tier)) tiers.push(tier);
    const k = (perTier.get(tier) ?? 0) + 1;
    perTier.set(tier, k);
    const ref = c.reference !== undefined ? c.reference : c.rule ? claimReference(c.rule) : null;
    const [lo, hi] = c.ci;
    const has = finite(c.estimate) && finite(lo) && finite(hi);
    const id = c.id ?? `${tier} #${k}`;
    return {
      order: i,
      tier,
      id,
      label: `${id}  ${cut(c.claim, labelChars)}`,
      claim: c.claim,
      verdict: c.verdict,
      estimate: has ? c.estimate : null,
      lo: has ? lo : null,
      hi: has ? hi : null,
      refLo: Array.isArray(ref) ? ref[0] : ref,
      refHi: Array.isArray(ref) ? ref[1] : ref,
      n: c.n ?? null,
    };
  });
  // Legend: the verdicts present, in VERDICT_COLORS order, then any others.
  const present = [...new Set(rows.map((r) => r.verdict as string))];
  const domain = [
    ...Object.keys(VERDICT_COLORS).filter((v) => present.includes(v)),
    ...present.filter((v) => !(v in VERDICT_COLORS)),
  ];
  const color = {
    field: "verdict",
    type: "nominal",
    title: "verdict",
    scale: { domain, range: domain.map((v) => VERDICT_COLORS[v] ?? OTHER_VERDICT_COLOR) },
    legend: { orient: "top", direction: "horizontal" },
  };
  const x = (field: string) => ({
    field,
    type: "quantitative",
    title: null,
    scale: { zero: false, nice: true, padding: 8 },
    axis: { tickCount: 4, format: ".3~g", labelFontSize: 9, grid: true, gridOpacity: 0.4 },
  });
  const tooltip = [
    { field: "id", type: "nominal", title: "claim id" },
    { field: "claim", type: "nominal", title: "claim" },
    { field: "estimate", type: "quantitative", format: ".4~g" },
    { field: "lo", type: "quantitative", title: "95% CI low", format: ".4~g" },
    { field: "hi", type: "quantitative", title: "95% CI high", format: ".4~g" },
    { field: "verdict", type: "nominal" },
    { field: "n", type: "quantitative", title: "runs" },
  ];
  // The reference as one mark: a band for an interval, a zero-width rect whose dashed outline is the line for a threshold.
  const layer = [
    {
      transform: [{ filter: "datum.refLo != null" }],
      mark: {
        type: "rect",
        color: "#9ecae9",
        opacity: 0.45,
        stroke: "#333",
        strokeDash: [4, 3],
        strokeWidth: 1.2,
      },
      encoding: { x: x("refLo"), x2: { field: "refHi" } },
    },
    {
      transform: [{ filter: "datum.lo != null" }],
      mark: { type: "rule", strokeWidth: 3 },
      encoding: { x: x("lo"), x2: { field: "hi" }, color, tooltip },
    },
    {
      transform: [{ filter: "datum.estimate != null" }],
      mark: { type: "point", filled: true, size: 70, opacity: 1, stroke: "white", strokeWidth: 1 },
      encoding: { x: x("estimate"), color, tooltip },
    },
    {
      // The row label, left-aligned in the space left of the plot (facet headers would be right-aligned).
      mark: {
        type: "text",
        align: "left",
        baseline: "middle",
        fontSize: 11,
        limit: labelWidth - 12,
        x: -labelWidth,
        y: ROW_HEIGHT / 2,
      },
      encoding: { text: { field: "label" }, tooltip: [{ field: "claim", type: "nominal", title: "claim" }] },
    },
  ];
  const panel = (tier: string) => ({
    title: {
      text: (options.tierTitles ?? TIER_TITLES)[tier] ?? tier,
      anchor: "start",
      fontSize: 12,
      offset: 6,
    },
    transform: [{ filter: { field: "tier", equal: tier } }],
    facet: {
      row: {
        field: "label",
        type: "nominal",
        sort: { field: "order" },
        title: null,
        header: { labels: false },
      },
    },
    spacing: 2,
    spec: { width, height: ROW_HEIGHT, layer },
    resolve: { scale: { x: "independent" } },
  });
  const spec: Record<string, unknown> = {
    ...(options.title ? { title: options.title } : {}),
    data: { values: rows },
    vconcat: tiers.map(panel),
    spacing: 16,
    config: { view: { stroke: null } },
  };
  return new Chart(spec);
}

/** Options for `pairedDifference`. */
export interface PairedDifferenceOptions extends ChartLayout {
  /** Metric column (default "value"). */
  value?: string;
  /** Arm column (default "arm"). */
  arm?: string;
  /** Seed column pairing the two arms (default "seed"). */
  seed?: string;
  /** The arm the claim is about (required). */
  treatment: string;
  /** The arm it is compared with (required). */
  baseline: string;
  /** Aggregate over seeds, as the claim's rule states it (default "mean"; "iqm" trims the outer quartiles). */
  aggregate?: "mean" | "iqm";
  /** Reference of the claim's rule (default 0): a threshold line or an [a, b] band. */
  reference?: ClaimReference;
  /** The claim's own estimate and 95% CI (from claims.json); without it, a stratified bootstrap CI is computed. */
  claim?: { estimate: number; ci: [number, number] };
  /** Bootstrap replicates and seed when the CI is computed (defaults 2000 and 0). */
  bootstrap?: { reps?: number; seed?: number };
  /** x axis title (default "<treatment> − <baseline> (<value>)"). */
  xTitle?: string;
}

/** Per-seed differences `treatment − baseline` of `value` (seeds present in both arms, averaged within arm and seed). */
export function pairedDifferences(
  data: ChartData,
  options: Pick<PairedDifferenceOptions, "value" | "arm" | "seed" | "treatment" | "baseline">,
): { seed: unknown; difference: number }[] {
  const value = options.value ?? "value", arm = options.arm ?? "arm", seed = options.seed ?? "seed";
  const rows = chartRecords(data);
  for (const [name, f] of [["value", value], ["arm", arm], ["seed", seed]] as const) {
    if (rows.length > 0 && !rows.some((r) => f in r)) {
      throw new ConfigError(
        name,
        `must name a column of the data; columns: ${Object.keys(rows[0]).join(", ")}`,
        f,
      );
    }
  }
  const means = (a: string) => {
    const m = new Map<unknown, number[]>();
    for (const r of rows) {
      const v = r[value];
      if (String(r[arm]) !== a || !finite(v)) continue;
      const list = m.get(r[seed]);
      if (list) list.push(v);
      else m.set(r[seed], [v]);
    }
    return m;
  };
  const t = means(options.treatment), b = means(options.baseline);
  for (const [name, m] of [["treatment", t], ["baseline", b]] as const) {
    if (m.size === 0) {
      const arms = [...new Set(rows.map((r) => String(r[arm])))].join(", ");
      throw new ConfigError(name, `must name an arm with values; arms: ${arms}`, options[name]);
    }
  }
  const avg = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const out: { seed: unknown; difference: number }[] = [];
  for (const [s, tv] of t) {
    const bv = b.get(s);
    if (bv) out.push({ seed: s, difference: avg(tv) - avg(bv) });
  }
  if (out.length === 0) throw new ConfigError("seed", "no seed has values for both arms", seed);
  return out;
}

/**
 * Paired-difference chart of a paired claim: each seed's `treatment − baseline` difference as a point (jittered
 * vertically), the aggregate over seeds (mean, or IQM) as a diamond with its 95% CI as a bar, and the claim's
 * reference line. The title names the aggregate and where the CI comes from.
 */
export function pairedDifference(data: ChartData, options: PairedDifferenceOptions): Chart {
  if (typeof options?.treatment !== "string") {
    throw new ConfigError("treatment", "must name the arm the claim is about", options?.treatment);
  }
  if (typeof options.baseline !== "string") {
    throw new ConfigError("baseline", "must name the arm it is compared with", options.baseline);
  }
  const aggregate = options.aggregate ?? "mean";
  if (aggregate !== "mean" && aggregate !== "iqm") {
    throw new ConfigError("aggregate", 'must be "mean" or "iqm"', aggregate);
  }
  const diffs = pairedDifferences(data, options);
  const d = diffs.map((r) => r.difference);
  const stat = aggregate === "iqm" ? (m: number[][]) => iqm(m) : (m: number[][]) => aggregateMean(m);
  let estimate: number, ci: [number, number], source: string;
  if (options.claim) {
    ({ estimate, ci } = options.claim);
    source = "the claim's 95% CI";
  } else {
    const b = stratifiedBootstrapCI([d], stat, {
      reps: options.bootstrap?.reps ?? 2000,
      seed: options.bootstrap?.seed ?? 0,
      alpha: 0.05,
    });
    estimate = b.estimate;
    ci = [b.lower, b.upper];
    source = "95% bootstrap CI";
  }
  const aggName = aggregate === "iqm" ? "IQM" : "mean";
  const value = options.value ?? "value";
  const xTitle = options.xTitle ?? `${options.treatment} − ${options.baseline} (${value})`;
  const ref = options.reference ?? 0;
  const points = diffs.map((r, i) => ({
    seed: String(r.seed),
    difference: r.difference,
    jitter: ((i * 0.618034) % 1) - 0.5,
  }));
  const x = { type: "quantitative", title: xTitle, scale: { zero: false, nice: true } };
  const layer: Record<string, unknown>[] = [
    Array.isArray(ref)
      ? {
        data: { values: [{ a: ref[0], b: ref[1] }] },
        mark: { type: "rect", color: "#9ecae9", opacity: 0.45 },
        encoding: { x: { ...x, field: "a" }, x2: { field: "b" } },
      }
      : {
        data: { values: [{ ref }] },
        mark: { type: "rule", color: "#333", strokeDash: [4, 3] },
        encoding: { x: { ...x, field: "ref" } },
      },
    {
      data: { values: points },
      mark: { type: "point", filled: true, size: 45, opacity: 0.7, color: "#4c78a8" },
      encoding: {
        x: { ...x, field: "difference" },
        y: {
          field: "jitter",
          type: "quantitative",
          scale: { domain: [-1.6, 0.6] },
          axis: null,
        },
        tooltip: [
          { field: "seed", type: "nominal" },
          { field: "difference", type: "quantitative", format: ".4~g" },
        ],
      },
    },
    {
      data: { values: [{ lo: ci[0], hi: ci[1], estimate, y: -1.1 }] },
      mark: { type: "rule", strokeWidth: 3, color: "#222" },
      encoding: { x: { ...x, field: "lo" }, x2: { field: "hi" }, y: { field: "y", type: "quantitative" } },
    },
    {
      data: { values: [{ estimate, lo: ci[0], hi: ci[1], y: -1.1 }] },
      mark: { type: "point", shape: "diamond", filled: true, size: 140, color: "#222" },
      encoding: {
        x: { ...x, field: "estimate" },
        y: { field: "y", type: "quantitative" },
        tooltip: [
          { field: "estimate", type: "quantitative", title: aggName, format: ".4~g" },
          { field: "lo", type: "quantitative", title: "95% CI low", format: ".4~g" },
          { field: "hi", type: "quantitative", title: "95% CI high", format: ".4~g" },
        ],
      },
    },
  ];
  return new Chart({
    title: options.title ?? {
      text: `${options.treatment} − ${options.baseline}, paired by seed`,
      subtitle: `dots: the ${diffs.length} seeds; diamond and bar: ${aggName} over seeds with ${source}`,
    },
    width: options.width ?? DEFAULT_WIDTH,
    height: options.height ?? 140,
    layer,
  });
}
