/** Training: the composable RLVRTrainer loop, its config, Adam, rollouts/evaluation, SFT warm start. */
export * from "./config.ts";
export * from "./adam.ts";
export * from "./sgd.ts";
export * from "./advantages.ts";
export * from "./rollouts.ts";
export * from "./uniform.ts";
export * from "./sft.ts";
export * from "./trainer.ts";
export * from "./conventions.ts";
