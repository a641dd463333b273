/** Estimators: advantages (GRPO family, RLOO, REINFORCE++, Lite PPO, GAE, KAE), KL k1/k2/k3, sampled and exact pass@k, calibration. */
export * from "./advantages.ts";
export * from "./kae.ts";
export * from "./kl.ts";
export * from "./pass_at_k.ts";
export * from "./exact_pass_at_k.ts";
export * from "./calibration.ts";
