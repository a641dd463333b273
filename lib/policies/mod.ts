/**
 * Policies: the exact tabular SoftmaxPolicy for SimChain, the TinyTransformer causal LM, the FeatureChain
 * LinearSoftmaxPolicy and the shared-weight SatAssignmentPolicy for SATURN's SAT task.
 */
export * from "./softmax.ts";
export * from "./transformer.ts";
export * from "./linear_softmax.ts";
export * from "./sat_assignment.ts";
