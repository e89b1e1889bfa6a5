import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import {
  Workspace, allocateLike, checkLength, checkSequenceArgs, columnSums, fromStepMajor, sigmoidInPlace, tanhInPlace, toStepMajor,
  type SequenceArgs, type SequenceDims,
} from './rnn-sequence-common.js';
import { sgemmAt } from './gemm-wasm.js';
import { partsFor, rowsOf, runParts, threadScratch } from './threads.js';
import type { KernelExports } from './wasm-module.js';
import {
  FEW_ROWS, LOOP_MIN_MACS, WasmSequenceTape, carve, checkWasmTape, copyTo, inputProjection, residentPacked, residentRaw, outputGradsInto, readInto, stateGradInto, stepMajorFrom, stepMajorInto, useWasmSequence, writeLengths,
  writeOrZero, writeOutputs,
} from './sequence-wasm.js';

/**
 * Inputs of the fused GRU over a sequence: {@link SequenceArgs} with 3 gate blocks in
 * PyTorch's order r, z, n, the initial state and where the reset gate acts.
 *
 * @example
 * ```ts
 * const args: GruSequenceArgs = { ...dims, x, h0, weightIh, weightHh, biasIh, biasHh, lengths: null, reverse: false, resetAfter: true };
 * ```
 */
export interface GruSequenceArgs extends SequenceArgs {
  /** [B, H] */
  readonly h0: TypedArray;
  /** true: n = tanh(x_n + r * (h W_hn^T + b_hn)) (PyTorch, cuDNN); false: n = tanh(x_n + (r * h) W_hn^T + b_hn) (the book). */
  readonly resetAfter: boolean;
}

/**
 * What the JavaScript GRU forward pass keeps for backward, step-major in processing order s.
 *
 * @example
 * ```ts
 * const tape = gruTape(new Float64Array(0), dims) as GruArrays;
 * ```
 */
export interface GruArrays {
  /** The activated r, z, n of every step: [T, B, 3H]. */
  readonly gates: TypedArray;
  /** h entering step s at row s (s = 0 is h0), the final h at row T: [T+1, B, H]. */
  readonly hs: TypedArray;
  /**
   * [T, B, H]: with resetAfter, h W_hn^T + b_hn (what r multiplies); without, r * h(t-1)
   * (what W_hn multiplies, needed for its gradient).
   */
  readonly aux: TypedArray;
}

/** The GRU's saved activations: typed arrays (JavaScript path) or in WebAssembly memory (float32 SIMD path). */
export type GruTape = GruArrays | WasmSequenceTape;

/**
 * Allocates a {@link GruTape} for data like `like`: in WebAssembly memory for float32 when
 * the SIMD kernels are in use, else typed arrays of its dtype.
 *
 * @example
 * ```ts
 * const tape = gruTape(x, dims);
 * ```
 */
export function gruTape(like: TypedArray, dims: SequenceDims): GruTape {
  if (useWasmSequence(like)) {
    const tape = WasmSequenceTape.create(gruTapeLayout(0, dims).floats);
    if (tape !== null) return tape;
  }
  const { batch: B, steps: T, hiddenSize: H } = dims;
  return {
    gates: allocateLike(like, T * B * 3 * H),
    hs: allocateLike(like, (T + 1) * B * H),
    aux: allocateLike(like, T * B * H),
  };
}

// The wasm tape block: gates [T, B, 3H] | hs [T+1, B, H] | aux [T, B, H].
function gruTapeLayout(at: number, dims: SequenceDims): { gates: number; hs: number; aux: number; floats: number } {
  const { batch: B, steps: T, hiddenSize: H } = dims;
  const { at: [gates, hs, aux], bytes } = carve(at, [T * B * 3 * H, (T + 1) * B * H, T * B * H]);
  return { gates: gates as number, hs: hs as number, aux: aux as number, floats: bytes / 4 };
}

/**
 * Gradients the GRU backward pass writes (overwriting), each null when not wanted.
 *
 * @example
 * ```ts
 * const grads: GruSequenceGrads = { dx, dh0: null, dWeightIh, dWeightHh, dBiasIh, dBiasHh };
 * ```
 */
export interface GruSequenceGrads {
  /** [B, T, I] */
  readonly dx: TypedArray | null;
  /** [B, H] */
  readonly dh0: TypedArray | null;
  /** [3H, I] */
  readonly dWeightIh: TypedArray | null;
  /** [3H, H] */
  readonly dWeightHh: TypedArray | null;
  /** [3H] */
  readonly dBiasIh: TypedArray | null;
  /** [3H] */
  readonly dBiasHh: TypedArray | null;
}

const ws = new Workspace();

/**
 * The GRU over a whole sequence in one call (cuDNN recipe: all input projections in one gemm
 * before the loop, the recurrent product of all gates in one gemm per step, fused
 * element-wise maths, no allocation in the loop). With x_* = x W_i*^T + b_i* and
 * h_* = h(t-1) W_h*^T + b_h*:
 *
 *     r = sigma(x_r + h_r),   z = sigma(x_z + h_z)
 *     n = tanh(x_n + r * h_n)                               resetAfter = true
 *     n = tanh(x_n + (r * h(t-1)) W_hn^T + b_hn)            resetAfter = false
 *     h(t) = (1 - z) * n + z * h(t-1)
 *
 * resetAfter = false needs r before the candidate's recurrent product, so its step is two
 * gemms: [B,H] x [H,2H] for r and z, then [B,H] x [H,H] for n.
 *
 * Writes y [B, T+1, H]: the outputs at rows t < T (0 at padded steps, where the state is
 * carried), then the final h at row T; fills `tape` for {@link gruSequenceBackward}.
 *
 * @example
 * ```ts
 * const tape = gruTape(x, dims);
 * const y = new Float32Array(dims.batch * (dims.steps + 1) * dims.hiddenSize);
 * gruSequenceForward({ ...dims, x, h0, weightIh, weightHh, biasIh, biasHh, lengths: null, reverse: false, resetAfter: true }, tape, y);
 * ```
 */
export function gruSequenceForward(args: GruSequenceArgs, tape: GruTape, y: TypedArray): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, x, weightIh, weightHh, lengths, reverse, resetAfter } = args;
  const G = 3 * H;
  checkSequenceArgs('gruSequenceForward', args, 3);
  checkLength('gruSequenceForward', 'h0', args.h0, B * H);
  checkLength('gruSequenceForward', 'y', y, B * (T + 1) * H);
  checkTape('gruSequenceForward', tape, args);
  if (tape instanceof WasmSequenceTape) {
    gruForwardWasm(args, tape, y);
    return;
  }
  const { gates, hs, aux } = tape;

  const xs = ws.get('x', x, T * B * I);
  toStepMajor(x, B, T, I, reverse, xs);
  gemm(false, true, T * B, G, I, 1, xs, 0, I, weightIh, 0, I, 0, gates, 0, G);
  const bi = args.biasIh ?? ws.get('zeros', x, G).fill(0);
  const bh = args.biasHh ?? ws.get('zeros', x, G).fill(0);
  hs.set(args.h0, 0);
  const hh = ws.get('hh', x, B * G);
  const fast = x instanceof Float32Array;

  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    if (resetAfter) {
      gemm(false, true, B, G, H, 1, hs, s * B * H, H, weightHh, 0, H, 0, hh, 0, G);
      gruAfterStepForward(B, T, H, s, t, lengths, fast, bi, bh, gates, hh, hs, aux, y);
    } else {
      // r and z first (rows 0..2H of W_hh), then the candidate from r * h(t-1) (rows 2H..3H).
      gemm(false, true, B, 2 * H, H, 1, hs, s * B * H, H, weightHh, 0, H, 0, hh, 0, G);
      gruBeforeResetGates(B, H, s, fast, bi, bh, gates, hh, hs, aux);
      gemm(false, true, B, H, H, 1, aux, s * B * H, H, weightHh, 2 * H * H, H, 0, hh, 2 * H, G);
      gruBeforeStepForward(B, T, H, s, t, lengths, fast, bi, bh, gates, hh, hs, y);
    }
  }
  for (let b = 0; b < B; b++) {
    const from = (T * B + b) * H;
    const to = (b * (T + 1) + T) * H;
    for (let j = 0; j < H; j++) y[to + j] = hs[from + j] as number;
  }
}

function gruAfterStepForward(
  B: number, T: number, H: number, s: number, t: number, lengths: Int32Array | null, fast: boolean, bi: TypedArray, bh: TypedArray,
  gates: TypedArray, hh: TypedArray, hs: TypedArray, aux: TypedArray, y: TypedArray,
): void {
  const G = 3 * H;
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
    const go = (s * B + b) * G;
    const ho = b * G;
    for (let k = 0; k < 2 * H; k++) {
      gates[go + k] = (gates[go + k] as number) + (bi[k] as number) + (hh[ho + k] as number) + (bh[k] as number);
    }
    sigmoidInPlace(gates, go, go + 2 * H, fast);
    for (let j = 0; j < H; j++) {
      const gn = go + 2 * H + j;
      const hn = (hh[ho + 2 * H + j] as number) + (bh[2 * H + j] as number);
      aux[prev + j] = hn;
      gates[gn] = (gates[gn] as number) + (bi[2 * H + j] as number) + (gates[go + j] as number) * hn;
    }
    tanhInPlace(gates, go + 2 * H, go + G, fast);
    for (let j = 0; j < H; j++) {
      const z = gates[go + H + j] as number;
      const n = gates[go + 2 * H + j] as number;
      const hp = hs[prev + j] as number;
      const h = n + z * (hp - n);
      hs[next + j] = h;
      y[yo + j] = h;
    }
  }
}

// resetAfter = false, first half of a step: r and z for every row (padded rows too: their
// values are never used), and r * h(t-1) into aux for the candidate's gemm.
function gruBeforeResetGates(
  B: number, H: number, s: number, fast: boolean, bi: TypedArray, bh: TypedArray,
  gates: TypedArray, hh: TypedArray, hs: TypedArray, aux: TypedArray,
): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const prev = (s * B + b) * H;
    const go = (s * B + b) * G;
    const ho = b * G;
    for (let k = 0; k < 2 * H; k++) {
      gates[go + k] = (gates[go + k] as number) + (bi[k] as number) + (hh[ho + k] as number) + (bh[k] as number);
    }
    sigmoidInPlace(gates, go, go + 2 * H, fast);
    for (let j = 0; j < H; j++) aux[prev + j] = (gates[go + j] as number) * (hs[prev + j] as number);
  }
}

function gruBeforeStepForward(
  B: number, T: number, H: number, s: number, t: number, lengths: Int32Array | null, fast: boolean, bi: TypedArray, bh: TypedArray,
  gates: TypedArray, hh: TypedArray, hs: TypedArray, y: TypedArray,
): void {
  const G = 3 * H;
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
    const go = (s * B + b) * G;
    const ho = b * G;
    for (let j = 0; j < H; j++) {
      const gn = go + 2 * H + j;
      gates[gn] = (gates[gn] as number) + (bi[2 * H + j] as number) + (hh[ho + 2 * H + j] as number) + (bh[2 * H + j] as number);
    }
    tanhInPlace(gates, go + 2 * H, go + G, fast);
    for (let j = 0; j < H; j++) {
      const z = gates[go + H + j] as number;
      const n = gates[go + 2 * H + j] as number;
      const hp = hs[prev + j] as number;
      const h = n + z * (hp - n);
      hs[next + j] = h;
      y[yo + j] = h;
    }
  }
}

/**
 * Back-propagation through time for {@link gruSequenceForward}, given dy [B, T+1, H] (the
 * outputs' gradient, then the final h's). Per step, with dh~ = dh + dy(t):
 *
 *     dz = dh~ (h(t-1) - n),   dn = dh~ (1 - z),   da_n = dn (1 - n^2)
 *     resetAfter:  da_r = da_n h_n r (1-r),  dh_n = da_n r
 *                  dh(t-1) = dh~ z + [da_r da_z dh_n] W_hh                  (one gemm)
 *     otherwise:   d(r h) = da_n W_hn,  da_r = d(r h) h(t-1) r (1-r)         (two gemms)
 *                  dh(t-1) = dh~ z + d(r h) r + [da_r da_z] W_h{r,z}
 *
 * with da_z = dz z (1-z). The gradients of the input-side pre-activations [da_r da_z da_n]
 * and of the recurrent side [da_r da_z dh_n] (resetAfter) or [da_r da_z da_n] are kept for all
 * steps, and after the loop dW_ih, dW_hh, the biases and dX are one gemm (or column sum)
 * each over all steps; dW_hn for resetAfter = false pairs da_n with r * h(t-1) instead of
 * h(t-1), a second gemm. Padded steps pass dh through. Gradients are written, not accumulated.
 *
 * @example
 * ```ts
 * gruSequenceBackward(args, tape, dy, { dx, dh0, dWeightIh, dWeightHh, dBiasIh, dBiasHh });
 * ```
 */
export function gruSequenceBackward(args: GruSequenceArgs, tape: GruTape, dy: TypedArray, grads: GruSequenceGrads): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, x, weightIh, weightHh, lengths, reverse, resetAfter } = args;
  const G = 3 * H;
  checkSequenceArgs('gruSequenceBackward', args, 3);
  checkLength('gruSequenceBackward', 'dy', dy, B * (T + 1) * H);
  checkTape('gruSequenceBackward', tape, args);
  checkGrads(grads, args);
  if (tape instanceof WasmSequenceTape) {
    gruBackwardWasm(args, tape, dy, grads);
    return;
  }
  const { gates, hs, aux } = tape;

  const dh = ws.get('dh', x, B * H);
  for (let b = 0; b < B; b++) {
    const from = (b * (T + 1) + T) * H;
    for (let j = 0; j < H; j++) dh[b * H + j] = dy[from + j] as number;
  }
  // Input side [da_r da_z da_n] and recurrent side of every step; they differ only in the n block.
  const dGx = ws.get('dGx', x, T * B * G);
  const dGh = ws.get('dGh', x, T * B * G);
  const drh = ws.get('drh', x, B * H);
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    if (resetAfter) {
      gruAfterStepBackward(B, T, H, s, t, lengths, gates, hs, aux, dy, dh, dGx, dGh);
      gemm(false, false, B, H, G, 1, dGh, s * B * G, G, weightHh, 0, H, 1, dh, 0, H);
    } else {
      gruBeforeCandidateBackward(B, T, H, s, t, lengths, gates, hs, dy, dh, dGx, dGh);
      gemm(false, false, B, H, H, 1, dGh, s * B * G + 2 * H, G, weightHh, 2 * H * H, H, 0, drh, 0, H);
      gruBeforeResetBackward(B, H, s, t, lengths, gates, hs, drh, dh, dGx, dGh);
      gemm(false, false, B, H, 2 * H, 1, dGh, s * B * G, G, weightHh, 0, H, 1, dh, 0, H);
    }
  }
  if (grads.dh0 !== null) grads.dh0.set(dh);
  if (grads.dWeightHh !== null) {
    if (resetAfter) {
      gemm(true, false, G, H, T * B, 1, dGh, 0, G, hs, 0, H, 0, grads.dWeightHh, 0, H);
    } else {
      gemm(true, false, 2 * H, H, T * B, 1, dGh, 0, G, hs, 0, H, 0, grads.dWeightHh, 0, H);
      gemm(true, false, H, H, T * B, 1, dGh, 2 * H, G, aux, 0, H, 0, grads.dWeightHh, 2 * H * H, H);
    }
  }
  if (grads.dBiasIh !== null) columnSums(dGx, 0, G, T * B, G, grads.dBiasIh);
  if (grads.dBiasHh !== null) columnSums(dGh, 0, G, T * B, G, grads.dBiasHh);
  if (grads.dWeightIh !== null) {
    const xs = ws.get('x', x, T * B * I);
    toStepMajor(x, B, T, I, reverse, xs);
    gemm(true, false, G, I, T * B, 1, dGx, 0, G, xs, 0, I, 0, grads.dWeightIh, 0, I);
  }
  if (grads.dx !== null) {
    const dxs = ws.get('dx', x, T * B * I);
    gemm(false, false, T * B, I, G, 1, dGx, 0, G, weightIh, 0, I, 0, dxs, 0, I);
    fromStepMajor(dxs, B, T, I, reverse, grads.dx);
  }
}

function gruAfterStepBackward(
  B: number, T: number, H: number, s: number, t: number, lengths: Int32Array | null,
  gates: TypedArray, hs: TypedArray, aux: TypedArray, dy: TypedArray, dh: TypedArray, dGx: TypedArray, dGh: TypedArray,
): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const go = (s * B + b) * G;
    if (lengths !== null && t >= (lengths[b] as number)) {
      dGx.fill(0, go, go + G);
      dGh.fill(0, go, go + G);
      continue;
    }
    const prev = (s * B + b) * H;
    const yo = (b * (T + 1) + t) * H;
    const ho = b * H;
    for (let j = 0; j < H; j++) {
      const gr = go + j;
      const gz = gr + H;
      const gn = gz + H;
      const r = gates[gr] as number;
      const z = gates[gz] as number;
      const n = gates[gn] as number;
      const dht = (dh[ho + j] as number) + (dy[yo + j] as number);
      const dan = dht * (1 - z) * (1 - n * n);
      const dar = dan * (aux[prev + j] as number) * r * (1 - r);
      const daz = dht * ((hs[prev + j] as number) - n) * z * (1 - z);
      dGx[gr] = dar;
      dGx[gz] = daz;
      dGx[gn] = dan;
      dGh[gr] = dar;
      dGh[gz] = daz;
      dGh[gn] = dan * r;
      dh[ho + j] = dht * z;
    }
  }
}

// resetAfter = false, first half of a step backward: everything up to da_n (which feeds the
// gemm for d(r h)); da_r waits for that product.
function gruBeforeCandidateBackward(
  B: number, T: number, H: number, s: number, t: number, lengths: Int32Array | null,
  gates: TypedArray, hs: TypedArray, dy: TypedArray, dh: TypedArray, dGx: TypedArray, dGh: TypedArray,
): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    const go = (s * B + b) * G;
    if (lengths !== null && t >= (lengths[b] as number)) {
      dGx.fill(0, go, go + G);
      dGh.fill(0, go, go + G);
      continue;
    }
    const prev = (s * B + b) * H;
    const yo = (b * (T + 1) + t) * H;
    const ho = b * H;
    for (let j = 0; j < H; j++) {
      const gz = go + H + j;
      const gn = gz + H;
      const z = gates[gz] as number;
      const n = gates[gn] as number;
      const dht = (dh[ho + j] as number) + (dy[yo + j] as number);
      const dan = dht * (1 - z) * (1 - n * n);
      const daz = dht * ((hs[prev + j] as number) - n) * z * (1 - z);
      dGx[gz] = daz;
      dGx[gn] = dan;
      dGh[gz] = daz;
      dGh[gn] = dan;
      dh[ho + j] = dht * z;
    }
  }
}

function gruBeforeResetBackward(
  B: number, H: number, s: number, t: number, lengths: Int32Array | null,
  gates: TypedArray, hs: TypedArray, drh: TypedArray, dh: TypedArray, dGx: TypedArray, dGh: TypedArray,
): void {
  const G = 3 * H;
  for (let b = 0; b < B; b++) {
    if (lengths !== null && t >= (lengths[b] as number)) continue;
    const go = (s * B + b) * G;
    const prev = (s * B + b) * H;
    const ho = b * H;
    for (let j = 0; j < H; j++) {
      const r = gates[go + j] as number;
      const d = drh[ho + j] as number;
      const dar = d * (hs[prev + j] as number) * r * (1 - r);
      dGx[go + j] = dar;
      dGh[go + j] = dar;
      dh[ho + j] = (dh[ho + j] as number) + d * r;
    }
  }
}

function checkTape(kernel: string, tape: GruTape, dims: SequenceDims & { readonly x: TypedArray }): void {
  const { batch: B, steps: T, hiddenSize: H } = dims;
  if (tape instanceof WasmSequenceTape) {
    checkWasmTape(kernel, tape, gruTapeLayout(0, dims).floats, dims.x);
    return;
  }
  checkLength(kernel, 'tape.gates', tape.gates, T * B * 3 * H);
  checkLength(kernel, 'tape.hs', tape.hs, (T + 1) * B * H);
  checkLength(kernel, 'tape.aux', tape.aux, T * B * H);
}

function checkGrads(grads: GruSequenceGrads, dims: SequenceDims): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H } = dims;
  const k = 'gruSequenceBackward';
  checkLength(k, 'dx', grads.dx, B * T * I);
  checkLength(k, 'dh0', grads.dh0, B * H);
  checkLength(k, 'dWeightIh', grads.dWeightIh, 3 * H * I);
  checkLength(k, 'dWeightHh', grads.dWeightHh, 3 * H * H);
  checkLength(k, 'dBiasIh', grads.dBiasIh, 3 * H);
  checkLength(k, 'dBiasHh', grads.dBiasHh, 3 * H);
}

// The WebAssembly SIMD path: the same recurrence, layout and maths as above, with every buffer
// in wasm memory (sequence-wasm.ts). W_hh is packed once per call: whole for resetAfter, else
// as its r,z rows and its n rows, since the candidate's product waits for r.

function gruForwardWasm(args: GruSequenceArgs, tape: WasmSequenceTape, y: TypedArray): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, lengths, reverse, resetAfter } = args;
  const G = 3 * H;
  const w = tape.kernels;
  const e = w.exports;
  const L = gruTapeLayout(tape.at, args);
  // First what may allocate (the worker pool, resident weights), then views of the memory.
  const parts = partsFor(B, T * B * G * H, LOOP_MIN_MACS);
  // A single row steps with matrix-vector products on W_hh as stored; more rows pack W_hh^T
  // (whole for resetAfter, else its r,z rows and its n rows: the candidate's product waits for r).
  const few = B <= FEW_ROWS;
  const wihRes = residentRaw(w, args.weightIh);
  const whhRawRes = few ? residentRaw(w, args.weightHh) : null;
  const packedRes = few ? null : resetAfter ? residentPacked(w, args.weightHh, 'T', true, H, G, H, 0) : residentPacked(w, args.weightHh, 'T:rz', true, H, 2 * H, H, 0);
  const packedNRes = few || resetAfter ? null : residentPacked(w, args.weightHh, 'T:n', true, H, H, H, 2 * H * H);
  const { at: offsets, bytes } = carve(0, [
    T * B * I, G * I, G * H, few ? 0 : e.packedBBytes(H, G) / 4, few ? 0 : e.packedBBytes(H, 2 * H) / 4, few ? 0 : e.packedBBytes(H, H) / 4, G, G, B * G, B,
  ]);
  const base = w.scratch('gru', bytes);
  const [xsAt, wihCopy, whhCopy, packedCopy, packedRzCopy, packedNCopy, biAt, bhAt, hhAt, lensAt] = offsets.map((a) => base + a) as
    [number, number, number, number, number, number, number, number, number, number];
  const heap = w.f32;
  stepMajorInto(heap, xsAt, args.x, B, T, I, reverse);
  const wihAt = wihRes ?? copyTo(heap, wihCopy, args.weightIh);
  // Weights the loop reads: W_hh raw (few rows), or packed W_hh^T (resetAfter) / its r,z and n parts.
  let whhAt = whhRawRes ?? 0, packedAt = 0, packedRzAt = 0, packedNAt = 0;
  if (few) {
    if (whhRawRes === null) whhAt = copyTo(heap, whhCopy, args.weightHh);
  } else if (resetAfter) {
    packedAt = packedRes ?? packCopy(e, heap, args.weightHh, whhCopy, H, G, 0, packedCopy);
  } else {
    packedRzAt = packedRes ?? packCopy(e, heap, args.weightHh, whhCopy, H, 2 * H, 0, packedRzCopy);
    packedNAt = packedNRes ?? packCopy(e, heap, args.weightHh, whhCopy, H, H, 2 * H * H, packedNCopy);
  }
  inputProjection(w, T * B, G, I, xsAt, wihAt, L.gates);
  writeOrZero(heap, biAt, args.biasIh, G);
  writeOrZero(heap, bhAt, args.biasHh, G);
  heap.set(args.h0, L.hs >> 2);
  const lengthsAt = writeLengths(w, lensAt, lengths);
  const rev = reverse ? 1 : 0, after = resetAfter ? 1 : 0;
  if (few) {
    const stepH = B * H * 4, stepG = B * G * 4;
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const gates = L.gates + s * stepG, hPrev = L.hs + s * stepH, aux = L.aux + s * stepH;
      if (resetAfter) {
        for (let b = 0; b < B; b++) e.sgemv(G, H, 1, whhAt, H, hPrev + b * H * 4, 0, hhAt + b * G * 4);
        e.gruAfterStepForward(B, H, gates, hhAt, biAt, bhAt, hPrev, hPrev + stepH, aux, lengthsAt, t);
      } else {
        for (let b = 0; b < B; b++) e.sgemv(2 * H, H, 1, whhAt, H, hPrev + b * H * 4, 0, hhAt + b * G * 4);
        e.gruBeforeResetGates(B, H, gates, hhAt, biAt, bhAt, hPrev, aux);
        for (let b = 0; b < B; b++) e.sgemv(H, H, 1, whhAt + 2 * H * H * 4, H, aux + b * H * 4, 0, hhAt + (b * G + 2 * H) * 4);
        e.gruBeforeStepForward(B, H, gates, hhAt, biAt, bhAt, hPrev, hPrev + stepH, lengthsAt, t);
      }
    }
  } else {
    runParts('gruForwardLoop', parts, (p) => {
      const [b0, b1] = rowsOf(B, parts, p);
      const { packA, tile } = threadScratch(p);
      return [B, b0, b1, T, H, rev, after, L.gates, L.hs, L.aux, hhAt, packedAt, packedRzAt, packedNAt, biAt, bhAt, lengthsAt, packA, tile];
    });
  }
  writeOutputs(heap, B, T, H, reverse, lengths, L.hs, null, y);
}

// Copies W_hh into the scratch at `rawAt` and packs op(B) = (rows of W_hh from float `offset`)^T,
// [H x n], into `packedAt`, which it returns.
function packCopy(e: KernelExports, heap: Float32Array, weightHh: TypedArray, rawAt: number, H: number, n: number, offset: number, packedAt: number): number {
  heap.set(weightHh, rawAt >> 2);
  e.packB(1, H, n, rawAt + offset * 4, H, packedAt);
  return packedAt;
}

function gruBackwardWasm(args: GruSequenceArgs, tape: WasmSequenceTape, dy: TypedArray, grads: GruSequenceGrads): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H, lengths, reverse, resetAfter } = args;
  const G = 3 * H;
  const w = tape.kernels;
  const e = w.exports;
  const L = gruTapeLayout(tape.at, args);
  const parts = partsFor(B, T * B * G * H, LOOP_MIN_MACS);
  const { at: offsets, bytes } = carve(0, [
    G * H, e.packedBBytes(G, H) / 4, e.packedBBytes(2 * H, H) / 4, e.packedBBytes(H, H) / 4,
    T * B * H, B * H, B * H, T * B * G, T * B * G, T * B * I, G * I, G * Math.max(H, I), G, B,
  ]);
  const base = w.scratch('gru', bytes);
  const [whhAt, packedAt, packedRzAt, packedNAt, dysAt, dhAt, drhAt, dGxAt, dGhAt, xsAt, wihAt, dWAt, dbAt, lensAt] = offsets.map((a) => base + a) as
    [number, number, number, number, number, number, number, number, number, number, number, number, number, number];
  const heap = w.f32;
  heap.set(args.weightHh, whhAt >> 2);
  if (resetAfter) e.packB(0, G, H, whhAt, H, packedAt);
  else {
    e.packB(0, 2 * H, H, whhAt, H, packedRzAt);
    e.packB(0, H, H, whhAt + 2 * H * H * 4, H, packedNAt);
  }
  outputGradsInto(heap, dysAt, dy, B, T, H, 1, reverse);
  stateGradInto(heap, dhAt, dy, B, T + 1, T, H);
  const lengthsAt = writeLengths(w, lensAt, lengths);
  const rev = reverse ? 1 : 0, after = resetAfter ? 1 : 0;
  runParts('gruBackwardLoop', parts, (p) => {
    const [b0, b1] = rowsOf(B, parts, p);
    const { packA, tile } = threadScratch(p);
    return [B, b0, b1, T, H, rev, after, L.gates, L.hs, L.aux, dysAt, dhAt, drhAt, dGxAt, dGhAt, packedAt, packedRzAt, packedNAt, lengthsAt, packA, tile];
  });
  readInto(heap, dhAt, B * H, grads.dh0);
  if (grads.dWeightHh !== null) {
    if (resetAfter) sgemmAt(true, false, G, H, T * B, 1, dGhAt, G, L.hs, H, 0, dWAt, H);
    else {
      sgemmAt(true, false, 2 * H, H, T * B, 1, dGhAt, G, L.hs, H, 0, dWAt, H);
      sgemmAt(true, false, H, H, T * B, 1, dGhAt + 2 * H * 4, G, L.aux, H, 0, dWAt + 2 * H * H * 4, H);
    }
    readInto(heap, dWAt, G * H, grads.dWeightHh);
  }
  if (grads.dBiasIh !== null) {
    e.columnSums(dGxAt, G, T * B, G, dbAt);
    readInto(heap, dbAt, G, grads.dBiasIh);
  }
  if (grads.dBiasHh !== null) {
    e.columnSums(dGhAt, G, T * B, G, dbAt);
    readInto(heap, dbAt, G, grads.dBiasHh);
  }
  if (grads.dWeightIh !== null) {
    stepMajorInto(heap, xsAt, args.x, B, T, I, reverse);
    sgemmAt(true, false, G, I, T * B, 1, dGxAt, G, xsAt, I, 0, dWAt, I);
    readInto(heap, dWAt, G * I, grads.dWeightIh);
  }
  if (grads.dx !== null) {
    heap.set(args.weightIh, wihAt >> 2);
    // dX reuses the xs buffer: the weight gradient above has already read it.
    sgemmAt(false, false, T * B, I, G, 1, dGxAt, G, wihAt, I, 0, xsAt, I);
    stepMajorFrom(heap, xsAt, B, T, I, reverse, grads.dx);
  }
}
