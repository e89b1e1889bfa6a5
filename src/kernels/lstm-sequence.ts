import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import {
  Workspace, allocateLike, checkLength, checkSequenceArgs, columnSums, combinedBias, fromStepMajor, sigmoidInPlace, tanhInPlace, tanhOf, toStepMajor,
  type SequenceArgs, type SequenceDims,
} from './rnn-sequence-common.js';
import { sgemmAt } from './gemm-wasm.js';
import { partsFor, rowsOf, runParts, threadScratch } from './threads.js';
import {
  FEW_ROWS, LOOP_MIN_MACS, WasmSequenceTape, carve, checkWasmTape, copyTo, inputProjection, residentPacked, residentRaw, outputGradsInto, readInto, stateGradInto, stepMajorFrom, stepMajorInto, useWasmSequence, writeLengths, writeOutputs,
} from './sequence-wasm.js';

/**
 * Inputs of the fused LSTM over a sequence: {@link SequenceArgs} with 4 gate blocks in
 * PyTorch's order i, f, g, o, plus the initial state.
 *
 * @example
 * ```ts
 * const args: LstmSequenceArgs = { ...dims, x, h0, c0, weightIh, weightHh, biasIh, biasHh, lengths: null, reverse: false };
 * ```
 */
export interface LstmSequenceArgs extends SequenceArgs {
  /** [B, H] */
  readonly h0: TypedArray;
  /** [B, H] */
  readonly c0: TypedArray;
}

/**
 * What the JavaScript forward pass keeps for the backward pass, step-major in processing
 * order s.
 *
 * @example
 * ```ts
 * const tape = lstmTape(new Float64Array(0), dims) as LstmArrays; // 7 * T * B * H + 2 * B * H elements
 * ```
 */
export interface LstmArrays {
  /** The activated gates i, f, g, o of every step: [T, B, 4H]. */
  readonly gates: TypedArray;
  /** h entering step s at row s (s = 0 is h0), and the final h at row T: [T+1, B, H]. */
  readonly hs: TypedArray;
  /** c likewise: [T+1, B, H]. */
  readonly cs: TypedArray;
  /** tanh(c(t)) computed by step s: [T, B, H]. */
  readonly tanhC: TypedArray;
}

/**
 * What the forward pass keeps for backward: typed arrays on the JavaScript path, or the same
 * buffers inside WebAssembly memory on the float32 SIMD path. {@link lstmTape} picks, and
 * forward and backward follow the tape, so the two always take the same path.
 */
export type LstmTape = LstmArrays | WasmSequenceTape;

/**
 * Allocates an {@link LstmTape} for data like `like`: resident in WebAssembly memory for
 * float32 when the SIMD kernels are in use, else typed arrays of its dtype.
 *
 * @example
 * ```ts
 * const tape = lstmTape(x, dims);
 * ```
 */
export function lstmTape(like: TypedArray, dims: SequenceDims): LstmTape {
  if (useWasmSequence(like)) {
    const tape = lstmWasmTape(dims);
    if (tape !== null) return tape;
  }
  const { batch: B, steps: T, hiddenSize: H } = dims;
  return {
    gates: allocateLike(like, T * B * 4 * H),
    hs: allocateLike(like, (T + 1) * B * H),
    cs: allocateLike(like, (T + 1) * B * H),
    tanhC: allocateLike(like, T * B * H),
  };
}

/**
 * Gradients the LSTM backward pass writes (overwriting), each null when not wanted.
 *
 * @example
 * ```ts
 * const grads: LstmSequenceGrads = { dx: null, dh0: null, dc0: null, dWeightIh, dWeightHh, dBiasIh: null, dBiasHh: null };
 * ```
 */
export interface LstmSequenceGrads {
  /** [B, T, I] */
  readonly dx: TypedArray | null;
  /** [B, H] */
  readonly dh0: TypedArray | null;
  /** [B, H] */
  readonly dc0: TypedArray | null;
  /** [4H, I] */
  readonly dWeightIh: TypedArray | null;
  /** [4H, H] */
  readonly dWeightHh: TypedArray | null;
  /** [4H] */
  readonly dBiasIh: TypedArray | null;
  /** [4H] */
  readonly dBiasHh: TypedArray | null;
}

const ws = new Workspace();

/**
 * The LSTM over a whole sequence in one call, following the cuDNN recipe (Appleyard et al.
 * 2016): the input projections of all steps are ONE gemm before the loop, each step is one
 * gemm for all four gates together plus one fused element-wise pass, and nothing is allocated
 * inside the loop. With a = x W_ih^T + b_ih + h(t-1) W_hh^T + b_hh split into [a_i a_f a_g a_o]:
 *
 *     i = sigma(a_i), f = sigma(a_f), g = tanh(a_g), o = sigma(a_o)
 *     c(t) = f * c(t-1) + i * g,      h(t) = o * tanh(c(t))
 *
 * At a padded step (t >= lengths[b]) the state is carried and the output is 0, exactly as
 * `scan` over LSTMCell. Peepholes and projection (proj_size) are not handled here: LSTMCell
 * runs those configurations on the composed path.
 *
 * Writes y [B, T+2, H]: the outputs h(t) at rows t < T (aligned with the inputs), then the
 * final h at row T and the final c at row T+1, and fills `tape` for
 * {@link lstmSequenceBackward}. float32 or float64; every array shares the dtype of x.
 *
 * @example
 * ```ts
 * const dims = { batch: 2, steps: 5, inputSize: 3, hiddenSize: 4 };
 * const tape = lstmTape(x, dims);
 * const y = new Float32Array(2 * (5 + 2) * 4);
 * lstmSequenceForward({ ...dims, x, h0, c0, weightIh, weightHh, biasIh, biasHh, lengths: null, reverse: false }, tape, y);
 * ```
 */
export function lstmSequenceForward(args: LstmSequenceArgs, tape: LstmTape, y: TypedArray): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, x, weightIh, weightHh, lengths, reverse } = args;
  const G = 4 * H;
  checkSequenceArgs('lstmSequenceForward', args, 4);
  checkLength('lstmSequenceForward', 'h0', args.h0, B * H);
  checkLength('lstmSequenceForward', 'c0', args.c0, B * H);
  checkLength('lstmSequenceForward', 'y', y, B * (T + 2) * H);
  checkTape('lstmSequenceForward', tape, args);
  if (tape instanceof WasmSequenceTape) {
    lstmForwardWasm(args, tape, y);
    return;
  }
  const { gates, hs, cs, tanhC } = tape;

  const xs = ws.get('x', x, T * B * I);
  toStepMajor(x, B, T, I, reverse, xs);
  gemm(false, true, T * B, G, I, 1, xs, 0, I, weightIh, 0, I, 0, gates, 0, G);
  const bias = combinedBias(args.biasIh, args.biasHh, ws.get('bias', x, G));
  hs.set(args.h0, 0);
  cs.set(args.c0, 0);
  const fast = x instanceof Float32Array;

  for (let s = 0; s < T; s++) {
    gemm(false, true, B, G, H, 1, hs, s * B * H, H, weightHh, 0, H, 1, gates, s * B * G, G);
    lstmStepForward(B, T, H, s, reverse ? T - 1 - s : s, lengths, fast, bias, gates, hs, cs, tanhC, y);
  }
  for (let b = 0; b < B; b++) {
    const from = (T * B + b) * H;
    const to = (b * (T + 2) + T) * H;
    for (let j = 0; j < H; j++) {
      y[to + j] = hs[from + j] as number;
      y[to + H + j] = cs[from + j] as number;
    }
  }
}

// One step's element-wise maths for every example: activations, cell update, output, masking.
// The gate pre-activations of step s (input projection + recurrent product, bias still to
// add) are in `gates`; they are overwritten with the activated gates, all backward needs.
function lstmStepForward(
  B: number, T: number, H: number, s: number, t: number, lengths: Int32Array | null, fast: boolean, bias: TypedArray,
  gates: TypedArray, hs: TypedArray, cs: TypedArray, tanhC: TypedArray, y: TypedArray,
): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const prev = (s * B + b) * H;
    const next = prev + B * H;
    const yo = (b * (T + 2) + t) * H;
    if (lengths !== null && t >= (lengths[b] as number)) {
      for (let j = 0; j < H; j++) {
        hs[next + j] = hs[prev + j] as number;
        cs[next + j] = cs[prev + j] as number;
        y[yo + j] = 0;
      }
      continue;
    }
    const go = (s * B + b) * G;
    for (let k = 0; k < G; k++) gates[go + k] = (gates[go + k] as number) + (bias[k] as number);
    sigmoidInPlace(gates, go, go + 2 * H, fast);
    tanhInPlace(gates, go + 2 * H, go + 3 * H, fast);
    sigmoidInPlace(gates, go + 3 * H, go + G, fast);
    for (let j = 0; j < H; j++) {
      const i = gates[go + j] as number;
      const f = gates[go + H + j] as number;
      const g = gates[go + 2 * H + j] as number;
      const o = gates[go + 3 * H + j] as number;
      const c = f * (cs[prev + j] as number) + i * g;
      const tc = tanhOf(c, fast);
      const h = o * tc;
      cs[next + j] = c;
      tanhC[prev + j] = tc;
      hs[next + j] = h;
      y[yo + j] = h;
    }
  }
}

/**
 * Back-propagation through time for {@link lstmSequenceForward}, given dy [B, T+2, H] (the
 * gradient of the outputs, then of the final h and final c). Walking the steps backwards with
 * the running gradients dh, dc of the state:
 *
 *     dh~ = dh + dy(t),   do = dh~ tanh(c),   dc~ = dc + dh~ o (1 - tanh(c)^2)
 *     da_i = dc~ g i (1-i),  da_f = dc~ c(t-1) f (1-f),  da_g = dc~ i (1-g^2),  da_o = do o (1-o)
 *     dc(t-1) = dc~ f,       dh(t-1) = da W_hh            (one gemm per step, all gates)
 *
 * and after the loop, for all steps at once: dW_ih = da^T X, dW_hh = da^T H_prev (one gemm
 * each), db_ih = db_hh = column sums of da, dX = da W_ih (one gemm). A padded step passes dh
 * and dc through unchanged and contributes nothing. Gradients are written, not accumulated;
 * `tape` is only read, so backward may run twice over one forward.
 *
 * @example
 * ```ts
 * lstmSequenceBackward(args, tape, dy, { dx, dh0, dc0, dWeightIh, dWeightHh, dBiasIh, dBiasHh });
 * ```
 */
export function lstmSequenceBackward(args: LstmSequenceArgs, tape: LstmTape, dy: TypedArray, grads: LstmSequenceGrads): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, x, weightIh, weightHh, lengths, reverse } = args;
  const G = 4 * H;
  checkSequenceArgs('lstmSequenceBackward', args, 4);
  checkLength('lstmSequenceBackward', 'dy', dy, B * (T + 2) * H);
  checkTape('lstmSequenceBackward', tape, args);
  checkGrads(grads, args);
  if (tape instanceof WasmSequenceTape) {
    lstmBackwardWasm(args, tape, dy, grads);
    return;
  }
  const { gates, hs, cs, tanhC } = tape;

  const dh = ws.get('dh', x, B * H);
  const dc = ws.get('dc', x, B * H);
  for (let b = 0; b < B; b++) {
    const from = (b * (T + 2) + T) * H;
    for (let j = 0; j < H; j++) {
      dh[b * H + j] = dy[from + j] as number;
      dc[b * H + j] = dy[from + H + j] as number;
    }
  }
  const dGates = ws.get('dGates', x, T * B * G);
  for (let s = T - 1; s >= 0; s--) {
    lstmStepBackward(B, T, H, s, reverse ? T - 1 - s : s, lengths, gates, cs, tanhC, dy, dh, dc, dGates);
    // dh holds 0 on valid rows and the carried gradient on padded rows (whose dGates are 0).
    gemm(false, false, B, H, G, 1, dGates, s * B * G, G, weightHh, 0, H, 1, dh, 0, H);
  }
  if (grads.dh0 !== null) grads.dh0.set(dh);
  if (grads.dc0 !== null) grads.dc0.set(dc);
  if (grads.dWeightHh !== null) gemm(true, false, G, H, T * B, 1, dGates, 0, G, hs, 0, H, 0, grads.dWeightHh, 0, H);
  // Both biases sit on the same pre-activation, so they share one gradient.
  const dBias = grads.dBiasIh ?? grads.dBiasHh;
  if (dBias !== null) columnSums(dGates, 0, G, T * B, G, dBias);
  if (grads.dBiasIh !== null && grads.dBiasHh !== null) grads.dBiasHh.set(grads.dBiasIh);
  if (grads.dWeightIh !== null) {
    const xs = ws.get('x', x, T * B * I);
    toStepMajor(x, B, T, I, reverse, xs);
    gemm(true, false, G, I, T * B, 1, dGates, 0, G, xs, 0, I, 0, grads.dWeightIh, 0, I);
  }
  if (grads.dx !== null) {
    const dxs = ws.get('dx', x, T * B * I);
    gemm(false, false, T * B, I, G, 1, dGates, 0, G, weightIh, 0, I, 0, dxs, 0, I);
    fromStepMajor(dxs, B, T, I, reverse, grads.dx);
  }
}

function lstmStepBackward(
  B: number, T: number, H: number, s: number, t: number, lengths: Int32Array | null,
  gates: TypedArray, cs: TypedArray, tanhC: TypedArray, dy: TypedArray,
  dh: TypedArray, dc: TypedArray, dGates: TypedArray,
): void {
  const G = 4 * H;
  for (let b = 0; b < B; b++) {
    const go = (s * B + b) * G;
    if (lengths !== null && t >= (lengths[b] as number)) {
      dGates.fill(0, go, go + G);
      continue;
    }
    const prev = (s * B + b) * H;
    const yo = (b * (T + 2) + t) * H;
    const ho = b * H;
    for (let j = 0; j < H; j++) {
      const gi = go + j;
      const gf = gi + H;
      const gg = gf + H;
      const gO = gg + H;
      const i = gates[gi] as number;
      const f = gates[gf] as number;
      const g = gates[gg] as number;
      const o = gates[gO] as number;
      const tc = tanhC[prev + j] as number;
      const dht = (dh[ho + j] as number) + (dy[yo + j] as number);
      const dct = (dc[ho + j] as number) + dht * o * (1 - tc * tc);
      dGates[gi] = dct * g * i * (1 - i);
      dGates[gf] = dct * (cs[prev + j] as number) * f * (1 - f);
      dGates[gg] = dct * i * (1 - g * g);
      dGates[gO] = dht * tc * o * (1 - o);
      dc[ho + j] = dct * f;
      dh[ho + j] = 0;
    }
  }
}

function checkTape(kernel: string, tape: LstmTape, dims: SequenceDims & { readonly x: TypedArray }): void {
  const { batch: B, steps: T, hiddenSize: H } = dims;
  if (tape instanceof WasmSequenceTape) {
    checkWasmTape(kernel, tape, tapeLayout(0, dims).floats, dims.x);
    return;
  }
  checkLength(kernel, 'tape.gates', tape.gates, T * B * 4 * H);
  checkLength(kernel, 'tape.hs', tape.hs, (T + 1) * B * H);
  checkLength(kernel, 'tape.cs', tape.cs, (T + 1) * B * H);
  checkLength(kernel, 'tape.tanhC', tape.tanhC, T * B * H);
}

function checkGrads(grads: LstmSequenceGrads, dims: SequenceDims): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H } = dims;
  const k = 'lstmSequenceBackward';
  checkLength(k, 'dx', grads.dx, B * T * I);
  checkLength(k, 'dh0', grads.dh0, B * H);
  checkLength(k, 'dc0', grads.dc0, B * H);
  checkLength(k, 'dWeightIh', grads.dWeightIh, 4 * H * I);
  checkLength(k, 'dWeightHh', grads.dWeightHh, 4 * H * H);
  checkLength(k, 'dBiasIh', grads.dBiasIh, 4 * H);
  checkLength(k, 'dBiasHh', grads.dBiasHh, 4 * H);
}

// The WebAssembly SIMD path: the same recurrence, layout and maths as above, with every buffer
// in wasm memory (sequence-wasm.ts). The tape block holds
//
//     gates [T, B, 4H] | hs [T+1, B, H] | cs [T+1, B, H] | tanhC [T, B, H]
//
// (the JS tape's arrays, back to back, 64-byte aligned).

function tapeLayout(at: number, dims: SequenceDims): { gates: number; hs: number; cs: number; tanhC: number; floats: number } {
  const { batch: B, steps: T, hiddenSize: H } = dims;
  const { at: [gates, hs, cs, tanhC], bytes } = carve(at, [T * B * 4 * H, (T + 1) * B * H, (T + 1) * B * H, T * B * H]);
  return { gates: gates as number, hs: hs as number, cs: cs as number, tanhC: tanhC as number, floats: bytes / 4 };
}

/**
 * A WebAssembly-resident LSTM tape for `dims`, or null when the kernels are unavailable.
 *
 * @example
 * ```ts
 * const tape = lstmWasmTape({ batch: 32, steps: 64, inputSize: 65, hiddenSize: 256 });
 * ```
 */
function lstmWasmTape(dims: SequenceDims): WasmSequenceTape | null {
  return WasmSequenceTape.create(tapeLayout(0, dims).floats);
}

/**
 * {@link lstmSequenceForward} on WebAssembly SIMD: the input projections of all steps in one
 * gemm, W_hh copied and packed once, then the time loop in wasm (per step one sgemmPacked,
 * gates += h W_hh^T, and one SIMD pass of the cell maths), split by batch rows over the kernel
 * threads. Arguments are already checked by the caller.
 *
 * @example
 * ```ts
 * lstmForwardWasm(args, tape, y); // called by lstmSequenceForward for a wasm tape
 * ```
 */
function lstmForwardWasm(args: LstmSequenceArgs, tape: WasmSequenceTape, y: TypedArray): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, lengths, reverse } = args;
  const G = 4 * H;
  const w = tape.kernels;
  const e = w.exports;
  const L = tapeLayout(tape.at, args);
  // First what may allocate (the worker pool, resident weights), then views of the memory.
  const parts = partsFor(B, T * B * G * H, LOOP_MIN_MACS);
  // A single row steps with matrix-vector products on W_hh as stored; more rows pack W_hh^T
  // once for the per-step gemm.
  const few = B <= FEW_ROWS;
  const wihRes = residentRaw(w, args.weightIh);
  const whhRes = few ? residentRaw(w, args.weightHh) : residentPacked(w, args.weightHh, 'T', true, H, G, H, 0);
  const { at: offsets, bytes } = carve(0, [T * B * I, G * I, G * H, few ? 0 : e.packedBBytes(H, G) / 4, G, B]);
  const base = w.scratch('lstm', bytes);
  const [xsAt, wihCopy, whhCopy, packedCopy, biasAt, lensAt] = offsets.map((a) => base + a) as [number, number, number, number, number, number];
  const heap = w.f32;

  stepMajorInto(heap, xsAt, args.x, B, T, I, reverse);
  const wihAt = wihRes ?? copyTo(heap, wihCopy, args.weightIh);
  let whhAt = whhRes;
  if (whhAt === null) {
    heap.set(args.weightHh, whhCopy >> 2);
    if (few) whhAt = whhCopy;
    else {
      e.packB(1, H, G, whhCopy, H, packedCopy);
      whhAt = packedCopy;
    }
  }
  inputProjection(w, T * B, G, I, xsAt, wihAt, L.gates);
  const bi = args.biasIh, bh = args.biasHh;
  const b0 = biasAt >> 2;
  for (let k = 0; k < G; k++) heap[b0 + k] = bi === null || bh === null ? 0 : (bi[k] as number) + (bh[k] as number);
  heap.set(args.h0, L.hs >> 2);
  heap.set(args.c0, L.cs >> 2);
  const lengthsAt = writeLengths(w, lensAt, lengths);

  if (few) {
    const stepH = B * H * 4, stepG = B * G * 4;
    for (let s = 0; s < T; s++) {
      const gates = L.gates + s * stepG, hPrev = L.hs + s * stepH, cPrev = L.cs + s * stepH;
      for (let b = 0; b < B; b++) e.sgemv(G, H, 1, whhAt, H, hPrev + b * H * 4, 1, gates + b * G * 4);
      e.lstmStepForward(B, H, gates, biasAt, hPrev, cPrev, hPrev + stepH, cPrev + stepH, L.tanhC + s * stepH, lengthsAt, reverse ? T - 1 - s : s);
    }
  } else {
    const rev = reverse ? 1 : 0, packedAt = whhAt;
    runParts('lstmForwardLoop', parts, (p) => {
      const [b0, b1] = rowsOf(B, parts, p);
      const { packA, tile } = threadScratch(p);
      return [B, b0, b1, T, H, rev, L.gates, L.hs, L.cs, L.tanhC, packedAt, biasAt, lengthsAt, packA, tile];
    });
  }
  writeOutputs(heap, B, T, H, reverse, lengths, L.hs, L.cs, y);
}

/**
 * {@link lstmSequenceBackward} on WebAssembly SIMD: the loop in wasm, split by batch rows over
 * the kernel threads (per step, last to first, one SIMD pass for the gate gradients and one
 * sgemmPacked, dh += dGates W_hh, W_hh packed once), then the weight gradients of all steps
 * as one (row-split) gemm each and the bias gradient as one column sum.
 *
 * @example
 * ```ts
 * lstmBackwardWasm(args, tape, dy, grads); // called by lstmSequenceBackward for a wasm tape
 * ```
 */
function lstmBackwardWasm(args: LstmSequenceArgs, tape: WasmSequenceTape, dy: TypedArray, grads: LstmSequenceGrads): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, lengths, reverse } = args;
  const G = 4 * H;
  const w = tape.kernels;
  const e = w.exports;
  const L = tapeLayout(tape.at, args);
  const parts = partsFor(B, T * B * G * H, LOOP_MIN_MACS);
  const packedBytes = e.packedBBytes(G, H);
  const { at: offsets, bytes } = carve(0, [
    G * H, packedBytes / 4, T * B * H, B * H, B * H, T * B * G, T * B * I, G * I, T * B * I, G * I, G * H, G, B,
  ]);
  const base = w.scratch('lstm', bytes);
  const [whhAt, packedAt, dysAt, dhAt, dcAt, dGatesAt, xsAt, wihAt, dxsAt, dWihAt, dWhhAt, dbAt, lensAt] = offsets.map((a) => base + a) as
    [number, number, number, number, number, number, number, number, number, number, number, number, number];
  const heap = w.f32;

  heap.set(args.weightHh, whhAt >> 2);
  e.packB(0, G, H, whhAt, H, packedAt);
  outputGradsInto(heap, dysAt, dy, B, T, H, 2, reverse);
  stateGradInto(heap, dhAt, dy, B, T + 2, T, H);
  stateGradInto(heap, dcAt, dy, B, T + 2, T + 1, H);
  const lengthsAt = writeLengths(w, lensAt, lengths);

  const rev = reverse ? 1 : 0;
  runParts('lstmBackwardLoop', parts, (p) => {
    const [b0, b1] = rowsOf(B, parts, p);
    const { packA, tile } = threadScratch(p);
    return [B, b0, b1, T, H, rev, L.gates, L.cs, L.tanhC, dysAt, dhAt, dcAt, dGatesAt, packedAt, lengthsAt, packA, tile];
  });
  readInto(heap, dhAt, B * H, grads.dh0);
  readInto(heap, dcAt, B * H, grads.dc0);
  if (grads.dWeightHh !== null) {
    sgemmAt(true, false, G, H, T * B, 1, dGatesAt, G, L.hs, H, 0, dWhhAt, H);
    readInto(heap, dWhhAt, G * H, grads.dWeightHh);
  }
  // Both biases sit on the same pre-activation, so they share one gradient.
  const dBias = grads.dBiasIh ?? grads.dBiasHh;
  if (dBias !== null) {
    e.columnSums(dGatesAt, G, T * B, G, dbAt);
    readInto(heap, dbAt, G, dBias);
    if (grads.dBiasIh !== null && grads.dBiasHh !== null) grads.dBiasHh.set(grads.dBiasIh);
  }
  if (grads.dWeightIh !== null) {
    stepMajorInto(heap, xsAt, args.x, B, T, I, reverse);
    sgemmAt(true, false, G, I, T * B, 1, dGatesAt, G, xsAt, I, 0, dWihAt, I);
    readInto(heap, dWihAt, G * I, grads.dWeightIh);
  }
  if (grads.dx !== null) {
    heap.set(args.weightIh, wihAt >> 2);
    sgemmAt(false, false, T * B, I, G, 1, dGatesAt, G, wihAt, I, 0, dxsAt, I);
    stepMajorFrom(heap, dxsAt, B, T, I, reverse, grads.dx);
  }
}
