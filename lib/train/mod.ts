/** Training: the composable RLVRTrainer loop, its config, Adam, rollouts/evaluation, SFT and transformer warm start, gradient norms, fair arm comparisons, verl/TRL conventions. */
export * from "./config.ts";
export * from "./adam.ts";
export * from "./sgd.ts";
export * from "./advantages.ts";
export * from "./rollouts.ts";
export * from "./uniform.ts";
export * from "./sft.ts";
export * from "./trainer.ts";
export * from "./warm_start.ts";
export * from "./gradient_norm.ts";
export * from "./arms.ts";
export * from "./conventions.ts";
