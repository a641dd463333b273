/**
 * The run types of an experiment: a `Reproduction` (config presets, `validate`, a seeded `runSeed` returning
 * that seed's rows, `checkClaims` turning the log into claim rows, `charts`, and the preconditions its paper's
 * mechanism needs), its config and run options, and the rows of a claims table.
 */
import type { BackendName } from "../core/backend.ts";
import type { Rng } from "../core/rng.ts";
import type { Row, RunLog } from "../log/runlog.ts";
import type { Chart } from "../viz/chart.ts";

/** Preset names: `smoke` (CI, seconds), `quick` (2 CPU cores, minutes), `full` (GPU / long). */
export const PRESET_NAMES = ["smoke", "quick", "full"] as const;
/** A preset name. */
export type PresetName = typeof PRESET_NAMES[number];

/** Claim verdicts. */
export const VERDICTS = ["reproduced", "not reproduced", "inconclusive"] as const;
/** A claim verdict. */
export type Verdict = typeof VERDICTS[number];

/** The status a claim gets when a precondition it depends on fails: no verdict is given. */
export const NOT_TESTABLE = "not testable here";
/** A claim's outcome: a verdict, or `NOT_TESTABLE` when the regime its mechanism needs was not reached. */
export type ClaimStatus = Verdict | typeof NOT_TESTABLE;

/** Claim tiers: `lm` (TinyTransformer through the library trainer) or `exact` (exact / linear test beds). */
export const TIERS = ["lm", "exact"] as const;
/** A claim tier. */
export type Tier = typeof TIERS[number];

/**
 * What a claim row is: a `reproduction` of a paper's claim, or a `manipulation check` (the curriculum or
 * setup did what it was built to do — reported on its own, never counted as a reproduction).
 */
export const CLAIM_KINDS = ["reproduction", "manipulation check"] as const;
/** A claim kind. */
export type ClaimKind = typeof CLAIM_KINDS[number];

/** One part of a claim decided over a family (e.g. one k of a per-k claim), with its Holm-adjusted p. */
export interface ClaimPart {
  /** What the part is, e.g. "k = 8". */
  label: string;
  /** The part's point estimate. */
  estimate: number;
  /** The part's 95% CI. */
  ci: [number, number];
  /** One-sided p for the claimed direction. */
  pValue: number;
  /** `pValue` after Holm's adjustment over the claim's parts. */
  pHolm: number;
}

/** One row of a claims table. */
export interface ClaimRow {
  /** The claim in words, as tested here. */
  claim: string;
  /** The paper's number (or statement), verbatim where possible. */
  paper: string;
  /** Our point estimate (the statistic named in `rule`), in the unit `unit` names. */
  estimate: number;
  /** 95% confidence interval [low, high] of the estimate. */
  ci: [number, number];
  /** Verdict by `rule`, decided before seeing results; `NOT_TESTABLE` when a precondition failed. */
  verdict: ClaimStatus;
  /** The decision rule and the statistic, stated in words. */
  rule: string;
  /** Number of runs (seeds × strata) behind the estimate. */
  n: number;
  /** Why `n` differs from the registered seeds × strata, when it does (e.g. runs without a finite value). */
  nNote?: string;
  /** Unit of the estimate (e.g. "accuracy difference"); shown beside every estimate. */
  unit?: string;
  /** Stable id (`<reproduction>.<tier>.<n>`) matched against a `Preregistration`. */
  id?: string;
  /** `lm` (TinyTransformer through the library trainer) or `exact` (exact / linear beds); default `exact`. */
  tier?: Tier;
  /** `reproduction` (default) or `manipulation check`. */
  kind?: ClaimKind;
  /** Ids of the preconditions (`Reproduction.preconditions`) the claim depends on. */
  preconditions?: string[];
  /** Whether those preconditions held in this run (`none` when the claim names none). */
  precondition?: PreconditionStatus;
  /** True when the claim id, its rule text and the run's config match a committed `Preregistration`. */
  preregistered?: boolean;
  /** What differs from the registration when `preregistered` is false (e.g. "rule text", "config"). */
  registrationMismatch?: string;
  /** One-sided bootstrap p-value for the claimed direction (directional claims). */
  pValue?: number;
  /** One-sided bootstrap p-value for the opposite direction (directional claims). */
  pOpposite?: number;
  /** Verdict after Holm adjustment over the reproduction's claims of the same tier. */
  verdictHolm?: ClaimStatus;
  /** Parts of a claim decided over a family (per-k claims), each with its Holm-adjusted p. */
  parts?: ClaimPart[];
}

/** A named chart of a reproduction. */
export interface ChartEntry {
  /** File stem (results/<rep>/<name>.svg|.html). */
  name: string;
  /** The chart (a lib/viz `Chart`). */
  chart: Chart;
}

/** Fields every reproduction config has. */
export interface BaseConfig {
  /** Number of seeds (independent runs). */
  seeds: number;
  /** Root seed; seed i uses `new Rng(baseSeed).split(i)`. */
  baseSeed: number;
  /**
   * Tiers to run (default both): `["exact"]` skips the TinyTransformer runs, e.g. for a cheap sweep of an
   * exact-bed hyperparameter; claims of a skipped tier come out inconclusive with n = 0.
   */
  tiers?: Tier[];
}

/** True when `config` runs `tier` (every tier when `tiers` is absent). */
export function runsTier(config: BaseConfig, tier: Tier): boolean {
  return config.tiers === undefined || config.tiers.includes(tier);
}

/** Anything with the Progress interface (tests pass a silent one). */
export interface ProgressLike {
  /** Advance by n units, showing the latest metrics. */
  tick(n?: number, metrics?: Record<string, number>): void;
  /** Finish the display. */
  done(): void | Promise<void>;
}

/** How a pool of worker subprocesses finds reproductions by name. */
export interface ReproductionResolver {
  /** The reproduction called `name` (throws a ConfigError listing the valid names otherwise). */
  resolve(name: string): Reproduction<BaseConfig>;
  /** Path of the worker module a job subprocess runs; it serves jobs with this same resolver (`serveSeedJobs`). */
  worker: string;
}

/** Options of `runReproduction`. */
export interface RunOptions<C extends BaseConfig = BaseConfig> {
  /** Preset (default "quick"). */
  preset?: PresetName;
  /** Overrides of preset fields; unknown keys throw a ConfigError listing the allowed ones. */
  config?: Partial<C>;
  /** Number of seeds (overrides the preset's). */
  seeds?: number;
  /** tfjs backend for reproductions that use tensors (tabular ones ignore it). */
  backend?: BackendName;
  /** Directory for per-seed checkpoints (`<dir>/seeds/<i>.jsonl`); none when absent. */
  checkpointDir?: string;
  /** Ignore and overwrite existing per-seed checkpoints. */
  fresh?: boolean;
  /** Progress display: true (default) for a bar, false for none, or a ProgressLike. */
  progress?: boolean | ProgressLike;
  /** Run only these seed indices (each in 0…seeds−1); the log holds just their rows. Default: all seeds. */
  seedIndices?: readonly number[];
  /**
   * Run the seeds as jobs on this many worker subprocesses (lib/jobs `runPool`; needs `resolver`). Each job
   * writes its seed's checkpoint; the rows are then gathered from the checkpoints, so the log equals a
   * sequential run's. Default 1 (in this process).
   */
  jobs?: number;
  /** How worker subprocesses find the reproduction by name (required with `jobs` > 1). */
  resolver?: ReproductionResolver;
}

/** A paper reproduction (see module doc). */
export interface Reproduction<C extends BaseConfig = BaseConfig> {
  /** Short name: the CLI argument and the results folder. */
  readonly name: string;
  /** Human-readable title. */
  readonly title: string;
  /** arXiv id of the paper. */
  readonly paper: string;
  /** Config per preset. */
  readonly presets: Record<PresetName, C>;
  /** True when `runSeed` uses tfjs tensors (the run then activates a backend); tabular reproductions omit it. */
  readonly usesTensors?: boolean;
  /** Seconds one seed takes at `quick` on one core of a 2-core machine (the job schedule's cost estimate). */
  readonly seedSeconds?: number;
  /** Committed plans (claims, rules, registered preset configs, amendments), one per tier; none when absent. */
  readonly preregistrations?: readonly Preregistration[];
  /** The regime the paper's mechanism needs, measured from the run's rows (see `evaluatePreconditions`). */
  readonly preconditions?: readonly PreconditionSpec[];
  /** Checks across fields beyond `resolveConfig`'s per-field checks; throws a ConfigError naming the field. */
  validate(config: C): void;
  /** Progress units one seed reports (its arms or phases). */
  unitsPerSeed(config: C): number;
  /** Run one seed (its rows get a `seed` column added by the runner). */
  runSeed(config: C, ctx: SeedContext): Promise<Row[]> | Row[];
  /** Claims table from a run log. */
  checkClaims(log: RunLog): ClaimRow[];
  /** Charts from a run log. */
  charts(log: RunLog): ChartEntry[];
}

/** What the per-seed function receives. */
export interface SeedContext {
  /** Seed index i (0-based). */
  index: number;
  /** The seed's stream: `new Rng(baseSeed).split(i)`. */
  rng: Rng;
  /** Advance the progress bar by n units (the seed has `unitsPerSeed`). */
  tick: (n?: number, metrics?: Record<string, number>) => void;
}

/** How a precondition's measured value is compared with its threshold. */
export const PRECONDITION_COMPARISONS = [">=", "<="] as const;
/** A comparison of `PRECONDITION_COMPARISONS`. */
export type PreconditionComparison = typeof PRECONDITION_COMPARISONS[number];

/**
 * A precondition a reproduction declares: a quantity measured from the run's rows (at the start of training or
 * in a pilot) that must meet a threshold for the paper's mechanism to be testable here, e.g. the share of
 * groups with p̂ ∈ {0, 1}. Registered (id, quantity, rule) in the tier's `Preregistration`.
 */
export interface PreconditionSpec {
  /** Stable id (`<reproduction>.<tier>.pre<n>`), named by the claims that depend on it. */
  id: string;
  /** Tier whose runs measure it. */
  tier: Tier;
  /** The quantity, in words (with its unit). */
  quantity: string;
  /** `>=` or `<=`. */
  comparison: PreconditionComparison;
  /** The threshold. */
  threshold: number;
  /** The measured value from a run log (NaN when the run did not measure it, e.g. its tier was skipped). */
  measure(log: RunLog): number;
}

/** Whether a claim's preconditions held: all held, one failed, one was not measured, or the claim names none. */
export const PRECONDITION_STATUSES = ["holds", "fails", "not measured", "none"] as const;
/** A status of `PRECONDITION_STATUSES`. */
export type PreconditionStatus = typeof PRECONDITION_STATUSES[number];

/** A precondition as measured in one run. */
export interface Precondition {
  /** Id (see `PreconditionSpec`). */
  id: string;
  /** Tier whose runs measured it. */
  tier: Tier;
  /** The quantity, in words. */
  quantity: string;
  /** The threshold rule in words, e.g. "≥ 0.2". */
  rule: string;
  /** Measured value (NaN when not measured). */
  measured: number;
  /** True / false by the rule; null when not measured. */
  holds: boolean | null;
}

/** A claim fixed before its first run. */
export interface RegisteredClaim {
  /** Stable claim id (`<reproduction>.<tier>.<n>`), matched against `ClaimRow.id`. */
  id: string;
  /** The claim in words. */
  claim: string;
  /** The decision rule, in words (statistic, interval, thresholds); compared with the rule the run produces. */
  rule: string;
  /** `reproduction` (default) or `manipulation check`. */
  kind?: ClaimKind;
  /** Ids of the registered preconditions the claim depends on. */
  preconditions?: string[];
}

/** A precondition fixed before its first run. */
export interface RegisteredPrecondition {
  /** Id, matched against `PreconditionSpec.id`. */
  id: string;
  /** The quantity, in words. */
  quantity: string;
  /** The threshold rule in words, e.g. "≥ 0.2"; compared with the spec's rule. */
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
  before: Record<string, ClaimStatus>;
  /** Verdicts after the change (filled in by the run that followed it). */
  after: Record<string, ClaimStatus>;
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
  /** The preconditions and their threshold rules (none when absent). */
  preconditions?: RegisteredPrecondition[];
  /**
   * The registered config per preset: the run's config (with `seeds` and `baseSeed`) restricted to these keys
   * must equal it for the claims to count as pre-registered.
   */
  presets: Partial<Record<PresetName, Record<string, unknown>>>;
  /** Changes after a run (empty when none). */
  amendments: Amendment[];
}
