/** Charts of the ROVER reproduction (arXiv 2509.24981): training curves, pass@k, the ρ trade-off, the theorem check. */
import {
  bandChart,
  type ChartEntry,
  logConfig,
  type Row,
  type RunLog,
  scatterChart,
  selectRows,
  summariseOverSeeds,
  whiskerChart,
} from "../../mod.ts";
import type { RoverConfig } from "./config.ts";
import { roverLmKs } from "./lm.ts";

/** Per-(seed, depth, method) means over trees of a final-row metric. */
function finalMeans(log: RunLog, metric: string): Row[] {
  const rows = selectRows(log, { kind: "final" });
  const acc = new Map<string, { row: Row; sum: number; n: number }>();
  for (const r of rows) {
    const id = `${r.seed}|${r.depth}|${r.method}`;
    let a = acc.get(id);
    if (!a) acc.set(id, a = { row: { seed: r.seed, depth: r.depth, method: r.method }, sum: 0, n: 0 });
    a.sum += Number(r[metric]);
    a.n++;
  }
  return [...acc.values()].map((a) => ({ ...a.row, [metric]: a.sum / a.n }));
}

/** The ROVER charts: curves, pass@k (log k), diversity vs pass@1 across ρ, greedy-Q^u optimality. */
export function roverCharts(log: RunLog): ChartEntry[] {
  const c = logConfig<RoverConfig>(log);
  const curve = selectRows(log, { kind: "curve" });
  const out: ChartEntry[] = [
    {
      name: "distinct_curve",
      chart: bandChart(curve, { x: "step", y: "distinct", series: "method", facet: "depth" }, {
        title:
          `Expected distinct solutions in ${c.samples} samples during training (mean ± 95% CI over seeds)`,
        xTitle: "iteration",
        yTitle: "distinct solutions",
      }),
    },
    {
      name: "pass1_curve",
      chart: bandChart(curve, { x: "step", y: "pass1", series: "method", facet: "depth" }, {
        title: "pass@1 (exact) during training",
        xTitle: "iteration",
        yTitle: "pass@1",
      }),
    },
    {
      name: "pass_at_k",
      chart: bandChart(selectRows(log, { kind: "passk" }), {
        x: "k",
        y: "passk",
        series: "method",
        facet: "depth",
      }, {
        title: "pass@k after training (exact, mean over trees; 95% CI over seeds)",
        xTitle: "k",
        yTitle: "pass@k",
        logX: true,
      }),
    },
  ];
  // Trade-off: exact softmax(Q^u/ρ) across ρ, plus the trained methods.
  const rho = summariseOverSeeds(selectRows(log, { kind: "rho" }), ["depth", "rho"], "pass1");
  const rhoD = summariseOverSeeds(selectRows(log, { kind: "rho" }), ["depth", "rho"], "distinct");
  const points: Row[] = rho.map((r, i) => ({
    depth: r.depth,
    series: "softmax(Q^u/ρ), exact",
    label: `ρ=${r.rho}`,
    pass1: r.mean,
    distinct: rhoD[i].mean,
  }));
  const p1 = summariseOverSeeds(finalMeans(log, "pass1"), ["depth", "method"], "pass1");
  const di = summariseOverSeeds(finalMeans(log, "distinct"), ["depth", "method"], "distinct");
  for (const r of p1) {
    if (r.method !== "grpo" && r.method !== "rover") continue;
    const d = di.find((x) => x.depth === r.depth && x.method === r.method)!;
    points.push({
      depth: r.depth,
      series: `${r.method} (trained)`,
      label: String(r.method),
      pass1: r.mean,
      distinct: d.mean,
    });
  }
  out.push({
    name: "diversity_tradeoff",
    chart: scatterChart(points, {
      x: "distinct",
      y: "pass1",
      series: "series",
      label: "label",
      facet: "depth",
    }, {
      title: `pass@1 vs distinct solutions in ${c.samples} samples (seed means)`,
      xTitle: "distinct solutions",
      yTitle: "pass@1",
    }),
  });
  const th = selectRows(log, { kind: "theorem" });
  const thS = summariseOverSeeds(th, ["depth", "rewardKind"], "optimalFraction");
  out.push({
    name: "greedy_optimality",
    chart: whiskerChart(
      thS.map((r) => ({
        label: `depth ${r.depth}, ${r.rewardKind}`,
        group: String(r.rewardKind),
        estimate: Number(r.mean),
        lo: Number(r.lo),
        hi: Number(r.hi),
      })),
      {
        title: "Fraction of trees where greedy-Q^u is optimal (binary: theorem; graded: control)",
        xTitle: "fraction optimal",
      },
    ),
  });
  out.push(...roverLmCharts(log));
  return out;
}

/** LM-tier chart: exact test pass@k of the warm start and of each arm at its selected rate (mean ± 95% CI). */
export function roverLmCharts(log: RunLog): ChartEntry[] {
  const rows = [...selectRows(log, { kind: "lm-start" }), ...selectRows(log, { kind: "lm-best" })];
  if (rows.length === 0) return [];
  const c = logConfig<RoverConfig>(log);
  const passk = rows.flatMap((r) =>
    roverLmKs(c.lm.samples).map((k) => ({
      seed: r.seed,
      method: r.kind === "lm-start" ? "warm start" : String(r.arm),
      k,
      passk: Number(r[`pass${k}`]),
    }))
  );
  return [{
    name: "lm_pass_at_k",
    chart: bandChart(passk, { x: "k", y: "passk", series: "method" }, {
      title: "LM tier: test pass@k of a TinyTransformer on digit permutations (exact; 95% CI over seeds)",
      xTitle: "k",
      yTitle: "pass@k",
      logX: true,
    }),
  }];
}
