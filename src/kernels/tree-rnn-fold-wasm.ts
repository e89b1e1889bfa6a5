import { sgemmAt } from './gemm-wasm.js';
import { backwardFromTape, forwardIntoTape, type ResidentBlock, type ResidentTape } from './fold-tapes.js';
import { arrayId, residentCopy } from './resident.js';
import { foldStartSizes, tableGradientInWasm, writeFoldStarts } from './fold-table-inputs.js';
import { combinedBias } from './rnn-sequence-common.js';
import { partsFor, rowsOf, runParts, threadScratch } from './threads.js';
import {
  LEVEL_PARALLEL_MIN_MACS, foldLevelTables, writeChildIndices, type FoldLevelSchedule, type FoldLevelTables, type FoldOfLevelsArgs, type FoldOfLevelsGrads,
  type FoldWanted,
} from './tree-fold-levels.js';
import { layout, layoutBytes, readFloats, writeSideBySide } from './tree-lstm.js';
import type { WasmKernels } from './wasm-module.js';

// The whole fold of the classic recursive network on wasm memory (float32), as the N-ary and
// Child-Sum Tree-LSTM folds run (kernels/tree-lstm-fold.ts, kernels/child-sum-lstm-fold-wasm.ts):
// [W_ih | W_hh] joined and packed once per pass (once per withResidentWeights scope), every
// level one kernel job each way (assembly/tree.ts's treeRnnFoldLevelForward/Backward) split by
// rows over the kernel threads, the children's h gathered and their gradients scattered inside
// wasm memory, the tape (x, every h, the child indices) kept in wasm memory for the backward
// (kernels/fold-tapes.ts), and the weight gradients deferred to one product each over all
// levels. Each internal row's input and children's products are one product,
//
//     h = tanh(b + [x | h_1..h_N] [W_ih | W_hh]^T),   leaves h = tanh(b + x W_ih^T)
//
// with the SIMD tanh of the fused kernels, so the values agree with the by-level graph (Math.tanh,
// two products) to rounding, not bit for bit.

/**
 * A whole fold's arguments, as kernels/tree-rnn-fold.ts takes them, or its fold of projected
 * inputs: with `gateRows`, x is a table [rows, H] of pre-activations with the biases in
 * (b + x W_ih^T of each distinct input, kernels/fold-table-inputs.ts), node r starting from
 * row gateRows[r]; inputSize 0, weightIh empty, no biases. Its x gradient is then the table's
 * [rows, H], each row the sum of its nodes' dz.
 */
interface TreeRnnFoldArgs extends FoldOfLevelsArgs {
  readonly arity: number;
  readonly gateRows?: Int32Array;
}

/** A forward's tape in wasm memory: the block and where its tables start (byte addresses). */
export interface ResidentTreeRnnFold extends ResidentBlock {
  readonly x: number;
  /** h of every node [nodes, H], plan order. */
  readonly states: number;
  /** The child indices of every level, concatenated (i32, N per internal row). */
  readonly idx: number;
}

/** What the wasm forward keeps: its block in wasm memory (null once released or evicted). */
export interface TreeRnnFoldWasmTape extends ResidentTape {
  resident: ResidentTreeRnnFold | null;
}

/**
 * How many parts (kernel threads) each level of a fold splits into, bottom level first: each
 * part at least 8 rows, and one part for a level under 2^20 multiply-adds. The results do not
 * depend on the split.
 *
 * @example
 * ```ts
 * treeRnnFoldLevelParts({ inputSize: 32, hiddenSize: 128, arity: 2, levels: plan.levels }); // e.g. [2, 2, 1] with two threads
 * ```
 */
export function treeRnnFoldLevelParts(a: Pick<TreeRnnFoldArgs, 'inputSize' | 'hiddenSize' | 'arity' | 'levels'>): number[] {
  const { inputSize: I, hiddenSize: H, arity: N } = a;
  return a.levels.map((lv) => partsFor(lv.count, lv.internal * H * (I + N * H) + (lv.count - lv.internal) * H * I, LEVEL_PARALLEL_MIN_MACS));
}

/** The arguments both level jobs start with, for part p of level l's `parts`. */
function levelJobArgs(a: TreeRnnFoldArgs, l: number, parts: number, p: number): number[] {
  const lv = a.levels[l] as FoldLevelSchedule;
  const below = l > 0 ? (a.levels[l - 1] as FoldLevelSchedule) : null;
  const m = lv.internal;
  return [
    ...rowsOf(m, parts, p), ...rowsOf(lv.count - m, parts, p), a.hiddenSize, a.arity, a.inputSize, lv.start, lv.start + m,
    below?.start ?? 0, below?.count ?? 0,
  ];
}

/**
 * Forward on wasm memory, writing every node's h into out [nodes, H]: [W_ih | W_hh]^T and
 * W_ih^T packed once, the biases summed, x and the child indices written once; per level one
 * treeRnnFoldLevelForward job split by rows over the kernel threads. The states are read out
 * once at the end; the tape stays in wasm memory.
 *
 * @example
 * ```ts
 * treeRnnFoldForwardWasm(w, args, tape, out);
 * ```
 */
export function treeRnnFoldForwardWasm(w: WasmKernels, a: TreeRnnFoldArgs, tape: TreeRnnFoldWasmTape, out: Float32Array): void {
  const { nodes, inputSize: I, hiddenSize: H, arity: N } = a;
  const lt = foldLevelTables(a.levels, () => a.arity);
  const kept = [nodes * I, nodes * H, lt.internal * N];
  forwardIntoTape(w, tape, kept, ([x, states, idx], at, bytes) => ({ at, bytes, x, states, idx }) as ResidentTreeRnnFold, (resident) => forwardInto(w, a, lt, resident, out));
}

function forwardInto(w: WasmKernels, a: TreeRnnFoldArgs, lt: FoldLevelTables, kept: ResidentTreeRnnFold, out: Float32Array): void {
  const { nodes, inputSize: I, hiddenSize: H, arity: N } = a;
  const K = I + N * H;
  const e = w.exports;
  // [W_ih | W_hh]^T for the internal rows and W_ih^T for the leaves: packed once per call, or
  // once per withResidentWeights scope, kept under weightHh with weightIh's identity in the variant.
  const packed = [e.packedBBytes(K, H) / 4, e.packedBBytes(I, H) / 4];
  const resident = residentCopy(a.weightHh, `treeRnnFold:${arrayId(a.weightIh)}:${I}`, layoutBytes(packed) / 4, (at) => packForwardWeights(w, a, at, packed));
  const sizes = [...foldStartSizes(a, H), lt.maxInternal * K, resident === null ? layoutBytes(packed) / 4 : 0];
  const [biasAt, rowsAt, inAt, scratchPacked] = layout(w.scratch('treeRnnFold', layoutBytes(sizes)), sizes) as [number, number, number, number];
  const packedAt = resident ?? scratchPacked;
  if (resident === null) packForwardWeights(w, a, packedAt, packed);
  const [pW, pWx] = layout(packedAt, packed) as [number, number];
  // Projected inputs: the table of z's starts instead of the bias, and no x.
  const biasRows = writeFoldStarts(w, a, () => combinedBias(a.biasIh, a.biasHh, new Float32Array(H)), biasAt, kept.x, rowsAt);
  writeChildIndices(w, kept.idx, a.levels, () => N);
  const split = treeRnnFoldLevelParts(a);
  for (let l = 0; l < a.levels.length; l++) {
    const idx = kept.idx + 4 * (lt.slot0[l] as number);
    runParts('treeRnnFoldLevelForward', split[l] as number, (p) => {
      const s = threadScratch(p);
      return [...levelJobArgs(a, l, split[l] as number, p), idx, kept.x, biasAt, biasRows, pW, pWx, kept.states, inAt, s.packA, s.tile];
    });
  }
  w.read(kept.states, nodes * H, out);
}

/** Packs [W_ih | W_hh]^T [I + N H, H] and W_ih^T [I, H] at `at` (laid out by `sizes`), from the joined weights in a scratch of their own. */
function packForwardWeights(w: WasmKernels, a: TreeRnnFoldArgs, at: number, sizes: readonly number[]): void {
  const { inputSize: I, hiddenSize: H, arity: N } = a;
  const K = I + N * H;
  const joined = w.scratch('treeRnnFoldWeights', 4 * H * K);
  writeSideBySide(w, joined, H, a.weightIh, I, a.weightHh, N * H);
  const [pW, pWx] = layout(at, sizes) as [number, number];
  w.exports.packB(1, K, H, joined, K, pW);
  if (I > 0) w.exports.packB(1, I, H, joined, K, pWx);
}

/**
 * Backward on wasm memory from dy [nodes, H], given the forward's tape (recomputed first if it
 * was evicted), which it frees: [W_ih | W_hh] and W_ih packed once; from the top level down,
 * one treeRnnFoldLevelBackward job per level split by rows over the kernel threads
 * (dz = dh (1 - h^2), [dx | d h_1..d h_N] = dz [W_ih | W_hh] with d h_k scattered into the
 * children's rows, x and the children's h into the deferred tables); then, over all levels,
 *
 *     dW_ih = dz^T x,   dW_hh = dz_internal^T [h_1..h_N],   db_ih = db_hh = sum_rows dz
 *
 * @example
 * ```ts
 * const g = treeRnnFoldBackwardWasm(w, args, tape, dy, { x: true, weights: true });
 * ```
 */
export function treeRnnFoldBackwardWasm(
  w: WasmKernels, a: TreeRnnFoldArgs, tape: TreeRnnFoldWasmTape, dy: Float32Array, want: FoldWanted,
): FoldOfLevelsGrads {
  return backwardFromTape(w, tape, () => treeRnnFoldForwardWasm(w, a, tape, new Float32Array(a.nodes * a.hiddenSize)), (kept) => backwardResident(w, a, kept, dy, want));
}

function backwardResident(
  w: WasmKernels, a: TreeRnnFoldArgs, kept: ResidentTreeRnnFold, dy: Float32Array, want: FoldWanted,
): FoldOfLevelsGrads {
  const { nodes, inputSize: I, hiddenSize: H, arity: N } = a;
  const NH = N * H, K = I + NH;
  const lt = foldLevelTables(a.levels, () => a.arity);
  const T = lt.internal;
  const e = w.exports;
  const weights = want.weights;
  // Projected inputs: the x gradient is the table's (each row the sum of its nodes' dz rows).
  const rows = a.gateRows;
  const dxPerRow = want.x && rows === undefined;
  const sizes = [
    nodes * H, nodes * H, !want.x ? 0 : rows === undefined ? nodes * I : a.x.length, weights ? nodes * I : 0, weights ? T * NH : 0, lt.maxInternal * K, H * K,
    e.packedBBytes(H, K) / 4, I > 0 ? e.packedBBytes(H, I) / 4 : 0, weights ? H * I : 0, weights ? H * NH : 0, weights ? H : 0, want.x ? rows?.length ?? 0 : 0,
  ];
  const [dsAt, dzAt, dxAt, xTabAt, hTabAt, dInAt, joinedAt, pW, pWx, dWihAt, dWhhAt, dbAt, rowsAt] = layout(w.scratch('treeRnnFold', layoutBytes(sizes)), sizes) as [
    number, number, number, number, number, number, number, number, number, number, number, number, number,
  ];
  writeSideBySide(w, joinedAt, H, a.weightIh, I, a.weightHh, NH);
  // op(B) = [W_ih | W_hh] [H, K] for the internal rows' [dx | d h_k], W_ih (its first I columns) for the leaves' dx.
  if (T > 0) e.packB(0, H, K, joinedAt, K, pW);
  if (dxPerRow) e.packB(0, H, I, joinedAt, K, pWx);
  w.write(dsAt, dy);
  const split = treeRnnFoldLevelParts(a);
  for (let l = a.levels.length - 1; l >= 0; l--) {
    const idx = kept.idx + 4 * (lt.slot0[l] as number);
    runParts('treeRnnFoldLevelBackward', split[l] as number, (p) => {
      const s = threadScratch(p);
      return [
        ...levelJobArgs(a, l, split[l] as number, p), idx, kept.x, kept.states, dsAt, dzAt, lt.t0[l] as number, lt.u0[l] as number,
        dxPerRow ? dxAt : 0, weights ? xTabAt : 0, hTabAt, dInAt, pW, pWx, s.packA, s.tile,
      ];
    });
  }
  let dx: Float32Array | null = dxPerRow ? readFloats(w, dxAt, nodes * I) : null;
  if (want.x && rows !== undefined) dx = tableGradientInWasm(w, a.levels, lt, rows, dzAt, H, rowsAt, dxAt, a.x.length / H);
  if (!weights) return { x: dx, weightIh: null, weightHh: null, biasIh: null, biasHh: null };
  if (I > 0) sgemmAt(true, false, H, I, nodes, 1, dzAt, H, xTabAt, I, 0, dWihAt, I);
  if (T > 0) sgemmAt(true, false, H, NH, T, 1, dzAt, H, hTabAt, NH, 0, dWhhAt, NH);
  else w.f32.fill(0, dWhhAt >> 2, (dWhhAt >> 2) + H * NH);
  let dbIh: Float32Array | null = null, dbHh: Float32Array | null = null;
  if (a.biasIh !== null && a.biasHh !== null) {
    e.columnSums(dzAt, H, nodes, H, dbAt);
    dbIh = readFloats(w, dbAt, H);
    dbHh = dbIh.slice();
  }
  return { x: dx, weightIh: I > 0 ? readFloats(w, dWihAt, H * I) : null, weightHh: readFloats(w, dWhhAt, H * NH), biasIh: dbIh, biasHh: dbHh };
}
