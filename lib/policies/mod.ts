/** Policies: the exact tabular SoftmaxPolicy for SimChain, the TinyTransformer causal LM, the FeatureChain LinearSoftmaxPolicy. */
export * from "./softmax.ts";
export * from "./transformer.ts";
export * from "./linear_softmax.ts";
