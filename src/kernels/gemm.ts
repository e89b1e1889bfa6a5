import { ArgumentError, DTypeError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { gemmJs } from './gemm-js.js';
import { gemmWasm, loadWasmGemm, wasmGemmReady, wasmSimdSupported } from './gemm-wasm.js';

/**
 * Which implementation runs a gemm: `'wasm-simd'` is the f32x4 WebAssembly kernel
 * (float32 only), `'js'` the register-blocked JavaScript kernel (float32 and float64).
 */
export type GemmBackend = 'wasm-simd' | 'js';

/** A backend choice: a fixed backend, or `'auto'` to pick per call. */
export type GemmBackendSetting = GemmBackend | 'auto';

// Below this many multiply-adds the call into wasm and the copies cost more than the SIMD
// kernel saves: measured break-even is between 2 x 2 x 2 (JS 2x faster) and 4 x 4 x 4 (wasm
// 1.5x faster); by 16^3 wasm is 10x faster (docs/decisions/0001-gemm-webassembly-simd.md).
const WASM_MIN_MACS = 4 * 4 * 4;

let setting: GemmBackendSetting = 'auto';

/**
 * Chooses the gemm backend for this process. `'auto'` (the default) runs float32 products of
 * at least 64 multiply-adds (4 x 4 x 4) on WebAssembly SIMD when the engine supports it and everything
 * else in JavaScript. `'wasm-simd'` forces the wasm kernel for every float32 call (float64
 * still runs in JavaScript: the wasm kernel is single precision) and throws if this engine
 * lacks WebAssembly SIMD; `'js'` forces JavaScript.
 *
 * @example
 * ```ts
 * import { setGemmBackend, gemmBackend } from 'unfold';
 * setGemmBackend('js');
 * gemmBackend(); // 'js'
 * setGemmBackend('auto');
 * ```
 */
export function setGemmBackend(backend: GemmBackendSetting): void {
  if (backend === 'wasm-simd' && !wasmGemmReady()) {
    throw new Error(
      wasmSimdSupported
        ? "setGemmBackend('wasm-simd'): the WebAssembly kernel is still compiling; await gemmReady() first"
        : "setGemmBackend('wasm-simd'): this JavaScript engine does not support WebAssembly SIMD; use 'js' or 'auto'",
    );
  }
  setting = backend;
}

/**
 * The backend that runs large float32 products under the current setting: `'wasm-simd'` when
 * the wasm kernel is available (and not overridden by `setGemmBackend('js')`), else `'js'`.
 * Float64 products and float32 products below 64 multiply-adds always run in JavaScript.
 *
 * @example
 * ```ts
 * import { gemmBackend } from 'unfold';
 * console.log(gemmBackend()); // 'wasm-simd' on Node 20 and current browsers
 * ```
 */
export function gemmBackend(): GemmBackend {
  if (setting === 'js') return 'js';
  return wasmGemmReady() ? 'wasm-simd' : 'js';
}

/**
 * Resolves when the WebAssembly kernel has finished loading (or is known to be unavailable),
 * with the backend that large float32 products will then use. Only needed in browsers, where
 * the kernel may compile asynchronously; until then gemm runs in JavaScript, with the same
 * results up to float32 rounding.
 *
 * @example
 * ```ts
 * import { gemmReady } from 'unfold';
 * const backend = await gemmReady(); // 'wasm-simd' | 'js'
 * ```
 */
export async function gemmReady(): Promise<GemmBackend> {
  await loadWasmGemm();
  return gemmBackend();
}

/**
 * General matrix multiply, BLAS semantics on row-major storage:
 *
 *     C[m x n] = alpha * op(A) * op(B) + beta * C,   op(X) = X or X^T
 *
 * A is read as m x k (k x m when `transA`), B as k x n (n x k when `transB`), with row
 * strides `lda`, `ldb`, `ldc` and element offsets. When beta is 0, C is not read (NaN in
 * C does not leak). All three arrays must share one dtype. Allocation-free in steady state:
 * scratch buffers grow to the largest problem seen and are reused. Throws ArgumentError
 * when a stride is too small or a matrix runs past its array, DTypeError on mixed dtypes.
 *
 * Float32 products run on a WebAssembly SIMD kernel when available and large enough, otherwise
 * (and for float64) on a register-blocked JavaScript kernel; see {@link setGemmBackend}.
 * Results agree with the exact product to float32 (resp. float64) accumulation error; the two
 * backends may differ in the last bits. Large float32 products are split by rows of C over the
 * kernel threads (see setKernelThreads), with bitwise the same result.
 *
 * `bIsWeight` declares B a weight that stays unchanged inside a withResidentWeights scope, so
 * the wasm backend may keep its copy of B across calls there (e.g. a layer applied once per
 * generated symbol). Leave it false for anything else.
 *
 * @example
 * ```ts
 * import { gemm } from 'unfold';
 * const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([5, 6, 7, 8]);
 * const c = new Float32Array(4);
 * gemm(false, false, 2, 2, 2, 1, a, 0, 2, b, 0, 2, 0, c, 0, 2); // c = [19, 22, 43, 50]
 * ```
 */
export function gemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: TypedArray, aOffset: number, lda: number,
  b: TypedArray, bOffset: number, ldb: number,
  beta: number, c: TypedArray, cOffset: number, ldc: number, bIsWeight = false,
): void {
  checkGemmArgs(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
  if (
    setting !== 'js'
    && c instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array
    && (setting === 'wasm-simd' || m * n * k >= WASM_MIN_MACS)
    && wasmGemmReady()
  ) {
    if (gemmWasm(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc, bIsWeight)) return;
  }
  gemmJs(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
}

// O(1) per call, so it stays on even in per-time-step loops: out-of-range indices would
// otherwise read undefined (NaN) in JS and foreign data in wasm memory.
function checkGemmArgs(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: TypedArray, aOffset: number, lda: number,
  b: TypedArray, bOffset: number, ldb: number,
  c: TypedArray, cOffset: number, ldc: number,
): void {
  if (!(Number.isInteger(m) && Number.isInteger(n) && Number.isInteger(k) && m >= 0 && n >= 0 && k >= 0)) {
    throw new ArgumentError('gemm', `m, n, k must be non-negative integers, got m=${m} n=${n} k=${k}`);
  }
  if ((a instanceof Float32Array) !== (c instanceof Float32Array) || (b instanceof Float32Array) !== (c instanceof Float32Array)) {
    throw new DTypeError('gemm', `A, B and C must share one dtype, got ${a.constructor.name}, ${b.constructor.name}, ${c.constructor.name}`);
  }
  if (m === 0 || n === 0) return;
  checkMatrix('C', m, n, c, cOffset, ldc);
  if (k === 0) return;
  if (transA) checkMatrix('A (transposed, stored k x m)', k, m, a, aOffset, lda);
  else checkMatrix('A', m, k, a, aOffset, lda);
  if (transB) checkMatrix('B (transposed, stored n x k)', n, k, b, bOffset, ldb);
  else checkMatrix('B', k, n, b, bOffset, ldb);
}

function checkMatrix(name: string, rows: number, cols: number, x: TypedArray, offset: number, ld: number): void {
  // A single row never uses its stride, so callers may pass anything (BLAS demands >= cols).
  if (!Number.isInteger(ld) || ld < 0 || (rows > 1 && ld < cols)) {
    throw new ArgumentError('gemm', `${name} is ${rows} x ${cols}, so its row stride must be an integer >= ${cols}, got ${ld}`);
  }
  const end = offset + (rows - 1) * ld + cols;
  if (!Number.isInteger(offset) || offset < 0 || end > x.length) {
    throw new ArgumentError('gemm', `${name} (${rows} x ${cols}, stride ${ld}, offset ${offset}) needs ${end} elements, its array has ${x.length}`);
  }
}
