import { add, concat } from '../ops/index.js';
import { ArgumentError, type Tensor } from '../tensor/index.js';
import type { Cell, CellState } from '../cells/cell.js';
import { scan, type ScanResult } from './scan.js';

/** Combines the forward and backward outputs [B, T, O] of a bidirectional RNN into one. */
export type MergeFunction = (forward: Tensor, backward: Tensor) => Tensor;

/** Concatenates features: [B, T, Of + Ob] (the default, as PyTorch and Keras' 'concat'). */
export const concatMerge: MergeFunction = (f, b) => concat([f, b], -1);

/** Adds the two directions element-wise (Keras' 'sum'); both must have one output size. */
export const sumMerge: MergeFunction = (f, b) => add(f, b);

/** Options of {@link bidirectional}. */
export interface BidirectionalOptions<SF extends CellState, SB extends CellState> {
  readonly lengths?: readonly number[];
  readonly initialForward?: SF;
  readonly initialBackward?: SB;
  /** How to combine the two directions (default {@link concatMerge}); any function works. */
  readonly merge?: MergeFunction;
}

/** What {@link bidirectional} returns. */
export interface BidirectionalResult<SF extends CellState, SB extends CellState> {
  /** merge(forward outputs, backward outputs), aligned with the inputs. */
  readonly outputs: Tensor;
  readonly forward: ScanResult<SF>;
  readonly backward: ScanResult<SB>;
}

/**
 * A bidirectional RNN (section 10.3): one cell reads the sequence forwards, giving
 * h(t) from the past, another reads it backwards, giving g(t) from the future, and the
 * output at t sees both: o(t) = merge(h(t), g(t)). With lengths, the backward cell starts
 * at each example's own last valid step.
 *
 * @example
 * ```ts
 * const { outputs } = bidirectional(fwCell, bwCell, xs, { merge: sumMerge });
 * ```
 */
export function bidirectional<SF extends CellState, SB extends CellState>(
  forwardCell: Cell<SF>, backwardCell: Cell<SB>, xs: Tensor, options: BidirectionalOptions<SF, SB> = {},
): BidirectionalResult<SF, SB> {
  if (forwardCell.inputSize !== backwardCell.inputSize) {
    throw new ArgumentError('bidirectional', `the two cells read different input sizes (${forwardCell.inputSize} vs ${backwardCell.inputSize})`);
  }
  const common = options.lengths === undefined ? {} : { lengths: options.lengths };
  const forward = scan(forwardCell, xs, { ...common, ...(options.initialForward === undefined ? {} : { initialState: options.initialForward }) });
  const backward = scan(backwardCell, xs, { ...common, reverse: true, ...(options.initialBackward === undefined ? {} : { initialState: options.initialBackward }) });
  const merge = options.merge ?? concatMerge;
  return { outputs: merge(forward.outputs, backward.outputs), forward, backward };
}
