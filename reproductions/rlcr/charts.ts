/** RLCR charts: reliability diagrams, per-arm held-out metrics, stated confidence and accuracy over RL steps. */
import {
  type ChartEntry,
  iqmWithCI,
  learningCurve,
  reliabilityChart,
  type Row,
  type RunLog,
  selectRows,
  whiskerChart,
} from "../../mod.ts";
import { rlcrMetric } from "./claims.ts";
import { RLCR_ARMS } from "./config.ts";
import { RLCR_LM_STARTS, rlcrLmMetric } from "./lm.ts";

/** Per-sample records (confidence, correct, arm[, digits]) expanded from the logged reliability cells. */
export function reliabilityRecords(log: RunLog, byDigits = false): Row[] {
  const out: Row[] = [];
  for (const r of selectRows(log, { kind: "cell" })) {
    if (Number(r.confidence) < 0) continue; // unparsable: no confidence to plot
    const arm = byDigits ? `${r.arm}, ${r.digits}-digit` : String(r.arm);
    for (let i = 0; i < Number(r.n); i++) {
      out.push({ arm, confidence: Number(r.confidence), correct: i < Number(r.correct) ? 1 : 0 });
    }
  }
  return out;
}

/** RLCR charts: reliability diagram per arm, metrics per arm, stated confidence and accuracy over RL steps. */
export function rlcrCharts(log: RunLog): ChartEntry[] {
  const whiskers = (["accuracy", "parseRate", "ece", "brier", "auroc"] as const).flatMap((f) =>
    RLCR_ARMS.map((arm) => {
      const v = [...rlcrMetric(log, arm, f).values()].filter(Number.isFinite);
      const e = v.length ? iqmWithCI([v], 40, 1000) : { estimate: NaN, ci: [NaN, NaN] };
      return { label: `${f} · ${arm}`, group: arm, estimate: e.estimate, lo: e.ci[0], hi: e.ci[1] };
    })
  );
  const curve = selectRows(log, { kind: "curve" });
  const lm = (["ece", "accuracy", "meanConfidence"] as const).flatMap((f) =>
    RLCR_LM_STARTS.flatMap((start) =>
      (["start", "binary", "rlcr"] as const).map((arm) => {
        const v = [...rlcrLmMetric(log, start, arm, f).values()].filter(Number.isFinite);
        const e = v.length ? iqmWithCI([v], 40, 1000) : { estimate: NaN, ci: [NaN, NaN] };
        return {
          label: `${f} · ${start} · ${arm}`,
          group: start,
          estimate: e.estimate,
          lo: e.ci[0],
          hi: e.ci[1],
        };
      })
    )
  );
  return [
    {
      name: "lm_calibration",
      chart: whiskerChart(lm, {
        title:
          "Chosen starts (LM tier): held-out ECE, accuracy, mean stated confidence of each start and of binary / RLCR " +
          "RL from it (IQM over seeds, 95% bootstrap CI)",
        xTitle: "value",
      }),
    },
    {
      name: "reliability",
      chart: reliabilityChart(reliabilityRecords(log), {
        bins: 10,
        title: "Held-out reliability diagram, pooled over seeds (start = SFT)",
      }),
    },
    {
      name: "reliability_by_digits",
      chart: reliabilityChart(reliabilityRecords(log, true), {
        bins: 10,
        title: "Reliability by operand digits (does the stated confidence track problem difficulty?)",
      }),
    },
    {
      name: "metrics",
      chart: whiskerChart(whiskers, {
        title: "Held-out accuracy, parse rate, ECE, Brier, AUROC per arm (IQM over seeds, 95% bootstrap CI)",
        xTitle: "value",
      }),
    },
    {
      name: "confidence_curve",
      chart: learningCurve(curve, {
        y: "meanConfidence",
        title: "Mean stated confidence of training rollouts (mean ± 95% CI over seeds)",
        xTitle: "RL step",
        yTitle: "mean confidence q",
        points: true,
      }),
    },
    {
      name: "accuracy_curve",
      chart: learningCurve(curve, {
        y: "accuracy",
        title: "Training-rollout accuracy (mean ± 95% CI over seeds)",
        xTitle: "RL step",
        yTitle: "accuracy",
        points: true,
      }),
    },
  ];
}
