import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { allocateLike, checkLength, columnSums } from './rnn-sequence-common.js';
import type { FoldLevelSchedule, FoldLevelTables, FoldOfLevelsArgs, FoldOfLevelsGrads } from './tree-fold-levels.js';
import type { WasmKernels } from './wasm-module.js';

// Table inputs of a whole fold (the N-ary and Child-Sum Tree-LSTMs and the recursive network):
// x is a table [rows, I] and node r's input is its row inputRows[r], an embedding lookup left
// to the fold. A batch's words repeat (64 arithmetic trees: 1,042 nodes, 13 distinct words),
// so on wasm a fold multiplies each distinct row by its input weights once,
//
//     P = b + T W^T      T [U, I] the U distinct rows, W [G, I] the input weights, b [G]
//
// and folds from P: each node's pre-activations start from its row of P (the level kernels'
// `biasRows`, with I = 0), so no node multiplies an input. The backward sums each node's
// gradient of those pre-activations into dP (in wasm, one thread, in the fold's
// internal-first table order), then
//
//     dW = dP^T T,   db = sum_rows dP,   dT = dP W   (added into the table's rows)
//
// On the JavaScript path (float64, or no wasm) a fold gathers the rows instead
// (gatherTableRows) and adds its per-node input gradient into the table (scatterTableRows).

/**
 * Checks table inputs: `table` whole rows of `width` (at least 1), one row index per node,
 * each a row of the table.
 *
 * @example
 * ```ts
 * checkTableRows('naryTreeLstmFold', table, 32, rows, nodes); // throws ArgumentError naming the bad row
 * ```
 */
export function checkTableRows(kernel: string, table: TypedArray, width: number, rows: Int32Array, nodes: number): void {
  if (width < 1) throw new ArgumentError(kernel, `table inputs need inputSize at least 1, got ${width}`);
  if (table.length % width !== 0) throw new ArgumentError(kernel, `the inputs table must hold whole rows of ${width}, got ${table.length} values`);
  checkLength(kernel, 'inputRows', rows, nodes);
  const count = table.length / width;
  for (let r = 0; r < nodes; r++) {
    const j = rows[r] as number;
    if (!(j >= 0 && j < count)) throw new ArgumentError(kernel, `inputRows[${r}] is ${j}, outside the table's ${count} rows`);
  }
}

/**
 * The distinct values of `rows` in order of first appearance, and each entry's position among
 * them: rows[r] = distinct[local[r]].
 *
 * @example
 * ```ts
 * distinctValues(Int32Array.from([5, 2, 5])); // { distinct: [5, 2], local: [0, 1, 0] }
 * ```
 */
export function distinctValues(rows: Int32Array): { distinct: Int32Array; local: Int32Array } {
  const seen = new Map<number, number>();
  const local = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const v = rows[r] as number;
    let j = seen.get(v);
    if (j === undefined) {
      j = seen.size;
      seen.set(v, j);
    }
    local[r] = j;
  }
  return { distinct: Int32Array.from(seen.keys()), local };
}

/** A fold's projected table inputs: the distinct rows, each node's index among them, their rows [U, I] and pre-activations P [U, G]. */
export interface TableProjection {
  readonly distinct: Int32Array;
  readonly local: Int32Array;
  readonly inputs: Float32Array;
  readonly gates: Float32Array;
}

/**
 * P = b + T W^T for the distinct rows of `table` [*, I] that `rows` names, with W [G, I] row
 * major and b [G] (see the module comment).
 *
 * @example
 * ```ts
 * const p = projectTableRows(table, 32, rows, weightIh, bias, 4 * H); // p.gates [U, 4H]
 * ```
 */
export function projectTableRows(table: Float32Array, I: number, rows: Int32Array, weights: TypedArray, bias: TypedArray, G: number): TableProjection {
  const { distinct, local } = distinctValues(rows);
  const U = distinct.length;
  const inputs = gatherTableRows(table, I, distinct) as Float32Array;
  const gates = new Float32Array(U * G);
  for (let u = 0; u < U; u++) gates.set(bias, u * G);
  gemm(false, true, U, G, I, 1, inputs, 0, I, weights, 0, I, 1, gates, 0, G);
  return { distinct, local, inputs, gates };
}

/**
 * The projection's backward from dP [U, G]: dW = dP^T T [G, I] and db = sum_rows dP [G] when
 * `weights` is asked, dT = dP W added into a new table gradient [tableLength] when `x` is.
 *
 * @example
 * ```ts
 * const { dW, db, dTable } = projectionBackward(p, dP, weightIh, 4 * H, 32, table.length, { x: true, weights: true });
 * ```
 */
export function projectionBackward(
  p: TableProjection, dP: Float32Array, weights: TypedArray, G: number, I: number, tableLength: number, want: { readonly x: boolean; readonly weights: boolean },
): { dW: Float32Array | null; db: Float32Array | null; dTable: Float32Array | null } {
  const U = p.distinct.length;
  let dW: Float32Array | null = null, db: Float32Array | null = null, dTable: Float32Array | null = null;
  if (want.weights) {
    dW = new Float32Array(G * I);
    gemm(true, false, G, I, U, 1, dP, 0, G, p.inputs, 0, I, 0, dW, 0, I);
    db = new Float32Array(G);
    columnSums(dP, 0, G, U, G, db);
  }
  if (want.x) {
    const dT = new Float32Array(U * I);
    gemm(false, false, U, I, G, 1, dP, 0, G, weights, 0, I, 0, dT, 0, I);
    dTable = new Float32Array(tableLength);
    for (let u = 0; u < U; u++) dTable.set(dT.subarray(u * I, (u + 1) * I), (p.distinct[u] as number) * I);
  }
  return { dW, db, dTable };
}

/**
 * The gradients of a fold of table inputs on wasm whose input weights W_ih [G, I] are the
 * projection's own (the Child-Sum Tree-LSTM, the recursive network), from its fold of projected
 * inputs' gradients `g` (g.x = dP): the table's and W_ih's through {@link projectionBackward},
 * W_hh's as they are, and db_ih = db_hh = sum_rows dP (both biases are added into every row).
 *
 * @example
 * ```ts
 * return projectedFoldGradients(a, tape.projection.projection, g, 4 * H, want);
 * ```
 */
export function projectedFoldGradients(a: FoldOfLevelsArgs, p: TableProjection, g: FoldOfLevelsGrads, G: number, want: { readonly x: boolean; readonly weights: boolean }): FoldOfLevelsGrads {
  const { dW, db, dTable } = projectionBackward(p, g.x as Float32Array, a.weightIh, G, a.inputSize, a.x.length, want);
  const bias = a.biasIh !== null && a.biasHh !== null && db !== null;
  return { x: dTable, weightIh: dW, weightHh: g.weightHh, biasIh: bias ? db : null, biasHh: bias ? db.slice() : null };
}

/**
 * dP [U, G] from a fold's internal-first table of per-node gradients at `srcAt` (G wide: level
 * l's internal rows from row t0[l], its leaves from u0[l]): each row added into row local[r]
 * of its node r, on one thread in table order (the same bits whatever the thread count). Uses
 * `scratchAt` for the i32 row index (nodes entries) and `dstAt` for dP.
 *
 * @example
 * ```ts
 * const dP = tableGradientInWasm(w, a.levels, lt, p.local, dzAt, G, idxAt, dPAt, U);
 * ```
 */
export function tableGradientInWasm(
  w: WasmKernels, levels: readonly FoldLevelSchedule[], lt: Pick<FoldLevelTables, 't0' | 'u0'>, local: Int32Array, srcAt: number, G: number,
  scratchAt: number, dstAt: number, U: number,
): Float32Array {
  const nodes = local.length;
  const index = w.i32.subarray(scratchAt >> 2, (scratchAt >> 2) + nodes);
  for (const [l, lv] of levels.entries()) {
    const m = lv.internal, t = lt.t0[l] as number, u = lt.u0[l] as number;
    for (let i = 0; i < m; i++) index[t + i] = local[lv.start + i] as number;
    for (let j = 0; j < lv.count - m; j++) index[u + j] = local[lv.start + m + j] as number;
  }
  w.f32.fill(0, dstAt >> 2, (dstAt >> 2) + U * G);
  w.exports.scatterAddChildRows(nodes, G, 1, scratchAt, -1, srcAt, G, 0, dstAt);
  const dP = new Float32Array(U * G);
  w.read(dstAt, U * G, dP);
  return dP;
}

/**
 * Every node's row of `table` [*, I], in node order: x [rows.length, I] (the JavaScript path).
 *
 * @example
 * ```ts
 * const x = gatherTableRows(table, 32, rows); // then the fold of x
 * ```
 */
export function gatherTableRows(table: TypedArray, I: number, rows: Int32Array): TypedArray {
  const x = allocateLike(table, rows.length * I);
  for (let r = 0; r < rows.length; r++) x.set(table.subarray((rows[r] as number) * I, ((rows[r] as number) + 1) * I), r * I);
  return x;
}

/**
 * The adjoint of {@link gatherTableRows}: every node's dx [rows.length, I] added into its row of
 * a new table gradient [tableLength], nodes in order.
 *
 * @example
 * ```ts
 * const dTable = scatterTableRows(dx, 32, rows, table.length);
 * ```
 */
export function scatterTableRows(dx: TypedArray, I: number, rows: Int32Array, tableLength: number): TypedArray {
  const out = allocateLike(dx, tableLength);
  for (let r = 0; r < rows.length; r++) {
    const to = (rows[r] as number) * I;
    for (let q = 0; q < I; q++) out[to + q] = (out[to + q] as number) + (dx[r * I + q] as number);
  }
  return out;
}

/** A fold's arguments in the wasm kernels' form of projected inputs (see {@link projectFold}). */
export type ProjectedFoldArgs<A extends FoldOfLevelsArgs> = A & { readonly gateRows: Int32Array };

/** What a fold of table inputs on wasm keeps for its backward: the fold of projected inputs it ran, and the projection. */
export interface ProjectedFold<A extends FoldOfLevelsArgs> {
  readonly args: ProjectedFoldArgs<A>;
  readonly projection: TableProjection;
}

const NO_WEIGHTS = new Float32Array(0);

/**
 * Table inputs projected for a wasm fold: P = b + T W^T of the distinct rows ({@link
 * projectTableRows}), and the fold's arguments that start each node from its row of P: x the
 * table P [U, G], `gateRows` each node's row, inputSize 0, weightIh empty, no biases.
 *
 * @example
 * ```ts
 * const { args, projection } = projectFold(a, a.inputRows, a.weightIh, bias, 4 * H);
 * childSumFoldForwardWasm(w, args, tape, out);
 * ```
 */
export function projectFold<A extends FoldOfLevelsArgs>(a: A, rows: Int32Array, weights: TypedArray, bias: TypedArray, G: number): ProjectedFold<A> {
  const projection = projectTableRows(a.x as Float32Array, a.inputSize, rows, weights, bias, G);
  const args = { ...a, inputSize: 0, x: projection.gates, weightIh: NO_WEIGHTS, biasIh: null, biasHh: null, inputRows: undefined, gateRows: projection.local };
  return { args, projection };
}

/**
 * Table inputs on the JavaScript path: the same arguments with every node's row gathered as
 * its x ({@link gatherTableRows}); the arguments themselves without table inputs.
 *
 * @example
 * ```ts
 * foldLevelsForward(kernel, gatheredFold(a), tape.parts, out);
 * ```
 */
export function gatheredFold<A extends FoldOfLevelsArgs>(a: A): A {
  return a.inputRows === undefined ? a : { ...a, x: gatherTableRows(a.x, a.inputSize, a.inputRows), inputRows: undefined };
}

/**
 * The gradients of a fold of table inputs from those of its gathered fold: dx added into the
 * table's rows ({@link scatterTableRows}); the others as they are.
 *
 * @example
 * ```ts
 * return tableGradients(a, backwardOf(gatheredFold(a)));
 * ```
 */
export function tableGradients(a: FoldOfLevelsArgs, g: FoldOfLevelsGrads): FoldOfLevelsGrads {
  return a.inputRows === undefined || g.x === null ? g : { ...g, x: scatterTableRows(g.x, a.inputSize, a.inputRows, a.x.length) };
}

/**
 * The floats of a wasm fold's z starts and their row index, for its scratch layout: the one
 * bias row [G] and no index, or for projected inputs (`gateRows`) the table x and one i32 per node.
 *
 * @example
 * ```ts
 * const sizes = [...foldStartSizes(a, G), lt.maxInternal * K];
 * ```
 */
export function foldStartSizes(a: FoldOfLevelsArgs & { readonly gateRows?: Int32Array | undefined }, G: number): [number, number] {
  return a.gateRows === undefined ? [G, 0] : [a.x.length, a.gateRows.length];
}

/**
 * Writes where a wasm fold's level jobs start z from, and its inputs: the one bias row at
 * `biasAt` and x at `xAt`, or for projected inputs (`gateRows`) the table x at `biasAt` and
 * the row index at `rowsAt` (and no x). Returns the jobs' `biasRows` argument: 0 for the one
 * bias row, else `rowsAt`.
 *
 * @example
 * ```ts
 * const biasRows = writeFoldStarts(w, a, () => combinedBias(a.biasIh, a.biasHh, new Float32Array(H)), biasAt, kept.x, rowsAt);
 * ```
 */
export function writeFoldStarts(
  w: WasmKernels, a: FoldOfLevelsArgs & { readonly gateRows?: Int32Array | undefined }, bias: () => TypedArray, biasAt: number, xAt: number, rowsAt: number,
): number {
  if (a.gateRows === undefined) {
    w.write(biasAt, bias());
    w.write(xAt, a.x);
    return 0;
  }
  w.write(biasAt, a.x);
  w.i32.set(a.gateRows, rowsAt >> 2);
  return rowsAt;
}
