import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { useWasmSequence } from './sequence-wasm.js';
import { treeRnnFoldBackwardWasm, treeRnnFoldForwardWasm, type TreeRnnFoldWasmTape } from './tree-rnn-fold-wasm.js';
import { checkTableRows, gatheredFold, projectFold, projectedFoldGradients, tableGradients, type ProjectedFold } from './fold-table-inputs.js';
import { releaseResidentTape, tapeKernels } from './fold-tapes.js';
import { wasmKernels } from './wasm-module.js';
import { Workspace, allocateLike, checkLength, columnSums, combinedBias, tanhInPlace } from './rnn-sequence-common.js';
import { checkFoldSchedule, foldLevelsForward, internalFirstRows, partStateGradient, scatterToChildren, inputGradientFromTable, type FoldLevelKernel, type FoldOfLevelsArgs, type FoldOfLevelsGrads, type FoldPart, type FoldWanted } from './tree-fold-levels.js';
import type { TreeLstmLevelArgs } from './tree-lstm-gates.js';

// A whole fold of the classic recursive network (tree/recursive-cell.ts's RecursiveCell,
//     h = tanh(W_ih x + b_ih + b_hh + W_hh [h_1; ...; h_N])
// ) over a batch of trees as ONE kernel call each way. For float32 on the WebAssembly kernels
// it runs on wasm memory (kernels/tree-rnn-fold-wasm.ts: one threaded kernel job per level,
// the tape kept in wasm memory, the input's and the children's products as one, the kernels'
// SIMD tanh), whose values agree with the composed step's to rounding. Otherwise (float64, or
// no wasm) one level's step runs on raw arrays part by part (kernels/tree-fold-levels.ts),
// doing the cell's composed step's arithmetic in its order, so it gives the same bits:
// [x, 1] [W_ih, b_ih + b_hh]^T as one gemm (the cell's `affine`), the children's product
// W_hh [h_1; ...; h_N] as a second, their sum, then Math.tanh (the tanh op's). What either
// saves is the graph around them: per level the gathers of the children's h and the zero row
// they pad with, the bias column and the concats of the affine, the join of internal rows and
// leaves, every backward of those, and each level's weight gradients summed by the autograd.
// Both backwards defer dx and the weight gradients to one product each over all levels.
// Measured against cf13a14 (scripts/ab-tree-builds.mjs, 2 threads, 128 units): the deferred
// products alone 1.8x at batch 1 and 1.1x at batch 64; the wasm fold 2.3x and 1.8x (0005).

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

/** The backward's fold-wide tables (dz, x, the children's h in table order) and a part's d[h_1..h_N]. */
const ws = new Workspace();

/**
 * What the forward keeps. On the wasm path (float32 with the kernels loaded): its block of wasm
 * memory (x, every h, the child indices) until the backward reads it or
 * {@link treeRnnFoldRelease} frees it; null once released or evicted, when the backward
 * recomputes it. On the JavaScript path: each part's call and its h [n, H].
 */
export interface TreeRnnFoldTape extends TreeRnnFoldWasmTape {
  wasm: boolean;
  readonly parts: FoldPart<TreeRnnLevelArgs, { readonly h: TypedArray }>[];
  /** A table-inputs fold on wasm: the fold of projected inputs it ran, and the projection (else null). */
  projection: ProjectedFold<TreeRnnFoldArgs> | null;
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
  if (a.inputRows === undefined) checkLength(kernel, 'x', a.x, nodes * I);
  else checkTableRows(kernel, a.x, I, a.inputRows, nodes);
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
  return { wasm: false, resident: null, parts: [], projection: null };
}

/**
 * Frees a forward's tape in wasm memory (a no-op when it has none). Call it when no backward
 * will follow (the op's output was not recorded); the backward frees it itself. A tape never
 * released is evicted once newer ones need the room (kernels/fold-tapes.ts), and a backward that
 * finds its tape gone recomputes the forward, from x and the weights as they are then.
 *
 * @example
 * ```ts
 * treeRnnFoldForward(args, tape, out);
 * treeRnnFoldRelease(tape); // inference: no backward
 * ```
 */
export function treeRnnFoldRelease(tape: TreeRnnFoldTape): void {
  releaseResidentTape(tape, wasmKernels());
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
    const x1 = ws.get('x1', x, n * (I + 1));
    for (let r = 0; r < n; r++) {
      x1.set(x.subarray(r * I, (r + 1) * I), r * (I + 1));
      x1[r * (I + 1) + I] = 1;
    }
    gemm(false, true, n, H, I + 1, 1, x1, 0, I + 1, w1, 0, I + 1, 0, z, 0, H);
  }
  if (a.childH !== null) {
    const m = ws.get('childProduct', x, n * H);
    gemm(false, true, n, H, N * H, 1, a.childH, 0, N * H, a.weightHh, 0, N * H, 0, m, 0, H);
    for (let i = 0; i < n * H; i++) z[i] = (z[i] as number) + (m[i] as number);
  }
  tanhInPlace(z, 0, n * H, false);
  out.set(z.subarray(0, n * H));
}

/** [W_ih, b_ih + b_hh] [H, I + 1] (the cell's `affine` operand), or null without biases. */
function weightsWithBias(a: TreeRnnFoldArgs): TypedArray | null {
  if (a.biasIh === null || a.biasHh === null) return null;
  const { inputSize: I, hiddenSize: H } = a;
  const w1 = allocateLike(a.x, H * (I + 1));
  // The summed bias rounded to the dtype first, as add(biasIh, biasHh) gives it.
  const bias = combinedBias(a.biasIh, a.biasHh, allocateLike(a.x, H));
  for (let j = 0; j < H; j++) {
    w1.set(a.weightIh.subarray(j * I, (j + 1) * I), j * (I + 1));
    w1[j * (I + 1) + I] = bias[j] as number;
  }
  return w1;
}

/** The recursive level step as a fold of levels runs it: one state field, N slots. */
function treeRnnLevelKernel(a: TreeRnnFoldArgs): FoldLevelKernel<TreeRnnLevelArgs, { readonly h: TypedArray }> {
  const { hiddenSize: H, arity: N } = a;
  // Built on the first part's call (the forward's), shared by every part of the fold.
  let w1: TypedArray | null | undefined;
  return {
    fields: 1,
    slots: () => N,
    args: (base) => ({ ...base, arity: N, weightsWithBias: w1 === undefined ? (w1 = weightsWithBias(a)) : w1 }),
    tape: (args) => ({ h: allocateLike(args.x, args.nodes * H) }),
    forward: levelForward,
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
  const w = useWasmSequence(a.x) ? wasmKernels() : undefined;
  if (w !== undefined) {
    tape.wasm = true;
    const H = a.hiddenSize;
    // Table inputs: each distinct row's b + x W_ih^T once (kernels/fold-table-inputs.ts).
    if (a.inputRows !== undefined) tape.projection = projectFold(a, a.inputRows, a.weightIh, combinedBias(a.biasIh, a.biasHh, new Float32Array(H)), H);
    treeRnnFoldForwardWasm(w, tape.projection?.args ?? a, tape, out as Float32Array);
    return;
  }
  const gathered = gatheredFold(a);
  foldLevelsForward(treeRnnLevelKernel(gathered), gathered, tape.parts, out);
}

/**
 * Backward pass of a whole fold from dy [nodes, H] (dL/dh of every node): from the top level
 * down, each part's rows get their full gradient (their own plus what their parents scattered
 * back), dz = dh (1 - h^2), and d[h_1..h_N] = dz W_hh scattered into their children's rows.
 * Every part keeps its dz rows (and its x and children's h) in fold-wide "internal first"
 * tables (kernels/tree-fold-levels.ts's internalFirstRows), and the products that read them
 * run once over all levels:
 *
 *     dx = dz W_ih,   dW_ih = dz^T x,   db_ih = db_hh = sum_rows dz   (all nodes)
 *     dW_hh = dz^T [h_1..h_N]                                         (internal rows)
 *
 * @example
 * ```ts
 * const g = treeRnnFoldBackward(args, tape, dy, { x: true, weights: true });
 * ```
 */
export function treeRnnFoldBackward(a: TreeRnnFoldArgs, tape: TreeRnnFoldTape, dy: TypedArray, want: FoldWanted): FoldOfLevelsGrads {
  const p = tape.projection;
  if (p !== null) {
    // Table inputs on wasm: dP (each row the sum of its nodes' dz), then the projection's backward.
    const g = treeRnnFoldBackwardWasm(tapeKernels('treeRnnFoldBackward'), p.args, tape, dy as Float32Array, { x: true, weights: want.weights });
    return projectedFoldGradients(a, p.projection, g, a.hiddenSize, want);
  }
  if (tape.wasm) return treeRnnFoldBackwardWasm(tapeKernels('treeRnnFoldBackward'), a, tape, dy as Float32Array, want);
  // Table inputs on the JavaScript path: the gathered rows' fold, each node's dx added into its row.
  if (a.inputRows !== undefined) return tableGradients(a, treeRnnFoldBackward(gatheredFold(a), tape, dy, want));
  const { nodes, inputSize: I, hiddenSize: H, arity: N, x } = a;
  const NH = N * H;
  const { rows, internal: T } = internalFirstRows(a.levels, tape.parts, () => N);
  const dz = ws.get('dz', x, nodes * H);
  const xs = want.weights ? ws.get('x', x, nodes * I) : null;
  const ch = want.weights ? ws.get('childH', x, T * NH) : null;
  const ds = dy.slice();
  for (let p = tape.parts.length - 1; p >= 0; p--) {
    const part = tape.parts[p] as FoldPart<TreeRnnLevelArgs, { readonly h: TypedArray }>;
    const { args } = part;
    const n = args.nodes, row = rows[p] as number;
    const dh = partStateGradient(1, a, part, ds), h = part.tape.h;
    const dzPart = dz.subarray(row * H, (row + n) * H);
    for (let i = 0; i < n * H; i++) {
      const v = h[i] as number;
      dzPart[i] = (dh[i] as number) * (1 - v * v);
    }
    xs?.set(args.x, row * I);
    if (args.childH !== null) {
      ch?.set(args.childH, row * NH);
      const dChildH = ws.get('dChildH', x, n * NH);
      gemm(false, false, n, NH, H, 1, dzPart, 0, H, a.weightHh, 0, NH, 0, dChildH, 0, NH);
      scatterToChildren(a, part, N, ds, dChildH, null);
    }
  }
  let dx: TypedArray | null = null;
  if (want.x) dx = inputGradientFromTable(a, tape.parts, rows, dz, H, ws.get('dx', x, nodes * I));
  if (!want.weights || xs === null || ch === null) return { x: dx, weightIh: null, weightHh: null, biasIh: null, biasHh: null };
  const dWih = allocateLike(x, H * I);
  gemm(true, false, H, I, nodes, 1, dz, 0, H, xs, 0, I, 0, dWih, 0, I);
  const dWhh = allocateLike(x, H * NH);
  if (T > 0) gemm(true, false, H, NH, T, 1, dz, 0, H, ch, 0, NH, 0, dWhh, 0, NH);
  let dbIh: TypedArray | null = null, dbHh: TypedArray | null = null;
  if (a.biasIh !== null && a.biasHh !== null) {
    dbIh = allocateLike(x, H);
    columnSums(dz, 0, H, nodes, H, dbIh);
    dbHh = dbIh.slice();
  }
  return { x: dx, weightIh: dWih, weightHh: dWhh, biasIh: dbIh, biasHh: dbHh };
}
