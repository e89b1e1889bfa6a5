import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { sum } from '../ops/index.js';
import { scan } from '../sequence/scan.js';
import { ArgumentError, Rng, Tensor, randn } from '../tensor/index.js';
import { LeakyCell } from './leaky-cell.js';
import { RNNCell } from './rnn-cell.js';

/** scripts/golden_cells.py's pattern: 0.5 sin(0.37 k + 1.3 p + 0.1) over the flat index k. */
function pattern(shape: readonly number[], p: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: n }, (_, k) => 0.5 * Math.sin(0.37 * k + 1.3 * p + 0.1)), shape);
}

function loadPattern(params: readonly Tensor[]): void {
  params.forEach((t, p) => t.data.set(pattern(t.shape, p).data));
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs((actual[i] as number) - (expected[i] as number)) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test('leaky cell matches the NumPy reference (scripts/golden_cells.py, leaky)', () => {
  const cell = new LeakyCell({ inputSize: 2, hiddenSize: 3, timeConstants: [1, 2, 5], dtype: 'float64' }, new Rng(0));
  loadPattern(cell.parameters());
  const { outputs } = scan(cell, pattern([2, 3, 2], 100));
  // leaky outputs [B,T,H] printed by scripts/golden_cells.py
  const expected = [
    -0.29263640036853766, -0.34480080014346703, -0.16141257896317032, -0.5678048202374919, -0.5258912584783426,
    -0.25663511486181967, -0.6744791045961842, -0.5723301012443467, -0.2612488917189404, -0.07884621551290523,
    -0.10305208794570267, -0.07574246767536508, -0.14965925234291041, -0.08532982868075112, -0.0803001989354793,
    -0.19751702444750263, -0.10307475142892746, -0.0877347724828987,
  ];
  assertClose(outputs.data, expected, 1e-14, 'outputs');
});

test('tau = 1 is exactly the Elman RNN cell with the same weights', () => {
  const leaky = new LeakyCell({ inputSize: 3, hiddenSize: 5, timeConstants: 1, dtype: 'float64' }, new Rng(1));
  const rnn = new RNNCell({ inputSize: 3, hiddenSize: 5, dtype: 'float64' }, new Rng(1));
  const [a, b] = [leaky.parameters(), rnn.parameters()];
  assert.equal(a.length, b.length);
  a.forEach((p, i) => (b[i] as Tensor).data.set(p.data));
  const xs = randn([2, 7, 3], new Rng(2), { dtype: 'float64' });
  assert.deepEqual(Array.from(scan(leaky, xs).outputs.data), Array.from(scan(rnn, xs).outputs.data));
});

test('a large time constant makes the state change slowly: |h(t) - h(t-1)| <= 2 / tau', () => {
  const xs = randn([4, 30, 3], new Rng(3), { dtype: 'float64' });
  const meanStepChange = (tau: number): number => {
    const cell = new LeakyCell({ inputSize: 3, hiddenSize: 6, timeConstants: tau, dtype: 'float64' }, new Rng(4));
    const { outputs } = scan(cell, xs);
    let total = 0;
    let count = 0;
    for (let b = 0; b < 4; b++) {
      for (let t = 1; t < 30; t++) {
        for (let j = 0; j < 6; j++) {
          const d = Math.abs(outputs.get(b, t, j) - outputs.get(b, t - 1, j));
          // h(t) - h(t-1) = (f - h(t-1)) / tau with |f|, |h| <= 1.
          assert.ok(d <= 2 / tau + 1e-15, `tau ${tau}: step change ${d}`);
          total += d;
          count++;
        }
      }
    }
    return total / count;
  };
  const fast = meanStepChange(1);
  const slow = meanStepChange(50);
  // Measured: the tau = 50 units move about two orders of magnitude less per step.
  assert.ok(slow < fast / 20, `mean |dh| per step: tau 1 -> ${fast}, tau 50 -> ${slow}`);
});

test('per-unit time constants: only the slow units lag', () => {
  const cell = new LeakyCell({ inputSize: 2, hiddenSize: 2, timeConstants: [1, 1000], bias: false, dtype: 'float64' }, new Rng(5));
  const { outputs } = scan(cell, randn([1, 5, 2], new Rng(6), { dtype: 'float64' }));
  // From h(0) = 0 the tau = 1000 unit moves by at most 1/1000 per step.
  for (let t = 0; t < 5; t++) assert.ok(Math.abs(outputs.get(0, t, 1)) <= (t + 1) / 1000);
  assert.ok(Math.abs(outputs.get(0, 4, 0)) > 0.01);
});

test('learned time constants start at the given values, receive gradients, and stay >= 1', () => {
  const cell = new LeakyCell({ inputSize: 2, hiddenSize: 4, timeConstants: [1, 2, 3, 10], learnTimeConstants: true, dtype: 'float64' }, new Rng(7));
  cell.timeConstants().forEach((tau, j) => assert.ok(Math.abs(tau - ([1, 2, 3, 10][j] as number)) < 1e-8, `tau ${tau}`));
  const theta = cell.timeConstantLogit as Tensor;
  assert.ok(cell.parameters().includes(theta));
  backward(sum(scan(cell, randn([2, 4, 2], new Rng(8), { dtype: 'float64' })).outputs));
  assert.ok(theta.grad !== null && Array.from(theta.grad.data).some((g) => g !== 0));
  // Whatever an optimizer does to theta, tau = 1 + exp(-theta) stays at least 1.
  theta.data.set([-30, -1, 0, 60]);
  for (const tau of cell.timeConstants()) assert.ok(tau >= 1, `tau ${tau}`);
});

test('fixed time constants are not parameters', () => {
  const cell = new LeakyCell({ inputSize: 2, hiddenSize: 3, timeConstants: 4 }, new Rng(9));
  assert.deepEqual([...cell.namedParameters().keys()], ['weightIh', 'weightHh', 'biasIh', 'biasHh']);
  assert.deepEqual(cell.timeConstants(), [4, 4, 4]);
});

test('leaky config errors name the field', () => {
  assert.throws(() => new LeakyCell({ inputSize: 2, hiddenSize: 3, timeConstants: 0.5 }, new Rng(0)), ArgumentError);
  assert.throws(() => new LeakyCell({ inputSize: 2, hiddenSize: 3, timeConstants: [1, 2] }, new Rng(0)), /timeConstants has 2 entries for hiddenSize 3/);
  assert.throws(() => new LeakyCell({ inputSize: 2, hiddenSize: 2, timeConstants: [1, Number.NaN] }, new Rng(0)), /timeConstants\[1\]/);
});
