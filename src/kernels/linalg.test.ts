import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../tensor/index.js';
import { cholesky, choleskySolve, qr, solveSpd } from './linalg.js';

function gaussian(rows: number, cols: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length: rows * cols }, () => rng.normal());
}

/** C = op(A) B with op(A) = A^T when transA; all row-major. */
function matmul(a: Float64Array, ar: number, ac: number, b: Float64Array, bc: number, transA = false): Float64Array {
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const c = new Float64Array(m * bc);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < bc; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (transA ? (a[p * ac + i] as number) : (a[i * ac + p] as number)) * (b[p * bc + j] as number);
      c[i * bc + j] = s;
    }
  }
  return c;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs((a[i] as number) - (b[i] as number)));
  return d;
}

function identity(n: number): Float64Array {
  const e = new Float64Array(n * n);
  for (let i = 0; i < n; i++) e[i * n + i] = 1;
  return e;
}

for (const [m, n] of [[1, 1], [4, 4], [7, 3], [3, 7], [32, 32], [50, 20]] as const) {
  test(`qr ${m}x${n}: A = QR, Q^T Q = I, R upper triangular with non-negative diagonal`, () => {
    const a = gaussian(m, n, 10 * m + n);
    const copy = a.slice();
    const { q, r } = qr(a, m, n);
    const k = Math.min(m, n);
    assert.equal(q.length, m * k);
    assert.equal(r.length, k * n);
    assert.deepEqual(a, copy, 'input is not modified');
    assert.ok(maxAbsDiff(matmul(q, m, k, r, n), a) < 1e-12);
    assert.ok(maxAbsDiff(matmul(q, m, k, q, k, true), identity(k)) < 1e-12);
    for (let i = 0; i < k; i++) {
      assert.ok((r[i * n + i] as number) >= 0, `R[${i},${i}] >= 0`);
      for (let j = 0; j < i; j++) assert.equal(r[i * n + j], 0);
    }
  });
}

test('qr golden 2x2: the unique factorisation with positive diag(R)', () => {
  // A = [[3, 1], [4, 2]]: R_00 = |col 0| = 5, q0 = [0.6, 0.8]; R_01 = q0 . [1, 2] = 2.2;
  // residual [1, 2] - 2.2 q0 = [-0.32, 0.24], norm 0.4 = R_11, q1 = [-0.8, 0.6].
  const { q, r } = qr([3, 1, 4, 2], 2, 2);
  assert.ok(maxAbsDiff(q, [0.6, -0.8, 0.8, 0.6]) < 1e-14);
  assert.ok(maxAbsDiff(r, [5, 2.2, 0, 0.4]) < 1e-14);
});

test('qr handles a rank-deficient matrix (a zero column) and stays orthonormal', () => {
  const a = new Float64Array([1, 0, 2, 2, 0, 1, 3, 0, 5]);
  const { q, r } = qr(a, 3, 3);
  assert.ok(maxAbsDiff(matmul(q, 3, 3, r, 3), a) < 1e-12);
  assert.ok(maxAbsDiff(matmul(q, 3, 3, q, 3, true), identity(3)) < 1e-12);
});

test('qr rejects a length that does not match the dimensions', () => {
  assert.throws(() => qr(new Float64Array(5), 2, 3), /qr: expected 2 x 3 = 6 elements, got 5/);
});

test('cholesky golden and solve', () => {
  const l = cholesky([4, 2, 2, 3], 2);
  assert.ok(maxAbsDiff(l, [2, 0, 1, Math.SQRT2]) < 1e-15);
  assert.ok(maxAbsDiff(choleskySolve(l, 2, [6, 5], 1), [1, 1]) < 1e-15);
});

test('cholesky of a random SPD matrix reproduces A and solves several right-hand sides', () => {
  const n = 12;
  const nrhs = 3;
  const g = gaussian(n + 5, n, 3);
  const a = matmul(g, n + 5, n, g, n, true);
  for (let i = 0; i < n; i++) a[i * n + i] = (a[i * n + i] as number) + 0.1; // ridge term
  const l = cholesky(a, n);
  const llt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < n; p++) s += (l[i * n + p] as number) * (l[j * n + p] as number);
      llt[i * n + j] = s;
    }
    for (let j = i + 1; j < n; j++) assert.equal(l[i * n + j], 0);
  }
  assert.ok(maxAbsDiff(llt, a) < 1e-10);
  const xTrue = gaussian(n, nrhs, 4);
  const b = matmul(a, n, n, xTrue, nrhs);
  assert.ok(maxAbsDiff(solveSpd(a, n, b, nrhs), xTrue) < 1e-9);
});

test('cholesky refuses an indefinite matrix, naming the pivot', () => {
  assert.throws(() => cholesky([1, 2, 2, 1], 2), /cholesky: matrix is not positive definite: pivot 1 is -3/);
  assert.throws(() => cholesky([Number.NaN], 1), /pivot 0 is NaN/);
});
