import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import {
  Workspace, allocateLike, checkLength, checkSequenceArgs, columnSums, combinedBias, fromStepMajor, tanhOf, toStepMajor,
  type SequenceArgs, type SequenceDims,
} from './rnn-sequence-common.js';
import { sgemmAt } from './gemm-wasm.js';
import { partsFor, rowsOf, runParts, threadScratch } from './threads.js';
import {
  FEW_ROWS, LOOP_MIN_MACS, WasmSequenceTape, carve, checkWasmTape, copyTo, inputProjection, residentPacked, residentRaw, outputGradsInto, readInto, stateGradInto, stepMajorFrom, stepMajorInto, useWasmSequence, writeLengths,
  writeOrZero, writeOutputs,
} from './sequence-wasm.js';

/**
 * Inputs of the fused Elman RNN over a sequence: {@link SequenceArgs} with one gate block,
 * the initial state and the activation.
 *
 * @example
 * ```ts
 * const args: RnnSequenceArgs = { ...dims, x, h0, weightIh, weightHh, biasIh, biasHh, lengths: null, reverse: false, relu: false };
 * ```
 */
export interface RnnSequenceArgs extends SequenceArgs {
  /** [B, H] */
  readonly h0: TypedArray;
  /** max(a, 0) instead of tanh(a). */
  readonly relu: boolean;
}

/**
 * What the JavaScript RNN forward pass keeps for backward: only the states, since the
 * activation's derivative is a function of its output (1 - h^2 for tanh, [h > 0] for relu).
 *
 * @example
 * ```ts
 * const tape = rnnTape(new Float64Array(0), dims) as RnnArrays;
 * ```
 */
export interface RnnArrays {
  /** h entering step s at row s (s = 0 is h0), the final h at row T: [T+1, B, H]. */
  readonly hs: TypedArray;
}

/** The RNN's saved states: typed arrays (JavaScript path) or in WebAssembly memory (float32 SIMD path). */
export type RnnTape = RnnArrays | WasmSequenceTape;

/**
 * Allocates an {@link RnnTape} for data like `like`: in WebAssembly memory for float32 when
 * the SIMD kernels are in use, else a typed array of its dtype.
 *
 * @example
 * ```ts
 * const tape = rnnTape(x, dims);
 * ```
 */
export function rnnTape(like: TypedArray, dims: SequenceDims): RnnTape {
  const { batch: B, steps: T, hiddenSize: H } = dims;
  if (useWasmSequence(like)) {
    const tape = WasmSequenceTape.create(rnnTapeFloats(dims));
    if (tape !== null) return tape;
  }
  return { hs: allocateLike(like, (T + 1) * B * H) };
}

function rnnTapeFloats(dims: SequenceDims): number {
  return carve(0, [(dims.steps + 1) * dims.batch * dims.hiddenSize]).bytes / 4;
}

/**
 * Gradients the RNN backward pass writes (overwriting), each null when not wanted.
 *
 * @example
 * ```ts
 * const grads: RnnSequenceGrads = { dx: null, dh0: null, dWeightIh, dWeightHh, dBiasIh, dBiasHh };
 * ```
 */
export interface RnnSequenceGrads {
  /** [B, T, I] */
  readonly dx: TypedArray | null;
  /** [B, H] */
  readonly dh0: TypedArray | null;
  /** [H, I] */
  readonly dWeightIh: TypedArray | null;
  /** [H, H] */
  readonly dWeightHh: TypedArray | null;
  /** [H] */
  readonly dBiasIh: TypedArray | null;
  /** [H] */
  readonly dBiasHh: TypedArray | null;
}

const ws = new Workspace();

/**
 * The Elman RNN over a whole sequence in one call (the chapter's equation 10.8):
 *
 *     h(t) = act(x(t) W_ih^T + b_ih + h(t-1) W_hh^T + b_hh),   act = tanh or relu
 *
 * with the input projections of all steps in one gemm before the loop, one gemm and one
 * element-wise pass per step, and no allocation in the loop. Writes y [B, T+1, H]: the outputs
 * at rows t < T (0 at padded steps, where the state is carried), then the final h at row T.
 *
 * @example
 * ```ts
 * const tape = rnnTape(x, dims);
 * const y = new Float64Array(dims.batch * (dims.steps + 1) * dims.hiddenSize);
 * rnnSequenceForward({ ...dims, x, h0, weightIh, weightHh, biasIh, biasHh, lengths: null, reverse: false, relu: false }, tape, y);
 * ```
 */
export function rnnSequenceForward(args: RnnSequenceArgs, tape: RnnTape, y: TypedArray): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, x, weightIh, weightHh, lengths, reverse, relu } = args;
  checkSequenceArgs('rnnSequenceForward', args, 1);
  checkLength('rnnSequenceForward', 'h0', args.h0, B * H);
  checkLength('rnnSequenceForward', 'y', y, B * (T + 1) * H);
  if (tape instanceof WasmSequenceTape) {
    checkWasmTape('rnnSequenceForward', tape, rnnTapeFloats(args), x);
    rnnForwardWasm(args, tape, y);
    return;
  }
  checkLength('rnnSequenceForward', 'tape.hs', tape.hs, (T + 1) * B * H);
  const { hs } = tape;

  const xs = ws.get('x', x, T * B * I);
  toStepMajor(x, B, T, I, reverse, xs);
  const pre = ws.get('pre', x, T * B * H);
  gemm(false, true, T * B, H, I, 1, xs, 0, I, weightIh, 0, I, 0, pre, 0, H);
  const bias = combinedBias(args.biasIh, args.biasHh, ws.get('bias', x, H));
  hs.set(args.h0, 0);
  const fast = x instanceof Float32Array;
  for (let s = 0; s < T; s++) {
    gemm(false, true, B, H, H, 1, hs, s * B * H, H, weightHh, 0, H, 1, pre, s * B * H, H);
    rnnStepForward(B, T, H, s, reverse ? T - 1 - s : s, lengths, relu, fast, bias, pre, hs, y);
  }
  for (let b = 0; b < B; b++) {
    const from = (T * B + b) * H;
    const to = (b * (T + 1) + T) * H;
    for (let j = 0; j < H; j++) y[to + j] = hs[from + j] as number;
  }
}

function rnnStepForward(
  B: number, T: number, H: number, s: number, t: number, lengths: Int32Array | null, relu: boolean, fast: boolean, bias: TypedArray,
  pre: TypedArray, hs: TypedArray, y: TypedArray,
): void {
  for (let b = 0; b < B; b++) {
    const prev = (s * B + b) * H;
    const next = prev + B * H;
    const yo = (b * (T + 1) + t) * H;
    if (lengths !== null && t >= (lengths[b] as number)) {
      for (let j = 0; j < H; j++) {
        hs[next + j] = hs[prev + j] as number;
        y[yo + j] = 0;
      }
      continue;
    }
    for (let j = 0; j < H; j++) {
      const a = (pre[prev + j] as number) + (bias[j] as number);
      const h = relu ? (a > 0 ? a : 0) : tanhOf(a, fast);
      hs[next + j] = h;
      y[yo + j] = h;
    }
  }
}

/**
 * Back-propagation through time for {@link rnnSequenceForward}, given dy [B, T+1, H] (the
 * outputs' gradient, then the final h's):
 *
 *     da(t) = (dh + dy(t)) * act'(h(t)),   act' = 1 - h^2 (tanh) or [h > 0] (relu)
 *     dh(t-1) = da(t) W_hh                                   (one gemm per step)
 *
 * then dW_ih = da^T X, dW_hh = da^T H_prev, db = column sums of da and dX = da W_ih, one
 * gemm each over all steps. Padded steps pass dh through. Gradients are written, not
 * accumulated.
 *
 * @example
 * ```ts
 * rnnSequenceBackward(args, tape, dy, { dx, dh0, dWeightIh, dWeightHh, dBiasIh, dBiasHh });
 * ```
 */
export function rnnSequenceBackward(args: RnnSequenceArgs, tape: RnnTape, dy: TypedArray, grads: RnnSequenceGrads): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, x, weightIh, weightHh, lengths, reverse, relu } = args;
  const k = 'rnnSequenceBackward';
  checkSequenceArgs(k, args, 1);
  checkLength(k, 'dy', dy, B * (T + 1) * H);
  checkLength(k, 'dx', grads.dx, B * T * I);
  checkLength(k, 'dh0', grads.dh0, B * H);
  checkLength(k, 'dWeightIh', grads.dWeightIh, H * I);
  checkLength(k, 'dWeightHh', grads.dWeightHh, H * H);
  checkLength(k, 'dBiasIh', grads.dBiasIh, H);
  checkLength(k, 'dBiasHh', grads.dBiasHh, H);
  if (tape instanceof WasmSequenceTape) {
    checkWasmTape(k, tape, rnnTapeFloats(args), x);
    rnnBackwardWasm(args, tape, dy, grads);
    return;
  }
  checkLength(k, 'tape.hs', tape.hs, (T + 1) * B * H);
  const { hs } = tape;

  const dh = ws.get('dh', x, B * H);
  for (let b = 0; b < B; b++) {
    const from = (b * (T + 1) + T) * H;
    for (let j = 0; j < H; j++) dh[b * H + j] = dy[from + j] as number;
  }
  const da = ws.get('da', x, T * B * H);
  for (let s = T - 1; s >= 0; s--) {
    rnnStepBackward(B, T, H, s, reverse ? T - 1 - s : s, lengths, relu, hs, dy, dh, da);
    gemm(false, false, B, H, H, 1, da, s * B * H, H, weightHh, 0, H, 1, dh, 0, H);
  }
  if (grads.dh0 !== null) grads.dh0.set(dh);
  if (grads.dWeightHh !== null) gemm(true, false, H, H, T * B, 1, da, 0, H, hs, 0, H, 0, grads.dWeightHh, 0, H);
  // Both biases sit on the same pre-activation, so they share one gradient.
  const dBias = grads.dBiasIh ?? grads.dBiasHh;
  if (dBias !== null) columnSums(da, 0, H, T * B, H, dBias);
  if (grads.dBiasIh !== null && grads.dBiasHh !== null) grads.dBiasHh.set(grads.dBiasIh);
  if (grads.dWeightIh !== null) {
    const xs = ws.get('x', x, T * B * I);
    toStepMajor(x, B, T, I, reverse, xs);
    gemm(true, false, H, I, T * B, 1, da, 0, H, xs, 0, I, 0, grads.dWeightIh, 0, I);
  }
  if (grads.dx !== null) {
    const dxs = ws.get('dx', x, T * B * I);
    gemm(false, false, T * B, I, H, 1, da, 0, H, weightIh, 0, I, 0, dxs, 0, I);
    fromStepMajor(dxs, B, T, I, reverse, grads.dx);
  }
}

function rnnStepBackward(
  B: number, T: number, H: number, s: number, t: number, lengths: Int32Array | null, relu: boolean,
  hs: TypedArray, dy: TypedArray, dh: TypedArray, da: TypedArray,
): void {
  for (let b = 0; b < B; b++) {
    const ao = (s * B + b) * H;
    if (lengths !== null && t >= (lengths[b] as number)) {
      da.fill(0, ao, ao + H);
      continue;
    }
    const next = ao + B * H;
    const yo = (b * (T + 1) + t) * H;
    const ho = b * H;
    for (let j = 0; j < H; j++) {
      const h = hs[next + j] as number;
      const dht = (dh[ho + j] as number) + (dy[yo + j] as number);
      da[ao + j] = relu ? (h > 0 ? dht : 0) : dht * (1 - h * h);
      dh[ho + j] = 0;
    }
  }
}

// The WebAssembly SIMD path: the same recurrence, layout and maths as above, with every buffer
// in wasm memory (sequence-wasm.ts). The tape block is hs [T+1, B, H].

function rnnForwardWasm(args: RnnSequenceArgs, tape: WasmSequenceTape, y: TypedArray): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, lengths, reverse } = args;
  const w = tape.kernels;
  const e = w.exports;
  const hsAt = tape.at;
  // First what may allocate (the worker pool, resident weights), then views of the memory.
  const parts = partsFor(B, T * B * H * H, LOOP_MIN_MACS);
  // A single row steps with matrix-vector products on W_hh as stored; more rows pack W_hh^T.
  const few = B <= FEW_ROWS;
  const wihRes = residentRaw(w, args.weightIh);
  const whhRes = few ? residentRaw(w, args.weightHh) : residentPacked(w, args.weightHh, 'T', true, H, H, H, 0);
  const { at: offsets, bytes } = carve(0, [T * B * I, H * I, H * H, few ? 0 : e.packedBBytes(H, H) / 4, T * B * H, H, B]);
  const base = w.scratch('rnn', bytes);
  const [xsAt, wihCopy, whhCopy, packedCopy, preAt, biasAt, lensAt] = offsets.map((a) => base + a) as
    [number, number, number, number, number, number, number];
  const heap = w.f32;
  stepMajorInto(heap, xsAt, args.x, B, T, I, reverse);
  const wihAt = wihRes ?? copyTo(heap, wihCopy, args.weightIh);
  let whhAt = whhRes;
  if (whhAt === null) {
    heap.set(args.weightHh, whhCopy >> 2);
    if (few) whhAt = whhCopy;
    else {
      e.packB(1, H, H, whhCopy, H, packedCopy);
      whhAt = packedCopy;
    }
  }
  inputProjection(w, T * B, H, I, xsAt, wihAt, preAt);
  combinedBias(args.biasIh, args.biasHh, heap.subarray(biasAt >> 2, (biasAt >> 2) + H));
  heap.set(args.h0, hsAt >> 2);
  const lengthsAt = writeLengths(w, lensAt, lengths);
  const relu = args.relu ? 1 : 0, rev = reverse ? 1 : 0;
  if (few) {
    const step = B * H * 4;
    for (let s = 0; s < T; s++) {
      const hPrev = hsAt + s * step, pre = preAt + s * step;
      for (let b = 0; b < B; b++) e.sgemv(H, H, 1, whhAt, H, hPrev + b * H * 4, 1, pre + b * H * 4);
      e.rnnStepForward(B, H, pre, biasAt, hPrev, hPrev + step, relu, lengthsAt, reverse ? T - 1 - s : s);
    }
  } else {
    const packedAt = whhAt;
    runParts('rnnForwardLoop', parts, (p) => {
      const [b0, b1] = rowsOf(B, parts, p);
      const { packA, tile } = threadScratch(p);
      return [B, b0, b1, T, H, rev, relu, preAt, hsAt, packedAt, biasAt, lengthsAt, packA, tile];
    });
  }
  writeOutputs(heap, B, T, H, reverse, lengths, hsAt, null, y);
}

function rnnBackwardWasm(args: RnnSequenceArgs, tape: WasmSequenceTape, dy: TypedArray, grads: RnnSequenceGrads): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, lengths, reverse } = args;
  const w = tape.kernels;
  const e = w.exports;
  const hsAt = tape.at;
  const parts = partsFor(B, T * B * H * H, LOOP_MIN_MACS);
  const { at: offsets, bytes } = carve(0, [H * H, e.packedBBytes(H, H) / 4, T * B * H, B * H, T * B * H, T * B * I, H * I, H * H, H, B]);
  const base = w.scratch('rnn', bytes);
  const [whhAt, packedAt, dysAt, dhAt, daAt, xsAt, wihAt, dWAt, dbAt, lensAt] = offsets.map((a) => base + a) as
    [number, number, number, number, number, number, number, number, number, number];
  const heap = w.f32;
  heap.set(args.weightHh, whhAt >> 2);
  e.packB(0, H, H, whhAt, H, packedAt);
  outputGradsInto(heap, dysAt, dy, B, T, H, 1, reverse);
  stateGradInto(heap, dhAt, dy, B, T + 1, T, H);
  const lengthsAt = writeLengths(w, lensAt, lengths);
  const relu = args.relu ? 1 : 0, rev = reverse ? 1 : 0;
  runParts('rnnBackwardLoop', parts, (p) => {
    const [b0, b1] = rowsOf(B, parts, p);
    const { packA, tile } = threadScratch(p);
    return [B, b0, b1, T, H, rev, relu, hsAt, dysAt, dhAt, daAt, packedAt, lengthsAt, packA, tile];
  });
  readInto(heap, dhAt, B * H, grads.dh0);
  if (grads.dWeightHh !== null) {
    sgemmAt(true, false, H, H, T * B, 1, daAt, H, hsAt, H, 0, dWAt, H);
    readInto(heap, dWAt, H * H, grads.dWeightHh);
  }
  // Both biases sit on the same pre-activation, so they share one gradient.
  const dBias = grads.dBiasIh ?? grads.dBiasHh;
  if (dBias !== null) {
    e.columnSums(daAt, H, T * B, H, dbAt);
    readInto(heap, dbAt, H, dBias);
    if (grads.dBiasIh !== null && grads.dBiasHh !== null) grads.dBiasHh.set(grads.dBiasIh);
  }
  if (grads.dWeightIh !== null) {
    stepMajorInto(heap, xsAt, args.x, B, T, I, reverse);
    sgemmAt(true, false, H, I, T * B, 1, daAt, H, xsAt, I, 0, dWAt, I);
    readInto(heap, dWAt, H * I, grads.dWeightIh);
  }
  if (grads.dx !== null) {
    writeOrZero(heap, wihAt, args.weightIh, H * I);
    // dX reuses the xs buffer: the weight gradient above has already read it.
    sgemmAt(false, false, T * B, I, H, 1, daAt, H, wihAt, I, 0, xsAt, I);
    stepMajorFrom(heap, xsAt, B, T, I, reverse, grads.dx);
  }
}
