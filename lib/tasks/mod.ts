/** Verifiable task families (addition, SAT), their vocabularies and held-out datasets. */
export * from "./vocab.ts";
export * from "./addition.ts";
export * from "./sat.ts";
export * from "./dataset.ts";
export * from "./chain.ts";
export * from "./feature_chain.ts";
export * from "./confidence.ts";
