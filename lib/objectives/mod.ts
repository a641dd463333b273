/** Policy-gradient objectives (PPO-clip, GRPO/DAPO/Dr.GRPO aggregation, k3 KL, PSR/NSR weights) and imitation loss. */
export * from "./policy_gradient.ts";
export * from "./imitation.ts";
