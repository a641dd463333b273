/**
 * Difficulty-bias probe of the GRPO-family ablation (Dr.GRPO arXiv 2503.20783): per question, the update weight
 * and gradient norm each estimator gives a group of the policy's own rollouts (charts; the 1/σ̂ law is a test).
 */
import {
  drGrpoAdvantages,
  type FreeLengthAdditionTask,
  grpoAdvantages,
  litePpoAdvantages,
  policyGradientNorm,
  type Problem,
  type Row,
  type SequencePolicy,
} from "../../mod.ts";

/** Estimators of the difficulty-bias probe. */
export const PROBE_ESTIMATORS = ["grpo", "dr-grpo", "lite-ppo"] as const;

/**
 * Difficulty-bias probe: for each question, G sampled rollouts of the current policy, advantages from each
 * estimator, the group's weight Σ|Â|/G and `policyGradientNorm` of its group alone ("seq-mean-token-sum-norm"
 * for every estimator, so only the advantage normalisation differs; 0 for p̂ ∈ {0, 1}).
 */
export async function difficultyProbe(
  policy: SequencePolicy,
  task: FreeLengthAdditionTask,
  problems: readonly Problem[],
  groupSize: number,
  seed: number,
): Promise<Row[]> {
  const G = groupSize;
  const prompts = problems.flatMap((p) => Array.from({ length: G }, () => p.prompt));
  const maxTokens = policy.config.contextLength - Math.max(...prompts.map((p) => p.length));
  const { responses } = await policy.sample(prompts, { maxTokens, seed, eos: task.vocab.eos });
  const rewards = responses.map((y, i) => task.verify(problems[Math.floor(i / G)], y));
  const adv: Record<typeof PROBE_ESTIMATORS[number], number[]> = {
    "grpo": grpoAdvantages(rewards, G),
    "dr-grpo": drGrpoAdvantages(rewards, G),
    "lite-ppo": litePpoAdvantages(rewards, G),
  };
  const rows: Row[] = [];
  for (let q = 0; q < problems.length; q++) {
    const idx = Array.from({ length: G }, (_, i) => q * G + i);
    const pHat = idx.reduce((s, i) => s + rewards[i], 0) / G;
    const row: Row = { kind: "probe", question: q, pHat };
    for (const e of PROBE_ESTIMATORS) {
      const a = idx.map((i) => adv[e][i]);
      row[`weight.${e}`] = a.reduce((s, x) => s + Math.abs(x), 0) / G;
      row[`norm.${e}`] = pHat === 0 || pHat === 1 ? 0 : await policyGradientNorm(
        policy,
        { prompts: idx.map((i) => prompts[i]), responses: idx.map((i) => responses[i]), advantages: a },
        task.vocab.pad,
        { aggregation: "seq-mean-token-sum-norm", maxLength: task.maxSequenceLength },
      );
    }
    rows.push(row);
  }
  return rows;
}
