// Single-precision gemm for WebAssembly SIMD (f32x4), compiled by scripts/build-wasm.mjs.
//
// The JS side (src/kernels/wasm-module.ts) owns the memory: it allocates every buffer in the
// linear memory (imported, so worker threads can share it), copies operands in, passes byte
// addresses, and reads results back. Nothing here allocates, and there are no statics: each
// thread passes its own scratch (packed A, packed B, an edge tile), so several instances can
// run on one shared memory at once.
//
// Structure (Goto & van de Geijn, "Anatomy of high-performance matrix multiplication"):
// B is packed into KC x NR column panels and A into MR x KC row panels so that the micro-kernel
// streams both operands contiguously; an MR x NR block of C is held in v128 registers for the
// whole KC loop.

import { madd } from './simd-math';

// 4 x 8 is the largest tile whose 8 accumulators, 2 B vectors, the A splat and the product
// temporary fit V8's 15 allocatable xmm registers; 4 x 12 and 4 x 16 spill and ran at half the
// speed (measured in docs/decisions/0001-gemm-webassembly-simd.md). Without FMA in baseline
// wasm SIMD, 4 x 8 issues 8 mul + 8 add per depth step, which saturates two mul and two add
// pipes. Built with relaxed SIMD, `madd` is one fused multiply-add (docs/decisions/0010): the
// same 8 accumulators, and no product temporary.

/** Rows of C per micro-tile. */
const MR: i32 = 4;
/** Columns of C per micro-tile: two v128 per row. */
const NR: i32 = 8;
/** Depth of a packed block; one KC x NR panel of B (8 KiB) stays in L1 across a row of tiles. */
const KC: i32 = 256;
/** Rows of A packed at once; the MC x KC block (128 KiB) stays in L2. */
const MC: i32 = 128;
/** Columns of B packed at once; the KC x NC block (1 MiB) is streamed from L2/L3. */
const NC: i32 = 1024;
// Up to this many rows of C, B (not transposed) is read in place instead of packed: 2-4x
// faster for 1..8 rows; at 16 rows and a 4 KiB row stride, cache-set conflicts made it slower.
const DIRECT_B_MAX_M: i32 = 8;

/** Bytes the caller must reserve for packed A (MC x KC floats). */
export function packABytes(): i32 {
  return MC * KC * 4;
}

/** Bytes the caller must reserve for packed B when C has `n` columns. */
export function packBBytes(n: i32): i32 {
  const nc = min(n, NC);
  return KC * ((nc + NR - 1) / NR) * NR * 4;
}

/**
 * Bytes of the edge-tile scratch: the micro-kernel always computes a full MR x NR tile, and
 * the valid part of an edge tile is copied out, so padding rows/columns never touch C.
 */
export function tileBytes(): i32 {
  return MR * NR * 4;
}

/** First address the caller may use for its own buffers. */
export function heapBase(): usize {
  return (__heap_base + 63) & ~63;
}

/** Bytes of op(B) [k x n] packed whole by {@link packB}: every (column block, depth block) panel set. */
export function packedBBytes(k: i32, n: i32): i32 {
  let total = 0;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    total += k * ((nc + NR - 1) / NR) * NR;
  }
  return total * 4;
}

/**
 * Packs all of op(B) [k x n] once, in the order {@link sgemmPacked} reads it: for each block of
 * NC columns, for each block of KC depth, the KC x NR panels {@link sgemm} would pack. A weight
 * matrix used by every time step of a recurrence is packed once per sequence instead of once
 * per step.
 */
export function packB(transB: bool, k: i32, n: i32, b: usize, ldb: i32, dst: usize): void {
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const panelWidth = ((nc + NR - 1) / NR) * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      if (transB) packBTrans(b, ldb, pc, jc, kc, nc, dst);
      else packBNormal(b, ldb, pc, jc, kc, nc, dst, false);
      dst += <usize>kc * panelWidth * 4;
    }
  }
}

/**
 * C[m x n] (row stride ldc) = alpha * op(A) * op(B) + beta * C.
 *
 * `a` and `b` are byte addresses of the stored matrices with row strides `lda`, `ldb`
 * (in elements); op(A) is m x k and op(B) is k x n. When beta is 0, C is not read.
 * `packA`, `packB` and `tile` are the caller's scratch ({@link packABytes},
 * {@link packBBytes}, {@link tileBytes}).
 */
export function sgemm(
  transA: bool, transB: bool, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
  packA: usize, packB: usize, tile: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (!prologue(m, n, k, alpha, beta, c, ldc)) return;
  const ldcBytes = <usize>ldc * 4;
  // With few rows of A, each packed B panel would be used only once or twice, so packing
  // (a read and a write of all of B) costs more than the micro-kernel's strided reads of B
  // in place. The partial last panel is still packed, for its zero padding.
  const directB = !transB && m <= DIRECT_B_MAX_M;
  const ldbBytes = <usize>ldb * 4;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const accumulate = pc > 0 || beta != 0;
      if (transB) packBTrans(b, ldb, pc, jc, kc, nc, packB);
      else packBNormal(b, ldb, pc, jc, kc, nc, packB, directB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (transA) packATrans(a, lda, ic, pc, mc, kc, alpha, packA);
        else packANormal(a, lda, ic, pc, mc, kc, alpha, packA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const inPlace = directB && nr == NR;
          const pb = inPlace ? b + (<usize>pc * ldb + jc + jr) * 4 : packB + <usize>jr * kc * 4;
          const pbStride = inPlace ? ldbBytes : NR * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = packA + <usize>ir * kc * 4;
            const cp = c + (<usize>(ic + ir) * ldc + jc + jr) * 4;
            tileOrEdge(kc, pa, pb, pbStride, cp, ldcBytes, accumulate, mr, nr, tile);
          }
        }
      }
    }
  }
}

/**
 * {@link sgemm} with op(B) already packed whole by {@link packB} (same transB, k, n): no
 * packing of B at all, so a product by a fixed weight matrix at every time step costs only
 * the multiply-adds and the packing of the small A.
 */
export function sgemmPacked(
  transA: bool, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, packedB: usize, beta: f32, c: usize, ldc: i32,
  packA: usize, tile: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (!prologue(m, n, k, alpha, beta, c, ldc)) return;
  const ldcBytes = <usize>ldc * 4;
  let block = packedB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const panelWidth = ((nc + NR - 1) / NR) * NR;
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const accumulate = pc > 0 || beta != 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        if (transA) packATrans(a, lda, ic, pc, mc, kc, alpha, packA);
        else packANormal(a, lda, ic, pc, mc, kc, alpha, packA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = block + <usize>jr * kc * 4;
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = packA + <usize>ir * kc * 4;
            const cp = c + (<usize>(ic + ir) * ldc + jc + jr) * 4;
            tileOrEdge(kc, pa, pb, NR * 4, cp, ldcBytes, accumulate, mr, nr, tile);
          }
        }
      }
      block += <usize>kc * panelWidth * 4;
    }
  }
}

// Scales C by beta (or zeroes it) and says whether any product remains to be added.
@inline
function prologue(m: i32, n: i32, k: i32, alpha: f32, beta: f32, c: usize, ldc: i32): bool {
  if (beta != 1) {
    for (let i = 0; i < m; i++) {
      const row = c + <usize>i * ldc * 4;
      if (beta == 0) {
        if (k <= 0 || alpha == 0) memory.fill(row, 0, <usize>n * 4);
      } else scale(row, n, beta);
    }
  }
  return k > 0 && alpha != 0;
}

// One MR x NR tile of C: in place when whole, else through the scratch tile, of which only
// the valid mr x nr part is added to (or written into) C.
@inline
function tileOrEdge(
  kc: i32, pa: usize, pb: usize, pbStride: usize, cp: usize, ldcBytes: usize, accumulate: bool, mr: i32, nr: i32, tile: usize,
): void {
  if (mr == MR && nr == NR) {
    kernel(kc, pa, pb, pbStride, cp, ldcBytes, accumulate);
  } else {
    kernel(kc, pa, pb, pbStride, tile, NR * 4, false);
    for (let r = 0; r < mr; r++) {
      for (let q = 0; q < nr; q++) {
        const src = load<f32>(tile + (<usize>r * NR + q) * 4);
        const d = cp + <usize>r * ldcBytes + <usize>q * 4;
        store<f32>(d, accumulate ? load<f32>(d) + src : src);
      }
    }
  }
}

function scale(c: usize, len: i32, beta: f32): void {
  const vb = f32x4.splat(beta);
  let i = 0;
  for (; i + 4 <= len; i += 4) {
    const p = c + <usize>i * 4;
    v128.store(p, f32x4.mul(v128.load(p), vb));
  }
  for (; i < len; i++) {
    const p = c + <usize>i * 4;
    store<f32>(p, load<f32>(p) * beta);
  }
}

/**
 * y[m] = alpha * A[m x n] x[n] + beta * y (A row-major with row stride lda; y not read when
 * beta is 0): the matrix-vector product of a batch-1 step. Four rows at a time, each a dot
 * product of contiguous floats with x, so A streams through once and x stays in L1; this is
 * the memory-bound case where packing (a read and a write of A) would double the traffic.
 */
export function sgemv(m: i32, n: i32, alpha: f32, a: usize, lda: i32, x: usize, beta: f32, y: usize): void {
  const ldaBytes = <usize>lda * 4;
  const n4 = n & ~3;
  let i = 0;
  // Eight rows per pass: each x vector loaded once serves eight rows (9 loads per 64 flops;
  // four rows ran at 60% of this speed, load-bound on the x reloads and the loop).
  for (; i + 8 <= m; i += 8) {
    const r0 = a + <usize>i * ldaBytes;
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    for (let p = 0; p < n4; p += 4) {
      const off = <usize>p * 4;
      const xv = v128.load(x + off);
      let r = r0 + off;
      s0 = madd(v128.load(r), xv, s0); r += ldaBytes;
      s1 = madd(v128.load(r), xv, s1); r += ldaBytes;
      s2 = madd(v128.load(r), xv, s2); r += ldaBytes;
      s3 = madd(v128.load(r), xv, s3); r += ldaBytes;
      s4 = madd(v128.load(r), xv, s4); r += ldaBytes;
      s5 = madd(v128.load(r), xv, s5); r += ldaBytes;
      s6 = madd(v128.load(r), xv, s6); r += ldaBytes;
      s7 = madd(v128.load(r), xv, s7);
    }
    storeRowSums(s0, s1, s2, s3, r0, ldaBytes, n4, n, x, alpha, beta, y + <usize>i * 4);
    storeRowSums(s4, s5, s6, s7, r0 + 4 * ldaBytes, ldaBytes, n4, n, x, alpha, beta, y + <usize>(i + 4) * 4);
  }
  for (; i + 4 <= m; i += 4) {
    const r0 = a + <usize>i * ldaBytes;
    const r1 = r0 + ldaBytes;
    const r2 = r1 + ldaBytes;
    const r3 = r2 + ldaBytes;
    let s0 = f32x4.splat(0), s1 = s0, s2 = s0, s3 = s0;
    for (let p = 0; p < n4; p += 4) {
      const off = <usize>p * 4;
      const xv = v128.load(x + off);
      s0 = madd(v128.load(r0 + off), xv, s0);
      s1 = madd(v128.load(r1 + off), xv, s1);
      s2 = madd(v128.load(r2 + off), xv, s2);
      s3 = madd(v128.load(r3 + off), xv, s3);
    }
    storeRowSums(s0, s1, s2, s3, r0, ldaBytes, n4, n, x, alpha, beta, y + <usize>i * 4);
  }
  for (; i < m; i++) {
    const r = a + <usize>i * ldaBytes;
    let acc = f32x4.splat(0);
    for (let p = 0; p < n4; p += 4) acc = madd(v128.load(r + <usize>p * 4), v128.load(x + <usize>p * 4), acc);
    let sum = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
    for (let p = n4; p < n; p++) sum += load<f32>(r + <usize>p * 4) * load<f32>(x + <usize>p * 4);
    const yp = y + <usize>i * 4;
    store<f32>(yp, beta == 0 ? alpha * sum : alpha * sum + beta * load<f32>(yp));
  }
}

// The four row sums of accumulators s0..s3 (rows r0, r0 + ldaBytes, ...), plus the scalar tail
// of columns n4..n, scaled and stored into y[0..4) (y = alpha sums + beta y).
@inline
function storeRowSums(
  s0: v128, s1: v128, s2: v128, s3: v128, r0: usize, ldaBytes: usize, n4: i32, n: i32, x: usize, alpha: f32, beta: f32, yp: usize,
): void {
  // Transpose-and-add the four accumulators into one vector of the four row sums.
  const t0 = f32x4.add(i32x4.shuffle(s0, s1, 0, 4, 1, 5), i32x4.shuffle(s0, s1, 2, 6, 3, 7));
  const t1 = f32x4.add(i32x4.shuffle(s2, s3, 0, 4, 1, 5), i32x4.shuffle(s2, s3, 2, 6, 3, 7));
  let sums = f32x4.add(i32x4.shuffle(t0, t1, 0, 1, 4, 5), i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  if (n4 < n) {
    let e0: f32 = 0, e1: f32 = 0, e2: f32 = 0, e3: f32 = 0;
    for (let p = n4; p < n; p++) {
      const off = <usize>p * 4;
      const xp = load<f32>(x + off);
      e0 += load<f32>(r0 + off) * xp;
      e1 += load<f32>(r0 + ldaBytes + off) * xp;
      e2 += load<f32>(r0 + 2 * ldaBytes + off) * xp;
      e3 += load<f32>(r0 + 3 * ldaBytes + off) * xp;
    }
    let tail = f32x4.splat(e0);
    tail = f32x4.replace_lane(tail, 1, e1);
    tail = f32x4.replace_lane(tail, 2, e2);
    tail = f32x4.replace_lane(tail, 3, e3);
    sums = f32x4.add(sums, tail);
  }
  sums = f32x4.mul(sums, f32x4.splat(alpha));
  v128.store(yp, beta == 0 ? sums : f32x4.add(sums, f32x4.mul(v128.load(yp), f32x4.splat(beta))));
}

// @inline keeps the accumulators in registers: a call boundary would force them to memory.
@inline
function kernel(kc: i32, pa: usize, pb: usize, pbStride: usize, dst: usize, ldd: usize, accumulate: bool): void {
  const zero = f32x4.splat(0);
  let c00 = zero, c01 = zero, c10 = zero, c11 = zero, c20 = zero, c21 = zero, c30 = zero, c31 = zero;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb, 0);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa, 0);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    const a1 = v128.load32_splat(pa, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    const a2 = v128.load32_splat(pa, 8);
    c20 = madd(a2, b0, c20);
    c21 = madd(a2, b1, c21);
    const a3 = v128.load32_splat(pa, 12);
    c30 = madd(a3, b0, c30);
    c31 = madd(a3, b1, c31);
    pa += 16;
    pb += pbStride;
  }
  let out = dst;
  v128.store(out, accumulate ? f32x4.add(v128.load(out, 0), c00) : c00, 0);
  v128.store(out, accumulate ? f32x4.add(v128.load(out, 16), c01) : c01, 16);
  out = dst + 1 * ldd;
  v128.store(out, accumulate ? f32x4.add(v128.load(out, 0), c10) : c10, 0);
  v128.store(out, accumulate ? f32x4.add(v128.load(out, 16), c11) : c11, 16);
  out = dst + 2 * ldd;
  v128.store(out, accumulate ? f32x4.add(v128.load(out, 0), c20) : c20, 0);
  v128.store(out, accumulate ? f32x4.add(v128.load(out, 16), c21) : c21, 16);
  out = dst + 3 * ldd;
  v128.store(out, accumulate ? f32x4.add(v128.load(out, 0), c30) : c30, 0);
  v128.store(out, accumulate ? f32x4.add(v128.load(out, 16), c31) : c31, 16);
}

// op(B) is B itself: each packed row of a panel is NR contiguous floats of one B row.
function packBNormal(b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize, edgeOnly: bool): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    if (edgeOnly && nr == NR) {
      dst += <usize>kc * NR * 4;
      continue;
    }
    let src = b + (<usize>pc * ldb + jc + jr) * 4;
    const stride = <usize>ldb * 4;
    if (nr == NR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, v128.load(src, 0), 0);
        v128.store(dst, v128.load(src, 16), 16);
        src += stride;
        dst += NR * 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let q = 0; q < NR; q++) store<f32>(dst + <usize>q * 4, q < nr ? load<f32>(src + <usize>q * 4) : 0);
        src += stride;
        dst += NR * 4;
      }
    }
  }
}

// op(B) = B^T: column j of op(B) is row j of the stored matrix, so a panel is a transpose of
// NR stored rows, done 4 x 4 at a time in registers.
function packBTrans(b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const stride = <usize>ldb * 4;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const base = b + (<usize>(jc + jr) * ldb + pc) * 4;
    if (nr == NR) {
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        for (let q = 0; q < NR; q += 4) {
          const s = base + <usize>q * stride + <usize>p * 4;
          transpose4(s, stride, dst + (<usize>p * NR + q) * 4, NR * 4);
        }
      }
      for (; p < kc; p++) {
        for (let q = 0; q < NR; q++) store<f32>(dst + (<usize>p * NR + q) * 4, load<f32>(base + <usize>q * stride + <usize>p * 4));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let q = 0; q < NR; q++) {
          store<f32>(dst + (<usize>p * NR + q) * 4, q < nr ? load<f32>(base + <usize>q * stride + <usize>p * 4) : 0);
        }
      }
    }
    dst += <usize>kc * NR * 4;
  }
}

// op(A) = A: a panel holds MR rows interleaved by column (p-major), a transpose of the stored
// rows; alpha is folded in here so the micro-kernel does not multiply by it.
function packANormal(a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, alpha: f32, dst: usize): void {
  const stride = <usize>lda * 4;
  const va = f32x4.splat(alpha);
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const base = a + (<usize>(ic + ir) * lda + pc) * 4;
    if (mr == MR) {
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const s = base + <usize>p * 4;
        const d = dst + <usize>p * MR * 4;
        transpose4(s, stride, d, MR * 4);
        v128.store(d, f32x4.mul(v128.load(d), va));
        v128.store(d, f32x4.mul(v128.load(d, 16), va), 16);
        v128.store(d, f32x4.mul(v128.load(d, 32), va), 32);
        v128.store(d, f32x4.mul(v128.load(d, 48), va), 48);
      }
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>p * MR + r) * 4, alpha * load<f32>(base + <usize>r * stride + <usize>p * 4));
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + (<usize>p * MR + r) * 4, r < mr ? alpha * load<f32>(base + <usize>r * stride + <usize>p * 4) : 0);
        }
      }
    }
    dst += <usize>kc * MR * 4;
  }
}

// op(A) = A^T: MR consecutive rows of op(A) at depth p are MR contiguous floats of stored row p.
function packATrans(a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, alpha: f32, dst: usize): void {
  const stride = <usize>lda * 4;
  const va = f32x4.splat(alpha);
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    let src = a + (<usize>pc * lda + ic + ir) * 4;
    if (mr == MR) {
      for (let p = 0; p < kc; p++) {
        v128.store(dst, f32x4.mul(v128.load(src), va));
        src += stride;
        dst += MR * 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) store<f32>(dst + <usize>r * 4, r < mr ? alpha * load<f32>(src + <usize>r * 4) : 0);
        src += stride;
        dst += MR * 4;
      }
    }
  }
}

// Reads a 4 x 4 block (rows `stride` bytes apart) and writes its transpose (rows `dstStride`
// bytes apart).
@inline
function transpose4(src: usize, stride: usize, dst: usize, dstStride: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + stride);
  const r2 = v128.load(src + 2 * stride);
  const r3 = v128.load(src + 3 * stride);
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstStride, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstStride, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstStride, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}
