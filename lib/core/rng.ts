/**
 * Seedable, splittable pseudo-random number generator used by every Sweetspot module.
 *
 * Core: xoshiro128** (Blackman & Vigna 2018) on four 32-bit words, seeded through SplitMix32 so any
 * integer seed gives a well-mixed state. `split(i)` derives an independent child stream by hashing the
 * parent's seed path with the child index (the parent stream is not advanced), so adding a consumer never
 * shifts another consumer's numbers. The full state is a small JSON object (`state` / `Rng.fromState`) for
 * checkpointing and bit-identical resumes.
 */

import { assertFiniteNumber, assertInteger, assertProbabilities, ConfigError } from "./validate.ts";

/** Serializable generator state: the xoshiro words, the seed path and a cached spare normal deviate. */
export interface RngState {
  /** xoshiro128** state words (unsigned 32-bit). */
  s: [number, number, number, number];
  /** Seed that created this stream (root seed or derived child seed). */
  seed: number;
  /** Cached second Box–Muller deviate, or null. */
  spare: number | null;
}

/** SplitMix32 step: returns [next state, output] — the standard seeding mixer for xoshiro. */
function splitmix32(x: number): [number, number] {
  x = (x + 0x9e3779b9) | 0;
  let z = x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  z ^= z >>> 16;
  return [x, z >>> 0];
}

/** Mix a seed with a stream index into a new 32-bit seed (murmur3 finalizer over both words). */
export function deriveSeed(seed: number, index: number): number {
  let h = Math.imul((seed | 0) ^ 0x27d4eb2d, 0x9e3779b1) ^ Math.imul((index | 0) + 0x165667b1, 0x85ebca77);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  h ^= h >>> 15;
  return h >>> 0;
}

/** Seedable xoshiro128** generator with uniform, normal, categorical, shuffle and child streams. */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;
  /** The seed this stream was created from (root seed or derived child seed). */
  readonly seed: number;

  /** Create a generator from an integer seed (any 32-bit integer; the same seed gives the same stream). */
  constructor(seed: number) {
    assertInteger("seed", seed);
    this.seed = seed >>> 0;
    let x = this.seed;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [nx, out] = splitmix32(x);
      x = nx;
      words.push(out);
    }
    if (!words.some((w) => w !== 0)) words[0] = 1; // xoshiro's forbidden all-zero state
    [this.s0, this.s1, this.s2, this.s3] = words;
  }

  /** Restore a generator from a `state` snapshot; continues the exact same stream. */
  static fromState(state: RngState): Rng {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new ConfigError("state", "must be an RngState {s: [4 uint32], seed, spare}", state);
    }
    const r = new Rng(state.seed);
    [r.s0, r.s1, r.s2, r.s3] = state.s.map((w) => w >>> 0);
    r.spare = state.spare;
    return r;
  }

  /** Snapshot of the full state (JSON-serializable) for checkpoints. */
  get state(): RngState {
    return { s: [this.s0, this.s1, this.s2, this.s3], seed: this.seed, spare: this.spare };
  }

  /** Next raw unsigned 32-bit integer (xoshiro128** output). */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    this.s3 >>>= 0;
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform double in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in {0, …, n−1} (unbiased, by rejection). */
  int(n: number): number {
    assertInteger("n", n, { min: 1 });
    if (n > 0x100000000) return Math.floor(this.uniform() * n);
    const limit = 0x100000000 - (0x100000000 % n);
    let x: number;
    do x = this.nextUint32(); while (x >= limit);
    return x % n;
  }

  /** Bernoulli draw: true with probability p. */
  bernoulli(p: number): boolean {
    assertFiniteNumber("p", p, { min: 0, max: 1 });
    return this.uniform() < p;
  }

  /** Normal deviate N(mean, std²) by the Box–Muller transform (the spare deviate is cached in state). */
  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Index i drawn with probability probs[i] (inverse CDF; probs must be ≥ 0 and sum to 1 within 1e-6). */
  categorical(probs: ArrayLike<number>): number {
    assertProbabilities("probs", probs);
    const u = this.uniform();
    let acc = 0;
    for (let i = 0; i < probs.length; i++) {
      acc += probs[i];
      if (u < acc) return i;
    }
    // Rounding: return the last index with positive mass.
    for (let i = probs.length - 1; i >= 0; i--) if (probs[i] > 0) return i;
    return probs.length - 1;
  }

  /** Index drawn from softmax(logits / temperature), computed stably. */
  categoricalLogits(logits: ArrayLike<number>, temperature = 1): number {
    assertFiniteNumber("temperature", temperature, { min: 0, exclusiveMin: true });
    let max = -Infinity;
    for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
    const p = new Float64Array(logits.length);
    let z = 0;
    for (let i = 0; i < logits.length; i++) {
      p[i] = Math.exp((logits[i] - max) / temperature);
      z += p[i];
    }
    const u = this.uniform() * z;
    let acc = 0;
    for (let i = 0; i < p.length; i++) {
      acc += p[i];
      if (u < acc) return i;
    }
    return p.length - 1;
  }

  /** Fisher–Yates shuffle; returns a new shuffled array, leaving the input untouched. */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }

  /** k distinct indices from {0, …, n−1}, uniformly without replacement. */
  sampleWithoutReplacement(n: number, k: number): number[] {
    assertInteger("k", k, { min: 0, max: n });
    return this.shuffle(Array.from({ length: n }, (_, i) => i)).slice(0, k);
  }

  /** Independent child stream number `index`; deterministic in (this.seed, index), does not advance this stream. */
  split(index: number): Rng {
    assertInteger("index", index, { min: 0 });
    return new Rng(deriveSeed(this.seed, index));
  }

  /** A fresh 31-bit integer seed for a tfjs op that takes `seed` (advances this stream). */
  tfSeed(): number {
    return this.nextUint32() >>> 1;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
