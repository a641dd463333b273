/**
 * Sweetspot — composable reinforcement-learning building blocks for RL with verifiable rewards.
 * The public API: import from this module (`import * as ss from "./mod.ts"`).
 */
export * from "./lib/core/mod.ts";
export * from "./lib/estimators/mod.ts";
export * from "./lib/stats/mod.ts";
export * from "./lib/policies/mod.ts";
export * from "./lib/viz/mod.ts";
export * from "./lib/log/mod.ts";
export * from "./lib/curricula/mod.ts";
export * from "./lib/rewards/mod.ts";
export * from "./lib/tasks/mod.ts";
export * from "./lib/objectives/mod.ts";
export * from "./lib/train/mod.ts";
export * from "./lib/jobs/mod.ts";
export * from "./lib/experiment/mod.ts";
