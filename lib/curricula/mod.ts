/** Curricula (RLVRTrainer hooks): filters, SEELE hint scaffolding, adaptive guidance, SATURN ladder, revisit and epoch schedules; 3PL fit; per-step group statistics. */
export * from "./filter.ts";
export * from "./irt.ts";
export * from "./seele.ts";
export * from "./guidance.ts";
export * from "./ladder.ts";
export * from "./observe.ts";
export * from "./revisit.ts";
export * from "./epochs.ts";
