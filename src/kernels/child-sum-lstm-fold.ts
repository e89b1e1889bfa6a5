import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { Workspace, allocateLike, checkLength, columnSums, combinedBias } from './rnn-sequence-common.js';
import { childSumFoldBackwardWasm, childSumFoldForwardWasm, type ChildSumFoldWasmTape } from './child-sum-lstm-fold-wasm.js';
import { checkTableRows, gatheredFold, projectFold, projectedFoldGradients, tableGradients, type ProjectedFold } from './fold-table-inputs.js';
import { useWasmSequence } from './sequence-wasm.js';
import { releaseResidentTape, tapeKernels } from './fold-tapes.js';
import { wasmKernels } from './wasm-module.js';
import { checkChildSumLstmArgs, childSumLstmBackward, childSumLstmForward, childSumLstmTape, type ChildSumLstmArgs, type ChildSumLstmTape } from './child-sum-lstm.js';
import { checkFoldSchedule, foldLevelsForward, internalFirstRows, partStateGradient, scatterToChildren, inputGradientFromTable, type FoldLevelKernel, type FoldOfLevelsArgs, type FoldOfLevelsGrads, type FoldPart, type SlottedFoldLevelSchedule, type FoldWanted } from './tree-fold-levels.js';

// A whole fold of a Child-Sum Tree-LSTM over a batch of trees as ONE kernel call each way.
// For float32 on the WebAssembly kernels it runs on wasm memory (kernels/child-sum-lstm-fold-wasm.ts:
// one threaded kernel job per level, the tape kept in wasm memory, the weight gradients
// deferred). Otherwise (float64, or no wasm) kernels/child-sum-lstm.ts's level kernel runs part
// by part (kernels/tree-fold-levels.ts), the children's states gathered and their gradients
// scattered on raw arrays, and dx and the weight gradients deferred to one product each over
// all levels. Either way, what the fold saves over the by-level graph is the graph around the
// level kernels: per level, the gathers of the children's h and c (and the zero row they pad
// with), the joins of the internal rows' and the leaves' states, the slices of each part's
// packed output, all their backward passes, and each level's weight gradients allocated and
// summed by the autograd. Measured (scripts/ab-tree-builds.mjs, 2 threads, against cf13a14,
// where the wasm path ran this file's JavaScript loop with per-part weight gradients): the
// deferred products alone 1.8x at batch 1 and 1.1x at batch 64 with 128 units; the wasm fold
// 2.4x and 2.0x (docs/decisions/0005).

/** The backward's fold-wide tables (da, x, h~, dz_f, the children's h in table order). */
const ws = new Workspace();

/** A whole fold: x [nodes, I] in plan order, the weights in ChildSumTreeLSTMCell's layout, and the schedule with each level's child slots. */
export interface ChildSumLstmFoldArgs extends FoldOfLevelsArgs {
  readonly levels: readonly SlottedFoldLevelSchedule[];
}

/**
 * What the forward keeps. On the wasm path (float32 with the kernels loaded): its block of wasm
 * memory (x, the states, the activated gates, tanh(c), h~, the child indices) until the
 * backward reads it or {@link childSumLstmFoldRelease} frees it; null once released or
 * evicted, when the backward recomputes it. On the JavaScript path: each level part's call and
 * tape.
 */
export interface ChildSumLstmFoldTape extends ChildSumFoldWasmTape {
  wasm: boolean;
  readonly parts: FoldPart<ChildSumLstmArgs, ChildSumLstmTape>[];
  /** A table-inputs fold on wasm: the fold of projected inputs it ran, and the projection (else null). */
  projection: ProjectedFold<ChildSumLstmFoldArgs> | null;
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
  if (a.inputRows === undefined) checkLength(kernel, 'x', a.x, nodes * I);
  else checkTableRows(kernel, a.x, I, a.inputRows, nodes);
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
 * childSumLstmFoldForward(args, tape, out);
 * childSumLstmFoldRelease(tape); // inference: no backward
 * ```
 */
export function childSumLstmFoldRelease(tape: ChildSumLstmFoldTape): void {
  releaseResidentTape(tape, wasmKernels());
}

/** The Child-Sum level kernel as a fold of levels runs it: level l's internal rows read its own `slots` children. */
function childSumLevelKernel(a: ChildSumLstmFoldArgs): FoldLevelKernel<ChildSumLstmArgs, ChildSumLstmTape> {
  const H = a.hiddenSize;
  return {
    fields: 2,
    slots: (l) => (a.levels[l] as SlottedFoldLevelSchedule).slots,
    args: (base, slots) => ({ ...base, slots }),
    tape: (args) => childSumLstmTape(args.x, args.nodes, args.slots, H, args.childH !== null),
    forward: childSumLstmForward,
  };
}

/**
 * Forward pass of a whole fold, writing every node's h, then c, in plan order into
 * out [2, nodes, H]: level by level from 0, each level's internal rows by the Child-Sum step
 * from their children's states (rows of the level below; padding slots zero) and its leaves
 * by the step with no children, as kernels/child-sum-lstm.ts does one level (exactly on the
 * JavaScript path; on wasm with the same products in the same order, equal to rounding where
 * the level kernel's gemm takes its one-row shortcut):
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
  const w = useWasmSequence(a.x) ? wasmKernels() : undefined;
  if (w !== undefined) {
    tape.wasm = true;
    const G = 4 * a.hiddenSize;
    // Table inputs: each distinct row's a = b + x W_ih^T once (kernels/fold-table-inputs.ts).
    if (a.inputRows !== undefined) tape.projection = projectFold(a, a.inputRows, a.weightIh, combinedBias(a.biasIh, a.biasHh, new Float32Array(G)), G);
    childSumFoldForwardWasm(w, tape.projection?.args ?? a, tape, out as Float32Array);
    return;
  }
  const gathered = gatheredFold(a);
  foldLevelsForward(childSumLevelKernel(gathered), gathered, tape.parts, out);
}

/**
 * Backward pass of a whole fold from dy [2, nodes, H] (dL/dh, then dL/dc, of every node):
 * from the top level down, each part's rows get their full gradient (their own plus what their
 * parents scattered back), go through one level's gates pass and its children's products, and
 * scatter dL/dh_k and dL/dc_k into their children's rows. Every part keeps its da and dz_f rows
 * (and its h~ and children's h) in fold-wide tables, "internal first" (the internal rows of
 * every level, then every leaf), and what reads them is one product per weight after the loop:
 *
 *     dx = da W_ih,   dW_ih = da^T x,   db_ih = db_hh = sum_rows da          (all nodes)
 *     dW_hh[i, g, o rows] = da[i, g, o]^T h~                                  (internal rows)
 *     dW_hh[f rows] = dz_f^T [h_k]                                            (every child slot)
 *
 * instead of a product per part for each, summed by the caller (per part, at 128 units, 82 k
 * floats of weight gradient allocated and added, for a part of one or two nodes at batch 1).
 * On wasm the same, in kernels/child-sum-lstm-fold-wasm.ts's level jobs.
 *
 * @example
 * ```ts
 * const g = childSumLstmFoldBackward(args, tape, dy, { x: true, weights: true });
 * ```
 */
export function childSumLstmFoldBackward(
  a: ChildSumLstmFoldArgs, tape: ChildSumLstmFoldTape, dy: TypedArray, want: FoldWanted,
): FoldOfLevelsGrads {
  const p = tape.projection;
  if (p !== null) {
    // Table inputs on wasm: dP (each row the sum of its nodes' da), then the projection's backward.
    const g = childSumFoldBackwardWasm(tapeKernels('childSumLstmFoldBackward'), p.args, tape, dy as Float32Array, { x: true, weights: want.weights });
    return projectedFoldGradients(a, p.projection, g, 4 * a.hiddenSize, want);
  }
  if (tape.wasm) return childSumFoldBackwardWasm(tapeKernels('childSumLstmFoldBackward'), a, tape, dy as Float32Array, want);
  // Table inputs on the JavaScript path: the gathered rows' fold, each node's dx added into its row.
  if (a.inputRows !== undefined) return tableGradients(a, childSumLstmFoldBackward(gatheredFold(a), tape, dy, want));
  const { nodes, inputSize: I, hiddenSize: H, x } = a;
  const G = 4 * H;
  const defer = want.x || want.weights;
  const { rows, slotRows, internal: T, slots: R } = internalFirstRows(a.levels, tape.parts, (l) => (a.levels[l] as SlottedFoldLevelSchedule).slots);
  const da = defer ? ws.get('da', x, nodes * G) : null;
  const dzf = defer ? ws.get('dzf', x, R * H) : null;
  const xs = want.weights ? ws.get('x', x, nodes * I) : null;
  const hs = want.weights ? ws.get('childSum', x, T * H) : null;
  const ch = want.weights ? ws.get('childH', x, R * H) : null;
  const ds = dy.slice();
  for (let p = tape.parts.length - 1; p >= 0; p--) {
    const part = tape.parts[p] as FoldPart<ChildSumLstmArgs, ChildSumLstmTape>;
    const { args } = part;
    const n = args.nodes, K = args.slots, kids = args.childH !== null;
    const row = rows[p] as number, slot = slotRows[p] as number;
    const keep = da === null || dzf === null ? null : { da: da.subarray(row * G, (row + n) * G), forget: dzf.subarray(slot * H, (slot + (kids ? n * K : 0)) * H) };
    const g = childSumLstmBackward(args, part.tape, partStateGradient(2, a, part, ds), { x: false, weights: false, children: kids }, keep);
    xs?.set(args.x, row * I);
    if (kids) {
      hs?.set(part.tape.childSum, row * H);
      ch?.set(args.childH as TypedArray, slot * H);
      scatterToChildren(a, part, K, ds, g.childH as TypedArray, g.childC);
    }
  }
  let dx: TypedArray | null = null;
  if (want.x && da !== null) dx = inputGradientFromTable(a, tape.parts, rows, da, G, ws.get('dx', x, nodes * I));
  if (!want.weights || da === null || dzf === null || xs === null || hs === null || ch === null) {
    return { x: dx, weightIh: null, weightHh: null, biasIh: null, biasHh: null };
  }
  const dWih = allocateLike(x, G * I);
  gemm(true, false, G, I, nodes, 1, da, 0, G, xs, 0, I, 0, dWih, 0, I);
  // W_hh's i, g and o rows see h~ (da's columns of those blocks are dz's); its f rows each child.
  const dWhh = allocateLike(x, G * H);
  if (T > 0) {
    gemm(true, false, H, H, T, 1, da, 0, G, hs, 0, H, 0, dWhh, 0, H);
    gemm(true, false, 2 * H, H, T, 1, da, 2 * H, G, hs, 0, H, 0, dWhh, 2 * H * H, H);
    gemm(true, false, H, H, R, 1, dzf, 0, H, ch, 0, H, 0, dWhh, H * H, H);
  }
  let dbIh: TypedArray | null = null, dbHh: TypedArray | null = null;
  if (a.biasIh !== null && a.biasHh !== null) {
    dbIh = allocateLike(x, G);
    columnSums(da, 0, G, nodes, G, dbIh);
    dbHh = dbIh.slice();
  }
  return { x: dx, weightIh: dWih, weightHh: dWhh, biasIh: dbIh, biasHh: dbHh };
}
