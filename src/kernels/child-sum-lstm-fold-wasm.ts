import { sgemmAt } from './gemm-wasm.js';
import { backwardFromTape, forwardIntoTape, type ResidentBlock, type ResidentTape } from './fold-tapes.js';
import { arrayId, residentCopy } from './resident.js';
import { foldStartSizes, tableGradientInWasm, writeFoldStarts } from './fold-table-inputs.js';
import { combinedBias } from './rnn-sequence-common.js';
import { partsFor, rowsOf, runParts, threadScratch } from './threads.js';
import {
  LEVEL_PARALLEL_MIN_MACS, foldLevelTables, writeChildIndices, type FoldLevelTables, type FoldOfLevelsArgs, type FoldOfLevelsGrads, type FoldWanted,
  type SlottedFoldLevelSchedule,
} from './tree-fold-levels.js';
import { layout, layoutBytes, readFloats } from './tree-lstm.js';
import type { WasmKernels } from './wasm-module.js';

// The whole Child-Sum Tree-LSTM fold on wasm memory (float32), as kernels/tree-lstm-fold.ts
// runs the N-ary one: the weights written and packed once per pass, every level one kernel
// job (assembly/tree.ts's childSumFoldLevelForward/Backward) split by rows over the kernel
// threads, the children's states gathered and their gradients scattered inside wasm memory,
// the tape (x, the states, the activated gates and forget gates, tanh c, h~ and the child
// indices) kept in wasm memory for the backward (kernels/fold-tapes.ts), and the weight
// gradients deferred to one product each over all levels. Each level's arithmetic is
// kernels/child-sum-lstm.ts's, product for product, so the states equal the level kernel's to
// rounding (bitwise but where its gemm() takes sgemv for a one-row part, which sums in another
// order).

/**
 * A whole fold's arguments, as kernels/child-sum-lstm-fold.ts takes them, or its fold of
 * projected inputs: with `gateRows`, x is a table [rows, 4H] of a's pre-activations with the
 * biases in (b + x W_ih^T of each distinct input, kernels/fold-table-inputs.ts), node r
 * starting from row gateRows[r]; inputSize 0, weightIh empty, no biases. Its x gradient is
 * then the table's [rows, 4H], each row the sum of its nodes' da.
 */
export interface ChildSumFoldArgs extends FoldOfLevelsArgs {
  readonly levels: readonly SlottedFoldLevelSchedule[];
  readonly gateRows?: Int32Array;
}

/** A forward's tape in wasm memory: the block and where its tables start (byte addresses). */
export interface ResidentChildSumFold extends ResidentBlock {
  readonly x: number;
  readonly states: number;
  readonly gates: number;
  readonly tanhC: number;
  /** The activated forget gate of every child slot [slots, H]. */
  readonly forget: number;
  /** h~ of every internal row [internal, H], internal-first. */
  readonly childSum: number;
  /** The child indices of every level, concatenated (i32, one per slot). */
  readonly idx: number;
}

/** What the wasm forward keeps: its block in wasm memory (null once released or evicted). */
export interface ChildSumFoldWasmTape extends ResidentTape {
  resident: ResidentChildSumFold | null;
}

/** The fold's level tables (kernels/tree-fold-levels.ts), level l with its own slots. */
function levelTables(a: ChildSumFoldArgs): FoldLevelTables {
  return foldLevelTables(a.levels, (l) => (a.levels[l] as SlottedFoldLevelSchedule).slots);
}

/**
 * How many parts (kernel threads) each level of a fold splits into, bottom level first: a
 * level's rows are independent, so a part runs the level's whole chain on its share of the
 * internal rows and of the leaves, each part at least 8 rows, and one part for a level under
 * 2^20 multiply-adds. Each pass asks again; the results do not depend on the split.
 *
 * @example
 * ```ts
 * childSumFoldLevelParts({ inputSize: 32, hiddenSize: 128, levels: plan.levels }); // e.g. [2, 2, 2, 1] with two threads
 * ```
 */
export function childSumFoldLevelParts(a: Pick<ChildSumFoldArgs, 'inputSize' | 'hiddenSize' | 'levels'>): number[] {
  const { inputSize: I, hiddenSize: H } = a;
  const G = 4 * H;
  return a.levels.map((lv) => {
    const leaves = lv.count - lv.internal;
    const macs = lv.internal * (G * I + lv.slots * H * H + 3 * H * H) + leaves * G * I;
    return partsFor(lv.count, macs, LEVEL_PARALLEL_MIN_MACS);
  });
}

/**
 * The arguments both level jobs start with, for part p of level l's `parts`: the part's
 * internal rows and leaves, the sizes, the level's rows and the level below's, its first slot
 * row and internal-first row (and, for the backward, its leaves' first), its child indices
 * (the table at idxAt).
 */
function levelJobArgs(a: ChildSumFoldArgs, lt: FoldLevelTables, idxAt: number, l: number, parts: number, p: number, backward: boolean): number[] {
  const lv = a.levels[l] as SlottedFoldLevelSchedule;
  const below = l > 0 ? (a.levels[l - 1] as SlottedFoldLevelSchedule) : null;
  const m = lv.internal, slot0 = lt.slot0[l] as number;
  return [
    ...rowsOf(m, parts, p), ...rowsOf(lv.count - m, parts, p), a.hiddenSize, lv.slots, a.inputSize, a.nodes, lv.start, lv.start + m,
    below?.start ?? 0, below?.count ?? 0, slot0, lt.t0[l] as number, ...(backward ? [lt.u0[l] as number] : []), idxAt + 4 * slot0,
  ];
}

/**
 * Forward on wasm memory, writing every node's h, then c, into out [2, nodes, H]: W_ih^T,
 * U_i^T, U_f^T and U_{g,o}^T packed once (U = W_hh's row blocks), the biases summed, x and the
 * child indices written once; per level one childSumFoldLevelForward job split by rows over
 * the kernel threads. The states are read out once at the end; the tape stays in wasm memory.
 *
 * @example
 * ```ts
 * childSumFoldForwardWasm(w, args, tape, out);
 * ```
 */
export function childSumFoldForwardWasm(w: WasmKernels, a: ChildSumFoldArgs, tape: ChildSumFoldWasmTape, out: Float32Array): void {
  const { nodes, inputSize: I, hiddenSize: H } = a;
  const G = 4 * H;
  const lt = levelTables(a);
  const kept = [nodes * I, 2 * nodes * H, nodes * G, nodes * H, lt.slots * H, lt.internal * H, lt.slots];
  forwardIntoTape(
    w, tape, kept,
    ([x, states, gates, tanhC, forget, childSum, idx], at, bytes) => ({ at, bytes, x, states, gates, tanhC, forget, childSum, idx }) as ResidentChildSumFold,
    (resident) => forwardInto(w, a, lt, resident, out),
  );
}

function forwardInto(w: WasmKernels, a: ChildSumFoldArgs, lt: FoldLevelTables, kept: ResidentChildSumFold, out: Float32Array): void {
  const { nodes, hiddenSize: H } = a;
  const G = 4 * H;
  // Packed once per call, or once per withResidentWeights scope (inference: many calls, the
  // same weights), kept under weightHh with weightIh's identity in the variant.
  const packed = packedForwardSizes(w, a);
  const resident = residentCopy(a.weightHh, `childSumFold:${arrayId(a.weightIh)}:${a.inputSize}`, layoutBytes(packed) / 4, (at) => packForwardWeights(w, a, at));
  const sizes = [...foldStartSizes(a, G), lt.maxSlots * H, lt.maxSlots * H, resident === null ? layoutBytes(packed) / 4 : 0];
  const [biasAt, rowsAt, chsAt, ccAt, scratchPacked] = layout(w.scratch('childSumFold', layoutBytes(sizes)), sizes) as [number, number, number, number, number];
  const packedAt = resident ?? scratchPacked;
  if (resident === null) packForwardWeights(w, a, packedAt);
  const [pWih, pUi, pUf, pUgo] = layout(packedAt, packed) as [number, number, number, number];
  // Projected inputs: the table of a's starts instead of the bias, and no x.
  const biasRows = writeFoldStarts(w, a, () => combinedBias(a.biasIh, a.biasHh, new Float32Array(G)), biasAt, kept.x, rowsAt);
  writeChildIndices(w, kept.idx, a.levels, (l) => (a.levels[l] as SlottedFoldLevelSchedule).slots);
  const split = childSumFoldLevelParts(a);
  for (let l = 0; l < a.levels.length; l++) {
    runParts('childSumFoldLevelForward', split[l] as number, (p) => {
      const s = threadScratch(p);
      return [
        ...levelJobArgs(a, lt, kept.idx, l, split[l] as number, p, false), kept.x, biasAt, biasRows, pWih, pUi, pUf, pUgo,
        kept.gates, kept.tanhC, kept.states, kept.forget, kept.childSum, chsAt, ccAt, s.packA, s.tile,
      ];
    });
  }
  w.read(kept.states, 2 * nodes * H, out);
}

/** Floats of the forward's packed weights: W_ih^T [I, 4H], U_i^T, U_f^T [H, H], U_{g,o}^T [H, 2H]. */
function packedForwardSizes(w: WasmKernels, a: ChildSumFoldArgs): number[] {
  const { inputSize: I, hiddenSize: H } = a;
  const e = w.exports;
  return [e.packedBBytes(I, 4 * H) / 4, e.packedBBytes(H, H) / 4, e.packedBBytes(H, H) / 4, e.packedBBytes(H, 2 * H) / 4];
}

/** Packs the forward's weights ({@link packedForwardSizes}, laid out from `at`), from W_ih and W_hh copied into a scratch of their own. */
function packForwardWeights(w: WasmKernels, a: ChildSumFoldArgs, at: number): void {
  const { inputSize: I, hiddenSize: H } = a;
  const G = 4 * H;
  const e = w.exports;
  const [wihAt, whhAt] = layout(w.scratch('childSumFoldWeights', layoutBytes([G * I, G * H])), [G * I, G * H]) as [number, number];
  w.write(wihAt, a.weightIh);
  w.write(whhAt, a.weightHh);
  const [pWih, pUi, pUf, pUgo] = layout(at, packedForwardSizes(w, a)) as [number, number, number, number];
  // op(B) = W_ih^T [I, G]; U_i^T, U_f^T [H, H] and U_{g,o}^T [H, 2H] from W_hh's row blocks.
  if (I > 0) e.packB(1, I, G, wihAt, I, pWih);
  e.packB(1, H, H, whhAt, H, pUi);
  e.packB(1, H, H, whhAt + 4 * H * H, H, pUf);
  e.packB(1, H, 2 * H, whhAt + 8 * H * H, H, pUgo);
}

/**
 * Backward on wasm memory from dy [2, nodes, H], given the forward's tape (recomputed first if
 * it was evicted), which it frees: W_hh, U_f and W_ih packed once; from the top level down, one
 * childSumFoldLevelBackward job per level split by rows over the kernel threads (the gates
 * pass into da and dz_f, the children's gradients d h_k = dz W_hh + dz_f,k U_f and d c_k
 * scattered into their rows, dx = da W_ih by node row, x and the children's h into the
 * deferred tables); then, over all levels,
 *
 *     dW_ih = da^T x,   dW_hh[i] = da[i]^T h~,   dW_hh[g, o] = da[g, o]^T h~,   dW_hh[f] = dz_f^T [h_k],   db = sum_rows da
 *
 * @example
 * ```ts
 * const g = childSumFoldBackwardWasm(w, args, tape, dy, { x: true, weights: true });
 * ```
 */
export function childSumFoldBackwardWasm(
  w: WasmKernels, a: ChildSumFoldArgs, tape: ChildSumFoldWasmTape, dy: Float32Array, want: FoldWanted,
): FoldOfLevelsGrads {
  return backwardFromTape(w, tape, () => childSumFoldForwardWasm(w, a, tape, new Float32Array(2 * a.nodes * a.hiddenSize)), (kept) => backwardResident(w, a, kept, dy, want));
}

function backwardResident(
  w: WasmKernels, a: ChildSumFoldArgs, kept: ResidentChildSumFold, dy: Float32Array, want: FoldWanted,
): FoldOfLevelsGrads {
  const { nodes, inputSize: I, hiddenSize: H } = a;
  const G = 4 * H;
  const lt = levelTables(a);
  const T = lt.internal, R = lt.slots;
  const e = w.exports;
  const weights = want.weights;
  // Projected inputs: the x gradient is the table's (each row the sum of its nodes' da rows).
  const rows = a.gateRows;
  const dxPerRow = want.x && rows === undefined;
  const sizes = [
    2 * nodes * H, nodes * G, R * H, !want.x ? 0 : rows === undefined ? nodes * I : a.x.length, weights ? nodes * I : 0, weights ? R * H : 0,
    lt.maxInternal * G, lt.maxInternal * H, lt.maxSlots * H, lt.maxSlots * H, lt.maxSlots * H,
    G * H, G * I, e.packedBBytes(G, H) / 4, e.packedBBytes(H, H) / 4, I > 0 ? e.packedBBytes(G, I) / 4 : 0,
    weights ? G * I : 0, weights ? G * H : 0, weights ? G : 0, want.x ? rows?.length ?? 0 : 0,
  ];
  const [dsAt, daAt, dzfAt, dxAt, xTabAt, chTabAt, dzAt, dSumAt, dchAt, ccAt, dccAt, whhAt, wihAt, pWhh, pUf, pWih, dWihAt, dWhhAt, dbAt, rowsAt] =
    layout(w.scratch('childSumFold', layoutBytes(sizes)), sizes) as number[] as [
      number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
      number,
    ];
  w.write(whhAt, a.weightHh);
  w.write(wihAt, a.weightIh);
  // op(B) = W_hh [4H, H] (d h~ = dz W_hh), U_f [H, H] (its f rows) and W_ih [4H, I], as stored.
  if (T > 0) {
    e.packB(0, G, H, whhAt, H, pWhh);
    e.packB(0, H, H, whhAt + 4 * H * H, H, pUf);
  }
  if (dxPerRow) e.packB(0, G, I, wihAt, I, pWih);
  w.write(dsAt, dy);
  const split = childSumFoldLevelParts(a);
  for (let l = a.levels.length - 1; l >= 0; l--) {
    runParts('childSumFoldLevelBackward', split[l] as number, (p) => {
      const s = threadScratch(p);
      return [
        ...levelJobArgs(a, lt, kept.idx, l, split[l] as number, p, true), kept.x, kept.states, kept.gates, kept.tanhC, kept.forget, dsAt,
        daAt, dzfAt, dxPerRow ? dxAt : 0, weights ? xTabAt : 0, chTabAt, dzAt, dSumAt, dchAt, ccAt, dccAt, pWhh, pUf, pWih, s.packA, s.tile,
      ];
    });
  }
  let dx: Float32Array | null = dxPerRow ? readFloats(w, dxAt, nodes * I) : null;
  if (want.x && rows !== undefined) dx = tableGradientInWasm(w, a.levels, lt, rows, daAt, G, rowsAt, dxAt, a.x.length / G);
  if (!weights) return { x: dx, weightIh: null, weightHh: null, biasIh: null, biasHh: null };
  if (I > 0) sgemmAt(true, false, G, I, nodes, 1, daAt, G, xTabAt, I, 0, dWihAt, I);
  if (T > 0) {
    // W_hh's i, g and o rows see h~ (da's columns of those blocks are dz's); its f rows each child.
    sgemmAt(true, false, H, H, T, 1, daAt, G, kept.childSum, H, 0, dWhhAt, H);
    sgemmAt(true, false, 2 * H, H, T, 1, daAt + 8 * H, G, kept.childSum, H, 0, dWhhAt + 8 * H * H, H);
    sgemmAt(true, false, H, H, R, 1, dzfAt, H, chTabAt, H, 0, dWhhAt + 4 * H * H, H);
  } else {
    w.f32.fill(0, dWhhAt >> 2, (dWhhAt >> 2) + G * H);
  }
  let dbIh: Float32Array | null = null, dbHh: Float32Array | null = null;
  if (a.biasIh !== null && a.biasHh !== null) {
    e.columnSums(daAt, G, nodes, G, dbAt);
    dbIh = readFloats(w, dbAt, G);
    dbHh = dbIh.slice();
  }
  return { x: dx, weightIh: I > 0 ? readFloats(w, dWihAt, G * I) : null, weightHh: readFloats(w, dWhhAt, G * H), biasIh: dbIh, biasHh: dbHh };
}
