/** Run logs: `RunLog` rows ↔ arquero tables, CSV and JSONL. */
export * from "./runlog.ts";
