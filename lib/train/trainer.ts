/**
 * `RLVRTrainer`: reinforcement learning with verifiable rewards, one loop composed from swappable parts.
 *
 *   for each step:
 *     1. curriculum.nextBatch(ctx)   – picks problems (task sampler) and calls `generate`, which samples
 *                                      G rollouts per problem (hints forced) and scores them (reward fn)
 *     2. estimator(rewards)          – advantages per rollout (GRPO by default)
 *     3. objective(tensors, config)  – PPO-clip / GRPO / DAPO / Dr.GRPO loss (lib/objectives)
 *     4. Adam step                   – global-norm clipping, then update
 *     5. log                         – one RunLog row per step; checkpoint / evaluate every N steps
 *
 * Hyperparameters live in one `TrainerConfig` (lib/train/config.ts). Randomness: the trainer's Rng draws one
 * seed per step; the step's problem stream, curriculum and sampler derive from it, so a checkpoint (weights,
 * Adam moments, Rng state, step, curriculum state, RunLog rows) resumes bit-identically on the cpu backend.
 */
import { Rng } from "../core/rng.ts";
import type { RngState } from "../core/rng.ts";
import { tf } from "../core/tf.ts";
import type { Tensor, Tensor2D } from "../core/tf.ts";
import { assertInteger, ConfigError } from "../core/validate.ts";
import type { Curriculum, RolloutGroup } from "../curricula/types.ts";
import { RunLog } from "../log/runlog.ts";
import type { RunRow } from "../log/runlog.ts";
import { policyGradientLoss, sampleWeights } from "../objectives/policy_gradient.ts";
import type {
  PolicyGradientConfig,
  PolicyGradientInputs,
  PolicyGradientOutput,
} from "../objectives/policy_gradient.ts";
import { idSet, sampleExcluding } from "../tasks/dataset.ts";
import type { Problem, Task } from "../tasks/types.ts";
import { Progress } from "../viz/progress.ts";
import { Adam, clipByGlobalNorm } from "./adam.ts";
import type { AdamState } from "./adam.ts";
import { builtinAdvantages } from "./advantages.ts";
import type { AdvantageFn } from "./advantages.ts";
import { resolveTrainerConfig } from "./config.ts";
import type { TrainerConfig } from "./config.ts";
import { evaluate, makeGenerate, packSequences, rolloutHintLengths } from "./rollouts.ts";
import type { EvalResult, RewardFn, RolloutCounters, SequencePolicy } from "./rollouts.ts";
import { UniformSampling } from "./uniform.ts";

/** A policy-gradient objective: `policyGradientLoss` or any function with its signature. */
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
  /** Advantage estimator (default: `builtinAdvantages(config.estimator)`). */
  estimator?: AdvantageFn;
  /** Loss function (default `policyGradientLoss`). */
  objective?: ObjectiveFn;
  /** Per-problem options of `task.sample` for training draws. */
  sampleOptions?: Partial<Opts>;
  /** Problems never drawn for training (pass the held-out set). */
  exclude?: Iterable<Problem | string>;
  /** Held-out set evaluated every `config.evalEvery` steps. */
  evalSet?: readonly Problem[];
  /** Where step rows go (default: a new RunLog with the config as meta). */
  runLog?: RunLog;
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
  wallSeconds: number;
  rolloutsTotal: number;
  config: TrainerConfig;
}

/** One training row flattened from the curriculum's groups. */
interface Rollout {
  prompt: number[];
  response: number[];
  hintLength: number;
  advantage: number;
  reward: number;
  correct: number;
}

/** Composable RLVR training loop (see module doc); `train(n)` runs n steps and returns the RunLog. */
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
  runLog: RunLog;
  /** Completed optimizer steps (rollout batches). */
  step = 0;
  private rng: Rng;
  private readonly adam: Adam;
  private readonly reward: RewardFn;
  private readonly estimator: AdvantageFn;
  private readonly objective: ObjectiveFn;
  private readonly pgConfig: PolicyGradientConfig;
  private readonly sampleOptions?: Partial<Opts>;
  private readonly exclude: Set<string>;
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
    this.estimator = parts.estimator ?? builtinAdvantages(c.estimator, c.advantageEps);
    this.objective = parts.objective ?? policyGradientLoss;
    this.pgConfig = {
      epsLow: c.epsLow,
      epsHigh: c.epsHigh,
      aggregation: c.aggregation,
      maxLength: c.maxLength ?? parts.task.maxSequenceLength,
      klCoef: c.klCoef,
      entropyCoef: c.entropyCoef,
      imitationCoef: c.imitationCoef,
    };
    this.sampleOptions = parts.sampleOptions;
    this.exclude = idSet(parts.exclude ?? []);
    this.evalSet = parts.evalSet;
    this.runLog = parts.runLog ??
      new RunLog({ trainer: "RLVRTrainer", config: c, curriculum: this.curriculum.name });
    this.rng = new Rng(c.seed);
    this.adam = new Adam(parts.policy.variables, {
      lr: c.lr,
      beta1: c.beta1,
      beta2: c.beta2,
      eps: c.adamEps,
    });
  }

  /** Run `steps` more steps (checkpointing/evaluating as configured); optional terminal/Jupyter progress. */
  async train(steps: number, options: { progress?: boolean } = {}): Promise<RunLog> {
    assertInteger("steps", steps, { min: 0 });
    const progress = options.progress ? new Progress({ total: steps, label: "RLVR" }) : null;
    for (let i = 0; i < steps; i++) {
      const row = await this.trainStep();
      progress?.tick(1, { step: this.step, reward: row.reward as number, accuracy: row.accuracy as number });
    }
    await progress?.done();
    return this.runLog;
  }

  /** One step of the loop (module doc); returns the logged row. */
  async trainStep(): Promise<RunRow> {
    const c = this.config;
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
    const batch = await this.curriculum.nextBatch({
      step: this.step,
      rng: stepRng.split(0),
      batchSize: c.batchSize,
      groupSize: c.groupSize,
      sampleProblem: (rng) => sampleExcluding(this.task, rng, this.exclude, this.sampleOptions),
      generate,
    });
    const tRollout = performance.now();

    // 2. Advantages per group, then flatten to one row per rollout.
    const groups = batch.groups;
    const advantages = groups.length ? this.estimator(groups.map((g) => g.rewards)) : [];
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
    const row: RunRow = {
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
    };
    for (const [k, v] of Object.entries(batch.stats)) row[`curriculum.${k}`] = Number.isFinite(v) ? v : null;
    if (c.evalEvery > 0 && this.step % c.evalEvery === 0) {
      row.evalAccuracy = (await this.evaluate(this.evalSet!)).accuracy;
    }
    this.runLog.log(row);
    if (c.checkpointEvery > 0 && this.step % c.checkpointEvery === 0) {
      await this.saveCheckpoint(checkpointPath(c.checkpointDir!, this.step));
    }
    return row;
  }

  /** Pack rollouts into tensors, take `ppoEpochs` clipped Adam steps; returns diagnostics averaged over epochs. */
  private async update(rollouts: Rollout[]) {
    const c = this.config;
    const b = packSequences(
      rollouts.map((r) => r.prompt),
      rollouts.map((r) => r.response),
      rollouts.map((r) => r.hintLength),
      this.task.vocab.pad,
    );
    const tokens = tf.tensor2d(b.tokens, [b.N, b.L], "int32") as Tensor2D;
    const valid = tf.tensor2d(b.valid, [b.N, b.L]) as Tensor2D;
    const mask = tf.tensor2d(b.mask, [b.N, b.L - 1]);
    const hintMask = tf.tensor2d(b.hintMask, [b.N, b.L - 1]);
    const adv = tf.tensor1d(rollouts.map((r) => r.advantage));
    const weights = c.sampleWeighting === "none"
      ? undefined
      : tf.tensor1d(sampleWeights(rollouts.map((r) => r.correct), c.sampleWeighting, c.wReinforceLambda));
    const ref = this.reference
      ? tf.tidy(() => this.reference!.tokenLogProbs(tokens, valid).logProbs)
      : undefined;
    // π_old: with one epoch the current forward itself (the objective stops its gradient); otherwise frozen first.
    const old = c.ppoEpochs > 1
      ? tf.tidy(() => this.policy.tokenLogProbs(tokens, valid).logProbs)
      : undefined;
    const sums = { loss: 0, entropy: 0, kl: 0, clipFraction: 0, gradNorm: 0 };
    try {
      for (let epoch = 0; epoch < c.ppoEpochs; epoch++) {
        let diag: Tensor[] = [];
        const { value, grads } = tf.variableGrads(() => {
          const { logProbs, entropy } = this.policy.tokenLogProbs(tokens, valid);
          const out = this.objective({
            logProbs,
            oldLogProbs: old ?? logProbs,
            refLogProbs: ref,
            advantages: adv,
            mask,
            entropy,
            sampleWeights: weights,
            imitationMask: hintMask,
            tokenLogits: this.policy.tokenLogits ? () => this.policy.tokenLogits!(tokens, valid) : undefined,
          }, this.pgConfig);
          diag = [tf.keep(out.entropy), tf.keep(out.kl), tf.keep(out.clipFraction)];
          return out.loss as tf.Scalar;
        }, this.policy.variables);
        const raw = this.policy.variables.map((v) => grads[v.name]);
        const clipped = await clipByGlobalNorm(raw, c.maxGradNorm);
        this.adam.apply(clipped.grads);
        const [loss, entropy, kl, clipFraction] = await Promise.all(
          [value, ...diag].map(async (t) => (await t.data())[0]),
        );
        sums.loss += loss;
        sums.entropy += entropy;
        sums.kl += kl;
        sums.clipFraction += clipFraction;
        sums.gradNorm += clipped.norm;
        tf.dispose([value, ...diag, ...raw, ...clipped.grads]);
      }
    } finally {
      tf.dispose([tokens, valid, mask, hintMask, adv]);
      if (weights) weights.dispose();
      if (ref) ref.dispose();
      if (old) old.dispose();
    }
    const n = c.ppoEpochs;
    return {
      loss: sums.loss / n,
      entropy: sums.entropy / n,
      kl: sums.kl / n,
      clipFraction: sums.clipFraction / n,
      gradNorm: sums.gradNorm / n,
    };
  }

  /** Greedy accuracy of the current policy on a fixed held-out set. */
  evaluate(dataset: readonly Problem[]): Promise<EvalResult> {
    return evaluate(this.policy, this.task, dataset, this.config.evalBatchSize);
  }

  /**
   * Write a checkpoint directory: policy.json (weights), optimizer.json (Adam step and moments),
   * reference.json (KL reference, when used), state.json (step, Rng state, curriculum state, counters,
   * config) and runlog.jsonl (rows so far).
   */
  async saveCheckpoint(dir: string): Promise<void> {
    await Deno.mkdir(dir, { recursive: true });
    const state: CheckpointState = {
      format: CHECKPOINT_FORMAT,
      step: this.step,
      rng: this.rng.state,
      curriculum: this.curriculum.state,
      wallSeconds: this.wallSeconds,
      rolloutsTotal: this.rolloutsTotal,
      config: this.config,
    };
    await Deno.writeTextFile(`${dir}/policy.json`, JSON.stringify(await this.policy.getWeights()));
    await Deno.writeTextFile(`${dir}/optimizer.json`, JSON.stringify(await this.adam.state()));
    if (this.reference) {
      await Deno.writeTextFile(`${dir}/reference.json`, JSON.stringify(await this.reference.getWeights()));
    }
    await this.runLog.save(`${dir}/runlog.jsonl`);
    await Deno.writeTextFile(`${dir}/state.json`, JSON.stringify(state));
  }

  /** Restore a `saveCheckpoint` directory into this trainer (built with the same parts and config). */
  async loadCheckpoint(dir: string): Promise<void> {
    const state = JSON.parse(await Deno.readTextFile(`${dir}/state.json`)) as CheckpointState;
    if (state?.format !== CHECKPOINT_FORMAT) {
      throw new ConfigError("checkpoint", `must be a ${CHECKPOINT_FORMAT} directory`, dir);
    }
    this.policy.setWeights(JSON.parse(await Deno.readTextFile(`${dir}/policy.json`)));
    this.adam.setState(JSON.parse(await Deno.readTextFile(`${dir}/optimizer.json`)) as AdamState);
    if (this.config.klCoef > 0) {
      this.reference ??= await this.policy.clone();
      this.reference.setWeights(JSON.parse(await Deno.readTextFile(`${dir}/reference.json`)));
    }
    this.rng = Rng.fromState(state.rng);
    this.curriculum.state = state.curriculum;
    this.step = state.step;
    this.wallSeconds = state.wallSeconds;
    this.rolloutsTotal = state.rolloutsTotal;
    this.runLog = await RunLog.load(`${dir}/runlog.jsonl`);
  }

  /** Free the optimizer moments and the reference policy (the trained policy stays the caller's). */
  dispose(): void {
    this.adam.dispose();
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
