/**
 * `deno task train --config FILE [field.path=value …] [--steps N] [--out DIR] [--name NAME]` trains a
 * TinyTransformer with `RLVRTrainer` from a run config (JSON, or YAML for `.yaml`/`.yml`), one run per seed,
 * and writes a run directory `<out>/<name>/`: the resolved `config.json`, `run.json` (git commit, Deno version,
 * backend and kernel set, one entry per session), `log.csv`/`log.jsonl` (every step of every seed, with a
 * `seed` column), `summary.json` (held-out accuracy per seed, and calibration for a stated-confidence task),
 * learning-curve charts under `charts/` (SVG + HTML), and per seed `seed-<s>/` with its own log and the
 * trainer's checkpoints. `deno task train --resume <run dir> [--steps N]` continues an interrupted run from
 * each seed's last checkpoint: the steps after it are the ones an uninterrupted run computes.
 *
 * The run config (`RunConfig`; every field optional, defaults in `RUN_DEFAULTS`): `task` (name + the task's
 * options, e.g. digits), `model` (size preset and SFT warm start), `algorithm` (a named preset) or a `verl:` /
 * `trl:` block in those trainers' own field names (`fromVerl` / `fromTrl`), `trainer` (any `TrainerConfig`
 * field, over the algorithm), `curriculum`, `reward`, `steps`, `seeds`, `backend`, `pool` (a finite training
 * pool that curricula revisit), `eval` and `checkpointEvery`. An unknown or bad field exits with one line
 * naming it and what is allowed. `field.path=value` arguments override fields (values are JSON where they
 * parse), as Hydra overrides do in verl.
 */
import { parseArgs } from "node:util";
import { basename, extname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import {
  AdditionTask,
  type AlgorithmName,
  ALGORITHMS,
  type BackendName,
  type BackendReport,
  BACKENDS,
  BalancedDifficultyFilter,
  calibrationSummary,
  checkpointPath,
  ConfidenceAdditionTask,
  ConfigError,
  type Curriculum,
  DynamicSampling,
  FixedHintRate,
  FreeLengthAdditionTask,
  fromTrl,
  fromVerl,
  learningCurve,
  makeDataset,
  PermutationTask,
  Progress,
  resolveConfig,
  resolveTrainerConfig,
  type RewardFn,
  rlcrLogScoreReward,
  rlcrTaskReward,
  RLVRTrainer,
  Rng,
  RunLog,
  type RunRow,
  SatTask,
  saveChart,
  SeeleScaffold,
  type Task,
  TinyTransformer,
  type TrainerConfig,
  type TrainerRow,
  UniformSampling,
  useBackend,
  validateTransformerSetup,
  warmStartTransformer,
} from "../mod.ts";
import { assertWritable, runCli } from "./cli.ts";

/** Task families a run config can name (`task.name`). */
export const RUN_TASKS = [
  "addition",
  "confidence-addition",
  "free-length-addition",
  "permutation",
  "sat",
] as const;
/** Curricula a run config can name (`curriculum.name`). */
export const RUN_CURRICULA = [
  "uniform",
  "seele",
  "fixed-hint",
  "balanced-difficulty-filter",
  "dynamic-sampling",
] as const;
/** Rewards a run config can name (`reward.name`): the task's verifier, RLCR's Brier reward, its log-score variant. */
export const RUN_REWARDS = ["verify", "rlcr", "rlcr-log"] as const;
/** TinyTransformer size presets (`model.size`): width d, blocks, heads; explicit `model` fields override them. */
export const MODEL_SIZES = {
  tiny: { dModel: 32, nLayers: 1, nHeads: 2 },
  small: { dModel: 64, nLayers: 2, nHeads: 4 },
} as const;

/** A named part of a run: its registered name plus that part's own options. */
export interface NamedPart<N extends string> {
  /** Registered name. */
  name: N;
  /** The part's options (validated by the part itself). */
  [option: string]: unknown;
}

/** The resolved run config (module doc); `config.json` of a run directory holds one. */
export interface RunConfig {
  /** Run name: the run directory is `<out>/<name>` (default: the config file's stem). */
  name: string;
  /** Task family and its options (difficulty: digits, SAT sizes …). */
  task: NamedPart<typeof RUN_TASKS[number]>;
  /** Model size preset, dimensions and SFT warm start (`TransformerSetup`). */
  model: {
    size: keyof typeof MODEL_SIZES;
    dModel: number;
    nLayers: number;
    nHeads: number;
    sftSteps: number;
    sftBatchSize: number;
    sftLr: number;
  };
  /** Named algorithm preset (estimator, aggregation, clip); null when a verl/trl block sets them. */
  algorithm: AlgorithmName | null;
  /** verl config fields (`fromVerl`), or null. */
  verl: Record<string, unknown> | null;
  /** TRL `GRPOConfig` fields (`fromTrl`), or null. */
  trl: Record<string, unknown> | null;
  /** `TrainerConfig` fields over the algorithm / anchor (seed, evalEvery and checkpoints are the run's). */
  trainer: Partial<TrainerConfig>;
  /** Curriculum and its options. */
  curriculum: NamedPart<typeof RUN_CURRICULA[number]>;
  /** Reward and its options. */
  reward: NamedPart<typeof RUN_REWARDS[number]>;
  /** RL steps per seed. */
  steps: number;
  /** One run per seed; each seed fixes the model init, SFT, held-out set, pool and trainer stream. */
  seeds: number[];
  /** tfjs backend. */
  backend: BackendName;
  /** Size of a finite training pool drawn uniformly with replacement (null: fresh problems every draw). */
  pool: number | null;
  /** Held-out set size and evaluation interval in steps (size 0: no evaluation). */
  eval: { size: number; every: number };
  /** Save a checkpoint every N steps (and always after the last step). */
  checkpointEvery: number;
}

/** Defaults of every run-config field. */
export const RUN_DEFAULTS: RunConfig = {
  name: "run",
  task: { name: "addition" },
  model: { size: "tiny", ...MODEL_SIZES.tiny, sftSteps: 300, sftBatchSize: 32, sftLr: 1e-2 },
  algorithm: "grpo",
  verl: null,
  trl: null,
  trainer: {},
  curriculum: { name: "uniform" },
  reward: { name: "verify" },
  steps: 100,
  seeds: [0],
  backend: "auto",
  pool: null,
  eval: { size: 64, every: 10 },
  checkpointEvery: 10,
};

/** Trainer fields the run sets itself, and the run-config field to use instead. */
const RUN_OWNED: Record<string, string> = {
  seed: "seeds",
  evalEvery: "eval.every",
  checkpointEvery: "checkpointEvery",
  checkpointDir: "the run directory",
};

const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

/** Run `fn`, renaming a ConfigError's field from the part's own label (`labels`) to the run-config path. */
function within<T>(path: string, labels: readonly string[], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (!(e instanceof ConfigError) || e.field.startsWith(path)) throw e;
    const [head, ...rest] = e.field.split(".");
    const field = labels.includes(head) ? [path, ...rest].join(".") : `${path}.${e.field}`;
    throw new ConfigError(field, e.message.slice(e.field.length).trimStart());
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** A `{name, …options}` part; a bare string is shorthand for `{name}`. */
function namedPart<N extends string>(field: string, v: unknown, allowed: readonly N[]): NamedPart<N> {
  const part = typeof v === "string" ? { name: v } : v;
  if (!isObject(part)) throw new ConfigError(field, `must be a name or an object with a name`, v);
  if (!(allowed as readonly unknown[]).includes(part.name)) {
    throw new ConfigError(
      `${field}.name`,
      `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`,
      part.name,
    );
  }
  return { ...part } as NamedPart<N>;
}

function options(part: NamedPart<string>): Record<string, unknown> {
  const { name: _name, ...rest } = part;
  return rest;
}

/** The task of a run config (its options validated by the task; errors name `task.<option>`). */
export function buildTask(part: RunConfig["task"]): Task<Record<string, unknown>> {
  const o = options(part);
  const t = within(
    "task",
    ["addition", "confidenceAddition", "freeLengthAddition", "permutation", "sat"],
    () => {
      switch (part.name) {
        case "addition":
          return new AdditionTask(o);
        case "confidence-addition":
          return new ConfidenceAdditionTask(o);
        case "free-length-addition":
          return new FreeLengthAdditionTask(o);
        case "permutation":
          return new PermutationTask(o);
        case "sat":
          return new SatTask(o);
      }
    },
  );
  return t as unknown as Task<Record<string, unknown>>;
}

/** The curriculum of a run config (a fresh instance; errors name `curriculum.<option>`). */
export function buildCurriculum(part: RunConfig["curriculum"]): Curriculum {
  const o = options(part);
  const labels = [
    "curriculum",
    "SeeleScaffold",
    "FixedHintRate",
    "BalancedDifficultyFilter",
    "DynamicSampling",
  ];
  return within("curriculum", labels, () => {
    switch (part.name) {
      case "uniform":
        resolveConfig("curriculum", {}, o);
        return new UniformSampling();
      case "seele":
        return new SeeleScaffold(o);
      case "fixed-hint":
        return new FixedHintRate(o);
      case "balanced-difficulty-filter":
        return new BalancedDifficultyFilter(o);
      case "dynamic-sampling":
        return new DynamicSampling(o);
    }
  });
}

/** The reward function of a run config for `task` (RLCR rewards need a stated-confidence task). */
export function buildReward(part: RunConfig["reward"], taskName: string, task: Task<unknown>): RewardFn {
  const o = options(part);
  if (part.name === "verify") {
    within("reward", ["reward"], () => resolveConfig("reward", {}, o));
    return (p, y) => task.verify(p, y);
  }
  if (!(task instanceof ConfidenceAdditionTask)) {
    throw new ConfigError(
      "reward.name",
      `${JSON.stringify(part.name)} needs a task that states a confidence: task.name "confidence-addition"`,
      taskName,
    );
  }
  if (part.name === "rlcr") return within("reward", ["rlcrReward"], () => rlcrTaskReward(task, o));
  within("reward", ["rlcrLogScoreReward"], () => rlcrLogScoreReward(1, 0.5, o));
  return (p, y) => rlcrLogScoreReward(task.verify(p, y), task.confidence(y), o);
}

/** The `RLVRTrainer` config of one seed: verl/trl translation < trainer fields, plus the run-owned fields. */
export function trainerConfig(c: RunConfig, seed: number, checkpointDir: string): Partial<TrainerConfig> {
  const anchor = c.verl ? fromVerl(c.verl) : c.trl ? fromTrl(c.trl) : {};
  return {
    ...anchor,
    ...c.trainer,
    algorithm: c.algorithm,
    seed,
    evalEvery: c.eval.size > 0 ? c.eval.every : 0,
    checkpointEvery: c.checkpointEvery,
    checkpointDir,
  };
}

/** Validate a parsed config object and fill defaults; a bad or unknown field throws a ConfigError naming it. */
export function resolveRunConfig(raw: unknown, defaultName = RUN_DEFAULTS.name): RunConfig {
  if (!isObject(raw)) throw new ConfigError("config", "must be an object of run-config fields", raw);
  const allowed = Object.keys(RUN_DEFAULTS);
  for (const k of Object.keys(raw)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(k, `is not a known config field; allowed: ${allowed.join(", ")}`);
    }
  }
  const r = raw as Partial<Record<keyof RunConfig, unknown>>;
  const name = r.name ?? defaultName;
  if (typeof name !== "string" || !NAME_PATTERN.test(name)) {
    throw new ConfigError("name", "must be a folder name of letters, digits, '.', '_' or '-'", name);
  }
  const task = namedPart("task", r.task ?? RUN_DEFAULTS.task, RUN_TASKS);
  const builtTask = buildTask(task);

  if (r.model !== undefined && !isObject(r.model)) {
    throw new ConfigError("model", "must be an object", r.model);
  }
  const m = (r.model ?? {}) as Record<string, unknown>;
  const size = m.size ?? RUN_DEFAULTS.model.size;
  if (typeof size !== "string" || !(size in MODEL_SIZES)) {
    throw new ConfigError("model.size", `must be one of ${Object.keys(MODEL_SIZES).join(", ")}`, size);
  }
  const model = resolveConfig("model", RUN_DEFAULTS.model, {
    ...MODEL_SIZES[size as keyof typeof MODEL_SIZES],
    ...m,
  } as Partial<RunConfig["model"]>);
  validateTransformerSetup(model, "model");

  for (const k of ["verl", "trl"] as const) {
    if (r[k] !== undefined && r[k] !== null && !isObject(r[k])) {
      throw new ConfigError(k, `must be an object of ${k}'s own config fields`, r[k]);
    }
  }
  const verl = (r.verl ?? null) as Record<string, unknown> | null;
  const trl = (r.trl ?? null) as Record<string, unknown> | null;
  if (verl && trl) throw new ConfigError("trl", "must be left out when a verl: block is given (one anchor)");
  if ((verl || trl) && r.algorithm !== undefined && r.algorithm !== null) {
    throw new ConfigError(
      "algorithm",
      `must be left out when a ${verl ? "verl" : "trl"}: block sets the algorithm`,
    );
  }
  const algorithm = verl || trl ? null : (r.algorithm ?? RUN_DEFAULTS.algorithm);
  if (algorithm !== null && !(ALGORITHMS as readonly unknown[]).includes(algorithm)) {
    throw new ConfigError(
      "algorithm",
      `must be one of ${ALGORITHMS.map((a) => JSON.stringify(a)).join(", ")}`,
      algorithm,
    );
  }
  if (r.trainer !== undefined && !isObject(r.trainer)) {
    throw new ConfigError("trainer", "must be an object of RLVRTrainer config fields", r.trainer);
  }
  const trainer = { ...(r.trainer ?? {}) } as Record<string, unknown>;
  for (const k of Object.keys(trainer)) {
    if (k in RUN_OWNED) throw new ConfigError(`trainer.${k}`, `is set by the run; use ${RUN_OWNED[k]}`);
    if (k === "algorithm") throw new ConfigError("trainer.algorithm", "goes at the top level: algorithm");
  }
  const curriculum = namedPart("curriculum", r.curriculum ?? RUN_DEFAULTS.curriculum, RUN_CURRICULA);
  buildCurriculum(curriculum);
  const reward = namedPart("reward", r.reward ?? RUN_DEFAULTS.reward, RUN_REWARDS);
  buildReward(reward, task.name, builtTask);

  const steps = r.steps ?? RUN_DEFAULTS.steps;
  if (typeof steps !== "number" || !Number.isInteger(steps) || steps < 1) {
    throw new ConfigError("steps", "must be an integer ≥ 1", steps);
  }
  const seedsRaw = r.seeds ?? RUN_DEFAULTS.seeds;
  const seeds = typeof seedsRaw === "number" && Number.isInteger(seedsRaw) && seedsRaw >= 1
    ? Array.from({ length: seedsRaw }, (_, i) => i)
    : seedsRaw;
  if (
    !Array.isArray(seeds) || seeds.length === 0 ||
    !seeds.every((s) => Number.isInteger(s) && s >= 0) || new Set(seeds).size !== seeds.length
  ) {
    throw new ConfigError("seeds", "must be a count ≥ 1 or a list of distinct integers ≥ 0", seedsRaw);
  }
  const backend = r.backend ?? RUN_DEFAULTS.backend;
  if (!(BACKENDS as readonly unknown[]).includes(backend)) {
    throw new ConfigError(
      "backend",
      `must be one of ${BACKENDS.map((b) => JSON.stringify(b)).join(", ")}`,
      backend,
    );
  }
  const pool = r.pool ?? null;
  if (pool !== null && !(typeof pool === "number" && Number.isInteger(pool) && pool >= 1)) {
    throw new ConfigError("pool", "must be an integer ≥ 1 (problems in the training pool) or null", pool);
  }
  if (r.eval !== undefined && !isObject(r.eval)) throw new ConfigError("eval", "must be an object", r.eval);
  const ev = resolveConfig("eval", RUN_DEFAULTS.eval, (r.eval ?? {}) as Partial<RunConfig["eval"]>);
  if (!Number.isInteger(ev.size) || ev.size < 0) {
    throw new ConfigError("eval.size", "must be an integer ≥ 0", ev.size);
  }
  if (!Number.isInteger(ev.every) || ev.every < 1) {
    throw new ConfigError("eval.every", "must be an integer ≥ 1 (steps between evaluations)", ev.every);
  }
  const checkpointEvery = r.checkpointEvery ?? RUN_DEFAULTS.checkpointEvery;
  if (typeof checkpointEvery !== "number" || !Number.isInteger(checkpointEvery) || checkpointEvery < 1) {
    throw new ConfigError(
      "checkpointEvery",
      "must be an integer ≥ 1 (steps between checkpoints)",
      checkpointEvery,
    );
  }
  const c: RunConfig = {
    name,
    task,
    model,
    algorithm: algorithm as AlgorithmName | null,
    verl,
    trl,
    trainer: trainer as Partial<TrainerConfig>,
    curriculum,
    reward,
    steps,
    seeds: seeds as number[],
    backend: backend as BackendName,
    pool: pool as number | null,
    eval: ev,
    checkpointEvery,
  };
  if (verl) fromVerl(verl); // errors name verl.<field>
  if (trl) fromTrl(trl); // errors name trl.<field>
  within("trainer", ["config"], () => resolveTrainerConfig(trainerConfig(c, 0, "checkpoints")));
  return c;
}

/** Set `a.b.c=value` on a config object (value parsed as JSON when it parses, else kept as a string). */
export function applyOverride(config: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) {
    throw new ConfigError(
      "override",
      "must be field.path=value (e.g. steps=20 or trainer.lr=0.003)",
      assignment,
    );
  }
  const path = assignment.slice(0, eq).split(".");
  let value: unknown = assignment.slice(eq + 1);
  try {
    value = JSON.parse(value as string);
  } catch {
    // a bare string such as seele or wasm
  }
  let node = config;
  for (const [i, key] of path.slice(0, -1).entries()) {
    if (node[key] === undefined || node[key] === null) node[key] = {};
    else if (typeof node[key] === "string" && i === 0) node[key] = { name: node[key] };
    if (!isObject(node[key])) {
      throw new ConfigError(
        path.slice(0, i + 1).join("."),
        "is not an object, so it has no fields to set",
        node[key],
      );
    }
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Parse a config file: YAML for .yaml/.yml, JSON for .json. */
export function readConfigFile(path: string): Record<string, unknown> {
  const ext = extname(path).toLowerCase();
  if (![".json", ".yaml", ".yml"].includes(ext)) {
    throw new ConfigError("--config", "must be a .json, .yaml or .yml file", path);
  }
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    throw new ConfigError("--config", `must be a readable file (${(e as Error).message})`, path);
  }
  let parsed: unknown;
  try {
    parsed = ext === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ConfigError(
      "--config",
      `is not valid ${ext === ".json" ? "JSON" : "YAML"}: ${(e as Error).message.split("\n")[0]}`,
      path,
    );
  }
  if (!isObject(parsed)) throw new ConfigError("--config", "must hold an object of run-config fields", path);
  return parsed;
}

/** The newest complete checkpoint (its `state.json` written) under `dir`, or null. */
async function latestCheckpoint(dir: string): Promise<string | null> {
  const steps: number[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = /^step-(\d+)$/.exec(e.name);
      if (e.isDirectory && m) steps.push(Number(m[1]));
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
  for (const s of steps.sort((a, b) => b - a)) {
    const p = checkpointPath(dir, s);
    try {
      await Deno.stat(join(p, "state.json"));
      return p;
    } catch {
      // an interrupted write: fall back to the previous checkpoint
    }
  }
  return null;
}

/** What one seed's run left: its step log and the held-out results. */
interface SeedResult {
  seed: number;
  rows: TrainerRow[];
  resumedFromStep: number;
  summary: Record<string, unknown>;
}

/** Train (or continue) one seed to `c.steps` steps in `<dir>/seed-<seed>/`. */
async function runSeed(c: RunConfig, seed: number, dir: string, progress: Progress): Promise<SeedResult> {
  const task = buildTask(c.task);
  const rng = new Rng(seed);
  const evalSet = c.eval.size > 0
    ? within("eval.size", ["n"], () => makeDataset(task, c.eval.size, rng.split(1).seed))
    : [];
  const trainSet = c.pool === null
    ? undefined
    : within("pool", ["n"], () => makeDataset(task, c.pool!, rng.split(2).seed, { exclude: evalSet }));
  const seedDir = join(dir, `seed-${seed}`);
  const checkpoints = join(seedDir, "checkpoints");
  const last = await latestCheckpoint(checkpoints);
  // On resume the checkpoint supplies the weights, so the warm start is not recomputed.
  const policy = last
    ? new TinyTransformer({
      vocabSize: task.vocab.symbols.length,
      contextLength: task.maxSequenceLength,
      dModel: c.model.dModel,
      nLayers: c.model.nLayers,
      nHeads: c.model.nHeads,
      seed: 0,
    })
    : await warmStartTransformer(task, c.model, rng.split(0), evalSet);
  const trainer = new RLVRTrainer({
    policy,
    task,
    config: trainerConfig(c, rng.split(3).seed, checkpoints),
    curriculum: buildCurriculum(c.curriculum),
    reward: buildReward(c.reward, c.task.name, task),
    exclude: evalSet,
    trainSet,
    evalSet: evalSet.length ? evalSet : undefined,
  });
  try {
    if (last) await trainer.loadCheckpoint(last);
    const resumedFromStep = trainer.step;
    while (trainer.step < c.steps) {
      const row = await trainer.trainStep();
      progress.tick(1, { seed, step: row.step, reward: row.reward ?? NaN });
    }
    if (trainer.step !== resumedFromStep && trainer.step % c.checkpointEvery !== 0) {
      await trainer.saveCheckpoint(checkpointPath(checkpoints, trainer.step));
    }
    const summary: Record<string, unknown> = { seed, steps: trainer.step };
    if (evalSet.length) {
      const ev = await trainer.evaluate(evalSet);
      summary.evalAccuracy = ev.accuracy;
      summary.evalProblems = ev.n;
      if (task instanceof ConfidenceAdditionTask) {
        const cal = calibrationSummary(ev.responses.map((y) => task.confidence(y)), ev.correct);
        summary.calibration = { parseRate: cal.parseRate, ece: cal.ece, brier: cal.brier, auroc: cal.auroc };
      }
    }
    const log = RunLog.fromRows(trainer.runLog.rows, { ...trainer.runLog.meta, seed });
    await log.save(join(seedDir, "log.csv"));
    await log.save(join(seedDir, "log.jsonl"));
    return { seed, rows: trainer.runLog.rows, resumedFromStep, summary };
  } finally {
    trainer.dispose();
    policy.dispose();
  }
}

/** `git rev-parse HEAD` and whether tracked files differ from it; nulls where git is unavailable. */
async function gitCommit(): Promise<{ commit: string | null; dirty: boolean | null }> {
  const git = async (...args: string[]) => {
    const out = await new Deno.Command("git", { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  };
  try {
    const commit = await git("rev-parse", "HEAD");
    const status = commit === null ? null : await git("status", "--porcelain", "--untracked-files=no");
    return { commit, dirty: status === null ? null : status.length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

/**
 * The kernel set recorded in run.json: the tfjs backend, why it was chosen, and on wasm whether the OpenBLAS
 * kernels are active (`BackendReport.wasm.nativeBlas`). This is the one place the run directory's kernel
 * record is assembled.
 */
function kernelRecord(report: BackendReport): Record<string, unknown> {
  return {
    backend: report.backend,
    reason: report.reason,
    wasmSimd: report.wasm?.simd ?? null,
    openblas: report.wasm ? report.wasm.nativeBlas : null,
  };
}

/** Learning curves over seeds (mean, 95% t band) of the reward, accuracy, held-out accuracy and curriculum stats. */
async function saveCharts(rows: RunRow[], dir: string, name: string): Promise<string[]> {
  const columns = new Set(rows.flatMap((r) => Object.keys(r)));
  const metrics = [
    "reward",
    "accuracy",
    "evalAccuracy",
    ...[...columns].filter((k) => k.startsWith("curriculum.")),
  ];
  const saved: string[] = [];
  for (const y of metrics) {
    const data = rows.filter((r) => typeof r[y] === "number");
    if (data.length === 0) continue;
    const chart = learningCurve(data, {
      y,
      x: "step",
      seed: "seed",
      title: `${name}: ${y} (mean over seeds, 95% CI)`,
    });
    await saveChart(chart, join(dir, "charts"), y);
    saved.push(`charts/${y}.svg`);
  }
  return saved;
}

const OPTIONS = {
  config: { type: "string", short: "c" },
  resume: { type: "string" },
  steps: { type: "string" },
  out: { type: "string", short: "o" },
  name: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const USAGE =
  `usage: deno task train --config FILE [field.path=value …] [--steps N] [--out DIR] [--name NAME] [--help]
       deno task train --resume RUN_DIR [--steps N]
  --config  run config, .json or .yaml/.yml (examples/*.json); field.path=value arguments override its fields
  --steps   RL steps per seed (overrides the config's steps; with --resume, continue up to N)
  --out     folder of run directories, inside runs/ (default runs); the run writes <out>/<name>/
  --name    run directory name (default: the config's name, else the file's stem)
  --resume  continue the run in RUN_DIR from each seed's last checkpoint`;

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const flags = Object.keys(OPTIONS).map((k) => `--${k}`).join(", ");
    throw new ConfigError("arguments", `${(e as Error).message}; valid flags: ${flags}`);
  }
  const { values, positionals } = parsed;
  if (values.help) return console.log(USAGE);
  let steps: number | undefined;
  if (values.steps !== undefined) {
    steps = Number(values.steps);
    if (!Number.isInteger(steps) || steps < 1) {
      throw new ConfigError("--steps", "must be an integer ≥ 1", values.steps);
    }
  }
  let dir = values.resume ?? "";
  let raw: Record<string, unknown>;
  if (values.resume !== undefined) {
    if (
      values.config !== undefined || values.name !== undefined || values.out !== undefined ||
      positionals.length
    ) {
      throw new ConfigError(
        "--resume",
        "takes only --steps: the run directory's config.json fixes everything else",
      );
    }
    assertWritable("--resume", dir, "train", "runs");
    try {
      raw = JSON.parse(Deno.readTextFileSync(join(dir, "config.json")));
    } catch (e) {
      throw new ConfigError(
        "--resume",
        `must be a run directory holding config.json (${(e as Error).message})`,
        dir,
      );
    }
  } else {
    if (values.config === undefined) {
      throw new ConfigError(
        "--config",
        "is required: a run config file (e.g. examples/grpo_addition.json), or --resume RUN_DIR",
      );
    }
    raw = readConfigFile(values.config);
    for (const p of positionals) applyOverride(raw, p);
    if (values.name !== undefined) raw.name = values.name;
    raw.name ??= basename(values.config, extname(values.config));
  }
  if (steps !== undefined) raw.steps = steps;
  const config = resolveRunConfig(raw);
  if (values.resume === undefined) {
    const out = values.out ?? "runs";
    assertWritable("--out", out, "train", "runs");
    dir = join(out, config.name);
    try {
      Deno.statSync(join(dir, "config.json"));
      throw new ConfigError(
        "--name",
        `names an existing run (${dir}): continue it with --resume ${dir}, or pick another --name`,
        config.name,
      );
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config, null, 2) + "\n");

  const report = await useBackend(config.backend);
  const kernels = kernelRecord(report);
  console.log(
    `backend: ${report.backend} (${report.reason})` +
      (report.wasm
        ? `; OpenBLAS kernels ${
          report.wasm.nativeBlas.active ? "active" : "inactive"
        }: ${report.wasm.nativeBlas.reason}`
        : ""),
  );
  const runJsonPath = join(dir, "run.json");
  let sessions: unknown[] = [];
  try {
    sessions = JSON.parse(Deno.readTextFileSync(runJsonPath)).sessions ?? [];
  } catch {
    // first session of this run
  }
  const session: Record<string, unknown> = {
    started: new Date().toISOString(),
    args: argv,
    ...(await gitCommit()),
    deno: Deno.version.deno,
    kernels,
  };
  sessions.push(session);
  const writeRunJson = () =>
    Deno.writeTextFile(runJsonPath, JSON.stringify({ name: config.name, sessions }, null, 2) + "\n");
  await writeRunJson();

  const progress = new Progress({ total: config.steps * config.seeds.length, label: `train ${config.name}` });
  const results: SeedResult[] = [];
  for (const seed of config.seeds) {
    const res = await runSeed(config, seed, dir, progress);
    if (res.resumedFromStep > 0) progress.tick(res.resumedFromStep);
    results.push(res);
  }
  await progress.done();

  const rows = results.flatMap((r) => r.rows.map((row) => ({ seed: r.seed, ...row }) as RunRow));
  const log = RunLog.fromRows(rows, { name: config.name, config });
  await log.save(join(dir, "log.csv"));
  await log.save(join(dir, "log.jsonl"));
  const charts = await saveCharts(rows, dir, config.name);
  await Deno.writeTextFile(
    join(dir, "summary.json"),
    JSON.stringify({ name: config.name, seeds: results.map((r) => r.summary) }, null, 2) + "\n",
  );
  session.finished = new Date().toISOString();
  session.resumedFromSteps = Object.fromEntries(results.map((r) => [r.seed, r.resumedFromStep]));
  await writeRunJson();
  for (const r of results) {
    const s = r.summary;
    console.log(
      `seed ${r.seed}: ${s.steps} steps` +
        (r.resumedFromStep ? ` (resumed at step ${r.resumedFromStep})` : "") +
        (typeof s.evalAccuracy === "number"
          ? `, held-out accuracy ${(s.evalAccuracy as number).toFixed(3)}`
          : ""),
    );
  }
  console.log(
    `wrote ${dir}/ (config.json, run.json, log.csv, log.jsonl, summary.json, ${charts.length} charts, seed-*/checkpoints)`,
  );
}

if (import.meta.main) await runCli("train", () => main(Deno.args));
