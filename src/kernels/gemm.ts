import type { TypedArray } from '../tensor/index.js';

/**
 * General matrix multiply, BLAS semantics on row-major storage:
 *
 *     C[m x n] = alpha * op(A) * op(B) + beta * C,   op(X) = X or X^T
 *
 * A is read as m x k (k x m when `transA`), B as k x n (n x k when `transB`), with row
 * strides `lda`, `ldb`, `ldc` and element offsets. When beta is 0, C is not read (NaN in
 * C does not leak). All three arrays must share one dtype. Allocation-free.
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
  beta: number, c: TypedArray, cOffset: number, ldc: number,
): void {
  // Simple reference loop; the register-blocked and WebAssembly paths replace it.
  for (let i = 0; i < m; i++) {
    const cRow = cOffset + i * ldc;
    if (beta === 0) for (let j = 0; j < n; j++) c[cRow + j] = 0;
    else if (beta !== 1) for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j] as number) * beta;
    for (let p = 0; p < k; p++) {
      const aip = alpha * (a[transA ? aOffset + p * lda + i : aOffset + i * lda + p] as number);
      if (aip === 0) continue;
      if (!transB) {
        const bRow = bOffset + p * ldb;
        for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j] as number) + aip * (b[bRow + j] as number);
      } else {
        for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j] as number) + aip * (b[bOffset + j * ldb + p] as number);
      }
    }
  }
}
