import type { TypedArray } from '../tensor/index.js';

// Register-blocked gemm in plain JavaScript: the fallback for float64, for engines without
// WebAssembly SIMD, and for products too small to pay for copying into wasm memory.
//
// Layout follows Goto & van de Geijn: op(B) is packed into KC x NR panels and op(A) into
// MR x KC panels, so the 4 x 4 micro-kernel reads both contiguously and keeps 16 partial sums
// in registers. Panels are Float64Array whatever the input dtype: JS arithmetic is double
// anyway, and converting once while packing keeps conversions out of the inner loop.

const MR = 4;
const NR = 4;
// 3 x 4, 4 x 3, 2 x 6 and unrolling the depth loop all measured within 10% of 4 x 4 on V8;
// 4 x 4 keeps the edge logic simplest. KC x NR doubles (8 KiB) stay in L1.
const KC = 256;
const MC = 128;
const NC = 1024;

/** Below this many multiply-adds, packing costs more than it saves. */
const DIRECT_MAX_MACS = 16 * 16 * 16;

// Scratch grows on demand and is never shrunk, so steady-state calls allocate nothing.
const packA = new Float64Array(MC * KC);
let packB = new Float64Array(0);
const tile = new Float64Array(MR * NR);

/**
 * The JavaScript gemm backend; same contract as {@link gemm}:
 *
 *     C[m x n] = alpha * op(A) * op(B) + beta * C
 *
 * Accepts float32 and float64 arrays; accumulation is in double precision, so float32
 * results are rounded once per KC-deep block rather than once per multiply-add.
 *
 * @example
 * ```ts
 * import { gemmJs } from './gemm-js.js';
 * const a = new Float64Array([1, 2, 3, 4]), b = new Float64Array([5, 6, 7, 8]);
 * const c = new Float64Array(4);
 * gemmJs(false, false, 2, 2, 2, 1, a, 0, 2, b, 0, 2, 0, c, 0, 2); // c = [19, 22, 43, 50]
 * ```
 */
export function gemmJs(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: TypedArray, aOffset: number, lda: number,
  b: TypedArray, bOffset: number, ldb: number,
  beta: number, c: TypedArray, cOffset: number, ldc: number,
): void {
  if (m <= 0 || n <= 0) return;
  scaleC(m, n, beta, c, cOffset, ldc);
  if (k <= 0 || alpha === 0) return;
  if (m * n * k <= DIRECT_MAX_MACS || m < MR || n < NR) {
    direct(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
    return;
  }
  const packBLength = KC * roundUp(Math.min(n, NC), NR);
  if (packB.length < packBLength) packB = new Float64Array(packBLength);
  const pa = packA, pb = packB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelsB(transB, b, bOffset, ldb, pc, jc, kc, nc, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanelsA(transA, a, aOffset, lda, ic, pc, mc, kc, alpha, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            const ci = cOffset + (ic + ir) * ldc + jc + jr;
            if (mr === MR && nr === NR) {
              kernel4x4(kc, pa, ir * kc, pb, jr * kc, c, ci, ldc);
            } else {
              tile.fill(0);
              kernel4x4(kc, pa, ir * kc, pb, jr * kc, tile, 0, NR);
              for (let r = 0; r < mr; r++) {
                for (let q = 0; q < nr; q++) {
                  c[ci + r * ldc + q] = (c[ci + r * ldc + q] as number) + (tile[r * NR + q] as number);
                }
              }
            }
          }
        }
      }
    }
  }
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

// beta = 0 writes zeros instead of multiplying, so NaN or Inf already in C cannot leak (BLAS).
function scaleC(m: number, n: number, beta: number, c: TypedArray, cOffset: number, ldc: number): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] = (c[j] as number) * beta;
  }
}

// Unpacked loops for small or thin products (a row vector times a matrix, a few tiny tiles).
// Four depth steps at a time: each pass over a C row then does 4 multiply-adds per load and
// store of C instead of 1. With B transposed its rows are contiguous in depth, so the loop
// becomes four simultaneous dot products instead.
function direct(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: TypedArray, aOffset: number, lda: number,
  b: TypedArray, bOffset: number, ldb: number,
  c: TypedArray, cOffset: number, ldc: number,
): void {
  // Element (i, p) of op(A) is at a[aOffset + i * si + p * sp].
  const si = transA ? 1 : lda, sp = transA ? lda : 1;
  const k4 = k - (k % 4), n4 = n - (n % 4);
  for (let i = 0; i < m; i++) {
    const cRow = cOffset + i * ldc;
    const aRow = aOffset + i * si;
    if (!transB) {
      let p = 0;
      for (; p < k4; p += 4) {
        const ap = aRow + p * sp;
        const x0 = alpha * (a[ap] as number), x1 = alpha * (a[ap + sp] as number);
        const x2 = alpha * (a[ap + 2 * sp] as number), x3 = alpha * (a[ap + 3 * sp] as number);
        const b0 = bOffset + p * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        for (let j = 0; j < n; j++) {
          c[cRow + j] = (c[cRow + j] as number)
            + x0 * (b[b0 + j] as number) + x1 * (b[b1 + j] as number)
            + x2 * (b[b2 + j] as number) + x3 * (b[b3 + j] as number);
        }
      }
      for (; p < k; p++) {
        const x = alpha * (a[aRow + p * sp] as number);
        const b0 = bOffset + p * ldb;
        for (let j = 0; j < n; j++) c[cRow + j] = (c[cRow + j] as number) + x * (b[b0 + j] as number);
      }
    } else {
      let j = 0;
      for (; j < n4; j += 4) {
        const b0 = bOffset + j * ldb, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let p = 0; p < k; p++) {
          const x = a[aRow + p * sp] as number;
          s0 += x * (b[b0 + p] as number);
          s1 += x * (b[b1 + p] as number);
          s2 += x * (b[b2 + p] as number);
          s3 += x * (b[b3 + p] as number);
        }
        c[cRow + j] = (c[cRow + j] as number) + alpha * s0;
        c[cRow + j + 1] = (c[cRow + j + 1] as number) + alpha * s1;
        c[cRow + j + 2] = (c[cRow + j + 2] as number) + alpha * s2;
        c[cRow + j + 3] = (c[cRow + j + 3] as number) + alpha * s3;
      }
      for (; j < n; j++) {
        const b0 = bOffset + j * ldb;
        let s = 0;
        for (let p = 0; p < k; p++) s += (a[aRow + p * sp] as number) * (b[b0 + p] as number);
        c[cRow + j] = (c[cRow + j] as number) + alpha * s;
      }
    }
  }
}

// Panel jr holds op(B)[pc..pc+kc, jc+jr..jc+jr+NR] row by row, zero-padded past column nc.
function packPanelsB(
  transB: boolean, b: TypedArray, bOffset: number, ldb: number,
  pc: number, jc: number, kc: number, nc: number, dst: Float64Array,
): void {
  // Element (p, j) of op(B) is at b[base + p * sp + j * sj].
  const sp = transB ? 1 : ldb, sj = transB ? ldb : 1;
  let d = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    let s = bOffset + pc * sp + (jc + jr) * sj;
    if (nr === NR) {
      for (let p = 0; p < kc; p++, s += sp, d += NR) {
        dst[d] = b[s] as number;
        dst[d + 1] = b[s + sj] as number;
        dst[d + 2] = b[s + 2 * sj] as number;
        dst[d + 3] = b[s + 3 * sj] as number;
      }
    } else {
      for (let p = 0; p < kc; p++, s += sp, d += NR) {
        for (let q = 0; q < NR; q++) dst[d + q] = q < nr ? (b[s + q * sj] as number) : 0;
      }
    }
  }
}

// Panel ir holds alpha * op(A)[ic+ir..ic+ir+MR, pc..pc+kc] column by column, zero-padded past
// row mc; folding alpha in here keeps it out of the micro-kernel.
function packPanelsA(
  transA: boolean, a: TypedArray, aOffset: number, lda: number,
  ic: number, pc: number, mc: number, kc: number, alpha: number, dst: Float64Array,
): void {
  const si = transA ? 1 : lda, sp = transA ? lda : 1;
  let d = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    let s = aOffset + (ic + ir) * si + pc * sp;
    if (mr === MR) {
      for (let p = 0; p < kc; p++, s += sp, d += MR) {
        dst[d] = alpha * (a[s] as number);
        dst[d + 1] = alpha * (a[s + si] as number);
        dst[d + 2] = alpha * (a[s + 2 * si] as number);
        dst[d + 3] = alpha * (a[s + 3 * si] as number);
      }
    } else {
      for (let p = 0; p < kc; p++, s += sp, d += MR) {
        for (let r = 0; r < MR; r++) dst[d + r] = r < mr ? alpha * (a[s + r * si] as number) : 0;
      }
    }
  }
}

// C[ci..] += packed A panel (from ia) x packed B panel (from ib), a full 4 x 4 tile.
function kernel4x4(
  kc: number, pa: Float64Array, ia: number, pb: Float64Array, ib: number,
  c: TypedArray, ci: number, ldc: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let p = 0; p < kc; p++, ia += MR, ib += NR) {
    const b0 = pb[ib] as number, b1 = pb[ib + 1] as number, b2 = pb[ib + 2] as number, b3 = pb[ib + 3] as number;
    let x = pa[ia] as number;
    c00 += x * b0; c01 += x * b1; c02 += x * b2; c03 += x * b3;
    x = pa[ia + 1] as number;
    c10 += x * b0; c11 += x * b1; c12 += x * b2; c13 += x * b3;
    x = pa[ia + 2] as number;
    c20 += x * b0; c21 += x * b1; c22 += x * b2; c23 += x * b3;
    x = pa[ia + 3] as number;
    c30 += x * b0; c31 += x * b1; c32 += x * b2; c33 += x * b3;
  }
  c[ci] = (c[ci] as number) + c00; c[ci + 1] = (c[ci + 1] as number) + c01;
  c[ci + 2] = (c[ci + 2] as number) + c02; c[ci + 3] = (c[ci + 3] as number) + c03;
  ci += ldc;
  c[ci] = (c[ci] as number) + c10; c[ci + 1] = (c[ci + 1] as number) + c11;
  c[ci + 2] = (c[ci + 2] as number) + c12; c[ci + 3] = (c[ci + 3] as number) + c13;
  ci += ldc;
  c[ci] = (c[ci] as number) + c20; c[ci + 1] = (c[ci + 1] as number) + c21;
  c[ci + 2] = (c[ci + 2] as number) + c22; c[ci + 3] = (c[ci + 3] as number) + c23;
  ci += ldc;
  c[ci] = (c[ci] as number) + c30; c[ci + 1] = (c[ci + 1] as number) + c31;
  c[ci + 2] = (c[ci + 2] as number) + c32; c[ci + 3] = (c[ci + 3] as number) + c33;
}
