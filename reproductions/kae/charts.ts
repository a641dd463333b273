/** Charts of the KAE reproduction (arXiv 2604.28005). */
import {
  bandChart,
  type ChartEntry,
  iqmWithCI,
  lmTierCharts,
  logConfig,
  type RunLog,
  selectRows,
  whiskerChart,
} from "../../mod.ts";
import { KAE_BASELINES, type KaeConfig } from "./config.ts";

/** The KAE charts: MSE per baseline (whiskers), MSE over training, G = 1 learning curves. */
export function kaeCharts(log: RunLog): ChartEntry[] {
  const mse = selectRows(log, { kind: "mse" });
  const c = logConfig<KaeConfig>(log);
  const whiskers = c.lengths.flatMap((L) =>
    KAE_BASELINES.map((b) => {
      const scores = [mse.filter((r) => r.length === L && r.baseline === b).map((r) => Number(r.mse))];
      const e = iqmWithCI(scores, 20, 1000);
      return { label: `L=${L} ${b}`, group: b, estimate: e.estimate, lo: e.ci[0], hi: e.ci[1] };
    })
  );
  return [
    {
      name: "value_mse",
      chart: whiskerChart(whiskers, {
        title: "Value MSE of each baseline vs the exact V_t(x) (IQM over seeds, 95% bootstrap CI)",
        xTitle: "MSE",
      }),
    },
    {
      name: "mse_curve",
      chart: bandChart(selectRows(log, { kind: "mseCurve" }), {
        x: "step",
        y: "mse",
        series: "baseline",
        facet: "length",
      }, {
        title: "Value MSE during training (window means; mean ± 95% CI over seeds)",
        xTitle: "iteration",
        yTitle: "MSE",
      }),
    },
    {
      name: "mse_reduction_vs_bandwidth",
      chart: bandChart(
        selectRows(log, { kind: "bandwidth" }),
        { x: "bandwidth", y: "reductionVsGroupMean", series: "length" },
        {
          title:
            "Sensitivity: KAE's value-MSE reduction vs the group mean, 1 − MSE_KAE/MSE_group, by bandwidth h " +
            "(paper: 0.6–0.7)",
          xTitle: "bandwidth h (iterations)",
          yTitle: "MSE reduction vs group mean",
          logX: true,
        },
      ),
    },
    {
      name: "g1_curve",
      chart: bandChart(selectRows(log, { kind: "g1Curve" }), {
        x: "step",
        y: "success",
        series: "arm",
        facet: "length",
      }, {
        title: "Training at G = 1: exact mean success probability (mean ± 95% CI over seeds)",
        xTitle: "iteration",
        yTitle: "success probability",
      }),
    },
    ...lmTierCharts(log, "KAE LM tier"),
  ];
}
