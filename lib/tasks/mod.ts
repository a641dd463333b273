/** Verifiable task families (addition, free-length addition, scratchpad addition, confidence addition, SAT, SimChain, digit permutation, divisor naming), their vocabularies and held-out datasets. */
export * from "./vocab.ts";
export * from "./addition.ts";
export * from "./sat.ts";
export * from "./dataset.ts";
export * from "./chain.ts";
export * from "./tabular.ts";
export * from "./tree_mdp.ts";
export * from "./feature_chain.ts";
export * from "./confidence.ts";
export * from "./free_length_addition.ts";
export * from "./permutation.ts";
export * from "./scratchpad_addition.ts";
export * from "./divisor.ts";
