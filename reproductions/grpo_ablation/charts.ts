/** GRPO-ablation charts: length by correctness and entropy per arm (LM tier); the probe's per-question update vs p̂. */
import { type ChartEntry, learningCurve, type Row, type RunLog, selectRows } from "../../mod.ts";
import { PROBE_ESTIMATORS } from "./probe.ts";

/** Curve rows of each (seed, arm) at that arm's validation-selected learning rate. */
function selectedCurves(log: RunLog): Row[] {
  const chosen = new Set(selectRows(log, { kind: "lm-arm" }).map((r) => `${r.seed}|${r.arm}|${r.lr}`));
  return selectRows(log, { kind: "lm-curve" }).filter((r) => chosen.has(`${r.seed}|${r.arm}|${r.lr}`));
}

/**
 * Charts: incorrect / correct response length and entropy per arm, the per-question weight vs p̂, and (when some
 * probe question has 0 < p̂ < 1) the per-question gradient norm and its GRPO / Dr.GRPO ratio.
 */
export function grpoAblationCharts(log: RunLog): ChartEntry[] {
  const curve = selectedCurves(log);
  const lengthRows = curve.filter((r) => r.arm === "grpo" || r.arm === "dr-grpo").flatMap((r) =>
    (["incorrect", "correct"] as const).flatMap((k) => {
      const v = r[`${k}Length`];
      return typeof v === "number" ? [{ seed: r.seed, step: r.step, arm: `${r.arm} · ${k}`, length: v }] : [];
    })
  );
  const probe = selectRows(log, { kind: "probe" });
  const mixed = probe.filter((r) => Number(r.pHat) > 0 && Number(r.pHat) < 1);
  const ratioRows: Row[] = mixed.flatMap((r) => [
    {
      seed: r.seed,
      pHat: r.pHat,
      arm: "measured",
      ratio: Number(r["norm.grpo"]) / Number(r["norm.dr-grpo"]),
    },
    {
      seed: r.seed,
      pHat: r.pHat,
      arm: "1/√(p̂(1−p̂))",
      ratio: 1 / Math.sqrt(Number(r.pHat) * (1 - Number(r.pHat))),
    },
  ]);
  const perEstimator = (rows: Row[], field: string): Row[] =>
    rows.flatMap((r) =>
      PROBE_ESTIMATORS.map((e) => ({ seed: r.seed, pHat: r.pHat, arm: e, [field]: r[`${field}.${e}`] }))
    );
  const pHatAxis = { x: "pHat", xTitle: "p̂ (group accuracy)", points: true };
  const charts: ChartEntry[] = [
    {
      name: "length",
      chart: learningCurve(lengthRows, {
        y: "length",
        title:
          "LM tier: training-rollout length by correctness, each arm at its selected rate (mean ± 95% CI)",
        xTitle: "RL step",
        yTitle: "mean response length (tokens)",
        points: true,
      }),
    },
    {
      name: "entropy",
      chart: learningCurve(curve, {
        y: "entropy",
        title: "LM tier: token entropy of the policy on its training batch (mean ± 95% CI over seeds)",
        xTitle: "RL step",
        yTitle: "entropy (nats)",
        points: true,
      }),
    },
    {
      name: "group_weight",
      chart: learningCurve(perEstimator(probe, "weight"), {
        ...pHatAxis,
        y: "weight",
        title:
          "Per-question weight Σ|Â|/G vs group accuracy p̂ (closed forms: GRPO 2√(p̂(1−p̂)), Dr.GRPO 2p̂(1−p̂))",
        yTitle: "Σ|Â| / G",
      }),
    },
  ];
  if (mixed.length === 0) return charts; // no question with 0 < p̂ < 1 (e.g. a smoke run): no gradient-norm charts
  return [
    ...charts,
    {
      name: "update_norm",
      chart: learningCurve(perEstimator(mixed, "norm"), {
        ...pHatAxis,
        y: "norm",
        title: "Per-question gradient norm ‖∇θ loss‖ of the warm-started transformer vs p̂",
        yTitle: "‖∇θ‖",
      }),
    },
    {
      name: "update_ratio",
      chart: learningCurve(ratioRows, {
        ...pHatAxis,
        y: "ratio",
        title: "GRPO / Dr.GRPO per-question gradient-norm ratio vs p̂",
        yTitle: "ratio",
      }),
    },
  ];
}
