import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../autograd/index.js';
import { RNNCell } from '../cells/rnn-cell.js';
import { createCell } from '../cells/registry.js';
import { Rng, Tensor, rand, randn } from '../tensor/index.js';
import { gradientNormsThroughTime, jacobianSpectrum, largestSingularValue, spectralRadius, stepJacobian } from './diagnostics.js';

test('the vanishing gradient, measured: a tanh RNN loses it over 100 steps, an LSTM keeps far more', () => {
  const xs = rand([1, 100, 2], new Rng(2));
  const rnn = gradientNormsThroughTime(createCell('rnn', { inputSize: 2, hiddenSize: 64 }, new Rng(1)), xs);
  const lstm = gradientNormsThroughTime(createCell('lstm', { inputSize: 2, hiddenSize: 64 }, new Rng(1)), xs);
  assert.equal(rnn.norms.length, 100);
  assert.ok(rnn.ratio < 1e-3, `rnn ratio ${rnn.ratio}`);
  assert.ok(lstm.ratio > 1e6 * rnn.ratio, `lstm ratio ${lstm.ratio} vs rnn ${rnn.ratio}`);
  // The decay is roughly geometric: the log-norm falls along the sequence.
  assert.ok(rnn.norms[10]! < rnn.norms[50]! && rnn.norms[50]! < rnn.norms[90]!);
});

test('spectral radius of non-symmetric matrices (complex eigenvalues, non-normal) and the largest singular value', () => {
  assert.ok(Math.abs(spectralRadius(new Float64Array([0, 2, -2, 0]), 2) - 2) < 1e-9);
  assert.ok(Math.abs(spectralRadius(new Float64Array([0.5, 100, 0, 0.4]), 2) - 0.5) < 0.01);
  assert.ok(Math.abs(spectralRadius(new Float64Array([3, 0, 0, 0, -4, 0, 0, 0, 1]), 3) - 4) < 1e-9);
  assert.ok(Math.abs(largestSingularValue(new Float64Array([3, 0, 4, 0]), 2) - 5) < 1e-9);
});

test('stepJacobian matches central finite differences', () => {
  const cell = createCell('gru', { inputSize: 3, hiddenSize: 4, dtype: 'float64' }, new Rng(3));
  const x = randn([1, 3], new Rng(4), { dtype: 'float64' });
  const h = randn([1, 4], new Rng(5), { dtype: 'float64' });
  const jac = stepJacobian(cell, x, { h });
  const eps = 1e-6;
  for (let j = 0; j < 4; j++) {
    const plus = h.clone();
    const minus = h.clone();
    plus.data[j] = (plus.data[j] as number) + eps;
    minus.data[j] = (minus.data[j] as number) - eps;
    const hp = noGrad(() => cell.step(x, { h: plus }).output) as Tensor;
    const hm = noGrad(() => cell.step(x, { h: minus }).output) as Tensor;
    for (let i = 0; i < 4; i++) {
      const numeric = ((hp.data[i] as number) - (hm.data[i] as number)) / (2 * eps);
      assert.ok(Math.abs((jac[i * 4 + j] as number) - numeric) < 1e-8);
    }
  }
});

/** |largest eigenvalue| of [[a, b], [c, d]] in closed form (complex pairs have modulus sqrt(det)). */
function radius2(m: ArrayLike<number>): { radius: number; complex: boolean } {
  const [a, b, c, d] = Array.from(m) as [number, number, number, number];
  const tr = a + d;
  const det = a * d - b * c;
  const disc = tr * tr - 4 * det;
  return disc < 0 ? { radius: Math.sqrt(det), complex: true } : { radius: (Math.abs(tr) + Math.sqrt(disc)) / 2, complex: false };
}

/**
 * spectralRadius's tolerance: Gelfand's formula with k = 2^12 is exact for a real dominant
 * eigenvalue, but for a complex pair ||J^2k|| / ||J^k|| oscillates and the k-th root
 * leaves an error of order 1/k relative, larger the less normal J is (measured 6e-7 to 1.4e-5 here).
 */
const radiusTolerance = (r: { radius: number; complex: boolean }): number => (r.complex ? 1e-4 * r.radius : 1e-9);

/** ||M||_2 of a 2 x 2 matrix in closed form: sqrt((F^2 + sqrt(F^4 - 4 det^2)) / 2). */
function singular2(m: ArrayLike<number>): number {
  const [a, b, c, d] = Array.from(m) as [number, number, number, number];
  const f2 = a * a + b * b + c * c + d * d;
  const det = a * d - b * c;
  return Math.sqrt((f2 + Math.sqrt(f2 * f2 - 4 * det * det)) / 2);
}

test('Elman tanh cell at zero state, input and bias: the Jacobian is W_hh and its radius the eigenvalue modulus', () => {
  const cell = new RNNCell({ inputSize: 1, hiddenSize: 2, dtype: 'float64' }, new Rng(0));
  // Eigenvalues 0.25 +- 0.8816i: modulus sqrt(det) = sqrt(0.78).
  cell.weightHh.data.set([0.3, -0.9, 0.8, 0.2]);
  (cell.biasIh as Tensor).data.fill(0);
  (cell.biasHh as Tensor).data.fill(0);
  const jac = stepJacobian(cell, new Tensor(new Float64Array(1), [1, 1]), cell.initialState(1));
  Array.from(jac).forEach((v, i) => assert.ok(Math.abs(v - (cell.weightHh.data[i] as number)) < 1e-15));
  // h stays 0 on a zero input, so every step has the same Jacobian.
  const { spectralRadii, singularValues } = jacobianSpectrum(cell, new Tensor(new Float64Array(5), [1, 5, 1]));
  assert.equal(spectralRadii.length, 5);
  const expected = radius2(cell.weightHh.data);
  assert.ok(expected.complex && Math.abs(expected.radius - Math.sqrt(0.78)) < 1e-15);
  for (const r of spectralRadii) assert.ok(Math.abs(r - expected.radius) < radiusTolerance(expected), `radius ${r}`);
  for (const s of singularValues) assert.ok(Math.abs(s - singular2(cell.weightHh.data)) < 1e-9, `singular value ${s}`);
});

test('jacobianSpectrum along an Elman trajectory: radius of diag(1 - h(t)^2) W_hh, computed by hand', () => {
  // Complex eigenvalues, then real ones of opposite signs.
  const kinds = new Set<boolean>();
  for (const w of [[0.3, -0.9, 0.8, 0.2], [1.2, 0.5, 0.1, -0.4]]) {
    const cell = new RNNCell({ inputSize: 1, hiddenSize: 2, dtype: 'float64' }, new Rng(0));
    const [u, b] = [[0.7, -0.5], [0.1, 0.2]];
    cell.weightIh.data.set(u);
    cell.weightHh.data.set(w);
    (cell.biasIh as Tensor).data.set(b);
    (cell.biasHh as Tensor).data.fill(0);
    const xs = [0.9, -0.3, 0.5, 1.4, -1.1, 0.2];
    const { spectralRadii, singularValues } = jacobianSpectrum(cell, new Tensor(Float64Array.from(xs), [1, xs.length, 1]));
    let h = [0, 0];
    xs.forEach((x, t) => {
      h = [0, 1].map((i) => Math.tanh(u[i]! * x + b[i]! + w[2 * i]! * h[0]! + w[2 * i + 1]! * h[1]!));
      const j = [0, 1, 2, 3].map((k) => (1 - h[k >> 1]! ** 2) * w[k]!);
      const expected = radius2(j);
      assert.ok(Math.abs(spectralRadii[t]! - expected.radius) < radiusTolerance(expected), `t=${t}: ${spectralRadii[t]} vs ${expected.radius}`);
      kinds.add(expected.complex);
      assert.ok(Math.abs(singularValues[t]! - singular2(j)) < 1e-9, `t=${t}: ${singularValues[t]} vs ${singular2(j)}`);
    });
  }
  assert.equal(kinds.size, 2, 'both real and complex dominant eigenvalues were exercised');
});

test('stepJacobian of the whole state (null): an LSTM\'s d[h; c](t)/d[h; c](t-1) matches finite differences', () => {
  const cell = createCell('lstm', { inputSize: 2, hiddenSize: 3, dtype: 'float64' }, new Rng(6));
  const x = randn([1, 2], new Rng(7), { dtype: 'float64' });
  const state = { h: randn([1, 3], new Rng(8), { dtype: 'float64' }), c: randn([1, 3], new Rng(9), { dtype: 'float64' }) };
  const jac = stepJacobian(cell, x, state, null);
  assert.equal(jac.length, 36);
  const flat = (s: { h: Tensor; c: Tensor }): number[] => [...s.h.data, ...s.c.data];
  const eps = 1e-6;
  for (let j = 0; j < 6; j++) {
    const shifted = (d: number): number[] => {
      const v = flat(state);
      v[j] = v[j]! + d;
      const s = { h: new Tensor(Float64Array.from(v.slice(0, 3)), [1, 3]), c: new Tensor(Float64Array.from(v.slice(3)), [1, 3]) };
      return flat(noGrad(() => cell.step(x, s).state) as { h: Tensor; c: Tensor });
    };
    const [plus, minus] = [shifted(eps), shifted(-eps)];
    for (let i = 0; i < 6; i++) assert.ok(Math.abs(jac[i * 6 + j]! - (plus[i]! - minus[i]!) / (2 * eps)) < 1e-8);
  }
  // The h block alone is what stateKey 'h' gives (c held fixed).
  const hOnly = stepJacobian(cell, x, state);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.equal(hOnly[i * 3 + j], jac[i * 6 + j]);
  // A pass-through state (a skip cell's past) has identity rows.
  const skip = createCell('skip', { inputSize: 2, hiddenSize: 2, delay: 2, dtype: 'float64' }, new Rng(1));
  const sj = stepJacobian(skip, x, skip.initialState(1), null);
  assert.deepEqual(Array.from(sj.subarray(8, 16)), [1, 0, 0, 0, 0, 1, 0, 0]);
});
