/** NSR / PSR / W-REINFORCE charts: pass@k curves, Δ vs base, training curves, the training path, lr sensitivity. */
import {
  bandChart,
  Chart,
  type ChartEntry,
  passAtKCurve,
  type Row,
  type RunLog,
  selectRows,
  summariseOverSeeds,
} from "../../mod.ts";

/**
 * Charts: pass@k curves, pass@k − base by k, training curves (exact pass@1 / pass@256, entropy), the pass@1 /
 * pass@256 training path, the unbiased-estimator check against the exact pass@k, and the LM tier's pass@k − base.
 */
export function nsrCharts(log: RunLog): ChartEntry[] {
  const passk = selectRows(log, { kind: "passk" });
  const base = new Map(
    passk.filter((r) => r.arm === "base").map((r) => [`${r.seed}/${r.k}`, Number(r.passAtK)]),
  );
  const delta = passk.filter((r) => r.arm !== "base").map((r) => ({
    arm: r.arm,
    k: r.k,
    seed: r.seed,
    delta: Number(r.passAtK) - base.get(`${r.seed}/${r.k}`)!,
  }));
  const curves = selectRows(log, { kind: "curve" }).flatMap((r) => [
    { arm: r.arm, seed: r.seed, step: r.step, metric: "pass@1", value: r.pass1 },
    { arm: r.arm, seed: r.seed, step: r.step, metric: "pass@256", value: r.pass256 },
    { arm: r.arm, seed: r.seed, step: r.step, metric: "entropy (nats/step)", value: r.entropy },
  ]);
  const check = passk.filter((r) => r.exact !== undefined).map((r) => ({
    arm: r.arm,
    k: r.k,
    seed: r.seed,
    error: Number(r.passAtK) - Number(r.exact),
  }));
  const out: ChartEntry[] = [
    {
      name: "pass_at_k",
      chart: passAtKCurve(passk.map((r) => ({ arm: r.arm, k: r.k, seed: r.seed, passAtK: r.passAtK })), {
        title: "Held-out pass@k (unbiased estimator; mean ± 95% CI over seeds)",
      }),
    },
    {
      name: "pass_at_k_vs_base",
      chart: bandChart(delta, { x: "k", y: "delta", series: "arm" }, {
        title: "pass@k − pass@k(starting policy), paired per seed (mean ± 95% CI)",
        xTitle: "k",
        yTitle: "Δ pass@k vs base",
        logX: true,
      }),
    },
  ];
  if (curves.length) {
    out.push({
      name: "training_curves",
      chart: bandChart(curves, { x: "step", y: "value", series: "arm", facet: "metric" }, {
        title: "During training: exact held-out pass@1, pass@256 and policy entropy (mean ± 95% CI)",
        xTitle: "RL step",
        yTitle: "value",
      }),
    }, { name: "tradeoff", chart: tradeoffChart(selectRows(log, { kind: "curve" })) });
  }
  out.push(...sweepCharts(selectRows(log, { kind: "sweep" })));
  if (check.length) {
    out.push({
      name: "estimator_check",
      chart: bandChart(check, { x: "k", y: "error", series: "arm" }, {
        title: "Unbiased pass@k estimate − exact 1 − (1 − p)^k (should straddle 0)",
        xTitle: "k",
        yTitle: "estimate − exact",
        logX: true,
      }),
    });
  }
  out.push(...lmCharts(log));
  return out;
}

/**
 * The LM-tier chart (reproductions/nsr/lm.ts): test pass@k − the starting policy's, paired per seed, by k, each
 * arm at its validation-selected learning rate.
 */
function lmCharts(log: RunLog): ChartEntry[] {
  const best = selectRows(log, { kind: "lm-best" });
  if (best.length === 0) return [];
  const base = new Map(
    best.filter((r) => r.arm === "base").map((r) => [`${r.seed}/${r.k}`, Number(r.passAtK)]),
  );
  const delta = best.filter((r) => r.arm !== "base").map((r) => ({
    arm: r.arm,
    k: r.k,
    seed: r.seed,
    delta: Number(r.passAtK) - base.get(`${r.seed}/${r.k}`)!,
  }));
  return [{
    name: "lm_pass_at_k_vs_base",
    chart: bandChart(delta, { x: "k", y: "delta", series: "arm" }, {
      title: "LM tier: test pass@k − pass@k(SFT start), paired per seed (mean ± 95% CI)",
      xTitle: "k",
      yTitle: "Δ pass@k vs start",
      logX: true,
    }),
  }];
}

/**
 * Trade-off path: seed-mean exact pass@256 against seed-mean exact pass@1 along training, one line per arm (points
 * every `curveEvery` steps). Arms on one common path differ only in how far along it they moved.
 */
function tradeoffChart(curve: readonly Row[]): Chart {
  const p1 = summariseOverSeeds(curve, ["arm", "step"], "pass1");
  const p256 = new Map(
    summariseOverSeeds(curve, ["arm", "step"], "pass256").map((r) => [`${r.arm}/${r.step}`, r.mean]),
  );
  const values = p1.map((r) => ({
    arm: r.arm,
    step: r.step,
    pass1: r.mean,
    pass256: p256.get(`${r.arm}/${r.step}`),
  }));
  const enc = {
    x: { field: "pass1", type: "quantitative", title: "exact pass@1", scale: { zero: false } },
    y: { field: "pass256", type: "quantitative", title: "exact pass@256", scale: { zero: false } },
    color: { field: "arm", type: "nominal", title: "arm" },
    order: { field: "step", type: "quantitative" },
  };
  return new Chart({
    title: "Training path: held-out pass@256 vs pass@1 (seed means; the start is the common left-most point)",
    width: 420,
    height: 280,
    data: { values },
    layer: [{ mark: { type: "line", point: true }, encoding: enc }],
  });
}

/** The learning-rate sensitivity chart: paired per-seed NSR − PSR exact pass@1 and pass@256 at each lr (if swept). */
function sweepCharts(sweep: readonly Row[]): ChartEntry[] {
  if (sweep.length === 0) return [];
  const get = (arm: string, seed: unknown, lr: unknown) =>
    sweep.find((r) => r.arm === arm && r.seed === seed && r.lr === lr)!;
  const rows = sweep.filter((r) => r.arm === "nsr").flatMap((r) => {
    const p = get("psr", r.seed, r.lr);
    return [
      { seed: r.seed, lr: r.lr, metric: "pass@1", delta: Number(r.pass1) - Number(p.pass1) },
      { seed: r.seed, lr: r.lr, metric: "pass@256", delta: Number(r.pass256) - Number(p.pass256) },
    ];
  });
  return [{
    name: "lr_sensitivity",
    chart: bandChart(rows, { x: "lr", y: "delta", series: "metric" }, {
      title:
        "Sensitivity: NSR − PSR (exact held-out pass@k) by learning rate, lr·steps fixed (mean ± 95% CI)",
      xTitle: "learning rate (steps = preset lr·steps / lr)",
      yTitle: "NSR − PSR",
      logX: true,
    }),
  }];
}
