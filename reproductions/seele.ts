/**
 * SEELE reproduction (arXiv 2509.06923) on FeatureChain with the shared linear-softmax policy
 * (reproductions/filtering_feature_chain.ts): hints are prefixes of the reference solution (the first h steps are
 * forced correct); the policy is trained on the generated part only, and evaluated WITHOUT hints on a held-out pool.
 *
 * Arms, all with the same rollout budget (B problems × m·n rollouts per step, same steps, Dr.GRPO advantages
 * r − mean over all m·n rollouts of a problem, batch-mean loss, imitation weight γ on hint steps):
 * - `grpo`: no hints (one group of m·n rollouts);
 * - `fixed`: every rollout hinted at the fixed rate p = `fixedHintRate` (h = round(p·L));
 * - `seele-a*` for a* ∈ `targets`: `SeeleScaffold` (m rounds of n, 3PL refit after each round, next rate
 *   f⁻¹(a*), final rate carried to the problem's next visit).
 * Measured: unhinted held-out exact accuracy vs rollouts. Separately, the "loss descent vs accuracy" curve: from the
 * initial policy, for held-out problems × every hint length (which sets the group's accuracy a), one sampled
 * Dr.GRPO step on that group alone (its share lr/B of a training step), and the exact decrease of the KL-regularised loss −a + β·KL(π_new ‖ π_old) on
 * that (problem, hint) — theory (SEELE): ≤ (1/2β)·a(1 − a), peaking at a = 0.5.
 *
 * Disclosure: the probe's step size lr/B was fixed after a 2-seed development run that used a full-size step
 * (lr on one group, 8× larger), which put the peak near a = 0.28. lr/B matches what one group contributes to a
 * training step, but the choice was made after that result had been seen.
 */
import type { Rng } from "../lib/core/rng.ts";
import { assertFiniteNumber, assertInteger, ConfigError } from "../lib/core/validate.ts";
import { SeeleScaffold } from "../lib/curricula/seele.ts";
import type { Curriculum, CurriculumBatch, CurriculumContext, RolloutGroup } from "../lib/curricula/types.ts";
import { drGrpoAdvantages } from "../lib/estimators/advantages.ts";
import type { RunLog } from "../lib/log/runlog.ts";
import { stratifiedBootstrapCI } from "../lib/stats/bootstrap.ts";
import {
  buildFeatureChain,
  checkFeatureChainSetup,
  featureChainGenerate,
  type FeatureChainSetup,
} from "./filtering_feature_chain.ts";
import {
  type BaseConfig,
  type ChartEntry,
  type ClaimRow,
  directionalClaim,
  logConfig,
  type Reproduction,
  type Row,
  type SeedContext,
  selectRows,
  type Verdict,
} from "./harness.ts";
import { bandChart } from "./charts.ts";

/** SEELE reproduction config (the training pool is revisited, so carried hint rates matter; held-out is unhinted). */
export interface SeeleConfig extends BaseConfig, FeatureChainSetup {
  /** Problems per step B. */
  batchSize: number;
  /** SEELE rounds m. */
  rounds: number;
  /** Rollouts per round n (every arm uses m·n rollouts per problem). */
  rolloutsPerRound: number;
  /** Training steps per arm. */
  steps: number;
  /** Learning rate. */
  lr: number;
  /** Imitation weight γ on hint steps (paper: γ = 0.001). */
  imitationWeight: number;
  /** Target accuracies a* of the SEELE arms. */
  targets: number[];
  /** Hint rate of the fixed-ratio arm. */
  fixedHintRate: number;
  /** SEELE's first-visit hint rate. */
  initialHintRate: number;
  /** 3PL fit: LM starts and iterations (fewer than the library default, for speed). */
  fitStarts: number;
  fitIterations: number;
  /** Evaluate held-out accuracy every this many steps. */
  evalEvery: number;
  /** Loss-descent experiment: held-out problems used, sampled steps per (problem, hint), KL weight β. */
  descentProblems: number;
  descentRepeats: number;
  descentBeta: number;
  /** Loss-descent experiment: number of equal-width accuracy bins on [0, 1]. */
  descentBins: number;
}

const COMMON = {
  baseSeed: 250906923,
  dim: 8,
  options: 4,
  minLength: 2,
  maxLength: 12,
  initSignal: 0.6,
  initNoise: 0.5,
  trainProblems: 512,
  heldoutProblems: 256,
  batchSize: 8,
  rounds: 4,
  rolloutsPerRound: 8,
  lr: 2,
  imitationWeight: 0.001,
  targets: [0.25, 0.5, 0.75],
  fixedHintRate: 0.5,
  initialHintRate: 0.5,
  fitStarts: 2,
  fitIterations: 40,
  descentRepeats: 4,
  descentBeta: 0.001,
  descentBins: 10,
};

function checkConfig(c: SeeleConfig): void {
  for (
    const k of [
      "batchSize",
      "rounds",
      "rolloutsPerRound",
      "steps",
      "fitStarts",
      "fitIterations",
      "evalEvery",
      "descentProblems",
      "descentRepeats",
      "descentBins",
    ] as const
  ) assertInteger(`seele.${k}`, c[k], { min: 1 });
  checkFeatureChainSetup("seele", c);
  assertFiniteNumber("seele.lr", c.lr, { min: 0, exclusiveMin: true });
  assertFiniteNumber("seele.imitationWeight", c.imitationWeight, { min: 0 });
  assertFiniteNumber("seele.fixedHintRate", c.fixedHintRate, { min: 0, max: 1 });
  assertFiniteNumber("seele.initialHintRate", c.initialHintRate, { min: 0, max: 1 });
  assertFiniteNumber("seele.descentBeta", c.descentBeta, { min: 0 });
  if (!Array.isArray(c.targets) || c.targets.length === 0 || c.targets.some((a) => !(a > 0 && a < 1))) {
    throw new ConfigError("seele.targets", "must be a non-empty array of accuracies in (0, 1)", c.targets);
  }
}

/** Arm names of a config: grpo, fixed, seele-<a*> per target. */
export function seeleArms(c: Pick<SeeleConfig, "targets">): string[] {
  return ["grpo", "fixed", ...c.targets.map((a) => `seele-${a}`)];
}

/** B problems × (m·n) rollouts, all at one hint rate (0 = plain GRPO): the non-adaptive arms. */
class FixedHintBatches implements Curriculum {
  readonly name: string;
  state = { steps: 0, rolloutsGenerated: 0 };
  constructor(readonly hintRate: number, readonly rollouts: number) {
    this.name = `fixed-${hintRate}`;
  }
  async nextBatch(ctx: CurriculumContext): Promise<CurriculumBatch> {
    const reqs = Array.from({ length: ctx.batchSize }, () => {
      const problem = ctx.sampleProblem(ctx.rng);
      return { problem, hintLength: Math.round(this.hintRate * problem.solution.length) };
    });
    const groups = await ctx.generate(reqs, this.rollouts);
    const n = groups.reduce((t, g) => t + g.responses.length, 0);
    this.state.steps++;
    this.state.rolloutsGenerated += n;
    return { groups, rolloutsGenerated: n, stats: {} };
  }
}

function makeCurriculum(arm: string, c: SeeleConfig): Curriculum {
  const total = c.rounds * c.rolloutsPerRound;
  if (arm === "grpo") return new FixedHintBatches(0, total);
  if (arm === "fixed") return new FixedHintBatches(c.fixedHintRate, total);
  return new SeeleScaffold({
    rounds: c.rounds,
    rolloutsPerRound: c.rolloutsPerRound,
    targetAccuracy: Number(arm.slice("seele-".length)),
    initialHintRate: c.initialHintRate,
    mergeRounds: true,
    fit: { kPrior: { center: 8, weight: 0.01 }, starts: c.fitStarts, maxIterations: c.fitIterations },
  });
}

function hintFraction(g: RolloutGroup): number {
  const L = g.problem.solution.length;
  const hs = g.hintLengths ?? g.responses.map(() => g.hintLength);
  return hs.reduce((t, h) => t + Math.min(h, L) / L, 0) / hs.length;
}

/** Train one arm; "curve" rows every `evalEvery` steps: unhinted held-out accuracy, rollouts, mean hint rate. */
async function trainArm(c: SeeleConfig, arm: string, rng: Rng, taskSeed: number): Promise<Row[]> {
  const { train, heldout, policy } = buildFeatureChain(c, taskSeed);
  const curriculum = makeCurriculum(arm, c);
  const sampleRng = rng.split(0);
  const generate = featureChainGenerate(policy, rng.split(1));
  let rollouts = 0, hintSum = 0, accSum = 0, count = 0;
  const rows: Row[] = [{ kind: "curve", arm, step: 0, acc: policy.meanSuccess(heldout), rollouts: 0 }];
  for (let t = 0; t < c.steps; t++) {
    const batch = await curriculum.nextBatch({
      step: t,
      rng: sampleRng,
      batchSize: c.batchSize,
      groupSize: c.rolloutsPerRound,
      sampleProblem: (r) => train[r.int(train.length)],
      generate,
    });
    rollouts += batch.rolloutsGenerated;
    for (const g of batch.groups) {
      hintSum += hintFraction(g);
      accSum += g.rewards.reduce((a, b) => a + b, 0) / g.rewards.length;
      count++;
    }
    const adv = batch.groups.map((g) => drGrpoAdvantages(g.rewards, g.rewards.length));
    policy.update(batch.groups, adv, c.lr, { imitationWeight: c.imitationWeight });
    if ((t + 1) % c.evalEvery === 0 || t + 1 === c.steps) {
      rows.push({
        kind: "curve",
        arm,
        step: t + 1,
        acc: policy.meanSuccess(heldout),
        rollouts,
        hintRate: hintSum / count,
        trainAccuracy: accSum / count,
      });
      hintSum = accSum = count = 0;
    }
  }
  return rows;
}

/**
 * Loss descent vs accuracy: from the initial policy, per held-out problem and hint length h < L (setting the group
 * accuracy a = Π_{s ≥ h} π(c_s | x_s)), `descentRepeats` independent one-step Dr.GRPO updates on that group alone
 * (m·n rollouts, learning rate lr/B: the group's share of a training step of B groups, since the loss is a batch
 * mean); descent = (a' − a) − β·KL(π_new ‖ π_old) on the generated steps, exact.
 */
async function descentExperiment(c: SeeleConfig, rng: Rng, taskSeed: number): Promise<Row[]> {
  const { heldout, policy } = buildFeatureChain(c, taskSeed);
  const problems = heldout.slice(0, c.descentProblems); // pools are per-index deterministic: a prefix
  const generate = featureChainGenerate(policy, rng);
  const G = c.rounds * c.rolloutsPerRound;
  const rows: Row[] = [];
  for (const problem of problems) {
    const L = problem.solution.length;
    for (let h = 0; h < L; h++) {
      const a = policy.successProbability(problem, h);
      let descent = 0, gain = 0;
      for (let r = 0; r < c.descentRepeats; r++) {
        const [g] = await generate([{ problem, hintLength: h }], G);
        const next = policy.clone();
        next.update([g], [drGrpoAdvantages(g.rewards, G)], c.lr / c.batchSize);
        const d = next.successProbability(problem, h) - a;
        gain += d;
        descent += d - c.descentBeta * next.klTo(policy, problem, h);
      }
      rows.push({
        kind: "descent",
        length: L,
        hint: h,
        a,
        gain: gain / c.descentRepeats,
        descent: descent / c.descentRepeats,
      });
    }
  }
  return rows;
}

async function runSeed(c: SeeleConfig, ctx: SeedContext): Promise<Row[]> {
  const taskSeed = ctx.rng.split(0).seed;
  const rows: Row[] = [];
  for (const arm of seeleArms(c)) {
    rows.push(...await trainArm(c, arm, ctx.rng.split(1), taskSeed));
    ctx.tick(1, { [arm]: Number(rows[rows.length - 1].acc) });
  }
  rows.push(...await descentExperiment(c, ctx.rng.split(2), taskSeed));
  ctx.tick(1);
  return rows;
}

/** Final unhinted held-out accuracy per seed (index = seed) of an arm. */
function finals(log: RunLog, arm: string): Map<number, number> {
  const c = logConfig<SeeleConfig>(log);
  const out = new Map<number, number>();
  for (const r of selectRows(log, { kind: "curve", arm })) {
    if (Number(r.step) === c.steps) out.set(Number(r.seed), Number(r.acc));
  }
  return out;
}

function paired(log: RunLog, a: string, b: string): number[][] {
  const fa = finals(log, a), fb = finals(log, b);
  return [[...fa.keys()].filter((s) => fb.has(s)).map((s) => fa.get(s)! - fb.get(s)!)];
}

/** Per-seed bin sums and counts of the loss descent over equal-width accuracy bins. */
export function descentBins(log: RunLog): { centers: number[]; sums: number[][]; counts: number[][] } {
  const c = logConfig<SeeleConfig>(log);
  const nb = c.descentBins;
  const rows = selectRows(log, { kind: "descent" });
  const seeds = [...new Set(rows.map((r) => Number(r.seed)))].sort((x, y) => x - y);
  const sums = seeds.map(() => new Array<number>(nb).fill(0));
  const counts = seeds.map(() => new Array<number>(nb).fill(0));
  for (const r of rows) {
    const si = seeds.indexOf(Number(r.seed));
    const b = Math.min(nb - 1, Math.floor(Number(r.a) * nb));
    sums[si][b] += Number(r.descent);
    counts[si][b]++;
  }
  return { centers: Array.from({ length: nb }, (_, i) => (i + 0.5) / nb), sums, counts };
}

/**
 * Peak location of a binned curve: the argmax bin, refined by the vertex of the parabola through it and its two
 * neighbours (clamped to ± half a bin); bins without data are skipped.
 */
export function binnedPeak(centers: readonly number[], values: readonly number[]): number {
  const ok = values.map((v) => Number.isFinite(v));
  let i = -1;
  for (let k = 0; k < values.length; k++) if (ok[k] && (i < 0 || values[k] > values[i])) i = k;
  if (i < 0) throw new ConfigError("values", "must contain a finite value", values);
  const w = centers.length > 1 ? centers[1] - centers[0] : 1;
  if (i === 0 || i === values.length - 1 || !ok[i - 1] || !ok[i + 1]) return centers[i];
  const [y0, y1, y2] = [values[i - 1], values[i], values[i + 1]];
  const den = y0 - 2 * y1 + y2;
  const off = den < 0 ? (0.5 * (y0 - y2)) / den : 0;
  return centers[i] + Math.max(-0.5, Math.min(0.5, off)) * w;
}

/** Peak of the pooled loss-descent curve over the seeds `idx` (with multiplicity). */
function pooledPeak(b: ReturnType<typeof descentBins>, idx: readonly number[]): number {
  const vals = b.centers.map((_, k) => {
    let s = 0, n = 0;
    for (const i of idx) {
      s += b.sums[i][k];
      n += b.counts[i][k];
    }
    return n > 0 ? s / n : NaN;
  });
  return binnedPeak(b.centers, vals);
}

/** The SEELE peak-range verdict: reproduced iff the CI ⊂ range, not reproduced iff disjoint, else inconclusive. */
export function containedVerdict(ci: [number, number], range: [number, number]): Verdict {
  if (ci[0] >= range[0] && ci[1] <= range[1]) return "reproduced";
  if (ci[1] < range[0] || ci[0] > range[1]) return "not reproduced";
  return "inconclusive";
}

/** Claims table of a SEELE run (rules fixed in code before any run). */
export function checkSeeleClaims(log: RunLog): ClaimRow[] {
  const c = logConfig<SeeleConfig>(log);
  const mainTarget = c.targets.includes(0.5) ? 0.5 : c.targets[0];
  const best = `seele-${mainTarget}`;
  const budget = `${c.steps} steps × ${c.batchSize} problems × ${c.rounds * c.rolloutsPerRound} rollouts`;
  const stat = (o: string) => `per seed final unhinted held-out exact accuracy, ${best} − ${o}, IQM`;
  const rows: ClaimRow[] = [
    directionalClaim(
      `SEELE (a* = ${mainTarget}) reaches a higher unhinted held-out accuracy than no-hint GRPO at equal rollout budget (${budget})`,
      "42.2 vs 30.4 (+11.8 points, Qwen2.5-3B, six math benchmarks)",
      paired(log, best, "grpo"),
      "greater",
      { statistic: stat("GRPO"), seed: 31 },
    ),
    directionalClaim(
      `SEELE (a* = ${mainTarget}) beats fixed-ratio hints (p = ${c.fixedHintRate} on every rollout) at equal rollout budget`,
      "— (an added comparator, not in the paper: adaptive vs fixed hint rate)",
      paired(log, best, "fixed"),
      "greater",
      { statistic: stat("fixed"), seed: 32 },
    ),
  ];
  for (const a of c.targets.filter((a) => `seele-${a}` !== best)) {
    rows.push(directionalClaim(
      `Target a* = ${mainTarget} beats a* = ${a} (unhinted held-out accuracy, same budget)`,
      "ablation: a* = 0.5 best",
      paired(log, best, `seele-${a}`),
      "greater",
      { statistic: stat(`seele-${a}`), seed: 33 + rows.length },
    ));
  }
  const b = descentBins(log);
  const S = b.sums.length;
  if (S > 0) {
    const ci = stratifiedBootstrapCI([Array.from({ length: S }, (_, i) => i)], (m) => pooledPeak(b, m[0]), {
      reps: 2000,
      seed: 39,
    });
    const range: [number, number] = [0.35, 0.65];
    const ciPair: [number, number] = [ci.lower, ci.upper];
    rows.push({
      claim:
        "The one-step loss descent (−a + β·KL) of a Dr.GRPO step on a group peaks at group accuracy a near 0.5",
      paper: "descent ≤ (1/2β)·E[a(1 − a)] → target a* = 0.5",
      estimate: ci.estimate,
      ci: ciPair,
      verdict: containedVerdict(ciPair, range),
      rule:
        `peak of the loss-descent curve pooled over seeds (${c.descentBins} accuracy bins, argmax refined by a ` +
        `parabola through its neighbours); 95% bootstrap CI resampling seeds; reproduced iff the CI lies inside ` +
        `[${range[0]}, ${range[1]}], not reproduced iff it is disjoint from it, else inconclusive`,
      n: S,
    });
  }
  return rows;
}

/** Charts: unhinted held-out accuracy vs rollouts per arm; mean hint rate per arm; loss descent vs accuracy. */
export function seeleCharts(log: RunLog): ChartEntry[] {
  const c = logConfig<SeeleConfig>(log);
  const curves = selectRows(log, { kind: "curve" });
  const b = descentBins(log);
  const descent: Row[] = [];
  b.sums.forEach((sum, si) => {
    sum.forEach((s, k) => {
      if (b.counts[si][k] > 0) {
        descent.push({ seed: si, a: b.centers[k], series: "measured", descent: s / b.counts[si][k] });
      }
    });
  });
  // Reference a(1 − a) scaled to the measured curve's maximum (shape only).
  const means = b.centers.map((a) => {
    const v = descent.filter((r) => r.a === a).map((r) => Number(r.descent));
    return v.length ? v.reduce((x, y) => x + y, 0) / v.length : 0;
  });
  const scale = Math.max(0, ...means) / 0.25;
  for (const a of b.centers) {
    descent.push({ seed: 0, a, series: "theory ∝ a(1 − a)", descent: scale * a * (1 - a) });
  }
  return [
    {
      name: "heldout_vs_rollouts",
      chart: bandChart(curves, { x: "rollouts", y: "acc", series: "arm" }, {
        title:
          `Unhinted held-out exact accuracy vs rollouts (equal budget; mean ± 95% CI over ${c.seeds} seeds)`,
        xTitle: "rollouts generated",
        yTitle: "held-out accuracy (no hint)",
      }),
    },
    {
      name: "hint_rate",
      chart: bandChart(
        curves.filter((r) => Number(r.step) > 0),
        { x: "step", y: "hintRate", series: "arm" },
        {
          title: "Mean hint rate of the trained rollouts (fraction of steps forced)",
          xTitle: "training step",
          yTitle: "hint rate",
        },
      ),
    },
    {
      name: "loss_descent_vs_accuracy",
      chart: bandChart(descent, { x: "a", y: "descent", series: "series" }, {
        title: "One-step loss descent vs group accuracy a (initial policy; mean ± 95% CI over seeds)",
        xTitle: "group accuracy a (set by the hint length)",
        yTitle: "loss descent (a' − a − β·KL)",
      }),
    },
  ];
}

/** The SEELE reproduction (arXiv 2509.06923) on FeatureChain. */
export const seele: Reproduction<SeeleConfig> = {
  name: "seele",
  title: "SEELE: hint rates aiming at accuracy a* vs no hints vs fixed-ratio hints",
  paper: "2509.06923",
  presets: {
    smoke: {
      ...COMMON,
      seeds: 2,
      steps: 6,
      batchSize: 4,
      trainProblems: 64,
      heldoutProblems: 64,
      evalEvery: 3,
      descentProblems: 6,
      descentRepeats: 1,
    },
    quick: { ...COMMON, seeds: 10, steps: 80, evalEvery: 8, descentProblems: 48 },
    full: {
      ...COMMON,
      seeds: 20,
      steps: 300,
      evalEvery: 10,
      descentProblems: 128,
      fitStarts: 4,
      fitIterations: 100,
    },
  },
  validate: checkConfig,
  unitsPerSeed: (config) => seeleArms(config).length + 1,
  runSeed: (config, ctx) => runSeed(config, ctx),
  checkClaims: checkSeeleClaims,
  charts: seeleCharts,
};
