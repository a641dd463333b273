/** GRPO-ablation charts: length by correctness and entropy per arm; the probe's per-question update vs p̂. */
import type { RunLog } from "../../lib/log/runlog.ts";
import { learningCurve } from "../../lib/viz/charts.ts";
import { type ChartEntry, type Row, selectRows } from "../harness.ts";
import { type GrpoAblationArm, LENGTH_ARMS, PROBE_ESTIMATORS } from "./mod.ts";

/** Charts: incorrect / correct response length, entropy per arm, and the per-question update vs p̂. */
export function grpoAblationCharts(log: RunLog): ChartEntry[] {
  const curve = selectRows(log, { kind: "curve" });
  const lengthRows = curve.filter((r) => LENGTH_ARMS.includes(r.arm as GrpoAblationArm)).flatMap((r) =>
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
  return [
    {
      name: "length",
      chart: learningCurve(lengthRows, {
        y: "length",
        title: "Response length by correctness (window means; mean ± 95% CI over seeds)",
        xTitle: "RL step",
        yTitle: "mean response length (tokens)",
        points: true,
      }),
    },
    {
      name: "entropy",
      chart: learningCurve(curve, {
        y: "entropy",
        title: "Token entropy of the policy on its training batch (mean ± 95% CI over seeds)",
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
