import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { DivisorTask, nontrivialDivisors, smallestPrimeFactor } from "../lib/tasks/divisor.ts";
import { makeDataset } from "../lib/tasks/dataset.ts";

Deno.test("smallestPrimeFactor and nontrivialDivisors: hand-computed cases", () => {
  assert.equal(smallestPrimeFactor(91), 7); // 7·13
  assert.equal(smallestPrimeFactor(1001), 7); // 7·11·13
  assert.equal(smallestPrimeFactor(121), 11);
  assert.equal(smallestPrimeFactor(97), 97);
  assert.equal(smallestPrimeFactor(4096), 2);
  assert.deepEqual(nontrivialDivisors(12), [2, 3, 4, 6]);
  assert.deepEqual(nontrivialDivisors(49), [7]);
  assert.deepEqual(nontrivialDivisors(13), []);
  assert.deepEqual(nontrivialDivisors(1001), [7, 11, 13, 77, 91, 143]);
  assert.throws(() => smallestPrimeFactor(1), ConfigError);
});

Deno.test("DivisorTask: verifier on hand cases, 1001 = 7·11·13", () => {
  const task = new DivisorTask({ digits: 4 });
  const q = task.problem(1001);
  assert.equal(q.text.prompt, "1001=");
  assert.equal(q.text.solution, "7");
  assert.equal(q.difficulty, 7);
  const say = (s: string) => task.verify(q, [...task.vocab.encode(s), task.vocab.eos]);
  for (const ok of ["7", "11", "13", "77", "91", "143"]) assert.equal(say(ok), 1, ok);
  for (const bad of ["1", "1001", "3", "07", "0", "", "7=", "14", "2002"]) assert.equal(say(bad), 0, bad);
  // without an eos the whole response is read; tokens after the eos are ignored
  assert.equal(task.verify(q, task.vocab.encode("13")), 1);
  assert.equal(task.verify(q, [...task.vocab.encode("13"), task.vocab.eos, ...task.vocab.encode("5")]), 1);
  assert.throws(() => task.problem(97), ConfigError);
});

Deno.test("DivisorTask: acceptedResponses is exactly the set of strings the verifier accepts", () => {
  const task = new DivisorTask({ digits: 3 });
  for (const n of [105, 231, 343, 999, 121]) {
    const q = task.problem(n);
    const accepted = new Set(task.acceptedResponses(q).map((r) => task.vocab.decode(r)));
    // every string of up to 3 digits (leading zeros included) against n % d computed here
    for (let len = 1; len <= 3; len++) {
      for (let m = 0; m < 10 ** len; m++) {
        const s = String(m).padStart(len, "0");
        const truth = s[0] !== "0" && m > 1 && m < n && n % m === 0;
        assert.equal(task.verify(q, [...task.vocab.encode(s), task.vocab.eos]), truth ? 1 : 0, `${n}: ${s}`);
        assert.equal(accepted.has(s), truth, `${n}: ${s} in A(x)`);
      }
    }
    for (const r of task.acceptedResponses(q)) assert.equal(r.at(-1), task.vocab.eos);
  }
});

Deno.test("DivisorTask: pools by smallest prime factor (2-digit, hand-listed) and sampling weights", () => {
  const task = new DivisorTask({ digits: 2, factors: [3, 7] });
  assert.deepEqual(task.pools[0], [15, 21, 27, 33, 39, 45, 51, 57, 63, 69, 75, 81, 87, 93, 99]);
  assert.deepEqual(task.pools[1], [49, 77, 91]);
  assert.deepEqual(task.factorWeights.map((w) => Math.round(w * 18)), [15, 3]); // each n equally likely
  const weighted = new DivisorTask({ digits: 2, factors: [3, 7], weights: [0.5, 0.5] });
  const rng = new Rng(7);
  const N = 4000;
  let sevens = 0;
  for (let i = 0; i < N; i++) {
    const q = weighted.sample(rng);
    const n = q.meta!.n as number;
    assert.equal(smallestPrimeFactor(n), q.difficulty);
    if (q.difficulty === 7) sevens++;
  }
  // Binomial(4000, 0.5): sd ≈ 31.6; 5 sd either side
  assert.ok(Math.abs(sevens - N / 2) < 5 * Math.sqrt(N / 4), `${sevens}`);
  const set = makeDataset(task, 10, 3);
  assert.equal(new Set(set.map((q) => q.id)).size, 10);
});

Deno.test("DivisorTask: bad config names the field", () => {
  assert.throws(() => new DivisorTask({ factors: [3, 4] }), /divisor\.factors/);
  assert.throws(() => new DivisorTask({ factors: [7, 3] }), /divisor\.factors/);
  assert.throws(() => new DivisorTask({ digits: 6 }), /divisor\.digits/);
  assert.throws(() => new DivisorTask({ weights: [0.5, 0.5] }), /divisor\.weights/);
  assert.throws(() => new DivisorTask({ weights: [0.5, 0.4, 0.05] }), /divisor\.weights/);
  assert.throws(() => new DivisorTask({ digits: 2, factors: [97] }), /divisor\.factors/);
});
