import { residentCopy } from './resident.js';
import { partsFor, rowsOf, runParts, threadScratch } from './threads.js';
import { loadWasmKernels, wasmKernels, wasmSimdSupported } from './wasm-module.js';

// The gemm wrapper over the WebAssembly SIMD kernel (assembly/gemm.ts; the module and its
// memory live in wasm-module.ts). Operands are copied into one scratch block laid out as
//
//     [A storage][B storage][C, compact m x n]
//
// and C is copied out. The block grows to the largest problem seen and never shrinks, so
// steady-state calls allocate nothing on either side. Callers that multiply by the same
// matrix many times (the recurrent kernels) skip the copies and the packing of B altogether:
// they keep their buffers in wasm memory and call sgemmPacked (see *-sequence-wasm.ts).

export { wasmSimdSupported };

/**
 * Instantiates the wasm kernel if it is not ready yet, synchronously when the engine allows.
 * Returns false while it is unavailable (no SIMD, or a browser main thread that only compiles
 * small modules synchronously: the async compile is then started and the JS backend serves
 * calls until it finishes).
 *
 * @example
 * ```ts
 * if (wasmGemmReady()) console.log('gemm runs on WebAssembly SIMD');
 * ```
 */
export function wasmGemmReady(): boolean {
  return wasmKernels() !== undefined;
}

/**
 * Resolves once the wasm kernel is instantiated (true) or known to be unavailable (false).
 * Only browsers need to wait: elsewhere the first call instantiates synchronously.
 *
 * @example
 * ```ts
 * import { loadWasmGemm } from './gemm-wasm.js';
 * const ok = await loadWasmGemm(); // true on engines with WebAssembly SIMD
 * ```
 */
export async function loadWasmGemm(): Promise<boolean> {
  return loadWasmKernels();
}

// Cached view of C's region for the output copy: one `set` call per gemm, no new view per
// call while the problem size repeats (as it does inside a training loop).
let cView: Float32Array = new Float32Array(0);
let cViewStart = -1;

/**
 * Single-precision gemm on the wasm SIMD kernel; same contract as {@link gemm}, float32 only.
 * Call {@link wasmGemmReady} first: this assumes the kernel is instantiated. Returns false,
 * having changed nothing, when the operands do not fit in wasm memory (over ~4 GiB): the
 * caller should then use the JS kernel.
 *
 *     C[m x n] = alpha * op(A) * op(B) + beta * C
 *
 * @example
 * ```ts
 * import { gemmWasm, wasmGemmReady } from './gemm-wasm.js';
 * const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([5, 6, 7, 8]);
 * const c = new Float32Array(4);
 * if (wasmGemmReady()) gemmWasm(false, false, 2, 2, 2, 1, a, 0, 2, b, 0, 2, 0, c, 0, 2);
 * // c = [19, 22, 43, 50]
 * ```
 */
export function gemmWasm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number, bIsWeight = false,
): boolean {
  const w = wasmKernels();
  if (w === undefined) throw new Error('gemmWasm: the WebAssembly kernel is not instantiated; call wasmGemmReady() first');
  if (m <= 0 || n <= 0) return true;
  // The stored extent of each operand, from its first to its last element: copying the span
  // (rather than compacting rows) keeps lda/ldb meaningful inside wasm and is one memcpy
  // when the operand is a whole array.
  const spanA = k <= 0 ? 0 : transA ? (k - 1) * lda + m : (m - 1) * lda + k;
  const spanB = k <= 0 ? 0 : transB ? (n - 1) * ldb + k : (k - 1) * ldb + n;
  const spanC = m * n;
  // Inside withResidentWeights a whole-array B that the caller declares a weight is copied into
  // wasm memory once. Only declared weights: any other B (an activation, a reused buffer)
  // may hold new values at the next call.
  const bRes = bIsWeight && spanB > 0 && bOffset === 0 && spanB === b.length ? residentCopy(b, 'raw', spanB, (at) => w.write(at, b)) : null;
  // One row times a stored-transposed B (a layer applied to one vector) is a matrix-vector
  // product over B's rows as stored: no packing, which would cost as much as the product.
  const gemv = m === 1 && transB && k > 0 && (!transA || lda === 1);
  if (!gemv) partsFor(m, m * n * k, PARALLEL_MIN_MACS); // May start the worker pool (allocates), so before any view.
  const bytesA = align16(spanA * 4), bytesB = bRes === null ? align16(spanB * 4) : 0;
  let aAt: number;
  try {
    aAt = w.scratch('gemm', bytesA + bytesB + spanC * 4);
  } catch {
    return false;
  }
  const bAt = bRes ?? aAt + bytesA;
  const cAt = aAt + bytesA + bytesB;
  const heap = w.f32;

  if (spanA > 0) copyIn(heap, a, aOffset, spanA, aAt >> 2);
  if (spanB > 0 && bRes === null) copyIn(heap, b, bOffset, spanB, bAt >> 2);
  if (beta !== 0) {
    if (ldc === n) copyIn(heap, c, cOffset, spanC, cAt >> 2);
    else {
      for (let i = 0, d = cAt >> 2; i < m; i++) {
        for (let j = 0, s = cOffset + i * ldc; j < n; j++) heap[d++] = c[s + j] as number;
      }
    }
  }
  if (gemv) w.exports.sgemv(n, k, alpha, bAt, ldb, aAt, beta, cAt);
  else sgemmAt(transA, transB, m, n, k, alpha, aAt, lda, bAt, ldb, beta, cAt, n);

  // Re-read the view: the first parallel call allocates the worker pool, which may grow memory.
  const out = w.f32;
  if (ldc === n) {
    if (cViewStart !== cAt || cView.length !== spanC || cView.buffer !== out.buffer) {
      cView = out.subarray(cAt >> 2, (cAt >> 2) + spanC);
      cViewStart = cAt;
    }
    c.set(cView, cOffset);
  } else {
    for (let i = 0, s = cAt >> 2; i < m; i++) {
      for (let j = 0, d = cOffset + i * ldc; j < n; j++) c[d + j] = out[s++] as number;
    }
  }
  return true;
}

function align16(x: number): number {
  return (x + 15) & ~15;
}

// Below this many elements a loop copy is as fast as `set`, and it avoids creating a subarray
// view per call; above it the memcpy behind `set` wins by far.
const LOOP_COPY_MAX = 2048;

function copyIn(h: Float32Array, src: Float32Array, start: number, length: number, dst: number): void {
  if (start === 0 && length === src.length) h.set(src, dst);
  else if (length <= LOOP_COPY_MAX) for (let i = 0; i < length; i++) h[dst + i] = src[start + i] as number;
  else h.set(src.subarray(start, start + length), dst);
}

// Below this many multiply-adds (about 180 us on one thread) a product stays on one thread:
// a worker's round trip costs 16-40 us here (futex wake-ups), and at 2^21 (n = 128) two
// threads measured slower than one on the loaded 2-core machine (docs/performance.md).
const PARALLEL_MIN_MACS = 1 << 22;

/**
 * sgemm on operands already in wasm memory (byte addresses; C with row stride ldc), split by
 * rows of C over the kernel threads when the product is large enough. Each part packs its own
 * operands, so the parts share nothing but the inputs they read.
 *
 *     C[m x n] = alpha * op(A) * op(B) + beta * C
 *
 * @example
 * ```ts
 * sgemmAt(true, false, G, H, T * B, 1, dGatesAt, G, hsAt, H, 0, dWAt, H); // dW = dGates^T H
 * ```
 */
export function sgemmAt(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
): void {
  const parts = partsFor(m, m * n * k, PARALLEL_MIN_MACS);
  const ta = transA ? 1 : 0, tb = transB ? 1 : 0;
  runParts('sgemm', parts, (p) => {
    const [r0, r1] = rowsOf(m, parts, p);
    const s = threadScratch(p);
    return [ta, tb, r1 - r0, n, k, alpha, a + (transA ? r0 : r0 * lda) * 4, lda, b, ldb, beta, c + r0 * ldc * 4, ldc, s.packA, s.packB, s.tile];
  });
}

/**
 * {@link sgemmAt} with op(B) already packed whole by the kernel's `packB` (same transB, k
 * and n) at `packedB`: split by rows of C over the kernel threads like sgemmAt, every part
 * reading the one packed copy. For a product by the same weights many times (each level of a
 * tree fold), B is packed once instead of once per call and per thread.
 *
 *     C[m x n] = alpha * op(A) * B + beta * C
 *
 * @example
 * ```ts
 * e.packB(1, K, G, wAt, K, packedAt);                                // op(B) = W^T, W [G, K]
 * sgemmPackedAt(false, m, G, K, 1, inAt, K, packedAt, 1, zAt, G);  // z += [x | h] W^T
 * ```
 */
export function sgemmPackedAt(
  transA: boolean, m: number, n: number, k: number, alpha: number, a: number, lda: number, packedB: number, beta: number, c: number, ldc: number,
): void {
  const parts = partsFor(m, m * n * k, PARALLEL_MIN_MACS);
  const ta = transA ? 1 : 0;
  runParts('sgemmPacked', parts, (p) => {
    const [r0, r1] = rowsOf(m, parts, p);
    const s = threadScratch(p);
    return [ta, r1 - r0, n, k, alpha, a + (transA ? r0 : r0 * lda) * 4, lda, packedB, beta, c + r0 * ldc * 4, ldc, s.packA, s.tile];
  });
}
