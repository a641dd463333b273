/** Visualization: vega-lite v5 chart builders, headless SVG rendering, Jupyter display (interactive vega-embed views, live updates), progress, per-prompt charts. */
export * from "./render.ts";
export * from "./jupyter.ts";
export * from "./embed.ts";
export * from "./chart.ts";
export * from "./charts.ts";
export * from "./progress.ts";
export * from "./prompts.ts";
export * from "./live.ts";
export * from "./seed_charts.ts";
export * from "./palette.ts";
export * from "./forest.ts";
