import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { sgemmAt } from './gemm-wasm.js';
import { Workspace, allocateLike, checkLength, columnSums } from './rnn-sequence-common.js';
import {
  treeGatesBackward, treeGatesForward, type TreeGateLayout, type TreeLstmGrads, type TreeLstmLevelArgs, type TreeLstmWanted,
} from './tree-lstm-gates.js';
import { useWasmSequence } from './sequence-wasm.js';
import { wasmKernels, type WasmKernels } from './wasm-module.js';

// One level of an N-ary Tree-LSTM (Tai, Socher & Manning 2015, section 3.2) as one kernel,
// forward and backward, over raw arrays. Composed from primitives (tree/tree-lstm-cells.ts
// keeps that version as the twin the op is tested against) a level is about 20 graph nodes,
// a dozen of them element-wise passes over [n, (N+3)H]; here it is two gemms and one pass
// forward, one pass and four gemms backward. For float32 with the WebAssembly kernels loaded
// the whole level runs on wasm memory (the element-wise passes in assembly/tree.ts), and from
// MERGE_MIN_NODES nodes the input's and the children's products share one gemm each way
// (forward one gemm, backward two); float64, or float32 without wasm, runs in JavaScript.

/**
 * One call (see TreeLstmLevelArgs) with N = `arity` child slots. Weights in NaryTreeLSTMCell's
 * layout: weightIh [4H, I] with gates i, f, g, o; weightHh [(N+3)H, N*H] with row blocks
 * i, f_1..f_N, g, o; biasIh [4H] and biasHh [(N+3)H].
 */
export interface NaryTreeLstmArgs extends TreeLstmLevelArgs {
  readonly arity: number;
}

/** What the forward pass keeps for the backward pass. */
export interface NaryTreeLstmTape {
  /** The activated gates [n, (N+3)H]: sigma of the i, f_k, o blocks, tanh of the g block (the f_k blocks only with children: a leaf has none). */
  readonly gates: TypedArray;
  /** tanh(c) [n, H]. */
  readonly tanhC: TypedArray;
}

const ws = new Workspace();

/** Where an N-ary level's gates sit in z: i, f_1..f_N, g, o blocks of H per row. */
function gateLayout(a: NaryTreeLstmArgs): TreeGateLayout {
  const { nodes, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H;
  return { nodes, hiddenSize: H, slots: N, rowStride: G, gOffset: (N + 1) * H, oOffset: (N + 2) * H, forgetOffset: H, forgetStride: G };
}

/** The gate of row block b of weightHh: 0 for i, 1 for every f_k, 2 for g, 3 for o. @example `gateOfBlock(2, 2) // 1: f_2` */
export function gateOfBlock(block: number, arity: number): number {
  return block === 0 ? 0 : block <= arity ? 1 : block - arity + 1;
}

/**
 * Rows in weightHh's N + 3 blocks (i, f_1..f_N, g, o; H rows of `cols` each) summed onto
 * weightIh's 4 gates (i, f, g, o): a gradient over the joined weights' rows folded back onto
 * W_ih's (cols = I), or a bias gradient onto b_ih's (cols = 1).
 *
 * @example
 * ```ts
 * const dWih = foldBlocksByGate(dWx, 2, H, I); // dWx [(2 + 3) H, I] -> [4 H, I]
 * ```
 */
export function foldBlocksByGate(blocks: ArrayLike<number>, arity: number, hiddenSize: number, cols: number): Float32Array {
  const size = hiddenSize * cols;
  const out = new Float32Array(4 * size);
  for (let b = 0; b < arity + 3; b++) {
    const to = gateOfBlock(b, arity) * size;
    for (let k = 0, from = b * size; k < size; k++) out[to + k] = (out[to + k] as number) + (blocks[from + k] as number);
  }
  return out;
}

/**
 * Checks the array lengths of a call against its sizes.
 *
 * @example
 * ```ts
 * checkNaryTreeLstmArgs('naryTreeLstm', args); // throws ArgumentError naming the bad array
 * ```
 */
export function checkNaryTreeLstmArgs(kernel: string, a: NaryTreeLstmArgs): void {
  const { nodes: n, inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H;
  checkLength(kernel, 'x', a.x, n * I);
  checkLength(kernel, 'weightIh', a.weightIh, 4 * H * I);
  checkLength(kernel, 'weightHh', a.weightHh, G * N * H);
  if (a.biasIh !== null) checkLength(kernel, 'biasIh', a.biasIh, 4 * H);
  if (a.biasHh !== null) checkLength(kernel, 'biasHh', a.biasHh, G);
  if (a.childH !== null) checkLength(kernel, 'childH', a.childH, n * N * H);
  if (a.childC !== null) checkLength(kernel, 'childC', a.childC, n * N * H);
}

/**
 * Forward pass of one level, writing h into out[0 .. nH) and c into out[nH .. 2nH):
 *
 *     z_b = b_ih,gate(b) + b_hh,b + x W_ih,gate(b)^T   (+ [h_1..h_N] W_hh^T, with children)
 *     i = sigma(z_i), f_k = sigma(z_f_k), g = tanh(z_g), o = sigma(z_o)
 *     c = i g + sum_k f_k c_k,   h = o tanh(c)
 *
 * for every block b of (i, f_1..f_N, g, o): the one W_f and b_ih,f serve all N forget gates.
 * Float32 uses the fast exponential (as the sequence kernels do), float64 Math.exp and
 * Math.tanh. Each node's row is computed alone, in the same order whatever else shares the
 * call.
 *
 * @example
 * ```ts
 * const tape = naryTreeLstmTape(args.x, args.nodes, args.hiddenSize, args.arity);
 * naryTreeLstmForward(args, tape, out); // out [2, n, H]: h, then c
 * ```
 */
export function naryTreeLstmForward(a: NaryTreeLstmArgs, tape: NaryTreeLstmTape, out: TypedArray): void {
  const { nodes: n, inputSize: I, hiddenSize: H, arity: N, x } = a;
  const G = (N + 3) * H;
  const { wx, bias } = inputWeightsInBlockOrder(a);
  const kids = a.childH !== null && a.childC !== null;
  const w = useWasmSequence(x) ? wasmKernels() : undefined;
  if (w !== undefined) {
    levelForwardWasm(w, a, kids, wx, bias, tape, out);
    return;
  }
  const z = tape.gates;
  for (let r = 0; r < n; r++) z.set(bias, r * G);
  gemm(false, true, n, G, I, 1, x, 0, I, wx, 0, I, 1, z, 0, G);
  if (kids) gemm(false, true, n, G, N * H, 1, a.childH as TypedArray, 0, N * H, a.weightHh, 0, N * H, 1, z, 0, G, true);
  treeGatesForward(gateLayout(a), z, z, kids ? a.childC : null, !(x instanceof Float64Array), tape.tanhC, out);
}

/**
 * W_ih's rows in weightHh's block order (W_f once per child slot) and the summed biases
 * b_ih,gate(b) + b_hh,b, so the input's product lands in z block for block: z = bias, then
 * z += x W^T (one gemm). Both are workspace arrays, valid until the next call.
 *
 * @example
 * ```ts
 * const { wx, bias } = inputWeightsInBlockOrder(args); // wx [(N+3)H, I], bias [(N+3)H]
 * ```
 */
export function inputWeightsInBlockOrder(a: Omit<NaryTreeLstmArgs, 'nodes' | 'childH' | 'childC'>): { wx: TypedArray; bias: TypedArray } {
  const { inputSize: I, hiddenSize: H, arity: N, x } = a;
  const G = (N + 3) * H;
  const wx = ws.get('wx', x, G * I);
  const bias = ws.get('bias', x, G);
  for (let b = 0; b < N + 3; b++) {
    const from = gateOfBlock(b, N) * H;
    wx.set(a.weightIh.subarray(from * I, (from + H) * I), b * H * I);
    for (let j = 0; j < H; j++) bias[b * H + j] = a.biasIh === null || a.biasHh === null ? 0 : (a.biasIh[from + j] as number) + (a.biasHh[b * H + j] as number);
  }
  return { wx, bias };
}

/** Byte addresses of consecutive 4-byte-element blocks of the given sizes, from `base`, each 16-byte aligned. @example `layout(at, [n * G, n * H])` */
export function layout(base: number, sizes: readonly number[]): number[] {
  const at: number[] = [];
  let p = base;
  for (const size of sizes) {
    at.push(p);
    p += 4 * size + ((16 - ((4 * size) % 16)) % 16);
  }
  return at;
}

/** Bytes {@link layout} spans for these sizes. @example `w.scratch('name', layoutBytes(sizes))` */
export function layoutBytes(sizes: readonly number[]): number {
  return sizes.reduce((sum, size) => sum + 4 * size + ((16 - ((4 * size) % 16)) % 16), 0);
}

// Below this many nodes a level keeps the input's and the children's products apart: laying
// out [W_ih | W_hh] side by side costs a pass over the weights, which a few nodes' products
// do not repay (measured: merging at every size made batch-1 trees about 10 % slower, while
// it made batch 64 faster).
const MERGE_MIN_NODES = 16;

/**
 * Writes [left | right] into wasm memory at byte address `at`: rows of `left` (leftCols wide)
 * and `right` (rightCols wide) side by side, [rows, leftCols + rightCols]. Each part is copied
 * in whole (one memcpy) and interleaved by the module (joinColumns), not row by row in JS.
 *
 * @example
 * ```ts
 * writeSideBySide(w, at, G, wx, I, weightHh, N * H); // [W_ih in block order | W_hh] at `at`
 * ```
 */
export function writeSideBySide(w: WasmKernels, at: number, rows: number, left: TypedArray, leftCols: number, right: TypedArray, rightCols: number): void {
  // No left block (a fold of projected inputs, I = 0): the right one as it is, unstaged.
  if (leftCols === 0) {
    w.write(at, right.subarray(0, rows * rightCols));
    return;
  }
  const stage = w.scratch('treeLstmStage', 4 * rows * (leftCols + rightCols));
  const rightAt = stage + 4 * rows * leftCols;
  w.write(stage, left);
  w.write(rightAt, right);
  w.exports.joinColumns(rows, stage, leftCols, rightAt, rightCols, at);
}

/** A new array of `size` floats read from wasm memory at `at`. @example `const dW = readFloats(w, dwAt, G * K)` */
export function readFloats(w: WasmKernels, at: number, size: number): Float32Array {
  const dst = new Float32Array(size);
  w.read(at, size, dst);
  return dst;
}

/** The inverse of writeSideBySide: a [rows, leftCols + rightCols] block at `at` as its two parts (new arrays). @example `const [dx, dKids] = readSideBySide(w, at, n, I, NH)` */
export function readSideBySide(w: WasmKernels, at: number, rows: number, leftCols: number, rightCols: number): [Float32Array, Float32Array] {
  const stage = w.scratch('treeLstmStage', 4 * rows * (leftCols + rightCols));
  const rightAt = stage + 4 * rows * leftCols;
  w.exports.splitColumns(rows, at, stage, leftCols, rightAt, rightCols);
  const left = new Float32Array(rows * leftCols), right = new Float32Array(rows * rightCols);
  w.read(stage, rows * leftCols, left);
  w.read(rightAt, rows * rightCols, right);
  return [left, right];
}

/**
 * The forward pass on WebAssembly SIMD (float32): inputs copied in once, the gemm and the
 * element-wise pass on wasm memory (the gemm split over the kernel threads), then z, tanh(c)
 * and the output copied out. With children of at least MERGE_MIN_NODES nodes the input's and
 * the children's products are ONE gemm, [x | h_1..h_N] [n, I + NH] against
 * [W_ih in block order | W_hh] [G, I + NH]: one pass over z instead of two, and no thin
 * k = I product of its own.
 */
function levelForwardWasm(
  w: WasmKernels, a: NaryTreeLstmArgs, kids: boolean, wx: TypedArray, bias: TypedArray, tape: NaryTreeLstmTape, out: TypedArray,
): void {
  const { nodes: n, inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H, NH = N * H;
  const merged = kids && n >= MERGE_MIN_NODES;
  const K = merged ? I + NH : I;
  const sizes = [n * K, G * K, n * G, n * H, 2 * n * H, kids ? n * NH : 0, kids && !merged ? n * NH : 0, kids && !merged ? G * NH : 0];
  const [inAt, wAt, zAt, tcAt, outAt, ccAt, chAt, whhAt] =
    layout(w.scratch('treeLstm', layoutBytes(sizes)), sizes) as [number, number, number, number, number, number, number, number];
  if (merged) {
    writeSideBySide(w, inAt, n, a.x, I, a.childH as TypedArray, NH);
    writeSideBySide(w, wAt, G, wx, I, a.weightHh, NH);
  } else {
    w.write(inAt, a.x);
    w.write(wAt, wx);
  }
  if (kids) w.write(ccAt, a.childC as TypedArray);
  const heap = w.f32;
  for (let r = 0, z = zAt >> 2; r < n; r++, z += G) heap.set(bias as Float32Array, z);
  sgemmAt(false, true, n, G, K, 1, inAt, K, wAt, K, 1, zAt, G);
  if (kids && !merged) {
    w.write(chAt, a.childH as TypedArray);
    w.write(whhAt, a.weightHh);
    sgemmAt(false, true, n, G, NH, 1, chAt, NH, whhAt, NH, 1, zAt, G);
  }
  w.exports.treeGatesForward(n, H, N, zAt, G, (N + 1) * H, (N + 2) * H, zAt + 4 * H, G, ccAt, kids ? 1 : 0, tcAt, outAt, outAt + 4 * n * H);
  w.read(zAt, n * G, tape.gates as Float32Array);
  w.read(tcAt, n * H, tape.tanhC as Float32Array);
  w.read(outAt, 2 * n * H, out as Float32Array);
}

/**
 * A tape for n nodes, in the dtype of `like`.
 *
 * @example
 * ```ts
 * const tape = naryTreeLstmTape(x, 64, 128, 2); // gates [64, 5*128], tanhC [64, 128]
 * ```
 */
export function naryTreeLstmTape(like: TypedArray, nodes: number, hiddenSize: number, arity: number): NaryTreeLstmTape {
  return { gates: allocateLike(like, nodes * (arity + 3) * hiddenSize), tanhC: allocateLike(like, nodes * hiddenSize) };
}

/**
 * Where a call's backward writes dz [n, (N+3)H] and da [n, 4H] (exact-length arrays or views)
 * when a fold defers the products that read them to one product per weight over all its
 * levels: see naryTreeLstmFoldBackward's JavaScript path.
 */
export interface NaryTreeLstmKept {
  readonly dz: TypedArray;
  readonly da: TypedArray;
}

/**
 * Backward pass of one level from dy [2, n, H] (dL/dh, then dL/dc):
 *
 *     do  = dh tanh(c),   dc~ = dc + dh o (1 - tanh(c)^2)
 *     dz_i = dc~ g i (1 - i),   dz_g = dc~ i (1 - g^2),   dz_o = do o (1 - o)
 *     dz_f_k = dc~ c_k f_k (1 - f_k),   dc_k = dc~ f_k
 *     da = dz with the N forget blocks summed into one        [n, 4H]
 *     dx = da W_ih,  dW_ih = da^T x,  db_ih = sum_rows da,  db_hh = sum_rows dz
 *     dW_hh = dz^T [h_1..h_N],  d[h_1..h_N] = dz W_hh          (with children)
 *
 * Only the asked-for gradients are computed; the weight gradients are new arrays. With `keep`
 * (JavaScript only), dz and da are written there, and dx and the weight gradients must not be
 * asked for: the caller computes them from dz and da.
 *
 * @example
 * ```ts
 * const g = naryTreeLstmBackward(args, tape, dy, { x: true, weights: true, children: true });
 * ```
 */
export function naryTreeLstmBackward(a: NaryTreeLstmArgs, tape: NaryTreeLstmTape, dy: TypedArray, want: TreeLstmWanted, keep: NaryTreeLstmKept | null = null): TreeLstmGrads {
  const { nodes: n, inputSize: I, hiddenSize: H, arity: N, x } = a;
  const G = (N + 3) * H;
  const kids = a.childH !== null && a.childC !== null;
  if (keep !== null && (want.x || want.weights)) throw new ArgumentError('naryTreeLstmBackward', 'a call that keeps dz and da for deferred products computes neither dx nor the weight gradients');
  // A fold that keeps dz and da runs on raw arrays (its wasm path is the whole fold's own).
  const w = keep === null && useWasmSequence(x) ? wasmKernels() : undefined;
  if (w !== undefined) return levelBackwardWasm(w, a, kids, tape, dy, want);
  const dz = keep?.dz ?? ws.get('dz', x, n * G);
  const da = keep?.da ?? ws.get('da', x, n * 4 * H);
  if (keep !== null) {
    checkLength('naryTreeLstmBackward', 'keep.dz', dz, n * G);
    checkLength('naryTreeLstmBackward', 'keep.da', da, n * 4 * H);
  }
  const dChildC = kids && want.children ? allocateLike(x, n * N * H) : null;
  treeGatesBackward(gateLayout(a), tape.gates, tape.gates, kids ? a.childC : null, tape.tanhC, dy, dz, dz, da, dChildC);
  let dx: TypedArray | null = null;
  if (want.x) {
    dx = allocateLike(x, n * I);
    gemm(false, false, n, I, 4 * H, 1, da, 0, 4 * H, a.weightIh, 0, I, 0, dx, 0, I);
  }
  let dWih: TypedArray | null = null, dWhh: TypedArray | null = null, dbIh: TypedArray | null = null, dbHh: TypedArray | null = null;
  if (want.weights) {
    dWih = allocateLike(x, 4 * H * I);
    gemm(true, false, 4 * H, I, n, 1, da, 0, 4 * H, x, 0, I, 0, dWih, 0, I);
    if (kids) {
      dWhh = allocateLike(x, G * N * H);
      gemm(true, false, G, N * H, n, 1, dz, 0, G, a.childH as TypedArray, 0, N * H, 0, dWhh, 0, N * H);
    }
    if (a.biasIh !== null && a.biasHh !== null) {
      dbIh = allocateLike(x, 4 * H);
      columnSums(da, 0, 4 * H, n, 4 * H, dbIh);
      dbHh = allocateLike(x, G);
      columnSums(dz, 0, G, n, G, dbHh);
    }
  }
  let dChildH: TypedArray | null = null;
  if (kids && want.children) {
    dChildH = allocateLike(x, n * N * H);
    gemm(false, false, n, N * H, G, 1, dz, 0, G, a.weightHh, 0, N * H, 0, dChildH, 0, N * H);
  }
  return { x: dx, weightIh: dWih, weightHh: dWhh, biasIh: dbIh, biasHh: dbHh, childH: dChildH, childC: dChildC };
}

/**
 * The backward pass on WebAssembly SIMD (float32): dy and the tape copied in, the element-wise
 * pass, the gemms and the bias sums on wasm memory, and only the gradients copied out. With
 * children of at least MERGE_MIN_NODES nodes, as in the forward pass, the input's and the
 * children's products share gemms:
 *
 *     [dx | d(h_1..h_N)]   = dz [W_ih in block order | W_hh]     [n, I + NH]
 *     [dW_ih,blocks | dW_hh] = dz^T [x | h_1..h_N]               [G, I + NH]
 *
 * (dz times W_ih in block order is da W_ih: the N forget blocks share W_f), and dW_ih sums the
 * N forget blocks' rows into W_f's.
 */
function levelBackwardWasm(w: WasmKernels, a: NaryTreeLstmArgs, kids: boolean, tape: NaryTreeLstmTape, dy: TypedArray, want: TreeLstmWanted): TreeLstmGrads {
  const { nodes: n, inputSize: I, hiddenSize: H, arity: N } = a;
  const G = (N + 3) * H, NH = N * H, nKids = kids ? n * NH : 0;
  const merged = kids && n >= MERGE_MIN_NODES;
  const K = merged ? I + NH : I;
  const bias = a.biasIh !== null && a.biasHh !== null;
  const wantChildren = kids && want.children;
  const apart = kids && !merged ? nKids : 0;
  const sizes = [2 * n * H, n * G, n * H, nKids, n * G, 4 * n * H, nKids, n * K, G * K, n * K, G * K, 4 * H, G, apart, apart > 0 ? G * NH : 0, apart, apart > 0 ? G * NH : 0];
  const [dyAt, zAt, tcAt, ccAt, dzAt, daAt, dccAt, inAt, wAt, dInAt, dWAt, dbihAt, dbhhAt, chAt, whhAt, dchAt, dwhhAt] =
    layout(w.scratch('treeLstm', layoutBytes(sizes)), sizes) as [
      number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
    ];
  w.write(dyAt, dy);
  w.write(zAt, tape.gates);
  w.write(tcAt, tape.tanhC);
  if (kids) w.write(ccAt, a.childC as TypedArray);
  w.exports.treeGatesBackward(n, H, N, zAt, G, (N + 1) * H, (N + 2) * H, zAt + 4 * H, G, ccAt, kids ? 1 : 0, tcAt, dyAt, dyAt + 4 * n * H, dzAt, dzAt + 4 * H, daAt, wantChildren ? dccAt : 0);
  let dx: TypedArray | null = null, dChildH: TypedArray | null = null, dChildC: TypedArray | null = null;
  if (merged && (want.x || wantChildren)) {
    writeSideBySide(w, wAt, G, inputWeightsInBlockOrder(a).wx, I, a.weightHh, NH);
    sgemmAt(false, false, n, K, G, 1, dzAt, G, wAt, K, 0, dInAt, K);
    const [dxPart, dChildPart] = readSideBySide(w, dInAt, n, I, NH);
    if (want.x) dx = dxPart;
    if (wantChildren) dChildH = dChildPart;
  } else {
    if (want.x) {
      w.write(wAt, a.weightIh);
      sgemmAt(false, false, n, I, 4 * H, 1, daAt, 4 * H, wAt, I, 0, dInAt, I);
      dx = readFloats(w, dInAt, n * I);
    }
    if (wantChildren) {
      w.write(whhAt, a.weightHh);
      sgemmAt(false, false, n, NH, G, 1, dzAt, G, whhAt, NH, 0, dchAt, NH);
      dChildH = readFloats(w, dchAt, n * NH);
    }
  }
  if (wantChildren) dChildC = readFloats(w, dccAt, n * NH);
  let dWih: TypedArray | null = null, dWhh: TypedArray | null = null, dbIh: TypedArray | null = null, dbHh: TypedArray | null = null;
  if (want.weights) {
    if (merged) {
      writeSideBySide(w, inAt, n, a.x, I, a.childH as TypedArray, NH);
      sgemmAt(true, false, G, K, n, 1, dzAt, G, inAt, K, 0, dWAt, K);
      const [blocks, dW] = readSideBySide(w, dWAt, G, I, NH);
      dWhh = dW;
      // Fold the row blocks back onto W_ih's gates: i, the N forget blocks onto f, g, o.
      dWih = foldBlocksByGate(blocks, N, H, I);
    } else {
      w.write(inAt, a.x);
      sgemmAt(true, false, 4 * H, I, n, 1, daAt, 4 * H, inAt, I, 0, dWAt, I);
      dWih = readFloats(w, dWAt, 4 * H * I);
      if (kids) {
        w.write(chAt, a.childH as TypedArray);
        sgemmAt(true, false, G, NH, n, 1, dzAt, G, chAt, NH, 0, dwhhAt, NH);
        dWhh = readFloats(w, dwhhAt, G * NH);
      }
    }
    if (bias) {
      w.exports.columnSums(daAt, 4 * H, n, 4 * H, dbihAt);
      w.exports.columnSums(dzAt, G, n, G, dbhhAt);
      dbIh = readFloats(w, dbihAt, 4 * H);
      dbHh = readFloats(w, dbhhAt, G);
    }
  }
  return { x: dx, weightIh: dWih, weightHh: dWhh, biasIh: dbIh, biasHh: dbHh, childH: dChildH, childC: dChildC };
}
