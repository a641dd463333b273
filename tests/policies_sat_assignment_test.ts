import assert from "node:assert/strict";
import { tf } from "../lib/core/tf.ts";
import { sampledPassAtK } from "../lib/estimators/pass_at_k.ts";
import type { Tensor2D } from "../lib/core/tf.ts";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import {
  parseSatPrompt,
  SAT_FEATURES,
  SatAssignmentPolicy,
  SatFeatureStepper,
  satLiteralFeatures,
} from "../lib/policies/sat_assignment.ts";
import { SAT_VOCAB, SatTask } from "../lib/tasks/sat.ts";
import { packSequences } from "../lib/train/rollouts.ts";
import { RLVRTrainer } from "../lib/train/trainer.ts";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) =>
  assert.ok(
    a.length === b.length && Array.from(a).every((x, i) => Math.abs(x - b[i]) <= tol),
    `${Array.from(a)} ≠ ${Array.from(b)}`,
  );
const enc = (s: string) => SAT_VOCAB.encode(s);
const sigma = (x: number) => 1 / (1 + Math.exp(-x));

Deno.test("satLiteralFeatures: hand-derived counts on a 2-clause instance", () => {
  // (a ∨ b) ∧ (¬a ∨ c), k = 3: 4 literal occurrences / 3 variables → occurrence scale 4/3.
  const clauses = [[1, 2], [-1, 3]];
  const none = satLiteralFeatures(clauses, 3, [-1, -1, -1]);
  const at = (phi: Float64Array, v: number, b: number) => phi.slice((2 * v + b) * 6, (2 * v + b + 1) * 6);
  close(at(none, 0, 1), [0, 1, 0.75, 0, 1, 0.75], 1e-12); // a = true: satisfies clause 1, shrinks clause 2
  close(at(none, 0, 0), [0, 1, 0.75, 0, 1, 0.75], 1e-12); // a = false: the mirror image
  close(at(none, 2, 1), [0, 1, 0.75, 0, 0, 0], 1e-12);
  close(at(none, 2, 0), [0, 0, 0, 0, 1, 0.75], 1e-12);
  const bFalse = satLiteralFeatures(clauses, 3, [-1, 0, -1]); // clause 1 becomes unit on a
  close(at(bFalse, 0, 1), [1, 0, 0.75, 0, 1, 0.75], 1e-12);
  close(at(bFalse, 0, 0), [0, 1, 0.75, 1, 0, 0.75], 1e-12);
  close(at(bFalse, 1, 1), [0, 0, 0, 0, 0, 0], 1e-12); // assigned variables get 0
  const aTrue = satLiteralFeatures(clauses, 3, [1, -1, -1]); // clause 1 satisfied, clause 2 unit on c
  close(at(aTrue, 2, 1), [1, 0, 0.75, 0, 0, 0], 1e-12);
  close(at(aTrue, 2, 0), [0, 0, 0, 1, 0, 0.75], 1e-12);
});

Deno.test("SatFeatureStepper: incremental features equal satLiteralFeatures along random in-order assignments", () => {
  const rng = new Rng(4);
  for (const [n, k, l] of [[3, 8, 16], [2, 5, 12], [3, 16, 64]]) {
    for (let rep = 0; rep < 5; rep++) {
      const clauses = (new SatTask({ n, k, l }).sample(rng).meta as { clauses: number[][] }).clauses;
      const stepper = new SatFeatureStepper(clauses, k);
      const assignment = new Array<number>(k).fill(-1);
      for (let t = 0; t < k; t++) {
        const want = satLiteralFeatures(clauses, k, assignment).slice(2 * t * 6, (2 * t + 2) * 6);
        close(stepper.features(t), want, 1e-12);
        const bit = rng.int(2);
        stepper.assign(t, bit);
        assignment[t] = bit;
      }
    }
  }
});

Deno.test("parseSatPrompt: clauses and k from the SAT task's prompt tokens (padding and bos ignored)", () => {
  const task = new SatTask({ n: 2, k: 3, l: 3 });
  const p = task.problem([[1, -2], [2, 3], [-1, -3]], [true, true, false]);
  assert.deepEqual(parseSatPrompt([0, 0, ...p.prompt]), {
    clauses: [[1, -2], [2, 3], [-1, -3]],
    k: 3,
    end: 2 + 1 + 15,
  });
  assert.throws(() => parseSatPrompt(enc("ab,c=")), ConfigError);
});

Deno.test("SatAssignmentPolicy at w = 0: exact success = satisfying assignments / 2^k; sampled pass@1 agrees", async () => {
  const task = new SatTask({ n: 2, k: 3, l: 3 });
  // (a ∨ ¬b) ∧ (b ∨ c) ∧ (¬a ∨ ¬c): satisfied by exactly 001 and 110 → 2/8.
  const p = task.problem([[1, -2], [2, 3], [-1, -3]], [true, true, false]);
  const q = new SatTask({ n: 3, k: 3, l: 1 }).problem([[1, 2, 3]], [true, true, true]); // 7/8
  const policy = new SatAssignmentPolicy();
  assert.ok(Math.abs(policy.successProbability(p) - 0.25) < 1e-12);
  assert.ok(Math.abs(policy.successProbability(q) - 7 / 8) < 1e-12);
  const N = 4000;
  const pass = (await sampledPassAtK(policy, task, [q], { n: N, ks: [1], nextSeed: () => 7 })).passAtK[0];
  assert.ok(Math.abs(pass - 7 / 8) < 4 * Math.sqrt((7 / 64) / N), `pass ${pass}`);
  const { responses, logProbs } = await policy.sample([q.prompt], { maxTokens: 10, seed: 1 });
  assert.equal(responses[0].length, 4); // 3 bits + eos
  assert.equal(responses[0][3], SAT_VOCAB.eos);
  close(logProbs[0], [Math.log(0.5), Math.log(0.5), Math.log(0.5), 0], 1e-12);
  policy.dispose();
});

Deno.test("SatAssignmentPolicy.tokenLogProbs: hand-computed log-probs, entropies and gradient on a padded batch", () => {
  // (a) ∧ (a ∨ b), k = 2, occurrence scale 3/2. Step a: φ(a=1) = [1, 1, 4/3, 0, 0, 0], φ(a=0) = [0, 0, 0, 1, 1, 4/3];
  // with w = [2, 0, 0, −1, 0, 0] the logits are 2 and −1, so π(a = 1) = σ(3). After a = 1 every clause is
  // satisfied: φ = 0 and π(b) = 1/2. After a = 0, (a) is falsified (u = 0, no literal left) and (a ∨ b) is unit
  // on b: φ(b=1) = [1, 0, 2/3, 0, 0, 0], φ(b=0) = [0, 0, 0, 1, 0, 2/3] → logits 2, −1 again.
  const task = new SatTask({ n: 2, k: 2, l: 2 });
  const prob = task.problem([[1], [1, 2]], [true, false]);
  const policy = new SatAssignmentPolicy({ init: [2, 0, 0, -1, 0, 0] });
  const ys = [[...enc("10"), SAT_VOCAB.eos], [...enc("01"), SAT_VOCAB.eos]];
  const longPrompt = [...prob.prompt]; // same prompt twice; a third row with a longer prompt forces padding
  const other = new SatTask({ n: 2, k: 2, l: 3 }).problem([[1], [1, 2], [-2, 1]], [true, false]);
  const b = packSequences([longPrompt, longPrompt, other.prompt], [...ys, ys[0]], [0, 0, 0], SAT_VOCAB.pad);
  const tokens = tf.tensor2d(b.tokens, [b.N, b.L], "int32") as Tensor2D;
  const valid = tf.tensor2d(b.valid, [b.N, b.L]) as Tensor2D;
  const { logProbs, entropy } = policy.tokenLogProbs(tokens, valid);
  const lp = logProbs.arraySync() as number[][];
  const ent = entropy.arraySync() as number[][];
  const mask = Array.from(
    { length: b.N },
    (_, i) => Array.from(b.mask.subarray(i * (b.L - 1), (i + 1) * (b.L - 1))),
  );
  const resp = (i: number, xs: number[][]) => xs[i].filter((_, t) => mask[i][t] > 0);
  const H3 = -(sigma(3) * Math.log(sigma(3)) + sigma(-3) * Math.log(sigma(-3)));
  close(resp(0, lp), [Math.log(sigma(3)), Math.log(0.5), 0]);
  close(resp(0, ent), [H3, Math.log(2), 0]);
  close(resp(1, lp), [Math.log(sigma(-3)), Math.log(sigma(3)), 0]);
  close(resp(1, ent), [H3, H3, 0]);
  // Outside the response every entry is 0.
  assert.ok(lp.every((row, i) => row.every((x, t) => mask[i][t] > 0 || x === 0)));
  // ∇_w log π("10") = (1 − σ(3))·(φ(a=1) − φ(a=0)) (step b has φ = 0).
  const row0 = tf.variableGrads(() =>
    tf.sum(tf.slice(policy.tokenLogProbs(tokens, valid).logProbs, [0, 0], [1, b.L - 1])) as tf.Scalar
  );
  const s = 1 - sigma(3);
  close(row0.grads[policy.variables[0].name].dataSync(), [s, s, s * 4 / 3, -s, -s, -s * 4 / 3], 1e-5);
  tf.dispose([tokens, valid, logProbs, entropy, row0.value, ...Object.values(row0.grads)]);
  policy.dispose();
});

Deno.test("SatAssignmentPolicy: weights round-trip, clone is independent, bad init names the field", async () => {
  const a = new SatAssignmentPolicy({ init: [1, 2, 3, 4, 5, 6] });
  const c = await a.clone();
  a.setWeights({ w: [0, 0, 0, 0, 0, 0] });
  assert.deepEqual(c.weights, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual((await a.getWeights()).w, [0, 0, 0, 0, 0, 0]);
  assert.throws(() => new SatAssignmentPolicy({ init: [1, 2] }), /SatAssignmentPolicy\.init/);
  assert.throws(() => a.setWeights({ w: [1] }), /weights\.w/);
  a.dispose();
  c.dispose();
  assert.equal(SAT_FEATURES, 6);
});

Deno.test("SatAssignmentPolicy under RLVRTrainer: seeded, no tensor leak, raises exact success on a fixed set", async () => {
  const task = new SatTask({ n: 3, k: 5, l: 5 });
  const rng = new Rng(11);
  const probe = Array.from({ length: 20 }, () => task.sample(rng));
  const run = async () => {
    const policy = new SatAssignmentPolicy({ contextLength: task.maxSequenceLength });
    const trainer = new RLVRTrainer({ policy, task, exclude: probe, config: { seed: 3, lr: 0.05 } });
    const before = probe.reduce((s, p) => s + policy.successProbability(p), 0) / probe.length;
    await trainer.train(3);
    const n3 = tf.memory().numTensors;
    await trainer.train(27);
    assert.equal(tf.memory().numTensors, n3, "no tensors leak across steps");
    const after = probe.reduce((s, p) => s + policy.successProbability(p), 0) / probe.length;
    const w = policy.weights;
    trainer.dispose();
    policy.dispose();
    return { before, after, w };
  };
  const x = await run();
  const y = await run();
  assert.deepEqual(x.w, y.w);
  assert.ok(x.after > x.before + 0.05, `${x.before} → ${x.after}`);
});
