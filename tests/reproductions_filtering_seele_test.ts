import { runReproduction } from "../reproductions/harness.ts";
import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { RunLog } from "../lib/log/runlog.ts";
import {
  binnedPeak,
  containedVerdict,
  FeatureChain,
  featureChainGenerate,
  filtering,
  filteringSummaries,
  LinearSoftmaxPolicy,
  NOT_REACHED_RATIO,
  REPRODUCTIONS,
  seele,
  seeleArms,
  selectRows,
  VERDICTS,
} from "../reproductions/mod.ts";

const task = new FeatureChain({ dim: 5, options: 3, minLength: 1, maxLength: 5, seed: 7 });
const pool = task.pool("test", 40);

Deno.test("FeatureChain: a policy W = 10⁴·M (the teacher, scaled) solves every problem", () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 1e4 });
  // correct = argmax of M x, so softmax(10⁴·M x) puts ≈ all mass there (margins are continuous, ties have prob 0)
  const worst = Math.min(...pool.map((q) => p.successProbability(q)));
  assert.ok(worst > 0.9, `worst success ${worst}`);
  // …and W = −10⁴·M never picks the teacher's option.
  const anti = new LinearSoftmaxPolicy(task, { initSignal: -1e4 });
  assert.ok(Math.max(...pool.map((q) => anti.successProbability(q))) < 1e-6);
});

Deno.test("LinearSoftmaxPolicy: W = 0 gives a = (1/K)^(L − h) with a hint of h steps", () => {
  const p = new LinearSoftmaxPolicy(task);
  for (const q of pool.slice(0, 10)) {
    const L = q.solution.length;
    for (let h = 0; h <= L + 1; h++) {
      assert.ok(Math.abs(p.successProbability(q, h) - (1 / 3) ** Math.max(0, L - h)) < 1e-12);
    }
  }
});

Deno.test("LinearSoftmaxPolicy: gradLogProb matches central finite differences of Σ log π", () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 0.7, initNoise: 0.5, seed: 3 });
  const q = pool.find((x) => x.solution.length >= 3)!;
  const actions = p.sample(q, 0, new Rng(1));
  const h = 1;
  const g = p.gradLogProb(q, actions, h);
  const f = () => p.stepLogProbs(q, actions).slice(h).reduce((a, b) => a + b, 0);
  const eps = 1e-6;
  for (let i = 0; i < p.weights.length; i++) {
    const w = p.weights[i];
    p.weights[i] = w + eps;
    const up = f();
    p.weights[i] = w - eps;
    const dn = f();
    p.weights[i] = w;
    assert.ok(Math.abs((up - dn) / (2 * eps) - g[i]) < 1e-6, `coordinate ${i}`);
  }
});

Deno.test("LinearSoftmaxPolicy: exact success probability agrees with Monte Carlo (4 standard errors)", async () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 0.8, initNoise: 0.3, seed: 5 });
  const q = pool.find((x) => x.solution.length === 3)!;
  const gen = featureChainGenerate(p, new Rng(11));
  for (const h of [0, 1]) {
    const a = p.successProbability(q, h);
    const N = 4000;
    const [g] = await gen([{ problem: q, hintLength: h }], N);
    const freq = g.rewards.reduce((s, r) => s + r, 0) / N;
    assert.ok(Math.abs(freq - a) < 4 * Math.sqrt((a * (1 - a)) / N) + 1e-9, `h=${h}: ${freq} vs ${a}`);
    // hint steps are forced to the reference solution
    for (const r of g.responses.slice(0, 50)) assert.deepEqual(r.slice(0, h), q.solution.slice(0, h));
  }
});

Deno.test("LinearSoftmaxPolicy.update: W += lr/N · A · ∇log π on unforced steps; KL(π‖π) = 0, > 0 after", async () => {
  const p = new LinearSoftmaxPolicy(task, { initSignal: 0.5, initNoise: 0.5, seed: 9 });
  const q = pool.find((x) => x.solution.length >= 4)!;
  const [g] = await featureChainGenerate(p, new Rng(2))([{ problem: q, hintLength: 2 }], 2);
  const before = p.clone();
  const grads = g.responses.map((r) => before.gradLogProb(q, r, 2));
  const adv = [1.5, -0.5];
  p.update([g], [adv], 0.3);
  for (let i = 0; i < p.weights.length; i++) {
    const want = before.weights[i] + (0.3 / 2) * (adv[0] * grads[0][i] + adv[1] * grads[1][i]);
    assert.ok(Math.abs(p.weights[i] - want) < 1e-12);
  }
  assert.equal(before.klTo(before, q), 0);
  assert.ok(p.klTo(before, q, 2) > 0);
  assert.throws(() => p.update([g], [[1]], 0.1), ConfigError);
});

Deno.test("binnedPeak: the parabola vertex of an exact quadratic; edges and gaps fall back to the argmax bin", () => {
  const centers = Array.from({ length: 10 }, (_, i) => (i + 0.5) / 10);
  const peak = binnedPeak(centers, centers.map((x) => 1 - (x - 0.42) ** 2));
  assert.ok(Math.abs(peak - 0.42) < 1e-9, String(peak));
  assert.equal(binnedPeak(centers, centers.map((x) => x)), 0.95);
  assert.equal(binnedPeak(centers, centers.map((x, i) => (i === 4 ? 5 : i === 5 ? NaN : x))), 0.45);
  assert.equal(containedVerdict([0.4, 0.6], [0.35, 0.65]), "reproduced");
  assert.equal(containedVerdict([0.1, 0.3], [0.35, 0.65]), "not reproduced");
  assert.equal(containedVerdict([0.3, 0.5], [0.35, 0.65]), "inconclusive");
});

Deno.test("filteringSummaries: hand-built log gives the step and rollout ratios to GRPO's best", () => {
  const log = new RunLog({ config: { ...filtering.presets.smoke, seeds: 1, steps: 3 } });
  const curve = (arm: string, accs: number[], rolls: number[]) =>
    accs.forEach((acc, step) =>
      log.log({ kind: "curve", seed: 0, arm, step, acc, rollouts: rolls[step], pvar: step * 0.1, delta: 0 })
    );
  curve("grpo", [0.1, 0.3, 0.5, 0.4], [0, 10, 20, 30]); // best 0.5, GRPO's total rollouts 30
  curve("balanced", [0.1, 0.4, 0.55, 0.6], [0, 25, 45, 70]); // reaches 0.5 at step 2 with 45 rollouts
  curve("dapo", [0.1, 0.2, 0.3, 0.45], [0, 12, 24, 36]); // never reaches 0.5
  const [s] = filteringSummaries(log);
  assert.equal(s.grpoBest, 0.5);
  assert.ok(Math.abs(s.stepsRatio - 2 / 3) < 1e-12);
  assert.ok(Math.abs(s.rolloutsRatio - 45 / 30) < 1e-12);
  assert.equal(s.dapoStepsRatio, NOT_REACHED_RATIO);
  assert.deepEqual(s.final, { grpo: 0.4, dapo: 0.45, balanced: 0.6 });
});

Deno.test("registry: filtering and seele come first", async () => {
  assert.deepEqual(REPRODUCTIONS.slice(0, 2).map((r) => r.name), ["filtering", "seele"]);
  await assert.rejects(
    () => runReproduction(filtering, { preset: "smoke", config: { low: 0.9, high: 0.1 } }),
    ConfigError,
  );
  await assert.rejects(
    () => runReproduction(seele, { preset: "smoke", config: { targets: [1.5] } }),
    ConfigError,
  );
  await assert.rejects(
    () => runReproduction(seele, { preset: "smoke", config: { nope: 1 } as never }),
    ConfigError,
  );
});

Deno.test("filtering smoke run: equal training batches, filters generate ≥ as many rollouts, claims well-formed", async () => {
  const c = filtering.presets.smoke;
  const log = await runReproduction(filtering, { preset: "smoke", progress: false });
  for (let s = 0; s < c.seeds; s++) {
    const last = (arm: string) => selectRows(log, { kind: "curve", arm, seed: s, step: c.steps })[0];
    assert.equal(last("grpo").rollouts, c.steps * c.batchSize * c.groupSize);
    assert.ok(Number(last("balanced").rollouts) >= c.steps * c.batchSize * c.groupSize);
    assert.ok(Number(last("dapo").rollouts) >= c.steps * c.batchSize * c.groupSize);
    const probes = selectRows(log, { kind: "probe", seed: s });
    assert.equal(probes.length, c.probeAt.length * c.probeBatches);
  }
  const claims = filtering.checkClaims(log);
  assert.equal(claims.length, 6);
  for (const r of claims) {
    assert.ok(Number.isFinite(r.estimate) && r.ci[0] <= r.ci[1] && VERDICTS.includes(r.verdict), r.claim);
  }
  assert.equal(filtering.charts(log).length, 4);
});

Deno.test("seele smoke run: equal rollout budget in every arm, descent rows, claims well-formed", async () => {
  const c = seele.presets.smoke;
  const log = await runReproduction(seele, { preset: "smoke", progress: false });
  const budget = c.steps * c.batchSize * c.rounds * c.rolloutsPerRound;
  for (const arm of seeleArms(c)) {
    const last = selectRows(log, { kind: "curve", arm, step: c.steps });
    assert.equal(last.length, c.seeds);
    for (const r of last) assert.equal(r.rollouts, budget, arm);
  }
  const fixed = selectRows(log, { kind: "curve", arm: "fixed" }).filter((r) => Number(r.step) > 0);
  for (const r of fixed) assert.ok(Number(r.hintRate) > 0.3 && Number(r.hintRate) < 0.7);
  const grpo = selectRows(log, { kind: "curve", arm: "grpo" }).filter((r) => Number(r.step) > 0);
  for (const r of grpo) assert.equal(r.hintRate, 0);
  const descent = selectRows(log, { kind: "descent" });
  assert.ok(descent.length > 0 && descent.every((r) => Number(r.hint) < Number(r.length)));
  const claims = seele.checkClaims(log);
  assert.equal(claims.length, 5);
  for (const r of claims) {
    assert.ok(Number.isFinite(r.estimate) && r.ci[0] <= r.ci[1] && VERDICTS.includes(r.verdict), r.claim);
  }
  assert.equal(seele.charts(log).length, 3);
});

Deno.test("filtering: the same seeds give the same log; the balanced arm trains on full batches (fill = 1)", async () => {
  const opts = { preset: "smoke" as const, seeds: 1, config: { steps: 8, probeBatches: 3 }, progress: false };
  const a = await runReproduction(filtering, opts);
  const b = await runReproduction(filtering, opts);
  assert.deepEqual(a.rows, b.rows);
  for (const r of selectRows(a, { kind: "curve", arm: "balanced" })) assert.equal(r.fill, 1);
});
