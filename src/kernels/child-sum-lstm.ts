import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { ArgumentError } from '../tensor/errors.js';
import { Workspace, allocateLike, checkLength, columnSums } from './rnn-sequence-common.js';
import {
  treeGatesBackward, treeGatesForward, type TreeGateLayout, type TreeLstmGrads, type TreeLstmLevelArgs, type TreeLstmWanted,
} from './tree-lstm-gates.js';
import { useWasmSequence } from './sequence-wasm.js';
import { wasmKernels } from './wasm-module.js';

// One level of a Child-Sum Tree-LSTM (Tai, Socher & Manning 2015, section 3.1) as one kernel,
// forward and backward, over raw arrays. Composed from primitives (tree/tree-lstm-cells.ts
// keeps that version, ChildSumTreeLSTMCell.composeUnfused, as the twin the op is tested
// against) a level is about 20 graph nodes; here it is three gemms and one pass forward, one
// pass and six gemms backward. The composed version sends every child through all four gate
// blocks of W_hh and sums; this one uses U h~ = U (sum_k h_k) for i, g and o and multiplies
// only the forget block by each child: [n, H] x [H, 4H] plus [n*K, H] x [H, H] instead of
// [n*K, H] x [H, 4H]. The element-wise passes run on WebAssembly SIMD for float32 when the
// kernels are loaded (assembly/tree.ts), else in JavaScript; the gemms go through gemm().

/**
 * One call (see TreeLstmLevelArgs) with K = `slots` child slots (0 without children). Weights
 * in ChildSumTreeLSTMCell's layout: weightIh [4H, I] and weightHh [4H, H], gates i, f, g, o;
 * biasIh, biasHh [4H].
 */
export interface ChildSumLstmArgs extends TreeLstmLevelArgs {
  readonly slots: number;
}

/** What the forward pass keeps for the backward pass. */
export interface ChildSumLstmTape {
  /** [n, 4H]: sigma of the i and o blocks, tanh of g (the f block is unused: see forget). */
  readonly gates: TypedArray;
  /** The forget gates f_k [n, K, H] (empty without children). */
  readonly forget: TypedArray;
  /** h~ = sum_k h_k [n, H] (empty without children). */
  readonly childSum: TypedArray;
  /** tanh(c) [n, H]. */
  readonly tanhC: TypedArray;
}

const ws = new Workspace();

/**
 * Checks the array lengths of a call against its sizes.
 *
 * @example
 * ```ts
 * checkChildSumLstmArgs('childSumTreeLstm', args); // throws ArgumentError naming the bad array
 * ```
 */
export function checkChildSumLstmArgs(kernel: string, a: ChildSumLstmArgs): void {
  const { nodes: n, slots: K, inputSize: I, hiddenSize: H } = a;
  checkLength(kernel, 'x', a.x, n * I);
  checkLength(kernel, 'weightIh', a.weightIh, 4 * H * I);
  checkLength(kernel, 'weightHh', a.weightHh, 4 * H * H);
  if (a.biasIh !== null) checkLength(kernel, 'biasIh', a.biasIh, 4 * H);
  if (a.biasHh !== null) checkLength(kernel, 'biasHh', a.biasHh, 4 * H);
  if (a.childH !== null) checkLength(kernel, 'childH', a.childH, n * K * H);
  if (a.childC !== null) checkLength(kernel, 'childC', a.childC, n * K * H);
}

/**
 * A tape for a call, in the dtype of `like`.
 *
 * @example
 * ```ts
 * const tape = childSumLstmTape(x, 64, 3, 128, true); // gates [64, 512], forget [64, 3, 128], ...
 * ```
 */
export function childSumLstmTape(like: TypedArray, nodes: number, slots: number, hiddenSize: number, children: boolean): ChildSumLstmTape {
  const kids = children ? 1 : 0;
  return {
    gates: allocateLike(like, nodes * 4 * hiddenSize),
    forget: allocateLike(like, kids * nodes * slots * hiddenSize),
    childSum: allocateLike(like, kids * nodes * hiddenSize),
    tanhC: allocateLike(like, nodes * hiddenSize),
  };
}

/**
 * Forward pass of one level, writing h into out[0 .. nH) and c into out[nH .. 2nH):
 *
 *     a   = b_ih + b_hh + x W_ih^T                           [n, 4H]
 *     h~  = sum_k h_k,   z = a + h~ W_hh^T                    (with children)
 *     i = sigma(z_i), g = tanh(z_g), o = sigma(z_o)
 *     f_k = sigma(a_f + h_k U_f^T),   U_f = rows H..2H of W_hh
 *     c = i g + sum_k f_k c_k,   h = o tanh(c)
 *
 * Float32 uses the fast exponential (as the sequence kernels do), float64 Math.exp and
 * Math.tanh. Each node's row is computed alone, in the same order whatever else shares the
 * call, and zero padding slots add exact zeros.
 *
 * @example
 * ```ts
 * const tape = childSumLstmTape(args.x, args.nodes, args.slots, args.hiddenSize, args.childH !== null);
 * childSumLstmForward(args, tape, out); // out [2, n, H]: h, then c
 * ```
 */
export function childSumLstmForward(a: ChildSumLstmArgs, tape: ChildSumLstmTape, out: TypedArray): void {
  const { nodes: n, slots: K, inputSize: I, hiddenSize: H, x } = a;
  const G = 4 * H;
  const z = tape.gates;
  const bias = ws.get('bias', x, G);
  for (let j = 0; j < G; j++) bias[j] = a.biasIh === null || a.biasHh === null ? 0 : (a.biasIh[j] as number) + (a.biasHh[j] as number);
  for (let r = 0; r < n; r++) z.set(bias, r * G);
  gemm(false, true, n, G, I, 1, x, 0, I, a.weightIh, 0, I, 1, z, 0, G, true);
  const kids = a.childH !== null && a.childC !== null;
  const f = tape.forget, hs = tape.childSum;
  if (kids) {
    const ch = a.childH as TypedArray;
    hs.fill(0);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < K; k++) {
        const from = (r * K + k) * H;
        for (let j = 0; j < H; j++) hs[r * H + j] = (hs[r * H + j] as number) + (ch[from + j] as number);
      }
    }
    // Forget pre-activations of every child first (before z gains h~ W_hh^T): a_f + h_k U_f^T.
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < K; k++) for (let j = 0, to = (r * K + k) * H; j < H; j++) f[to + j] = z[r * G + H + j] as number;
    }
    gemm(false, true, n * K, H, H, 1, ch, 0, H, a.weightHh, H * H, H, 1, f, 0, H, true);
    gemm(false, true, n, G, H, 1, hs, 0, H, a.weightHh, 0, H, 1, z, 0, G, true);
  }
  const L = gateLayout(n, K, H);
  const w = useWasmSequence(x) ? wasmKernels() : undefined;
  if (w === undefined) {
    treeGatesForward(L, z, f, kids ? a.childC : null, !(x instanceof Float64Array), tape.tanhC, out);
    return;
  }
  // The element-wise pass on WebAssembly SIMD: pre-activations in, activations and outputs out.
  const nG = n * G, nKH = kids ? n * K * H : 0, nH = n * H;
  const zAt = w.scratch('childSumLstm', 4 * (nG + 2 * nKH + 3 * nH));
  const fAt = zAt + 4 * nG, ccAt = fAt + 4 * nKH, tcAt = ccAt + 4 * nKH, outAt = tcAt + 4 * nH;
  w.write(zAt, z);
  if (kids) {
    w.write(fAt, f);
    w.write(ccAt, a.childC as TypedArray);
  }
  w.exports.treeGatesForward(n, H, K, zAt, G, 2 * H, 3 * H, fAt, K * H, ccAt, kids ? 1 : 0, tcAt, outAt, outAt + 4 * n * H);
  w.read(zAt, nG, z as Float32Array);
  if (kids) w.read(fAt, nKH, f as Float32Array);
  w.read(tcAt, nH, tape.tanhC as Float32Array);
  w.read(outAt, 2 * nH, out as Float32Array);
}

/** Where a Child-Sum level's gates sit: z [n, 4H] (i, f unused, g, o), forget [n, K, H] apart. */
function gateLayout(nodes: number, slots: number, H: number): TreeGateLayout {
  return { nodes, hiddenSize: H, slots, rowStride: 4 * H, gOffset: 2 * H, oOffset: 3 * H, forgetOffset: 0, forgetStride: slots * H };
}

/**
 * Where a call's backward writes da [n, 4H] and dz_f [n, K, H] (exact-length arrays or views)
 * when a fold defers the products that read them (dx, the weight and bias gradients) to one
 * product per weight over all its levels: see childSumLstmFoldBackward.
 */
export interface ChildSumKept {
  readonly da: TypedArray;
  /** Unused without children. */
  readonly forget: TypedArray;
}

/**
 * Backward pass of one level from dy [2, n, H] (dL/dh, then dL/dc):
 *
 *     dc~ = dc + dh o (1 - tanh(c)^2)
 *     dz_i = dc~ g i (1 - i),  dz_g = dc~ i (1 - g^2),  dz_o = dh tanh(c) o (1 - o)
 *     dz_f,k = dc~ c_k f_k (1 - f_k),   dc_k = dc~ f_k
 *     da = [dz_i, sum_k dz_f,k, dz_g, dz_o]:   dx = da W_ih,  dW_ih = da^T x,  db = sum_rows da
 *     dh_k = [dz_i, 0, dz_g, dz_o] W_hh + dz_f,k U_f
 *     dW_hh = [dz_i, 0, dz_g, dz_o]^T h~,  plus dz_f^T [h_k] in the f rows
 *
 * Only the asked-for gradients are computed; the gradients are new arrays. With `keep`, da
 * and dz_f are written there (and dx and the weight gradients must not be asked for: the
 * caller computes them from da and dz_f).
 *
 * @example
 * ```ts
 * const g = childSumLstmBackward(args, tape, dy, { x: true, weights: true, children: true });
 * ```
 */
export function childSumLstmBackward(
  a: ChildSumLstmArgs, tape: ChildSumLstmTape, dy: TypedArray, want: TreeLstmWanted, keep: ChildSumKept | null = null,
): TreeLstmGrads {
  const { nodes: n, slots: K, inputSize: I, hiddenSize: H, x } = a;
  const G = 4 * H;
  const kids = a.childH !== null && a.childC !== null;
  if (keep !== null && (want.x || want.weights)) throw new ArgumentError('childSumLstmBackward', 'a call that keeps da and dz_f for deferred products computes neither dx nor the weight gradients');
  const z = tape.gates, f = tape.forget, tc = tape.tanhC, cc = a.childC;
  // dz: [dz_i, 0, dz_g, dz_o] (the h~ part); da: the same with the forget block summed.
  const dz = ws.get('dz', x, n * G);
  const da = keep?.da ?? ws.get('da', x, n * G);
  const dzf = kids ? (keep?.forget ?? ws.get('dzf', x, n * K * H)) : null;
  if (keep !== null) {
    checkLength('childSumLstmBackward', 'keep.da', da, n * G);
    if (dzf !== null) checkLength('childSumLstmBackward', 'keep.forget', dzf, n * K * H);
  }
  const dChildC = kids && want.children ? allocateLike(x, n * K * H) : null;
  const w = useWasmSequence(x) ? wasmKernels() : undefined;
  if (w === undefined) {
    treeGatesBackward(gateLayout(n, K, H), z, f, kids ? cc : null, tc, dy, dz, dzf ?? dz, da, dChildC);
  } else {
    const nG = n * G, nKH = kids ? n * K * H : 0, nH = n * H;
    const zAt = w.scratch('childSumLstm', 4 * (3 * nG + 4 * nKH + 3 * nH));
    const fAt = zAt + 4 * nG, ccAt = fAt + 4 * nKH, tcAt = ccAt + 4 * nKH, dyAt = tcAt + 4 * nH;
    const dzAt = dyAt + 8 * nH, daAt = dzAt + 4 * nG, dzfAt = daAt + 4 * nG, dccAt = dzfAt + 4 * nKH;
    w.write(zAt, z);
    if (kids) {
      w.write(fAt, f);
      w.write(ccAt, cc as TypedArray);
    }
    w.write(tcAt, tc);
    w.write(dyAt, dy);
    w.exports.treeGatesBackward(n, H, K, zAt, G, 2 * H, 3 * H, fAt, K * H, ccAt, kids ? 1 : 0, tcAt, dyAt, dyAt + 4 * n * H, dzAt, dzfAt, daAt, dChildC === null ? 0 : dccAt);
    w.read(dzAt, nG, dz as Float32Array);
    w.read(daAt, nG, da as Float32Array);
    if (kids) w.read(dzfAt, nKH, dzf as Float32Array);
    if (dChildC !== null) w.read(dccAt, nKH, dChildC as Float32Array);
  }
  let dx: TypedArray | null = null;
  if (want.x) {
    dx = allocateLike(x, n * I);
    gemm(false, false, n, I, G, 1, da, 0, G, a.weightIh, 0, I, 0, dx, 0, I);
  }
  let dWih: TypedArray | null = null, dWhh: TypedArray | null = null, dbIh: TypedArray | null = null, dbHh: TypedArray | null = null;
  if (want.weights) {
    dWih = allocateLike(x, G * I);
    gemm(true, false, G, I, n, 1, da, 0, G, x, 0, I, 0, dWih, 0, I);
    if (kids) {
      dWhh = allocateLike(x, G * H);
      gemm(true, false, G, H, n, 1, dz, 0, G, tape.childSum, 0, H, 0, dWhh, 0, H);
      gemm(true, false, H, H, n * K, 1, dzf as TypedArray, 0, H, a.childH as TypedArray, 0, H, 1, dWhh, H * H, H);
    }
    if (a.biasIh !== null && a.biasHh !== null) {
      dbIh = allocateLike(x, G);
      columnSums(da, 0, G, n, G, dbIh);
      dbHh = dbIh.slice();
    }
  }
  let dChildH: TypedArray | null = null;
  if (kids && want.children) {
    // The h~ part, the same for every child of a node, then each child's forget part on top.
    const dSum = ws.get('dSum', x, n * H);
    gemm(false, false, n, H, G, 1, dz, 0, G, a.weightHh, 0, H, 0, dSum, 0, H);
    dChildH = allocateLike(x, n * K * H);
    for (let r = 0; r < n; r++) {
      for (let k = 0; k < K; k++) for (let j = 0, to = (r * K + k) * H; j < H; j++) dChildH[to + j] = dSum[r * H + j] as number;
    }
    gemm(false, false, n * K, H, H, 1, dzf as TypedArray, 0, H, a.weightHh, H * H, H, 1, dChildH, 0, H);
  }
  return { x: dx, weightIh: dWih, weightHh: dWhh, biasIh: dbIh, biasHh: dbHh, childH: dChildH, childC: dChildC };
}
