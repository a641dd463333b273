/** Policies: the exact tabular SoftmaxPolicy for SimChain and the TinyTransformer causal LM policy. */
export * from "./softmax.ts";
export * from "./transformer.ts";
