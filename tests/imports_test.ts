/**
 * The module graph has no import cycle, and the reproductions reach the library only through mod.ts. The graph
 * is read from the source: every local `import … from`, `export … from`, `import type` and `import("…")`
 * specifier of every .ts file under lib/, reproductions/, scripts/, tests/ and bench/, plus mod.ts.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const FOLDERS = ["lib", "reproductions", "scripts", "tests", "bench"];

/** Local specifiers a module imports or re-exports (static, type-only and dynamic). */
export function localSpecifiers(source: string): string[] {
  const out: string[] = [];
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const m of code.matchAll(re)) out.push(m[1]);
  return out;
}

/** Every cycle's members (strongly connected components with > 1 node, or a self-import), by Tarjan's algorithm. */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory && e.name !== "node_modules") out.push(...tsFiles(p));
    else if (e.isFile && e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** The project's module graph: file (relative to the root) → files it imports. */
function projectGraph(): Map<string, string[]> {
  const files = [join(ROOT, "mod.ts"), ...FOLDERS.flatMap((f) => tsFiles(join(ROOT, f)))];
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = localSpecifiers(Deno.readTextFileSync(f)).map((s) => relative(ROOT, resolve(dirname(f), s)));
    graph.set(relative(ROOT, f), deps);
  }
  return graph;
}

Deno.test("findCycles: finds a synthetic cycle and a self-import, and none in a DAG", () => {
  const cyclic = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a", "d"]], ["d", []], ["e", ["e"]]]);
  assert.deepEqual(findCycles(cyclic), [["a", "b", "c"], ["e"]]);
  const dag = new Map([["a", ["b", "c"]], ["b", ["c"]], ["c", []]]);
  assert.deepEqual(findCycles(dag), []);
  assert.deepEqual(
    localSpecifiers(
      'import { a } from "./a.ts";\nimport type { B } from "../b.ts";\nexport * from "./c.ts";\n' +
        'const d = await import("./d.ts");\nimport "./e.ts";\n// import { x } from "./commented.ts";\n' +
        'import { y } from "npm:y";',
    ),
    ["./a.ts", "../b.ts", "./c.ts", "./d.ts", "./e.ts"],
  );
});

Deno.test("the project's module graph has no import cycle", () => {
  const graph = projectGraph();
  assert.ok(graph.size > 100, `read ${graph.size} modules`);
  const cycles = findCycles(graph);
  assert.deepEqual(cycles, [], cycles.map((c) => c.join(" ↔ ")).join("\n"));
});

Deno.test("files under reproductions/ import the library only through mod.ts", () => {
  const deep: string[] = [];
  for (const [file, deps] of projectGraph()) {
    if (!file.startsWith("reproductions/")) continue;
    for (const d of deps) if (d.startsWith("lib/")) deep.push(`${file} → ${d}`);
  }
  assert.deepEqual(deep, []);
});

Deno.test("nothing in lib/ or in a paper's folder imports the reproductions barrel, scripts or tests", () => {
  const bad: string[] = [];
  for (const [file, deps] of projectGraph()) {
    const inLib = file.startsWith("lib/") || file === "mod.ts";
    const inPaper = /^reproductions\/[^/]+\//.test(file);
    for (const d of deps) {
      if (inLib && !d.startsWith("lib/")) bad.push(`${file} → ${d}`);
      if (inPaper && (d === "reproductions/mod.ts" || d === "reproductions/registry.ts")) {
        bad.push(`${file} → ${d}`);
      }
    }
  }
  assert.deepEqual(bad, []);
});
