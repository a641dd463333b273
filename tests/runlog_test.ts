import assert from "node:assert/strict";
import { RunLog, type RunRow } from "../lib/log/mod.ts";
import { ConfigError } from "../lib/core/validate.ts";

const ROWS: RunRow[] = [
  { step: 0, arm: "GRPO", seed: 1, reward: 0.25, done: false, note: null },
  { step: 1, arm: "RLOO", seed: 2, reward: -1.5e-7, done: true, note: 'say "hi", then\nleave' },
  { step: 2, arm: "1", seed: 3, reward: 12345678.875, done: true, note: "" },
  { step: 3, arm: "true", seed: 4, extra: 7 },
];

Deno.test("RunLog.toCSV / toJSONL produce the hand-written text", () => {
  const log = RunLog.fromRows(ROWS);
  assert.equal(log.length, 4);
  assert.deepEqual(log.columns, ["step", "arm", "seed", "reward", "done", "note", "extra"]);
  assert.equal(
    log.toCSV(),
    [
      '"step","arm","seed","reward","done","note","extra"',
      '0,"GRPO",1,0.25,false,,',
      '1,"RLOO",2,-1.5e-7,true,"say ""hi"", then\nleave",',
      '2,"1",3,12345678.875,true,"",',
      '3,"true",4,,,,7',
      "",
    ].join("\n"),
  );
  assert.equal(
    log.toJSONL(),
    '{"step":0,"arm":"GRPO","seed":1,"reward":0.25,"done":false,"note":null}\n' +
      '{"step":1,"arm":"RLOO","seed":2,"reward":-1.5e-7,"done":true,"note":"say \\"hi\\", then\\nleave"}\n' +
      '{"step":2,"arm":"1","seed":3,"reward":12345678.875,"done":true,"note":""}\n' +
      '{"step":3,"arm":"true","seed":4,"extra":7}\n',
  );
});

Deno.test("RunLog save/load round-trips CSV and JSONL (types, quotes, null vs empty string) with meta", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const meta = { config: { lr: 1e-3, groupSize: 8 }, seeds: [1, 2, 3, 4], backend: "cpu" };
    const log = RunLog.fromRows(ROWS, meta);
    await log.save(`${dir}/sub/run.jsonl`);
    const j = await RunLog.load(`${dir}/sub/run.jsonl`);
    assert.deepEqual(j.rows, ROWS);
    assert.deepEqual(j.meta, meta);
    await log.save(`${dir}/run.csv`);
    const c = await RunLog.load(`${dir}/run.csv`);
    assert.deepEqual(c.meta, meta);
    // CSV stores every column on every line: cells a row never had read back as null.
    assert.deepEqual(c.rows, [
      { step: 0, arm: "GRPO", seed: 1, reward: 0.25, done: false, note: null, extra: null },
      {
        step: 1,
        arm: "RLOO",
        seed: 2,
        reward: -1.5e-7,
        done: true,
        note: 'say "hi", then\nleave',
        extra: null,
      },
      { step: 2, arm: "1", seed: 3, reward: 12345678.875, done: true, note: "", extra: null },
      { step: 3, arm: "true", seed: 4, reward: null, done: null, note: null, extra: 7 },
    ]);
    const side = JSON.parse(await Deno.readTextFile(`${dir}/run.csv.meta.json`));
    assert.equal(side.rows, 4);
    assert.deepEqual(side.meta, meta);
    // A CSV from another writer: unquoted strings, CRLF, no sidecar.
    await Deno.writeTextFile(`${dir}/ext.csv`, "arm,step,acc\r\nGRPO,1,0.5\r\nRLOO,2,\r\n");
    const ext = await RunLog.load(`${dir}/ext.csv`);
    assert.deepEqual(ext.rows, [{ arm: "GRPO", step: 1, acc: 0.5 }, { arm: "RLOO", step: 2, acc: null }]);
    assert.deepEqual(ext.meta, {});
    await assert.rejects(() => log.save(`${dir}/run.txt`), ConfigError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("RunLog.log rejects NaN/Infinity and non-scalars, naming the column", () => {
  const log = new RunLog();
  assert.throws(
    () => log.log({ step: 1, loss: NaN }),
    (e) => e instanceof ConfigError && e.field === "row 0.loss",
  );
  assert.throws(() => log.log({ kl: Infinity }), (e) => e instanceof ConfigError && /kl/.test(e.message));
  assert.throws(() => log.log({ x: [1] as unknown as number }), ConfigError);
  assert.throws(() => log.log({ x: undefined as unknown as number }), ConfigError);
  assert.equal(log.length, 0);
  log.log({ step: 1, loss: null });
  assert.equal(log.length, 1);
});

Deno.test("RunLog.summarize: per-group mean/std/count via arquero; toTable; concat", () => {
  const a = RunLog.fromRows([
    { arm: "A", seed: 0, r: 1 },
    { arm: "A", seed: 1, r: 3 },
    { arm: "B", seed: 0, r: 2 },
  ], { run: 1 });
  const b = RunLog.fromRows([{ arm: "B", seed: 1, r: null }, { arm: "B", seed: 2, r: 4 }, {
    arm: "C",
    seed: 0,
    r: 5,
  }], {
    run: 2,
  });
  const all = RunLog.concat([a, b]);
  assert.equal(all.length, 6);
  assert.deepEqual(all.meta, { parts: [{ run: 1 }, { run: 2 }] });
  const t = all.toTable();
  assert.equal(t.numRows(), 6);
  assert.deepEqual(t.columnNames(), ["arm", "seed", "r"]);
  // A: [1,3] mean 2, sd √2; B: [2,4] (null skipped) mean 3, sd √2; C: [5] sd undefined → null.
  assert.deepEqual(all.summarize(["arm"], ["r"]), [
    { arm: "A", r_mean: 2, r_std: Math.SQRT2, r_count: 2 },
    { arm: "B", r_mean: 3, r_std: Math.SQRT2, r_count: 2 },
    { arm: "C", r_mean: 5, r_std: null, r_count: 1 },
  ]);
  const overall = all.summarize([], ["r"]);
  assert.equal(overall.length, 1);
  assert.equal(overall[0].r_mean, 3); // (1+3+2+4+5)/5
  assert.throws(
    () => all.summarize(["nope"], ["r"]),
    (e) => e instanceof ConfigError && /arm, seed, r/.test(e.message),
  );
  assert.throws(() => all.summarize(["r"], ["arm"]), ConfigError); // non-numeric metric
});
