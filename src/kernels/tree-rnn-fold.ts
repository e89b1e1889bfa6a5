import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { allocateLike, checkLength, columnSums } from './rnn-sequence-common.js';
import {
  checkFoldSchedule, foldLevelsBackward, foldLevelsForward, type FoldLevelKernel, type FoldOfLevelsArgs, type FoldOfLevelsGrads, type FoldPart,
} from './tree-fold-levels.js';
import type { TreeLstmGrads, TreeLstmLevelArgs, TreeLstmWanted } from './tree-lstm-gates.js';

// A whole fold of the classic recursive network (tree/recursive-cell.ts's RecursiveCell,
//     h = tanh(W_ih x + b_ih + b_hh + W_hh [h_1; ...; h_N])
// ) over a batch of trees as ONE kernel call each way: one level's step on raw arrays, run part
// by part (kernels/tree-fold-levels.ts). The forward does the cell's composed step's arithmetic
// in its order, so in float64 it gives the same bits: [x, 1] [W_ih, b_ih + b_hh]^T as one gemm
// (the cell's `affine`), the children's product W_hh [h_1; ...; h_N] as a second, their sum,
// then Math.tanh (the tanh op's). What it saves is the graph around them: per level the
// gathers of the children's h and the zero row they pad with, the bias column and the
// concats of the affine, the join of internal rows and leaves, every backward of those, and
// each level's weight gradients summed by the autograd.

/** A whole fold: x [nodes, I] in plan order, the weights in RecursiveCell's layout (weightIh [H, I], weightHh [H, N H], biases [H]), the schedule. */
export interface TreeRnnFoldArgs extends FoldOfLevelsArgs {
  readonly arity: number;
}

/**
 * One level call: TreeLstmLevelArgs with childH [n, N, H] (childC always null), the arity, and
 * (with biases) [W_ih, b_ih + b_hh] [H, I + 1], built once per fold.
 */
interface TreeRnnLevelArgs extends TreeLstmLevelArgs {
  readonly arity: number;
  readonly weightsWithBias: TypedArray | null;
}

/** What the forward keeps: each part's call and its h [n, H]. */
export interface TreeRnnFoldTape {
  readonly parts: FoldPart<TreeRnnLevelArgs, { readonly h: TypedArray }>[];
}

/**
 * Checks the arrays against the sizes and the schedule against the nodes (see checkFoldSchedule).
 *
 * @example
 * ```ts
 * checkTreeRnnFoldArgs('treeRnnFold', args); // throws ArgumentError naming what is wrong
 * ```
 */
export function checkTreeRnnFoldArgs(kernel: string, a: TreeRnnFoldArgs): void {
  const { nodes, inputSize: I, hiddenSize: H, arity: N } = a;
  if (!Number.isInteger(H) || H < 1) throw new ArgumentError(kernel, `hiddenSize must be a positive integer, got ${H}`);
  if (!Number.isInteger(N) || N < 1) throw new ArgumentError(kernel, `arity must be a positive integer, got ${N}`);
  checkLength(kernel, 'x', a.x, nodes * I);
  checkLength(kernel, 'weightIh', a.weightIh, H * I);
  checkLength(kernel, 'weightHh', a.weightHh, H * N * H);
  if ((a.biasIh === null) !== (a.biasHh === null)) throw new ArgumentError(kernel, 'biasIh and biasHh must both be given or both be null');
  if (a.biasIh !== null) checkLength(kernel, 'biasIh', a.biasIh, H);
  if (a.biasHh !== null) checkLength(kernel, 'biasHh', a.biasHh, H);
  checkFoldSchedule(kernel, a.levels, nodes, () => N);
}

/**
 * An empty tape for a fold.
 *
 * @example
 * ```ts
 * const tape = treeRnnFoldTape();
 * treeRnnFoldForward(args, tape, out);
 * ```
 */
export function treeRnnFoldTape(): TreeRnnFoldTape {
  return { parts: [] };
}

/** One level's step, as the cell composes it: z = [x, 1] [W_ih, b]^T (+ [h_1..h_N] W_hh^T), h = tanh(z). */
function levelForward(a: TreeRnnLevelArgs, tape: { readonly h: TypedArray }, out: TypedArray): void {
  const { nodes: n, inputSize: I, hiddenSize: H, arity: N, x } = a;
  const z = tape.h;
  const w1 = a.weightsWithBias;
  if (w1 === null) {
    gemm(false, true, n, H, I, 1, x, 0, I, a.weightIh, 0, I, 0, z, 0, H);
  } else {
    // [x, 1] against [W_ih, b_ih + b_hh]: the bias is the last term of each dot product.
    const x1 = allocateLike(x, n * (I + 1));
    for (let r = 0; r < n; r++) {
      x1.set(x.subarray(r * I, (r + 1) * I), r * (I + 1));
      x1[r * (I + 1) + I] = 1;
    }
    gemm(false, true, n, H, I + 1, 1, x1, 0, I + 1, w1, 0, I + 1, 0, z, 0, H);
  }
  if (a.childH !== null) {
    const m = allocateLike(x, n * H);
    gemm(false, true, n, H, N * H, 1, a.childH, 0, N * H, a.weightHh, 0, N * H, 0, m, 0, H);
    for (let i = 0; i < n * H; i++) z[i] = (z[i] as number) + (m[i] as number);
  }
  for (let i = 0; i < n * H; i++) z[i] = Math.tanh(z[i] as number);
  out.set(z.subarray(0, n * H));
}

/**
 * One level's backward from dh [n, H]:
 *
 *     dz = dh (1 - h^2),   dx = dz W_ih,   dW_ih = dz^T x,   db_ih = db_hh = sum_rows dz
 *     dW_hh = dz^T [h_1..h_N],   d[h_1..h_N] = dz W_hh
 */
function levelBackward(a: TreeRnnLevelArgs, tape: { readonly h: TypedArray }, dy: TypedArray, want: TreeLstmWanted): TreeLstmGrads {
  const { nodes: n, inputSize: I, hiddenSize: H, arity: N, x } = a;
  const h = tape.h;
  const dz = allocateLike(x, n * H);
  for (let i = 0; i < n * H; i++) {
    const v = h[i] as number;
    dz[i] = (dy[i] as number) * (1 - v * v);
  }
  let dx: TypedArray | null = null;
  if (want.x) {
    dx = allocateLike(x, n * I);
    gemm(false, false, n, I, H, 1, dz, 0, H, a.weightIh, 0, I, 0, dx, 0, I);
  }
  let dWih: TypedArray | null = null, dWhh: TypedArray | null = null, dbIh: TypedArray | null = null, dbHh: TypedArray | null = null;
  if (want.weights) {
    dWih = allocateLike(x, H * I);
    gemm(true, false, H, I, n, 1, dz, 0, H, x, 0, I, 0, dWih, 0, I);
    if (a.childH !== null) {
      dWhh = allocateLike(x, H * N * H);
      gemm(true, false, H, N * H, n, 1, dz, 0, H, a.childH, 0, N * H, 0, dWhh, 0, N * H);
    }
    if (a.biasIh !== null && a.biasHh !== null) {
      dbIh = allocateLike(x, H);
      columnSums(dz, 0, H, n, H, dbIh);
      dbHh = dbIh.slice();
    }
  }
  let dChildH: TypedArray | null = null;
  if (a.childH !== null && want.children) {
    dChildH = allocateLike(x, n * N * H);
    gemm(false, false, n, N * H, H, 1, dz, 0, H, a.weightHh, 0, N * H, 0, dChildH, 0, N * H);
  }
  return { x: dx, weightIh: dWih, weightHh: dWhh, biasIh: dbIh, biasHh: dbHh, childH: dChildH, childC: null };
}

/** [W_ih, b_ih + b_hh] [H, I + 1] (the cell's `affine` operand), or null without biases. */
function weightsWithBias(a: TreeRnnFoldArgs): TypedArray | null {
  if (a.biasIh === null || a.biasHh === null) return null;
  const { inputSize: I, hiddenSize: H } = a;
  const w1 = allocateLike(a.x, H * (I + 1));
  // The summed bias rounded to the dtype first, as add(biasIh, biasHh) gives it.
  const bias = allocateLike(a.x, H);
  for (let j = 0; j < H; j++) bias[j] = (a.biasIh[j] as number) + (a.biasHh[j] as number);
  for (let j = 0; j < H; j++) {
    w1.set(a.weightIh.subarray(j * I, (j + 1) * I), j * (I + 1));
    w1[j * (I + 1) + I] = bias[j] as number;
  }
  return w1;
}

/** The recursive level step as a fold of levels runs it: one state field, N slots. */
function treeRnnLevelKernel(a: TreeRnnFoldArgs): FoldLevelKernel<TreeRnnLevelArgs, { readonly h: TypedArray }> {
  const { inputSize: I, hiddenSize: H, arity: N } = a;
  // Built on the first part's call (the forward's), shared by every part of the fold.
  let w1: TypedArray | null | undefined;
  return {
    fields: 1,
    slots: () => N,
    args: (base) => ({ ...base, arity: N, weightsWithBias: w1 === undefined ? (w1 = weightsWithBias(a)) : w1 }),
    tape: (args) => ({ h: allocateLike(args.x, args.nodes * H) }),
    forward: levelForward,
    backward: levelBackward,
    gradientSizes: [H * I, H * N * H, H, H],
  };
}

/**
 * Forward pass of a whole fold, writing every node's h in plan order into out [nodes, H]:
 * level by level from 0, each level's internal rows from their children's h (rows of the level
 * below; absent slots zero) and its leaves by the step with no children,
 *
 *     h = tanh(W_ih x + b_ih + b_hh + W_hh [h_1; ...; h_N]),   leaves: h = tanh(W_ih x + b_ih + b_hh)
 *
 * @example
 * ```ts
 * const tape = treeRnnFoldTape();
 * treeRnnFoldForward(args, tape, out); // out [nodes, H]
 * ```
 */
export function treeRnnFoldForward(a: TreeRnnFoldArgs, tape: TreeRnnFoldTape, out: TypedArray): void {
  foldLevelsForward(treeRnnLevelKernel(a), a, tape.parts, out);
}

/**
 * Backward pass of a whole fold from dy [nodes, H] (dL/dh of every node): from the top level
 * down, each part's rows get their full gradient (their own plus what their parents scattered
 * back), go through one level's backward and scatter dL/dh_k into their children's rows; the
 * weight gradients are one sum over the parts.
 *
 * @example
 * ```ts
 * const g = treeRnnFoldBackward(args, tape, dy, { x: true, weights: true });
 * ```
 */
export function treeRnnFoldBackward(a: TreeRnnFoldArgs, tape: TreeRnnFoldTape, dy: TypedArray, want: { readonly x: boolean; readonly weights: boolean }): FoldOfLevelsGrads {
  return foldLevelsBackward(treeRnnLevelKernel(a), a, tape.parts, dy, want);
}
