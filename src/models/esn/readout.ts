import { gemm, solveSpd } from '../../kernels/index.js';
import { ArgumentError, ShapeError, Tensor } from '../../tensor/index.js';
import { asFloat64 } from './reservoir.js';

/** A linear readout y = W z + c: the only trained part of an echo state network. */
export interface LinearReadout {
  /** W [O, F] row-major. */
  readonly weight: Float64Array;
  /** c [O]. */
  readonly bias: Float64Array;
}

// Rows per gemm call: enough to amortise packing, small enough that the shifted copy stays in cache.
const BLOCK = 256;
// Column panel of the symmetric product: only panels on or below the diagonal are computed.
const PANEL = 128;

/**
 * Ridge regression (Tikhonov-regularised least squares) with an unpenalised intercept,
 * solved in closed form in float64 and accumulated block by block, so the design matrix
 * never has to be held whole:
 *
 *     min_{W, c}  sum_t || W z(t) + c - y(t) ||^2 + beta ||W||_F^2
 *     =>  (Z_c^T Z_c + beta I) W^T = Z_c^T Y_c,   c = mean(y) - W mean(z)
 *
 * where Z_c, Y_c are the centred features [T, F] and targets [T, O]. Centring removes the
 * near-collinearity between the constant column and the (non-zero-mean) reservoir states
 * that makes the uncentred normal equations far worse conditioned. To centre in one pass
 * without the cancellation of "sum of squares minus n mean^2", every row is first shifted
 * by the mean of the first block (the shifted-data algorithm; Chan, Golub & LeVeque 1983),
 * so the final rank-one correction is small. The products Z^T Z are gemm calls on the
 * panels on and below the diagonal only (half the flops of a full product); the solve is a
 * Cholesky factorisation ({@link solveSpd}), O(F^3 / 3).
 *
 * @example
 * ```ts
 * import { RidgeAccumulator } from 'unfold';
 * const acc = new RidgeAccumulator(2, 1);
 * acc.add(new Float64Array([0, 1, 1, 0, 1, 1]), new Float64Array([1, 2, 3]), 3); // z rows (0,1) (1,0) (1,1)
 * const { weight, bias } = acc.solve(0); // y = 2 z_0 + 1 z_1 + 0: weight [2, 1], bias [0]
 * ```
 */
export class RidgeAccumulator {
  readonly features: number;
  readonly outputs: number;
  private rows = 0;
  private shiftZ: Float64Array | null = null;
  private shiftY: Float64Array | null = null;
  private readonly sumZ: Float64Array;
  private readonly sumY: Float64Array;
  /** sum of shifted z z^T, [F, F]; the lower triangle (and diagonal panels) is valid. */
  private readonly szz: Float64Array;
  /** sum of shifted z y^T, [F, O]. */
  private readonly szy: Float64Array;
  private readonly blockZ: Float64Array;
  private readonly blockY: Float64Array;

  constructor(features: number, outputs: number) {
    if (!Number.isInteger(features) || features < 1) throw new ArgumentError('RidgeAccumulator', `features must be a positive integer, got ${features}`);
    if (!Number.isInteger(outputs) || outputs < 1) throw new ArgumentError('RidgeAccumulator', `outputs must be a positive integer, got ${outputs}`);
    this.features = features;
    this.outputs = outputs;
    this.sumZ = new Float64Array(features);
    this.sumY = new Float64Array(outputs);
    this.szz = new Float64Array(features * features);
    this.szy = new Float64Array(features * outputs);
    this.blockZ = new Float64Array(BLOCK * features);
    this.blockY = new Float64Array(BLOCK * outputs);
  }

  /** Rows added so far. */
  get count(): number {
    return this.rows;
  }

  /**
   * Adds `rows` samples: features z [rows, F] and targets y [rows, O], row-major, starting
   * at row `from` of each array.
   */
  add(z: Float64Array, y: Float64Array, rows: number, from = 0): void {
    const f = this.features;
    const o = this.outputs;
    if (z.length < (from + rows) * f) throw new ShapeError('RidgeAccumulator.add', `features must hold ${from + rows} rows of ${f}`, [[z.length], [(from + rows) * f]]);
    if (y.length < (from + rows) * o) throw new ShapeError('RidgeAccumulator.add', `targets must hold ${from + rows} rows of ${o}`, [[y.length], [(from + rows) * o]]);
    if (this.shiftZ === null || this.shiftY === null) {
      if (rows === 0) return;
      this.shiftZ = columnMeans(z, from, Math.min(rows, BLOCK), f);
      this.shiftY = columnMeans(y, from, Math.min(rows, BLOCK), o);
    }
    const sz = this.shiftZ;
    const sy = this.shiftY;
    for (let start = 0; start < rows; start += BLOCK) {
      const b = Math.min(BLOCK, rows - start);
      const bz = this.blockZ;
      const by = this.blockY;
      for (let r = 0; r < b; r++) {
        const src = (from + start + r) * f;
        for (let k = 0; k < f; k++) {
          const v = (z[src + k] as number) - (sz[k] as number);
          bz[r * f + k] = v;
          this.sumZ[k] = (this.sumZ[k] as number) + v;
        }
        const srcY = (from + start + r) * o;
        for (let k = 0; k < o; k++) {
          const v = (y[srcY + k] as number) - (sy[k] as number);
          by[r * o + k] = v;
          this.sumY[k] = (this.sumY[k] as number) + v;
        }
      }
      for (let i0 = 0; i0 < f; i0 += PANEL) {
        const pi = Math.min(PANEL, f - i0);
        for (let j0 = 0; j0 <= i0; j0 += PANEL) {
          const pj = Math.min(PANEL, f - j0);
          gemm(true, false, pi, pj, b, 1, bz, i0, f, bz, j0, f, 1, this.szz, i0 * f + j0, f);
        }
      }
      gemm(true, false, f, o, b, 1, bz, 0, f, by, 0, o, 1, this.szy, 0, o);
      this.rows += b;
    }
  }

  /**
   * The ridge solution for regulariser beta >= 0 (beta = 0 is ordinary least squares and
   * needs Z_c^T Z_c positive definite). Can be called again with another beta, or after
   * more rows; the accumulated sums are not changed.
   */
  solve(ridge: number): LinearReadout {
    if (!(Number.isFinite(ridge) && ridge >= 0)) throw new ArgumentError('ridge', `the ridge regulariser must be a finite number >= 0, got ${ridge}`);
    const f = this.features;
    const o = this.outputs;
    const n = this.rows;
    if (n === 0 || this.shiftZ === null || this.shiftY === null) throw new ArgumentError('ridge', 'no samples to fit: the series is no longer than the washout');
    const mz = this.sumZ.map((s) => s / n); // mean of the shifted z
    const my = this.sumY.map((s) => s / n);
    const a = new Float64Array(f * f);
    for (let i = 0; i < f; i++) {
      for (let j = 0; j <= i; j++) a[i * f + j] = (this.szz[i * f + j] as number) - n * (mz[i] as number) * (mz[j] as number);
      a[i * f + i] = (a[i * f + i] as number) + ridge;
    }
    const rhs = new Float64Array(f * o);
    for (let i = 0; i < f; i++) for (let k = 0; k < o; k++) rhs[i * o + k] = (this.szy[i * o + k] as number) - n * (mz[i] as number) * (my[k] as number);
    let solution: Float64Array;
    try {
      solution = solveSpd(a, f, rhs, o);
    } catch (e) {
      if (e instanceof ArgumentError) {
        throw new ArgumentError('ridge', `the regularised normal equations are not positive definite (${e.message}); use a larger ridge than ${ridge}`);
      }
      throw e;
    }
    const weight = new Float64Array(o * f);
    const bias = new Float64Array(o);
    for (let k = 0; k < o; k++) {
      // c = mean(y) - W mean(z), means in unshifted coordinates.
      let c = (this.shiftY[k] as number) + (my[k] as number);
      for (let i = 0; i < f; i++) {
        const wik = solution[i * o + k] as number;
        weight[k * f + i] = wik;
        c -= wik * ((this.shiftZ[i] as number) + (mz[i] as number));
      }
      bias[k] = c;
    }
    return { weight, bias };
  }
}

/**
 * Ridge regression of targets y [T, O] on features z [T, F] in one call (see
 * {@link RidgeAccumulator} for the maths): returns W [O, F] and c [O] minimising
 * sum_t ||W z(t) + c - y(t)||^2 + ridge ||W||^2.
 *
 * @example
 * ```ts
 * import { ridgeRegression, tensor } from 'unfold';
 * const z = tensor([[0], [1], [2]], { dtype: 'float64' });
 * const y = tensor([[1], [3], [5]], { dtype: 'float64' });
 * ridgeRegression(z, y, 0); // weight [2], bias [1]
 * ```
 */
export function ridgeRegression(z: Tensor, y: Tensor, ridge: number): LinearReadout {
  if (z.shape.length !== 2 || y.shape.length !== 2 || z.shape[0] !== y.shape[0]) {
    throw new ShapeError('ridgeRegression', 'expected features [T, F] and targets [T, O] with the same T', [z.shape, y.shape]);
  }
  const acc = new RidgeAccumulator(z.shape[1] as number, y.shape[1] as number);
  acc.add(asFloat64(z.data), asFloat64(y.data), z.shape[0] as number);
  return acc.solve(ridge);
}

/**
 * Fits a readout to rows [from, from + rows) of features z [T, F] and targets y [T, O]
 * (row-major) with ridge regulariser beta: minimises sum_t ||W z(t) + c - y(t)||^2 +
 * beta ||W||^2 with an unpenalised intercept c. Passed to `EchoStateNetwork.fit` as
 * `solver`; {@link normalEquationsSolver} (fast, streaming) and {@link householderQrSolver}
 * (slower, far better conditioned) are the two provided.
 */
export type ReadoutSolver = (z: Float64Array, y: Float64Array, from: number, rows: number, features: number, outputs: number, ridge: number) => LinearReadout;

/**
 * The normal-equations solver: {@link RidgeAccumulator} (centred Z^T Z by gemm, then
 * Cholesky), O(T F^2 / 2 + F^3 / 3) flops. The condition number of Z^T Z is that of Z
 * squared, so below beta ~ 1e-12 (relative to the state variance) the factorisation may
 * fail: then use {@link householderQrSolver}.
 *
 * @example
 * ```ts
 * esn.fit(inputs, targets, { washout: 100, solver: normalEquationsSolver });
 * ```
 */
export const normalEquationsSolver: ReadoutSolver = (z, y, from, rows, features, outputs, ridge) => {
  const acc = new RidgeAccumulator(features, outputs);
  acc.add(z, y, rows, from);
  return acc.solve(ridge);
};

/**
 * The orthogonal-triangular solver: Householder QR of the centred, ridge-augmented design
 *
 *     [ Z_c           ]        [ Y_c ]
 *     [ sqrt(beta) I  ] W^T ~  [  0  ],   Q R = that matrix,   R W^T = (Q^T [Y_c; 0])[:F]
 *
 * which never forms Z^T Z, so its accuracy degrades with cond(Z), not cond(Z)^2 (LAPACK's
 * dgels, with the ridge rows of Golub & Van Loan section 6.1). Q is never formed: each
 * reflector is applied to the targets as it is made. With the ridge rows placed first,
 * column j stays zero in ridge rows other than j, so reflector j touches 1 + T rows. About
 * 2 T F^2 flops: three to four times the normal equations, in exchange for accurate readouts at tiny beta (or 0),
 * which long closed-loop runs need (the free-running Mackey-Glass protocol). Throws an
 * ArgumentError if beta = 0 and Z_c has (numerically) dependent columns.
 *
 * @example
 * ```ts
 * esn.fit(inputs, targets, { washout: 1000, ridge: 1e-14, solver: householderQrSolver });
 * ```
 */
export const householderQrSolver: ReadoutSolver = (z, y, from, rows, features, outputs, ridge) => {
  if (!(Number.isFinite(ridge) && ridge >= 0)) throw new ArgumentError('ridge', `the ridge regulariser must be a finite number >= 0, got ${ridge}`);
  if (rows < 1) throw new ArgumentError('ridge', 'no samples to fit: the series is no longer than the washout');
  const f = features;
  const o = outputs;
  if (ridge === 0 && rows < f) throw new ArgumentError('ridge', `least squares with ${f} features needs at least as many samples (got ${rows}); use a ridge > 0`);
  // Layout (rows of the augmented matrix): with a ridge, the F ridge rows first, then the
  // data; column j is then non-zero only in ridge row j and the data rows, before and after
  // every reflection, so reflector j touches 1 + T rows. Without one, the data alone.
  const top = ridge > 0 ? f : 0;
  const m = top + rows;
  const meanZ = new Float64Array(f);
  const meanY = new Float64Array(o);
  for (let r = 0; r < rows; r++) {
    for (let k = 0; k < f; k++) meanZ[k] = (meanZ[k] as number) + (z[(from + r) * f + k] as number);
    for (let k = 0; k < o; k++) meanY[k] = (meanY[k] as number) + (y[(from + r) * o + k] as number);
  }
  for (let k = 0; k < f; k++) meanZ[k] = (meanZ[k] as number) / rows;
  for (let k = 0; k < o; k++) meanY[k] = (meanY[k] as number) / rows;
  // Column-major copies: a reflector then works on contiguous runs (a dot and an axpy).
  const a = new Float64Array(m * f);
  const b = new Float64Array(m * o);
  for (let r = 0; r < rows; r++) {
    const src = (from + r) * f;
    for (let k = 0; k < f; k++) a[k * m + top + r] = (z[src + k] as number) - (meanZ[k] as number);
    for (let k = 0; k < o; k++) b[k * m + top + r] = (y[(from + r) * o + k] as number) - (meanY[k] as number);
  }
  if (top > 0) {
    const root = Math.sqrt(ridge);
    for (let k = 0; k < f; k++) a[k * m + k] = root;
  }
  const diag = new Float64Array(f);
  let largest = 0;
  for (let j = 0; j < f; j++) {
    const col = j * m;
    // Reflector j acts on the pivot row j and the rows [lo, m): the data (and, without a
    // ridge, only the data rows below j, the ones above being finished rows of R).
    const lo = top > 0 ? top : j + 1;
    const x0 = a[col + j] as number;
    let norm2 = x0 * x0;
    for (let i = lo; i < m; i++) norm2 += (a[col + i] as number) ** 2;
    if (norm2 === 0) continue;
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    const v0 = x0 - alpha; // v = x - alpha e_j, stored in place of column j
    const scale = 2 / (2 * (norm2 - alpha * x0));
    diag[j] = alpha;
    largest = Math.max(largest, Math.abs(alpha));
    for (let c = j + 1; c < f; c++) reflectColumn(a, col, j, v0, lo, m, scale, a, c * m);
    for (let c = 0; c < o; c++) reflectColumn(a, col, j, v0, lo, m, scale, b, c * m);
  }
  for (let j = 0; j < f; j++) {
    if (!(Math.abs(diag[j] as number) > 1e-13 * largest)) {
      throw new ArgumentError('ridge', `the features are linearly dependent (R[${j}][${j}] = ${diag[j]}); use a ridge > 0`);
    }
  }
  // Back-substitution R W^T = (Q^T b)[:F]; R_jc (c > j) is row j of column c.
  const weight = new Float64Array(o * f);
  const bias = new Float64Array(o);
  const w = new Float64Array(f);
  for (let k = 0; k < o; k++) {
    for (let j = f - 1; j >= 0; j--) {
      let v = b[k * m + j] as number;
      for (let c = j + 1; c < f; c++) v -= (a[c * m + j] as number) * (w[c] as number);
      w[j] = v / (diag[j] as number);
    }
    let c0 = meanY[k] as number;
    for (let j = 0; j < f; j++) {
      weight[k * f + j] = w[j] as number;
      c0 -= (w[j] as number) * (meanZ[j] as number);
    }
    bias[k] = c0;
  }
  return { weight, bias };
};

/**
 * y = W z + c for one feature vector z [F] into `out` [O].
 *
 * @example
 * ```ts
 * applyReadout({ weight: new Float64Array([2]), bias: new Float64Array([1]) }, new Float64Array([3]), out); // out [7]
 * ```
 */
export function applyReadout(readout: LinearReadout, z: ArrayLike<number>, out: Float64Array, zOffset = 0): void {
  const o = readout.bias.length;
  const f = readout.weight.length / o;
  for (let k = 0; k < o; k++) {
    let s = readout.bias[k] as number;
    const row = k * f;
    for (let i = 0; i < f; i++) s += (readout.weight[row + i] as number) * (z[zOffset + i] as number);
    out[k] = s;
  }
}

/** Options of {@link RlsReadout}. */
export interface RlsOptions {
  /** P(0) = I / alpha: small alpha, fast early learning (Sussillo & Abbott's alpha; default 1). */
  readonly alpha?: number;
  /** Forgetting factor lambda in (0, 1]: 1 remembers everything (default 1). */
  readonly forgetting?: number;
}

/**
 * An online readout trained by recursive least squares, one sample at a time: the
 * FORCE rule of Sussillo & Abbott (2009) when the network runs in closed loop while it
 * learns. With z~ = [1; z] (the constant gives the bias) and P the running inverse of the
 * regularised correlation matrix:
 *
 *     k = P z~,   g = k / (lambda + z~^T k),   e = W~ z~ - y,
 *     W~ <- W~ - e g^T,   P <- (P - g k^T) / lambda
 *
 * P(0) = I / alpha, so after T samples W~ minimises sum_t lambda^(T-t) ||W~ z~(t) - y(t)||^2
 * + alpha lambda^T ||W~||^2 (with lambda = 1: ridge regression with beta = alpha, bias
 * included). O(F^2) per sample.
 *
 * @example
 * ```ts
 * import { RlsReadout } from 'unfold';
 * const rls = new RlsReadout(3, 1, { alpha: 1e-2 });
 * rls.update(z, [target]); // returns the error before the update
 * rls.readout();           // { weight [1, 3], bias [1] }
 * ```
 */
export class RlsReadout {
  readonly features: number;
  readonly outputs: number;
  private readonly lambda: number;
  /** W~ [O, F + 1]: column 0 is the bias. */
  private readonly w: Float64Array;
  /** P [(F + 1), (F + 1)]. */
  private readonly p: Float64Array;
  private readonly zt: Float64Array;
  private readonly k: Float64Array;

  constructor(features: number, outputs: number, options: RlsOptions = {}) {
    if (!Number.isInteger(features) || features < 1) throw new ArgumentError('RlsReadout', `features must be a positive integer, got ${features}`);
    if (!Number.isInteger(outputs) || outputs < 1) throw new ArgumentError('RlsReadout', `outputs must be a positive integer, got ${outputs}`);
    const alpha = options.alpha ?? 1;
    const lambda = options.forgetting ?? 1;
    if (!(alpha > 0 && Number.isFinite(alpha))) throw new ArgumentError('RlsReadout', `alpha must be a finite number > 0, got ${alpha}`);
    if (!(lambda > 0 && lambda <= 1)) throw new ArgumentError('RlsReadout', `forgetting must be in (0, 1], got ${lambda}`);
    this.features = features;
    this.outputs = outputs;
    this.lambda = lambda;
    const m = features + 1;
    this.w = new Float64Array(outputs * m);
    this.p = new Float64Array(m * m);
    for (let i = 0; i < m; i++) this.p[i * m + i] = 1 / alpha;
    this.zt = new Float64Array(m);
    this.k = new Float64Array(m);
  }

  /** The current readout (copies). */
  readout(): LinearReadout {
    const m = this.features + 1;
    const weight = new Float64Array(this.outputs * this.features);
    const bias = new Float64Array(this.outputs);
    for (let o = 0; o < this.outputs; o++) {
      bias[o] = this.w[o * m] as number;
      for (let i = 0; i < this.features; i++) weight[o * this.features + i] = this.w[o * m + 1 + i] as number;
    }
    return { weight, bias };
  }

  /** y = W z + c into `out` [O]. */
  predict(z: ArrayLike<number>, out: Float64Array, zOffset = 0): void {
    const m = this.features + 1;
    for (let o = 0; o < this.outputs; o++) {
      let s = this.w[o * m] as number;
      for (let i = 0; i < this.features; i++) s += (this.w[o * m + 1 + i] as number) * (z[zOffset + i] as number);
      out[o] = s;
    }
  }

  /** One RLS step on features z [F] and target y [O]; returns the squared error before the update. */
  update(z: ArrayLike<number>, y: ArrayLike<number>, zOffset = 0): number {
    const m = this.features + 1;
    const { zt, k, p, w } = this;
    zt[0] = 1;
    for (let i = 0; i < this.features; i++) zt[i + 1] = z[zOffset + i] as number;
    // k = P z~ and z~^T P z~ (P is symmetric).
    let denom = this.lambda;
    for (let i = 0; i < m; i++) {
      let s = 0;
      const row = i * m;
      for (let j = 0; j < m; j++) s += (p[row + j] as number) * (zt[j] as number);
      k[i] = s;
      denom += s * (zt[i] as number);
    }
    let sq = 0;
    for (let o = 0; o < this.outputs; o++) {
      let e = -(y[o] as number);
      const row = o * m;
      for (let i = 0; i < m; i++) e += (w[row + i] as number) * (zt[i] as number);
      sq += e * e;
      const f = e / denom;
      for (let i = 0; i < m; i++) w[row + i] = (w[row + i] as number) - f * (k[i] as number);
    }
    // P <- (P - k k^T / denom) / lambda, kept exactly symmetric by updating both triangles alike.
    const inv = 1 / this.lambda;
    for (let i = 0; i < m; i++) {
      const ki = (k[i] as number) / denom;
      const row = i * m;
      for (let j = 0; j < m; j++) p[row + j] = ((p[row + j] as number) - ki * (k[j] as number)) * inv;
    }
    return sq;
  }
}

/**
 * t <- (I - scale v v^T) t for the column t[tcol..] and the Householder vector v whose entry j
 * is v0 and whose entries lo..m-1 are a[col + lo .. col + m-1] (zero elsewhere).
 */
function reflectColumn(a: Float64Array, col: number, j: number, v0: number, lo: number, m: number, scale: number, t: Float64Array, tcol: number): void {
  // Four partial sums break the add-latency chain of the dot product.
  let d0 = v0 * (t[tcol + j] as number);
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let i = lo;
  for (; i + 3 < m; i += 4) {
    d0 += (a[col + i] as number) * (t[tcol + i] as number);
    d1 += (a[col + i + 1] as number) * (t[tcol + i + 1] as number);
    d2 += (a[col + i + 2] as number) * (t[tcol + i + 2] as number);
    d3 += (a[col + i + 3] as number) * (t[tcol + i + 3] as number);
  }
  for (; i < m; i++) d0 += (a[col + i] as number) * (t[tcol + i] as number);
  let d = d0 + d1 + (d2 + d3);
  if (d === 0) return;
  d *= scale;
  t[tcol + j] = (t[tcol + j] as number) - d * v0;
  for (let k = lo; k < m; k++) t[tcol + k] = (t[tcol + k] as number) - d * (a[col + k] as number);
}

function columnMeans(a: Float64Array, from: number, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k] = (out[k] as number) + (a[(from + r) * cols + k] as number);
  for (let k = 0; k < cols; k++) out[k] = (out[k] as number) / rows;
  return out;
}
