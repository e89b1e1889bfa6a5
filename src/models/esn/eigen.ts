import { ArgumentError, UnfoldError } from '../../tensor/index.js';

/** Eigenvalues lambda_k = re[k] + i im[k] of a real matrix; complex ones come in conjugate pairs. */
export interface Eigenvalues {
  readonly re: Float64Array;
  readonly im: Float64Array;
}

/**
 * All eigenvalues of a real upper-Hessenberg matrix H [n, n] (row-major; entries below the
 * first subdiagonal are ignored), by the Francis double-shift QR algorithm (Golub & Van Loan,
 * Matrix Computations, algorithm 7.5.2; the EISPACK `hqr` formulation). Each sweep applies an
 * implicit double shift by the eigenvalues of the trailing 2 x 2 block, chasing a 3 x 3
 * Householder bulge down the subdiagonal in O(n^2); a subdiagonal entry is set to zero once
 * |h_{l,l-1}| <= eps (|h_{l-1,l-1}| + |h_{l,l}|), splitting off 1 x 1 (real) and 2 x 2 (complex
 * pair) blocks. Ad-hoc shifts at iterations 10 and 20 break the rare cycles. About 10 n^3
 * flops in all. `h` is not modified.
 *
 * Throws an UnfoldError (code 'convergence') if some eigenvalue needs more than 60 sweeps.
 *
 * @example
 * ```ts
 * import { hessenbergEigenvalues } from 'unfold';
 * // [[0, -2], [2, 0]] is Hessenberg; its eigenvalues are +-2i.
 * const { re, im } = hessenbergEigenvalues(new Float64Array([0, -2, 2, 0]), 2); // re [0, 0], im [2, -2]
 * ```
 */
export function hessenbergEigenvalues(h: ArrayLike<number>, n: number): Eigenvalues {
  checkSquare('hessenbergEigenvalues', h, n);
  const a = Float64Array.from(h);
  // Only the Hessenberg part takes part; clear the rest so a caller's dense matrix cannot leak in.
  for (let i = 2; i < n; i++) for (let j = 0; j < i - 1; j++) a[i * n + j] = 0;
  const re = new Float64Array(n);
  const im = new Float64Array(n);

  let anorm = 0;
  for (let i = 0; i < n; i++) for (let j = Math.max(i - 1, 0); j < n; j++) anorm += Math.abs(a[i * n + j] as number);

  let nn = n - 1;
  let t = 0; // accumulated exceptional shifts
  // p, q, r carry from the search for the bulge start into the first step of the sweep.
  let p = 0, q = 0, r = 0;
  let s: number, w: number, x: number, y: number, z: number;
  while (nn >= 0) {
    let its = 0;
    let l: number;
    do {
      // Look for a negligible subdiagonal element to split the matrix at.
      for (l = nn; l >= 1; l--) {
        s = Math.abs(a[(l - 1) * n + (l - 1)] as number) + Math.abs(a[l * n + l] as number);
        if (s === 0) s = anorm;
        if (Math.abs(a[l * n + (l - 1)] as number) <= Number.EPSILON * s) {
          a[l * n + (l - 1)] = 0;
          break;
        }
      }
      x = a[nn * n + nn] as number;
      if (l === nn) {
        re[nn] = x + t;
        im[nn] = 0;
        nn--;
      } else {
        y = a[(nn - 1) * n + (nn - 1)] as number;
        w = (a[nn * n + (nn - 1)] as number) * (a[(nn - 1) * n + nn] as number);
        if (l === nn - 1) {
          // A 2 x 2 block: its two eigenvalues in closed form.
          p = 0.5 * (y - x);
          q = p * p + w;
          z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            z = p + signOf(z, p);
            re[nn - 1] = re[nn] = x + z;
            if (z !== 0) re[nn] = x - w / z;
            im[nn - 1] = im[nn] = 0;
          } else {
            re[nn - 1] = re[nn] = x + p;
            im[nn - 1] = z;
            im[nn] = -z;
          }
          nn -= 2;
        } else {
          if (its === 60) throw new UnfoldError('convergence', `hessenbergEigenvalues: no convergence after 60 QR sweeps at row ${nn}`);
          if (its === 10 || its === 20) {
            // Exceptional shift (EISPACK): breaks the rare cycles of the standard shift.
            t += x;
            for (let i = 0; i <= nn; i++) a[i * n + i] = (a[i * n + i] as number) - x;
            s = Math.abs(a[nn * n + (nn - 1)] as number) + Math.abs(a[(nn - 1) * n + (nn - 2)] as number);
            y = x = 0.75 * s;
            w = -0.4375 * s * s;
          }
          its++;
          // Find two consecutive small subdiagonal elements: start the bulge at row m.
          let m: number;
          for (m = nn - 2; m >= l; m--) {
            z = a[m * n + m] as number;
            r = x - z;
            s = y - z;
            p = (r * s - w) / (a[(m + 1) * n + m] as number) + (a[m * n + (m + 1)] as number);
            q = (a[(m + 1) * n + (m + 1)] as number) - z - r - s;
            r = a[(m + 2) * n + (m + 1)] as number;
            s = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= s;
            q /= s;
            r /= s;
            if (m === l) break;
            const u = Math.abs(a[m * n + (m - 1)] as number) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[(m - 1) * n + (m - 1)] as number) + Math.abs(z) + Math.abs(a[(m + 1) * n + (m + 1)] as number));
            if (u <= Number.EPSILON * v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i * n + (i - 2)] = 0;
            if (i !== m + 2) a[i * n + (i - 3)] = 0;
          }
          // The double QR step on rows/columns l..nn, chasing the bulge from m down.
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k * n + (k - 1)] as number;
              q = a[(k + 1) * n + (k - 1)] as number;
              r = k !== nn - 1 ? (a[(k + 2) * n + (k - 1)] as number) : 0;
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) {
                p /= x;
                q /= x;
                r /= x;
              }
            }
            s = signOf(Math.sqrt(p * p + q * q + r * r), p);
            if (s === 0) continue;
            if (k === m) {
              if (l !== m) a[k * n + (k - 1)] = -(a[k * n + (k - 1)] as number);
            } else {
              a[k * n + (k - 1)] = -s * x;
            }
            p += s;
            x = p / s;
            y = q / s;
            z = r / s;
            q /= p;
            r /= p;
            for (let j = k; j <= nn; j++) {
              p = (a[k * n + j] as number) + q * (a[(k + 1) * n + j] as number);
              if (k !== nn - 1) {
                p += r * (a[(k + 2) * n + j] as number);
                a[(k + 2) * n + j] = (a[(k + 2) * n + j] as number) - p * z;
              }
              a[(k + 1) * n + j] = (a[(k + 1) * n + j] as number) - p * y;
              a[k * n + j] = (a[k * n + j] as number) - p * x;
            }
            const last = Math.min(nn, k + 3);
            for (let i = l; i <= last; i++) {
              p = x * (a[i * n + k] as number) + y * (a[i * n + (k + 1)] as number);
              if (k !== nn - 1) {
                p += z * (a[i * n + (k + 2)] as number);
                a[i * n + (k + 2)] = (a[i * n + (k + 2)] as number) - p * r;
              }
              a[i * n + (k + 1)] = (a[i * n + (k + 1)] as number) - p * q;
              a[i * n + k] = (a[i * n + k] as number) - p;
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return { re, im };
}

/**
 * All eigenvalues of a dense real matrix A [n, n] (row-major): Householder reduction to
 * upper-Hessenberg form H = Q^T A Q (same eigenvalues), then {@link hessenbergEigenvalues}.
 * About 10/3 n^3 + 10 n^3 flops: fine for the few hundred units of a test reservoir; for
 * large sparse matrices use `sparseSpectralRadius`, which never forms a dense matrix.
 *
 * @example
 * ```ts
 * import { denseEigenvalues } from 'unfold';
 * denseEigenvalues(new Float64Array([2, 1, 1, 2]), 2); // re [3, 1] (in some order), im [0, 0]
 * ```
 */
export function denseEigenvalues(matrix: ArrayLike<number>, n: number): Eigenvalues {
  checkSquare('denseEigenvalues', matrix, n);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    // Householder vector v zeroing A[k+2.., k]: H = I - 2 v v^T / (v^T v).
    let norm2 = 0;
    for (let i = k + 1; i < n; i++) norm2 += (a[i * n + k] as number) ** 2;
    const x0 = a[(k + 1) * n + k] as number;
    if (norm2 - x0 * x0 === 0) continue; // already zero below the subdiagonal
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    v.fill(0);
    v[k + 1] = x0 - alpha;
    for (let i = k + 2; i < n; i++) v[i] = a[i * n + k] as number;
    const vtv = 2 * (norm2 - alpha * x0);
    const beta = 2 / vtv;
    // A <- H A: rows k+1.. change.
    for (let j = 0; j < n; j++) {
      let d = 0;
      for (let i = k + 1; i < n; i++) d += (v[i] as number) * (a[i * n + j] as number);
      d *= beta;
      for (let i = k + 1; i < n; i++) a[i * n + j] = (a[i * n + j] as number) - d * (v[i] as number);
    }
    // A <- A H: columns k+1.. change.
    for (let i = 0; i < n; i++) {
      const row = i * n;
      let d = 0;
      for (let j = k + 1; j < n; j++) d += (a[row + j] as number) * (v[j] as number);
      d *= beta;
      for (let j = k + 1; j < n; j++) a[row + j] = (a[row + j] as number) - d * (v[j] as number);
    }
  }
  return hessenbergEigenvalues(a, n);
}

/**
 * The spectral radius max_k |lambda_k| of a dense real matrix, from all its eigenvalues
 * ({@link denseEigenvalues}): exact up to rounding, O(n^3). The reference that the sparse
 * estimator is tested against.
 *
 * @example
 * ```ts
 * import { denseSpectralRadius } from 'unfold';
 * denseSpectralRadius(new Float64Array([0, 2, -2, 0]), 2); // 2
 * ```
 */
export function denseSpectralRadius(matrix: ArrayLike<number>, n: number): number {
  return maxModulus(denseEigenvalues(matrix, n));
}

/**
 * max_k |lambda_k| = max_k sqrt(re_k^2 + im_k^2), 0 for no eigenvalues.
 *
 * @example
 * ```ts
 * import { maxModulus } from 'unfold';
 * maxModulus({ re: new Float64Array([1, 0]), im: new Float64Array([0, -3]) }); // 3
 * ```
 */
export function maxModulus(eig: Eigenvalues): number {
  let best = 0;
  for (let k = 0; k < eig.re.length; k++) best = Math.max(best, Math.hypot(eig.re[k] as number, eig.im[k] as number));
  return best;
}

function checkSquare(where: string, a: ArrayLike<number>, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new ArgumentError(where, `n must be a non-negative integer, got ${n}`);
  if (a.length !== n * n) throw new ArgumentError(where, `expected ${n} x ${n} = ${n * n} values, got ${a.length}`);
}

/** |a| with the sign of b (Fortran SIGN). */
function signOf(a: number, b: number): number {
  return b >= 0 ? Math.abs(a) : -Math.abs(a);
}
