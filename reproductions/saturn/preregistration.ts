/**
 * Pre-registration of the LM tier of the SATURN reproduction (arXiv 2505.16368; reproductions/saturn/lm.ts),
 * committed before its first run at these presets. Changing any registered value un-registers the claims (see
 * lib/experiment/preregistration.ts); a change after a run goes into `amendments`.
 */
import { type Preregistration } from "../../mod.ts";
import type { SaturnLmConfig } from "./lm.ts";

/** LM-tier settings of the quick preset (2 CPU cores, tfjs-wasm). */
export const SATURN_LM_QUICK: SaturnLmConfig = {
  dModel: 16,
  nLayers: 1,
  nHeads: 2,
  sftSteps: 150,
  sftBatchSize: 16,
  sftLr: 3e-3,
  levels: [{ n: 2, k: 4, l: 3 }, { n: 2, k: 4, l: 4 }, { n: 2, k: 4, l: 5 }, { n: 2, k: 4, l: 6 }],
  threshold: 0.5,
  ladderEvalEvery: 5,
  ladderValidation: 16,
  validation: 32,
  test: 64,
  steps: 40,
  evalEvery: 10,
  batchSize: 8,
  groupSize: 8,
  learningRates: [3e-4, 1e-3, 3e-3],
  gridExtension: { factor: 3, maxExtensions: 1 },
};

/** LM-tier settings of the smoke preset (CI: seconds; too small for verdicts). */
export const SATURN_LM_SMOKE: SaturnLmConfig = {
  ...SATURN_LM_QUICK,
  dModel: 8,
  sftSteps: 10,
  sftBatchSize: 4,
  ladderEvalEvery: 1,
  ladderValidation: 4,
  validation: 4,
  test: 4,
  steps: 2,
  evalEvery: 1,
  batchSize: 2,
  groupSize: 2,
  learningRates: [1e-3],
};

/** The committed plan (seeds and baseSeed are the SATURN quick preset's; the LM tier reads `ctx.rng.split(200)`). */
export const SATURN_LM_PREREGISTRATION: Preregistration = {
  tier: "lm",
  registered: "2026-11-29",
  pilots:
    "all on a scratch stream (Rng(424242), seed 0; no registered seed run before registration), (n, k) = " +
    "(2, 4), levels l = 3, 4, 5, 6. (a) SFT on levels[0] only (dModel 16, 150 steps of 16): greedy pass@1 " +
    "0.52 / 0.19 / 0 / 0 on l = 3…6 (64 problems each), and after 30 RL steps at lr 1e-3 and 3e-3 (cpu " +
    "backend) every arm scored 0 at the target: the SFT now mixes all levels below the target. (b) mixed SFT, " +
    "wasm, 30 steps, lr {1e-3, 3e-3}: start 0.56 / 0.25 / 0.19 / 0.25 on the ladder pools, target test 0.30 at " +
    "the start and 0 for both arms after 30 steps at both rates (9.7 CPU-s per seed). (c) direct RL only, 30 " +
    "steps, target l = 6 (dModel 16) at lr 3e-4 and 1e-3 and target l = 5 (dModel 32, 2 layers) at 3e-4: greedy " +
    "target pass@1 stayed within ±0.05 of the start except one dip (0.06 at step 5, lr 1e-3). These set the " +
    "mixed SFT, a rate grid widened to {3e-4, 1e-3, 3e-3} (so a collapsing rate can be deselected) and 40 steps " +
    "(cost); the claims' direction is the paper's, not chosen from the pilots.",
  claims: [
    {
      id: "saturn.lm.1",
      preconditions: ["saturn.lm.pre1", "saturn.lm.pre2", "saturn.lm.pre3", "saturn.lm.pre4"],
      claim:
        "The SATURN ladder (advance when validation pass@1 > 0.5) beats training directly at the target " +
        "level on held-out target-level greedy pass@1 at equal RL steps (equal training rollouts)",
      rule:
        "per-seed paired difference of final test pass@1 at the target level (ladder − direct), each arm " +
        "at the rate of the shared grid with the best final validation pass@1 on target-level problems; IQM " +
        "over seeds, 95% stratified-bootstrap CI; reproduced iff CI > 0, not reproduced iff CI < 0, else " +
        "inconclusive; Holm over the reproduction's LM-tier claims",
    },
    {
      id: "saturn.lm.2",
      preconditions: ["saturn.lm.pre1", "saturn.lm.pre2", "saturn.lm.pre3", "saturn.lm.pre4"],
      claim:
        "The SATURN ladder beats direct training at the target on held-out target-level greedy pass@1 at " +
        "equal rollouts, the ladder's validation decodes counted as rollouts",
      rule: "as saturn.lm.1, each arm's test pass@1 read at its last evaluation whose rollouts (training " +
        "rollouts plus, for the ladder, validation decodes) do not exceed the smaller of the two arms' final " +
        "rollout counts",
    },
  ],
  // Thresholds fixed from the paper's mechanism before any value was measured. pre1: SATURN's case for a ladder is
  // that RL directly at the target sees almost no reward signal (groups whose rollouts all fail have zero GRPO
  // advantage); if at least 10% of groups carry signal at the start, direct RL is not in that regime, so the
  // expected share of all-zero groups under sampling (exact from the satisfying assignments) must be ≥ 0.9. pre2:
  // the ladder only helps if its first level gives signal from skill, not from guessing: the start's exact pass@1
  // there must exceed a random assignment's by ≥ 0.05. pre3/pre4: an arm whose selected rate sits at an edge of
  // the extended grid is not tuned; more than one seed in five at an edge means the grid does not bracket its
  // optimum. The claims keep greedy pass@1 (deterministic: no sampling noise to remove).
  preconditions: [
    {
      id: "saturn.lm.pre1",
      quantity:
        "expected share of all-zero groups (no correct answer among G rollouts) of the warm start on " +
        "target-level test problems, mean_x (1 − p(x))^G with p exact, mean over seeds",
      rule: "≥ 0.9",
    },
    {
      id: "saturn.lm.pre2",
      quantity:
        "the warm start's exact pass@1 minus a random assignment's on the ladder's first level, mean " +
        "over seeds (probability)",
      rule: "≥ 0.05",
    },
    {
      id: "saturn.lm.pre3",
      quantity:
        "share of seeds on which the ladder arm's selected rate is at an edge of the extended grid (not tuned)",
      rule: "≤ 0.2",
    },
    {
      id: "saturn.lm.pre4",
      quantity:
        "share of seeds on which the direct arm's selected rate is at an edge of the extended grid (not tuned)",
      rule: "≤ 0.2",
    },
  ],
  presets: {
    // A frozen copy of the values at registration (not a reference to the live preset).
    quick: {
      seeds: 10,
      baseSeed: 2505,
      lm: {
        dModel: 16,
        nLayers: 1,
        nHeads: 2,
        sftSteps: 150,
        sftBatchSize: 16,
        sftLr: 0.003,
        levels: [{ n: 2, k: 4, l: 3 }, { n: 2, k: 4, l: 4 }, { n: 2, k: 4, l: 5 }, { n: 2, k: 4, l: 6 }],
        threshold: 0.5,
        ladderEvalEvery: 5,
        ladderValidation: 16,
        validation: 32,
        test: 64,
        steps: 40,
        evalEvery: 10,
        batchSize: 8,
        groupSize: 8,
        learningRates: [0.0003, 0.001, 0.003],
        gridExtension: { factor: 3, maxExtensions: 1 },
      },
    },
  },
  amendments: [
    {
      date: "2026-12-07",
      change:
        "grid and preconditions: the rate grid gains the pre-registered edge rule (when an arm selects the " +
        "smallest or largest rate, both arms are trained at rate / 3 or rate · 3, once; registered value " +
        "gridExtension added); four preconditions (all-zero groups under direct training at the target at the " +
        "start, the ladder's first level above chance, each arm tuned), measured exactly from the enumerated " +
        "satisfying assignments, with thresholds reasoned in the plan before any value was measured",
      reason:
        "the published verdicts compared arms whose rate may sit at an edge of the grid (not tuned), and " +
        "the paper's argument needs a regime (direct RL at the target sees almost no signal) that the published " +
        "run did not measure. 'before' lists the published quick run's verdicts; 'after' is filled by the rerun " +
        "of the amended plan.",
      before: { "saturn.lm.1": "not reproduced", "saturn.lm.2": "not reproduced" },
      after: {},
    },
    {
      date: "2026-11-29",
      change: "rule text only: the registered rule says 'IQM over seeds', but the harness aggregates " +
        "per-seed scores by claimAggregate (the mean over runs below 20 runs, the IQM from 20), which was already " +
        "in force when this plan was committed and is what every registered run executed; the executed rule is the " +
        "mean over the 10 seeds",
      reason:
        "a mismatch between the plan's words and the executed rule, found when the runs were published; " +
        "'before' lists each claim's verdict under the IQM as written (recomputed from the same seeds), 'after' " +
        "under the executed mean — changed: saturn.lm.2",
      before: { "saturn.lm.1": "not reproduced", "saturn.lm.2": "inconclusive" },
      after: { "saturn.lm.1": "not reproduced", "saturn.lm.2": "not reproduced" },
    },

    {
      date: "2026-11-29",
      change: "code only, no registered value: LM-tier eval rows at step 0 leave out trainAccuracy (NaN), " +
        "which the run log rejects",
      reason: "the first registered quick run finished training and then crashed while logging its rows, " +
        "before any claim was computed; it was rerun unchanged (same config and seeds)",
      before: {},
      after: { "saturn.lm.1": "inconclusive", "saturn.lm.2": "inconclusive" },
    },
  ],
};
