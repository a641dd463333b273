import assert from "node:assert/strict";
import { ConfigError } from "../lib/core/validate.ts";
import { calibrationSummary } from "../lib/estimators/calibration.ts";

const close = (a: number, b: number, msg?: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, msg ?? `${a} ≠ ${b}`);

Deno.test("calibrationSummary: hand-computed ECE, Brier, AUROC and bins; unparsable excluded from calibration", () => {
  // parsable: (1, y=1), (1, y=0), (0, y=0), (0.5, y=1); one unparsable correct response
  const s = calibrationSummary([1, 1, 0, 0.5, null], [1, 0, 0, 1, 1]);
  assert.equal(s.accuracy, 3 / 5);
  assert.equal(s.parseRate, 4 / 5);
  assert.equal(s.meanConfidence, 2.5 / 4);
  // 10 bins: {1,1} in the closed last bin (acc ½, conf 1) → 2/4·½; {0}: 0; {0.5}: |1 − 0.5|·1/4
  close(s.ece, 0.25 + 0.125);
  close(s.brier, (0 + 1 + 0 + 0.25) / 4);
  // positives {1, 0.5}, negatives {1, 0}: pairs (1>0)=1, (1=1)=½, (0.5<1)=0, (0.5>0)=1 → 2.5/4
  close(s.auroc, 0.625);
  assert.equal(s.bins.length, 10);
  assert.deepEqual(
    s.bins.filter((b) => b.count > 0).map((b) => [b.lower, b.count, b.meanConfidence, b.accuracy]),
    [[0, 1, 0, 0], [0.5, 1, 0.5, 1], [0.9, 2, 1, 0.5]],
  );
  // 2 bins: [0, ½) holds {0} (acc 0, conf 0); [½, 1] holds {1, 1, 0.5}: acc 2/3, conf 5/6 → ECE ¾·(1/6)
  const two = calibrationSummary([1, 1, 0, 0.5, null], [1, 0, 0, 1, 1], { bins: 2 });
  close(two.ece, 0.125);
  assert.deepEqual(two.bins.map((b) => b.count), [1, 3]);
});

Deno.test("calibrationSummary: degenerate inputs (no parsable confidence, one class) and bad input", () => {
  const none = calibrationSummary([null, null], [1, 0]);
  assert.equal(none.accuracy, 0.5);
  assert.equal(none.parseRate, 0);
  for (const v of [none.meanConfidence, none.ece, none.brier, none.auroc]) assert.ok(Number.isNaN(v));
  assert.deepEqual(none.bins, []);
  const one = calibrationSummary([0.5, 0.5], [true, true]);
  assert.ok(Number.isNaN(one.auroc), "one class → AUROC undefined");
  close(one.ece, 0.5);
  assert.throws(() => calibrationSummary([], []), (e) => e instanceof ConfigError && /conf/.test(e.message));
  assert.throws(() => calibrationSummary([0.5], [1, 0]), ConfigError);
  assert.throws(
    () => calibrationSummary([1.5], [1]),
    (e) => e instanceof ConfigError && /conf/.test(e.message),
  );
  assert.throws(
    () => calibrationSummary([0.5], [2]),
    (e) => e instanceof ConfigError && /correct/.test(e.message),
  );
  assert.throws(() => calibrationSummary([0.5], [1], { bins: 0 }), /calibrationSummary.bins/);
});
