import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import {
  ADDITION_VOCAB,
  additionAnswer,
  AdditionTask,
  CharVocabulary,
  makeDataset,
  SAT_VOCAB,
  satDifficulty,
  satisfies,
  SatTask,
} from "../lib/tasks/mod.ts";

Deno.test("vocab: encode/decode round trip, specials dropped, unknown symbol names it", () => {
  const v = new CharVocabulary("0123456789+=");
  assert.equal(v.pad, 0);
  assert.equal(v.bos, 1);
  assert.equal(v.eos, 2);
  assert.deepEqual(v.encode("10+2="), [4, 3, 13, 5, 14]);
  assert.equal(v.decode([v.bos, ...v.encode("907+13="), v.eos, v.pad]), "907+13=");
  assert.throws(() => v.encode("1*2"), (e: Error) => e instanceof ConfigError && /"\*"/.test(e.message));
  assert.throws(() => v.decode([99]), ConfigError);
  assert.throws(() => new CharVocabulary("aba"), ConfigError);
  assert.deepEqual(v.untilEos([5, 6, v.eos, 7]), [5, 6]);
});

Deno.test("addition: reversed answer, verifier on hand cases", () => {
  assert.equal(additionAnswer(57, 68), "521"); // 125 reversed
  assert.equal(additionAnswer(57, 68, false), "125");
  assert.equal(additionAnswer(0, 0), "0");
  const task = new AdditionTask({ maxDigits: 3, fixedWidth: false });
  const p = task.problem(57, 68);
  assert.equal(p.text.prompt, "57+68=");
  assert.deepEqual(p.prompt, [1, ...ADDITION_VOCAB.encode("57+68=")]);
  assert.deepEqual(p.solution, [...ADDITION_VOCAB.encode("521"), 2]);
  assert.equal(p.difficulty, 2);
  const enc = (s: string) => ADDITION_VOCAB.encode(s);
  assert.equal(task.verify(p, [...enc("521"), 2]), 1);
  assert.equal(task.verify(p, enc("521")), 1); // eos optional
  assert.equal(task.verify(p, [...enc("521"), 2, ...enc("99")]), 1); // after eos ignored
  assert.equal(task.verify(p, [...enc("125"), 2]), 0); // unreversed is wrong
  assert.equal(task.verify(p, [...enc("5210"), 2]), 0); // extra digit
  assert.equal(task.verify(p, [...enc("52"), 2]), 0); // missing digit
  assert.equal(task.verify(p, [2]), 0);
  const normal = new AdditionTask({ reverseAnswer: false, fixedWidth: false });
  assert.equal(normal.verify(normal.problem(57, 68), [...enc("125"), 2]), 1);
});

Deno.test("addition: fixed width (default) zero-pads operands to maxDigits and the sum to maxDigits+1", () => {
  const task = new AdditionTask({ maxDigits: 2 });
  const p = task.problem(7, 68); // 75 → "075" → reversed "570"
  assert.equal(p.text.prompt, "07+68=");
  assert.equal(p.text.solution, "570");
  assert.equal(p.difficulty, 2);
  const enc = (s: string) => ADDITION_VOCAB.encode(s);
  assert.equal(task.verify(p, [...enc("570"), 2]), 1);
  assert.equal(task.verify(p, [...enc("57"), 2]), 0); // the padding zero is part of the answer
  assert.equal(task.problem(99, 99).text.solution, "891"); // 198 reversed
  assert.equal(task.problem(0, 3).text.solution, "300");
  assert.throws(() => task.problem(100, 1), /maxDigits/);
  const rng = new Rng(3);
  for (let i = 0; i < 50; i++) {
    const q = task.sample(rng);
    assert.equal(q.prompt.length, 7);
    assert.equal(q.solution.length, 4);
  }
});

Deno.test("addition: sampled problems have the requested digits and fit maxSequenceLength", () => {
  const task = new AdditionTask({ minDigits: 1, maxDigits: 3 });
  const rng = new Rng(1);
  for (let i = 0; i < 200; i++) {
    const p = task.sample(rng);
    const { a, b, sum } = p.meta as { a: number; b: number; sum: number };
    assert.equal(sum, a + b);
    assert.equal(String(a).length, p.difficulty);
    assert.equal(String(b).length, p.difficulty);
    assert.ok(p.prompt.length + p.solution.length <= task.maxSequenceLength);
  }
  const p3 = task.sample(rng, { digits: 3 });
  assert.equal(p3.prompt.length + p3.solution.length <= 14, true);
  assert.throws(() => task.sample(rng, { digits: 4 }), /digits/);
  assert.throws(() => task.sample(rng, { digit: 2 } as never), /addition\.sample\.digit/);
  assert.throws(() => new AdditionTask({ minDigits: 3, maxDigits: 2 }), /addition\.maxDigits/);
});

Deno.test("sat: difficulty formula on hand values", () => {
  // (3, 5, 5): log2 5 + 2 log2 5 − 3 + 5/3
  assert.ok(Math.abs(satDifficulty(3, 5, 5) - (3 * Math.log2(5) - 3 + 5 / 3)) < 1e-12);
  // (2, 4, 8): 2 + 6 − 2 + 2 = 8
  assert.equal(satDifficulty(2, 4, 8), 8);
  // (1, 1, 1): 0 + 0 − 1 + 1 = 0
  assert.equal(satDifficulty(1, 1, 1), 0);
});

Deno.test("sat: hand-built instance, verifier accepts satisfying and rejects falsifying assignments", () => {
  const task = new SatTask({ n: 2, k: 3, l: 3 });
  // (a ∨ ¬b) ∧ (b ∨ c) ∧ (¬a ∨ ¬c); a=1,b=1,c=0 satisfies all three.
  const clauses = [[1, -2], [2, 3], [-1, -3]];
  const p = task.problem(clauses, [true, true, false]);
  assert.equal(p.text.prompt, "a~b,bc,~a~c:abc=");
  assert.equal(p.text.solution, "110");
  const enc = (s: string) => SAT_VOCAB.encode(s);
  assert.equal(task.verify(p, [...enc("110"), 2]), 1);
  assert.equal(task.verify(p, [...enc("001"), 2]), 1); // another model: a=0,b=0,c=1
  assert.equal(task.verify(p, [...enc("111"), 2]), 0); // violates (¬a ∨ ¬c)
  assert.equal(task.verify(p, [...enc("010"), 2]), 0); // violates (a ∨ ¬b)
  assert.equal(task.verify(p, [...enc("11"), 2]), 0); // too short
  assert.equal(task.verify(p, [...enc("1100"), 2]), 0); // too long
  assert.equal(task.verify(p, [...enc("1a0"), 2]), 0); // not a bit
  assert.throws(() => task.problem(clauses, [true, true, true]), /planted/);
  assert.equal(satisfies([[1, 2]], [false, false]), false);
});

Deno.test("sat: sampled instances are satisfied by their planted assignment and fit maxSequenceLength", () => {
  const task = new SatTask({ n: 3, k: 6, l: 8 });
  const rng = new Rng(7);
  for (let i = 0; i < 200; i++) {
    const p = task.sample(rng);
    const { clauses, planted } = p.meta as { clauses: number[][]; planted: boolean[] };
    assert.equal(clauses.length, 8);
    for (const c of clauses) {
      assert.equal(c.length, 3);
      assert.equal(new Set(c.map(Math.abs)).size, 3);
    }
    assert.ok(satisfies(clauses, planted));
    assert.equal(task.verify(p, p.solution), 1);
    assert.ok(p.prompt.length + p.solution.length <= task.maxSequenceLength);
    assert.equal(p.difficulty, satDifficulty(3, 6, 8));
  }
  assert.throws(() => task.sample(rng, { n: 7 }), /sat\.n/);
  assert.throws(() => new SatTask({ k: 27 }), /sat\.k/);
});

Deno.test("makeDataset: distinct ids, deterministic in seed, excludes a given split", () => {
  const task = new AdditionTask({ maxDigits: 1 });
  const a = makeDataset(task, 50, 123);
  assert.equal(new Set(a.map((p) => p.id)).size, 50);
  assert.deepEqual(makeDataset(task, 50, 123).map((p) => p.id), a.map((p) => p.id));
  const b = makeDataset(task, 50, 456, { exclude: a });
  const aIds = new Set(a.map((p) => p.id));
  assert.ok(b.every((p) => !aIds.has(p.id)));
  assert.throws(() => makeDataset(task, 101, 1), ConfigError); // only 100 one-digit sums exist
});
