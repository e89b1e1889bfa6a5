import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';

/** The factors of {@link qr}: A = Q R. */
export interface QrResult {
  /** [m, k] row-major with orthonormal columns (Q^T Q = I_k), k = min(m, n). */
  readonly q: Float64Array;
  /** [k, n] row-major, upper triangular, with a non-negative diagonal. */
  readonly r: Float64Array;
}

function checkDims(where: string, a: ArrayLike<number>, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 0) {
    throw new ArgumentError(where, `dimensions must be non-negative integers, got ${rows} x ${cols}`);
  }
  if (a.length !== rows * cols) {
    throw new ArgumentError(where, `expected ${rows} x ${cols} = ${rows * cols} elements, got ${a.length}`);
  }
}

/**
 * Reduced QR factorisation by Householder reflections, in float64.
 *
 * For A [m, n] (row-major) and k = min(m, n), finds Q [m, k] with orthonormal columns and
 * upper-triangular R [k, n] such that A = Q R. Each step j reflects column j below the
 * diagonal onto a multiple of e_j with H_j = I - beta v v^T, beta = 2 / (v^T v), choosing
 * the sign alpha = -sign(x_0) ||x|| that avoids cancellation; then Q = H_0 H_1 ... H_{k-1} I[:, :k]
 * (accumulated backwards, so each reflector touches only the columns it changes).
 *
 * The signs are then fixed so that diag(R) >= 0: column j of Q and row j of R are negated
 * when R_jj < 0. This makes the factorisation unique for full-rank A, which is what the
 * orthogonal initialiser needs (Mezzadri 2007: Q of a Gaussian matrix is Haar-distributed
 * only after this correction). A zero diagonal entry counts as positive (PyTorch's
 * `sign()` would zero that column of Q instead).
 *
 * Cost O(2 m n k). The input is not modified.
 *
 * @example
 * ```ts
 * import { qr } from 'unfold';
 * const { q, r } = qr(new Float64Array([3, 1, 4, 2]), 2, 2);
 * // q [2,2] orthogonal, r [2,2] upper triangular, q * r = [[3, 1], [4, 2]]
 * ```
 */
export function qr(a: TypedArray | readonly number[], m: number, n: number): QrResult {
  checkDims('qr', a, m, n);
  const k = Math.min(m, n);
  // Work on the columns of A stored contiguously (A^T row-major, LAPACK's column-major
  // layout): applying a reflector to a column is then a dot product and an axpy over one
  // contiguous run that stays in L1 between the two, instead of two strided sweeps over
  // the whole trailing matrix.
  const cols = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let c = 0; c < n; c++) cols[c * m + i] = a[i * n + c] as number;
  // Householder vector v_j in vs[j*m + j .. j*m + m-1].
  const vs = new Float64Array(k * m);
  const betas = new Float64Array(k);

  for (let j = 0; j < k; j++) {
    const x = j * m;
    let norm2 = 0;
    for (let i = j; i < m; i++) norm2 += (cols[x + i] as number) ** 2;
    if (norm2 === 0) continue; // column already zero below the diagonal: H_j = I (beta 0)
    const x0 = cols[x + j] as number;
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    // v = x - alpha e_0; v^T v = norm2 - 2 alpha x0 + alpha^2 = 2 (norm2 - alpha x0).
    const vtv = 2 * (norm2 - alpha * x0);
    if (vtv === 0) continue;
    const beta = 2 / vtv;
    betas[j] = beta;
    const v = j * m;
    vs[v + j] = x0 - alpha;
    for (let i = j + 1; i < m; i++) vs[v + i] = cols[x + i] as number;
    // The reflection maps column j to alpha e_j exactly; write it so R holds no rounding dust.
    cols[x + j] = alpha;
    for (let i = j + 1; i < m; i++) cols[x + i] = 0;
    for (let c = j + 1; c < n; c++) reflect(vs, v, cols, c * m, j, m, beta);
  }

  const r = new Float64Array(k * n);
  for (let i = 0; i < k; i++) for (let c = i; c < n; c++) r[i * n + c] = cols[c * m + i] as number;

  // Q = H_0 ... H_{k-1} I[:, :k], accumulated backwards on Q's columns (stored contiguously).
  const qCols = new Float64Array(k * m);
  for (let c = 0; c < k; c++) qCols[c * m + c] = 1;
  for (let j = k - 1; j >= 0; j--) {
    const beta = betas[j] as number;
    if (beta === 0) continue;
    // Columns < j of the partial product are e_c, which H_j leaves alone.
    for (let c = j; c < k; c++) reflect(vs, j * m, qCols, c * m, j, m, beta);
  }

  // Sign fix: diag(R) >= 0, negating column j of Q with row j of R.
  const q = new Float64Array(m * k);
  for (let c = 0; c < k; c++) {
    const flip = (r[c * n + c] as number) < 0;
    if (flip) for (let cc = c; cc < n; cc++) r[c * n + cc] = -(r[c * n + cc] as number);
    const base = c * m;
    for (let i = 0; i < m; i++) q[i * k + c] = flip ? -(qCols[base + i] as number) : (qCols[base + i] as number);
  }
  return { q, r };
}

/** y[from..end] -= beta (v . y) v over the contiguous runs v = vs[v0 + i], y = ys[y0 + i], i in [from, end). */
function reflect(vs: Float64Array, v0: number, ys: Float64Array, y0: number, from: number, end: number, beta: number): void {
  // Four partial sums break the add-latency chain of a single accumulator.
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let i = from;
  for (; i + 3 < end; i += 4) {
    d0 += (vs[v0 + i] as number) * (ys[y0 + i] as number);
    d1 += (vs[v0 + i + 1] as number) * (ys[y0 + i + 1] as number);
    d2 += (vs[v0 + i + 2] as number) * (ys[y0 + i + 2] as number);
    d3 += (vs[v0 + i + 3] as number) * (ys[y0 + i + 3] as number);
  }
  for (; i < end; i++) d0 += (vs[v0 + i] as number) * (ys[y0 + i] as number);
  const dot = d0 + d1 + (d2 + d3);
  if (dot === 0) return;
  const f = beta * dot;
  for (let j = from; j < end; j++) ys[y0 + j] = (ys[y0 + j] as number) - f * (vs[v0 + j] as number);
}

/**
 * Cholesky factorisation of a symmetric positive-definite matrix, in float64:
 * A = L L^T with L lower triangular and positive diagonal.
 *
 * L_jj = sqrt(A_jj - sum_{p<j} L_jp^2),  L_ij = (A_ij - sum_{p<j} L_ip L_jp) / L_jj  (i > j).
 *
 * Only the lower triangle of A [n, n] (row-major) is read. Throws an ArgumentError naming
 * the pivot when A is not (numerically) positive definite; for ridge regression add a
 * larger regulariser lambda to the diagonal.
 *
 * @example
 * ```ts
 * import { cholesky } from 'unfold';
 * cholesky(new Float64Array([4, 2, 2, 3]), 2); // L = [[2, 0], [1, sqrt(2)]]
 * ```
 */
export function cholesky(a: TypedArray | readonly number[], n: number): Float64Array {
  checkDims('cholesky', a, n, n);
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let d = a[rj + j] as number;
    for (let p = 0; p < j; p++) {
      const x = l[rj + p] as number;
      d -= x * x;
    }
    if (!(d > 0)) {
      throw new ArgumentError('cholesky', `matrix is not positive definite: pivot ${j} is ${d}`);
    }
    const ljj = Math.sqrt(d);
    l[rj + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let x = a[ri + j] as number;
      for (let p = 0; p < j; p++) x -= (l[ri + p] as number) * (l[rj + p] as number);
      l[ri + j] = x / ljj;
    }
  }
  return l;
}

/**
 * Solves A X = B given the Cholesky factor L of A (from {@link cholesky}), in float64:
 * forward substitution L Y = B, then back substitution L^T X = Y.
 *
 * L is [n, n], B is [n, nrhs] (row-major; several right-hand sides at once, e.g. one per
 * output unit in ridge regression). Returns X [n, nrhs]; B is not modified.
 *
 * @example
 * ```ts
 * import { cholesky, choleskySolve } from 'unfold';
 * const l = cholesky(new Float64Array([4, 2, 2, 3]), 2);
 * choleskySolve(l, 2, new Float64Array([6, 5]), 1); // [1, 1]
 * ```
 */
export function choleskySolve(l: Float64Array, n: number, b: TypedArray | readonly number[], nrhs: number): Float64Array {
  checkDims('choleskySolve', l, n, n);
  checkDims('choleskySolve', b, n, nrhs);
  const x = Float64Array.from(b);
  // Forward: Y_i = (B_i - sum_{p<i} L_ip Y_p) / L_ii, a whole row of right-hand sides at a time.
  for (let i = 0; i < n; i++) {
    const ri = i * nrhs;
    for (let p = 0; p < i; p++) {
      const lip = l[i * n + p] as number;
      if (lip === 0) continue;
      const rp = p * nrhs;
      for (let c = 0; c < nrhs; c++) x[ri + c] = (x[ri + c] as number) - lip * (x[rp + c] as number);
    }
    const d = l[i * n + i] as number;
    for (let c = 0; c < nrhs; c++) x[ri + c] = (x[ri + c] as number) / d;
  }
  // Backward: X_i = (Y_i - sum_{p>i} L_pi X_p) / L_ii.
  for (let i = n - 1; i >= 0; i--) {
    const ri = i * nrhs;
    for (let p = i + 1; p < n; p++) {
      const lpi = l[p * n + i] as number;
      if (lpi === 0) continue;
      const rp = p * nrhs;
      for (let c = 0; c < nrhs; c++) x[ri + c] = (x[ri + c] as number) - lpi * (x[rp + c] as number);
    }
    const d = l[i * n + i] as number;
    for (let c = 0; c < nrhs; c++) x[ri + c] = (x[ri + c] as number) / d;
  }
  return x;
}

/**
 * Solves A X = B for symmetric positive-definite A [n, n] and B [n, nrhs] by
 * {@link cholesky} then {@link choleskySolve}, in float64. This is the normal-equations
 * step of ridge regression: W = (X^T X + lambda I)^{-1} X^T Y.
 *
 * @example
 * ```ts
 * import { solveSpd } from 'unfold';
 * solveSpd(new Float64Array([4, 2, 2, 3]), 2, new Float64Array([6, 5]), 1); // [1, 1]
 * ```
 */
export function solveSpd(a: TypedArray | readonly number[], n: number, b: TypedArray | readonly number[], nrhs: number): Float64Array {
  return choleskySolve(cholesky(a, n), n, b, nrhs);
}
