import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { rlcrReward, rlcrTaskReward } from "../lib/rewards/rlcr.ts";
import { CONFIDENCE_VOCAB, ConfidenceAdditionTask, withReferenceLevels } from "../lib/tasks/confidence.ts";
import { carryCount } from "../lib/tasks/addition.ts";

const task = new ConfidenceAdditionTask({ maxDigits: 2, levels: [0, 0.25, 0.5, 0.75, 1] });
const enc = (s: string) => [...CONFIDENCE_VOCAB.encode(s), CONFIDENCE_VOCAB.eos];

Deno.test("ConfidenceAdditionTask: format, verify and confidence parsing (hand cases)", () => {
  const p = task.problem(7, 68, 3); // 75 → "570" reversed, fixed width; reference level 3 = "d"
  assert.equal(p.text.prompt, "07+68=");
  assert.equal(p.text.solution, "570|d");
  assert.equal(p.id, "addition:7+68");
  assert.deepEqual(p.solution, enc("570|d"));
  assert.equal(task.verify(p, enc("570|a")), 1);
  assert.equal(task.verify(p, enc("570|e")), 1);
  assert.equal(task.verify(p, enc("571|e")), 0);
  assert.equal(task.verify(p, enc("570")), 0, "separator required");
  assert.equal(task.verify(p, enc("5700|e")), 0);
  assert.equal(task.confidence(enc("570|a")), 0);
  assert.equal(task.confidence(enc("123|c")), 0.5);
  assert.equal(task.confidence(enc("570|e")), 1);
  assert.equal(task.confidence(CONFIDENCE_VOCAB.encode("570|b")), 0.25, "no eos: still parsable");
  assert.equal(task.confidence(enc("570")), null);
  assert.equal(task.confidence(enc("570|")), null);
  assert.equal(task.confidence(enc("570|5")), null);
  assert.equal(task.confidence(enc("570|ab")), null, "extra token after the confidence");
  assert.equal(task.maxSequenceLength, 13);
  // the confidence's reward is the RLCR rule on the parsed value: 1 − (0.25 − 1)² and 0 − 0.25²
  assert.equal(rlcrReward(task.verify(p, enc("570|b")), task.confidence(enc("570|b"))), 1 - 0.75 ** 2);
  assert.equal(rlcrReward(task.verify(p, enc("571|b")), task.confidence(enc("571|b"))), -(0.25 ** 2));
});

Deno.test("ConfidenceAdditionTask: reference confidence follows referenceWeights (binomial bound)", () => {
  const t = new ConfidenceAdditionTask({ levels: [0.2, 0.8], referenceWeights: [1, 3] });
  const rng = new Rng(5);
  const n = 4000;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const p = t.sample(rng);
    if (p.meta!.referenceConfidence === 0.8) high++;
    assert.equal(t.verify(p, p.solution), 1);
  }
  const se = Math.sqrt(0.75 * 0.25 / n); // ≈ 0.0068
  assert.ok(Math.abs(high / n - 0.75) < 4 * se, `share ${high / n}`);
  assert.throws(() => new ConfidenceAdditionTask({ levels: [0.5, 0.4] }), ConfigError);
  assert.throws(
    () => new ConfidenceAdditionTask({ levels: [0, 1], referenceWeights: [1] }),
    /referenceWeights/,
  );
  assert.throws(() => new ConfidenceAdditionTask({ levels: [0, 1.5] }), ConfigError);
});

Deno.test("rlcrTaskReward: the RLCR reward of a ConfidenceAdditionTask response (hand values)", () => {
  const p = task.problem(7, 68, 3); // answer "570"
  const r = rlcrTaskReward(task);
  assert.equal(r(p, enc("570|d")), 1 - 0.25 ** 2); // correct, q = 0.75
  assert.equal(r(p, enc("570|e")), 1); // correct, q = 1
  assert.equal(r(p, enc("571|a")), 0); // wrong, q = 0
  assert.equal(r(p, enc("571|c")), -0.25); // wrong, q = 0.5
  assert.equal(r(p, enc("570")), 0, "unparsable → paper's 0");
  assert.equal(rlcrTaskReward(task, { unparsableReward: -1 })(p, enc("570|ab")), -1);
  assert.throws(() => rlcrTaskReward(task, { unparsableReward: NaN }), /unparsableReward/);
});

Deno.test("carryCount: hand-counted column carries", () => {
  assert.equal(carryCount(12, 34), 0);
  assert.equal(carryCount(5, 5), 1);
  assert.equal(carryCount(38, 45), 1);
  assert.equal(carryCount(45, 55), 2);
  assert.equal(carryCount(99, 1), 2);
  assert.equal(carryCount(999, 999), 3);
  assert.equal(carryCount(0, 0), 0);
  assert.throws(() => carryCount(-1, 2), ConfigError);
});

Deno.test("withReferenceLevels: same problems, the reference confidence token is levelOf(problem)", () => {
  const task = new ConfidenceAdditionTask({ maxDigits: 2, referenceWeights: [1, 0, 0, 0, 0] });
  const levelOf = (p: { meta?: Record<string, unknown> }) => (Number(p.meta!.a) % 2 === 0 ? 4 : 2);
  const relabelled = withReferenceLevels(task, levelOf);
  const r1 = new Rng(4);
  const r2 = new Rng(4);
  for (let i = 0; i < 50; i++) {
    const p = task.sample(r1);
    const q = relabelled.sample(r2);
    assert.equal(q.id, p.id);
    assert.equal(q.difficulty, p.difficulty);
    assert.deepEqual(q.prompt, p.prompt);
    const a = Number(p.meta!.a);
    // "<answer>|<symbol><eos>": level 4 → "e" (q = 0.9), level 2 → "c" (q = 0.5)
    assert.equal(q.text.solution, `${p.text.solution.split("|")[0]}|${a % 2 === 0 ? "e" : "c"}`);
    assert.equal(q.meta!.referenceConfidence, a % 2 === 0 ? 0.9 : 0.5);
    assert.equal(relabelled.verify(q, q.solution), 1);
    assert.equal(task.confidence(q.solution.slice(0)), a % 2 === 0 ? 0.9 : 0.5);
  }
  assert.throws(() => task.relabel({ ...task.problem(1, 2), meta: {} }, 0), ConfigError);
});
