/**
 * Finite state spaces of token tasks: when the state reached after a prompt and a response prefix comes from a
 * finite set (SimChain: (problem, step); a tree MDP: the node), a policy can be a table of logits, one row per
 * state and one slot per action token (`TabularSoftmaxPolicy` in lib/policies). The task says which row and
 * which action tokens a position of a token sequence belongs to.
 */

/** A policy decision: the state's row and the action tokens of its slots (slot k ↔ token actions[k]). */
export interface TabularDecision {
  /** Row index in [0, numStates). */
  state: number;
  /** Token of each action slot (length = the state's number of actions). */
  actions: readonly number[];
}

/** Finite state space of a task (see module doc). */
export interface TabularStates {
  /** Number of states (table rows). */
  readonly numStates: number;
  /** Table width: the largest number of actions of any state. */
  readonly maxActions: number;
  /** Actions of row `state` (slots ≥ this are unused). */
  actionCount(state: number): number;
  /**
   * The decision that emits token `t` of `sequence` (prompt + response, no padding; 1 ≤ t ≤ sequence.length,
   * t = length asks for the next token), or null when that token is no policy choice (prompt tokens, a forced eos).
   */
  decision(sequence: readonly number[], t: number): TabularDecision | null;
}
