/**
 * `RLVRTrainer`: reinforcement learning with verifiable rewards, one loop composed from swappable parts.
 *
 *   for each step:
 *     1. curriculum.nextBatch(ctx)   – picks problems (task sampler) and calls `generate`, which samples
 *                                      G rollouts per problem (hints forced) and scores them (reward fn)
 *     2. estimator(rewards, ctx)     – advantages per rollout (registered by name; GRPO by default)
 *     3. objective(tensors, config)  – PPO-clip / GRPO / DAPO / Dr.GRPO loss, or ROVER (lib/objectives)
 *     4. optimizer steps             – per PPO epoch, one per minibatch: global-norm clipping, then Adam
 *                                      (or plain SGD); π_old is frozen before the first
 *     5. log                         – one `TrainerRow` per step (and, with `logPrompts`, one `PromptRow` per
 *                                      trained group); checkpoint / evaluate every N steps
 *
 * Problems come from `task.sample` (fresh draws) or, with a `trainSet` part, uniformly with replacement from
 * that finite pool, so curricula with per-problem state (SEELE, KAE, filters) revisit problems.
 *
 * Hyperparameters live in one `TrainerConfig` (lib/train/config.ts). Randomness: the trainer's Rng draws one
 * seed per step; the step's problem stream, curriculum and sampler derive from it, so a checkpoint (weights,
 * optimizer state, Rng state, step, curriculum and estimator state, RunLog rows) resumes bit-identically on
 * the cpu backend.
 */
import { Rng } from "../core/rng.ts";
import type { RngState } from "../core/rng.ts";
import { tf } from "../core/tf.ts";
import type { Tensor, Tensor2D } from "../core/tf.ts";
import { assertInteger, ConfigError } from "../core/validate.ts";
import type { Curriculum, CurriculumBatch, GenerateFn, RolloutGroup } from "../curricula/types.ts";
import { RunLog } from "../log/runlog.ts";
import type { RunRow } from "../log/runlog.ts";
import { policyGradientLoss, sampleWeights } from "../objectives/policy_gradient.ts";
import type {
  PolicyGradientConfig,
  PolicyGradientInputs,
  PolicyGradientOutput,
  TokenLogits,
} from "../objectives/policy_gradient.ts";
import { idSet, sampleExcluding } from "../tasks/dataset.ts";
import type { Problem, Task } from "../tasks/types.ts";
import { Progress } from "../viz/progress.ts";
import { Adam, clipByGlobalNorm } from "./adam.ts";
import { getAdvantageEstimator } from "./advantages.ts";
import type { AdvantageContext, AdvantageFn } from "./advantages.ts";
import { Sgd } from "./sgd.ts";
import type { Optimizer } from "./sgd.ts";
import { resolveTrainerConfig } from "./config.ts";
import type { TrainerConfig } from "./config.ts";
import { evaluate, makeGenerate, packSequences, rolloutHintLengths } from "./rollouts.ts";
import type { EvalResult, RewardFn, RolloutCounters, SequencePolicy } from "./rollouts.ts";
import { UniformSampling } from "./uniform.ts";

/**
 * A policy-gradient objective: `policyGradientLoss` or any function with its signature; one that also carries
 * `readsOldTokenLogits: true` (`roverLoss`) gets π_old's per-position logits as `oldTokenLogits`.
 */
export type ObjectiveFn = (
  inputs: PolicyGradientInputs,
  config: Partial<PolicyGradientConfig>,
) => PolicyGradientOutput;

/** The parts `RLVRTrainer` is composed from; only `policy` and `task` are required. */
export interface TrainerParts<Opts = Record<string, unknown>> {
  /** The policy being trained (e.g. `TinyTransformer`). */
  policy: SequencePolicy;
  /** The task family problems are drawn from. */
  task: Task<Opts>;
  /** Hyperparameters (see `TrainerConfig`; validated at construction). */
  config?: Partial<TrainerConfig>;
  /** Which problems to roll out and train on (default `UniformSampling`, plain GRPO). */
  curriculum?: Curriculum;
  /** Reward of a response (default `task.verify`). */
  reward?: RewardFn;
  /** Advantage estimator (default: `getAdvantageEstimator(config.estimator, …conventions)`). */
  estimator?: AdvantageFn;
  /** Loss function (default `policyGradientLoss`). */
  objective?: ObjectiveFn;
  /** Per-problem options of `task.sample` for training draws. */
  sampleOptions?: Partial<Opts>;
  /** Problems never drawn for training (pass the held-out set). */
  exclude?: Iterable<Problem | string>;
  /** Finite training pool: problems drawn from it uniformly with replacement (step rng) instead of task.sample. */
  trainSet?: readonly Problem[];
  /** Held-out set evaluated every `config.evalEvery` steps. */
  evalSet?: readonly Problem[];
  /** Where step rows go (default: a new RunLog with the config as meta). */
  runLog?: RunLog<TrainerRow>;
}

/** The columns of one `RLVRTrainer` step row (plus `curriculum.<stat>` columns from the curriculum). */
export interface TrainerRow extends RunRow {
  /** Completed steps after this one. */
  step: number;
  /** Mean reward of the trained rollouts (null when no group was trained). */
  reward: number | null;
  /** Mean correctness of the trained rollouts. */
  accuracy: number | null;
  /** Mean over groups of p̂(1 − p̂), p̂ the group pass rate. */
  passRateVariance: number | null;
  /** Share of groups with p̂ = 1. */
  allCorrectGroups: number | null;
  /** Share of groups with p̂ = 0. */
  noneCorrectGroups: number | null;
  /** Mean response length (tokens, hint and eos included). */
  responseLength: number | null;
  /** Groups trained on. */
  groups: number;
  /** Loss (mean over PPO epochs). */
  loss: number | null;
  /** Token-mean entropy. */
  entropy: number | null;
  /** Token-mean k3 KL to the reference. */
  kl: number | null;
  /** Fraction of clipped tokens. */
  clipFraction: number | null;
  /** Global gradient norm before clipping. */
  gradNorm: number | null;
  /** Rollouts generated this step (discarded ones included). */
  rolloutsGenerated: number;
  /** Rollouts generated so far. */
  rolloutsTotal: number;
  /** Sampled tokens per second of generation. */
  tokensPerSecond: number | null;
  /** Seconds spent in the curriculum (rollouts). */
  rolloutSeconds: number;
  /** Seconds spent in the update. */
  updateSeconds: number;
  /** Seconds of the whole step. */
  stepSeconds: number;
  /** Seconds of training so far. */
  wallSeconds: number;
  /** Greedy held-out accuracy on `evalEvery` steps; null on the others. */
  evalAccuracy: number | null;
}

/** One trained group of one step (`logPrompts`): the per-prompt rollout table. */
export interface PromptRow extends RunRow {
  /** Step (1-based, as in `TrainerRow.step`). */
  step: number;
  /** Problem id. */
  problemId: string;
  /** Problem difficulty (task scale). */
  difficulty: number;
  /** p̂: mean correctness of the group's rollouts. */
  passRate: number;
  /** Mean reward of the group's rollouts. */
  rewardMean: number;
  /** Rollouts in the group. */
  rollouts: number;
  /** Mean response length (tokens, hint and eos included). */
  responseLengthMean: number;
  /** Shortest response. */
  responseLengthMin: number;
  /** Longest response. */
  responseLengthMax: number;
  /** Mean forced hint length over the group's rollouts. */
  hintLength: number;
  /** max − min of the group's advantages (0: the group carries no signal). */
  advantageSpread: number;
}

/** Logged columns that measure time and so differ between otherwise identical runs. */
export const TIMING_COLUMNS: readonly string[] = [
  "tokensPerSecond",
  "rolloutSeconds",
  "updateSeconds",
  "stepSeconds",
  "wallSeconds",
];

const CHECKPOINT_FORMAT = "sweetspot.rlvr-checkpoint/v1";

/** Trainer state saved in `state.json` of a checkpoint. */
interface CheckpointState {
  format: string;
  step: number;
  rng: RngState;
  curriculum: unknown;
  estimator?: unknown;
  wallSeconds: number;
  rolloutsTotal: number;
  config: TrainerConfig;
}

/**
 * Everything a training step changes, held in memory (`RLVRTrainer.snapshot` / `restore`): what a checkpoint
 * holds, without files. Parts must keep their state in the curriculum's and estimator's `state`, as for resume.
 */
export interface TrainerSnapshot {
  /** Completed steps. */
  step: number;
  /** The trainer's Rng state. */
  rng: RngState;
  /** Deep copy of the curriculum's state. */
  curriculum: unknown;
  /** Deep copy of the estimator's state (undefined for stateless estimators). */
  estimator: unknown;
  /** Cumulative step seconds. */
  wallSeconds: number;
  /** Cumulative rollouts generated. */
  rolloutsTotal: number;
  /** The policy's weights (`getWeights`). */
  policy: unknown;
  /** The optimizer's state. */
  optimizer: unknown;
  /** The run log's rows (a shallow copy: logged rows are never changed). */
  rows: TrainerRow[];
  /** The prompt log's rows (shallow copy). */
  promptRows: PromptRow[];
}

/** Options of one `RLVRTrainer.trainStep`. */
export interface TrainStepOptions {
  /**
   * Stop sampling at this many rollouts: the step trains only on the groups whose every rollout was generated
   * within the limit (in generation order, after rollouts the curriculum spends outside `generate`, such as a
   * ladder's validation), counts min(generated, limit) rollouts, and writes no checkpoint. Default: no limit.
   */
  rolloutLimit?: number;
}

/** Diagnostics of one update, averaged over its PPO epochs. */
interface UpdateDiagnostics {
  loss: number;
  entropy: number;
  kl: number;
  clipFraction: number;
  gradNorm: number;
}

interface Rollout {
  prompt: number[];
  response: number[];
  hintLength: number;
  advantage: number;
  reward: number;
  correct: number;
}

/**
 * Composable RLVR training loop (see module doc); `train(n)` runs n steps and returns the RunLog.
 *
 * @example GRPO on 1-digit addition, two steps
 * ```ts
 * import { AdditionTask, RLVRTrainer, TinyTransformer } from "../../mod.ts";
 *
 * const task = new AdditionTask({ minDigits: 1, maxDigits: 1 });
 * const policy = new TinyTransformer({
 *   vocabSize: task.vocab.size,
 *   contextLength: task.maxSequenceLength,
 *   seed: 0,
 * });
 * const trainer = new RLVRTrainer({
 *   policy,
 *   task,
 *   config: { algorithm: "grpo", seed: 1, batchSize: 4, groupSize: 4, maxNewTokens: 3 },
 * });
 * const log = await trainer.train(2);
 * console.log(log.rows.map((r) => r.accuracy)); // training accuracy per step
 * ```
 */
export class RLVRTrainer<Opts = Record<string, unknown>> {
  /** Resolved hyperparameters. */
  readonly config: TrainerConfig;
  /** The policy being trained. */
  readonly policy: SequencePolicy;
  /** The task family. */
  readonly task: Task<Opts>;
  /** The curriculum hook. */
  readonly curriculum: Curriculum;
  /** One row per step (replaced by the checkpoint's rows on `loadCheckpoint`). */
  runLog: RunLog<TrainerRow>;
  /** One row per trained group and step when `config.logPrompts` (else empty). */
  promptLog: RunLog<PromptRow>;
  /** Completed optimizer steps (rollout batches). */
  step = 0;
  private rng: Rng;
  private readonly optimizer: Optimizer;
  private readonly reward: RewardFn;
  private readonly estimator: AdvantageFn;
  private readonly objective: ObjectiveFn;
  private readonly pgConfig: PolicyGradientConfig;
  private readonly sampleOptions?: Partial<Opts>;
  private readonly exclude: Set<string>;
  private readonly trainSet?: readonly Problem[];
  private readonly evalSet?: readonly Problem[];
  private reference: SequencePolicy | null = null;
  private wallSeconds = 0;
  private rolloutsTotal = 0;

  /** Assemble the loop; the config is validated here (a bad field throws a ConfigError naming it). */
  constructor(parts: TrainerParts<Opts>) {
    if (!parts || typeof parts !== "object") throw new ConfigError("parts", "must be an object", parts);
    if (!parts.policy) throw new ConfigError("parts.policy", "is required");
    if (!parts.task) throw new ConfigError("parts.task", "is required");
    const c = resolveTrainerConfig(parts.config);
    if (c.evalEvery > 0 && !parts.evalSet) {
      throw new ConfigError("config.evalEvery", "needs an evalSet part when > 0", c.evalEvery);
    }
    this.config = c;
    this.policy = parts.policy;
    this.task = parts.task;
    this.curriculum = parts.curriculum ?? new UniformSampling();
    this.reward = parts.reward ?? ((p, y) => parts.task.verify(p, y));
    this.estimator = parts.estimator ?? getAdvantageEstimator(c.estimator, {
      eps: c.advantageEps,
      std: c.advantageStd,
      singletonGroups: c.singletonGroups,
      reinforceNorm: c.reinforceNorm,
    });
    this.objective = parts.objective ?? policyGradientLoss;
    if (readsOldTokenLogits(this.objective) && !parts.policy.tokenLogits) {
      throw new ConfigError(
        "parts.objective",
        "reads π_old's per-position logits (ROVER): the policy must implement tokenLogits",
      );
    }
    this.pgConfig = {
      epsLow: c.epsLow,
      epsHigh: c.epsHigh,
      aggregation: c.aggregation,
      maxLength: c.maxLength ?? parts.task.maxSequenceLength,
      klCoef: c.klCoef,
      entropyCoef: c.entropyCoef,
      imitationCoef: c.imitationCoef,
      clipC: c.clipC,
      klClamp: c.klClamp,
      klStraightThrough: c.klStraightThrough,
      tokenSumNorm: c.tokenSumNorm,
      emptyRows: c.emptyRows,
    };
    this.sampleOptions = parts.sampleOptions;
    this.exclude = idSet(parts.exclude ?? []);
    if (parts.trainSet !== undefined) {
      if (!Array.isArray(parts.trainSet) || parts.trainSet.length === 0) {
        throw new ConfigError("parts.trainSet", "must be a non-empty array of problems", parts.trainSet);
      }
      const leaked = parts.trainSet.find((p) => this.exclude.has(p.id));
      if (leaked) throw new ConfigError("parts.trainSet", "must not contain excluded problems", leaked.id);
      this.trainSet = parts.trainSet;
    }
    this.evalSet = parts.evalSet;
    this.runLog = parts.runLog ??
      new RunLog<TrainerRow>({ trainer: "RLVRTrainer", config: c, curriculum: this.curriculum.name });
    this.promptLog = new RunLog<PromptRow>({ trainer: "RLVRTrainer", table: "prompts", config: c });
    this.rng = new Rng(c.seed);
    this.optimizer = c.optimizer === "sgd" ? new Sgd(parts.policy.variables, c.lr) : new Adam(
      parts.policy.variables,
      { lr: c.lr, beta1: c.beta1, beta2: c.beta2, eps: c.adamEps },
    );
  }

  /** Run `steps` more steps (checkpointing/evaluating as configured); optional terminal/Jupyter progress. */
  async train(steps: number, options: { progress?: boolean } = {}): Promise<RunLog<TrainerRow>> {
    assertInteger("steps", steps, { min: 0 });
    const progress = options.progress ? new Progress({ total: steps, label: "RLVR" }) : null;
    for (let i = 0; i < steps; i++) {
      const row = await this.trainStep();
      progress?.tick(1, { step: this.step, reward: row.reward ?? NaN, accuracy: row.accuracy ?? NaN });
    }
    await progress?.done();
    return this.runLog;
  }

  /** One step of the loop (module doc), optionally stopping its sampling at a rollout limit; returns the logged row. */
  async trainStep(options: TrainStepOptions = {}): Promise<TrainerRow> {
    const c = this.config;
    const limit = options.rolloutLimit;
    if (limit !== undefined) assertInteger("rolloutLimit", limit, { min: 0 });
    const t0 = performance.now();
    if (c.klCoef > 0 && this.reference === null) this.reference = await this.policy.clone();

    // 1. Curriculum → rollouts → rewards. The step's randomness derives from one seed of the trainer's Rng.
    const stepRng = new Rng(this.rng.nextUint32());
    const samplerSeeds = stepRng.split(1);
    const counters: RolloutCounters = { rollouts: 0, tokens: 0, seconds: 0 };
    const generate = makeGenerate({
      policy: this.policy,
      task: this.task,
      reward: this.reward,
      temperature: c.temperature,
      maxNewTokens: c.maxNewTokens,
      nextSeed: () => samplerSeeds.tfSeed(),
      counters,
    });
    const generated: number[][] = []; // responses in generation order (for a rollout limit)
    const tracked: GenerateFn = async (requests, groupSize) => {
      const groups = await generate(requests, groupSize);
      for (const g of groups) generated.push(...g.responses);
      return groups;
    };
    const full = await this.curriculum.nextBatch({
      step: this.step,
      rng: stepRng.split(0),
      batchSize: c.batchSize,
      groupSize: c.groupSize,
      sampleProblem: (rng) => this.drawProblem(rng),
      generate: limit === undefined ? generate : tracked,
    });
    const batch = limit === undefined ? full : limitBatch(full, generated, limit);
    const tRollout = performance.now();

    // 2. Advantages per group, then flatten to one row per rollout.
    const groups = batch.groups;
    const ctx: AdvantageContext = { step: this.step, problems: groups.map((g) => g.problem), groups };
    const advantages = groups.length ? this.estimator(groups.map((g) => g.rewards), ctx) : [];
    const rollouts = flattenGroups(groups, advantages);

    // 3–4. Loss and optimizer step(s).
    const update = rollouts.length ? await this.update(rollouts) : null;
    this.step++;
    const tEnd = performance.now();

    // 5. Log.
    const stepSeconds = (tEnd - t0) / 1000;
    this.wallSeconds += stepSeconds;
    this.rolloutsTotal += batch.rolloutsGenerated;
    const passRates = groups.map((g) => mean(g.correct ?? g.rewards));
    const row: TrainerRow = {
      step: this.step,
      reward: rollouts.length ? mean(rollouts.map((r) => r.reward)) : null,
      accuracy: rollouts.length ? mean(rollouts.map((r) => r.correct)) : null,
      passRateVariance: groups.length ? mean(passRates.map((p) => p * (1 - p))) : null,
      allCorrectGroups: groups.length ? mean(passRates.map((p) => (p === 1 ? 1 : 0))) : null,
      noneCorrectGroups: groups.length ? mean(passRates.map((p) => (p === 0 ? 1 : 0))) : null,
      responseLength: rollouts.length ? mean(rollouts.map((r) => r.response.length)) : null,
      groups: groups.length,
      loss: update?.loss ?? null,
      entropy: update?.entropy ?? null,
      kl: update?.kl ?? null,
      clipFraction: update?.clipFraction ?? null,
      gradNorm: update?.gradNorm ?? null,
      rolloutsGenerated: batch.rolloutsGenerated,
      rolloutsTotal: this.rolloutsTotal,
      tokensPerSecond: counters.seconds > 0 ? counters.tokens / counters.seconds : null,
      rolloutSeconds: (tRollout - t0) / 1000,
      updateSeconds: (tEnd - tRollout) / 1000,
      stepSeconds,
      wallSeconds: this.wallSeconds,
      evalAccuracy: null,
    };
    for (const [k, v] of Object.entries(batch.stats)) row[`curriculum.${k}`] = Number.isFinite(v) ? v : null;
    if (c.evalEvery > 0 && this.step % c.evalEvery === 0) {
      row.evalAccuracy = (await this.evaluate(this.evalSet!)).accuracy;
    }
    this.runLog.log(row);
    if (c.logPrompts) groups.forEach((g, k) => this.promptLog.log(promptRow(this.step, g, advantages[k])));
    if (limit === undefined && c.checkpointEvery > 0 && this.step % c.checkpointEvery === 0) {
      await this.saveCheckpoint(checkpointPath(c.checkpointDir!, this.step));
    }
    return row;
  }

  /** Copy everything a step changes into memory (a checkpoint without files; see `TrainerSnapshot`). */
  async snapshot(): Promise<TrainerSnapshot> {
    return {
      step: this.step,
      rng: this.rng.state,
      curriculum: structuredClone(this.curriculum.state),
      estimator: structuredClone(estimatorState(this.estimator)),
      wallSeconds: this.wallSeconds,
      rolloutsTotal: this.rolloutsTotal,
      policy: await this.policy.getWeights(),
      optimizer: await this.optimizer.state(),
      rows: this.runLog.rows.slice(),
      promptRows: this.promptLog.rows.slice(),
    };
  }

  /** Return to a `snapshot` of this trainer: weights, optimizer, Rng, curriculum and estimator state, counters, logs. */
  restore(s: TrainerSnapshot): void {
    this.policy.setWeights(s.policy);
    this.optimizer.setState(s.optimizer);
    this.rng = Rng.fromState(s.rng);
    this.curriculum.state = structuredClone(s.curriculum);
    if (s.estimator !== undefined && "state" in this.estimator) {
      (this.estimator as { state: unknown }).state = structuredClone(s.estimator);
    }
    this.step = s.step;
    this.wallSeconds = s.wallSeconds;
    this.rolloutsTotal = s.rolloutsTotal;
    this.runLog.rows.length = 0;
    for (const r of s.rows) this.runLog.rows.push(r);
    this.promptLog.rows.length = 0;
    for (const r of s.promptRows) this.promptLog.rows.push(r);
  }

  /**
   * Pack rollouts into tensors; per PPO epoch, split them into `miniBatches` consecutive row ranges and take one
   * clipped optimizer step on each. π_old (its log-probs, and its per-position logits when the objective reads
   * them) is frozen before the first step; every log-prob is taken under softmax(logits/temperature), the
   * distribution the rollouts were sampled from. Returns diagnostics averaged over the steps.
   */
  private async update(rollouts: Rollout[]): Promise<UpdateDiagnostics> {
    const c = this.config;
    const tau = c.temperature;
    const b = packSequences(
      rollouts.map((r) => r.prompt),
      rollouts.map((r) => r.response),
      rollouts.map((r) => r.hintLength),
      this.task.vocab.pad,
    );
    const all: BatchTensors = {
      tokens: tf.tensor2d(b.tokens, [b.N, b.L], "int32") as Tensor2D,
      valid: tf.tensor2d(b.valid, [b.N, b.L]) as Tensor2D,
      mask: tf.tensor2d(b.mask, [b.N, b.L - 1]),
      hintMask: tf.tensor2d(b.hintMask, [b.N, b.L - 1]),
      adv: tf.tensor1d(rollouts.map((r) => r.advantage)),
    };
    if (c.sampleWeighting !== "none") {
      all.weights = tf.tensor1d(
        sampleWeights(rollouts.map((r) => r.correct), c.sampleWeighting, c.wReinforceLambda),
      );
    }
    const policyLogits = this.policy.tokenLogits
      ? (p: SequencePolicy, tokens: Tensor2D, valid: Tensor2D): TokenLogits => {
        const tl = p.tokenLogits!(tokens, valid);
        // Intermediate tensors are freed by the caller's tidy / gradient tape (they may be saved for backprop).
        return tau === 1 ? tl : { ...tl, logits: tf.div(tl.logits, tau) };
      }
      : undefined;
    if (this.reference) {
      all.ref = tf.tidy(() => this.reference!.tokenLogProbs(all.tokens, all.valid, tau).logProbs);
    }
    const steps = c.ppoEpochs * c.miniBatches;
    // π_old: with one step the current forward itself (the objective stops its gradient); otherwise frozen first.
    if (steps > 1) all.old = tf.tidy(() => this.policy.tokenLogProbs(all.tokens, all.valid, tau).logProbs);
    if (policyLogits && readsOldTokenLogits(this.objective)) {
      all.oldLogits = tf.tidy(() => {
        const tl = policyLogits(this.policy, all.tokens, all.valid);
        return { logits: tl.logits, ...(tl.validActions ? { validActions: tl.validActions } : {}) };
      });
    }
    const ranges = miniBatchRanges(b.N, c.miniBatches);
    const sums = { loss: 0, entropy: 0, kl: 0, clipFraction: 0, gradNorm: 0 };
    let n = 0;
    try {
      for (let epoch = 0; epoch < c.ppoEpochs; epoch++) {
        for (const [lo, hi] of ranges) {
          const mb = ranges.length === 1 ? all : sliceRows(all, lo, hi);
          let diag: Tensor[] = [];
          try {
            const { value, grads } = tf.variableGrads(() => {
              const { logProbs, entropy } = this.policy.tokenLogProbs(mb.tokens, mb.valid, tau);
              const out = this.objective({
                logProbs,
                oldLogProbs: mb.old ?? logProbs,
                refLogProbs: mb.ref,
                advantages: mb.adv,
                mask: mb.mask,
                entropy,
                sampleWeights: mb.weights,
                imitationMask: mb.hintMask,
                tokenLogits: policyLogits ? () => policyLogits(this.policy, mb.tokens, mb.valid) : undefined,
                oldTokenLogits: mb.oldLogits,
              }, this.pgConfig);
              diag = [tf.keep(out.entropy), tf.keep(out.kl), tf.keep(out.clipFraction)];
              return out.loss as tf.Scalar;
            }, this.policy.variables);
            const raw = this.policy.variables.map((v) => grads[v.name]);
            const clipped = await clipByGlobalNorm(raw, c.maxGradNorm);
            this.optimizer.apply(clipped.grads);
            const [loss, entropy, kl, clipFraction] = await Promise.all(
              [value, ...diag].map(async (t) => (await t.data())[0]),
            );
            sums.loss += loss;
            sums.entropy += entropy;
            sums.kl += kl;
            sums.clipFraction += clipFraction;
            sums.gradNorm += clipped.norm;
            n++;
            tf.dispose([value, ...diag, ...raw, ...clipped.grads]);
          } finally {
            if (mb !== all) disposeBatch(mb);
          }
        }
      }
    } finally {
      disposeBatch(all);
    }
    return {
      loss: sums.loss / n,
      entropy: sums.entropy / n,
      kl: sums.kl / n,
      clipFraction: sums.clipFraction / n,
      gradNorm: sums.gradNorm / n,
    };
  }

  /** A training problem: uniform with replacement from `trainSet` when given, else a fresh `task.sample`. */
  private drawProblem(rng: Rng): Problem {
    if (this.trainSet) return this.trainSet[rng.int(this.trainSet.length)];
    return sampleExcluding(this.task, rng, this.exclude, this.sampleOptions);
  }

  /** Greedy accuracy and the greedy responses of the current policy on a fixed held-out set. */
  evaluate(dataset: readonly Problem[]): Promise<EvalResult> {
    return evaluate(this.policy, this.task, dataset, this.config.evalBatchSize);
  }

  /**
   * Write a checkpoint directory: policy.json (weights), optimizer.json (optimizer state),
   * reference.json (KL reference, when used), state.json (step, Rng state, curriculum and estimator state,
   * counters, config), runlog.jsonl (rows so far) and promptlog.jsonl (per-prompt rows, when logged).
   */
  async saveCheckpoint(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT,
      step: this.step,
      rng: this.rng.state,
      curriculum: this.curriculum.state,
      estimator: estimatorState(this.estimator),
      wallSeconds: this.wallSeconds,
      rolloutsTotal: this.rolloutsTotal,
      config: this.config,
    };
    await Deno.writeTextFile(`${dir}/policy.json`, JSON.stringify(await this.policy.getWeights()));
    await Deno.writeTextFile(`${dir}/optimizer.json`, JSON.stringify(await this.optimizer.state()));
    if (this.reference) {
      await Deno.writeTextFile(`${dir}/reference.json`, JSON.stringify(await this.reference.getWeights()));
    }
    await this.runLog.save(`${dir}/runlog.jsonl`);
    if (this.config.logPrompts) await this.promptLog.save(`${dir}/promptlog.jsonl`);
    await Deno.writeTextFile(`${dir}/state.json`, JSON.stringify(state));
  }

  /** Restore a `saveCheckpoint` directory into this trainer (built with the same parts and config). */
  async loadCheckpoint(dir: string): Promise<void> {
    const state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`)) as CheckpointState;
    if (state?.format !== CHECKPOINT_FORMAT) {
      throw new ConfigError("checkpoint", `must be a ${CHECKPOINT_FORMAT} directory`, dir);
    }
    this.policy.setWeights(JSON.parse(await Deno.readTextFile(`${dir}/policy.json`)));
    this.optimizer.setState(JSON.parse(await Deno.readTextFile(`${dir}/optimizer.json`)));
    if (this.config.klCoef > 0) {
      this.reference ??= await this.policy.clone();
      this.reference.setWeights(JSON.parse(await Deno.readTextFile(`${dir}/reference.json`)));
    }
    this.rng = Rng.fromState(state.rng);
    this.curriculum.state = state.curriculum;
    if (state.estimator !== undefined && "state" in this.estimator) {
      (this.estimator as { state: unknown }).state = state.estimator;
    }
    this.step = state.step;
    this.wallSeconds = state.wallSeconds;
    this.rolloutsTotal = state.rolloutsTotal;
    this.runLog = await RunLog.load<TrainerRow>(`${dir}/runlog.jsonl`);
    if (this.config.logPrompts) this.promptLog = await RunLog.load<PromptRow>(`${dir}/promptlog.jsonl`);
  }

  /** Free the optimizer moments and the reference policy (the trained policy stays the caller's). */
  dispose(): void {
    this.optimizer.dispose();
    this.reference?.dispose();
    this.reference = null;
  }
}

/** `<dir>/step-000020` for step 20. */
export function checkpointPath(dir: string, step: number): string {
  return `${dir}/step-${String(step).padStart(6, "0")}`;
}

function mean(xs: readonly number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** The estimator's state when it carries one (`StatefulAdvantageFn`), else undefined. */
/**
 * A curriculum batch cut at `limit` rollouts: rollouts spent outside `generate` count first, then the generated
 * ones in order; a group is kept only if every one of its rollouts lies within the limit.
 */
function limitBatch(batch: CurriculumBatch, generated: readonly number[][], limit: number): CurriculumBatch {
  const outside = Math.max(0, batch.rolloutsGenerated - generated.length);
  const within = new Set(generated.slice(0, Math.max(0, limit - outside)));
  return {
    groups: batch.groups.filter((g) => g.responses.every((y) => within.has(y))),
    rolloutsGenerated: Math.min(batch.rolloutsGenerated, limit),
    stats: batch.stats,
  };
}

function estimatorState(fn: AdvantageFn): unknown {
  return "state" in fn ? (fn as { state: unknown }).state : undefined;
}

/** The per-prompt row of one trained group (`PromptRow`). */
function promptRow(step: number, g: RolloutGroup, advantages: number[]): PromptRow {
  const lengths = g.responses.map((y) => y.length);
  const hints = rolloutHintLengths(g);
  return {
    step,
    problemId: g.problem.id,
    difficulty: g.problem.difficulty,
    passRate: mean(g.correct ?? g.rewards),
    rewardMean: mean(g.rewards),
    rollouts: g.responses.length,
    responseLengthMean: mean(lengths),
    responseLengthMin: Math.min(...lengths),
    responseLengthMax: Math.max(...lengths),
    hintLength: mean(hints),
    advantageSpread: Math.max(...advantages) - Math.min(...advantages),
  };
}

/** One `Rollout` per response, carrying its group's advantages and per-rollout hint length. */
function flattenGroups(groups: RolloutGroup[], advantages: number[][]): Rollout[] {
  const out: Rollout[] = [];
  groups.forEach((g, k) => {
    const hints = rolloutHintLengths(g);
    if (advantages[k]?.length !== g.responses.length) {
      throw new ConfigError(`advantages[${k}]`, `must have one value per rollout (${g.responses.length})`);
    }
    g.responses.forEach((y, i) => {
      out.push({
        prompt: g.problem.prompt,
        response: y,
        hintLength: hints[i],
        advantage: advantages[k][i],
        reward: g.rewards[i],
        correct: (g.correct ?? g.rewards)[i],
      });
    });
  });
  return out;
}

/** The tensors of one update batch (rows = rollouts); optional ones only when used. */
interface BatchTensors {
  tokens: Tensor2D;
  valid: Tensor2D;
  mask: Tensor;
  hintMask: Tensor;
  adv: Tensor;
  weights?: Tensor;
  ref?: Tensor;
  old?: Tensor;
  oldLogits?: TokenLogits;
}

/** Rows [lo, hi) of every tensor of a batch (new tensors; dispose with `disposeBatch`). */
function sliceRows(b: BatchTensors, lo: number, hi: number): BatchTensors {
  const rows = <T extends Tensor>(t: T): T => tf.slice(t, lo, hi - lo) as T;
  return {
    tokens: rows(b.tokens),
    valid: rows(b.valid),
    mask: rows(b.mask),
    hintMask: rows(b.hintMask),
    adv: rows(b.adv),
    weights: b.weights && rows(b.weights),
    ref: b.ref && rows(b.ref),
    old: b.old && rows(b.old),
    oldLogits: b.oldLogits && {
      logits: rows(b.oldLogits.logits),
      ...(b.oldLogits.validActions ? { validActions: rows(b.oldLogits.validActions) } : {}),
    },
  };
}

function disposeBatch(b: BatchTensors): void {
  tf.dispose([b.tokens, b.valid, b.mask, b.hintMask, b.adv]);
  for (const t of [b.weights, b.ref, b.old, b.oldLogits?.logits, b.oldLogits?.validActions]) t?.dispose();
}

/**
 * The row ranges of `m` minibatches over `n` rows: consecutive, sizes ⌊n/m⌋ or ⌈n/m⌉ (rollouts stay in group
 * order, as verl's split of the batch); empty ranges (n < m) are left out.
 */
export function miniBatchRanges(n: number, m: number): [number, number][] {
  assertInteger("miniBatches", m, { min: 1 });
  const out: [number, number][] = [];
  for (let k = 0; k < m; k++) {
    const lo = Math.floor((k * n) / m), hi = Math.floor(((k + 1) * n) / m);
    if (hi > lo) out.push([lo, hi]);
  }
  return out;
}

/** True when the objective reads π_old's per-position logits (`roverLoss`). */
function readsOldTokenLogits(fn: ObjectiveFn): boolean {
  return (fn as { readsOldTokenLogits?: boolean }).readsOldTokenLogits === true;
}
