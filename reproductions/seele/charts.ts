/** Charts of the SEELE reproduction: unhinted held-out accuracy vs rollouts, hint rates, loss descent vs accuracy. */
import {
  bandChart,
  type ChartEntry,
  lmTierCharts,
  logConfig,
  type Row,
  type RunLog,
  selectRows,
} from "../../mod.ts";
import { descentBins } from "./claims.ts";
import type { SeeleConfig } from "./config.ts";

/** Charts: unhinted held-out accuracy vs rollouts per arm; mean hint rate per arm; loss descent vs accuracy. */
export function seeleCharts(log: RunLog): ChartEntry[] {
  const c = logConfig<SeeleConfig>(log);
  const curves = selectRows(log, { kind: "curve" });
  const b = descentBins(log);
  const descent: Row[] = [];
  b.sums.forEach((sum, si) => {
    sum.forEach((s, k) => {
      if (b.counts[si][k] > 0) {
        descent.push({ seed: si, a: b.centers[k], series: "measured", descent: s / b.counts[si][k] });
      }
    });
  });
  // Reference a(1 − a) scaled to the measured curve's maximum (shape only).
  const means = b.centers.map((a) => {
    const v = descent.filter((r) => r.a === a).map((r) => Number(r.descent));
    return v.length ? v.reduce((x, y) => x + y, 0) / v.length : 0;
  });
  const scale = Math.max(0, ...means) / 0.25;
  for (const a of b.centers) {
    descent.push({ seed: 0, a, series: "theory ∝ a(1 − a)", descent: scale * a * (1 - a) });
  }
  return [
    {
      name: "heldout_vs_rollouts",
      chart: bandChart(curves, { x: "rollouts", y: "acc", series: "arm" }, {
        title:
          `Unhinted held-out exact accuracy vs rollouts (equal budget; mean ± 95% CI over ${c.seeds} seeds)`,
        xTitle: "rollouts generated",
        yTitle: "held-out accuracy (no hint)",
      }),
    },
    {
      name: "hint_rate",
      chart: bandChart(
        curves.filter((r) => Number(r.step) > 0),
        { x: "step", y: "hintRate", series: "arm" },
        {
          title: "Mean hint rate of the trained rollouts (fraction of steps forced)",
          xTitle: "training step",
          yTitle: "hint rate",
        },
      ),
    },
    {
      name: "loss_descent_vs_accuracy",
      chart: bandChart(descent, { x: "a", y: "descent", series: "series" }, {
        title: "One-step loss descent vs group accuracy a (initial policy; mean ± 95% CI over seeds)",
        xTitle: "group accuracy a (set by the hint length)",
        yTitle: "loss descent (a' − a − β·KL)",
      }),
    },
    ...lmTierCharts(log, "SEELE LM tier"),
  ];
}
