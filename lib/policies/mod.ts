/** Policies: the tabular softmax policy over a task's finite state space and the TinyTransformer causal LM policy. */
export * from "./tabular.ts";
export * from "./transformer.ts";
