import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { gemmBackend } from './gemm.js';
import { sgemmAt } from './gemm-wasm.js';
import { residentCopy } from './resident.js';
import { wasmKernels, type WasmKernels } from './wasm-module.js';

// What the WebAssembly paths of the fused RNN, LSTM and GRU kernels share. A float32 call on
// an engine with WebAssembly SIMD runs its whole time loop on buffers inside the kernels'
// memory: the recurrent weight is copied and packed ONCE per call (sgemmPacked then reads the
// packed panels at every step), the per-step element-wise maths are SIMD passes, and the
// saved activations stay there until backward reads them. JavaScript only orchestrates: a
// few calls into wasm per step, no copies, no allocation.

// Frees the memory of tapes that were dropped without ever being released (a recorded call
// whose graph was discarded before backward): the JS object is tiny, so without this the
// wasm block would outlive it until the next full collection found nothing to do about it.
const finalizer = new FinalizationRegistry<{ kernels: WasmKernels; at: number }>(({ kernels, at }) => kernels.free(at));

/**
 * The saved activations of a float32 fused recurrence, kept in WebAssembly memory: one block
 * of `floats` floats whose layout the kernel that made it defines (e.g. gates, states). A
 * finaliser frees the block if the tape is garbage-collected undisposed.
 *
 * @example
 * ```ts
 * const tape = WasmSequenceTape.create(7 * T * B * H + 2 * B * H);
 * if (tape !== null) tape.dispose();
 * ```
 */
export class WasmSequenceTape {
  private disposed = false;

  private constructor(readonly kernels: WasmKernels, readonly at: number, readonly floats: number) {
    finalizer.register(this, { kernels, at }, this);
  }

  /** A tape of `floats` floats, or null when the WebAssembly kernels are unavailable. */
  static create(floats: number): WasmSequenceTape | null {
    const w = wasmKernels();
    return w === undefined ? null : new WasmSequenceTape(w, w.alloc(floats * 4), floats);
  }

  /** Returns the block at once (pooled tapes dropped from the pool call this). Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    finalizer.unregister(this);
    this.kernels.free(this.at);
  }
}

/**
 * Below this many multiply-adds in a recurrence's per-step products (T * B * G * H), its loop
 * runs on one thread: splitting the batch then saves less than starting the parts costs.
 */
export const LOOP_MIN_MACS = 1 << 21;

/**
 * Throws an ArgumentError naming `kernel` unless `tape` holds `floats` floats (it was made for
 * these dimensions) and the data is float32 (what the WebAssembly path computes in).
 *
 * @example
 * ```ts
 * checkWasmTape('lstmSequenceForward', tape, layout.floats, args.x);
 * ```
 */
export function checkWasmTape(kernel: string, tape: WasmSequenceTape, floats: number, x: TypedArray): void {
  if (tape.floats !== floats) throw new ArgumentError(kernel, `the tape holds ${tape.floats} floats, these dimensions need ${floats}`);
  if (!(x instanceof Float32Array)) throw new ArgumentError(kernel, 'a WebAssembly tape needs float32 data');
}

/**
 * Whether a fused recurrence on arrays like `like` runs its WebAssembly path: float32 data,
 * the gemm backend on wasm-simd (so `setGemmBackend('js')` forces the JavaScript kernels
 * everywhere), and the kernels instantiated.
 *
 * @example
 * ```ts
 * useWasmSequence(new Float32Array(4)); // true on Node 20 with the default backend
 * ```
 */
export function useWasmSequence(like: TypedArray): boolean {
  return like instanceof Float32Array && gemmBackend() === 'wasm-simd' && wasmKernels() !== undefined;
}

/**
 * Which implementation runs the fused RNN/LSTM/GRU kernels on float32 data now: `'wasm-simd'`
 * (time loop on WebAssembly SIMD with packed, resident weights) or `'js'` (float64 data always
 * runs in JavaScript).
 *
 * @example
 * ```ts
 * import { sequenceKernelPath } from 'unfold';
 * console.log(sequenceKernelPath()); // 'wasm-simd'
 * ```
 */
export function sequenceKernelPath(): 'wasm-simd' | 'js' {
  return useWasmSequence(new Float32Array(0)) ? 'wasm-simd' : 'js';
}

/**
 * Lays out consecutive buffers of the given float counts from byte address `base`, each
 * aligned to 64 bytes; returns their addresses and the total bytes used.
 *
 * @example
 * ```ts
 * const { at: [xs, gates], bytes } = carve(0, [T * B * I, T * B * G]);
 * ```
 */
export function carve(base: number, floats: readonly number[]): { at: number[]; bytes: number } {
  const at: number[] = [];
  let p = base;
  for (const n of floats) {
    at.push(p);
    p += Math.ceil((n * 4) / 64) * 64;
  }
  return { at, bytes: p - base };
}

/**
 * Writes batch-major x [B, T, F] step-major in processing order into the heap at byte address
 * `at` (the wasm twin of toStepMajor):  heap[s, b, :] = x[b, t(s), :], t(s) = reverse ? T-1-s : s.
 *
 * @example
 * ```ts
 * stepMajorInto(w.f32, xsAt, x, B, T, I, false);
 * ```
 */
export function stepMajorInto(heap: Float32Array, at: number, x: TypedArray, B: number, T: number, F: number, reverse: boolean): void {
  const base = at >> 2;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) copyRow(x, (b * T + t) * F, heap, base + (s * B + b) * F, F);
  }
}

// dst[to .. to + n) = src[from .. from + n): `set` on a subarray (a memcpy) for long rows, a
// loop for short ones, where creating the view costs more than the copy.
function copyRow(src: TypedArray, from: number, dst: TypedArray, to: number, n: number): void {
  if (n >= 32) dst.set(src.subarray(from, from + n), to);
  else for (let f = 0; f < n; f++) dst[to + f] = src[from + f] as number;
}

/**
 * The inverse of {@link stepMajorInto}: step-major heap floats at `at` back to batch-major out.
 *
 * @example
 * ```ts
 * stepMajorFrom(w.f32, dxsAt, B, T, I, reverse, grads.dx);
 * ```
 */
export function stepMajorFrom(heap: Float32Array, at: number, B: number, T: number, F: number, reverse: boolean, out: TypedArray): void {
  const base = at >> 2;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) copyRow(heap, base + (s * B + b) * F, out, (b * T + t) * F, F);
  }
}

/**
 * Writes the per-example lengths as int32 at `at` and returns `at`, or returns 0 (the kernels'
 * "no masking") when every example runs all steps.
 *
 * @example
 * ```ts
 * const lengthsAt = writeLengths(w, at, args.lengths);
 * ```
 */
export function writeLengths(w: WasmKernels, at: number, lengths: Int32Array | null): number {
  if (lengths === null) return 0;
  w.i32.set(lengths, at >> 2);
  return at;
}

/**
 * Writes the batch-major outputs y [B, T + S, H] of a recurrence from the step-major states in
 * the heap (hs at `hsAt`, [T+1, B, H], h entering step s at row s): y[b, t] = h after step s(t),
 * or 0 at a padded step, then the final h at row T (and, when `csAt` is given, the final c at
 * row T+1).
 *
 * @example
 * ```ts
 * writeOutputs(w.f32, B, T, H, reverse, args.lengths, hsAt, csAt, y);
 * ```
 */
export function writeOutputs(
  heap: Float32Array, B: number, T: number, H: number, reverse: boolean, lengths: Int32Array | null, hsAt: number, csAt: number | null, y: TypedArray,
): void {
  const rows = T + (csAt === null ? 1 : 2);
  const hs = hsAt >> 2;
  for (let b = 0; b < B; b++) {
    const n = lengths === null ? T : (lengths[b] as number);
    for (let s = 0; s < T; s++) {
      const t = reverse ? T - 1 - s : s;
      const to = (b * rows + t) * H;
      if (t >= n) y.fill(0, to, to + H);
      else copyRow(heap, hs + ((s + 1) * B + b) * H, y, to, H);
    }
    copyRow(heap, hs + (T * B + b) * H, y, (b * rows + T) * H, H);
    if (csAt !== null) copyRow(heap, (csAt >> 2) + (T * B + b) * H, y, (b * rows + T + 1) * H, H);
  }
}

/**
 * Reads the gradient dy [B, T + S, H] of the outputs step-major into the heap at `at`
 * ([T, B, H], processing order), the input of the per-step backward passes.
 *
 * @example
 * ```ts
 * outputGradsInto(w.f32, dyAt, dy, B, T, H, 2, reverse);
 * ```
 */
export function outputGradsInto(heap: Float32Array, at: number, dy: TypedArray, B: number, T: number, H: number, stateRows: number, reverse: boolean): void {
  const base = at >> 2;
  const rows = T + stateRows;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    for (let b = 0; b < B; b++) copyRow(dy, (b * rows + t) * H, heap, base + (s * B + b) * H, H);
  }
}

/**
 * Copies row `row` of dy [B, T + S, H] (the gradient of a final state) into the heap at `at`
 * as [B, H].
 *
 * @example
 * ```ts
 * stateGradInto(w.f32, dhAt, dy, B, T + 2, T, H); // dL/dh(T)
 * ```
 */
export function stateGradInto(heap: Float32Array, at: number, dy: TypedArray, B: number, rows: number, row: number, H: number): void {
  const base = at >> 2;
  for (let b = 0; b < B; b++) copyRow(dy, (b * rows + row) * H, heap, base + b * H, H);
}

/**
 * Reads `length` floats at byte address `at` into `out` (a gradient the caller asked for), or
 * does nothing when `out` is null.
 *
 * @example
 * ```ts
 * readInto(w.f32, dWhhAt, G * H, grads.dWeightHh);
 * ```
 */
export function readInto(heap: Float32Array, at: number, length: number, out: TypedArray | null): void {
  if (out !== null) out.set(heap.subarray(at >> 2, (at >> 2) + length));
}

/**
 * Writes `src` (or zeros when null) into the heap at byte address `at`, `length` floats.
 *
 * @example
 * ```ts
 * writeOrZero(w.f32, biAt, args.biasIh, G);
 * ```
 */
export function writeOrZero(heap: Float32Array, at: number, src: TypedArray | null, length: number): void {
  if (src === null) heap.fill(0, at >> 2, (at >> 2) + length);
  else heap.set(src, at >> 2);
}

/**
 * The wasm address of `array`'s resident copy inside a withResidentWeights scope (made on
 * first use), or null outside one (the caller then copies it into its scratch).
 *
 * @example
 * ```ts
 * const wihRes = residentRaw(w, args.weightIh);
 * ```
 */
export function residentRaw(w: WasmKernels, array: TypedArray): number | null {
  return residentCopy(array, 'raw', array.length, (at) => w.write(at, array));
}

/**
 * Like {@link residentRaw} for the packed form of a weight (packB of op(B) [k x n] read from
 * `array` at float offset `offset` with row stride `ld`); `variant` names the form.
 *
 * @example
 * ```ts
 * const packedRes = residentPacked(w, args.weightHh, 'T', true, H, G, H, 0); // W_hh^T packed whole
 * ```
 */
export function residentPacked(
  w: WasmKernels, array: TypedArray, variant: string, transB: boolean, k: number, n: number, ld: number, offset: number,
): number | null {
  const e = w.exports;
  return residentCopy(array, `packed:${variant}`, e.packedBBytes(k, n) / 4, (at) => {
    const tmp = w.scratch('pack', array.length * 4);
    w.write(tmp, array);
    e.packB(transB ? 1 : 0, k, n, tmp + offset * 4, ld, at);
  });
}

/**
 * gates[r] = W_ih x[r] for `rows` rows (W_ih [G, I] at `wihAt`, x rows of I floats at `xsAt`,
 * gates rows of G floats at `gatesAt`): one gemm, or a matrix-vector product per row when
 * there are only a few rows (a gemm would pack all of W_ih for them).
 *
 * @example
 * ```ts
 * inputProjection(w, T * B, G, I, xsAt, wihAt, L.gates);
 * ```
 */
export function inputProjection(w: WasmKernels, rows: number, G: number, I: number, xsAt: number, wihAt: number, gatesAt: number): void {
  if (rows <= FEW_ROWS) {
    for (let r = 0; r < rows; r++) w.exports.sgemv(G, I, 1, wihAt, I, xsAt + r * I * 4, 0, gatesAt + r * G * 4);
  } else {
    sgemmAt(false, true, rows, G, I, 1, xsAt, I, wihAt, I, 0, gatesAt, G);
  }
}

/**
 * Up to this many rows, products by a weight matrix run as one matrix-vector product per row
 * (reading the weight in place) rather than a gemm (which packs it first): generation at
 * batch 1 and other tiny batches.
 */
export const FEW_ROWS = 2;

/**
 * Copies `src` into the heap at byte address `at` and returns `at`.
 *
 * @example
 * ```ts
 * const wihAt = wihRes ?? copyTo(heap, wihCopy, args.weightIh);
 * ```
 */
export function copyTo(heap: Float32Array, at: number, src: TypedArray): number {
  heap.set(src, at >> 2);
  return at;
}
