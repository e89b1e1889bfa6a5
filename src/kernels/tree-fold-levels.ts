import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { Workspace, allocateLike } from './rnn-sequence-common.js';
import type { TreeLstmLevelArgs } from './tree-lstm-gates.js';
import type { WasmKernels } from './wasm-module.js';

// A whole tree fold (every level of a schedule, bottom-up) run on raw arrays by one level
// kernel, part by part: per level its internal rows with their children's states gathered
// from the level below, then its leaves by the step with no children. Inside one op, so the
// graph holds one node for the whole fold instead of a dozen per level (gathers, concats,
// slices and their backward, and every level's weight gradient summed by the autograd). The
// arithmetic is the level kernel's, so the values are those of the level-by-level fold. Each
// fold's backward runs its own loop over the parts, from the top level down, with the helpers
// here: a part's state gradient, the scatter of its children's gradients, and the
// "internal first" tables its deferred weight products read.

/** Per-part scratch of the forward's two-field output and the backward's part gradient. */
const ws = new Workspace();

/**
 * One level of a fold schedule (tree/fold.ts's FoldLevel has these fields): rows
 * start .. start + count - 1 of the plan, the first `internal` of them with children.
 */
export interface FoldLevelSchedule {
  readonly start: number;
  readonly count: number;
  readonly internal: number;
  /**
   * For row r < internal and slot k, entry r * slots + k: the child's row within the level
   * below, or that level's count for no child (a zero state). Longer arrays are fine.
   */
  readonly children: ArrayLike<number>;
}

/** A fold level with its own number of child slots (a cell with any number of children). */
export interface SlottedFoldLevelSchedule extends FoldLevelSchedule {
  /** Child slots K per internal row of this level. */
  readonly slots: number;
}

/**
 * The sizes and arrays a fold of levels shares: a level call's (x [nodes, I] of every node in
 * plan order, the weights), without the children's states, plus the schedule.
 */
export interface FoldOfLevelsArgs extends Omit<TreeLstmLevelArgs, 'childH' | 'childC'> {
  readonly levels: readonly FoldLevelSchedule[];
  /**
   * Inputs as rows of a table (an embedding lookup inside the fold): when given, x is a table
   * [rows, I] and node r's input is its row inputRows[r]; the backward's x gradient is then
   * the table's, [rows, I]. On the WebAssembly kernels each distinct row is multiplied by the
   * input weights once, not once per node (kernels/fold-table-inputs.ts).
   */
  readonly inputRows?: Int32Array | undefined;
}

/**
 * A level kernel as a fold of levels runs it: its call's arguments, its tape, its passes. Its
 * output per call is [fields, n, H]: h (and c, for a Tree-LSTM); with one field its calls get
 * childC null and return no childC gradient.
 */
export interface FoldLevelKernel<A extends TreeLstmLevelArgs, P> {
  /** State fields per node: 1 (h) or 2 (h, then c). */
  readonly fields: 1 | 2;
  /** Child slots of level l's internal rows. */
  slots(level: number): number;
  /** The call for one part: `base` plus what the kernel adds (e.g. its slots). */
  args(base: TreeLstmLevelArgs, slots: number): A;
  tape(args: A): P;
  forward(args: A, tape: P, out: TypedArray): void;
}

/** One part of a fold's forward: its call and tape, its level, and its first row within the level. */
export interface FoldPart<A, P> {
  readonly args: A;
  readonly tape: P;
  readonly level: number;
  readonly from: number;
}

/** Which gradients a fold's backward computes: of x (every node's input), of the weights and biases. */
export interface FoldWanted {
  readonly x: boolean;
  readonly weights: boolean;
}

/** Gradients of a fold's inputs; null where none was asked for. */
export interface FoldOfLevelsGrads {
  readonly x: TypedArray | null;
  readonly weightIh: TypedArray | null;
  readonly weightHh: TypedArray | null;
  readonly biasIh: TypedArray | null;
  readonly biasHh: TypedArray | null;
}

/**
 * Forward of a whole fold, level by level from 0, writing every node's h (then c) into
 * out [fields, nodes, H] and pushing each part's call onto `parts` for the backward:
 *
 *     s(rows 0..m-1 of level l) = kernel(x of those rows, states of their children in level l-1)
 *     s(rows m..count-1)        = kernel(x of those rows, no children)
 *
 * @example
 * ```ts
 * const parts: FoldPart<ChildSumLstmArgs, ChildSumLstmTape>[] = [];
 * foldLevelsForward(kernel, args, parts, out); // out [2, nodes, H]
 * ```
 */
export function foldLevelsForward<A extends TreeLstmLevelArgs, P>(kernel: FoldLevelKernel<A, P>, a: FoldOfLevelsArgs, parts: FoldPart<A, P>[], out: TypedArray): void {
  const { nodes, inputSize: I, hiddenSize: H, x } = a;
  const cOff = nodes * H, lstm = kernel.fields === 2;
  for (const [l, lv] of a.levels.entries()) {
    const below = l > 0 ? (a.levels[l - 1] as FoldLevelSchedule) : null;
    const K = kernel.slots(l);
    for (const [from, to] of [[0, lv.internal], [lv.internal, lv.count]] as const) {
      const n = to - from;
      if (n === 0) continue;
      let childH: TypedArray | null = null, childC: TypedArray | null = null;
      if (from === 0 && below !== null) {
        childH = allocateLike(x, n * K * H);
        childC = lstm ? allocateLike(x, n * K * H) : null;
        for (let e = 0; e < n * K; e++) {
          const j = lv.children[e] as number;
          if (j === below.count) continue;
          const src = (below.start + j) * H;
          childH.set(out.subarray(src, src + H), e * H);
          childC?.set(out.subarray(cOff + src, cOff + src + H), e * H);
        }
      }
      const row0 = lv.start + from;
      const args = kernel.args({
        nodes: n, inputSize: I, hiddenSize: H, x: x.subarray(row0 * I, (row0 + n) * I),
        weightIh: a.weightIh, weightHh: a.weightHh, biasIh: a.biasIh, biasHh: a.biasHh, childH, childC,
      }, childH === null ? 0 : K);
      const tape = kernel.tape(args);
      // One field: the part's rows of out are its whole output; two: h and c go to two halves.
      const part = out.subarray(row0 * H, (row0 + n) * H);
      // Two fields: the part's [2, n, H] output in a scratch, split into out's two halves below.
      const o = lstm ? ws.get('partOut', x, 2 * n * H) : part;
      kernel.forward(args, tape, o);
      if (lstm) {
        part.set(o.subarray(0, n * H));
        out.set(o.subarray(n * H), cOff + row0 * H);
      }
      parts.push({ args, tape, level: l, from });
    }
  }
}

/** The plan row of a part's first node. @example `const row0 = partRow(args, part);` */
export function partRow(a: FoldOfLevelsArgs, part: FoldPart<unknown, unknown>): number {
  return (a.levels[part.level] as FoldLevelSchedule).start + part.from;
}

/**
 * A part's state gradient [fields, n, H] for its backward, from the fold's running state
 * gradients ds [fields, nodes, H]: the part's rows are final once every part above it has
 * scattered into them. With one field it is a view of ds; with two, h's rows then c's in a
 * scratch array, valid until the next call.
 *
 * @example
 * ```ts
 * const dyPart = partStateGradient(2, args, part, ds);
 * ```
 */
export function partStateGradient(fields: 1 | 2, a: FoldOfLevelsArgs, part: FoldPart<TreeLstmLevelArgs, unknown>, ds: TypedArray): TypedArray {
  const { nodes, hiddenSize: H } = a;
  const n = part.args.nodes, row0 = partRow(a, part);
  const dh = ds.subarray(row0 * H, (row0 + n) * H);
  if (fields === 1) return dh;
  const both = ws.get('partGradient', ds, 2 * n * H);
  both.set(dh, 0);
  both.set(ds.subarray(nodes * H + row0 * H, nodes * H + (row0 + n) * H), n * H);
  return both;
}

/**
 * Adds a part's gradients of its children's states, dh [n, K, H] (and dc, or null), into the
 * children's rows of ds [fields, nodes, H] (the level below); padding slots are skipped.
 *
 * @example
 * ```ts
 * scatterToChildren(args, part, K, ds, grads.childH, grads.childC);
 * ```
 */
export function scatterToChildren(a: FoldOfLevelsArgs, part: FoldPart<TreeLstmLevelArgs, unknown>, K: number, ds: TypedArray, dh: TypedArray, dc: TypedArray | null): void {
  const H = a.hiddenSize, cOff = a.nodes * H;
  const lv = a.levels[part.level] as FoldLevelSchedule;
  const below = a.levels[part.level - 1] as FoldLevelSchedule;
  for (let e = 0; e < part.args.nodes * K; e++) {
    const j = lv.children[e] as number;
    if (j === below.count) continue;
    const dst = (below.start + j) * H;
    for (let q = 0; q < H; q++) ds[dst + q] = (ds[dst + q] as number) + (dh[e * H + q] as number);
    if (dc !== null) for (let q = 0; q < H; q++) ds[cOff + dst + q] = (ds[cOff + dst + q] as number) + (dc[e * H + q] as number);
  }
}

/**
 * Where each part's rows go in a fold's "internal first" tables, which a backward fills part by
 * part to run the products that read them once over all levels (deferred weight gradients):
 * the internal rows of every level in plan order (rows 0 .. internal - 1), then every leaf;
 * and the first of a part's child slots in a table of all slots. A level's internal part and
 * its leaves' part start at its {@link FoldLevelTables} rows t0 and u0, and its slots at slot0
 * (level l has `slots(l)` per internal row).
 *
 * @example
 * ```ts
 * const { rows, slotRows, internal, slots } = internalFirstRows(args.levels, tape.parts, (l) => args.levels[l].slots);
 * ```
 */
export function internalFirstRows(
  levels: readonly FoldLevelSchedule[], parts: readonly FoldPart<TreeLstmLevelArgs, unknown>[], slots: (level: number) => number,
): { rows: number[]; slotRows: number[]; internal: number; slots: number } {
  const t = foldLevelTables(levels, slots);
  return {
    rows: parts.map((p) => (p.args.childH !== null ? t.t0[p.level] : t.u0[p.level]) as number),
    slotRows: parts.map((p) => t.slot0[p.level] as number),
    internal: t.internal,
    slots: t.slots,
  };
}

/**
 * Copies an "internal first" table [nodes, width] (see {@link internalFirstRows}) into a new
 * array in plan order: each part's rows back to its own rows of the plan.
 *
 * @example
 * ```ts
 * const dx = tableToPlanOrder(args, tape.parts, rows, dxTable, inputSize);
 * ```
 */
export function tableToPlanOrder(a: FoldOfLevelsArgs, parts: readonly FoldPart<TreeLstmLevelArgs, unknown>[], rows: readonly number[], table: TypedArray, width: number): TypedArray {
  const out = allocateLike(table, a.nodes * width);
  for (const [p, part] of parts.entries()) {
    const row = rows[p] as number, n = part.args.nodes;
    out.set(table.subarray(row * width, (row + n) * width), partRow(a, part) * width);
  }
  return out;
}

/**
 * dx of every node in plan order, from the gradients at the input's pre-activations of every
 * node in an "internal first" table, da [nodes, width] (see {@link internalFirstRows}):
 * dx = da W_ih (W_ih [width, I], the fold's weightIh), one product over all levels, computed
 * in `scratch` [nodes, I] and copied out in plan order.
 *
 * @example
 * ```ts
 * const dx = inputGradientFromTable(args, tape.parts, rows, daTable, 4 * H, ws.get('dx', args.x, nodes * I));
 * ```
 */
export function inputGradientFromTable(
  a: FoldOfLevelsArgs, parts: readonly FoldPart<TreeLstmLevelArgs, unknown>[], rows: readonly number[], da: TypedArray, width: number, scratch: TypedArray,
): TypedArray {
  const I = a.inputSize;
  gemm(false, false, a.nodes, I, width, 1, da, 0, width, a.weightIh, 0, I, 0, scratch, 0, I);
  return tableToPlanOrder(a, parts, rows, scratch, I);
}

/**
 * Where each level's rows sit in a fold's tables, bottom level first: its first slot row
 * (slot tables and the child index table hold `slots(l)` entries per internal row), its first
 * internal-first row for internal rows (t0) and for leaves (u0); the totals; the most slot rows
 * and internal rows of any level.
 */
export interface FoldLevelTables {
  readonly slot0: readonly number[];
  readonly t0: readonly number[];
  readonly u0: readonly number[];
  readonly internal: number;
  readonly slots: number;
  readonly maxSlots: number;
  readonly maxInternal: number;
}

/**
 * The {@link FoldLevelTables} of a schedule whose level l has `slots(l)` child slots per
 * internal row.
 *
 * @example
 * ```ts
 * const { t0, u0, slot0 } = foldLevelTables(plan.levels, () => 2);
 * ```
 */
export function foldLevelTables(levels: readonly FoldLevelSchedule[], slots: (level: number) => number): FoldLevelTables {
  let internal = 0, total = 0, maxSlots = 0, maxInternal = 0;
  for (const lv of levels) internal += lv.internal;
  const slot0: number[] = [], t0: number[] = [], u0: number[] = [];
  let t = 0, u = internal;
  for (const [l, lv] of levels.entries()) {
    slot0.push(total);
    t0.push(t);
    u0.push(u);
    const n = lv.internal * slots(l);
    total += n;
    t += lv.internal;
    u += lv.count - lv.internal;
    maxSlots = Math.max(maxSlots, n);
    maxInternal = Math.max(maxInternal, lv.internal);
  }
  return { slot0, t0, u0, internal, slots: total, maxSlots, maxInternal };
}

/**
 * Writes every level's child indices (i32, `slots(l)` per internal row, in slot order) into
 * wasm memory at byte address `at`: the index table the level jobs read, level l's from entry
 * {@link FoldLevelTables}.slot0[l].
 *
 * @example
 * ```ts
 * writeChildIndices(w, idxAt, plan.levels, () => 2);
 * ```
 */
export function writeChildIndices(w: WasmKernels, at: number, levels: readonly FoldLevelSchedule[], slots: (level: number) => number): void {
  const idx = w.i32;
  let e = at >> 2;
  for (const [l, lv] of levels.entries()) for (let k = 0; k < lv.internal * slots(l); k++) idx[e++] = lv.children[k] as number;
}

/**
 * About 0.1 ms of products at 20 GFLOP/s, plus the level's gates and gathers: a smaller level
 * of a wasm fold runs on one thread, where waking a worker (tens of microseconds, threads.ts)
 * would cost most of what the split saves. 2^18 and 2^22 measured the same as 2^20 on the tree
 * benchmark's batch 64 (N-ary Tree-LSTM).
 */
export const LEVEL_PARALLEL_MIN_MACS = 1 << 20;

/**
 * Checks a fold schedule against the node count: the levels tile rows 0 .. nodes - 1 in order,
 * level 0 has no internal rows, every child index lies in the level below (or is its count:
 * no child), and every row is the child of one parent at most (a tree). `slots(l)` is level
 * l's child slots per internal row.
 *
 * @example
 * ```ts
 * checkFoldSchedule('naryTreeLstmFold', plan.levels, plan.nodes.length, () => 2); // throws ArgumentError naming what is wrong
 * ```
 */
export function checkFoldSchedule(kernel: string, levels: readonly FoldLevelSchedule[], nodes: number, slots: (level: number) => number): void {
  let next = 0;
  for (const [l, lv] of levels.entries()) {
    if (lv.start !== next || lv.count < 1 || lv.internal < 0 || lv.internal > lv.count) {
      throw new ArgumentError(kernel, `level ${l} must start at row ${next} with 0 <= internal <= count and count >= 1, got start ${lv.start}, count ${lv.count}, internal ${lv.internal}`);
    }
    const K = slots(l);
    if (!Number.isInteger(K) || K < 1) throw new ArgumentError(kernel, `level ${l} must have a positive integer number of child slots, got ${K}`);
    if (l === 0 && lv.internal > 0) throw new ArgumentError(kernel, 'level 0 cannot have internal nodes: there is no level below it');
    if (lv.children.length < lv.internal * K) throw new ArgumentError(kernel, `level ${l} needs ${lv.internal * K} child indices, got ${lv.children.length}`);
    const below = l > 0 ? (levels[l - 1] as FoldLevelSchedule).count : 0;
    // Each row of the level below is the child of one parent at most: a tree, and the N-ary
    // fold splits a level's rows over the kernel threads, where two parents in two parts would
    // add into one child's gradient at once.
    const parent = new Int32Array(below).fill(-1);
    for (let e = 0; e < lv.internal * K; e++) {
      const j = lv.children[e] as number;
      if (!Number.isInteger(j) || j < 0 || j > below) throw new ArgumentError(kernel, `level ${l}: child index ${j} at entry ${e} is outside 0..${below}`);
      if (j === below) continue;
      if (parent[j] !== -1) throw new ArgumentError(kernel, `level ${l}: row ${j} of the level below is a child at entries ${parent[j]} and ${e}; each node has one parent`);
      parent[j] = e;
    }
    next += lv.count;
  }
  if (next !== nodes) throw new ArgumentError(kernel, `the levels cover ${next} rows but there are ${nodes} nodes`);
}
