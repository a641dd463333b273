/**
 * Policies: the tabular softmax policy over a task's finite state space, the TinyTransformer causal LM, the
 * FeatureChain LinearSoftmaxPolicy and the shared-weight SatAssignmentPolicy for SATURN's SAT task.
 */
export * from "./tabular.ts";
export * from "./transformer.ts";
export * from "./linear_softmax.ts";
export * from "./sat_assignment.ts";
