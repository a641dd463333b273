/**
 * Pre-registration of the LM tier of the KAE reproduction (Kernelized Advantage Estimation, arXiv 2604.28005),
 * committed before its first run at these presets. Changing any registered value un-registers the claims (see
 * lib/experiment/preregistration.ts); a change after a run goes into `amendments`.
 */
import { LM_GRID_EXTENSION, type Preregistration } from "../../mod.ts";
import { KAE_HISTORY_QUANTITY, type KaeLmConfig } from "./lm.ts";

/** LM-tier settings of the quick preset (2 CPU cores). */
export const KAE_LM_QUICK: KaeLmConfig = {
  dModel: 32,
  nLayers: 1,
  nHeads: 2,
  sftSteps: 300,
  sftBatchSize: 32,
  sftLr: 3e-3,
  maxDigits: 3,
  validationPerDigit: 8,
  testPerDigit: 16,
  trainSetSize: 32,
  steps: 30,
  evalEvery: 10,
  batchSize: 16,
  groupSize: 1,
  learningRates: [1e-3],
  kernel: "triangular",
  bandwidth: 8,
  grpoGroupSize: 4,
  probeEvery: 10,
  probeSamples: 4,
  gridExtension: LM_GRID_EXTENSION,
};

/** LM-tier settings of the smoke preset (CI: seconds; too small for verdicts). */
export const KAE_LM_SMOKE: KaeLmConfig = {
  ...KAE_LM_QUICK,
  dModel: 16,
  sftSteps: 10,
  maxDigits: 1,
  validationPerDigit: 4,
  testPerDigit: 4,
  trainSetSize: 8,
  steps: 2,
  evalEvery: 1,
  batchSize: 4,
  learningRates: [1e-3],
  probeEvery: 1,
  probeSamples: 4,
};

/** The committed plan. */
export const KAE_LM_PREREGISTRATION: Preregistration = {
  tier: "lm",
  registered: "2026-11-29",
  pilots:
    "cost only, on scratch seeds (baseSeed 999000111 and a bare warm start at seed 5), no registered seed: " +
    "one run of an earlier, larger draft (2 rates, 40 steps, 16/32 held-out problems per digit) was stopped " +
    "after 2 CPU-minutes before printing any result; SFT warm starts measured 64 CPU-s for 300 steps on " +
    "1–3 digits (greedy accuracy 0.35 on 96 problems) and 26 CPU-s for 150 steps on 1–2 digits (accuracy " +
    "0.08–0.09 at SFT lr 3e-3 and 1e-2); 10 RL steps of 16 rollouts cost 1.4–1.7 CPU-s and a probe of " +
    "16 × 36 rollouts 1.0–1.5 CPU-s (machine loaded). Consequences: the filtering tier's SFT (300 steps, 1–3 " +
    "digits), one learning rate (1e-3, the rate of the filtering tier's grid that suits 16 rollouts per step; " +
    "all arms share it, so tuning is equal but not selected), 30 steps, 8/16 held-out problems per digit. No " +
    "accuracy or MSE of any arm was seen before registration. Bandwidth h = 8 was fixed a priori: prompts " +
    "recur every trainSetSize / batchSize = 2 steps on average, so the triangular kernel spans ≈ 4 revisits.",
  claims: [
    {
      id: "kae.lm.1",
      preconditions: ["kae.lm.pre1", "kae.lm.tuned"],
      claim: "At group size G = 1, the KAE baseline beats REINFORCE without a baseline on held-out accuracy",
      rule:
        "per-seed paired difference of final test accuracy (kae − reinforce), G = 1, equal steps and rollouts, " +
        "each arm at the rate of the grid with the best final validation accuracy; IQM over seeds, 95% bootstrap " +
        "CI; reproduced iff CI > 0, not reproduced iff CI < 0, else inconclusive; Holm over the LM-tier claims",
    },
    {
      id: "kae.lm.2",
      preconditions: ["kae.lm.pre1", "kae.lm.pre2", "kae.lm.tuned"],
      claim: "KAE at G = 1 beats GRPO at G = 4 on held-out accuracy at equal rollouts",
      rule:
        "as kae.lm.1 for (kae − grpo), GRPO at G = 4 on batchSize / 4 prompts per step, so both arms spend " +
        "batchSize rollouts per step (equal steps and equal rollouts)",
    },
    {
      id: "kae.lm.3",
      kind: "manipulation check",
      preconditions: ["kae.lm.pre3"],
      claim:
        "KAE's baseline V̂ has lower value MSE than the G = 1 group mean (the paper's equal-G comparison)",
      rule:
        "in the kae run at its selected rate, at steps 10, 20, 30, every batch prompt's V̂ and its trained " +
        "sample r are scored against p, its exact success probability under the pre-update policy (teacher " +
        "forcing of the answer); MSE = mean (· − p)²; per-seed difference MSE(r) − MSE(V̂), mean over seeds, " +
        "95% bootstrap CI; reproduced iff CI > 0, not reproduced iff CI < 0, else inconclusive",
    },
    {
      id: "kae.lm.4",
      preconditions: ["kae.lm.pre3"],
      claim:
        "KAE's V̂ at G = 1 has lower value MSE than GRPO's group mean at G = 4 (equal rollouts: 4× KAE's)",
      rule:
        "as kae.lm.3 with the group mean of 4 fresh rollouts of the same prompt in place of r; Holm over " +
        "the LM-tier claims",
    },
  ],
  preconditions: [
    {
      id: "kae.lm.pre1",
      quantity:
        "mean over seeds of the reinforce arm's held-out test-accuracy gain from step 0 to its final " +
        "evaluation at its validation-selected rate (accuracy points)",
      rule: "≥ 0.02",
    },
    {
      id: "kae.lm.pre2",
      quantity: "mean over seeds of the grpo arm's held-out test-accuracy gain from step 0 to its final " +
        "evaluation at its validation-selected rate (accuracy points)",
      rule: "≥ 0.02",
    },
    {
      id: "kae.lm.pre3",
      quantity: KAE_HISTORY_QUANTITY,
      rule: "≥ 0.5",
    },
    {
      id: "kae.lm.tuned",
      quantity:
        "share of (seed, arm) pairs of the arms reinforce, kae, grpo whose validation-selected learning " +
        "rate lies at an edge of the grid after its pre-registered extension",
      rule: "≤ 0",
    },
  ],
  presets: {
    quick: { seeds: 10, baseSeed: 2604, lm: KAE_LM_QUICK },
  },
  amendments: [
    {
      date: "2026-12-07",
      change:
        "value error scored against each prompt's exact success probability under the pre-update policy " +
        "(teacher forcing of its answer) instead of a 32-rollout Monte-Carlo p̂ with its noise subtracted; the " +
        "probe draws only the 4 rollouts of GRPO's group mean (probeSamples 36 → 4)",
      reason:
        "the answers of addition can be enumerated, so the reference needs no sampling noise; the old estimate " +
        "was unbiased but noisy",
      before: { "kae.lm.3": "reproduced", "kae.lm.4": "not reproduced" },
      after: {},
    },
    {
      date: "2026-12-07",
      change:
        "edge-of-grid rule pre-registered (factor 3, one extension round, the same for every arm: the one-rate " +
        "grid {1e-3} gains 1e-3/3 and 3e-3); a comparison with an arm still selected at an edge is not testable " +
        "here (precondition kae.lm.tuned ≤ 0); every arm is also read at exactly the same rollout counts",
      reason:
        "the single registered rate collapsed every arm, and an edge-selected rate is not tuned, so a comparison " +
        "with it is not an equal-tuning comparison" +
        "; disclosed: after these amendments were written, a one-seed cost measurement of the quick preset ran " +
        "seed 0 of the registered stream; its values were seen (every compared arm selected the lowest rate of " +
        "the extended grid), and no rule, threshold or config changed after it",
      before: { "kae.lm.1": "not reproduced", "kae.lm.2": "inconclusive" },
      after: {},
    },
    {
      date: "2026-12-07",
      change:
        "preconditions declared: the grpo arm learns (kae.lm.pre2, for kae.lm.2, the rule of kae.lm.pre1), and " +
        "at least half of the probed prompts' V̂ had kernel history (kae.lm.pre3, for the value-error rows: " +
        "without history V̂ = 0 and the comparison scores a constant); thresholds chosen from the mechanism " +
        "before any value was measured",
      reason: "claims whose mechanism is absent from the run do not test the paper",
      before: { "kae.lm.2": "inconclusive", "kae.lm.4": "not reproduced" },
      after: {},
    },
    {
      date: "2026-12-07",
      change:
        "precondition declared: the baseline arm learns (held-out test-accuracy gain ≥ 0.02 at its selected rate, measured on the run's own seeds); the arm comparisons depend on it and are not testable here when it fails",
      reason:
        "arm comparisons between policies the learning-rate grid barely trained or that collapsed do not test the paper's mechanism; 'after' is filled in by the next registered run",
      before: {
        "kae.lm.1": "not reproduced",
        "kae.lm.2": "inconclusive",
      },
      after: {},
    },
    {
      date: "2026-12-07",
      change:
        "kae.lm.3 reclassified from a reproduction to a manipulation check (reported apart, outside the Holm family and the verdict counts)",
      reason:
        "it scores V̂ against the very sample r it is trained on (MSE(r) − MSE(V̂)): a smoothed estimate beats the single sample it smooths by construction, so the comparison checks the estimator's plumbing, not the paper's equal-G claim",
      before: {
        "kae.lm.3": "reproduced",
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
        "under the executed mean — changed: kae.lm.1",
      before: {
        "kae.lm.1": "inconclusive",
        "kae.lm.2": "inconclusive",
        "kae.lm.3": "reproduced",
        "kae.lm.4": "not reproduced",
      },
      after: {
        "kae.lm.1": "not reproduced",
        "kae.lm.2": "inconclusive",
        "kae.lm.3": "reproduced",
        "kae.lm.4": "not reproduced",
      },
    },

    {
      date: "2026-11-29",
      change: "registered quick baseSeed 260428005 → 2604",
      reason:
        "the KAE reproduction runs its exact and LM tiers from one config whose quick baseSeed is 2604; " +
        "changed before any LM-tier result was read. A run at baseSeed 260428005 had been started; it was " +
        "stopped for wall time on the loaded machine with seeds 0–3 of 10 done (old engine), and is reported " +
        "as an unregistered partial run, not as the registered one",
      before: {},
      after: {},
    },
  ],
};
