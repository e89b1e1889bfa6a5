import { ArgumentError, type Rng } from '../../tensor/index.js';

/**
 * A sparse matrix [rows, cols] in compressed sparse row (CSR) form: the non-zeros of row i
 * are `values[rowStart[i] .. rowStart[i+1]-1]`, in columns `columns[...]` (ascending).
 * A reservoir's recurrent weights live here: at 1 % density a 1000-unit matrix has 10^4
 * non-zeros instead of 10^6, and a step's W x costs 10^4 multiply-adds.
 */
export interface CsrMatrix {
  readonly rows: number;
  readonly cols: number;
  /** [rows + 1]: offsets into `columns` and `values`; rowStart[rows] = nnz. */
  readonly rowStart: Int32Array;
  /** [nnz] column index of each non-zero, ascending within a row. */
  readonly columns: Int32Array;
  /** [nnz] the non-zero values. */
  readonly values: Float64Array;
}

/**
 * y = A x (or y = beta y + A x when `accumulate` is given as beta = 1), for CSR A [m, n],
 * x [n], y [m]: one pass over the non-zeros, no allocation.
 *
 * @example
 * ```ts
 * import { csrFromDense, csrMatVec } from 'unfold';
 * const a = csrFromDense(new Float64Array([1, 0, 0, 2]), 2, 2);
 * const y = new Float64Array(2);
 * csrMatVec(a, new Float64Array([3, 4]), y); // y = [3, 8]
 * ```
 */
export function csrMatVec(a: CsrMatrix, x: Float64Array, y: Float64Array, accumulate = false): void {
  const { rows, rowStart, columns, values } = a;
  for (let i = 0; i < rows; i++) {
    let s = accumulate ? (y[i] as number) : 0;
    const end = rowStart[i + 1] as number;
    for (let p = rowStart[i] as number; p < end; p++) s += (values[p] as number) * (x[columns[p] as number] as number);
    y[i] = s;
  }
}

/**
 * A random sparse [rows, cols] matrix: each entry is non-zero independently with probability
 * `density` (Bernoulli mask, as in reservoirpy and Jaeger's reservoirs), its value drawn by
 * `draw(rng)`. Entries are visited row by row, column by column, so the same seed gives the
 * same matrix on every machine.
 *
 * Rather than one uniform per entry (10^6 for 1000 units), the gap to the next non-zero is
 * drawn from the geometric distribution, floor(ln u / ln(1 - density)): the same Bernoulli
 * mask in O(nnz) draws.
 *
 * @example
 * ```ts
 * import { Rng, randomSparse } from 'unfold';
 * const w = randomSparse(100, 100, 0.1, new Rng(1), (rng) => rng.normal()); // ~1000 non-zeros
 * ```
 */
export function randomSparse(rows: number, cols: number, density: number, rng: Rng, draw: (rng: Rng) => number): CsrMatrix {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
    throw new ArgumentError('randomSparse', `dimensions must be non-negative integers, got ${rows} x ${cols}`);
  }
  if (!(density > 0 && density <= 1)) throw new ArgumentError('randomSparse', `density must be in (0, 1], got ${density}`);
  const total = rows * cols;
  const cols32: number[] = [];
  const vals: number[] = [];
  const rowStart = new Int32Array(rows + 1);
  const logKeep = Math.log1p(-density);
  let index = -1;
  let row = 0;
  for (;;) {
    if (density === 1) index++;
    else {
      let u = rng.uniform();
      while (u === 0) u = rng.uniform();
      index += 1 + Math.floor(Math.log(u) / logKeep);
    }
    if (index >= total) break;
    const r = Math.floor(index / cols);
    while (row < r) rowStart[++row] = vals.length;
    cols32.push(index - r * cols);
    vals.push(draw(rng));
  }
  while (row < rows) rowStart[++row] = vals.length;
  return { rows, cols, rowStart, columns: Int32Array.from(cols32), values: Float64Array.from(vals) };
}

/**
 * The CSR form of a dense row-major matrix [rows, cols], keeping the entries that are not 0.
 *
 * @example
 * ```ts
 * import { csrFromDense } from 'unfold';
 * csrFromDense(new Float64Array([0, 1, 2, 0]), 2, 2).values; // [1, 2]
 * ```
 */
export function csrFromDense(dense: ArrayLike<number>, rows: number, cols: number): CsrMatrix {
  if (dense.length !== rows * cols) throw new ArgumentError('csrFromDense', `expected ${rows} x ${cols} = ${rows * cols} values, got ${dense.length}`);
  const rowStart = new Int32Array(rows + 1);
  const columns: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = dense[i * cols + j] as number;
      if (v !== 0) {
        columns.push(j);
        values.push(v);
      }
    }
    rowStart[i + 1] = values.length;
  }
  return { rows, cols, rowStart, columns: Int32Array.from(columns), values: Float64Array.from(values) };
}

/**
 * The dense row-major [rows, cols] form of a CSR matrix (for tests and small reservoirs).
 *
 * @example
 * ```ts
 * import { csrFromDense, csrToDense } from 'unfold';
 * csrToDense(csrFromDense([0, 1, 2, 0], 2, 2)); // [0, 1, 2, 0]
 * ```
 */
export function csrToDense(a: CsrMatrix): Float64Array {
  const out = new Float64Array(a.rows * a.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let p = a.rowStart[i] as number; p < (a.rowStart[i + 1] as number); p++) {
      out[i * a.cols + (a.columns[p] as number)] = a.values[p] as number;
    }
  }
  return out;
}

/**
 * A copy of A with every value multiplied by `factor` (same sparsity pattern).
 *
 * @example
 * ```ts
 * import { csrFromDense, csrScale } from 'unfold';
 * csrScale(csrFromDense([0, 1, 2, 0], 2, 2), 0.5).values; // [0.5, 1]
 * ```
 */
export function csrScale(a: CsrMatrix, factor: number): CsrMatrix {
  return { ...a, values: a.values.map((v) => v * factor) };
}

/**
 * Checks a CSR matrix read from outside (a model file): offsets non-decreasing and within
 * range, column indices within [0, cols) and ascending in each row, all values finite.
 * Throws an ArgumentError naming the first problem.
 *
 * @example
 * ```ts
 * import { checkCsr, csrFromDense } from 'unfold';
 * checkCsr(csrFromDense([0, 1, 2, 0], 2, 2), 'W'); // passes
 * ```
 */
export function checkCsr(a: CsrMatrix, name: string): void {
  const fail = (detail: string): never => {
    throw new ArgumentError('checkCsr', `${name}: ${detail}`);
  };
  if (a.rowStart.length !== a.rows + 1) fail(`rowStart has ${a.rowStart.length} entries, expected ${a.rows + 1}`);
  if (a.rowStart[0] !== 0) fail('rowStart[0] must be 0');
  const nnz = a.rowStart[a.rows] as number;
  if (nnz !== a.columns.length || nnz !== a.values.length) fail(`rowStart ends at ${nnz} but there are ${a.columns.length} columns and ${a.values.length} values`);
  for (let i = 0; i < a.rows; i++) {
    const start = a.rowStart[i] as number;
    const end = a.rowStart[i + 1] as number;
    if (end < start) fail(`rowStart decreases at row ${i}`);
    for (let p = start; p < end; p++) {
      const c = a.columns[p] as number;
      if (c < 0 || c >= a.cols) fail(`column ${c} out of range [0, ${a.cols}) in row ${i}`);
      if (p > start && c <= (a.columns[p - 1] as number)) fail(`columns not ascending in row ${i}`);
      if (!Number.isFinite(a.values[p] as number)) fail(`non-finite value in row ${i}`);
    }
  }
}
