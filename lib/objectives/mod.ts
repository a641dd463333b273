/** Objectives: policy gradient (PPO-clip, GRPO/DAPO/Dr.GRPO aggregation, k3 KL, PSR/NSR weights), imitation, ROVER (relative-Q regression, arXiv 2509.24981). */
export * from "./policy_gradient.ts";
export * from "./imitation.ts";
export * from "./rover.ts";
