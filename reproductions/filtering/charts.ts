/** Charts of the Online Difficulty Filtering reproduction: held-out curves vs steps and rollouts, p̂(1 − p̂) scatters. */
import {
  bandChart,
  type ChartEntry,
  lmTierCharts,
  logConfig,
  type PromptLogData,
  promptPassRateChart,
  type Row,
  type RunLog,
  scatterChart,
  selectRows,
} from "../../mod.ts";
import { FILTERING_ARMS, type FilteringConfig } from "./config.ts";

/** Charts: held-out learning curves vs steps and vs rollouts, and the improvement vs p̂(1 − p̂) scatter. */
export function filteringCharts(log: RunLog): ChartEntry[] {
  const c = logConfig<FilteringConfig>(log);
  const curves = selectRows(log, { kind: "curve" });
  const every = Math.max(1, Math.round(c.steps / 40));
  const thin = curves.filter((r) => Number(r.step) % every === 0);
  // Rollout axis: bin cumulative rollouts so seeds align.
  const maxRoll = Math.max(...curves.map((r) => Number(r.rollouts)));
  const bin = Math.max(1, Math.ceil(maxRoll / 40 / (c.batchSize * c.groupSize)) * c.batchSize * c.groupSize);
  const byRoll = new Map<string, Row>();
  for (const r of curves) {
    const x = Math.round(Number(r.rollouts) / bin) * bin;
    byRoll.set(`${r.seed}|${r.arm}|${x}`, { ...r, rolloutBin: x });
  }
  // Scatter: per arm and seed, mean improvement within deciles of training.
  const chunks = 10;
  const scatter: Row[] = [];
  for (const arm of FILTERING_ARMS) {
    for (let s = 0; s < c.seeds; s++) {
      const rs = curves.filter((r) => r.arm === arm && r.seed === s && Number(r.step) > 0);
      for (let k = 0; k < chunks; k++) {
        const part = rs.slice(
          Math.floor((k * rs.length) / chunks),
          Math.floor(((k + 1) * rs.length) / chunks),
        );
        if (!part.length) continue;
        const mean = (f: string) => part.reduce((t, r) => t + Number(r[f]), 0) / part.length;
        scatter.push({ arm, seed: s, pvar: mean("pvar"), delta: mean("delta") });
      }
    }
  }
  const probe = selectRows(log, { kind: "probe" }).map((r) => ({
    ...r,
    snapshot: `${r.snapshot} of training`,
  }));
  return [
    {
      name: "heldout_vs_steps",
      chart: bandChart(thin, { x: "step", y: "acc", series: "arm" }, {
        title: "Held-out (unfiltered) exact accuracy vs training steps (mean ± 95% CI over seeds)",
        xTitle: "training step",
        yTitle: "held-out accuracy",
      }),
    },
    {
      name: "heldout_vs_rollouts",
      chart: bandChart([...byRoll.values()], { x: "rolloutBin", y: "acc", series: "arm" }, {
        title: "Held-out exact accuracy vs rollouts generated (discarded included)",
        xTitle: "rollouts generated",
        yTitle: "held-out accuracy",
      }),
    },
    {
      name: "improvement_vs_pvar",
      chart: scatterChart(scatter, { x: "pvar", y: "delta", series: "arm" }, {
        title:
          "Training: per-step held-out improvement vs batch mean p̂(1 − p̂) (means over tenths of training)",
        xTitle: "batch mean p̂(1 − p̂)",
        yTitle: "held-out improvement per step",
      }),
    },
    {
      name: "probe_improvement_vs_pvar",
      chart: scatterChart(probe, { x: "pvar", y: "delta", series: "snapshot", facet: "snapshot" }, {
        title:
          "Probe: one-step held-out improvement vs batch mean p̂(1 − p̂) from the same snapshot (all seeds)",
        xTitle: "batch mean p̂(1 − p̂)",
        yTitle: "held-out improvement",
      }),
    },
    ...promptCharts(log),
    ...lmTierCharts(log, "Filtering LM tier"),
  ];
}

/** Per-prompt view (when the run logged it): the p̂ distribution over steps and the informative-band share, per arm. */
function promptCharts(log: RunLog): ChartEntry[] {
  const prompts = selectRows(log, { kind: "prompt" });
  if (prompts.length === 0) return [];
  return FILTERING_ARMS.filter((arm) => prompts.some((r) => r.arm === arm)).map((arm) => ({
    name: `prompt_pass_rates_${arm}`,
    chart: promptPassRateChart(prompts.filter((r) => r.arm === arm) as unknown as PromptLogData, {
      title: `Per-prompt p̂ over training steps (${arm} arm, all seeds pooled)`,
    }),
  }));
}
