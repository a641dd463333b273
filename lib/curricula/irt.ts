/**
 * The 3PL item-response curve SEELE (arXiv 2509.06923) fits to (hint rate, accuracy) pairs:
 * f(p) = b + (1 − b)/(1 + e^{−k(p + μ)}) — slope k, midpoint p = −μ, floor b. `fit3PL` is a robust
 * (soft-L1) Levenberg–Marquardt fit with box bounds and a grid of starts; `inverse3PL` gives the hint rate
 * that reaches a target accuracy.
 */
import {
  assertFiniteNumber,
  assertInteger,
  assertOneOf,
  ConfigError,
  resolveConfig,
} from "../core/validate.ts";

/** 3PL parameters: slope k > 0, location μ (midpoint at p = −μ), floor b ∈ [0, 1). */
export interface ThreePL {
  /** Slope k > 0. */
  k: number;
  /** Location μ: the curve's midpoint sits at p = −μ. */
  mu: number;
  /** Floor b ∈ [0, 1): accuracy without a hint. */
  b: number;
}

/** One observation: accuracy at hint rate p (optionally the number of rollouts behind it). */
export interface HintAccuracyPoint {
  /** Hint rate p ∈ [0, 1]. */
  p: number;
  /** Observed accuracy at p. */
  accuracy: number;
  /** Rollouts behind the accuracy (weights the fit; default 1). */
  count?: number;
}

/** Options of `fit3PL`. */
export interface Fit3PLOptions {
  /** Add (0, 0) while p = 0 is unobserved and (1, 1) while p = 1 is unobserved (SEELE; default true). */
  anchors: boolean;
  /** Robust loss on residuals r: "soft_l1" ρ = 2s²(√(1 + r²/s²) − 1), "huber", or "linear" (plain least squares). */
  loss: "soft_l1" | "huber" | "linear";
  /** Residual scale s of the robust loss (default 0.1, in accuracy units). */
  lossScale: number;
  /** Box bounds [min, max] of k. */
  kBounds: [number, number];
  /** Box bounds [min, max] of μ. */
  muBounds: [number, number];
  /** Box bounds [min, max] of b. */
  bBounds: [number, number];
  /** Levenberg–Marquardt iterations per start. */
  maxIterations: number;
  /** LM runs, started from the best points of a 5×5×2 grid over (k, μ, b) (default 4). */
  starts: number;
  /**
   * Optional weak prior on the slope, adding weight·(ln k − ln center)² to the loss: it picks a moderate slope
   * when the points underdetermine the curve (one observation + the two anchors is fit exactly by any
   * k → ∞). null = none (default).
   */
  kPrior: { center: number; weight: number } | null;
}

/** Result of `fit3PL`: parameters, robust loss at the optimum and the points actually fitted. */
export interface Fit3PLResult extends ThreePL {
  /** Σ ρ(r_i) over the fitted points (anchors included). */
  loss: number;
  /** Root-mean-square plain residual. */
  rmse: number;
  /** The (p, accuracy) points fitted after averaging equal p and adding anchors. */
  points: { p: number; accuracy: number }[];
}

const FIT_DEFAULTS: Fit3PLOptions = {
  anchors: true,
  loss: "soft_l1",
  lossScale: 0.1,
  kBounds: [0.05, 200],
  muBounds: [-3, 2],
  bBounds: [0, 0.99],
  maxIterations: 100,
  starts: 4,
  kPrior: null,
};

/** 3PL curve f(p) = b + (1 − b)·σ(k(p + μ)) (SEELE, arXiv 2509.06923). */
export function threePL(p: number, { k, mu, b }: ThreePL): number {
  return b + (1 - b) / (1 + Math.exp(-k * (p + mu)));
}

/** f⁻¹(a) = −μ + ln((a − b)/(1 − a))/k, clamped to [0, 1] (a ≤ b → 0, a ≥ 1 → 1). */
export function inverse3PL(a: number, { k, mu, b }: ThreePL): number {
  assertFiniteNumber("a", a, { min: 0, max: 1 });
  if (a <= b) return 0;
  if (a >= 1) return 1;
  const p = -mu + Math.log((a - b) / (1 - a)) / k;
  return Number.isFinite(p) ? Math.min(1, Math.max(0, p)) : (p > 0 ? 1 : 0);
}

/** Average accuracies at equal p (1e-9), then add SEELE's anchors (0,0)/(1,1) where p = 0 / p = 1 are unobserved. */
export function prepare3PLPoints(
  points: readonly HintAccuracyPoint[],
  anchors = true,
): { p: number; accuracy: number }[] {
  const merged: { p: number; sum: number; n: number }[] = [];
  points.forEach((pt, i) => {
    assertFiniteNumber(`points[${i}].p`, pt.p, { min: 0, max: 1 });
    assertFiniteNumber(`points[${i}].accuracy`, pt.accuracy, { min: 0, max: 1 });
    const w = pt.count ?? 1;
    assertFiniteNumber(`points[${i}].count`, w, { min: 0, exclusiveMin: true });
    const m = merged.find((q) => Math.abs(q.p - pt.p) < 1e-9);
    if (m) {
      m.sum += w * pt.accuracy;
      m.n += w;
    } else merged.push({ p: pt.p, sum: w * pt.accuracy, n: w });
  });
  const out = merged.map((m) => ({ p: m.p, accuracy: m.sum / m.n }));
  if (anchors) {
    if (!out.some((q) => q.p < 1e-9)) out.push({ p: 0, accuracy: 0 });
    if (!out.some((q) => q.p > 1 - 1e-9)) out.push({ p: 1, accuracy: 1 });
  }
  return out.sort((x, y) => x.p - y.p);
}

/** ρ(r²) of the robust loss with scale s. */
function rhoValue(r2: number, loss: Fit3PLOptions["loss"], s: number): number {
  if (loss === "linear") return r2;
  const s2 = s * s;
  if (loss === "huber") return r2 <= s2 ? r2 : 2 * s * Math.sqrt(r2) - s2;
  return 2 * s2 * (Math.sqrt(1 + r2 / s2) - 1);
}

/** ρ'(r²): the IRLS weight of a squared residual. */
function rhoWeight(r2: number, loss: Fit3PLOptions["loss"], s: number): number {
  if (loss === "linear") return 1;
  if (loss === "huber") return r2 <= s * s ? 1 : s / Math.sqrt(r2);
  return 1 / Math.sqrt(1 + r2 / (s * s));
}

/** Solve the 3×3 system M d = y (row-major M) by Gaussian elimination with partial pivoting; d_i = 0 where !free[i]. */
function solve3(M0: Float64Array, y: Float64Array, free: boolean[], d: Float64Array): boolean {
  const M = [
    [M0[0], M0[1], M0[2], free[0] ? y[0] : 0],
    [M0[3], M0[4], M0[5], free[1] ? y[1] : 0],
    [M0[6], M0[7], M0[8], free[2] ? y[2] : 0],
  ];
  for (let c = 0; c < 3; c++) {
    let piv = c;
    for (let r = c + 1; r < 3; r++) if (Math.abs(M[r][c]) > Math.abs(M[piv][c])) piv = r;
    if (!(Math.abs(M[piv][c]) > 1e-300)) return false;
    [M[c], M[piv]] = [M[piv], M[c]];
    for (let r = 0; r < 3; r++) {
      if (r === c) continue;
      const f = M[r][c] / M[c][c];
      for (let j = c; j < 4; j++) M[r][j] -= f * M[c][j];
    }
  }
  for (let i = 0; i < 3; i++) d[i] = M[i][3] / M[i][i];
  return d.every(Number.isFinite);
}

/**
 * Fit the 3PL curve (SEELE, arXiv 2509.06923) by robust nonlinear least squares: min Σ ρ((f(p_i) − y_i)²)
 * with Levenberg–Marquardt on IRLS weights, box bounds, best of a grid of starts.
 */
export function fit3PL(
  points: readonly HintAccuracyPoint[],
  options: Partial<Fit3PLOptions> = {},
): Fit3PLResult {
  const c = resolveConfig("fit3PL", FIT_DEFAULTS, options);
  assertOneOf("fit3PL.loss", c.loss, ["soft_l1", "huber", "linear"]);
  assertFiniteNumber("fit3PL.lossScale", c.lossScale, { min: 0, exclusiveMin: true });
  assertInteger("fit3PL.maxIterations", c.maxIterations, { min: 1 });
  assertInteger("fit3PL.starts", c.starts, { min: 1, max: 50 });
  for (const key of ["kBounds", "muBounds", "bBounds"] as const) {
    const bd = c[key];
    if (!Array.isArray(bd) || bd.length !== 2 || !(bd[0] <= bd[1]) || !bd.every(Number.isFinite)) {
      throw new ConfigError(`fit3PL.${key}`, "must be [min, max] with finite min ≤ max", bd);
    }
  }
  if (c.bBounds[0] < 0 || c.bBounds[1] >= 1) {
    throw new ConfigError("fit3PL.bBounds", "must lie in [0, 1)", c.bBounds);
  }
  if (c.kBounds[0] <= 0) {
    throw new ConfigError("fit3PL.kBounds", "must be positive (increasing curve)", c.kBounds);
  }
  const pts = prepare3PLPoints(points, c.anchors);
  if (pts.length === 0) {
    throw new ConfigError("points", "must contain at least one point (or enable anchors)", points);
  }
  const lo = [c.kBounds[0], c.muBounds[0], c.bBounds[0]];
  const hi = [c.kBounds[1], c.muBounds[1], c.bBounds[1]];
  const clampAt = (v: number, i: number) => Math.min(hi[i], Math.max(lo[i], v));
  const prior = c.kPrior;
  if (prior !== null) {
    assertFiniteNumber("fit3PL.kPrior.center", prior?.center, { min: 0, exclusiveMin: true });
    assertFiniteNumber("fit3PL.kPrior.weight", prior?.weight, { min: 0 });
  }
  const { loss, lossScale } = c;
  const np = pts.length;
  const P = Float64Array.from(pts, (q) => q.p);
  const Y = Float64Array.from(pts, (q) => q.accuracy);
  const objective = (k: number, mu: number, b: number) => {
    let L = prior ? prior.weight * Math.log(k / prior.center) ** 2 : 0;
    for (let i = 0; i < np; i++) {
      const r = b + (1 - b) / (1 + Math.exp(-k * (P[i] + mu))) - Y[i];
      L += rhoValue(r * r, loss, lossScale);
    }
    return L;
  };
  // Multi-start: score a coarse grid by the loss and run LM from the best few grid points.
  const minAcc = Math.min(...Y);
  const grid: { x: number[]; L: number }[] = [];
  for (const k of [2, 5, 10, 20, 50]) {
    for (const mu of [-0.1, -0.3, -0.5, -0.7, -0.9]) {
      for (const b of [0, Math.min(0.9, minAcc)]) {
        const x = [clampAt(k, 0), clampAt(mu, 1), clampAt(b, 2)];
        grid.push({ x, L: objective(x[0], x[1], x[2]) });
      }
    }
  }
  grid.sort((u, v) => u.L - v.L);
  let best = grid[0].x;
  let bestLoss = Infinity;
  const A = new Float64Array(9);
  const Ad = new Float64Array(9);
  const g = new Float64Array(3);
  const d = new Float64Array(3);
  const J = new Float64Array(3);
  const free = [true, true, true];
  for (const start of grid.slice(0, c.starts)) {
    const x = start.x.slice();
    let L = start.L;
    let lambda = 1e-2;
    for (let it = 0; it < c.maxIterations && L > 1e-18; it++) {
      // Gauss–Newton system JᵀWJ and gradient JᵀWr at x (IRLS weights W of the robust loss).
      A.fill(0);
      g.fill(0);
      if (prior) { // residual √w·ln(k/center), Jacobian √w/k
        A[0] += prior.weight / (x[0] * x[0]);
        g[0] += (prior.weight * Math.log(x[0] / prior.center)) / x[0];
      }
      for (let q = 0; q < np; q++) {
        const s = 1 / (1 + Math.exp(-x[0] * (P[q] + x[1])));
        const r = x[2] + (1 - x[2]) * s - Y[q];
        const w = rhoWeight(r * r, loss, lossScale);
        const ds = (1 - x[2]) * s * (1 - s);
        J[0] = ds * (P[q] + x[1]);
        J[1] = ds * x[0];
        J[2] = 1 - s;
        for (let i = 0; i < 3; i++) {
          g[i] += w * J[i] * r;
          for (let j = 0; j < 3; j++) A[3 * i + j] += w * J[i] * J[j];
        }
      }
      // Active set: a parameter on a bound whose descent direction points outward stays fixed this iteration.
      for (let i = 0; i < 3; i++) free[i] = !((x[i] <= lo[i] && g[i] > 0) || (x[i] >= hi[i] && g[i] < 0));
      let improved = false;
      let converged = false;
      for (let tries = 0; tries < 12 && !improved; tries++) {
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) {
            Ad[3 * i + j] = free[i] && free[j] ? A[3 * i + j] : (i === j ? 1 : 0);
          }
          if (free[i]) Ad[4 * i] += lambda * (A[4 * i] + 1e-9);
        }
        if (!solve3(Ad, g, free, d)) {
          lambda *= 10;
          continue;
        }
        const k = clampAt(x[0] - d[0], 0), mu = clampAt(x[1] - d[1], 1), b = clampAt(x[2] - d[2], 2);
        const Ln = objective(k, mu, b);
        if (Number.isFinite(Ln) && Ln < L) {
          converged = (L - Ln) / L < 1e-9;
          x[0] = k;
          x[1] = mu;
          x[2] = b;
          L = Ln;
          lambda = Math.max(lambda / 3, 1e-12);
          improved = true;
        } else lambda *= 4;
      }
      if (!improved || converged) break;
    }
    if (L < bestLoss) {
      bestLoss = L;
      best = x;
    }
  }
  const params = { k: best[0], mu: best[1], b: best[2] };
  let sse = 0;
  for (const q of pts) sse += (threePL(q.p, params) - q.accuracy) ** 2;
  return { ...params, loss: bestLoss, rmse: Math.sqrt(sse / pts.length), points: pts };
}
