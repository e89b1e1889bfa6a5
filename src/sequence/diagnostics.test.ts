import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../autograd/index.js';
import { createCell } from '../cells/registry.js';
import { Rng, Tensor, rand, randn } from '../tensor/index.js';
import { gradientNormsThroughTime, largestSingularValue, spectralRadius, stepJacobian } from './diagnostics.js';

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
