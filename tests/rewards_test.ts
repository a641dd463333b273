import assert from "node:assert/strict";
import {
  exactMatchReward,
  formatReward,
  overlongPenalty,
  parseConfidence,
  rlcrLogScoreReward,
  rlcrReward,
} from "../lib/rewards/mod.ts";
import { ConfigError } from "../lib/core/validate.ts";

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

Deno.test("exactMatchReward: strings (trim, case) and token arrays", () => {
  assert.equal(exactMatchReward(" 42 ", "42"), 1);
  assert.equal(exactMatchReward(" 42 ", "42", { trim: false }), 0);
  assert.equal(exactMatchReward("Paris", "paris"), 0);
  assert.equal(exactMatchReward("Paris", "paris", { ignoreCase: true }), 1);
  assert.equal(exactMatchReward([3, 4, 2], [3, 4, 2]), 1);
  assert.equal(exactMatchReward([3, 4], [3, 4, 2]), 0);
  assert.equal(exactMatchReward(null, "1"), 0);
  assert.throws(() => exactMatchReward("1", "1", { trimm: true } as never), ConfigError);
});

Deno.test("formatReward: match / no match, custom values, /g pattern is stateless", () => {
  const re = /<answer>.*<\/answer>/;
  assert.equal(formatReward("x <answer>3</answer>", re), 1);
  assert.equal(formatReward("x 3", re), 0);
  assert.equal(formatReward("x 3", re, { reward: 0.5, penalty: -1 }), -1);
  const g = /a/g;
  assert.equal(formatReward("a", g), 1);
  assert.equal(formatReward("a", g), 1);
});

Deno.test("overlongPenalty: hand values at the DAPO boundaries (maxLen 100, cacheLen 20)", () => {
  const r = overlongPenalty({ maxLen: 100, cacheLen: 20 });
  assert.equal(r(0), 0);
  assert.equal(r(80), 0); // = L_max − L_cache: still free
  close(r(81), -1 / 20);
  close(r(90), -0.5);
  close(r(99), -19 / 20);
  close(r(100), -1); // = L_max: ramp end
  assert.equal(r(101), -1);
  assert.equal(r(10000), -1);
  assert.throws(() => overlongPenalty({ maxLen: 10, cacheLen: 11 }), ConfigError);
  assert.throws(() => overlongPenalty({ maxLen: 10, cacheLen: 0 }), ConfigError);
  assert.throws(() => r(-1), ConfigError);
});

Deno.test("rlcrReward: hand values of 1[c] − (q − 1[c])² and the unparsable-confidence penalty", () => {
  close(rlcrReward(1, 1), 1);
  close(rlcrReward(1, 0), 0);
  close(rlcrReward(1, 0.8), 1 - 0.04);
  close(rlcrReward(0, 0), 0);
  close(rlcrReward(0, 0.3), -0.09);
  close(rlcrReward(0, 1), -1);
  close(rlcrReward(true, "<confidence>0.5</confidence>"), 0.75);
  close(rlcrReward(false, "0.5"), -0.25);
  // Unparsable → 0 (paper default), or the configured penalty.
  assert.equal(rlcrReward(1, null), 0);
  assert.equal(rlcrReward(1, "high"), 0);
  assert.equal(rlcrReward(1, 1.2), 0);
  assert.equal(rlcrReward(1, "<confidence>-0.1</confidence>"), 0);
  assert.equal(rlcrReward(1, Number.NaN), 0);
  assert.equal(rlcrReward(1, undefined, { unparsableReward: -1 }), -1);
  assert.equal(parseConfidence("blah <confidence> 0.25 </confidence>"), 0.25);
  assert.throws(() => rlcrReward(2, 0.5), ConfigError);
});

Deno.test("rlcrLogScoreReward: hand values and the documented floor", () => {
  close(rlcrLogScoreReward(1, 0.5), 1 + Math.log(0.5));
  close(rlcrLogScoreReward(0, 0.25), Math.log(0.75));
  close(rlcrLogScoreReward(0, 0), 0);
  close(rlcrLogScoreReward(1, 0), 1 + Math.log(1e-6)); // floored, not −∞
  close(rlcrLogScoreReward(0, 1, { logFloor: 1e-3 }), Math.log(1e-3));
  assert.equal(rlcrLogScoreReward(1, "?"), 0);
});

// Expected reward of answering `arm` (success probability p) with confidence q.
const expectedBrier = (p: number, q: number) => p * rlcrReward(1, q) + (1 - p) * rlcrReward(0, q);
const expectedLog = (p: number, q: number) =>
  p * rlcrLogScoreReward(1, q) + (1 - p) * rlcrLogScoreReward(0, q);

function argmax(arms: number[], f: (p: number, q: number) => number) {
  let best = { arm: -1, q: NaN, value: -Infinity };
  for (let i = 0; i < arms.length; i++) {
    for (let j = 0; j <= 1000; j++) {
      const q = j / 1000;
      const v = f(arms[i], q);
      if (v > best.value) best = { arm: i, q, value: v };
    }
  }
  return best;
}

Deno.test("RLCR toy (arXiv 2507.16806): Brier optimum = best arm at q = p; log score collapses to an impossible arm", () => {
  // 5 arms; the best has p = 0.344, one arm is impossible (p = 0). q on a 0.001 grid for every arm.
  const arms = [0.344, 0.2, 0.1, 0.05, 0];
  const brier = argmax(arms, expectedBrier);
  assert.equal(brier.arm, 0);
  close(brier.q, 0.344, 1e-9);
  // Closed form: max_q E = p − p(1 − p) = p² at q = p.
  close(brier.value, 0.344 ** 2, 1e-9);
  for (const ps of [[0.9, 0.5, 0.7], [0.12, 0.37, 0.05, 0.36]]) {
    const b = argmax(ps, expectedBrier);
    assert.equal(b.arm, ps.indexOf(Math.max(...ps)));
    close(b.q, Math.max(...ps), 1e-9);
  }
  const log = argmax(arms, expectedLog);
  // Best arm's optimum under the log score: p + p log p + (1 − p) log(1 − p) < 0 = impossible arm at q = 0.
  const bestArmLog = 0.344 + 0.344 * Math.log(0.344) + 0.656 * Math.log(0.656);
  assert.ok(bestArmLog < 0, `${bestArmLog}`);
  close(argmax([0.344], expectedLog).value, bestArmLog, 1e-6);
  assert.equal(log.arm, 4);
  assert.equal(log.q, 0);
  close(log.value, 0);
});
