/**
 * The trainer's advantage hook and its estimator registry (verl core_algos style). An `AdvantageFn` maps
 * per-group rewards to per-rollout advantages (groups may differ in size, e.g. SEELE's m·n-rollout groups) and
 * sees the step, the groups' problems and the groups themselves (`AdvantageContext`), so per-prompt estimators
 * such as KAE can keep state across visits. Estimators are registered by name
 * (`registerAdvantageEstimator`) as factories of `AdvantageOptions`; `config.estimator` accepts any
 * registered name. Built-ins: grpo, dr-grpo, rloo, reinforce++, lite-ppo, reinforce, signed, kae.
 */
import { ConfigError } from "../core/validate.ts";
import type { RolloutGroup } from "../curricula/types.ts";
import {
  drGrpoAdvantages,
  grpoAdvantages,
  litePpoAdvantages,
  reinforcePlusPlusAdvantages,
  reinforcePlusPlusTokenAdvantages,
  rlooAdvantages,
} from "../estimators/advantages.ts";
import type { StdKind } from "../estimators/advantages.ts";
import { KaeBaseline } from "../estimators/kae.ts";
import type { KaeAdvantagesResult, KaeOptions, KaeState } from "../estimators/kae.ts";
import type { Problem } from "../tasks/types.ts";

/** What an estimator sees besides the rewards: the step and, per group, its problem and rollouts. */
export interface AdvantageContext {
  /** Training step (0-based; the iteration index of KAE). */
  step: number;
  /** problems[g] = groups[g].problem. */
  problems: readonly Problem[];
  /** The step's rollout groups (responses, hint lengths, correctness). */
  groups: readonly RolloutGroup[];
}

/** rewards[g][i] (group g, rollout i) and the step context → advantages of the same shape. */
export type AdvantageFn = (rewards: number[][], ctx: AdvantageContext) => number[][];

/** An `AdvantageFn` that carries JSON-serializable state (saved and restored by trainer checkpoints). */
export interface StatefulAdvantageFn extends AdvantageFn {
  /** Snapshot / restore of the estimator's state. */
  state: unknown;
}

/** Singleton groups (one rollout): "zero" advantage (ours) or "raw" (verl: mean 0, std 1, so Â = r/(1+ε) or r). */
export const SINGLETON_GROUPS = ["zero", "raw"] as const;
/** Treatment of one-rollout groups. */
export type SingletonGroups = typeof SINGLETON_GROUPS[number];
/** REINFORCE++ normalisation: one value per "sequence" (ours) or whitened over "token"s (verl masked_whiten). */
export const REINFORCE_NORMS = ["sequence", "token"] as const;
/** REINFORCE++ normalisation unit. */
export type ReinforceNorm = typeof REINFORCE_NORMS[number];

/** Conventions every registered estimator factory receives (from `TrainerConfig`). */
export interface AdvantageOptions {
  /** ε added to standard deviations. */
  eps: number;
  /** Standard deviation kind of normalising estimators. */
  std: StdKind;
  /** One-rollout groups of grpo / dr-grpo / rloo. */
  singletonGroups: SingletonGroups;
  /** REINFORCE++ normalisation unit. */
  reinforceNorm: ReinforceNorm;
}

/** Defaults: ε = 1e-6, population std, singleton groups get 0, REINFORCE++ normalised per sequence. */
export const ADVANTAGE_OPTION_DEFAULTS: AdvantageOptions = {
  eps: 1e-6,
  std: "population",
  singletonGroups: "zero",
  reinforceNorm: "sequence",
};

/** Builds an estimator from the conventions (called once per trainer, so stateful estimators are per run). */
export type AdvantageEstimatorFactory = (options: AdvantageOptions) => AdvantageFn;

interface RegistryEntry {
  factory: AdvantageEstimatorFactory;
  needsGroups: boolean;
}

const REGISTRY = new Map<string, RegistryEntry>();

/**
 * Register an estimator under `name` (verl `register_adv_est`); `needsGroups` marks estimators that compare
 * rollouts within a group (the trainer then requires groupSize ≥ 2). Re-registering a name replaces it.
 */
export function registerAdvantageEstimator(
  name: string,
  factory: AdvantageEstimatorFactory,
  options: { needsGroups?: boolean } = {},
): void {
  if (typeof name !== "string" || name === "") {
    throw new ConfigError("name", "must be a non-empty string", name);
  }
  if (typeof factory !== "function") throw new ConfigError("factory", "must be a function", factory);
  REGISTRY.set(name, { factory, needsGroups: options.needsGroups ?? false });
}

/** Names of the registered estimators, in registration order. */
export function advantageEstimatorNames(): string[] {
  return [...REGISTRY.keys()];
}

function entry(name: string, field: string): RegistryEntry {
  const e = typeof name === "string" ? REGISTRY.get(name) : undefined;
  if (!e) {
    throw new ConfigError(
      field,
      `must be a registered advantage estimator: ${
        advantageEstimatorNames().map((n) => JSON.stringify(n)).join(", ")
      }`,
      name,
    );
  }
  return e;
}

/** True when the registered estimator `name` compares rollouts within a group (needs groupSize ≥ 2). */
export function isGroupEstimator(name: string, field = "estimator"): boolean {
  return entry(name, field).needsGroups;
}

/** Build the registered estimator `name` (verl `get_adv_estimator_fn`); unknown names throw listing the registered ones. */
export function getAdvantageEstimator(name: string, options: Partial<AdvantageOptions> = {}): AdvantageFn {
  const e = entry(name, "estimator");
  return e.factory({ ...ADVANTAGE_OPTION_DEFAULTS, ...options });
}

function unflatten(flat: number[], like: number[][]): number[][] {
  let k = 0;
  return like.map((g) => g.map(() => flat[k++]));
}

/** Apply a per-group estimator; singleton groups follow `o.singletonGroups` (raw: Â = r·scale). */
function perGroup(
  o: AdvantageOptions,
  fn: (r: number[]) => number[],
  rawScale: number,
): AdvantageFn {
  return (rs) =>
    rs.map((r) => (r.length === 1 ? [o.singletonGroups === "raw" ? r[0] * rawScale : 0] : fn(r)));
}

/** Generated tokens per rollout (response minus forced hint), the token counts of verl's whitening. */
function tokenCounts(ctx: AdvantageContext): number[] {
  return ctx.groups.flatMap((g) =>
    g.responses.map((y, i) => y.length - (g.hintLengths?.[i] ?? g.hintLength))
  );
}

/**
 * KAE (arXiv 2604.28005) as a trainer estimator: each group's problem id keys a `KaeBaseline` history and the
 * step is the iteration, so revisited prompts use their kernel-smoothed past rewards. The returned function's
 * `state` is the baseline's `KaeState` (checkpointed by the trainer); `observe` sees each group's result
 * (advantages, baselines, weights), e.g. to log the baseline values a value-error measurement needs.
 */
export function kaeEstimator(
  baseline: KaeBaseline | Partial<KaeOptions> = {},
  options: {
    observe?: (results: KaeAdvantagesResult[], rewards: number[][], ctx: AdvantageContext) => void;
  } = {},
): StatefulAdvantageFn {
  let kb = baseline instanceof KaeBaseline ? baseline : new KaeBaseline(baseline);
  const fn = ((rs: number[][], ctx: AdvantageContext) => {
    if (!ctx || ctx.problems?.length !== rs.length) {
      throw new ConfigError("ctx.problems", `must hold one problem per group (${rs.length})`);
    }
    const results = rs.map((r, g) => kb.update(ctx.problems[g].id, ctx.step, r));
    options.observe?.(results, rs, ctx);
    return results.map((r) => r.advantages);
  }) as StatefulAdvantageFn;
  Object.defineProperty(fn, "state", {
    get: () => kb.state,
    set: (s: KaeState) => {
      kb = KaeBaseline.fromState(s);
    },
  });
  return fn;
}

// Built-ins: grpo (arXiv 2402.03300), dr-grpo (2503.20783), rloo (2402.14740) per group; reinforce++
// (2501.03262) over the batch; lite-ppo (2508.08221) group mean / batch std (equal group sizes); reinforce:
// Â = r; signed: Â = +1 if r > 0 else −1 (the ±1 rewards of PSR/NSR/W-REINFORCE, arXiv 2506.01347); kae.
registerAdvantageEstimator(
  "grpo",
  (o) => perGroup(o, (r) => grpoAdvantages(r, r.length, { eps: o.eps, std: o.std }), 1 / (1 + o.eps)),
  { needsGroups: true },
);
registerAdvantageEstimator("dr-grpo", (o) => perGroup(o, (r) => drGrpoAdvantages(r, r.length), 1), {
  needsGroups: true,
});
registerAdvantageEstimator("rloo", (o) => perGroup(o, (r) => rlooAdvantages(r, r.length), 1), {
  needsGroups: true,
});
registerAdvantageEstimator("reinforce++", (o) => (rs, ctx) => {
  if (o.reinforceNorm === "token") {
    return unflatten(reinforcePlusPlusTokenAdvantages(rs.flat(), tokenCounts(ctx)), rs);
  }
  return unflatten(reinforcePlusPlusAdvantages(rs.flat(), { eps: o.eps, std: o.std }), rs);
});
registerAdvantageEstimator("lite-ppo", (o) => (rs) => {
  const G = rs[0].length;
  if (rs.some((r) => r.length !== G)) {
    throw new ConfigError("estimator", '"lite-ppo" needs groups of equal size', rs.map((r) => r.length));
  }
  return unflatten(litePpoAdvantages(rs.flat(), G, { eps: o.eps, std: o.std }), rs);
}, { needsGroups: true });
registerAdvantageEstimator("reinforce", () => (rs) => rs.map((r) => r.slice()));
registerAdvantageEstimator("signed", () => (rs) => rs.map((r) => r.map((x) => (x > 0 ? 1 : -1))));
registerAdvantageEstimator("kae", () => kaeEstimator());
