/** SATURN charts: held-out pass@1 vs rollouts, ladder level vs rollouts, all-zero-group fraction, final pass@1. */
import {
  bandChart,
  type ChartEntry,
  iqmWithCI,
  lmTierCharts,
  logConfig,
  type Row,
  type RunLog,
  selectRows,
  whiskerChart,
  type WhiskerRow,
} from "../../mod.ts";
import { finals } from "./claims.ts";
import { levelName, SATURN_ARMS, type SaturnArm, type SaturnConfig } from "./config.ts";

/** SATURN charts: held-out pass@1 vs rollouts, ladder level vs rollouts, all-zero-group fraction, final pass@1. */
export function saturnCharts(log: RunLog): ChartEntry[] {
  const c = logConfig<SaturnConfig>(log);
  const target = levelName(c.levels[c.levels.length - 1]);
  const perStep = c.batchSize * c.groupSize;
  const bin = Math.max(1, Math.round(c.steps / 20)) * perStep;
  const binned = (arm: SaturnArm, field: string): Row[] => {
    const acc = new Map<string, { seed: number; rollouts: number; sum: number; n: number }>();
    for (const r of selectRows(log, { kind: "step", arm })) {
      const x = Math.ceil(Number(r.rollouts) / bin) * bin;
      const key = `${r.seed}:${x}`;
      const a = acc.get(key) ?? { seed: Number(r.seed), rollouts: x, sum: 0, n: 0 };
      a.sum += Number(r[field]);
      a.n++;
      acc.set(key, a);
    }
    return [...acc.values()].map((a) => ({ seed: a.seed, rollouts: a.rollouts, arm, [field]: a.sum / a.n }));
  };
  const whiskers: WhiskerRow[] = SATURN_ARMS.map((arm) => {
    const e = iqmWithCI([finals(log, arm, "pass")], 40, 1000);
    return { label: arm, group: arm, estimate: e.estimate, lo: e.ci[0], hi: e.ci[1] };
  });
  const d = finals(log, "ladder", "pass").map((x, i) => x - finals(log, "direct", "pass")[i]);
  const de = iqmWithCI([d], 41, 1000);
  whiskers.push({
    label: "ladder − direct",
    group: "difference",
    estimate: de.estimate,
    lo: de.ci[0],
    hi: de.ci[1],
  });
  return [
    {
      name: "target_pass_curve",
      chart: bandChart(selectRows(log, { kind: "curve" }), { x: "rollouts", y: "pass", series: "arm" }, {
        title: `Held-out ${target}-SAT pass@1 vs rollouts spent (mean ± 95% CI over seeds)`,
        xTitle: "rollouts (training + ladder validation)",
        yTitle: "pass@1 at the target",
      }),
    },
    {
      name: "ladder_level",
      chart: bandChart(binned("ladder", "level"), { x: "rollouts", y: "level", series: "arm" }, {
        title: `Ladder level index vs rollouts (0 = ${levelName(c.levels[0])}, ${
          c.levels.length - 1
        } = ${target})`,
        xTitle: "rollouts",
        yTitle: "level index",
      }),
    },
    {
      name: "zero_reward_groups",
      chart: bandChart([...binned("ladder", "zeroFraction"), ...binned("direct", "zeroFraction")], {
        x: "rollouts",
        y: "zeroFraction",
        series: "arm",
      }, {
        title: "Fraction of training groups with all-zero reward (no GRPO signal)",
        xTitle: "rollouts",
        yTitle: "all-zero groups",
      }),
    },
    {
      name: "final_pass",
      chart: whiskerChart(whiskers, {
        title: `Final held-out ${target} pass@1 (IQM over seeds, 95% bootstrap CI)`,
        xTitle: "pass@1",
        zero: true,
      }),
    },
    ...lmTierCharts(log, "SATURN LM tier (target-level pass@1)"),
  ];
}
