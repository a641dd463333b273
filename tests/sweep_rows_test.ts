/** sweepRunRows and the publish-sweeps step, on a hand-made sweep folder with known rows. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError } from "../lib/core/validate.ts";
import { parseGrid } from "../lib/jobs/grid.ts";
import { sweepRunRows } from "../mod.ts";
import { publishSweep, sliderRows, sweepCommand } from "../scripts/publish_sweeps.ts";

const jsonl = (rows: object[]) => rows.map((r) => JSON.stringify(r)).join("\n") + "\n";

/** A two-point sweep (lr 0.1 and 0.3, lengths fixed at [3,5]), two seeds each, written by hand. */
async function handMadeSweep(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "sweetspot-sweep-rows-" });
  const dir = join(root, "sweeps", "toy-lr");
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    join(dir, "sweep.json"),
    JSON.stringify({
      name: "toy-lr",
      reproduction: "kae",
      grid: { lr: [0.1, 0.3], lengths: [[3, 5]] },
      preset: "quick",
      seeds: 2,
    }),
  );
  // Point folders named as the sweep runner names them: field=value joined by _, "," → "+".
  const y = { "lr=0.1_lengths=[3+5]": [[0.1, 0.3], [0.5, 0.7]], "lr=0.3_lengths=[3+5]": [[1, 2], [3, 5]] };
  for (const [key, perSeed] of Object.entries(y)) {
    await Deno.mkdir(join(dir, "points", key, "seeds"), { recursive: true });
    for (let seed = 0; seed < 2; seed++) {
      await Deno.writeTextFile(
        join(dir, "points", key, "seeds", `${seed}.jsonl`),
        jsonl([
          { seed, kind: "curve", arm: "a", step: 0, acc: perSeed[seed][0] },
          { seed, kind: "curve", arm: "a", step: 10, acc: perSeed[seed][1] },
          { seed, kind: "final", arm: "a", acc: 9 },
        ]),
      );
    }
    await Deno.writeTextFile(join(dir, "points", key, "seeds", "config.json"), "{}");
  }
  return dir;
}

Deno.test("sweepRunRows: every seed's rows of every point, filtered by where, annotated with the grid fields", async () => {
  const dir = await handMadeSweep();
  try {
    const all = await sweepRunRows(dir);
    assert.equal(all.length, 2 * 2 * 3);
    const curve = await sweepRunRows(dir, { kind: "curve" });
    assert.equal(curve.length, 2 * 2 * 2);
    assert.deepEqual(curve[0], {
      seed: 0,
      kind: "curve",
      arm: "a",
      step: 0,
      acc: 0.1,
      lr: 0.1,
      lengths: "[3,5]",
      point: "lr=0.1_lengths=[3+5]",
    });
    // Grid order (lr 0.1 first), then seed order.
    assert.deepEqual(curve.map((r) => [r.lr, r.seed, r.step]), [
      [0.1, 0, 0],
      [0.1, 0, 10],
      [0.1, 1, 0],
      [0.1, 1, 10],
      [0.3, 0, 0],
      [0.3, 0, 10],
      [0.3, 1, 0],
      [0.3, 1, 10],
    ]);
    assert.deepEqual(
      await sweepRunRows(dir, { kind: "curve", step: 10, lr: 0.3 }).then((r) => r.map((x) => x.acc)),
      [
        2,
        5,
      ],
    );
    assert.equal((await sweepRunRows(dir, { kind: "nothing" })).length, 0);
    // A list matches any of its values.
    assert.deepEqual(
      (await sweepRunRows(dir, { kind: ["final", "other"], lr: [0.3] })).map((r) => [r.seed, r.acc]),
      [[0, 9], [1, 9]],
    );
    // A point without seeds and a folder without sweep.json are ConfigErrors.
    await Deno.remove(join(dir, "points", "lr=0.3_lengths=[3+5]"), { recursive: true });
    await assert.rejects(() => sweepRunRows(dir), ConfigError);
    await assert.rejects(() => sweepRunRows(join(dir, "points")), ConfigError);
  } finally {
    await Deno.remove(join(dir, "..", ".."), { recursive: true });
  }
});

Deno.test("sliderRows: seed means per (param, colour, x); thinning keeps every k-th x and the last", () => {
  const rows = [
    { lr: 0.1, arm: "a", step: 0, acc: 0.1 },
    { lr: 0.1, arm: "a", step: 0, acc: 0.5 },
    { lr: 0.1, arm: "b", step: 0, acc: 1 },
    { lr: 0.3, arm: "a", step: 0, acc: "not a number" },
  ];
  const s = { param: "lr", x: "step", y: "acc", color: "arm" };
  const out = sliderRows(rows, s);
  assert.equal(out.length, 2);
  assert.equal(out[0].n, 2);
  assert.ok(Math.abs(Number(out[0].acc) - 0.3) < 1e-12);
  assert.deepEqual(out[1], { lr: 0.1, arm: "b", step: 0, acc: 1, n: 1 });
  // 2 lines × 11 x values (0…10) under a cap of 12 rows: k = 2 gives 2 × 6 = 12 (x = 0, 2, …, 10).
  const many = [];
  for (const arm of ["a", "b"]) for (let x = 0; x <= 10; x++) many.push({ lr: 1, arm, step: x, acc: x });
  const thin = sliderRows(many, s, 12);
  assert.equal(thin.length, 12);
  assert.deepEqual([...new Set(thin.map((r) => r.step))], [0, 2, 4, 6, 8, 10]);
  // 11 rows: k = 3 gives x = 0, 3, 6, 9 and the last, 10 (2 × 5 = 10 rows).
  assert.deepEqual([...new Set(sliderRows(many, s, 11).map((r) => r.step))], [0, 3, 6, 9, 10]);
});

Deno.test("publish-sweeps: header with the reproducing command, seed-mean rows of the slider", async () => {
  const dir = await handMadeSweep();
  const out = await Deno.makeTempDir();
  try {
    const res = await publishSweep("toy", {
      results: join(dir, "..", ".."),
      out,
      slider: {
        sweep: "toy-lr",
        param: "lr",
        where: { kind: "curve" },
        x: "step",
        y: "acc",
        color: "arm",
        title: "toy chart",
        caption: "toy",
      },
      provenance: { commit: "abc", dirty: false, cpu: "cpu", cores: 2, os: "linux" },
      date: new Date("2026-01-02T00:00:00Z"),
    });
    const file = JSON.parse(await Deno.readTextFile(join(out, "toy.json")));
    assert.deepEqual(file, JSON.parse(JSON.stringify(res)));
    assert.equal(file.header.commit, "abc");
    assert.equal(file.title, "toy chart");
    assert.equal(file.header.published, "2026-01-02");
    assert.equal(file.header.seeds, 2);
    assert.equal(
      file.header.command,
      "deno task sweep kae --grid lr=0.1,0.3 --grid 'lengths=[3,5]' --preset quick --seeds 2 --name toy-lr",
    );
    // Means by hand: lr 0.1 → step 0: (0.1+0.5)/2, step 10: (0.3+0.7)/2; lr 0.3 → (1+3)/2, (2+5)/2.
    const means = file.rows.map((r: Record<string, number>) => [r.lr, r.step, Math.round(r.acc * 1e9) / 1e9]);
    assert.deepEqual(means, [[0.1, 0, 0.3], [0.1, 10, 0.5], [0.3, 0, 2], [0.3, 10, 3.5]]);
    await assert.rejects(() => publishSweep("no-such-paper", { results: dir, out }), ConfigError);
  } finally {
    await Deno.remove(join(dir, "..", ".."), { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("sweepCommand: its --grid arguments parse back to the sweep's grid", () => {
  const grid = { low: [0.1, 0.2], tiers: [["exact"]], referenceWeights: [[1, 1, 2], [3, 1, 1]] };
  const cmd = sweepCommand({ reproduction: "filtering", grid, preset: "quick", seeds: 3, name: "x" });
  const args = [...cmd.matchAll(/--grid (?:'([^']*)'|(\S+))/g)].map((m) => m[1] ?? m[2]);
  assert.deepEqual(parseGrid(args), grid);
});
