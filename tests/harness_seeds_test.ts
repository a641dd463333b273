import assert from "node:assert/strict";
import { ConfigError } from "../lib/core/validate.ts";
import { RunLog } from "../lib/log/runlog.ts";
import { bySeed, pairedBySeed, type Row, rowsBySeed, seedMatrix } from "../mod.ts";

// Hand-made log: 3 seeds (logged out of order), arms a/b, seed 2 lacks arm b, seed 1's b metric is null.
const ROWS: Row[] = [
  { seed: 2, kind: "eval", arm: "a", acc: 0.9 },
  { seed: 0, kind: "eval", arm: "a", acc: 0.5 },
  { seed: 0, kind: "eval", arm: "b", acc: 0.25 },
  { seed: 1, kind: "eval", arm: "a", acc: 0.75 },
  { seed: 1, kind: "eval", arm: "b", acc: 0.5 },
  { seed: 0, kind: "curve", arm: "a", step: 1, acc: 0.1 },
  { seed: 0, kind: "curve", arm: "a", step: 2, acc: 0.3 },
  { seed: 1, kind: "curve", arm: "a", step: 1, acc: 0.2 },
];

function log(rows: Row[]): RunLog {
  const l = new RunLog({});
  for (const r of rows) l.log(r as Record<string, number | string | null>);
  return l;
}

Deno.test("rowsBySeed: groups in ascending seed order, keeps row order within a seed", () => {
  const g = rowsBySeed(ROWS);
  assert.deepEqual([...g.keys()], [0, 1, 2]);
  assert.deepEqual(g.get(0)!.map((r) => r.acc), [0.5, 0.25, 0.1, 0.3]);
  assert.throws(() => rowsBySeed([{ kind: "x" }]), ConfigError);
});

Deno.test("bySeed and pairedBySeed: hand-computed paired differences; a seed missing an arm is kept, not dropped", () => {
  const a = bySeed(log(ROWS), { kind: "eval", arm: "a" }, "acc");
  const b = bySeed(ROWS, { kind: "eval", arm: "b" }, "acc");
  assert.deepEqual([...a.entries()], [[0, 0.5], [1, 0.75], [2, 0.9]]);
  assert.deepEqual([...b.entries()], [[0, 0.25], [1, 0.5]]);
  assert.deepEqual(pairedBySeed(a, b), [0.25, 0.25, NaN]); // seed 2 has no b: kept as NaN
  assert.deepEqual(pairedBySeed(a, b, (x, y) => x / y, { failure: 0 }), [2, 1.5, 0]);
  // The registered seed count fixes the seeds: seed 3 ran in neither arm and still counts.
  assert.deepEqual(pairedBySeed(a, b, undefined, { seeds: 4, failure: -1 }), [0.25, 0.25, -1, -1]);
  const withNull = bySeed([{ seed: 0, arm: "b", acc: null as unknown as number }], { arm: "b" }, "acc");
  assert.ok(Number.isNaN(withNull.get(0)));
  assert.deepEqual(pairedBySeed(a, withNull), [NaN, NaN, NaN], "non-finite pairs are kept");
  assert.deepEqual(
    pairedBySeed(new Map(), new Map(), undefined, { seeds: 3 }),
    [],
    "a tier not run: no seeds",
  );
  // Two curve rows in seed 0 match {kind: curve, arm: a}: ambiguous.
  assert.throws(() => bySeed(ROWS, { kind: "curve", arm: "a" }, "acc"), ConfigError);
});

Deno.test("seedMatrix: one stratum of per-seed statistics, or one row per stratum value", () => {
  const curve = ROWS.filter((r) => r.kind === "curve");
  const last = (rows: Row[]) => Number(rows.at(-1)!.acc);
  assert.deepEqual(seedMatrix(curve, last), [[0.3, 0.2]]);
  // Mean eval accuracy per seed, stratified by arm: a → [0.5, 0.75, 0.9], b → [0.25, 0.5].
  const evals = ROWS.filter((r) => r.kind === "eval");
  const mean = (rows: Row[]) => rows.reduce((s, r) => s + Number(r.acc), 0) / rows.length;
  assert.deepEqual(seedMatrix(evals, mean, "arm"), [[0.5, 0.75, 0.9], [0.25, 0.5]]);
  // Non-finite statistics are kept as NaN (the claim counts them); an all-NaN stratum (not run) disappears.
  assert.deepEqual(seedMatrix(evals, (r) => (r[0].arm === "b" ? NaN : 1), "arm"), [[1, 1, 1]]);
  assert.deepEqual(seedMatrix(evals, (r) => (r[0].seed === 1 ? Infinity : 1), "arm"), [[1, NaN, 1], [
    1,
    NaN,
  ]]);
  assert.deepEqual(seedMatrix(log(evals), () => NaN), [[NaN, NaN, NaN]]);
});
