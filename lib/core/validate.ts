/**
 * Input validation shared by every module: each check throws a `ConfigError` that names the offending
 * field, says what is allowed, and shows what was received.
 */

/** Error for a bad argument or config field; `field` names it and the message lists what is allowed. */
export class ConfigError extends Error {
  /** The argument or config field at fault (e.g. "groupSize", "config.epsHigh"). */
  readonly field: string;
  /** Build "<field> <requirement> (got <value>)". */
  constructor(field: string, requirement: string, got?: unknown) {
    super(`${field} ${requirement}${got === undefined ? "" : ` (got ${show(got)})`}`);
    this.name = "ConfigError";
    this.field = field;
  }
}

function show(v: unknown): string {
  if (typeof v === "number") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const a = Array.from(v as ArrayLike<unknown>);
    return `[${a.slice(0, 8).map(show).join(", ")}${a.length > 8 ? `, … (${a.length} items)` : ""}]`;
  }
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Bounds for numeric checks. */
export interface NumberBounds {
  /** Smallest allowed value (inclusive unless `exclusiveMin`). */
  min?: number;
  /** Largest allowed value (inclusive unless `exclusiveMax`). */
  max?: number;
  /** Reject x = min. */
  exclusiveMin?: boolean;
  /** Reject x = max. */
  exclusiveMax?: boolean;
}

function boundsText(b: NumberBounds): string {
  const parts: string[] = [];
  if (b.min !== undefined) parts.push(`${b.exclusiveMin ? ">" : "≥"} ${b.min}`);
  if (b.max !== undefined) parts.push(`${b.exclusiveMax ? "<" : "≤"} ${b.max}`);
  return parts.join(" and ");
}

function checkBounds(field: string, x: number, kind: string, b: NumberBounds): void {
  const lowBad = b.min !== undefined && (b.exclusiveMin ? x <= b.min : x < b.min);
  const highBad = b.max !== undefined && (b.exclusiveMax ? x >= b.max : x > b.max);
  if (lowBad || highBad) throw new ConfigError(field, `must be ${kind} ${boundsText(b)}`, x);
}

/** Throw unless x is a finite number within the bounds. */
export function assertFiniteNumber(
  field: string,
  x: unknown,
  bounds: NumberBounds = {},
): asserts x is number {
  if (typeof x !== "number" || !Number.isFinite(x)) {
    throw new ConfigError(
      field,
      `must be a finite number${
        bounds.min !== undefined || bounds.max !== undefined ? ` ${boundsText(bounds)}` : ""
      }`,
      x,
    );
  }
  checkBounds(field, x, "a number", bounds);
}

/** Throw unless x is an integer within the bounds. */
export function assertInteger(field: string, x: unknown, bounds: NumberBounds = {}): asserts x is number {
  if (typeof x !== "number" || !Number.isInteger(x)) {
    throw new ConfigError(
      field,
      `must be an integer${
        bounds.min !== undefined || bounds.max !== undefined ? ` ${boundsText(bounds)}` : ""
      }`,
      x,
    );
  }
  checkBounds(field, x, "an integer", bounds);
}

/** Throw unless every entry of xs is finite (and within bounds); names the first bad index. */
export function assertFiniteArray(field: string, xs: ArrayLike<number>, bounds: NumberBounds = {}): void {
  if (xs === null || typeof xs !== "object" || typeof xs.length !== "number") {
    throw new ConfigError(field, "must be an array of numbers", xs);
  }
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (typeof x !== "number" || !Number.isFinite(x)) {
      throw new ConfigError(`${field}[${i}]`, "must be a finite number (NaN/Infinity not allowed)", x);
    }
    checkBounds(`${field}[${i}]`, x, "a number", bounds);
  }
}

/** Throw unless probs are ≥ 0 and sum to 1 within tol. */
export function assertProbabilities(field: string, probs: ArrayLike<number>, tol = 1e-6): void {
  assertFiniteArray(field, probs, { min: 0, max: 1 });
  if (probs.length === 0) throw new ConfigError(field, "must be non-empty");
  let s = 0;
  for (let i = 0; i < probs.length; i++) s += probs[i];
  if (Math.abs(s - 1) > tol) throw new ConfigError(field, `must sum to 1 (±${tol})`, s);
}

/** Throw unless a and b have equal length. */
export function assertSameLength(
  fieldA: string,
  a: ArrayLike<unknown>,
  fieldB: string,
  b: ArrayLike<unknown>,
): void {
  if (a.length !== b.length) {
    throw new ConfigError(
      fieldB,
      `must have the same length as ${fieldA} (${a.length})`,
      `length ${b.length}`,
    );
  }
}

/** Throw unless value is one of the allowed strings; the message lists them. */
export function assertOneOf<T extends string>(
  field: string,
  value: unknown,
  allowed: readonly T[],
): asserts value is T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new ConfigError(field, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`, value);
  }
}

/**
 * Merge user options over defaults, rejecting unknown keys: `resolveConfig("ppo", defaults, opts)` throws
 * "ppo.foo is not a known option; allowed: a, b, c" for a typo.
 */
export function resolveConfig<T extends object>(name: string, defaults: T, options: Partial<T> = {}): T {
  if (options === null || typeof options !== "object") {
    throw new ConfigError(name, "must be an object", options);
  }
  const allowed = Object.keys(defaults);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) {
      throw new ConfigError(`${name}.${k}`, `is not a known option; allowed: ${allowed.join(", ")}`);
    }
  }
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(options)) if (v !== undefined) out[k] = v;
  return out as T;
}
