/**
 * The registry of paper reproductions: `REPRODUCTIONS`, the plain list that `deno task reproduce`, the sweeps
 * and the notebooks use (report order = notebook order), the lookup by name, and the resolver that job workers
 * use (its worker module is scripts/worker.ts). To add a reproduction: write reproductions/<name>/ (config.ts,
 * mod.ts exporting a `Reproduction`, claims.ts, charts.ts) and append it here.
 */
import { fileURLToPath } from "node:url";
import { type BaseConfig, ConfigError, type Reproduction, type ReproductionResolver } from "../mod.ts";
import { filtering } from "./filtering/mod.ts";
import { seele } from "./seele/mod.ts";
import { rlcr } from "./rlcr/mod.ts";
import { grpoAblation } from "./grpo_ablation/mod.ts";
import { nsr } from "./nsr/mod.ts";
import { kae } from "./kae/mod.ts";
import { saturn } from "./saturn/mod.ts";
import { rover } from "./rover/mod.ts";

/** Every registered reproduction, in report order (append new ones here). */
export const REPRODUCTIONS: readonly Reproduction<BaseConfig>[] = [
  filtering,
  seele,
  rlcr,
  grpoAblation,
  nsr,
  kae,
  saturn,
  rover,
];

/** The registered reproduction called `name`; unknown names throw a ConfigError listing the valid ones. */
export function getReproduction(name: string): Reproduction<BaseConfig> {
  const rep = REPRODUCTIONS.find((r) => r.name === name);
  if (!rep) {
    const valid = REPRODUCTIONS.map((r) => JSON.stringify(r.name)).join(", ") || "(none registered)";
    throw new ConfigError("reproduction", `must be one of ${valid}`, name);
  }
  return rep;
}

/** How job workers find the registered reproductions: `getReproduction`, served by scripts/worker.ts. */
export const REGISTRY: ReproductionResolver = {
  resolve: getReproduction,
  worker: fileURLToPath(new URL("../scripts/worker.ts", import.meta.url)),
};
