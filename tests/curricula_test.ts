import assert from "node:assert/strict";
import {
  AdaptiveGuidance,
  BalancedDifficultyFilter,
  DynamicSampling,
  fit3PL,
  inverse3PL,
  prepare3PLPoints,
  SatLadder,
  seeleNextHintRate,
  SeeleScaffold,
  threePL,
} from "../lib/curricula/mod.ts";
import type { CurriculumContext, GenerateFn, RolloutGroup, RolloutRequest } from "../lib/curricula/types.ts";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import type { Problem } from "../lib/tasks/types.ts";
import { SimChain } from "../lib/tasks/chain.ts";
import { TabularSoftmaxPolicy } from "../lib/policies/tabular.ts";
import { makeGenerate } from "../lib/train/rollouts.ts";
import { RLVRTrainer, TIMING_COLUMNS } from "../lib/train/trainer.ts";

const close = (a: number, b: number, tol: number, msg = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${msg} ${a} vs ${b} (tol ${tol})`);

/** Binomial(n, p) draw by n Bernoulli trials. */
function binomial(rng: Rng, n: number, p: number): number {
  let x = 0;
  for (let i = 0; i < n; i++) if (rng.uniform() < p) x++;
  return x;
}

function choose(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}

/** P(lo ≤ X ≤ hi) for X ~ Binomial(n, p). */
function binomRange(n: number, p: number, lo: number, hi: number): number {
  let s = 0;
  for (let x = lo; x <= hi; x++) s += choose(n, x) * p ** x * (1 - p) ** (n - x);
  return s;
}

// ---------------------------------------------------------------------------------------------- 3PL fit

const SETS = [
  { k: 10, mu: -0.5, b: 0.2 },
  { k: 12, mu: -0.45, b: 0.3 },
  { k: 15, mu: -0.6, b: 0.15 },
  { k: 8, mu: -0.7, b: 0.25 },
  { k: 20, mu: -0.4, b: 0.15 },
];

function noisyCurve(rng: Rng, th: { k: number; mu: number; b: number }, points: number, n: number) {
  return Array.from({ length: points }, (_, i) => {
    const p = i / (points - 1);
    return { p, accuracy: binomial(rng, n, threePL(p, th)) / n };
  });
}

Deno.test("fit3PL recovers (k, μ, b) within 10% from binomial-noise curves (15 hint rates, n = 2000 each)", () => {
  // Noise: accuracy at each of 15 evenly spaced hint rates in [0, 1] is Binomial(2000, f(p))/2000 (σ ≤ 0.011).
  // At n = 200 the sampling SD of k̂ alone is ≈ 10%, so a 10% bar needs ≈ 2000 rollouts per point.
  // Midpoints −μ ∈ [0.4, 0.7] so the floor b is observed; every parameter within 10% relative (|μ| ≥ 0.4).
  const rng = new Rng(2024);
  for (const th of SETS) {
    for (let rep = 0; rep < 2; rep++) {
      const f = fit3PL(noisyCurve(rng, th, 15, 2000));
      close(f.k / th.k, 1, 0.1, `k for ${JSON.stringify(th)}`);
      close(f.mu / th.mu, 1, 0.1, `μ for ${JSON.stringify(th)}`);
      close(f.b / th.b, 1, 0.1, `b for ${JSON.stringify(th)}`);
    }
  }
});

Deno.test("fit3PL: noiseless curve recovered to 1e-4; at n = 200 the fit is never worse than the truth", () => {
  for (const th of SETS) {
    const exact = Array.from({ length: 11 }, (_, i) => ({ p: i / 10, accuracy: threePL(i / 10, th) }));
    const f = fit3PL(exact, { loss: "linear" });
    close(f.k, th.k, 1e-4 * th.k, "k");
    close(f.mu, th.mu, 1e-4, "μ");
    close(f.b, th.b, 1e-4, "b");
  }
  // Optimizer quality at realistic noise (13 rates × 200 rollouts): robust loss at the fit ≤ loss at the true parameters.
  const softL1 = (r: number, s = 0.1) => 2 * s * s * (Math.sqrt(1 + (r * r) / (s * s)) - 1);
  const rng = new Rng(7);
  for (const th of SETS) {
    const pts = noisyCurve(rng, th, 13, 200);
    const f = fit3PL(pts);
    const lossTrue = pts.reduce((t, q) => t + softL1(threePL(q.p, th) - q.accuracy), 0);
    const lossFit = pts.reduce((t, q) => t + softL1(threePL(q.p, f) - q.accuracy), 0);
    close(f.loss, lossFit, 1e-9, "reported loss");
    assert.ok(lossFit <= lossTrue + 1e-12, `${lossFit} > ${lossTrue}`);
  }
});

Deno.test("fit3PL robust losses: one gross outlier barely moves soft-L1 / Huber fits, but skews least squares", () => {
  const th = { k: 10, mu: -0.5, b: 0.2 };
  const pts = Array.from({ length: 13 }, (_, i) => ({ p: i / 12, accuracy: threePL(i / 12, th) }));
  pts[3].accuracy = 0.9; // true value ≈ 0.21
  for (const loss of ["soft_l1", "huber"] as const) {
    const f = fit3PL(pts, { loss, lossScale: 0.05 });
    close(f.k / th.k, 1, 0.1, `${loss} k`);
    close(f.mu / th.mu, 1, 0.1, `${loss} μ`);
    close(f.b / th.b, 1, 0.1, `${loss} b`);
  }
  const ls = fit3PL(pts, { loss: "linear" });
  assert.ok(Math.abs(ls.k / th.k - 1) > 0.2, `least squares k = ${ls.k}`);
});

Deno.test("inverse3PL closed form, clamping; anchors and degenerate all-0 / all-1 accuracies", () => {
  const th = { k: 9, mu: -0.55, b: 0.1 };
  for (const a of [0.2, 0.5, 0.8]) {
    const p = inverse3PL(a, th);
    close(threePL(p, th), a, 1e-12);
  }
  // Midpoint: f(−μ) = b + (1 − b)/2.
  close(inverse3PL(0.1 + 0.9 / 2, th), 0.55, 1e-12);
  assert.equal(inverse3PL(0.05, th), 0); // below the floor b
  assert.equal(inverse3PL(1, th), 1);
  assert.equal(inverse3PL(0.99, { k: 2, mu: -0.5, b: 0 }), 1); // beyond p = 1: clamped
  // Anchors only where p = 0 / p = 1 are unobserved; equal p averaged (count-weighted).
  assert.deepEqual(prepare3PLPoints([{ p: 0.5, accuracy: 0.25 }, { p: 0.5, accuracy: 0.75 }]), [
    { p: 0, accuracy: 0 },
    { p: 0.5, accuracy: 0.5 },
    { p: 1, accuracy: 1 },
  ]);
  assert.deepEqual(
    prepare3PLPoints([{ p: 0, accuracy: 0.25, count: 3 }, { p: 0, accuracy: 0.75, count: 1 }]),
    [
      { p: 0, accuracy: 0.375 },
      { p: 1, accuracy: 1 },
    ],
  );
  // Degenerate: all rollouts fail → more hint; all succeed → less hint; always within [0, 1].
  const more = seeleNextHintRate([{ p: 0.3, accuracy: 0 }, { p: 0.6, accuracy: 0 }]);
  assert.ok(more > 0.6 && more <= 1, `${more}`);
  const less = seeleNextHintRate([{ p: 0.6, accuracy: 1 }, { p: 0.3, accuracy: 1 }]);
  assert.ok(less >= 0 && less < 0.3, `${less}`);
  assert.equal(seeleNextHintRate([{ p: 1, accuracy: 0 }]), 1);
  assert.equal(seeleNextHintRate([{ p: 0, accuracy: 1 }]), 0);
  assert.throws(() => fit3PL([{ p: 1.5, accuracy: 0.5 }]), ConfigError);
  assert.throws(() => fit3PL([], { anchors: false }), ConfigError);
  assert.throws(() => fit3PL([{ p: 0.5, accuracy: 0.5 }], { los: "x" } as never), ConfigError);
});

// ---------------------------------------------------------------------------------------------- filters

/** Problems with known pass rates and a generate function drawing Bernoulli(p) rewards. */
function bernoulliBed(passRates: number[], seed: number) {
  const problems: Problem[] = passRates.map((p, i) => ({
    id: `p${i}`,
    task: "bernoulli",
    difficulty: 0,
    prompt: [1],
    solution: [3, 4, 5, 6, 7, 8, 9, 2],
    text: { prompt: "", solution: "" },
    meta: { p },
  }));
  const rng = new Rng(seed);
  const calls: { requests: RolloutRequest[]; groupSize: number }[] = [];
  const generate: GenerateFn = (requests, groupSize) => {
    calls.push({ requests, groupSize });
    return Promise.resolve(requests.map(({ problem, hintLength }): RolloutGroup => {
      const rewards = Array.from(
        { length: groupSize },
        () => (rng.uniform() < (problem.meta!.p as number) ? 1 : 0),
      );
      return {
        problem,
        hintLength: hintLength ?? 0,
        responses: rewards.map(() => [3, 2]),
        logProbs: rewards.map(() => [0, 0]),
        rewards,
      };
    }));
  };
  const ctx = (step: number, batchSize: number, groupSize: number): CurriculumContext => ({
    step,
    rng: rng.split(step + 1),
    batchSize,
    groupSize,
    sampleProblem: (r: Rng) => problems[r.int(problems.length)],
    generate,
  });
  return { problems, generate, calls, ctx };
}

const RATES = [0.05, 0.2, 0.35, 0.5, 0.65, 0.8, 0.95];

Deno.test("BalancedDifficultyFilter: per-prompt kept fraction = P(0.2 ≤ p̂ ≤ 0.8) under Binomial(8, p) (4 SE)", async () => {
  // One sampling round per step (maxRounds 1): each considered group is kept independently, so the kept
  // fraction per prompt is a plain binomial proportion with SE = √(q(1 − q)/N).
  const bed = bernoulliBed(RATES, 1);
  const f = new BalancedDifficultyFilter({ maxRounds: 1 });
  const seen = new Map<string, { n: number; kept: number }>();
  for (let step = 0; step < 60; step++) {
    const batch = await f.nextBatch(bed.ctx(step, 64, 8));
    for (const call of bed.calls.splice(0)) {
      for (const r of call.requests) {
        const e = seen.get(r.problem.id) ?? { n: 0, kept: 0 };
        e.n++;
        seen.set(r.problem.id, e);
      }
    }
    for (const g of batch.groups) seen.get(g.problem.id)!.kept++;
    assert.equal(batch.rolloutsGenerated, 64 * 8);
    assert.equal(batch.stats.rolloutsTrained, batch.groups.length * 8);
    close(batch.stats.keptFraction, batch.groups.length / 64, 1e-12);
  }
  bed.problems.forEach((p, i) => {
    const q = binomRange(8, RATES[i], 2, 6); // p̂ = X/8 ∈ [0.2, 0.8] ⇔ 2 ≤ X ≤ 6 (1.6 → 2, 6.4 → 6)
    const { n, kept } = seen.get(p.id)!;
    close(kept / n, q, 4 * Math.sqrt(q * (1 - q) / n) + 1e-9, `p = ${RATES[i]} (n = ${n})`);
  });
});

Deno.test("BalancedDifficultyFilter: resamples until full; kept fraction = mean P(keep) (4 SE, delta method)", async () => {
  const bed = bernoulliBed(RATES, 2);
  const f = new BalancedDifficultyFilter({ low: 0.2, high: 0.8 });
  const q = RATES.reduce((t, p) => t + binomRange(8, p, 2, 6), 0) / RATES.length;
  const B = 32, steps = 40;
  let considered = 0;
  for (let step = 0; step < steps; step++) {
    const batch = await f.nextBatch(bed.ctx(step, B, 8));
    assert.equal(batch.groups.length, B);
    assert.equal(batch.stats.partial, 0);
    const requested = bed.calls.splice(0).reduce((t, c) => t + c.requests.length, 0);
    assert.equal(batch.stats.groupsConsidered, requested);
    assert.equal(batch.rolloutsGenerated, requested * 8);
    for (const g of batch.groups) {
      const ph = g.rewards.reduce((a, b) => a + b, 0) / 8;
      assert.ok(ph >= 0.2 && ph <= 0.8);
    }
    considered += requested;
  }
  // Exactly B·steps passes over N considered; N is a sum of negative-binomial waits, so
  // q̂ = B·steps/N has SE ≈ q·√((1 − q)/(B·steps)) (delta method).
  const qHat = (B * steps) / considered;
  close(qHat, q, 4 * q * Math.sqrt((1 - q) / (B * steps)), "kept fraction");
  assert.equal(f.state.rolloutsTrained, B * steps * 8);
  assert.equal(f.state.rolloutsGenerated, considered * 8);
  assert.equal(f.state.groupsConsidered, considered);
  assert.equal(Object.keys(f.state.passRates).length, RATES.length);
});

Deno.test("DynamicSampling: kept fraction = P(0 < X < G) per prompt (4 SE); partial batch after maxRounds", async () => {
  const bed = bernoulliBed(RATES, 3);
  const d = new DynamicSampling({ maxRounds: 1, groupSize: 4 });
  let n = 0, kept = 0;
  for (let step = 0; step < 40; step++) {
    const batch = await d.nextBatch(bed.ctx(step, 64, 99)); // groupSize option overrides ctx.groupSize
    assert.ok(bed.calls.splice(0).every((c) => c.groupSize === 4));
    n += 64;
    kept += batch.groups.length;
    for (const g of batch.groups) assert.ok(g.rewards.some((r) => r === 1) && g.rewards.some((r) => r === 0));
  }
  const q = RATES.reduce((t, p) => t + 1 - p ** 4 - (1 - p) ** 4, 0) / RATES.length;
  close(kept / n, q, 4 * Math.sqrt(q * (1 - q) / n), "dynamic sampling kept fraction");

  // All prompts impossible: the loop stops after maxRounds with an empty batch, reported as partial.
  const dead = bernoulliBed([0, 0], 4);
  const f = new BalancedDifficultyFilter({ maxRounds: 3, oversample: 2 });
  const b = await f.nextBatch(dead.ctx(0, 5, 8));
  assert.equal(b.groups.length, 0);
  assert.equal(b.stats.partial, 1);
  assert.equal(b.stats.rounds, 3);
  assert.equal(b.stats.fillFraction, 0);
  assert.equal(b.rolloutsGenerated, 3 * 10 * 8); // 3 rounds × ⌈2·5⌉ prompts × 8
  assert.equal(f.state.partialSteps, 1);
  assert.throws(() => new BalancedDifficultyFilter({ low: 0.9, high: 0.1 }), ConfigError);
  assert.throws(() => new DynamicSampling({ maxRound: 2 } as never), ConfigError);
});

// ---------------------------------------------------------------------------------------------- SEELE

Deno.test("SeeleScaffold on SimChain (50 problems, tabular policy): exact round-4 mean accuracy within ±0.08 of a* = 0.5", async () => {
  // SimChain L = 12, K = 4; logits N(0, 0.5²) + 2.5 on the correct option (per-step π(correct) ≈ 0.78, unhinted
  // success ≈ 0.05). Each step: 50 problems × 4 rounds × 8 rollouts from the fixed policy (updates are the
  // trainer's; tests/trainer_test.ts). Accuracy is EXACT: Π of π(correct) over the unforced steps at round 4's hint.
  const task = new SimChain({ length: 12, options: 4, numProblems: 50, seed: 1 });
  const pol = new TabularSoftmaxPolicy(task, {
    contextLength: task.maxSequenceLength,
    eos: task.vocab.eos,
    logits: task.initialLogits({ initScale: 0.5, initCorrectBias: 2.5, seed: 1 }),
  });
  const probs = pol.probabilityTable();
  const rng = new Rng(1);
  const seeds = rng.split(1);
  const generate = makeGenerate({
    policy: pol,
    task,
    reward: (p, y) => task.verify(p, y),
    temperature: 1,
    maxNewTokens: null,
    nextSeed: () => seeds.tfSeed(),
    counters: { rollouts: 0, tokens: 0, seconds: 0 },
  });
  const seele = new SeeleScaffold();
  let next = 0;
  const unhinted = task.problems().reduce((t, p) => t + task.successProbability(p, probs), 0) / 50;
  assert.ok(unhinted < 0.15, `${unhinted}`); // far from a* without hints
  for (let step = 0; step < 3; step++) {
    const batch = await seele.nextBatch({
      step,
      rng: rng.split(2 + step),
      batchSize: 50,
      groupSize: 8,
      sampleProblem: () => task.problem(next++ % 50),
      generate,
    });
    assert.equal(batch.groups.length, 50);
    assert.equal(batch.rolloutsGenerated, 50 * 32);
    let exact4 = 0;
    for (const g of batch.groups) {
      assert.equal(g.responses.length, 32);
      assert.equal(g.hintLengths!.length, 32);
      const h4 = g.hintLengths![24];
      assert.ok(g.hintLengths!.slice(24).every((h) => h === h4));
      // Rollouts really are hinted: the first min(h, L) tokens are the reference solution's.
      for (let i = 24; i < 32; i++) {
        assert.deepEqual(
          g.responses[i].slice(0, Math.min(h4, 12)),
          g.problem.solution.slice(0, Math.min(h4, 12)),
        );
      }
      exact4 += task.successProbability(g.problem, probs, h4) / 50;
    }
    close(exact4, 0.5, 0.08, `step ${step} round-4 exact accuracy`);
    if (step === 0) {
      // First visit starts at the initial hint rate 0.5: round(0.5·13) = 7 tokens.
      assert.ok(batch.groups.every((g) => g.hintLengths![0] === 7));
    } else {
      // Later visits start from the carried rate.
      for (const g of batch.groups) {
        assert.equal(
          g.hintLengths![0],
          Math.round(seele.state.problems[g.problem.id].lastRounds[0].hintRate * 13),
        );
      }
    }
    const carried = batch.groups.map((g) => seele.state.problems[g.problem.id].hintRate);
    // Round 1 of the next visit uses round(carried·|y|).
    if (step < 2) assert.ok(carried.every((p) => p >= 0 && p <= 1));
  }
  assert.equal(Object.keys(seele.state.problems).length, 50);
  assert.ok(Object.values(seele.state.problems).every((s) => s.visits === 3));
  pol.dispose();
});

Deno.test("SeeleScaffold: hint rate tracks a* on a known curve; unmerged rounds; options validated", async () => {
  // A deterministic oracle: accuracy(p) = p² exactly (every rollout's reward is round-robin to give the exact
  // fraction), |y| = 100 so hint rates are fine-grained. f⁻¹(0.5) = √0.5 ≈ 0.707.
  const problem: Problem = {
    id: "q",
    task: "oracle",
    difficulty: 0,
    prompt: [1],
    solution: Array.from({ length: 100 }, () => 3),
    text: { prompt: "", solution: "" },
  };
  const generate: GenerateFn = (reqs, G) =>
    Promise.resolve(reqs.map((r) => {
      const acc = ((r.hintLength ?? 0) / 100) ** 2;
      const wins = Math.round(acc * G);
      const rewards = Array.from({ length: G }, (_, i) => (i < wins ? 1 : 0));
      return {
        problem: r.problem,
        hintLength: r.hintLength ?? 0,
        responses: rewards.map(() => [3]),
        logProbs: rewards.map(() => [0]),
        rewards,
      };
    }));
  const seele = new SeeleScaffold({ initialHintRate: 0.2, mergeRounds: false });
  const rng = new Rng(3);
  const batch = await seele.nextBatch({
    step: 0,
    rng,
    batchSize: 1,
    groupSize: 64,
    sampleProblem: () => problem,
    generate,
  });
  assert.equal(batch.groups.length, 4); // one group per round
  assert.equal(batch.groups[0].hintLength, 20);
  const last = batch.groups[3].hintLength / 100;
  close(last ** 2, 0.5, 0.08, "round-4 accuracy on p²");
  close(seele.state.problems.q.hintRate, Math.SQRT1_2, 0.06, "carried rate");
  // Short solution (|y| = 4), success only with the full solution forced: the refit alone would round back to
  // the same hint length after an all-fail round; the scaffold then adds one token and reaches h = 4.
  const short: Problem = { ...problem, id: "short", solution: [3, 3, 3, 2] };
  const allOrNothing: GenerateFn = (reqs, G) =>
    Promise.resolve(reqs.map((r) => {
      const rewards = Array.from({ length: G }, () => ((r.hintLength ?? 0) >= 4 ? 1 : 0));
      return {
        problem: r.problem,
        hintLength: r.hintLength ?? 0,
        responses: rewards.map(() => [3]),
        logProbs: rewards.map(() => [0]),
        rewards,
      };
    }));
  const s2 = new SeeleScaffold({ mergeRounds: false });
  const b2 = await s2.nextBatch({
    step: 0,
    rng,
    batchSize: 1,
    groupSize: 8,
    sampleProblem: () => short,
    generate: allOrNothing,
  });
  const hs = b2.groups.map((g) => g.hintLength);
  assert.equal(hs[0], 2);
  assert.ok(hs.includes(4), `hint lengths ${hs}`);
  for (let r = 1; r < 4; r++) {
    if (b2.groups[r - 1].rewards[0] === 0) {
      assert.ok(hs[r] > hs[r - 1], `round ${r + 1} after a failed round: ${hs}`);
    }
  }
  assert.throws(() => new SeeleScaffold({ targetAccuracy: 1 }), ConfigError);
  assert.throws(() => new SeeleScaffold({ round: 3 } as never), ConfigError);
});

// ---------------------------------------------------------------------------------------------- guidance, ladder

Deno.test("AdaptiveGuidance: all-fail groups retried with ω = 0.25, 0.5, 0.75 (hand-derived outcomes)", async () => {
  // Problem i succeeds iff its hint has ≥ need[i] tokens; |y| = 8 → hints round(ω·8) = 2, 4, 6.
  const need = [0, 2, 3, 7];
  const problems: Problem[] = need.map((h, i) => ({
    id: `g${i}`,
    task: "oracle",
    difficulty: h,
    prompt: [1],
    solution: [3, 3, 3, 3, 3, 3, 3, 2],
    text: { prompt: "", solution: "" },
    meta: { need: h },
  }));
  const seenHints: number[][] = [];
  const generate: GenerateFn = (reqs, G) => {
    seenHints.push(reqs.map((r) => r.hintLength ?? 0));
    return Promise.resolve(reqs.map((r) => {
      const ok = (r.hintLength ?? 0) >= (r.problem.meta!.need as number) ? 1 : 0;
      return {
        problem: r.problem,
        hintLength: r.hintLength ?? 0,
        responses: Array.from({ length: G }, () => [3]),
        logProbs: Array.from({ length: G }, () => [0]),
        rewards: Array.from({ length: G }, () => ok),
      };
    }));
  };
  let i = 0;
  const ag = new AdaptiveGuidance();
  const b = await ag.nextBatch({
    step: 0,
    rng: new Rng(1),
    batchSize: 4,
    groupSize: 5,
    sampleProblem: () => problems[i++],
    generate,
  });
  // Round 0: no hints; problems 1, 2, 3 fail → ω 0.25 (hint 2): problem 1 solved; → ω 0.5 (hint 4): problem 2
  // solved; → ω 0.75 (hint 6): problem 3 still fails (needs 7) and stays unsolved.
  assert.deepEqual(seenHints, [[0, 0, 0, 0], [2, 2, 2], [4, 4], [6]]);
  assert.deepEqual(b.groups.map((g) => g.hintLength), [0, 2, 4, 6]);
  assert.deepEqual(b.groups.map((g) => g.rewards[0]), [1, 1, 1, 0]);
  assert.equal(b.rolloutsGenerated, (4 + 3 + 2 + 1) * 5);
  close(b.stats.hintedFraction, 0.75, 1e-12);
  close(b.stats.unsolvedFraction, 0.25, 1e-12);
  close(b.stats.meanOmega, 0.5, 1e-12);
  assert.deepEqual(ag.state.hintRates, { g0: 0, g1: 0.25, g2: 0.5, g3: 0.75 });
  // Step-dependent schedule.
  const ag2 = new AdaptiveGuidance({ omegaSchedule: (step) => (step < 10 ? [0.9] : [0.1]) });
  assert.deepEqual(ag2.schedule(3), [0.9]);
  assert.deepEqual(ag2.schedule(12), [0.1]);
  assert.throws(() => new AdaptiveGuidance({ omegaSchedule: [0.5, 1.5] }), ConfigError);
});

Deno.test("SatLadder: advances one level when validation pass@1 > threshold, stops at the top", async () => {
  const levels = [{ n: 3, k: 5, l: 5 }, { n: 3, k: 6, l: 7 }, { n: 3, k: 7, l: 10 }];
  const passScript = [0.4, 0.6, 0.5, 0.9, 0.95]; // validations at steps 2, 4, 6, 8, 10 (evalEvery 2)
  const evaluated: { level: string; step: number }[] = [];
  const sampledAt: string[] = [];
  const ladder = new SatLadder({
    levels,
    threshold: 0.5,
    evalEvery: 2,
    sample: (lv, rng) => {
      sampledAt.push(`${lv.n},${lv.k},${lv.l}`);
      return {
        id: `s${rng.int(1000)}`,
        task: "sat",
        difficulty: lv.k,
        prompt: [1],
        solution: [2],
        text: { prompt: "", solution: "" },
      };
    },
    evaluate: (lv, step) => {
      evaluated.push({ level: `${lv.n},${lv.k},${lv.l}`, step });
      return passScript[evaluated.length - 1];
    },
  });
  const generate: GenerateFn = (reqs, G) =>
    Promise.resolve(reqs.map((r) => ({
      problem: r.problem,
      hintLength: 0,
      responses: Array.from({ length: G }, () => [2]),
      logProbs: Array.from({ length: G }, () => [0]),
      rewards: Array.from({ length: G }, () => 0),
    })));
  const levelAt: number[] = [];
  for (let step = 0; step <= 10; step++) {
    const b = await ladder.nextBatch({
      step,
      rng: new Rng(step),
      batchSize: 2,
      groupSize: 3,
      sampleProblem: () => {
        throw new Error("unused");
      },
      generate,
    });
    levelAt.push(b.stats.level);
    assert.equal(b.groups.length, 2);
  }
  // step 2: 0.4 (stay 0); step 4: 0.6 > 0.5 → level 1; step 6: 0.5 not > 0.5 (stay); step 8: 0.9 → level 2;
  // step 10: 0.95 but already at the top.
  assert.deepEqual(levelAt, [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
  assert.deepEqual(evaluated.map((e) => e.step), [2, 4, 6, 8, 10]);
  assert.deepEqual(evaluated.map((e) => e.level), ["3,5,5", "3,5,5", "3,6,7", "3,6,7", "3,7,10"]);
  assert.equal(sampledAt.filter((s) => s === "3,7,10").length, 3 * 2);
  assert.deepEqual(ladder.state.history.map((h) => h.advanced), [false, true, false, true, false]);
  assert.equal(ladder.state.level, 2);
  assert.throws(
    () => new SatLadder({ levels: [], sample: () => problemStub(), evaluate: () => 0 }),
    ConfigError,
  );
});

Deno.test("SatLadder: validation rollouts returned by evaluate are charged to rolloutsGenerated", async () => {
  const ladder = new SatLadder({
    levels: [{ n: 1, k: 1, l: 1 }, { n: 1, k: 1, l: 2 }],
    evalEvery: 3,
    sample: () => problemStub(),
    evaluate: () => ({ passAt1: 0.75, rollouts: 17 }),
  });
  const generate: GenerateFn = (reqs, G) =>
    Promise.resolve(reqs.map((r) => ({
      problem: r.problem,
      hintLength: 0,
      responses: Array.from({ length: G }, () => [2]),
      logProbs: Array.from({ length: G }, () => [0]),
      rewards: Array.from({ length: G }, () => 1),
    })));
  const generated: number[] = [];
  for (let step = 0; step <= 6; step++) {
    const b = await ladder.nextBatch({
      step,
      rng: new Rng(step),
      batchSize: 2,
      groupSize: 4,
      sampleProblem: () => problemStub(),
      generate,
    });
    generated.push(b.rolloutsGenerated);
  }
  // 2 × 4 = 8 training rollouts per step; validations at steps 3 and 6 add 17 each.
  assert.deepEqual(generated, [8, 8, 8, 25, 8, 8, 25]);
  assert.equal(ladder.state.rolloutsGenerated, 7 * 8 + 2 * 17);
  assert.equal(ladder.state.validationRollouts, 34);
  assert.equal(ladder.state.level, 1); // 0.75 > 0.5 at step 3
  const bad = new SatLadder({
    levels: [{ n: 1, k: 1, l: 1 }],
    sample: () => problemStub(),
    evaluate: () => ({ passAt1: 0.5, rollouts: -1 }),
  });
  await assert.rejects(
    () =>
      bad.nextBatch({
        step: 1,
        rng: new Rng(0),
        batchSize: 1,
        groupSize: 1,
        sampleProblem: problemStub,
        generate,
      }),
    ConfigError,
  );
});

function problemStub(): Problem {
  return {
    id: "x",
    task: "sat",
    difficulty: 0,
    prompt: [1],
    solution: [2],
    text: { prompt: "", solution: "" },
  };
}

// ---------------------------------------------------------------------------------------------- test bed

Deno.test("RLVRTrainer + DynamicSampling on SimChain (tabular policy): deterministic, exact success rises, accounting", async () => {
  const make = () => {
    const task = new SimChain({ length: 3, options: 3, numProblems: 8, seed: 5 });
    const policy = new TabularSoftmaxPolicy(task, {
      contextLength: task.maxSequenceLength,
      eos: task.vocab.eos,
      logits: task.initialLogits({ initScale: 0.3, initCorrectBias: 0, seed: 5 }),
    });
    const trainer = new RLVRTrainer({
      task,
      policy,
      curriculum: new DynamicSampling({ maxRounds: 4 }),
      config: { seed: 3, batchSize: 8, groupSize: 8, lr: 0.1, maxGradNorm: null },
    });
    // Exact pool success from the per-step correct probabilities (read off the table here).
    const exactMean = () => {
      const pr = policy.probabilityTable();
      return task.problems().reduce((t, p) => {
        const m = task.meta(p);
        return t + m.correct.reduce((a, c, s) => a * pr[(m.index * 3 + s) * 3 + c], 1);
      }, 0) / 8;
    };
    return { policy, trainer, exactMean };
  };
  const a = make();
  const before = a.exactMean();
  const rows = (await a.trainer.train(25)).rows;
  assert.equal(rows.length, 25);
  assert.ok(a.exactMean() > before + 0.3, `${before} → ${a.exactMean()}`);
  let total = 0;
  for (const r of rows) {
    total += r.rolloutsGenerated as number;
    assert.equal(r.rolloutsTotal, total);
    assert.equal(r.rolloutsGenerated, (r["curriculum.groupsConsidered"] as number) * 8);
  }
  const b = make();
  const rows2 = (await b.trainer.train(25)).rows;
  const strip = (xs: typeof rows) =>
    xs.map((r) => ({ ...r, ...Object.fromEntries(TIMING_COLUMNS.map((k) => [k, 0])) }));
  assert.deepEqual(strip(rows2), strip(rows));
  assert.deepEqual(await b.policy.getWeights(), await a.policy.getWeights());
  for (const x of [a, b]) x.trainer.dispose(), x.policy.dispose();
});
