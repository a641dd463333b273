import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { PERMUTATION_VOCAB, permutationCount, PermutationTask } from "../lib/tasks/mod.ts";

const enc = (s: string) => PERMUTATION_VOCAB.encode(s);
const eos = PERMUTATION_VOCAB.eos;

/** All length-n strings over the digits 0…9 (brute force for the enumeration checks). */
function allStrings(n: number): string[] {
  let out = [""];
  for (let i = 0; i < n; i++) out = out.flatMap((s) => Array.from({ length: 10 }, (_, d) => s + d));
  return out;
}

Deno.test("permutation: format and verifier on hand cases", () => {
  const task = new PermutationTask({ maxDigits: 4 });
  const p = task.problem("3141");
  assert.equal(p.text.prompt, "3141=");
  assert.equal(p.text.solution, "1134");
  assert.deepEqual(p.prompt, [PERMUTATION_VOCAB.bos, ...enc("3141=")]);
  assert.deepEqual(p.solution, [...enc("1134"), eos]);
  assert.equal(p.difficulty, 4);
  for (const ok of ["1134", "3141", "4311", "1413"]) assert.equal(task.verify(p, [...enc(ok), eos]), 1, ok);
  assert.equal(task.verify(p, enc("4113")), 1, "eos optional");
  assert.equal(task.verify(p, [...enc("4113"), eos, ...enc("9")]), 1, "tokens after eos ignored");
  for (const bad of ["1133", "113", "11344", "1234", "3141=", "=314"]) {
    assert.equal(task.verify(p, [...enc(bad), eos]), 0, bad);
  }
  // Special tokens are not digits: a pad in place of a digit is wrong.
  assert.equal(task.verify(p, [...enc("113"), PERMUTATION_VOCAB.pad, eos]), 0);
  assert.equal(task.maxSequenceLength, 11);
  assert.equal(p.prompt.length + p.solution.length, task.maxSequenceLength);
});

Deno.test("permutation: count of valid answers = brute-force enumeration of accepted strings", () => {
  const task = new PermutationTask({ minDigits: 1, maxDigits: 4 });
  // Hand values: 4!/2! = 12, 4! = 24, 1, 4!/(2!2!) = 6, 3!/(2!) = 3.
  assert.equal(permutationCount("3141"), 12);
  assert.equal(permutationCount("1234"), 24);
  assert.equal(permutationCount("7777"), 1);
  assert.equal(permutationCount("1212"), 6);
  assert.equal(permutationCount("090"), 3);
  const strings4 = allStrings(4);
  const strings3 = allStrings(3);
  for (const digits of ["3141", "1234", "7777", "1212", "0090", "090", "5"]) {
    const p = task.problem(digits);
    const pool = digits.length === 4 ? strings4 : digits.length === 3 ? strings3 : allStrings(1);
    const accepted = pool.filter((s) => task.verify(p, [...enc(s), eos]) === 1).length;
    assert.equal(accepted, permutationCount(digits), digits);
    assert.equal(p.meta!.answers, accepted, digits);
  }
});

Deno.test("permutation: sampling is seeded, digit counts in range, config errors name the field", () => {
  const task = new PermutationTask({ minDigits: 2, maxDigits: 3, base: 4 });
  const a = Array.from({ length: 50 }, (_, i) => task.sample(new Rng(i)).id);
  const b = Array.from({ length: 50 }, (_, i) => task.sample(new Rng(i)).id);
  assert.deepEqual(a, b);
  for (let i = 0; i < 200; i++) {
    const p = task.sample(new Rng(1000 + i));
    const d = String(p.meta!.digits);
    assert.ok(d.length >= 2 && d.length <= 3);
    assert.ok(/^[0-3]+$/.test(d), d);
  }
  assert.equal(String(task.sample(new Rng(1), { digits: 2 }).meta!.digits).length, 2);
  const err = (f: () => unknown, field: string) =>
    assert.throws(f, (e: unknown) => e instanceof ConfigError && e.field === field);
  err(() => new PermutationTask({ minDigits: 0 }), "permutation.minDigits");
  err(() => new PermutationTask({ minDigits: 3, maxDigits: 2 }), "permutation.maxDigits");
  err(() => new PermutationTask({ base: 11 }), "permutation.base");
  err(() => task.sample(new Rng(1), { digits: 4 }), "digits");
});
