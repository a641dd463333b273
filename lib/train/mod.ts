/** Training: the composable RLVRTrainer loop, its config, Adam, rollouts/evaluation, SFT warm start, transformer warm-start setup. */
export * from "./config.ts";
export * from "./adam.ts";
export * from "./advantages.ts";
export * from "./rollouts.ts";
export * from "./uniform.ts";
export * from "./sft.ts";
export * from "./trainer.ts";
export * from "./warm_start.ts";
