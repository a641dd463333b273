/**
 * The mechanics of the Filtering and SEELE LM-tier beds, against hand-computed cases: the filter's band edges,
 * batch fill and rounds; the scratchpad addition task's written solution, verifier and accepted set; SEELE's
 * hint-length arithmetic and cap; exact success probabilities under a forced hint prefix.
 */
import assert from "node:assert/strict";
import { useBackend } from "../lib/core/backend.ts";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import {
  BalancedDifficultyFilter,
  DynamicSampling,
  EpochSchedule,
  seeleHintLength,
  SeeleScaffold,
} from "../lib/curricula/mod.ts";
import type { CurriculumContext, GenerateFn, RolloutGroup, RolloutRequest } from "../lib/curricula/types.ts";
import { exactAnswerProbabilities } from "../lib/estimators/exact_pass_at_k.ts";
import { TinyTransformer } from "../lib/policies/transformer.ts";
import {
  additionDigitMixture,
  PermutationTask,
  ScratchpadAdditionTask,
  scratchpadSolution,
} from "../lib/tasks/mod.ts";
import type { Problem } from "../lib/tasks/types.ts";

// ---------------------------------------------------------------------------------------------- filters

Deno.test("BalancedDifficultyFilter: band edges by hand (p̂ = j/G), inclusive and exclusive", () => {
  const inc = new BalancedDifficultyFilter();
  // G = 8: 1/8 = 0.125 < 0.2 and 7/8 = 0.875 > 0.8 fall outside; 2/8 = 0.25 … 6/8 = 0.75 inside
  assert.deepEqual(inc.keptCounts(8), [2, 3, 4, 5, 6]);
  // G = 16: 3/16 = 0.1875 < 0.2 ≤ 4/16; 12/16 = 0.75 ≤ 0.8 < 13/16 = 0.8125
  assert.deepEqual(inc.keptCounts(16), [4, 5, 6, 7, 8, 9, 10, 11, 12]);
  // G = 10 and G = 5 put p̂ exactly on the edges: 2/10 = 1/5 = 0.2 and 8/10 = 4/5 = 0.8
  assert.deepEqual(inc.keptCounts(10), [2, 3, 4, 5, 6, 7, 8]);
  assert.deepEqual(inc.keptCounts(5), [1, 2, 3, 4]);
  const exc = new BalancedDifficultyFilter({ inclusive: false });
  assert.deepEqual(exc.keptCounts(10), [3, 4, 5, 6, 7]);
  assert.deepEqual(exc.keptCounts(5), [2, 3]);
  assert.deepEqual(exc.keptCounts(8), [2, 3, 4, 5, 6]); // no j/8 lies on an edge
  // a band that keeps 1 and 7 of 8: [0.125, 0.875]
  assert.deepEqual(new BalancedDifficultyFilter({ low: 0.125, high: 0.875 }).keptCounts(8), [
    1,
    2,
    3,
    4,
    5,
    6,
    7,
  ]);
  // DAPO dynamic sampling: 0 < p̂ < 1
  const dapo = new DynamicSampling();
  assert.deepEqual([0, 1 / 16, 0.5, 15 / 16, 1].map((p) => dapo.keep(p)), [false, true, true, true, false]);
  assert.throws(() => new BalancedDifficultyFilter({ inclusive: "yes" as never }), ConfigError);
});

/** Problems whose every group has a fixed number of correct rollouts, drawn round-robin. */
function fixedCountBed(counts: number[]) {
  const problems: Problem[] = counts.map((c, i) => ({
    id: `q${i}`,
    task: "fixed",
    difficulty: 0,
    prompt: [1],
    solution: [3, 2],
    text: { prompt: "", solution: "" },
    meta: { c },
  }));
  let next = 0;
  const calls: RolloutRequest[][] = [];
  const generate: GenerateFn = (requests, G) => {
    calls.push(requests);
    return Promise.resolve(requests.map(({ problem }): RolloutGroup => {
      const rewards = Array.from({ length: G }, (_, k) => (k < (problem.meta!.c as number) ? 1 : 0));
      return {
        problem,
        hintLength: 0,
        responses: rewards.map(() => [3, 2]),
        logProbs: rewards.map(() => [0, 0]),
        rewards,
      };
    }));
  };
  const ctx = (batchSize: number, groupSize: number): CurriculumContext => ({
    step: 0,
    rng: new Rng(0),
    batchSize,
    groupSize,
    sampleProblem: () => problems[next++ % problems.length],
    generate,
  });
  return { ctx, calls };
}

Deno.test("PassRateFilter: samples until the batch is full; rounds, fill and accounting by hand", async () => {
  // counts 0, 8, 4, 1 of G = 8, drawn in that order; only count 4 (p̂ = 0.5) passes [0.2, 0.8].
  // B = 3, one prompt per empty slot: round 1 draws 0, 8, 4 (1 kept); round 2 draws 1, 0; round 3 draws 8, 4
  // (2 kept); round 4 draws 1; round 5 draws 0; round 6 draws 8; round 7 draws 4 (3 kept) — 11 groups.
  const bed = fixedCountBed([0, 8, 4, 1]);
  const f = new BalancedDifficultyFilter({ maxRounds: 100 });
  const b = await f.nextBatch(bed.ctx(3, 8));
  assert.deepEqual(bed.calls.map((c) => c.length), [3, 2, 2, 1, 1, 1, 1]);
  assert.equal(b.groups.length, 3);
  assert.ok(b.groups.every((g) => g.problem.id === "q2"));
  assert.equal(b.stats.rounds, 7);
  assert.equal(b.stats.fillFraction, 1);
  assert.equal(b.stats.partial, 0);
  assert.equal(b.stats.groupsConsidered, 11);
  assert.equal(b.rolloutsGenerated, 88);
  assert.equal(b.stats.rolloutsTrained, 24);
  close(b.stats.keptFraction, 3 / 11);
  // the safety cap: after 4 rounds (8 groups) only 2 of 3 slots are filled
  const capped = fixedCountBed([0, 8, 4, 1]);
  const g = new BalancedDifficultyFilter({ maxRounds: 4 });
  const c = await g.nextBatch(capped.ctx(3, 8));
  assert.equal(c.groups.length, 2);
  close(c.stats.fillFraction, 2 / 3);
  assert.equal(c.stats.partial, 1);
  assert.equal(c.stats.rounds, 4);
  assert.equal(c.rolloutsGenerated, 8 * 8);
  assert.equal(g.state.partialSteps, 1);
  // DAPO dynamic sampling keeps counts 4 and 1: round 1 draws 0, 8, 4 (1 kept); round 2 draws 1, 0 (2 kept);
  // round 3 draws 8 (none); round 4 draws 4 — full after 4 rounds, 7 groups
  const dyn = fixedCountBed([0, 8, 4, 1]);
  const d = new DynamicSampling();
  const e = await d.nextBatch(dyn.ctx(3, 8));
  assert.deepEqual(dyn.calls.map((x) => x.length), [3, 2, 1, 1]);
  assert.deepEqual(e.groups.map((x) => x.problem.id), ["q2", "q3", "q2"]);
  assert.equal(e.stats.rounds, 4);
  assert.equal(e.stats.groupsConsidered, 7);
});

function close(a: number, b: number, tol = 1e-12) {
  assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
}

// ---------------------------------------------------------------------------------------------- scratchpad

Deno.test("ScratchpadAdditionTask: written solutions, verifier and accepted set by hand", () => {
  // 57 + 68 at width 2: (7, 8 → 15, carry 1), (5, 6, +1 → 12, carry 1); sum 125 reversed "521"
  assert.equal(scratchpadSolution(57, 68, 2), "781561:521");
  // 905 + 96 at width 4: 5+6 = 11 c1; 0+9+1 = 10 c1; 9+0+1 = 10 c1; 0+0+1 = 1 c0; sum 1001 → "10010"
  assert.equal(scratchpadSolution(905, 96, 4), "561091901000:10010");
  assert.equal(scratchpadSolution(0, 0, 1), "000:00");
  // most-significant position first: the same triples in reverse position order, the answer unchanged
  assert.equal(scratchpadSolution(57, 68, 2, "msb-first"), "561781:521");
  assert.equal(scratchpadSolution(905, 96, 4, "msb-first"), "000901091561:10010");
  assert.equal(
    new ScratchpadAdditionTask({ maxDigits: 2, order: "msb-first" }).problem(57, 68).text.solution,
    "561781:521",
  );
  assert.throws(() => new ScratchpadAdditionTask({ order: "middle" as never }), ConfigError);
  assert.throws(() => scratchpadSolution(100, 1, 2), ConfigError);
  const task = new ScratchpadAdditionTask({ minDigits: 1, maxDigits: 2 });
  const q = task.problem(57, 68);
  assert.equal(q.text.prompt, "57+68=");
  assert.equal(q.text.solution, "781561:521");
  assert.equal(q.solution.length, 4 * 2 + 3); // 3D + 1 + (D + 1) + eos
  assert.equal(task.reasoningLength, 6);
  assert.equal(task.maxSequenceLength, 1 + "57+68=".length + q.solution.length);
  const v = task.vocab;
  assert.equal(task.verify(q, v.encode("781561:521")), 1); // eos optional
  assert.equal(task.verify(q, [...v.encode("781561:521"), v.eos, ...v.encode("99")]), 1);
  assert.equal(task.verify(q, v.encode("781560:521")), 0); // a wrong carry with the right answer fails
  assert.equal(task.verify(q, v.encode("781561:52")), 0);
  assert.equal(task.verify(q, v.encode("781561:5210")), 0);
  assert.deepEqual(task.acceptedResponses(q), [[...v.encode("781561:521"), v.eos]]);
  const p = task.problem(7, 3);
  assert.equal(p.text.prompt, "07+03=");
  assert.equal(p.text.solution, "731000:010"); // 7+3 = 10 c1; 0+0+1 = 1 c0; sum 10 → "010"
  assert.equal(p.difficulty, 1);
  // sampled problems: operands with the requested digit count, solution consistent with the sum
  const rng = new Rng(5);
  for (let i = 0; i < 20; i++) {
    const s = task.sample(rng, { digits: 2 });
    const { a, b, sum } = s.meta as { a: number; b: number; sum: number };
    assert.ok(a >= 10 && a <= 99 && b >= 10 && b <= 99 && sum === a + b);
    const answer = s.text.solution.split(":")[1];
    assert.equal(Number(Array.from(answer).reverse().join("")), sum);
  }
  assert.throws(() => new ScratchpadAdditionTask({ maxDigits: 0 }), ConfigError);
});

// ---------------------------------------------------------------------------------------------- SEELE hints

Deno.test("seeleHintLength: round(p·|y|) capped at ⌊p_max·|y|⌋; the scratchpad's cap keeps the answer generated", () => {
  const task = new ScratchpadAdditionTask({ minDigits: 1, maxDigits: 5 });
  const q = task.problem(12345, 678);
  assert.equal(q.solution.length, 23); // 4·5 + 3
  // one hint token is 1/23 ≈ 0.043 of the solution (≤ 10%)
  assert.deepEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5].map((p) => seeleHintLength(q, p)), [0, 2, 5, 7, 9, 12]);
  // cap 0.6: ⌊13.8⌋ = 13 < reasoning length 15, so ":" and the 6 answer digits are always generated
  assert.equal(seeleHintLength(q, 0.9, 0.6), 13);
  assert.equal(seeleHintLength(q, 0.5, 0.6), 12);
  assert.ok(seeleHintLength(q, 1, 0.6) < task.reasoningLength);
  assert.throws(() => seeleHintLength(q, 0.5, 1.5), ConfigError);
});

Deno.test("SeeleScaffold: m = 4 rounds × n, merged groups of m·n, hints never above the cap", async () => {
  const task = new ScratchpadAdditionTask({ minDigits: 1, maxDigits: 5 });
  const problems = [task.problem(12345, 678), task.problem(99999, 1)];
  const seen: number[] = [];
  let calls = 0;
  const generate: GenerateFn = (requests, G) => {
    calls++;
    return Promise.resolve(requests.map(({ problem, hintLength }): RolloutGroup => {
      seen.push(hintLength ?? 0);
      const rewards = new Array(G).fill(0); // never solved: SEELE keeps raising the hint
      return {
        problem,
        hintLength: hintLength ?? 0,
        responses: rewards.map(() => [2]),
        logProbs: rewards.map(() => [0]),
        rewards,
      };
    }));
  };
  const s = new SeeleScaffold({
    rounds: 4,
    maxHintRate: 0.6,
    initialHintRate: 0.5,
    fit: { starts: 2, maxIterations: 30 },
  });
  let k = 0;
  for (let step = 0; step < 3; step++) {
    const b = await s.nextBatch({
      step,
      rng: new Rng(step),
      batchSize: 2,
      groupSize: 8,
      sampleProblem: () => problems[k++ % 2],
      generate,
    });
    assert.equal(b.groups.length, 2);
    assert.ok(b.groups.every((g) => g.responses.length === 32 && g.hintLengths!.length === 32));
    assert.equal(b.rolloutsGenerated, 2 * 4 * 8);
  }
  assert.equal(calls, 12);
  assert.ok(seen.every((h) => h <= 13), `hint lengths ${seen}`);
  assert.ok(seen.includes(13), "a never-solved problem reaches the cap");
  assert.equal(s.state.problems[problems[0].id].visits, 3);
  assert.throws(() => new SeeleScaffold({ maxHintRate: 2 }), ConfigError);
});

// ---------------------------------------------------------------------------------------------- hinted exact

Deno.test("exactAnswerProbabilities with a hint: continuation probability matches forced-prefix sampling", async () => {
  await useBackend("cpu");
  const task = new PermutationTask({ minDigits: 2, maxDigits: 3 });
  const model = new TinyTransformer({
    vocabSize: task.vocab.size,
    contextLength: task.maxSequenceLength,
    dModel: 16,
    nLayers: 1,
    nHeads: 2,
    seed: 11,
  });
  const w = await model.getWeights();
  for (const t of [...task.vocab.encode("12"), task.vocab.eos]) w["head.b"].data[t] = 5;
  model.setWeights(w);
  const problems = [task.problem("12"), task.problem("112")];
  const room = model.config.contextLength - 5;
  const hints = [1, 2];
  const exact = await exactAnswerProbabilities(model, task, problems, {
    maxTokens: room,
    hintLengths: hints,
  });
  // entries that disagree with the forced prefix cannot be produced
  problems.forEach((q, i) =>
    exact[i].responses.forEach((a, j) => {
      if (a.slice(0, hints[i]).join() !== q.solution.slice(0, hints[i]).join()) {
        assert.equal(exact[i].probabilities[j], 0, `${q.text.prompt} ${a}`);
      }
    })
  );
  const N = 2500;
  const out = await model.sample(problems.flatMap((q) => Array.from({ length: N }, () => q.prompt)), {
    maxTokens: room,
    seed: 5,
    eos: task.vocab.eos,
    forced: problems.flatMap((q, i) => Array.from({ length: N }, () => q.solution.slice(0, hints[i]))),
  });
  problems.forEach((q, i) => {
    const hits = out.responses.slice(i * N, (i + 1) * N).filter((y) => task.verify(q, y) === 1).length;
    const p = exact[i].success;
    assert.ok(p > 0.05 && p < 0.95, `visible mass ${p}`);
    const sd = Math.sqrt(N * p * (1 - p));
    assert.ok(Math.abs(hits - N * p) <= 4.5 * sd + 1, `${q.text.prompt}: ${hits} vs ${N * p}`);
  });
  // a hint of the whole solution leaves nothing to generate
  const whole = await exactAnswerProbabilities(model, task, [problems[0]], {
    maxTokens: room,
    hintLengths: [problems[0].solution.length],
  });
  assert.equal(whole[0].success, 1);
  await assert.rejects(
    () => exactAnswerProbabilities(model, task, problems, { hintLengths: [1] }),
    ConfigError,
  );
  model.dispose();
});

Deno.test("additionDigitMixture: digit counts drawn with probability w_d / Σw (4 SE); zero weights never drawn", () => {
  const draw = additionDigitMixture([4, 0, 3, 2, 1]);
  const rng = new Rng(3);
  const N = 20000;
  const counts = [0, 0, 0, 0, 0];
  for (let i = 0; i < N; i++) counts[draw(rng).digits - 1]++;
  [0.4, 0, 0.3, 0.2, 0.1].forEach((q, d) =>
    assert.ok(Math.abs(counts[d] / N - q) <= 4 * Math.sqrt(q * (1 - q) / N), `d = ${d + 1}: ${counts[d] / N}`)
  );
  assert.equal(counts[1], 0);
  assert.deepEqual(additionDigitMixture([0, 0, 1])(rng), { digits: 3 });
  assert.throws(() => additionDigitMixture([]), ConfigError);
  assert.throws(() => additionDigitMixture([1, -1]), ConfigError);
  assert.throws(() => additionDigitMixture([0, 0]), ConfigError);
});

Deno.test("EpochSchedule: every pool problem once per epoch (SEELE visits = epochs), fresh order, state round-trips", async () => {
  const task = new ScratchpadAdditionTask({ minDigits: 1, maxDigits: 2 });
  const pool = Array.from({ length: 12 }, (_, i) => task.problem(i, 2 * i));
  const generate: GenerateFn = (requests, G) =>
    Promise.resolve(requests.map(({ problem, hintLength }): RolloutGroup => {
      const rewards = Array.from({ length: G }, (_, k) => (k % 2)); // accuracy 0.5 at every hint
      return {
        problem,
        hintLength: hintLength ?? 0,
        responses: rewards.map(() => [2]),
        logProbs: rewards.map(() => [0]),
        rewards,
      };
    }));
  const seele = new SeeleScaffold({ rounds: 4, fit: { starts: 2, maxIterations: 20 } });
  const sched = new EpochSchedule(pool, seele);
  assert.equal(sched.name, "seele+epochs");
  const orders: string[] = [];
  const rng = new Rng(8);
  // P = 12, B = 4: 3 steps per epoch; 15 steps = 5 epochs → every problem visited exactly 5 times
  for (let step = 0; step < 15; step++) {
    const b = await sched.nextBatch({
      step,
      rng: rng.split(step),
      batchSize: 4,
      groupSize: 2,
      sampleProblem: () => {
        throw new Error("the epoch stream replaces the trainer's draws");
      },
      generate,
    });
    assert.equal(b.groups.length, 4);
    assert.equal(b.stats.epoch, Math.floor(step / 3));
    if (step % 3 === 2) orders.push(sched.state.order.join(","));
  }
  for (const p of pool) assert.equal(seele.state.problems[p.id].visits, 5, p.id);
  assert.ok(new Set(orders).size > 1, "a fresh order each epoch");
  const saved = JSON.parse(JSON.stringify(sched.state));
  const copy = new EpochSchedule(pool, new SeeleScaffold());
  copy.state = saved;
  assert.deepEqual(copy.state, saved);
  assert.throws(() => new EpochSchedule([], seele), ConfigError);
  assert.throws(() => new EpochSchedule([pool[0], pool[0]], seele), ConfigError);
});
