import assert from "node:assert/strict";
import { deriveSeed, Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";

const draws = (r: Rng, n: number) => Array.from({ length: n }, () => r.uniform());

Deno.test("rng: same seed gives identical streams across all draw kinds", () => {
  const a = new Rng(42), b = new Rng(42);
  for (let i = 0; i < 1000; i++) {
    assert.equal(a.uniform(), b.uniform());
    assert.equal(a.normal(), b.normal());
    assert.equal(a.int(7), b.int(7));
    assert.equal(a.categorical([0.2, 0.3, 0.5]), b.categorical([0.2, 0.3, 0.5]));
  }
  assert.deepEqual(a.shuffle([1, 2, 3, 4, 5, 6]), b.shuffle([1, 2, 3, 4, 5, 6]));
});

Deno.test("rng: different seeds differ; uniform lies in [0,1)", () => {
  const x = draws(new Rng(1), 100), y = draws(new Rng(2), 100);
  assert.notDeepEqual(x, y);
  assert.ok(x.every((u) => u >= 0 && u < 1));
});

Deno.test("rng: xoshiro128** reference output for state {1,2,3,4}", () => {
  // Reference values from the xoshiro128** C code (Blackman & Vigna) with s = {1, 2, 3, 4}:
  // first outputs 11520, 0, 5927040, 70819200 (hand-checkable: result = rotl(s1*5, 7)*9).
  const r = Rng.fromState({ s: [1, 2, 3, 4], seed: 0, spare: null });
  assert.deepEqual([r.nextUint32(), r.nextUint32(), r.nextUint32(), r.nextUint32()], [
    11520,
    0,
    5927040,
    70819200,
  ]);
});

Deno.test("rng: state snapshot resumes the exact stream (including the cached normal)", () => {
  const a = new Rng(7);
  a.normal(); // leaves a spare deviate cached
  const snap = JSON.parse(JSON.stringify(a.state));
  const b = Rng.fromState(snap);
  assert.deepEqual([a.normal(), a.uniform(), a.int(1000)], [b.normal(), b.uniform(), b.int(1000)]);
});

Deno.test("rng: split gives reproducible, distinct child streams and does not advance the parent", () => {
  const p = new Rng(3);
  const before = p.state;
  const c0 = p.split(0), c1 = p.split(1);
  assert.deepEqual(p.state, before);
  assert.deepEqual(draws(c0, 5), draws(new Rng(3).split(0), 5));
  assert.notDeepEqual(draws(p.split(0), 5), draws(c1, 5));
  assert.notEqual(deriveSeed(3, 0), deriveSeed(3, 1));
  assert.notEqual(deriveSeed(3, 0), deriveSeed(4, 0));
});

Deno.test("rng: categorical frequencies match probabilities within 4 standard errors over 1e5 draws", () => {
  const probs = [0.05, 0.15, 0.3, 0.5];
  const n = 100_000;
  const counts = new Array(probs.length).fill(0);
  const r = new Rng(2024);
  for (let i = 0; i < n; i++) counts[r.categorical(probs)]++;
  probs.forEach((p, i) => {
    const se = Math.sqrt(p * (1 - p) / n);
    assert.ok(Math.abs(counts[i] / n - p) < 4 * se, `category ${i}: ${counts[i] / n} vs ${p} (se ${se})`);
  });
});

Deno.test("rng: categoricalLogits equals softmax probabilities within 4 SE", () => {
  const logits = [1, 0, -1], n = 100_000;
  const z = logits.reduce((s, l) => s + Math.exp(l), 0);
  const counts = [0, 0, 0];
  const r = new Rng(5);
  for (let i = 0; i < n; i++) counts[r.categoricalLogits(logits)]++;
  logits.forEach((l, i) => {
    const p = Math.exp(l) / z, se = Math.sqrt(p * (1 - p) / n);
    assert.ok(Math.abs(counts[i] / n - p) < 4 * se);
  });
});

Deno.test("rng: normal has mean 0 and variance 1 within 4 SE; uniform mean 1/2", () => {
  const r = new Rng(11), n = 100_000;
  let s = 0, s2 = 0, u = 0;
  for (let i = 0; i < n; i++) {
    const z = r.normal();
    s += z;
    s2 += z * z;
    u += r.uniform();
  }
  assert.ok(Math.abs(s / n) < 4 / Math.sqrt(n));
  assert.ok(Math.abs(s2 / n - 1) < 4 * Math.sqrt(2 / n)); // Var(z²) = 2
  assert.ok(Math.abs(u / n - 0.5) < 4 * Math.sqrt(1 / 12 / n));
});

Deno.test("rng: int is unbiased over a non-power-of-two range; shuffle is a permutation", () => {
  const r = new Rng(9), n = 60_000, k = 6;
  const c = new Array(k).fill(0);
  for (let i = 0; i < n; i++) c[r.int(k)]++;
  const p = 1 / k, se = Math.sqrt(p * (1 - p) / n);
  c.forEach((x) => assert.ok(Math.abs(x / n - p) < 4 * se));
  const s = r.shuffle([...Array(50).keys()]);
  assert.deepEqual([...s].sort((a, b) => a - b), [...Array(50).keys()]);
  assert.deepEqual(r.sampleWithoutReplacement(10, 10).sort((a, b) => a - b), [...Array(10).keys()]);
});

Deno.test("rng: bad input names the argument", () => {
  assert.throws(() => new Rng(1.5), (e: Error) => e instanceof ConfigError && /seed/.test(e.message));
  assert.throws(() => new Rng(1).categorical([0.5, 0.6]), /probs must sum to 1/);
  assert.throws(() => new Rng(1).categorical([0.5, NaN]), /probs\[1\]/);
  assert.throws(() => new Rng(1).int(0), /n must be an integer ≥ 1/);
  assert.throws(() => new Rng(1).split(-1), /index/);
});
