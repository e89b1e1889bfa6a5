import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { slice, sum } from '../ops/index.js';
import { scan } from '../sequence/scan.js';
import { ArgumentError, Rng, Tensor, randn } from '../tensor/index.js';
import { RNNCell } from './rnn-cell.js';
import { SkipCell } from './skip-cell.js';

/** scripts/golden_cells.py's pattern: 0.5 sin(0.37 k + 1.3 p + 0.1) over the flat index k. */
function pattern(shape: readonly number[], p: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: n }, (_, k) => 0.5 * Math.sin(0.37 * k + 1.3 * p + 0.1)), shape);
}

test('skip cell (d = 3) matches the NumPy reference (scripts/golden_cells.py, skip)', () => {
  const cell = new SkipCell({ inputSize: 2, hiddenSize: 3, delay: 3, dtype: 'float64' }, new Rng(0));
  cell.parameters().forEach((t, p) => t.data.set(pattern(t.shape, p).data));
  const { outputs, finalState } = scan(cell, pattern([2, 5, 2], 100));
  // skip (d=3, T=5) outputs [B,T,H] printed by scripts/golden_cells.py
  const expected = [
    -0.7311858430467064, -0.8244961713793609, -0.7975871143617409, -0.963545727327744, -0.876788454027465, -0.14689321424316293,
    -0.9435534965446204, -0.8380692930233772, -0.08930081029815638, -0.934223043401305, 0.060542127737969575, 0.8135269454385186,
    -0.745628883919174, 0.07792575919486823, 0.4834906372346951, -0.5919024564880102, -0.37484175678977544, -0.19310155364392428,
    -0.8663126296938194, -0.6820239035007853, -0.08098281781350097, -0.929513635905971, -0.850583028230486, -0.2896665597887387,
    -0.9662255679599279, -0.7864816253035932, 0.12653580298938727, -0.9584203097945804, -0.7370413975768859, 0.11480483294999001,
  ];
  outputs.data.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-14, `output ${i}: ${v}`));
  // The window holds h(T-1), h(T-2), h(T-3): the last three outputs, newest first.
  assert.equal(finalState.past.length, 2);
  for (const [k, t] of [finalState.h, ...finalState.past].entries()) {
    for (let b = 0; b < 2; b++) for (let j = 0; j < 3; j++) assert.equal(t.get(b, j), outputs.get(b, 4 - k, j));
  }
});

test('delay 1 degenerates to the Elman RNN with W = W_1 + W_d', () => {
  const skip = new SkipCell({ inputSize: 3, hiddenSize: 4, delay: 1, dtype: 'float64' }, new Rng(1));
  assert.deepEqual(skip.initialState(2).past, []);
  const rnn = new RNNCell({ inputSize: 3, hiddenSize: 4, dtype: 'float64' }, new Rng(2));
  rnn.weightIh.data.set(skip.weightIh.data);
  rnn.weightHh.data.set(skip.weightHh.data.map((w, i) => w + (skip.weightSkip.data[i] as number)));
  (rnn.biasIh as Tensor).data.set((skip.biasIh as Tensor).data);
  (rnn.biasHh as Tensor).data.set((skip.biasHh as Tensor).data);
  const xs = randn([2, 6, 3], new Rng(3), { dtype: 'float64' });
  const a = scan(skip, xs).outputs.data;
  const b = scan(rnn, xs).outputs.data;
  a.forEach((v, i) => assert.ok(Math.abs(v - (b[i] as number)) < 1e-14));
});

test('the skip shortens the gradient path: ||dh(T)/dx(0)|| for T = 50 is far larger with d = 10 than d = 1, same weights', () => {
  const steps = 50;
  const gradNormAtFirstInput = (delay: number): number => {
    const cell = new SkipCell({ inputSize: 4, hiddenSize: 16, delay, dtype: 'float64' }, new Rng(4));
    const xs = randn([1, steps, 4], new Rng(5), { dtype: 'float64', requiresGrad: true });
    const { outputs } = scan(cell, xs);
    backward(sum(slice(outputs, [0, steps - 1, 0], [1, 1, 16])));
    const g = (xs.grad as Tensor).data.subarray(0, 4);
    return Math.hypot(...g);
  };
  // Same parameters in both runs (same seed), only the delay differs. With d = 1 every path
  // from x(0) to h(49) multiplies 49 Jacobians; with d = 10 the shortest takes 4 skips and
  // 9 single steps, 13 products. Measured: 3.2e-9 against 3.9e-3.
  const plain = gradNormAtFirstInput(1);
  const skipped = gradNormAtFirstInput(10);
  assert.ok(skipped > 1e3 * plain, `||dh(49)/dx(0)||: d = 1 -> ${plain.toExponential(2)}, d = 10 -> ${skipped.toExponential(2)}`);
});

test('skip config and state errors', () => {
  assert.throws(() => new SkipCell({ inputSize: 2, hiddenSize: 3, delay: 0 }, new Rng(0)), ArgumentError);
  const cell = new SkipCell({ inputSize: 2, hiddenSize: 3, delay: 3 }, new Rng(0));
  const bad = { h: cell.initialState(1).h, past: [] };
  assert.throws(() => cell.step(randn([1, 2], new Rng(0)), bad), /state.past must hold delay - 1 = 2 tensors/);
});
