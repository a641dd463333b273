/**
 * One palette keyed by arm name: `armColor(name)` gives an arm (method, series) the same colour in every chart.
 * The arms of the reproductions have fixed colours (distinct within each paper, plain GRPO always blue, starting
 * points grey); any other name is hashed (FNV-1a) into the Tableau 20 palette. `applyArmPalette` writes that
 * mapping into every nominal colour encoding of a vega-lite spec; `Chart` applies it to every chart it wraps.
 */
import type { VegaLiteSpec } from "./render.ts";

/** Tableau 20 (vega's `tableau20` scheme): the colours names are hashed into, and the fallback on a clash. */
export const ARM_PALETTE: readonly string[] = [
  "#4c78a8",
  "#9ecae9",
  "#f58518",
  "#ffbf79",
  "#54a24b",
  "#88d27a",
  "#b79a20",
  "#f2cf5b",
  "#439894",
  "#83bcb6",
  "#e45756",
  "#ff9d98",
  "#79706e",
  "#bab0ac",
  "#d67195",
  "#fcbfd2",
  "#b279a2",
  "#d6a5c9",
  "#9e765f",
  "#d8b5a5",
];

const BLUE = "#4c78a8", ORANGE = "#f58518", GREEN = "#54a24b", RED = "#e45756", TEAL = "#439894";
const PURPLE = "#b279a2", OLIVE = "#b79a20", PINK = "#d67195", BROWN = "#9e765f", GREY = "#79706e";

/**
 * Fixed colours of the reproductions' arm names (lower case): the baseline each paper compares against is blue,
 * the starting point grey; the arms of one paper never share a colour.
 */
export const KNOWN_ARM_COLORS: Readonly<Record<string, string>> = {
  // shared baselines and starting points
  grpo: BLUE,
  start: GREY,
  base: GREY,
  none: GREY,
  uniform: GREY,
  reinforce: PURPLE,
  // Online Difficulty Filtering
  dapo: ORANGE,
  balanced: GREEN,
  // GRPO family ablation
  "dr-grpo": RED,
  "clip-symmetric": TEAL,
  "clip-higher": OLIVE,
  // SATURN
  direct: BLUE,
  ladder: GREEN,
  // RLCR
  binary: BLUE,
  rlcr: ORANGE,
  "rlcr-paper": RED,
  // NSR / PSR / W-REINFORCE
  psr: GREEN,
  nsr: RED,
  "w-reinforce": ORANGE,
  // ROVER
  rover: ORANGE,
  "rover-exact": PINK,
  // KAE
  kae: ORANGE,
  batchmean: TEAL,
  groupmean: BROWN,
  // SEELE
  "no-hint": BLUE,
  seele: ORANGE,
  fixed: TEAL,
  // measured vs theory overlays
  measured: BLUE,
};

/** FNV-1a 32-bit hash of a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The colour of an arm name: its fixed colour when known (case-insensitive), else FNV-1a(name) mod 20 in `ARM_PALETTE`. */
export function armColor(name: string | number | boolean): string {
  const key = String(name).trim().toLowerCase();
  return KNOWN_ARM_COLORS[key] ?? ARM_PALETTE[fnv1a(key) % ARM_PALETTE.length];
}

/** A vega-lite colour scale with an explicit domain and range. */
export interface ArmColorScale {
  /** The arm names, in legend order. */
  domain: (string | number | boolean)[];
  /** One colour per name. */
  range: string[];
}

/**
 * Colour scale for the arms of one chart: each name gets `armColor(name)`; where two names of the chart would
 * share a colour, the later one (in `names` order) takes the first palette colour not yet used in the chart.
 * Duplicates are dropped; the order of `names` is kept (it is the legend order).
 */
export function armColorScale(names: Iterable<string | number | boolean>): ArmColorScale {
  const domain = [...new Set(names)];
  const used = new Set<string>();
  const range = domain.map((n) => {
    let c = armColor(n);
    if (used.has(c)) c = ARM_PALETTE.find((p) => !used.has(p)) ?? c;
    used.add(c);
    return c;
  });
  return { domain, range };
}

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => x !== null && typeof x === "object" && !Array.isArray(x);
const COLOR_CHANNELS = ["color", "fill", "stroke"] as const;
const NESTED = ["layer", "hconcat", "vconcat", "concat"] as const;

/** Visit every unit of a spec with the inline rows in scope (its own `data.values`, else its parent's). */
function visit(spec: Json, rows: Json[], f: (unit: Json, rows: Json[]) => void): void {
  const data = spec.data;
  const own = isObject(data) && Array.isArray(data.values)
    ? (data.values as unknown[]).filter(isObject)
    : null;
  const scope = own ?? rows;
  f(spec, scope);
  for (const k of NESTED) {
    const sub = spec[k];
    if (Array.isArray(sub)) { for (const s of sub) if (isObject(s)) visit(s, scope, f); }
  }
  if (isObject(spec.spec)) visit(spec.spec, scope, f);
}

/** Nominal colour channels with a data field and no scale domain, range or scheme of their own. */
function paletteChannels(unit: Json): Json[] {
  const enc = unit.encoding;
  if (!isObject(enc)) return [];
  const out: Json[] = [];
  for (const ch of COLOR_CHANNELS) {
    const def = enc[ch];
    if (!isObject(def) || typeof def.field !== "string" || def.type !== "nominal") continue;
    const scale = def.scale;
    if (scale === null) continue;
    if (isObject(scale) && ("domain" in scale || "range" in scale || "scheme" in scale)) continue;
    out.push(def);
  }
  return out;
}

/**
 * Copy of a vega-lite spec in which every nominal colour (`color`, `fill`, `stroke`) encoding of a data field
 * without its own scale domain, range or scheme gets `armColorScale` of that field's values (all the spec's
 * inline rows of that field, in first-seen order unless the encoding gives a `sort` array); the same field gets
 * the same scale in every layer. Fields not found in inline data are left to vega's default scheme.
 */
export function applyArmPalette(spec: VegaLiteSpec): VegaLiteSpec {
  const out = structuredClone(spec) as Json;
  const values = new Map<string, (string | number | boolean)[]>();
  visit(out, [], (unit, rows) => {
    for (const def of paletteChannels(unit)) {
      const field = def.field as string;
      const list = values.get(field) ?? [];
      if (Array.isArray(def.sort)) list.push(...(def.sort as (string | number | boolean)[]));
      for (const r of rows) {
        const v = r[field];
        if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") list.push(v);
      }
      values.set(field, list);
    }
  });
  const scales = new Map<string, ArmColorScale>();
  for (const [field, list] of values) if (list.length > 0) scales.set(field, armColorScale(list));
  visit(out, [], (unit) => {
    for (const def of paletteChannels(unit)) {
      const s = scales.get(def.field as string);
      if (s) def.scale = { ...(isObject(def.scale) ? def.scale : {}), domain: s.domain, range: s.range };
    }
  });
  return out;
}
