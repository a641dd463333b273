import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import { drGrpoAdvantages, grpoAdvantages, litePpoAdvantages } from "../lib/estimators/advantages.ts";
import { policyGradientLoss } from "../lib/objectives/policy_gradient.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import { policyGradientNorm } from "../lib/train/gradient_norm.ts";
import type { Problem } from "../lib/tasks/types.ts";
import { FreeLengthAdditionTask } from "../lib/tasks/free_length_addition.ts";
import { type Row } from "../mod.ts";
import { difficultyProbe } from "../reproductions/mod.ts";

await useBackend("wasm");

/** OLS slope of y on x (test helper). */
function olsSlope(x: readonly number[], y: readonly number[]): number {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i] - my);
    sxx += (xi - mx) ** 2;
  });
  return sxy / sxx;
}

/** Share of Σ_q norm_e from extreme questions (p̂ ≤ ¼ or ≥ ¾). */
function extremeShare(rows: Row[], e: string): number {
  const norm = (r: Row) => Number(r[`norm.${e}`]);
  const total = rows.reduce((s, r) => s + norm(r), 0);
  const ext = rows.filter((r) => Number(r.pHat) <= 0.25 || Number(r.pHat) >= 0.75).reduce(
    (s, r) => s + norm(r),
    0,
  );
  return ext / total;
}

Deno.test("difficulty bias closed form: Σ|Â|/G is 2√(p(1−p)) for GRPO and 2p(1−p) for Dr.GRPO", () => {
  const G = 8;
  for (let k = 1; k < G; k++) {
    const r = Array.from({ length: G }, (_, i) => (i < k ? 1 : 0));
    const p = k / G;
    const w = (a: number[]) => a.reduce((s, x) => s + Math.abs(x), 0) / G;
    assert.ok(Math.abs(w(grpoAdvantages(r, G, { eps: 0 })) - 2 * Math.sqrt(p * (1 - p))) < 1e-12);
    assert.ok(Math.abs(w(drGrpoAdvantages(r, G)) - 2 * p * (1 - p)) < 1e-12);
  }
  // Lite PPO divides every group by the same batch std: two groups at p = 1/8 and 1/2 (batch p = 5/16).
  const r = [1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0];
  const sd = Math.sqrt((5 / 16) * (11 / 16));
  const lite = litePpoAdvantages(r, 8, { eps: 0 });
  const dr = drGrpoAdvantages(r, 8);
  lite.forEach((a, i) => assert.ok(Math.abs(a - dr[i] / sd) < 1e-12));
});

Deno.test("difficulty bias through policyGradientLoss: ∂L/∂z_correct = −√(p(1−p)) (GRPO), −p(1−p) (Dr.GRPO)", () => {
  // One-token responses from softmax(z) over 4 options; option 0 is correct; k of G = 8 rollouts picked it.
  // L = −(1/G) Σ_i Â_i ρ_i ⇒ ∂L/∂z_0 = −(1/G) Σ_i Â_i (1[a_i = 0] − π_0) = −(k/G)·Â_correct (Σ Â = 0).
  const G = 8;
  for (const k of [1, 2, 4, 7]) {
    const actions = Array.from({ length: G }, (_, i) => (i < k ? 0 : 1 + (i % 3)));
    const rewards = actions.map((a) => (a === 0 ? 1 : 0));
    const p = k / G;
    const cases: [number[], number][] = [
      [grpoAdvantages(rewards, G, { eps: 0 }), -Math.sqrt(p * (1 - p))],
      [drGrpoAdvantages(rewards, G), -p * (1 - p)],
    ];
    for (const [adv, want] of cases) {
      const z = tf.variable(tf.tensor2d([[0.3, -0.2, 0.1, 0.5]]));
      const onehot = tf.oneHot(tf.tensor1d(actions, "int32"), 4);
      const { grads, value } = tf.variableGrads(() => {
        const logp = tf.sum(tf.mul(tf.logSoftmax(tf.tile(z, [G, 1])), onehot), 1, true); // [G, 1]
        const out = policyGradientLoss({
          logProbs: logp as tf.Tensor2D,
          oldLogProbs: logp,
          advantages: tf.tensor1d(adv),
          mask: tf.ones([G, 1]),
        }, { aggregation: "seq-mean-token-sum-norm", maxLength: 1 });
        return out.loss as tf.Scalar;
      }, [z]);
      const g = grads[z.name].dataSync();
      assert.ok(Math.abs(g[0] - want) < 1e-5, `k=${k}: ${g[0]} vs ${want}`);
      tf.dispose([z, onehot, value, grads[z.name]]);
    }
  }
});

/** Free-length addition where "correct" = even response length, so a random policy gives mixed groups. */
class EvenLengthTask extends FreeLengthAdditionTask {
  override verify(_p: Problem, response: readonly number[]): number {
    return response.length % 2 === 0 ? 1 : 0;
  }
}

Deno.test("difficultyProbe: measured gradient-norm ratios equal 1/(σ̂ + ε) (GRPO) and 1/(batch σ + ε) (Lite PPO)", async () => {
  const t = new EvenLengthTask({ digits: 1, maxFiller: 3, maxFree: 6 });
  const policy = new TinyTransformer({
    vocabSize: t.vocab.size,
    contextLength: t.maxSequenceLength,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    seed: 4,
  });
  const rng = new Rng(9);
  const problems = Array.from({ length: 8 }, () => t.sample(rng));
  const rows = await difficultyProbe(policy, t, problems, 8, 123);
  policy.dispose();
  const p = rows.map((r) => Number(r.pHat));
  const batchMean = p.reduce((a, b) => a + b, 0) / p.length;
  // population std of all 64 binary rewards = √(m(1 − m)) with m the batch mean
  const batchSd = Math.sqrt(batchMean * (1 - batchMean));
  let mixed = 0;
  for (const r of rows) {
    const ph = Number(r.pHat);
    assert.ok(Math.abs(Number(r["weight.dr-grpo"]) - 2 * ph * (1 - ph)) < 1e-9);
    if (ph === 0 || ph === 1) {
      assert.equal(r["norm.grpo"], 0);
      continue;
    }
    mixed++;
    const dr = Number(r["norm.dr-grpo"]);
    assert.ok(dr > 0);
    const want = 1 / (Math.sqrt(ph * (1 - ph)) + 1e-6);
    assert.ok(Math.abs(Number(r["norm.grpo"]) / dr / want - 1) < 1e-3, `p̂=${ph}`);
    assert.ok(Math.abs(Number(r["norm.lite-ppo"]) / dr * (batchSd + 1e-6) - 1) < 1e-3);
  }
  assert.ok(mixed >= 3, `only ${mixed} mixed groups`);
});

Deno.test("difficulty bias identities (Dr.GRPO): slope −½ (GRPO), 0 (Lite PPO), larger extreme share", async () => {
  // One group per p̂ = k/8 (k = 1…7) of arbitrary responses; ‖∇θ‖ of each group alone under each estimator.
  const G = 8;
  const t = new FreeLengthAdditionTask({ digits: 1, maxFiller: 3, maxFree: 6 });
  const policy = new TinyTransformer({
    vocabSize: t.vocab.size,
    contextLength: t.maxSequenceLength,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    seed: 6,
  });
  const rng = new Rng(21);
  const ks = [1, 2, 3, 4, 5, 6, 7];
  const groups = ks.map(() => {
    const prompt = t.sample(rng).prompt;
    const responses = Array.from(
      { length: G },
      () => Array.from({ length: 1 + rng.int(5) }, () => 3 + rng.int(10)),
    );
    return { prompt, responses };
  });
  const rewards = ks.flatMap((k) => Array.from({ length: G }, (_, i) => (i < k ? 1 : 0)));
  const adv = {
    "grpo": grpoAdvantages(rewards, G),
    "dr-grpo": drGrpoAdvantages(rewards, G),
    "lite-ppo": litePpoAdvantages(rewards, G),
  };
  const norm: Record<string, number[]> = { "grpo": [], "dr-grpo": [], "lite-ppo": [] };
  for (const [q, g] of groups.entries()) {
    for (const e of ["grpo", "dr-grpo", "lite-ppo"] as const) {
      norm[e].push(
        await policyGradientNorm(
          policy,
          {
            prompts: g.responses.map(() => g.prompt),
            responses: g.responses,
            advantages: adv[e].slice(q * G, (q + 1) * G),
          },
          t.vocab.pad,
          { aggregation: "seq-mean-token-sum-norm", maxLength: t.maxSequenceLength },
        ),
      );
    }
  }
  policy.dispose();
  const p = ks.map((k) => k / G);
  const x = p.map((v) => Math.log(v * (1 - v)));
  const slope = (e: string) => olsSlope(x, norm[e].map((n, i) => Math.log(n / norm["dr-grpo"][i])));
  assert.ok(Math.abs(slope("grpo") + 0.5) < 1e-3, `GRPO slope ${slope("grpo")}`);
  assert.ok(Math.abs(slope("lite-ppo")) < 1e-3, `Lite PPO slope ${slope("lite-ppo")}`);
  const rows = (e: string): Row[] => p.map((v, i) => ({ pHat: v, [`norm.${e}`]: norm[e][i] }));
  // p̂ ∈ {1/8, 2/8, 6/8, 7/8} are extreme; 1/σ̂ is larger there than at 3/8…5/8, so GRPO's share is larger.
  assert.ok(extremeShare(rows("grpo"), "grpo") > extremeShare(rows("dr-grpo"), "dr-grpo") + 0.01);
});
