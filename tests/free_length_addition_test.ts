import assert from "node:assert/strict";
import { Rng } from "../lib/core/rng.ts";
import { ConfigError } from "../lib/core/validate.ts";
import { FreeLengthAdditionTask } from "../lib/tasks/free_length_addition.ts";

const task = new FreeLengthAdditionTask({ digits: 1, maxFiller: 3, maxFree: 6 });
const V = task.vocab;

Deno.test("FreeLengthAdditionTask: only the answer prefix is verified; references carry 0…maxFiller fillers", () => {
  const p = task.base.problem(7, 8); // 15 → reversed fixed width "51"
  assert.equal(task.verify(p, V.encode("51")), 1);
  assert.equal(task.verify(p, [...V.encode("51"), V.eos]), 1);
  assert.equal(task.verify(p, [...V.encode("51=9=+"), V.eos]), 1, "free tokens after the answer are ignored");
  assert.equal(task.verify(p, [...V.encode("15"), V.eos]), 0);
  assert.equal(task.verify(p, [...V.encode("5"), V.eos, ...V.encode("1")]), 0, "eos before the answer ends");
  assert.equal(task.verify(p, []), 0);
  const rng = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 200; i++) {
    const q = task.sample(rng);
    const k = q.solution.length - 3; // 2 answer digits + eos
    assert.ok(k >= 0 && k <= 3, `filler count ${k}`);
    seen.add(k);
    assert.equal(q.solution.at(-1), V.eos);
    assert.equal(task.verify(q, q.solution), 1);
    const { a, b } = q.meta as { a: number; b: number };
    assert.equal(
      V.decode(q.solution.slice(0, 2)),
      String(a + b).padStart(2, "0").split("").reverse().join(""),
    );
    assert.ok(q.prompt.length + q.solution.length <= task.maxSequenceLength);
  }
  assert.equal(seen.size, 4, "every filler count 0…3 occurs");
  assert.throws(() => new FreeLengthAdditionTask({ maxFiller: 5, maxFree: 4 }), ConfigError);
});
