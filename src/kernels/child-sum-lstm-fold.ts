import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { checkChildSumLstmArgs, childSumLstmBackward, childSumLstmForward, childSumLstmTape, type ChildSumLstmArgs, type ChildSumLstmTape } from './child-sum-lstm.js';
import { checkLength } from './rnn-sequence-common.js';
import {
  checkFoldSchedule, foldLevelsBackward, foldLevelsForward, type FoldLevelKernel, type FoldOfLevelsArgs, type FoldOfLevelsGrads, type FoldPart,
  type SlottedFoldLevelSchedule,
} from './tree-fold-levels.js';

// A whole fold of a Child-Sum Tree-LSTM over a batch of trees as ONE kernel call each way:
// kernels/child-sum-lstm.ts's level kernel run part by part (kernels/tree-fold-levels.ts), the
// children's states gathered and their gradients scattered on raw arrays, the weight
// gradient summed over the parts. Its level kernel's products and gates run on wasm for
// float32; what the fold saves is the graph around them: per level, the gathers of the
// children's h and c (and the zero row they pad with), the joins of the internal rows' and
// the leaves' states, the slices of each part's packed output, all their backward passes,
// and each level's weight gradients allocated and summed by the autograd.

/** A whole fold: x [nodes, I] in plan order, the weights in ChildSumTreeLSTMCell's layout, and the schedule with each level's child slots. */
export interface ChildSumLstmFoldArgs extends FoldOfLevelsArgs {
  readonly levels: readonly SlottedFoldLevelSchedule[];
}

/** What the forward keeps: each part's call and tape. */
export interface ChildSumLstmFoldTape {
  readonly parts: FoldPart<ChildSumLstmArgs, ChildSumLstmTape>[];
}

/**
 * Checks the arrays against the sizes and the schedule against the nodes (see
 * checkFoldSchedule: levels tile the rows, child indices in the level below, one parent each).
 *
 * @example
 * ```ts
 * checkChildSumLstmFoldArgs('childSumTreeLstmFold', args); // throws ArgumentError naming what is wrong
 * ```
 */
export function checkChildSumLstmFoldArgs(kernel: string, a: ChildSumLstmFoldArgs): void {
  const { nodes, inputSize: I, hiddenSize: H } = a;
  if (!Number.isInteger(H) || H < 1) throw new ArgumentError(kernel, `hiddenSize must be a positive integer, got ${H}`);
  checkChildSumLstmArgs(kernel, { ...a, x: a.x.subarray(0, 0), nodes: 0, slots: 0, childH: null, childC: null });
  checkLength(kernel, 'x', a.x, nodes * I);
  checkFoldSchedule(kernel, a.levels, nodes, (l) => (a.levels[l] as SlottedFoldLevelSchedule).slots);
}

/**
 * An empty tape for a fold.
 *
 * @example
 * ```ts
 * const tape = childSumLstmFoldTape();
 * childSumLstmFoldForward(args, tape, out);
 * ```
 */
export function childSumLstmFoldTape(): ChildSumLstmFoldTape {
  return { parts: [] };
}

/** The Child-Sum level kernel as a fold of levels runs it: level l's internal rows read its own `slots` children. */
function childSumLevelKernel(a: ChildSumLstmFoldArgs): FoldLevelKernel<ChildSumLstmArgs, ChildSumLstmTape> {
  const { inputSize: I, hiddenSize: H } = a;
  return {
    fields: 2,
    slots: (l) => (a.levels[l] as SlottedFoldLevelSchedule).slots,
    args: (base, slots) => ({ ...base, slots }),
    tape: (args) => childSumLstmTape(args.x, args.nodes, args.slots, H, args.childH !== null),
    forward: childSumLstmForward,
    backward: childSumLstmBackward,
    gradientSizes: [4 * H * I, 4 * H * H, 4 * H, 4 * H],
  };
}

/**
 * Forward pass of a whole fold, writing every node's h, then c, in plan order into
 * out [2, nodes, H]: level by level from 0, each level's internal rows by the Child-Sum step
 * from their children's states (rows of the level below; padding slots zero) and its leaves
 * by the step with no children, exactly as kernels/child-sum-lstm.ts does one level:
 *
 *     h~ = sum_k h_k,   [i, g, o] = sigma, tanh, sigma of (W x + b + U h~)
 *     f_k = sigma(W_f x + b_f + U_f h_k),   c = i g + sum_k f_k c_k,   h = o tanh(c)
 *
 * @example
 * ```ts
 * const tape = childSumLstmFoldTape();
 * childSumLstmFoldForward(args, tape, out); // out [2, nodes, H]
 * ```
 */
export function childSumLstmFoldForward(a: ChildSumLstmFoldArgs, tape: ChildSumLstmFoldTape, out: TypedArray): void {
  foldLevelsForward(childSumLevelKernel(a), a, tape.parts, out);
}

/**
 * Backward pass of a whole fold from dy [2, nodes, H] (dL/dh, then dL/dc, of every node):
 * from the top level down, each part's rows get their full gradient (their own plus what their
 * parents scattered back), go through one level's backward, and scatter dL/dh_k and dL/dc_k
 * into their children's rows; the weight gradients are one sum over the parts.
 *
 * @example
 * ```ts
 * const g = childSumLstmFoldBackward(args, tape, dy, { x: true, weights: true });
 * ```
 */
export function childSumLstmFoldBackward(
  a: ChildSumLstmFoldArgs, tape: ChildSumLstmFoldTape, dy: TypedArray, want: { readonly x: boolean; readonly weights: boolean },
): FoldOfLevelsGrads {
  return foldLevelsBackward(childSumLevelKernel(a), a, tape.parts, dy, want);
}
