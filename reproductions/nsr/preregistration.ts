/**
 * Pre-registration of the LM tier of the NSR / PSR / W-REINFORCE reproduction (Zhu et al., arXiv 2506.01347),
 * committed before its first run at these presets. Changing any registered value un-registers the claims (see
 * lib/experiment/preregistration.ts); a change after a run goes into `amendments`.
 *
 * Plan notes. (1) With ±1 rewards and NO baseline, PSR and NSR have the same expected gradient on a tabular
 * policy (E[1(r = +1)∇log π] = ∇J = E[−1(r = −1)∇log π] per prompt); on the transformer the parameters are shared
 * across prompts and the two estimates differ, which is the paper's point and the reason this tier exists.
 * (2) Equal tuning: every arm is trained at both rates of one grid from the same warm start with the same
 * problem and sampler streams; each arm's rate is selected by its VALIDATION mean over k of pass@k (neutral
 * between the pass@1 and the large-k ends the claims compare; greedy accuracy would favour sharpening), and the
 * claims read TEST pass@k at the selected rate. (3) The bed: 3-digit problems after a short SFT on 1–3 digits,
 * so the start's per-problem success is low but nonzero and pass@k still rises up to k = 64 (module doc of
 * reproductions/nsr/lm.ts).
 */
import { type Preregistration } from "../../mod.ts";

const RULE =
  "per-seed paired difference of held-out TEST pass@k (exact: 1 − (1 − p)^k from the teacher-forced probability p " +
  "of each problem's one answer, 256 test problems), each arm at the rate of the grid (extended once by a factor " +
  "of 3 at an edge) with the best validation mean over k of pass@k; mean over seeds (claimAggregate) with a 95% " +
  "stratified-bootstrap CI";

const PER_K =
  "one non-inferiority test per k ∈ {1, 2, 4, …, 256} with margin 0.01, Holm over k; reproduced iff every k's " +
  "Holm-adjusted p ≤ 0.05, not reproduced iff some k's Holm-adjusted opposite p ≤ 0.05, else inconclusive; Holm " +
  "over the reproduction's LM-tier claims";

const EDGE = (arm: string) =>
  `share of seeds on which the ${arm} arm's selected rate is at an edge of the extended grid (not tuned)`;

/** The committed plan. */
export const NSR_LM_PREREGISTRATION: Preregistration = {
  tier: "lm",
  registered: "2026-11-29",
  pilots: "four one-seed pilots on a scratch stream (new Rng(999000111).split(0 | 1), not the registered " +
    "baseSeed), each 30 RL steps of 8 × 8 with 16 validation / 32 test problems and n = 64: (a) 3 digits, SFT " +
    "150, rates 3e-4 / 1e-3: start test pass@1 0.001, pass@64 0.063 (almost never solved: no signal); (b) 2 " +
    "digits, SFT 300, rates 3e-4 / 1e-3: start 0.026 / 0.625; (c) 3 digits, SFT 400, rates 3e-4 / 1e-3: start " +
    "0.123 / 0.969, at 1e-3 NSR and W-REINFORCE collapsed (test pass@64 0.031 and 0.000), at 3e-4 PSR 0.178 / " +
    "0.938, NSR 0.120 / 0.969; (d) seed 1, 3 digits, rates 1e-4 / 3e-4: SFT 300 start 0.011 / 0.313 (PSR " +
    "raised pass@64 to 0.63–0.66, NSR to 0.41), SFT 400 start 0.114 / 0.969 (at 3e-4 PSR 0.153 / 0.969, NSR " +
    "0.091 / 0.969); (e) seeds 0 and 1, 3 digits, SFT 350, rates 1e-4 / 3e-4: start test pass@1 0.090 / 0.059, " +
    "pass@64 0.906 / 0.844; test pass@64 at 1e-4 / 3e-4: PSR 0.844 / 0.969 and 0.875 / 0.938, NSR 0.906 / 0.656 " +
    "and 0.750 / 0.594, W-REINFORCE 0.813 / 0.656 and 0.781 / 0.625. They set the grid (1e-3 collapses), the " +
    "3-digit bed and SFT 350 (between a start that rarely solves the problems and one at the pass@64 ceiling); " +
    "11–15 core-seconds per seed. No registered seed was run before registration.",
  claims: [
    {
      id: "nsr.lm.1",
      preconditions: ["nsr.lm.pre1", "nsr.lm.pre2", "nsr.lm.pre4"],
      claim: "PSR raises held-out pass@1 over the starting policy",
      rule: `pass@1(PSR) − pass@1(base); ${RULE}; reproduced iff CI > 0, not reproduced iff CI < 0, else ` +
        "inconclusive; Holm over the reproduction's LM-tier claims",
    },
    {
      id: "nsr.lm.2",
      preconditions: ["nsr.lm.pre1", "nsr.lm.pre3", "nsr.lm.pre4"],
      claim: "PSR lowers held-out pass@256 below the starting policy",
      rule:
        `pass@256(PSR) − pass@256(base); ${RULE}; reproduced iff CI < 0, not reproduced iff CI > 0, else ` +
        "inconclusive; Holm",
    },
    {
      id: "nsr.lm.3",
      preconditions: ["nsr.lm.pre1", "nsr.lm.pre5"],
      claim: "NSR keeps pass@k at every k = 1…256 (non-inferior to the starting policy, margin 0.01)",
      rule: `pass@k(NSR) − pass@k(base); ${RULE}; ${PER_K}`,
    },
    {
      id: "nsr.lm.4",
      preconditions: ["nsr.lm.pre1", "nsr.lm.pre3", "nsr.lm.pre4", "nsr.lm.pre5"],
      claim: "NSR beats PSR at held-out pass@256",
      rule:
        `pass@256(NSR) − pass@256(PSR); ${RULE}; reproduced iff CI > 0, not reproduced iff CI < 0, else ` +
        "inconclusive; Holm",
    },
    {
      id: "nsr.lm.5",
      preconditions: ["nsr.lm.pre1", "nsr.lm.pre6"],
      claim:
        "W-REINFORCE (λ = 0.1) keeps pass@k at every k = 1…256 (non-inferior to the starting policy, margin 0.01)",
      rule: `pass@k(W-REINFORCE) − pass@k(base); ${RULE}; ${PER_K}`,
    },
  ],
  // Thresholds fixed from the mechanism before any run measured them. pre1/pre2: with G = 8 rollouts a group
  // sees a correct answer with probability 1 − (1 − p)^8; at pass@1 < 0.02 most groups are all-wrong (PSR has
  // almost no positive samples to sharpen on), above 0.5 most problems are no longer rarely solved, which is the
  // regime where sharpening can cost large-k coverage. pre3: PSR can only lower pass@256 and NSR can only beat
  // it there if the start leaves room below the ceiling; at ≥ 0.95 nearly every problem has p ≳ 0.01 and any
  // difference is a tie. pre4–pre6: an arm whose selected rate sits at an edge of the grid after the extension
  // is not tuned; a selection between two near-optimal rates lands on an edge by noise now and then, more than
  // one seed in five means the grid does not bracket the arm's optimum. Not measurable here: the paper's
  // explanation that NSR keeps a shared-strategy structure (one network's mass moving across prompts) has no
  // measured quantity in this bed, so no precondition states it.
  preconditions: [
    {
      id: "nsr.lm.pre1",
      quantity: "the starting policy's exact held-out test pass@1, mean over seeds (probability)",
      rule: "≥ 0.02",
    },
    {
      id: "nsr.lm.pre2",
      quantity: "the starting policy's exact held-out test pass@1, mean over seeds (probability)",
      rule: "≤ 0.5",
    },
    {
      id: "nsr.lm.pre3",
      quantity: "the starting policy's exact held-out test pass@256, mean over seeds (probability)",
      rule: "≤ 0.95",
    },
    { id: "nsr.lm.pre4", quantity: EDGE("psr"), rule: "≤ 0.2" },
    { id: "nsr.lm.pre5", quantity: EDGE("nsr"), rule: "≤ 0.2" },
    { id: "nsr.lm.pre6", quantity: EDGE("w-reinforce"), rule: "≤ 0.2" },
  ],
  presets: {
    // A frozen literal copy of the quick preset's LM config (NSR_LM_QUICK in lm.ts): a drifting preset fails
    // the "preset equals plan" test instead of silently re-registering.
    quick: {
      seeds: 10,
      baseSeed: 250601347,
      lm: {
        dModel: 32,
        nLayers: 1,
        nHeads: 2,
        sftSteps: 350,
        sftBatchSize: 32,
        sftLr: 3e-3,
        digits: 3,
        validationProblems: 64,
        testProblems: 256,
        steps: 30,
        batchSize: 8,
        groupSize: 8,
        learningRates: [1e-4, 3e-4],
        lambda: 0.1,
        ks: [1, 2, 4, 8, 16, 32, 64, 128, 256, 1024],
        claimMaxK: 256,
        margin: 0.01,
        evalBatch: 1024,
        gridExtension: { factor: 3, maxExtensions: 1 },
      },
    },
  },
  amendments: [
    {
      date: "2026-12-07",
      change:
        "metric, grid and preconditions: held-out pass@k is exact (the teacher-forced probability of each " +
        "problem's one answer, 1 − (1 − p)^k) instead of the unbiased estimator from n = 64 samples; 64 " +
        "validation and 256 test problems (were 16 and 32; exact evaluation is cheap); k up to 256 (the paper's " +
        "k) with 1024 reported; nsr.lm.2 and nsr.lm.4 read pass@256 (were pass@64) and nsr.lm.3 and nsr.lm.5 " +
        "test every k ≤ 256; the rate grid gains the pre-registered edge rule (when an arm selects the smallest " +
        "or largest rate every arm is trained at rate / 3 or rate · 3, once); six preconditions measured at the " +
        "start (pass@1 band, pass@256 headroom) and after selection (each arm tuned), thresholds reasoned in the " +
        "plan before any value was seen; registered values evalSamples and evalChunk dropped, claimMaxK, " +
        "evalBatch and gridExtension added (the frozen quick config records them)",
      reason:
        "sampled pass@k at 32 problems and n = 64 carried sampling noise of the size of the effects, and a " +
        "minimum over k of such differences is biased downward; the arm picked the lowest rate of its grid on " +
        "10 of 10 seeds, so the claims compared policies whose rate was not tuned. 'before' lists the published " +
        "quick run's verdicts; 'after' is filled by the rerun of the amended plan.",
      before: {
        "nsr.lm.1": "reproduced",
        "nsr.lm.2": "not reproduced",
        "nsr.lm.3": "not reproduced",
        "nsr.lm.4": "not reproduced",
        "nsr.lm.5": "inconclusive",
      },
      after: {},
    },
    {
      date: "2026-12-07",
      change:
        "nsr.lm.3 and nsr.lm.5 (keeps pass@k across k): one non-inferiority test per k with Holm over k (reproduced iff every k survives, not reproduced iff some k's opposite test survives) instead of the per-seed minimum over k of the pass@k differences",
      reason:
        "a minimum over k of noisy sampled differences is biased downward: two identical policies fail a −0.01 margin on it in simulation",
      before: {
        "nsr.lm.3": "not reproduced",
        "nsr.lm.5": "inconclusive",
      },
      after: {},
    },
    {
      date: "2026-11-29",
      change:
        "claim aggregate over seeds: IQM → mean (the harness's `claimAggregate`, merged from main after the " +
        "first registered quick run: the mean over runs below 20 runs, the IQM from 20); rules otherwise " +
        "unchanged; the same 10 seeds' rows re-read, nothing rerun",
      reason:
        "one aggregate for every reproduction's claims (an IQM of 10 runs trims too few to be robust and " +
        "too many to be efficient); not motivated by these results",
      before: {
        "nsr.lm.1": "reproduced",
        "nsr.lm.2": "not reproduced",
        "nsr.lm.3": "inconclusive",
        "nsr.lm.4": "inconclusive",
        "nsr.lm.5": "inconclusive",
      },
      after: {
        "nsr.lm.1": "reproduced",
        "nsr.lm.2": "not reproduced",
        "nsr.lm.3": "inconclusive",
        "nsr.lm.4": "not reproduced",
        "nsr.lm.5": "not reproduced",
      },
    },
  ],
};
