import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { marginOverBaseline, SatLadder } from "../lib/curricula/ladder.ts";
import type { GenerateFn } from "../lib/curricula/types.ts";
import {
  type Clause,
  majorityPolaritySuccess,
  plantedSatChance,
  satisfies,
  SatTask,
} from "../lib/tasks/sat.ts";
import type { Problem } from "../lib/tasks/types.ts";

/** E[#sat / 2^k] of the planted generator, by enumerating every random choice of `SatTask.sample`. */
function enumeratedChance(n: number, k: number, l: number): number {
  const subsets: number[][] = [];
  for (let m = 0; m < 2 ** k; m++) {
    const s = [...Array(k).keys()].filter((v) => (m >> v) & 1);
    if (s.length === n) subsets.push(s);
  }
  let total = 0;
  for (let sm = 0; sm < 2 ** k; sm++) {
    const planted = [...Array(k).keys()].map((v) => ((sm >> v) & 1) === 1);
    // every clause outcome with its probability: subset × signs, falsified ones flipped at one of n places
    const clauses: { clause: Clause; p: number }[] = [];
    for (const vars of subsets) {
      for (let sg = 0; sg < 2 ** n; sg++) {
        const clause = vars.map((v, i) => ((sg >> i) & 1 ? v + 1 : -(v + 1)));
        const p = 1 / subsets.length / 2 ** n;
        if (satisfies([clause], planted)) clauses.push({ clause, p });
        else {
          for (let i = 0; i < n; i++) {
            const c = clause.slice();
            c[i] = -c[i];
            clauses.push({ clause: c, p: p / n });
          }
        }
      }
    }
    // l independent clauses: the share of assignments satisfying all, averaged over outcomes
    const walk = (chosen: Clause[], p: number): number => {
      if (chosen.length === l) {
        let ok = 0;
        for (let am = 0; am < 2 ** k; am++) {
          if (satisfies(chosen, [...Array(k).keys()].map((v) => ((am >> v) & 1) === 1))) ok++;
        }
        return (p * ok) / 2 ** k;
      }
      return clauses.reduce((s, c) => s + walk([...chosen, c.clause], p * c.p), 0);
    };
    total += walk([], 1) / 2 ** k;
  }
  return total;
}

Deno.test("plantedSatChance equals the enumerated generator on small cases", () => {
  assert.equal(plantedSatChance(1, 1, 1), 0.5); // the one literal is always the planted one: 1 of 2
  for (const [n, k, l] of [[1, 2, 2], [2, 3, 1], [2, 3, 2], [3, 4, 2], [2, 3, 3]]) {
    const want = enumeratedChance(n, k, l);
    assert.ok(Math.abs(plantedSatChance(n, k, l) - want) < 1e-12, `(${n},${k},${l}) ${want}`);
  }
  assert.throws(() => plantedSatChance(4, 3, 1), ConfigError);
});

Deno.test("plantedSatChance matches sampled (3, 8, l) instances; the (3, 8, 8) → (3, 8, 40) ladder ends near 0.011", () => {
  const task = new SatTask({ n: 3, k: 8, l: 8 });
  const rng = new Rng(20260);
  for (const l of [8, 40]) {
    const N = 1500;
    const xs = Array.from({ length: N }, () => task.acceptedResponses(task.sample(rng, { l })).length / 256);
    const mean = xs.reduce((a, b) => a + b, 0) / N;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (N - 1));
    const exact = plantedSatChance(3, 8, l);
    assert.ok(Math.abs(mean - exact) < 5 * sd / Math.sqrt(N), `l=${l}: ${mean} vs ${exact}`);
  }
  assert.ok(plantedSatChance(3, 8, 8) > 0.34 && plantedSatChance(3, 8, 8) < 0.35);
  assert.ok(plantedSatChance(3, 8, 40) > 0.010 && plantedSatChance(3, 8, 40) < 0.012);
});

Deno.test("majorityPolaritySuccess: hand-computed instances", () => {
  // a: +1+1−1 → true; b: +1−1 = 0 → coin; both completions satisfy
  assert.equal(majorityPolaritySuccess([[1, 2], [1, -2], [-1, 2]], 2), 1);
  // a: −1−1+1+1 = 0 → coin, b: +2 → true; a = 1 falsifies (¬a ∨ ¬b): half the completions
  assert.equal(majorityPolaritySuccess([[-1, 2], [-1, -2], [1, 2], [1, 2]], 2), 0.5);
  // majority sets a = 1 but the unit clause ¬a needs a = 0 (satisfiable by a = 0, b = c = 1)
  assert.equal(majorityPolaritySuccess([[-1], [1, 2], [1, 3]], 3), 0);
  // variable c never appears: a coin that does not matter
  assert.equal(majorityPolaritySuccess([[1, 2]], 3), 1);
  assert.throws(() => majorityPolaritySuccess([[4]], 3), ConfigError);
});

const stub = (l: number): Problem => ({
  id: `l${l}`,
  task: "sat",
  difficulty: l,
  prompt: [1],
  solution: [2],
  text: { prompt: "", solution: "" },
});

Deno.test("SatLadder: a threshold as a margin over each level's chance", async () => {
  const levels = [{ n: 3, k: 8, l: 8 }, { n: 3, k: 8, l: 24 }, { n: 3, k: 8, l: 40 }];
  const chance = (lv: { n: number; k: number; l: number }) => plantedSatChance(lv.n, lv.k, lv.l);
  const threshold = marginOverBaseline(chance, 0.1);
  // chance 0.348 / 0.0485 / 0.0109: thresholds 0.448 / 0.1485 / 0.1109
  const passScript = [0.44, 0.46, 0.14, 0.16, 0.9];
  let calls = 0;
  const ladder = new SatLadder({
    levels,
    threshold,
    sample: (lv) => stub(lv.l),
    evaluate: () => passScript[calls++],
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
  for (let step = 0; step <= 5; step++) {
    const b = await ladder.nextBatch({
      step,
      rng: new Rng(step),
      batchSize: 1,
      groupSize: 2,
      sampleProblem: () => stub(0),
      generate,
    });
    levelAt.push(b.stats.level);
  }
  // 0.44 < 0.448 stay; 0.46 → level 1; 0.14 < 0.1485 stay; 0.16 → level 2 (0.16 < 0.5: a fixed 0.5 would not)
  assert.deepEqual(levelAt, [0, 0, 1, 1, 2, 2]);
  const h = ladder.state.history;
  assert.deepEqual(h.map((x) => x.advanced), [false, true, false, true, false]);
  assert.ok(Math.abs(h[0].threshold! - (plantedSatChance(3, 8, 8) + 0.1)) < 1e-15);
  assert.ok(Math.abs(h[2].threshold! - (plantedSatChance(3, 8, 24) + 0.1)) < 1e-15);
  assert.equal(ladder.thresholdAt(levels[2]), plantedSatChance(3, 8, 40) + 0.1);
  // a margin that takes a level's threshold to 1 or past it is refused, naming the sum
  assert.throws(() => marginOverBaseline(() => 0.95, 0.05)({}), /baseline\(level\) \+ margin/);
  assert.throws(
    () => new SatLadder({ levels, threshold: () => 1.5, sample: (lv) => stub(lv.l), evaluate: () => 0 }),
    /threshold\(level\)/,
  );
});

Deno.test("SatTask reference 'uniform': same instance as 'planted', reference bits at chance", () => {
  const planted = new SatTask({ n: 3, k: 8, l: 40 });
  const uniform = new SatTask({ n: 3, k: 8, l: 40, reference: "uniform" });
  const a = new Rng(5);
  const b = new Rng(5);
  const N = 3000;
  let satisfied = 0;
  let ones = 0;
  for (let i = 0; i < N; i++) {
    const p = planted.sample(a);
    const q = uniform.sample(b);
    a.bernoulli(0.5); // keep the streams aligned: the uniform draw uses k more coins
    for (let j = 1; j < 8; j++) a.bernoulli(0.5);
    assert.deepEqual(q.prompt, p.prompt);
    assert.equal(uniform.verify(p, p.solution), 1);
    satisfied += uniform.verify(q, q.solution);
    ones += q.text.solution.split("").filter((c) => c === "1").length;
  }
  // a uniform reference satisfies a drawn instance with probability E[#sat/2^k] = plantedSatChance
  const c = plantedSatChance(3, 8, 40);
  assert.ok(Math.abs(satisfied / N - c) < 5 * Math.sqrt(c * (1 - c) / N), `${satisfied / N} vs ${c}`);
  assert.ok(Math.abs(ones / (8 * N) - 0.5) < 5 * Math.sqrt(0.25 / (8 * N)));
  assert.throws(() => new SatTask({ reference: "random" as "uniform" }), /sat\.reference/);
});
