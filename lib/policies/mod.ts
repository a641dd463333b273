/**
 * Policies: the exact tabular SoftmaxPolicy for SimChain, the TinyTransformer causal LM policy and the
 * shared-weight SatAssignmentPolicy for SATURN's SAT task.
 */
export * from "./softmax.ts";
export * from "./transformer.ts";
export * from "./sat_assignment.ts";
