/** Core: seeds, validation, tfjs entry point and backend selection. */
export * from "./rng.ts";
export * from "./validate.ts";
export * from "./backend.ts";
export * from "./blas.ts";
export type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D, Variable } from "./tf.ts";
export type * from "../tasks/types.ts";
export type * from "../curricula/types.ts";
