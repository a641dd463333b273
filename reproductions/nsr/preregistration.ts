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
  "per-seed paired difference of held-out TEST pass@k (unbiased estimator, n = 64 samples per problem, the same " +
  "sampler seeds for every policy), each arm at the rate of the grid with the best validation mean over k of " +
  "pass@k; IQM over seeds with a 95% stratified-bootstrap CI";

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
      claim: "PSR raises held-out pass@1 over the starting policy",
      rule: `pass@1(PSR) − pass@1(base); ${RULE}; reproduced iff CI > 0, not reproduced iff CI < 0, else ` +
        "inconclusive; Holm over the reproduction's LM-tier claims",
    },
    {
      id: "nsr.lm.2",
      claim: "PSR lowers held-out pass@64 below the starting policy",
      rule: `pass@64(PSR) − pass@64(base); ${RULE}; reproduced iff CI < 0, not reproduced iff CI > 0, else ` +
        "inconclusive; Holm",
    },
    {
      id: "nsr.lm.3",
      claim: "NSR keeps pass@k across k = 1…64 (non-inferior to the starting policy, margin 0.01)",
      rule:
        `min over k ∈ {1, 2, 4, …, 64} of pass@k(NSR) − pass@k(base) per seed; ${RULE}; reproduced iff CI > ` +
        "−0.01, not reproduced iff CI < −0.01, else inconclusive; Holm",
    },
    {
      id: "nsr.lm.4",
      claim: "NSR beats PSR at held-out pass@64",
      rule: `pass@64(NSR) − pass@64(PSR); ${RULE}; reproduced iff CI > 0, not reproduced iff CI < 0, else ` +
        "inconclusive; Holm",
    },
    {
      id: "nsr.lm.5",
      claim:
        "W-REINFORCE (λ = 0.1) keeps pass@k across k = 1…64 (non-inferior to the starting policy, margin 0.01)",
      rule:
        `min over k ∈ {1, 2, 4, …, 64} of pass@k(W-REINFORCE) − pass@k(base) per seed; ${RULE}; reproduced ` +
        "iff CI > −0.01, not reproduced iff CI < −0.01, else inconclusive; Holm",
    },
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
        validationProblems: 16,
        testProblems: 32,
        steps: 30,
        batchSize: 8,
        groupSize: 8,
        learningRates: [1e-4, 3e-4],
        lambda: 0.1,
        evalSamples: 64,
        ks: [1, 2, 4, 8, 16, 32, 64],
        margin: 0.01,
        evalChunk: 4096,
      },
    },
  },
  amendments: [
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
