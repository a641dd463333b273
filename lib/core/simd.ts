/**
 * The sigmoid-approximated GELU (Hendrycks & Gimpel 2016, arXiv:1606.08415), GELU(u) ≈ u·σ(1.702u), and its
 * derivative over Float32Arrays, four lanes at a time in WebAssembly SIMD (128-bit), where a scalar JS
 * `Math.exp` per element would make the activation a large share of a transformer train step. The module is assembled here from its instructions (no binary blob): eˣ is Cephes' `expf` (range
 * reduction x = n·ln2 + r in two parts, a degree-7 polynomial for eʳ, 2ⁿ from the exponent bits), accurate to
 * about 1 ulp of float32 on the clamped range [−87.3, 88.3] (σ saturates outside it). `GeluArena` keeps a
 * layer's buffers inside the kernels' memory, so the kernels run in place with no copies.
 */

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** A length-prefixed vector/section payload. */
function vec(bytes: number[]): number[] {
  return [...uleb(bytes.length), ...bytes];
}

function f32x4(x: number): number[] {
  const b = new Uint8Array(new Float32Array([x, x, x, x]).buffer);
  return [0xfd, 0x0c, ...b]; // v128.const
}

function i32x4(x: number): number[] {
  const b = new Uint8Array(new Int32Array([x, x, x, x]).buffer);
  return [0xfd, 0x0c, ...b];
}

const SIMD = (op: number) => [0xfd, ...uleb(op)];
const LOAD = [...SIMD(0x00), 4, 0]; // v128.load align=16 offset=0
const STORE = [...SIMD(0x0b), 4, 0];
const F_ADD = SIMD(0xe4), F_SUB = SIMD(0xe5), F_MUL = SIMD(0xe6), F_DIV = SIMD(0xe7);
const F_MIN = SIMD(0xe8), F_MAX = SIMD(0xe9), F_NEAREST = SIMD(0x6a);
const I_TRUNC = SIMD(0xf8), I_ADD = SIMD(0xae), I_SHL = SIMD(0xab);
const get = (i: number) => [0x20, i], set = (i: number) => [0x21, i];
const I32_CONST = (n: number) => [0x41, ...uleb(n)]; // small non-negative constants only
const I32_ADD = [0x6a], I32_GE_U = [0x4f];

/**
 * σ(1.702·x) of the v128 in local `x` left on the stack, via locals z, nn, r, p (indices given).
 * σ(y) = 1/(1 + e^{−y}); e^z with z = clamp(−1.702x, −87.3, 88.3).
 */
function sigmoid(x: number, z: number, nn: number, r: number, p: number): number[] {
  return [
    ...get(x),
    ...f32x4(-1.702),
    ...F_MUL,
    ...f32x4(88.3),
    ...F_MIN,
    ...f32x4(-87.3),
    ...F_MAX,
    ...set(z),
    ...get(z),
    ...f32x4(Math.LOG2E),
    ...F_MUL,
    ...F_NEAREST,
    ...set(nn),
    // r = z − n·C1 − n·C2 (C1 + C2 = ln 2 split so n·C1 is exact)
    ...get(z),
    ...get(nn),
    ...f32x4(0.693359375),
    ...F_MUL,
    ...F_SUB,
    ...get(nn),
    ...f32x4(-2.12194440e-4),
    ...F_MUL,
    ...F_SUB,
    ...set(r),
    // p = ((((c0·r + c1)·r + c2)·r + c3)·r + c4)·r + c5, then eʳ ≈ p·r² + r + 1
    ...get(r),
    ...f32x4(1.9875691500e-4),
    ...F_MUL,
    ...f32x4(1.3981999507e-3),
    ...F_ADD,
    ...get(r),
    ...F_MUL,
    ...f32x4(8.3334519073e-3),
    ...F_ADD,
    ...get(r),
    ...F_MUL,
    ...f32x4(4.1665795894e-2),
    ...F_ADD,
    ...get(r),
    ...F_MUL,
    ...f32x4(1.6666665459e-1),
    ...F_ADD,
    ...get(r),
    ...F_MUL,
    ...f32x4(5.0000001201e-1),
    ...F_ADD,
    ...get(r),
    ...get(r),
    ...F_MUL,
    ...F_MUL,
    ...get(r),
    ...F_ADD,
    ...f32x4(1),
    ...F_ADD,
    // · 2ⁿ from the exponent bits: (n + 127) << 23
    ...get(nn),
    ...I_TRUNC,
    ...i32x4(127),
    ...I_ADD,
    ...I32_CONST(23),
    ...I_SHL,
    ...F_MUL,
    ...set(p),
    ...f32x4(1),
    ...f32x4(1),
    ...get(p),
    ...F_ADD,
    ...F_DIV,
  ];
}

/** Loop over byte offsets i = 0, 16, … < n (param 3) running `body` (local 4 is i). */
function loop(body: number[]): number[] {
  return [
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(4),
    ...get(3),
    ...I32_GE_U,
    0x0d,
    1, // br_if 1
    ...body,
    ...get(4),
    ...I32_CONST(16),
    ...I32_ADD,
    ...set(4),
    0x0c,
    0, // br 0
    0x0b,
    0x0b,
  ];
}

const addr = (ptr: number) => [...get(ptr), ...get(4), ...I32_ADD];

/** gelu(u, s, f, nBytes): s = σ(1.702u), f = u·s. Locals: 4 i; 5 x, 6 z, 7 nn, 8 r, 9 p, 10 s (v128). */
function geluBody(): number[] {
  const code = loop([
    ...addr(0),
    ...LOAD,
    ...set(5),
    ...sigmoid(5, 6, 7, 8, 9),
    ...set(10),
    ...addr(1),
    ...get(10),
    ...STORE,
    ...addr(2),
    ...get(5),
    ...get(10),
    ...F_MUL,
    ...STORE,
  ]);
  return vec([2, 1, 0x7f, 6, 0x7b, ...code, 0x0b]); // locals: 1 i32, 6 v128
}

/** dgelu(g, u, s, nBytes): g ← g·(s + 1.702·u·s·(1 − s)). Locals: 4 i; 5 s (v128). */
function dgeluBody(): number[] {
  const code = loop([
    ...addr(0),
    ...addr(0),
    ...LOAD,
    ...addr(2),
    ...LOAD,
    ...set(5),
    ...get(5),
    ...f32x4(1.702),
    ...addr(1),
    ...LOAD,
    ...F_MUL,
    ...get(5),
    ...F_MUL,
    ...f32x4(1),
    ...get(5),
    ...F_SUB,
    ...F_MUL,
    ...F_ADD,
    ...F_MUL,
    ...STORE,
  ]);
  return vec([2, 1, 0x7f, 1, 0x7b, ...code, 0x0b]);
}

function moduleBytes(): Uint8Array {
  const section = (id: number, payload: number[]) => [id, ...vec(payload)];
  const name = (s: string) => vec([...new TextEncoder().encode(s)]);
  const bytes = [
    0x00,
    0x61,
    0x73,
    0x6d,
    1,
    0,
    0,
    0,
    ...section(1, [1, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 0]), // type 0: (i32 ×4) → ()
    ...section(2, [1, ...name("env"), ...name("mem"), 2, 0, 1]), // import env.mem: memory, min 1 page
    ...section(3, [2, 0, 0]), // two functions of type 0
    ...section(7, [2, ...name("gelu"), 0, 0, ...name("dgelu"), 0, 1]),
    ...section(10, [2, ...geluBody(), ...dgeluBody()]),
  ];
  return new Uint8Array(bytes);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernels (null without WebAssembly SIMD). */
function compiledModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssembly.Module(moduleBytes() as BufferSource);
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

type Exports = {
  gelu: (u: number, s: number, f: number, n: number) => void;
  dgelu: (g: number, u: number, s: number, n: number) => void;
};

/** Instantiate the kernels on a memory of `pages` 64 KiB pages (null without WebAssembly SIMD). */
function instantiate(pages: number): { exports: Exports; memory: WebAssembly.Memory } | null {
  const mod = compiledModule();
  if (!mod) return null;
  const memory = new WebAssembly.Memory({ initial: pages });
  const inst = new WebAssembly.Instance(mod, { env: { mem: memory } });
  return { exports: inst.exports as unknown as Exports, memory };
}

/**
 * Four float32 buffers of n elements — pre-activations u, σ(1.702u) s, GELU values f and a gradient g —
 * in a WebAssembly memory of their own (never grown, so the views and their addresses are stable and can
 * go to BLAS): `forward` and `backward` then run the SIMD kernels in place, with no copies.
 */
export class GeluArena {
  /** Pre-activations u. */
  readonly u: Float32Array;
  /** s = σ(1.702u) after `forward`. */
  readonly s: Float32Array;
  /** f = u·s = GELU(u) after `forward`. */
  readonly f: Float32Array;
  /** Gradient buffer g (∂/∂f before `backward`, ∂/∂u after). */
  readonly g: Float32Array;
  private readonly kernels: Exports | null;
  private readonly n4: number;

  /** Buffers of n elements each. */
  constructor(readonly n: number) {
    this.n4 = (n + 3) & ~3;
    const bytes = 16 * this.n4;
    const inst = instantiate(Math.max(1, Math.ceil(bytes / 65536)));
    const buffer = inst ? inst.memory.buffer : new ArrayBuffer(Math.max(bytes, 64));
    this.kernels = inst ? inst.exports : null;
    [this.u, this.s, this.f, this.g] = [0, 1, 2, 3].map((i) => new Float32Array(buffer, 4 * i * this.n4, n));
  }

  /** s = σ(1.702u), f = u·s. */
  forward(): void {
    if (this.kernels) this.kernels.gelu(0, 4 * this.n4, 8 * this.n4, 4 * this.n4);
    else geluScalar(this.u, this.s, this.f, this.n);
  }

  /** g ← g·GELU′(u) = g·(s + 1.702·u·s·(1 − s)). */
  backward(): void {
    if (this.kernels) this.kernels.dgelu(12 * this.n4, 0, 4 * this.n4, 4 * this.n4);
    else dgeluScalar(this.g, this.u, this.s, this.n);
  }
}

function geluScalar(u: Float32Array, s: Float32Array, f: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const sg = 1 / (1 + Math.exp(-1.702 * u[i]));
    s[i] = sg;
    f[i] = u[i] * sg;
  }
}

function dgeluScalar(g: Float32Array, u: Float32Array, s: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) g[i] *= s[i] + 1.702 * u[i] * s[i] * (1 - s[i]);
}

/** Whether the WebAssembly SIMD kernels run here (else `GeluArena` uses scalar JS loops). */
export function simdAvailable(): boolean {
  return compiledModule() !== null;
}
