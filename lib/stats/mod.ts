/** Statistics for reporting (rliable, arXiv 2108.13264): IQM, optimality gap, profiles, P(improvement), bootstrap CIs and tests, the one aggregate interval (`aggregateInterval`), Holm adjustment. */
export * from "./aggregate.ts";
export * from "./bootstrap.ts";
export * from "./correlation.ts";
export * from "./multiplicity.ts";
export * from "./interval.ts";
