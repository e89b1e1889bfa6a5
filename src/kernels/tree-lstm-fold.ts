import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { sgemmAt } from './gemm-wasm.js';
import { gemm } from './gemm.js';
import {
  checkTableRows, foldStartSizes, gatheredFold, projectFold, projectionBackward, tableGradientInWasm, tableGradients, writeFoldStarts, type ProjectedFold,
} from './fold-table-inputs.js';
import { Workspace, allocateLike, checkLength, columnSums } from './rnn-sequence-common.js';
import { useWasmSequence } from './sequence-wasm.js';
import { backwardFromTape, forwardIntoTape, releaseResidentTape, tapeKernels, type ResidentBlock } from './fold-tapes.js';
import { arrayId, residentCopy, residentScope } from './resident.js';
import { partsFor, rowsOf, runParts, threadScratch } from './threads.js';
import {
  LEVEL_PARALLEL_MIN_MACS, checkFoldSchedule, foldLevelTables, foldLevelsForward, inputGradientFromTable, internalFirstRows, partStateGradient, scatterToChildren,
  writeChildIndices, type FoldLevelKernel, type FoldLevelSchedule, type FoldLevelTables, type FoldOfLevelsArgs, type FoldOfLevelsGrads, type FoldPart,
  type FoldWanted,
} from './tree-fold-levels.js';
import {
  checkNaryTreeLstmArgs, foldBlocksByGate, inputWeightsInBlockOrder, layout, layoutBytes, naryTreeLstmBackward, naryTreeLstmForward,
  naryTreeLstmTape, readFloats, writeSideBySide, type NaryTreeLstmArgs, type NaryTreeLstmTape,
} from './tree-lstm.js';
import { wasmKernels, type WasmKernels } from './wasm-module.js';

// A whole fold of an N-ary Tree-LSTM over a batch of trees (every level, bottom-up) as ONE
// kernel call each way. Folded level by level through the graph, every level pays a fixed
// cost that does not shrink with its size: the gathers of its children's states and their
// backward, the copy of the weights into wasm memory (twice), the weight gradient allocated,
// copied out and summed into the other levels' by the autograd (at 128 units, 184 k floats
// per level). Here the weights go into wasm memory once per pass, the children's rows are
// gathered and their gradients scattered inside wasm memory, and the weight gradient is two
// products over all levels (each level keeps its dz, x and children's h rows), read out once.
// That costs T N H + nodes I floats of wasm memory for T internal nodes. Each level is one
// kernel job, split by rows over the kernel threads (its rows are independent), so at a large
// batch the gates and gathers run in parallel as well as the products.
// The maths of one level is kernels/tree-lstm.ts's; the JavaScript path (float64, or float32
// without wasm) runs exactly those level kernels, so it is the per-level fold's arithmetic.

export type { FoldLevelSchedule };

/**
 * A whole fold: `nodes` nodes in plan order (level 0 first; within a level the internal rows,
 * then the leaves) with inputs x [nodes, I], the weights in NaryTreeLSTMCell's layout (see
 * {@link NaryTreeLstmArgs}), and the level schedule.
 */
export interface NaryTreeLstmFoldArgs extends FoldOfLevelsArgs {
  readonly arity: number;
}

/**
 * The wasm fold's own form of projected inputs: x is a table [rows, G] of gate
 * pre-activations in weightHh's block order, biases in (b + x W_x^T of each distinct input),
 * node r starting from row gateRows[r]; inputSize 0, weightIh empty, no biases, so that
 * z = x[gateRows[r]] + [h_1..h_N] W_hh^T and no row multiplies an input. Its x gradient is
 * the table's [rows, G], each row the sum of its nodes' dz.
 */
interface WasmFoldArgs extends NaryTreeLstmFoldArgs {
  readonly gateRows?: Int32Array;
}


/**
 * What the forward pass keeps. On the wasm path: the block of wasm memory that holds what the
 * backward reads (x, the states, the activated gates, tanh(c), the child indices, the joined
 * weights), left in place between the passes (see {@link naryTreeLstmFoldRelease}); null once
 * released or evicted, when the backward recomputes it. On the JavaScript path: each level
 * part's own call.
 */
export interface NaryTreeLstmFoldTape {
  wasm: boolean;
  resident: ResidentFold | null;
  readonly parts: FoldPart<NaryTreeLstmArgs, NaryTreeLstmTape>[];
  /** A table-inputs fold on wasm: its projection (else null). */
  projection: ProjectedFold<NaryTreeLstmFoldArgs> | null;
}

/** A forward's tape in wasm memory: the block (byte address and size) and where its tables start. */
interface ResidentFold extends ResidentBlock {
  readonly x: number;
  readonly states: number;
  readonly gates: number;
  readonly tanhC: number;
  readonly idx: number;
  /** [W_ih in block order | W_hh] [G, K], which the backward multiplies by as well. */
  readonly weights: number;
  /** Whether `weights` holds them: the forward joins them there, except when it packs from resident weights. */
  joined: boolean;
}

/** Gradients of a fold's inputs; null where none was asked for. */
export type NaryTreeLstmFoldGrads = FoldOfLevelsGrads;

/**
 * Checks the arrays against the sizes and the schedule against the nodes: levels tile rows
 * 0 .. nodes - 1 in order, level 0 has no internal rows, every child index lies in the level
 * below (or is its count: no child).
 *
 * @example
 * ```ts
 * checkNaryTreeLstmFoldArgs('naryTreeLstmFold', args); // throws ArgumentError naming what is wrong
 * ```
 */
export function checkNaryTreeLstmFoldArgs(kernel: string, a: NaryTreeLstmFoldArgs): void {
  const { nodes, inputSize: I, hiddenSize: H, arity: N } = a;
  checkNaryTreeLstmArgs(kernel, { ...a, x: a.x.subarray(0, 0), nodes: 0, childH: null, childC: null });
  if (H < 1) throw new ArgumentError(kernel, `hiddenSize must be at least 1, got ${H}`);
  if (a.inputRows === undefined) checkLength(kernel, 'x', a.x, nodes * I);
  else checkTableRows(kernel, a.x, I, a.inputRows, nodes);
  checkFoldSchedule(kernel, a.levels, nodes, () => N);
}

/**
 * An empty tape for a fold. @example `const tape = naryTreeLstmFoldTape(); naryTreeLstmFoldForward(args, tape, out);`
 */
export function naryTreeLstmFoldTape(): NaryTreeLstmFoldTape {
  return { wasm: false, resident: null, parts: [], projection: null };
}

/**
 * Forward pass of a whole fold, writing the states of every node, in plan order, into
 * out [2, nodes, H] (all h, then all c). Level by level from 0, with the rows of one level's
 * internal nodes composed with their children's states (rows of the level below) and its
 * leaves by the step with no children, exactly as kernels/tree-lstm.ts does one level:
 *
 *     z = b + [x | h_1..h_N] [W_ih in block order | W_hh]^T,  c = i g + sum_k f_k c_k,  h = o tanh(c)
 *
 * @example
 * ```ts
 * const tape = naryTreeLstmFoldTape();
 * naryTreeLstmFoldForward(args, tape, out); // out [2, nodes, H]
 * ```
 */
export function naryTreeLstmFoldForward(a: NaryTreeLstmFoldArgs, tape: NaryTreeLstmFoldTape, out: TypedArray): void {
  const w = useWasmSequence(a.x) ? wasmKernels() : undefined;
  if (w !== undefined && a.inputRows !== undefined) foldRowsForwardWasm(w, a, a.inputRows, tape, out as Float32Array);
  else if (w !== undefined) foldForwardWasm(w, a, tape, out as Float32Array);
  else foldForwardJs(gatheredFold(a), tape, out);
}

/**
 * Table inputs on wasm (kernels/fold-table-inputs.ts): the distinct rows' gate pre-activations once,
 *
 *     P = b + T W_x^T   (T [distinct, I] the distinct rows, W_x W_ih in block order, b = b_ih + b_hh)
 *
 * then the fold of projected inputs ({@link WasmFoldArgs}): z(r) = P[row of r] + [h_1..h_N] W_hh^T.
 * At a batch of 64 arithmetic trees (1,042 nodes, 13 distinct words), that drops the x
 * columns of every internal row's product and the leaves' products altogether, forward and
 * backward, and the dW_x product over all nodes.
 */
function foldRowsForwardWasm(w: WasmKernels, a: NaryTreeLstmFoldArgs, rows: Int32Array, tape: NaryTreeLstmFoldTape, out: Float32Array): void {
  const { wx, bias } = inputWeightsInBlockOrder(a);
  tape.projection = projectFold(a, rows, wx, bias, (a.arity + 3) * a.hiddenSize);
  foldForwardWasm(w, tape.projection.args, tape, out);
}

/**
 * The backward of table inputs on wasm: the projected fold's backward (dP, each row the sum of
 * its nodes' dz, and dW_hh), then the projection's (kernels/fold-table-inputs.ts): dW_x folded
 * onto W_ih's gates, db_hh = sum_rows dP and db_ih that folded by gate, the table's gradient.
 */
function foldRowsBackwardWasm(a: NaryTreeLstmFoldArgs, kept: ProjectedFold<NaryTreeLstmFoldArgs>, tape: NaryTreeLstmFoldTape, dy: Float32Array, want: FoldWanted): NaryTreeLstmFoldGrads {
  const { inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H;
  const g = foldBackwardWasm(tapeKernels('naryTreeLstmFoldBackward'), kept.args, tape, dy, { x: true, weights: want.weights });
  const { dW, db, dTable } = projectionBackward(kept.projection, g.x as Float32Array, inputWeightsInBlockOrder(a).wx, G, I, a.x.length, want);
  const bias = a.biasIh !== null && a.biasHh !== null && db !== null;
  return {
    x: dTable, weightIh: dW === null ? null : foldBlocksByGate(dW, N, H, I), weightHh: g.weightHh, biasIh: bias ? foldBlocksByGate(db, N, H, 1) : null, biasHh: bias ? db : null,
  };
}

/**
 * Backward pass of a whole fold from dy [2, nodes, H] (dL/dh, then dL/dc, of every node),
 * given the forward's tape: from the top level down, each level's rows get their
 * full gradient (their own, plus what their parents scattered back), go through one level's
 * backward, and scatter dL/dh_k, dL/dc_k into their children's rows. Weight gradients are one
 * sum over all levels.
 *
 * @example
 * ```ts
 * const g = naryTreeLstmFoldBackward(args, tape, dy, { x: true, weights: true });
 * ```
 */
export function naryTreeLstmFoldBackward(
  a: NaryTreeLstmFoldArgs, tape: NaryTreeLstmFoldTape, dy: TypedArray, want: FoldWanted,
): NaryTreeLstmFoldGrads {
  if (tape.projection !== null) return foldRowsBackwardWasm(a, tape.projection, tape, dy as Float32Array, want);
  if (tape.wasm) return foldBackwardWasm(tapeKernels('naryTreeLstmFoldBackward'), a, tape, dy as Float32Array, want);
  // Table inputs on the JavaScript path: every node's dx added into its row of the table.
  return tableGradients(a, foldBackwardJs(gatheredFold(a), tape, dy, want));
}

/**
 * Frees a forward's tape in wasm memory (a no-op when it has none). Call it when no backward
 * will follow (the op's output was not recorded); the backward frees it itself. A tape never
 * released is evicted once newer ones need the room (kernels/fold-tapes.ts), and a backward
 * that finds its tape gone recomputes the forward first (the same bits: the forward is
 * deterministic, whatever the thread count). The recompute reads x and the weights again, so
 * they must not change between a forward and its backward, which the backward's own products
 * (by the weights as they are then) assume already.
 *
 * @example
 * ```ts
 * naryTreeLstmFoldForward(args, tape, out);
 * naryTreeLstmFoldRelease(tape); // inference: no backward
 * ```
 */
export function naryTreeLstmFoldRelease(tape: NaryTreeLstmFoldTape): void {
  releaseResidentTape(tape, wasmKernels());
}

// ---- JavaScript: the level kernels of kernels/tree-lstm.ts, part by part ----

/** The N-ary level kernel (kernels/tree-lstm.ts) as a fold of levels runs it. */
function naryLevelKernel(a: NaryTreeLstmFoldArgs): FoldLevelKernel<NaryTreeLstmArgs, NaryTreeLstmTape> {
  const { hiddenSize: H, arity: N } = a;
  return {
    fields: 2,
    slots: () => N,
    args: (base) => ({ ...base, arity: N }),
    tape: (args) => naryTreeLstmTape(args.x, args.nodes, H, N),
    forward: naryTreeLstmForward,
  };
}

function foldForwardJs(a: NaryTreeLstmFoldArgs, tape: NaryTreeLstmFoldTape, out: TypedArray): void {
  foldLevelsForward(naryLevelKernel(a), a, tape.parts, out);
}

/** The JavaScript backward's fold-wide tables (dz, da, x, the children's h in table order). */
const ws = new Workspace();

/**
 * The JavaScript backward: the parts from the top level down, each through the level kernel's
 * gates pass and children's product (its d h_k, d c_k scattered into its children's rows),
 * keeping its dz and da rows, x and children's h in "internal first" tables; then one product
 * per gradient over all levels,
 *
 *     dx = da W_ih,   dW_ih = da^T x,   db_ih = sum_rows da,   db_hh = sum_rows dz   (all nodes)
 *     dW_hh = dz^T [h_1..h_N]                                                        (internal rows)
 *
 * the same deferral as the wasm path's and the other cells' folds.
 */
function foldBackwardJs(a: NaryTreeLstmFoldArgs, tape: NaryTreeLstmFoldTape, dy: TypedArray, want: FoldWanted): NaryTreeLstmFoldGrads {
  const { nodes, inputSize: I, hiddenSize: H, arity: N, x } = a;
  const G = (N + 3) * H, G4 = 4 * H, NH = N * H;
  const defer = want.x || want.weights;
  const { rows, internal: T } = internalFirstRows(a.levels, tape.parts, () => N);
  const dz = defer ? ws.get('dz', x, nodes * G) : null;
  const da = defer ? ws.get('da', x, nodes * G4) : null;
  const xs = want.weights ? ws.get('x', x, nodes * I) : null;
  const ch = want.weights ? ws.get('childH', x, T * NH) : null;
  const ds = dy.slice();
  for (let p = tape.parts.length - 1; p >= 0; p--) {
    const part = tape.parts[p] as FoldPart<NaryTreeLstmArgs, NaryTreeLstmTape>;
    const { args } = part;
    const n = args.nodes, kids = args.childH !== null, row = rows[p] as number;
    const keep = dz === null || da === null ? null : { dz: dz.subarray(row * G, (row + n) * G), da: da.subarray(row * G4, (row + n) * G4) };
    const g = naryTreeLstmBackward(args, part.tape, partStateGradient(2, a, part, ds), { x: false, weights: false, children: kids }, keep);
    xs?.set(args.x, row * I);
    if (kids) {
      ch?.set(args.childH as TypedArray, row * NH);
      scatterToChildren(a, part, N, ds, g.childH as TypedArray, g.childC);
    }
  }
  let dx: TypedArray | null = null;
  if (want.x && da !== null) dx = inputGradientFromTable(a, tape.parts, rows, da, G4, ws.get('dx', x, nodes * I));
  if (!want.weights || dz === null || da === null || xs === null || ch === null) return { x: dx, weightIh: null, weightHh: null, biasIh: null, biasHh: null };
  const dWih = allocateLike(x, G4 * I);
  gemm(true, false, G4, I, nodes, 1, da, 0, G4, xs, 0, I, 0, dWih, 0, I);
  const dWhh = allocateLike(x, G * NH);
  if (T > 0) gemm(true, false, G, NH, T, 1, dz, 0, G, ch, 0, NH, 0, dWhh, 0, NH);
  let dbIh: TypedArray | null = null, dbHh: TypedArray | null = null;
  if (a.biasIh !== null && a.biasHh !== null) {
    dbIh = allocateLike(x, G4);
    columnSums(da, 0, G4, nodes, G4, dbIh);
    dbHh = allocateLike(x, G);
    columnSums(dz, 0, G, nodes, G, dbHh);
  }
  return { x: dx, weightIh: dWih, weightHh: dWhh, biasIh: dbIh, biasHh: dbHh };
}

// ---- WebAssembly: the whole fold on wasm memory ----

/** The fold's level tables (kernels/tree-fold-levels.ts): N child slots per internal row. */
function levelTables(a: NaryTreeLstmFoldArgs): FoldLevelTables {
  return foldLevelTables(a.levels, () => a.arity);
}

/**
 * How many parts (kernel threads) each level of a fold splits into, bottom level first: a
 * level's rows are independent, so a part runs the level's whole chain (gathers, product,
 * gates, scatters) on its share of the internal rows and of the leaves, each part at least 8
 * rows, and one part for a level under 2^20 multiply-adds. Each pass asks again; the results
 * do not depend on the split.
 *
 * @example
 * ```ts
 * naryTreeLstmFoldLevelParts({ inputSize: 32, hiddenSize: 128, arity: 2, levels: plan.levels }); // e.g. [2, 2, 2, 2, 2, 2, 1] with two threads
 * ```
 */
export function naryTreeLstmFoldLevelParts(a: Pick<NaryTreeLstmFoldArgs, 'inputSize' | 'hiddenSize' | 'arity' | 'levels'>): number[] {
  const { inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H, K = I + N * H;
  return a.levels.map((lv) => partsFor(lv.count, lv.internal * G * K + (lv.count - lv.internal) * G * I, LEVEL_PARALLEL_MIN_MACS));
}

/**
 * Forward on wasm memory: [W_ih in block order | W_hh], the biases, x and the child indices
 * written once, and W^T packed once (whole, for the internal rows, and its first I columns,
 * for the leaves); per level, one treeFoldLevelForward job split by rows over the kernel
 * threads: z = bias, the internal rows' [x | h_1..h_N] gathered from the states of the level
 * below and multiplied in one product (the leaves' x by the W_ih columns alone), the gates
 * pass writing h and c straight into the level's rows of the states. The states are read out
 * once at the end; they, x, the activated gates, tanh(c), the child indices and the joined
 * weights stay in wasm memory for the backward (the tape, a block of its own:
 * {@link naryTreeLstmFoldRelease}).
 */
function foldForwardWasm(w: WasmKernels, a: WasmFoldArgs, tape: NaryTreeLstmFoldTape, out: Float32Array): void {
  const { nodes, inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H;
  // What the backward reads stays in wasm memory (the tape); the rest is scratch.
  const kept = [nodes * I, 2 * nodes * H, nodes * G, nodes * H, levelTables(a).slots, G * (I + N * H)];
  tape.wasm = true;
  forwardIntoTape(
    w, tape, kept,
    ([x, states, gates, tanhC, idx, weights], at, bytes) => ({ at, bytes, x, states, gates, tanhC, idx, weights, joined: false }) as ResidentFold,
    (resident) => foldForwardInto(w, a, resident, out),
  );
}

function foldForwardInto(w: WasmKernels, a: WasmFoldArgs, kept: ResidentFold, out: Float32Array): void {
  const { nodes, inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H, NH = N * H, K = I + NH;
  const { maxInternal: M, slot0 } = levelTables(a);
  const e = w.exports;
  const { x: xAt, states: sAt, gates: zAt, tanhC: tcAt, idx: idxAt } = kept;
  const { wx, bias } = inputWeightsInBlockOrder(a);
  // [W_x | W_hh]^T packed once for every level's internal product (W_x: W_ih in block order),
  // and W_x^T for the leaves': kept across calls inside withResidentWeights (inference), else
  // packed per call. Projected inputs (I = 0): W_hh^T alone, and the table instead of the bias.
  const resident = residentPackedWeights(w, a, wx, kept);
  const packedFloats = resident === null ? e.packedBBytes(K, G) / 4 : 0;
  const sizes = [...foldStartSizes(a, G), M * K, M * NH, packedFloats + (resident === null && I > 0 ? e.packedBBytes(I, G) / 4 : 0)];
  const [biasAt, rowsAt, inAt, ccAt, scratchPackedAt] = layout(w.scratch('treeLstmFold', layoutBytes(sizes)), sizes) as [number, number, number, number, number];
  const packedAt = resident ?? scratchPackedAt;
  if (resident === null) {
    packForwardWeights(w, a, wx, kept.weights, packedAt, M > 0);
    kept.joined = true;
  }
  const packedXAt = packedAt + e.packedBBytes(K, G);
  const biasRows = writeFoldStarts(w, a, () => bias, biasAt, xAt, rowsAt);
  writeChildIndices(w, idxAt, a.levels, () => N);
  const split = naryTreeLstmFoldLevelParts(a);
  for (const [l, lv] of a.levels.entries()) {
    const m = lv.internal, leaves = lv.count - m;
    const below = l > 0 ? (a.levels[l - 1] as FoldLevelSchedule) : null;
    const parts = split[l] as number;
    const idx = idxAt + 4 * (slot0[l] as number);
    runParts('treeFoldLevelForward', parts, (p) => {
      const s = threadScratch(p);
      return [
        ...rowsOf(m, parts, p), ...rowsOf(leaves, parts, p), H, N, I, nodes, lv.start, lv.start + m, below?.start ?? 0, below?.count ?? 0,
        idx, xAt, biasAt, biasRows, packedAt, packedXAt, zAt, tcAt, sAt, inAt, ccAt, s.packA, s.tile,
      ];
    });
  }
  w.read(sAt, 2 * nodes * H, out);
}

/**
 * The forward's packed weights at `at`: W^T = [W_ih in block order | W_hh]^T (for the internal
 * rows; skipped when `internal` is false, a fold of leaves only), then at
 * at + packedBBytes(K, G) its first I columns W_x^T (for the leaves); W itself is joined at
 * `joined` [G, K] first.
 */
function packForwardWeights(w: WasmKernels, a: NaryTreeLstmFoldArgs, wx: TypedArray, joined: number, at: number, internal: boolean): void {
  const { inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H, NH = N * H, K = I + NH;
  const e = w.exports;
  writeSideBySide(w, joined, G, wx, I, a.weightHh, NH);
  if (internal) e.packB(1, K, G, joined, K, at);
  if (I > 0) e.packB(1, I, G, joined, K, at + e.packedBBytes(K, G));
}

/**
 * Inside a withResidentWeights scope, the address of the forward's packed weights
 * ({@link packForwardWeights}), packed once for the scope and kept in wasm memory; else null.
 * Kept under weightHh, with weightIh's identity in the variant (the pair makes the weights).
 */
function residentPackedWeights(w: WasmKernels, a: NaryTreeLstmFoldArgs, wx: TypedArray, kept: ResidentFold): number | null {
  if (!residentScope()) return null;
  const { inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H, K = I + N * H;
  const id = arrayId(a.weightIh);
  const e = w.exports;
  const floats = (e.packedBBytes(K, G) + (I > 0 ? e.packedBBytes(I, G) : 0)) / 4;
  // Joined into the tape's block, which the backward would otherwise fill itself.
  return residentCopy(a.weightHh, `naryFold:${id}:${I}`, floats, (at) => {
    packForwardWeights(w, a, wx, kept.weights, at, true);
    kept.joined = true;
  });
}

/**
 * Backward on wasm memory, from the forward's tape (x, states, gates, tanh(c), the child
 * indices and the joined weights, still in wasm memory; recomputed first if it was evicted),
 * the state gradients ds [2, nodes, H] starting as dy; from the top level down, one
 * treeFoldLevelBackward job per level split by rows over the kernel threads: the gates pass
 * of the level's internal rows
 * (children's c gathered again) and of its leaves, then
 *
 *     [dx | d(h_1..h_N)] = dz [W_x | W_hh]   scattered: dx to its rows, d h_k and d c_k to the children's rows
 *     dx = dz W_x   (leaves: their forget blocks of dz are 0, so this is da W_ih)
 *
 * with W = [W_ih in block order | W_hh] and W_x its first I columns, each packed once. The
 * weight gradient is deferred to two products after the loop: each level's dz goes into the
 * next rows of one table of every node's dz ("internal first" order: the internal rows of all
 * levels, then the leaves), its x into the same rows of an x table and, for the internal rows,
 * its children's h into a third, and then
 *
 *     dW_hh = dz_internal^T [h_1..h_N]_internal,   dW_x = dz^T x   (all nodes)
 *
 * where per-level products would read and write the whole G x K gradient once per level (at
 * one tree and 128 units, 184 k floats for a level of one or two nodes) and, split over
 * threads, race on it. dW_x's row blocks fold onto W_ih's gates. db_hh is the column sums of
 * dz over all nodes, and db_ih the same sums folded by gate.
 */
function foldBackwardWasm(
  w: WasmKernels, a: WasmFoldArgs, tape: NaryTreeLstmFoldTape, dy: Float32Array, want: FoldWanted,
): NaryTreeLstmFoldGrads {
  // A tape evicted (or freed by an earlier backward of a retained graph) is recomputed.
  return backwardFromTape(w, tape, () => foldForwardWasm(w, a, tape, new Float32Array(2 * a.nodes * a.hiddenSize)), (kept) => foldBackwardResident(w, a, kept, dy, want));
}

function foldBackwardResident(
  w: WasmKernels, a: WasmFoldArgs, kept: ResidentFold, dy: Float32Array, want: FoldWanted,
): NaryTreeLstmFoldGrads {
  const { x: xAt, states: sAt, gates: zAt, tanhC: tcAt, idx: idxAt, weights: wAt } = kept;
  const { nodes, inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H, NH = N * H, K = I + NH;
  // dz rows: internal rows of every level first (level by level, from t0), then the leaves
  // (from u0); T internal in all.
  const { maxInternal: M, slot0, t0, u0, internal: T } = levelTables(a);
  const bias = a.biasIh !== null && a.biasHh !== null;
  const e = w.exports;
  // Projected inputs: the x gradient is the table's, each row the sum of its nodes' dz rows.
  const rows = a.gateRows;
  const dxFloats = !want.x ? 0 : rows === undefined ? nodes * I : a.x.length;
  const sizes = [
    want.weights ? T * NH : 0, want.weights ? nodes * I : 0, M * NH,
    2 * nodes * H, nodes * G, dxFloats, M * K, M * NH, G * NH, G * I, G, e.packedBBytes(G, K) / 4, I > 0 ? e.packedBBytes(G, I) / 4 : 0,
    want.x ? rows?.length ?? 0 : 0,
  ];
  const [hTabAt, xTabAt, ccAt, dsAt, dzAt, dxAt, dInAt, dccAt, dwhAt, dwxAt, dbhhAt, packedAt, packedXAt, dzRowsAt] =
    layout(w.scratch('treeLstmFold', layoutBytes(sizes)), sizes) as number[] as [
      number, number, number, number, number, number, number, number, number, number, number, number, number, number,
    ];
  const dxPerRow = want.x && rows === undefined;
  // The joined weights from the forward (written here when it packed from resident weights).
  if (!kept.joined) {
    writeSideBySide(w, wAt, G, inputWeightsInBlockOrder(a).wx, I, a.weightHh, NH);
    kept.joined = true;
  }
  // [W_ih | W_hh] packed once for every level's product dz [W_ih | W_hh] (none when all are
  // leaves), and its first I columns for the leaves' dx.
  if (M > 0) e.packB(0, G, K, wAt, K, packedAt);
  if (dxPerRow) e.packB(0, G, I, wAt, K, packedXAt);
  w.write(dsAt, dy);
  // Going down, the internal rows of level l take dz rows t .. t + m - 1 and the leaves rows u .. u + leaves - 1.
  const split = naryTreeLstmFoldLevelParts(a);
  for (let l = a.levels.length - 1; l >= 0; l--) {
    const lv = a.levels[l] as FoldLevelSchedule;
    const m = lv.internal, leaves = lv.count - m;
    const below = l > 0 ? (a.levels[l - 1] as FoldLevelSchedule) : null;
    const t = t0[l] as number, u = u0[l] as number;
    const parts = split[l] as number;
    const idx = idxAt + 4 * (slot0[l] as number);
    runParts('treeFoldLevelBackward', parts, (p) => {
      const s = threadScratch(p);
      return [
        ...rowsOf(m, parts, p), ...rowsOf(leaves, parts, p), H, N, I, nodes, lv.start, lv.start + m, below?.start ?? 0, below?.count ?? 0,
        // da 0: the gates pass skips it (the weight and bias gradients below come from dz).
        idx, xAt, sAt, zAt, tcAt, dsAt, dzAt, t, u, 0, dxPerRow ? dxAt : 0, want.weights ? hTabAt : 0, xTabAt, ccAt, dInAt, dccAt,
        packedAt, packedXAt, s.packA, s.tile,
      ];
    });
  }
  let dWih: Float32Array | null = null, dWhh: Float32Array | null = null, dbIh: Float32Array | null = null, dbHh: Float32Array | null = null;
  let dx: Float32Array | null = dxPerRow ? readFloats(w, dxAt, nodes * I) : null;
  if (want.x && rows !== undefined) dx = tableGradientInWasm(w, a.levels, levelTables(a), rows, dzAt, G, dzRowsAt, dxAt, a.x.length / G);
  if (want.weights) {
    if (T > 0) sgemmAt(true, false, G, NH, T, 1, dzAt, G, hTabAt, NH, 0, dwhAt, NH);
    else w.f32.fill(0, dwhAt >> 2, (dwhAt >> 2) + G * NH);
    dWhh = readFloats(w, dwhAt, G * NH);
    if (I > 0) {
      sgemmAt(true, false, G, I, nodes, 1, dzAt, G, xTabAt, I, 0, dwxAt, I);
      // dW_x's row blocks (i, the N forget blocks, g, o) folded back onto W_ih's gates (i, f, g, o).
      dWih = foldBlocksByGate(readFloats(w, dwxAt, G * I), N, H, I);
    }
    if (bias) {
      // db_hh = column sums of dz; db_ih those of da, whose rows are dz's folded by gate
      // (da = [dz_i, sum_k dz_f_k, dz_g, dz_o]), so db_ih is db_hh folded the same way.
      e.columnSums(dzAt, G, nodes, G, dbhhAt);
      dbHh = readFloats(w, dbhhAt, G);
      dbIh = foldBlocksByGate(dbHh, N, H, 1);
    }
  }
  return { x: dx, weightIh: dWih, weightHh: dWhh, biasIh: dbIh, biasHh: dbHh };
}
