/** Rewards: exact match, format, RLCR calibration rewards and the DAPO overlong penalty (pure functions). */
export * from "./match.ts";
export * from "./rlcr.ts";
export * from "./overlong.ts";
