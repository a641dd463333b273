/**
 * Pre-registration of the RLCR LM tier with chosen starts (reproductions/rlcr/lm.ts; Damani et al., arXiv
 * 2507.16806), committed before its first run at the quick preset. Changing any registered value un-registers the
 * claims (see lib/experiment/preregistration.ts); a change after a run goes into `amendments`.
 */
import { type Preregistration } from "../../mod.ts";
import type { RlcrLmConfig } from "./lm.ts";

/** The base warm start and task of the quick preset (shared with the reproduction's other arms). */
export const RLCR_BASE_QUICK = {
  maxDigits: 2,
  levels: [0, 0.25, 0.5, 0.75, 1],
  referenceWeights: [1, 1, 2, 4, 12],
  dModel: 32,
  nLayers: 1,
  nHeads: 2,
  sftSteps: 400,
  sftBatchSize: 32,
  sftLr: 1e-2,
  evalProblems: 128,
};

/** LM-tier settings of the quick preset (2 CPU cores). */
export const RLCR_LM_QUICK: RlcrLmConfig = {
  labelSteps: 40,
  labelBatchSize: 32,
  labelLr: 3e-3,
  labelNoise: 0.1,
  calibrationProblems: 128,
  calibrationSamples: 4,
  validationProblems: 64,
  testProblems: 128,
  evalSamples: 4,
  steps: 50,
  batchSize: 8,
  groupSize: 8,
  learningRates: [1e-3],
  unparsableReward: -1,
  accuracyMargin: 0.05,
};

/** LM-tier settings of the smoke preset (CI: seconds; too small for verdicts). */
export const RLCR_LM_SMOKE: RlcrLmConfig = {
  ...RLCR_LM_QUICK,
  labelSteps: 4,
  labelBatchSize: 8,
  calibrationProblems: 16,
  calibrationSamples: 1,
  validationProblems: 8,
  testProblems: 16,
  evalSamples: 1,
  steps: 2,
  batchSize: 2,
  groupSize: 4,
};

const RULE = (what: string, side: string) =>
  `${what}; IQM over seeds with a 95% stratified-bootstrap CI (2000 resamples); reproduced iff the CI is ${side}, ` +
  "not reproduced iff it lies entirely on the other side, else inconclusive; Holm over the reproduction's " +
  "LM-tier claims (rlcr.lm.1–14)";

/** The committed plan. */
export const RLCR_LM_PREREGISTRATION: Preregistration = {
  tier: "lm",
  registered: "2026-11-29",
  pilots: "Scratch seeds new Rng(777) and new Rng(778) (not derived from baseSeed 2507), one seed each: " +
    "(1) base SFT 250 steps + labelling SFT of the confidence token and eos only (60 steps, lr 3e-3) + 60 RL " +
    "steps at lr 1e-3 and 3e-3: base accuracy ≈ 0.2, the labels leaked into the answer positions (over-confident " +
    "start parse rate 0.002) and RLCR from the low-accuracy start collapsed to q = 0 (accuracy 0.02) — so the base " +
    "SFT became 400 steps (sampled accuracy ≈ 0.5) and the labelling SFT trains every solution token; " +
    "(2) base 400, labelling 40 steps at lr 3e-3 with noise 0 / 0.25, RL 30–40 steps at lr 1e-3 and 3e-3: the " +
    "labelling SFT raised accuracy 0.38 → 0.56, so labels measured on the base were stale (the calibrated start " +
    "under-confident, ECE 0.23) — so the calibrated labels are measured on the over-confident start, which got the " +
    "same answer training; without noise the over-confident token saturated at q = 1 and no arm moved it, so 10% " +
    "of labels are drawn uniformly; lr 3e-3 lost 5–10 points of accuracy in both arms and validation chose 1e-3 " +
    "in all four runs, so the grid is the single rate 1e-3 (cost); (3) the registered settings on scratch seed " +
    "778: ECE over-confident start 0.47, binary 0.47, RLCR 0.46; calibrated start 0.11, binary 0.14, RLCR 0.05. " +
    "No registered seed was run before registration.",
  claims: [
    {
      id: "rlcr.lm.9",
      kind: "manipulation check",
      claim:
        "From the over-confident start, RLCR ends with lower held-out ECE than binary RL (RLCR − binary < 0)",
      rule: RULE("per-seed paired difference of held-out ECE (10 bins, parsable sampled responses)", "< 0"),
    },
    {
      id: "rlcr.lm.10",
      claim:
        "From the over-confident start, RLCR loses no accuracy vs binary RL (non-inferiority, margin 0.05)",
      rule: RULE(
        "per-seed paired difference of held-out accuracy (all sampled responses), RLCR − binary",
        "> −0.05",
      ),
    },
    {
      id: "rlcr.lm.11",
      preconditions: ["rlcr.lm.pre1"],
      claim: "From the calibrated start, binary RL degrades calibration (binary − start ECE > 0)",
      rule: RULE("per-seed paired difference of held-out ECE, binary arm − its calibrated start", "> 0"),
    },
    {
      id: "rlcr.lm.12",
      claim:
        "From the calibrated start, RLCR ends with lower held-out ECE than binary RL (RLCR − binary < 0)",
      rule: RULE("per-seed paired difference of held-out ECE (10 bins, parsable sampled responses)", "< 0"),
    },
    {
      id: "rlcr.lm.13",
      claim: "From the calibrated start, RLCR loses no accuracy vs binary RL (non-inferiority, margin 0.05)",
      rule: RULE(
        "per-seed paired difference of held-out accuracy (all sampled responses), RLCR − binary",
        "> −0.05",
      ),
    },
    {
      id: "rlcr.lm.14",
      claim: "From the over-confident start, RLCR lowers held-out ECE (RLCR − start < 0)",
      rule: RULE("per-seed paired difference of held-out ECE, RLCR arm − its over-confident start", "< 0"),
    },
  ],
  // Thresholds fixed from the mechanism before any value was measured. Given a parsable response the binary
  // reward's expected gradient on the confidence level is zero, so under a fixed confidence the binary arm's ECE
  // moves only through accuracy, and by at most |Δ accuracy| (per bin, |conf − acc| changes by at most the change
  // of acc). If the binary arm's accuracy moves by less than 0.02, "binary RL degrades calibration" can only read
  // drift of the confidence token, not the paper's mechanism: the claim is then not testable here. pre1 guards
  // rlcr.lm.11 (calibrated start); pre2 guards the fixed-start claim "binary-reward RL degrades calibration".
  preconditions: [
    {
      id: "rlcr.lm.pre1",
      quantity: "|mean over seeds of the binary arm's held-out accuracy change from the calibrated start| " +
        "(accuracy points)",
      rule: "≥ 0.02",
    },
    {
      id: "rlcr.lm.pre2",
      quantity: "|mean over seeds of the binary arm's held-out accuracy change from the fixed SFT start| " +
        "(accuracy points)",
      rule: "≥ 0.02",
    },
  ],
  presets: {
    // A frozen copy of the values at registration (not a reference to the live preset).
    quick: {
      seeds: 10,
      baseSeed: 2507,
      maxDigits: 2,
      levels: [0, 0.25, 0.5, 0.75, 1],
      referenceWeights: [1, 1, 2, 4, 12],
      dModel: 32,
      nLayers: 1,
      nHeads: 2,
      sftSteps: 400,
      sftBatchSize: 32,
      sftLr: 0.01,
      evalProblems: 128,
      lm: {
        labelSteps: 40,
        labelBatchSize: 32,
        labelLr: 0.003,
        labelNoise: 0.1,
        calibrationProblems: 128,
        calibrationSamples: 4,
        validationProblems: 64,
        testProblems: 128,
        evalSamples: 4,
        steps: 50,
        batchSize: 8,
        groupSize: 8,
        learningRates: [0.001],
        unparsableReward: -1,
        accuracyMargin: 0.05,
      },
    },
  },
  amendments: [
    {
      date: "2026-12-07",
      change:
        "preconditions: rlcr.lm.11 (and the fixed-start claim 'binary-reward RL degrades calibration', " +
        "rlcr.lm.4, not in this plan) depend on the binary arm's held-out accuracy moving by ≥ 0.02 from its " +
        "start (rlcr.lm.pre1, rlcr.lm.pre2), threshold reasoned in the plan before any value was measured",
      reason:
        "the binary reward carries no information about which confidence level is right (its expected " +
        "gradient on the level is zero), so its calibration can only change through accuracy under a fixed " +
        "confidence; where accuracy does not move, the claim's mechanism cannot act and a verdict would read " +
        "drift. 'before' lists the published quick run's verdict; 'after' is filled by the rerun.",
      before: { "rlcr.lm.11": "inconclusive" },
      after: {},
    },
    {
      date: "2026-12-07",
      change:
        "ECE and accuracy pairings count an arm without a parsable response on a seed as a failure (ECE 1, accuracy 0) on every registered seed; rule texts say so",
      reason:
        "survivorship: the per-seed pairing dropped seeds with a NaN value, so a claim could be decided on fewer seeds than registered (n = 8 of 10 for the rlcr-paper ECE claim) and an arm that loses the format was graded on an easier subset",
      before: {
        "rlcr.lm.10": "reproduced",
        "rlcr.lm.11": "inconclusive",
        "rlcr.lm.12": "inconclusive",
        "rlcr.lm.13": "reproduced",
        "rlcr.lm.14": "reproduced",
      },
      after: {},
    },
    {
      date: "2026-12-07",
      change:
        "rlcr.lm.9 reclassified from a reproduction to a manipulation check (reported apart, outside the Holm family and the verdict counts)",
      reason:
        "from the over-confident start the binary arm cannot contest the ECE gain: its expected gradient on the confidence token is zero, so RLCR − binary ECE < 0 holds by construction of the start",
      before: {
        "rlcr.lm.9": "reproduced",
      },
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
        "under the executed mean (no verdict differs)",
      before: {
        "rlcr.lm.9": "reproduced",
        "rlcr.lm.10": "reproduced",
        "rlcr.lm.11": "inconclusive",
        "rlcr.lm.12": "inconclusive",
        "rlcr.lm.13": "reproduced",
        "rlcr.lm.14": "reproduced",
      },
      after: {
        "rlcr.lm.9": "reproduced",
        "rlcr.lm.10": "reproduced",
        "rlcr.lm.11": "inconclusive",
        "rlcr.lm.12": "inconclusive",
        "rlcr.lm.13": "reproduced",
        "rlcr.lm.14": "reproduced",
      },
    },
  ],
};
