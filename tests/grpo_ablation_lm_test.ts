import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { tf } from "../lib/core/tf.ts";
import { ConfigError } from "../lib/core/validate.ts";
import type { RolloutGroup } from "../lib/curricula/types.ts";
import { policyGradientLoss } from "../lib/objectives/policy_gradient.ts";
import { FreeLengthAdditionTask } from "../lib/tasks/free_length_addition.ts";
import { matchesRegistration, runReproduction, selectRows, VERDICTS } from "../mod.ts";
import {
  GRPO_ABLATION_LM_ARMS,
  GRPO_ABLATION_LM_PREREGISTRATION,
  grpoAblation,
  lengthByOutcome,
  lmArmConfig,
  windowStats,
} from "../reproductions/grpo_ablation/mod.ts";
import { unansweredAtStart } from "../reproductions/grpo_ablation/lm.ts";
import { warmStartTransformer } from "../lib/train/warm_start.ts";

await useBackend("wasm");

Deno.test("FreeLengthAdditionTask unansweredRate: unanswered share within a binomial bound, verifier reads the sum", () => {
  const task = new FreeLengthAdditionTask({ digits: 1, maxFiller: 3, maxFree: 6, unansweredRate: 0.3 });
  const V = task.vocab;
  const rng = new Rng(11);
  const n = 4000;
  let unanswered = 0;
  for (let i = 0; i < n; i++) {
    const p = task.sample(rng);
    const { a, b, answered } = p.meta as { a: number; b: number; answered: boolean };
    const sum = V.encode(String(a + b).padStart(2, "0").split("").reverse().join(""));
    assert.equal(
      task.verify(p, [...sum, V.eos]),
      1,
      "the true sum is correct whether or not the reference answers",
    );
    if (!answered) {
      unanswered++;
      assert.equal(task.verify(p, p.solution), 0, "an unanswered reference is wrong");
      assert.ok(p.solution.slice(0, -1).every((t) => t === V.encode("=")[0]), "fillers only, then eos");
    } else assert.equal(task.verify(p, p.solution), 1);
  }
  // 4σ binomial bound: σ = √(0.3·0.7/4000) ≈ 0.0072
  assert.ok(Math.abs(unanswered / n - 0.3) < 4 * Math.sqrt(0.21 / n), `share ${unanswered / n}`);
  // rate 0 draws nothing extra: the same problems as a task without the option
  const plain = new FreeLengthAdditionTask({ digits: 1, maxFiller: 3, maxFree: 6 });
  const zero = new FreeLengthAdditionTask({ digits: 1, maxFiller: 3, maxFree: 6, unansweredRate: 0 });
  const r1 = new Rng(5);
  const r2 = new Rng(5);
  for (let i = 0; i < 20; i++) assert.deepEqual(zero.sample(r1).solution, plain.sample(r2).solution);
  assert.throws(() => new FreeLengthAdditionTask({ unansweredRate: 1.5 }), ConfigError);
});

/**
 * Exact expectation over the lengths of a one-logit stopping policy (stop w.p. s = σ(z) at each of K positions,
 * else continue; never stopping gives a truncated response of K tokens): every response has advantage A, and the
 * advantages are weighted by the response's probability, so the loss gradient is the expected gradient.
 */
function expectedStopLogitGradient(
  A: number,
  aggregation: "seq-mean-token-mean" | "seq-mean-token-sum-norm",
) {
  const K = 6;
  const z0 = -0.7;
  const s = 1 / (1 + Math.exp(-z0));
  // sequences: stop at L = 1…K (L − 1 continues + stop), or K continues (truncated)
  const seqs: { stops: boolean; L: number; p: number }[] = [];
  for (let L = 1; L <= K; L++) seqs.push({ stops: true, L, p: (1 - s) ** (L - 1) * s });
  seqs.push({ stops: false, L: K, p: (1 - s) ** K });
  const z = tf.variable(tf.scalar(z0));
  const N = seqs.length;
  const isStop = tf.tensor2d(
    seqs.map((q) => Array.from({ length: K }, (_, t) => (q.stops && t === q.L - 1 ? 1 : 0))),
  );
  const mask = tf.tensor2d(seqs.map((q) => Array.from({ length: K }, (_, t) => (t < q.L ? 1 : 0))));
  const adv = tf.tensor1d(seqs.map((q) => A * q.p));
  const { grads, value } = tf.variableGrads(() => {
    // [log s, log(1 − s)] = logSoftmax([z, 0])
    const both = tf.logSoftmax(tf.concat([tf.reshape(z, [1]), tf.zeros([1])]));
    const logS = tf.slice(both, [0], [1]);
    const logC = tf.slice(both, [1], [1]);
    const logp = tf.add(tf.mul(isStop, logS), tf.mul(tf.sub(1, isStop), logC)) as tf.Tensor2D;
    const out = policyGradientLoss(
      { logProbs: logp, oldLogProbs: logp, advantages: adv, mask },
      { aggregation, maxLength: K },
    );
    return out.loss as tf.Scalar;
  }, [z]);
  const g = grads[z.name].dataSync()[0];
  tf.dispose([z, isStop, mask, adv, value, grads[z.name]]);
  // closed form E[1/L](z) and its central difference
  const invLen = (zz: number) => {
    const ss = 1 / (1 + Math.exp(-zz));
    let e = (1 - ss) ** K / K;
    for (let L = 1; L <= K; L++) e += (1 - ss) ** (L - 1) * ss / L;
    return e;
  };
  const h = 1e-4;
  return { g, N, dInvLen: (invLen(z0 + h) - invLen(z0 - h)) / (2 * h) };
}

Deno.test("length bias (Dr.GRPO): 1/|o| makes the stop logit's expected gradient ∂E[1/L]/∂z; sum-norm makes it 0", () => {
  // GRPO (seq-mean-token-mean), all advantages −1: loss = (1/N) Σ_i p_i (1/L_i) log π_i ⇒ ∂/∂z = (1/N) ∂E[1/L]/∂z
  // (score-function identity), > 0: descent lowers the stop logit, wrong responses grow longer.
  const wrong = expectedStopLogitGradient(-1, "seq-mean-token-mean");
  assert.ok(wrong.dInvLen > 0);
  assert.ok(
    Math.abs(wrong.g - wrong.dInvLen / wrong.N) < 1e-5 * Math.max(1, Math.abs(wrong.g)) + 1e-6,
    `${wrong.g}`,
  );
  // correct responses (advantage +1): the opposite sign, shorter
  const right = expectedStopLogitGradient(1, "seq-mean-token-mean");
  assert.ok(Math.abs(right.g + right.dInvLen / right.N) < 1e-5 + 1e-6);
  // Dr.GRPO (constant L_max): (1/(N·L_max)) Σ_i p_i ∂log π_i/∂z = ∂(Σ p_i)/∂z / (N·L_max) = 0
  assert.ok(Math.abs(expectedStopLogitGradient(-1, "seq-mean-token-sum-norm").g) < 1e-6);
  assert.ok(Math.abs(expectedStopLogitGradient(1, "seq-mean-token-sum-norm").g) < 1e-6);
});

Deno.test("lengthByOutcome and windowStats: hand-computed lengths by outcome", () => {
  const digits = new Set([3, 4]);
  const g: RolloutGroup = {
    problem: { prompt: [1], solution: [3, 2], task: "t" },
    responses: [[3, 9, 2], [9, 9, 9, 2], [4, 2], [9, 2]],
    rewards: [1, 0, 0, 0],
  } as unknown as RolloutGroup;
  const s = lengthByOutcome(digits)([g]);
  assert.deepEqual(s, {
    correctLengthSum: 3,
    correct: 1,
    incorrectLengthSum: 4 + 2 + 2,
    incorrect: 3,
    unansweredLengthSum: 4 + 2, // first token 9 is not a digit
    unanswered: 2,
  });
  const row = (st: Record<string, number>, entropy: number) => ({
    entropy,
    clipFraction: 0,
    ...Object.fromEntries(Object.entries(st).map(([k, v]) => [`curriculum.${k}`, v])),
  });
  const w = windowStats([row(s, 0.5), row({ ...s, correct: 3, correctLengthSum: 15 }, 1.5)]);
  assert.equal(w.entropy, 1);
  assert.equal(w.correctLength, (3 + 15) / 4);
  assert.equal(w.incorrectLength, 16 / 6);
  assert.equal(w.unansweredLength, 12 / 4);
  assert.equal(w.accuracy, 4 / 10);
  assert.equal(w.unansweredFraction, 4 / 10);
});

Deno.test("LM arms map to the right estimator, aggregation and clip; bad configs rejected", async () => {
  const c = grpoAblation.presets.quick.lm;
  assert.equal(lmArmConfig("grpo", c).aggregation, "seq-mean-token-mean");
  assert.equal(lmArmConfig("dr-grpo", c).aggregation, "seq-mean-token-sum-norm");
  assert.equal(lmArmConfig("dr-grpo", c).estimator, "dr-grpo");
  assert.equal(lmArmConfig("clip-higher", c).epsHigh, 0.28);
  assert.equal(lmArmConfig("clip-symmetric", c).epsHigh, 0.2);
  assert.ok(Number(lmArmConfig("clip-higher", c).ppoEpochs) >= 2);
  const smoke = grpoAblation.presets.smoke.lm;
  await assert.rejects(
    () => runReproduction(grpoAblation, { preset: "smoke", config: { lm: { ...smoke, clipEpochs: 1 } } }),
    ConfigError,
  );
  await assert.rejects(
    () =>
      runReproduction(grpoAblation, {
        preset: "smoke",
        config: { lm: { ...smoke, arms: ["bogus" as never] } },
      }),
    ConfigError,
  );
});

Deno.test("the registered quick preset equals the plan (claims count as pre-registered only then)", () => {
  const plan = GRPO_ABLATION_LM_PREREGISTRATION.presets.quick!;
  assert.ok(matchesRegistration({ ...grpoAblation.presets.quick } as Record<string, unknown>, plan));
  assert.ok(
    !matchesRegistration({ ...grpoAblation.presets.quick, seeds: 9 } as Record<string, unknown>, plan),
    "a changed value un-registers",
  );
  assert.deepEqual(GRPO_ABLATION_LM_PREREGISTRATION.claims.map((c) => c.id), [
    "grpo-ablation.lm.1",
    "grpo-ablation.lm.2",
  ]);
});

Deno.test("grpo-ablation smoke run: every LM arm trains, claims tagged lm and inconclusive, charts built", async () => {
  const log = await runReproduction(grpoAblation, { preset: "smoke", progress: false });
  const c = grpoAblation.presets.smoke;
  for (const arm of GRPO_ABLATION_LM_ARMS) {
    const rows = selectRows(log, { kind: "lm-arm", arm });
    assert.equal(rows.length, c.seeds, arm);
    for (const r of rows) {
      assert.equal(r.tier, "lm");
      // the selected rate lies on the grid after the edge rule's one extension round (factor 3)
      const grid = c.lm.learningRates.flatMap((lr) => [lr / 3, lr, lr * 3]);
      assert.ok(grid.some((lr) => Math.abs(lr - Number(r.lr)) < 1e-15), `rate ${r.lr}`);
      assert.ok(r.edgeSelected === 0 || r.edgeSelected === 1);
      assert.ok(Number(r["late.entropy"]) > 0);
    }
  }
  assert.equal(selectRows(log, { kind: "probe" }).length, c.seeds * c.lm.probeQuestions);
  const start = selectRows(log, { kind: "lm-start" });
  assert.ok(start.length > 0 && start.every((r) => Number(r.unanswered) >= 0 && Number(r.unanswered) <= 1));
  const claims = grpoAblation.checkClaims(log);
  // smoke trains all four arms, so the clip-higher row (lm.3) is reported too
  assert.deepEqual(claims.map((r) => r.id), [
    "grpo-ablation.lm.1",
    "grpo-ablation.lm.2",
    "grpo-ablation.lm.3",
  ]);
  for (const r of claims) {
    assert.equal(r.tier, "lm");
    assert.ok((VERDICTS as readonly string[]).includes(r.verdict));
    assert.equal(r.verdict, "inconclusive", "2 seeds are underpowered: no verdict either way");
  }
  const names = grpoAblation.charts(log).map((x) => x.name);
  assert.deepEqual(names.slice(0, 3), ["length", "entropy", "group_weight"]);
  const mixed = selectRows(log, { kind: "probe" }).some((r) => Number(r.pHat) > 0 && Number(r.pHat) < 1);
  assert.deepEqual(names.slice(3), mixed ? ["update_norm", "update_ratio"] : []);
});

Deno.test("unansweredAtStart: the exact share of non-digit first tokens matches sampled first tokens (4 SE)", async () => {
  const task = new FreeLengthAdditionTask({ digits: 1, maxFiller: 4, maxFree: 10, unansweredRate: 0.4 });
  const setup = { dModel: 16, nLayers: 1, nHeads: 2, sftSteps: 30, sftBatchSize: 16, sftLr: 1e-2 };
  const policy = await warmStartTransformer(task, setup, new Rng(5), []);
  try {
    const problem = task.sample(new Rng(6));
    const digits = new Set(task.vocab.encode("0123456789"));
    const [row] = await unansweredAtStart(policy, task, [problem], digits);
    const q = Number(row.unanswered);
    const n = 4000;
    const { responses } = await policy.sample(Array.from({ length: n }, () => problem.prompt), {
      maxTokens: 1,
      seed: 7,
      eos: task.vocab.eos,
    });
    const sampled = responses.filter((y) => y.length === 0 || !digits.has(y[0])).length / n;
    const se = Math.sqrt(Math.max(q * (1 - q), 1e-4) / n);
    assert.ok(Math.abs(sampled - q) < 4 * se + 1e-6, `exact ${q} vs sampled ${sampled}`);
  } finally {
    policy.dispose();
  }
});
