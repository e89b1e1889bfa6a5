import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';

// Layout shared by the fused RNN, LSTM and GRU sequence kernels.
//
// Callers hand batch-major arrays ([B, T, F], like scan). Inside, every per-step buffer is
// step-major in PROCESSING order s = 0..T-1 (time t = s, or T-1-s when reversed): step s of a
// [T, B, F] buffer is one contiguous [B, F] matrix, so the per-step gemm reads and writes whole
// arrays (a strided [B, F] slice of a batch-major buffer would make the WebAssembly gemm copy
// the whole span between its first and last row), and the weight gradients of all steps are
// one gemm over T*B rows whose order matches the stored states row for row. Reverse costs only
// the index map in the two transposes and in the writes to the outputs.

/**
 * The sizes of one fused sequence call: batch B, steps T, input features I, hidden units H.
 *
 * @example
 * ```ts
 * const dims: SequenceDims = { batch: 32, steps: 64, inputSize: 65, hiddenSize: 256 };
 * ```
 */
export interface SequenceDims {
  readonly batch: number;
  readonly steps: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
}

/**
 * What every fused sequence kernel reads besides its state: inputs, weights in PyTorch's
 * layout with G gates stacked along the rows, masking and direction.
 *
 * @example
 * ```ts
 * const args: SequenceArgs = {
 *   batch: 2, steps: 5, inputSize: 3, hiddenSize: 4,
 *   x, weightIh, weightHh, biasIh: null, biasHh: null, lengths: new Int32Array([5, 3]), reverse: false,
 * };
 * ```
 */
export interface SequenceArgs extends SequenceDims {
  /** Inputs [B, T, I], batch-major. */
  readonly x: TypedArray;
  /** [G*H, I] */
  readonly weightIh: TypedArray;
  /** [G*H, H] */
  readonly weightHh: TypedArray;
  /** [G*H] or null (no bias); both biases are null or neither. */
  readonly biasIh: TypedArray | null;
  /** [G*H] or null */
  readonly biasHh: TypedArray | null;
  /**
   * Valid steps per example (each in 1..T), or null when every example has T. At a padded
   * step (t >= lengths[b]) the state is carried unchanged and the output is 0, as in scan.
   */
  readonly lengths: Int32Array | null;
  /** Process t = T-1 down to 0 (outputs stay aligned with their inputs). */
  readonly reverse: boolean;
}

/**
 * Throws an ArgumentError naming `what` unless `array` holds exactly `size` elements. The
 * kernels index without bounds checks, so this is their only guard against a wrong size.
 *
 * @example
 * ```ts
 * checkLength('lstmSequenceForward', 'h0', h0, batch * hidden);
 * ```
 */
export function checkLength(kernel: string, what: string, array: TypedArray | Int32Array | null, size: number): void {
  if (array !== null && array.length !== size) {
    throw new ArgumentError(kernel, `${what} must hold ${size} elements, got ${array.length}`);
  }
}

/**
 * Validates the sizes of {@link SequenceArgs} for a cell with `gates` gate blocks, and the
 * dtype agreement of every array with x.
 *
 * @example
 * ```ts
 * checkSequenceArgs('lstmSequenceForward', args, 4);
 * ```
 */
export function checkSequenceArgs(kernel: string, args: SequenceArgs, gates: number): void {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H } = args;
  for (const [name, v] of [['batch', B], ['steps', T], ['inputSize', I], ['hiddenSize', H]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(kernel, `${name} must be a positive integer, got ${v}`);
  }
  checkLength(kernel, 'x', args.x, B * T * I);
  checkLength(kernel, 'weightIh', args.weightIh, gates * H * I);
  checkLength(kernel, 'weightHh', args.weightHh, gates * H * H);
  checkLength(kernel, 'biasIh', args.biasIh, gates * H);
  checkLength(kernel, 'biasHh', args.biasHh, gates * H);
  if ((args.biasIh === null) !== (args.biasHh === null)) throw new ArgumentError(kernel, 'give both biases or neither');
  checkLength(kernel, 'lengths', args.lengths, B);
  const lengths = args.lengths;
  if (lengths !== null) {
    for (let b = 0; b < B; b++) {
      const n = lengths[b] as number;
      if (n < 1 || n > T) throw new ArgumentError(kernel, `lengths[${b}] = ${n} is not in 1..${T}`);
    }
  }
  const f64 = args.x instanceof Float64Array;
  for (const a of [args.weightIh, args.weightHh, args.biasIh, args.biasHh]) {
    if (a !== null && (a instanceof Float64Array) !== f64) throw new ArgumentError(kernel, 'every array must share the dtype of x');
  }
}

/**
 * Copies batch-major x [B, T, F] into step-major out [T, B, F] in processing order:
 *
 *     out[s, b, :] = x[b, t(s), :],   t(s) = reverse ? T-1-s : s
 *
 * @example
 * ```ts
 * toStepMajor(x, 2, 5, 3, false, xs); // xs[(s*2 + b)*3 + f] = x[(b*5 + s)*3 + f]
 * ```
 */
export function toStepMajor(x: TypedArray, B: number, T: number, F: number, reverse: boolean, out: TypedArray): void {
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const src = (b * T + t) * F;
      const dst = (s * B + b) * F;
      for (let f = 0; f < F; f++) out[dst + f] = x[src + f] as number;
    }
  }
}

/**
 * The inverse of {@link toStepMajor}: step-major src [T, B, F] in processing order back to
 * batch-major out [B, T, F].
 *
 * @example
 * ```ts
 * fromStepMajor(dxs, 2, 5, 3, true, dx); // dx[b, t] = dxs[T-1-t, b]
 * ```
 */
export function fromStepMajor(src: TypedArray, B: number, T: number, F: number, reverse: boolean, out: TypedArray): void {
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) {
      const from = (s * B + b) * F;
      const to = (b * T + t) * F;
      for (let f = 0; f < F; f++) out[to + f] = src[from + f] as number;
    }
  }
}

/**
 * Column sums of a row-major [rows, cols] matrix with row stride `ld`, starting at `offset`:
 * out[j] = sum_r src[offset + r*ld + j]. The bias gradient of all steps at once.
 *
 * @example
 * ```ts
 * columnSums(dGates, 0, 4 * H, T * B, 4 * H, dBias); // dBias [4H] = sum over steps and batch
 * ```
 */
export function columnSums(src: TypedArray, offset: number, ld: number, rows: number, cols: number, out: TypedArray): void {
  out.fill(0, 0, cols);
  // Four rows per pass: one read-modify-write of out per four loads instead of per load.
  const rows4 = rows - (rows % 4);
  let r = 0;
  for (; r < rows4; r += 4) {
    const r0 = offset + r * ld;
    const r1 = r0 + ld;
    const r2 = r1 + ld;
    const r3 = r2 + ld;
    for (let j = 0; j < cols; j++) {
      out[j] = (out[j] as number) + (src[r0 + j] as number) + (src[r1 + j] as number) + (src[r2 + j] as number) + (src[r3 + j] as number);
    }
  }
  for (; r < rows; r++) {
    const row = offset + r * ld;
    for (let j = 0; j < cols; j++) out[j] = (out[j] as number) + (src[row + j] as number);
  }
}

/**
 * Named scratch arrays that grow to the largest size requested and are reused across calls,
 * so a training loop with a fixed shape allocates none after its first step. Contents are
 * garbage between calls: every kernel writes a scratch array before reading it. One
 * instance per module is safe because kernels run to completion and never nest.
 *
 * @example
 * ```ts
 * const ws = new Workspace();
 * const dh = ws.get('dh', x, batch * hidden); // same dtype as x, exactly batch*hidden long
 * ```
 */
export class Workspace {
  private readonly buffers = new Map<string, TypedArray>();

  /** A scratch array of `size` elements with the dtype of `like`. */
  get(name: string, like: TypedArray, size: number): TypedArray {
    const f64 = like instanceof Float64Array;
    const key = f64 ? `${name}:64` : `${name}:32`;
    let buffer = this.buffers.get(key);
    if (buffer === undefined || buffer.length < size) {
      buffer = f64 ? new Float64Array(size) : new Float32Array(size);
      this.buffers.set(key, buffer);
    }
    // An exact-length view lets gemm copy whole arrays with one memcpy.
    return buffer.length === size ? buffer : buffer.subarray(0, size);
  }
}

/** Allocates an array of `size` elements with the dtype of `like`. @example `allocateLike(x, 10)` */
export function allocateLike(like: TypedArray, size: number): TypedArray {
  return like instanceof Float64Array ? new Float64Array(size) : new Float32Array(size);
}

/**
 * Fills `out` with biasIh + biasHh (or zeros without bias): the sum a step's gates see when the
 * two biases act on the same pre-activation (RNN, LSTM).
 *
 * @example
 * ```ts
 * combinedBias(args.biasIh, args.biasHh, ws.get('bias', x, 4 * H));
 * ```
 */
export function combinedBias(biasIh: TypedArray | null, biasHh: TypedArray | null, out: TypedArray): TypedArray {
  if (biasIh === null || biasHh === null) return out.fill(0);
  for (let j = 0; j < out.length; j++) out[j] = (biasIh[j] as number) + (biasHh[j] as number);
  return out;
}

// 2^n for integer n in [-1022, 1023], indexed by n + 1022.
const POW2 = new Float64Array(2046);
for (let k = 0; k < POW2.length; k++) POW2[k] = 2 ** (k - 1022);

// 2^f on [-1/2, 1/2]: degree-6 fit minimising the relative error (1.9e-9 at worst), made by
// iteratively reweighted least squares on Chebyshev nodes (numpy).
const P0 = 1.0000000005542375;
const P1 = 0.6931472057376418;
const P2 = 0.24022646890149113;
const P3 = 0.05550328776040334;
const P4 = 0.009618489005221387;
const P5 = 0.0013399931619890657;
const P6 = 0.00015345800220791656;

// Adding and subtracting 1.5 * 2^52 rounds a double of magnitude below 2^51 to the nearest
// integer in two adds; Math.round is a call out of optimised code in V8 and was 2.5x slower here.
const ROUND = 6755399441055744;

/** 2^t = 2^n 2^f with n = round(t), |f| <= 1/2; t is clamped to [-1022, 1023] (NaN stays NaN). */
function exp2(t: number): number {
  const c = t < -1022 ? -1022 : t > 1023 ? 1023 : t;
  const n = c + ROUND - ROUND;
  const f = c - n;
  return (P0 + f * (P1 + f * (P2 + f * (P3 + f * (P4 + f * (P5 + f * P6)))))) * (POW2[n + 1022] as number);
}

/**
 * e^x as 2^(x log2 e) from a polynomial and a table (relative error below 2e-9; arguments
 * beyond about +-709 saturate at 2^+-1023): the float32 kernels' exp, about three times as
 * fast as Math.exp under V8, which calls out to C.
 *
 * @example
 * ```ts
 * fastExp(1); // 2.718281828...
 * ```
 */
export function fastExp(x: number): number {
  return exp2(x * Math.LOG2E);
}

/**
 * The logistic sigmoid 1 / (1 + e^-x) with e^x = 2^(x log2 e) from a polynomial and a table:
 * relative error below 2e-9, about three times as fast as with Math.exp under V8 (which calls
 * out to C and is not inlined). Used only by the float32 kernels, whose storage rounds at 6e-8 anyway;
 * float64 keeps Math.exp so the fused ops match the composed ones to 1e-12.
 *
 * @example
 * ```ts
 * fastSigmoid(0); // 0.4999999998614...
 * ```
 */
export function fastSigmoid(x: number): number {
  return 1 / (1 + exp2(-x * Math.LOG2E));
}

// tanh(x) ~ x P(x^2) / Q(x^2) on [-9.1, 9.1]: a (4, 4) rational fit minimising the relative error
// (2.3e-8 at worst; same reweighted least squares, numpy). Q has positive coefficients, so no
// poles. Beyond 9.1, tanh is within 2.5e-8 of +-1 and x is clamped.
const TANH_CLAMP = 9.1;
const A0 = 0.9999999771995304;
const A1 = 0.13374493675332383;
const A2 = 0.0034878316958076435;
const A3 = 2.0481457634452613e-5;
const A4 = 1.317773626330343e-8;
const B1 = 0.46707807463804646;
const B2 = 0.025847470701123157;
const B3 = 0.0003272951200954197;
const B4 = 7.704169408574713e-7;

/**
 * tanh(x) as a rational function of x (no exponential, no branch but the clamp), relative
 * error below 3e-8 everywhere: about five times as fast as Math.tanh under V8. Float32 kernels
 * only, like {@link fastSigmoid}.
 *
 * @example
 * ```ts
 * fastTanh(0.5); // 0.46211715...
 * ```
 */
export function fastTanh(x: number): number {
  const c = x < -TANH_CLAMP ? -TANH_CLAMP : x > TANH_CLAMP ? TANH_CLAMP : x;
  const s = c * c;
  return (c * (A0 + s * (A1 + s * (A2 + s * (A3 + s * A4))))) / (1 + s * (B1 + s * (B2 + s * (B3 + s * B4))));
}

/** tanh(x): {@link fastTanh} when `fast` (float32 kernels), else Math.tanh. @example `tanhOf(a, true)` */
export function tanhOf(x: number, fast: boolean): number {
  return fast ? fastTanh(x) : Math.tanh(x);
}

// The activations run as separate in-place passes over one gate block at a time rather than
// inside the cell update: V8 inlines a bounded amount of code per function, and five inlined
// copies of exp2 exceed it; a call that is not inlined boxes its double result, which cost
// more than the extra pass over data already in cache.

/**
 * a[k] = sigma(a[k]) for k in [from, to): fast (float32) or Math.exp (float64).
 *
 * @example
 * ```ts
 * sigmoidInPlace(gates, row, row + 2 * H, true); // the i and f blocks of one LSTM row
 * ```
 */
export function sigmoidInPlace(a: TypedArray, from: number, to: number, fast: boolean): void {
  if (fast) for (let k = from; k < to; k++) a[k] = fastSigmoid(a[k] as number);
  else for (let k = from; k < to; k++) a[k] = 1 / (1 + Math.exp(-(a[k] as number)));
}

/**
 * a[k] = tanh(a[k]) for k in [from, to): fast (float32) or Math.tanh (float64).
 *
 * @example
 * ```ts
 * tanhInPlace(gates, row + 2 * H, row + 3 * H, true); // the g block of one LSTM row
 * ```
 */
export function tanhInPlace(a: TypedArray, from: number, to: number, fast: boolean): void {
  if (fast) for (let k = from; k < to; k++) a[k] = fastTanh(a[k] as number);
  else for (let k = from; k < to; k++) a[k] = Math.tanh(a[k] as number);
}
