// The LSTM's options beyond PyTorch's nn.LSTM: the forget-gate bias and peephole
// connections (alone and with a projection). The peephole fixtures were written by
// scripts/golden_cells.py (gated_fixtures) from Gers & Schmidhuber's equations written
// out with torch ops in float64, gradients by torch.autograd; the script first checks the
// same code without peepholes against nn.LSTM(proj_size=2). The plain and projected LSTM
// are checked against nn.LSTM itself in src/sequence/torch-golden.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../autograd/index.js';
import { Rng, Tensor, zeros } from '../tensor/index.js';
import { assertMatchesFixture, loadCellFixture, replayCellFixture, type CellFixture, type FixtureTensor } from '../test-support/cell-fixtures.js';
import { LSTMCell } from './lstm-cell.js';

const H = 5;
const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Gate g's slice (PyTorch order i, f, g, o) of a [4H] bias. */
const gate = (bias: Tensor, g: number): number[] => Array.from(bias.data.subarray(g * H, (g + 1) * H));

test('forgetBias sets the forget-gate slice (rows H..2H) of the biases: b_ih to forgetBias, b_hh to 0', () => {
  for (const [forgetBias, expected] of [[undefined, 1], [0, 0], [2.5, 2.5], [-1, -1]] as const) {
    const cell = new LSTMCell({ inputSize: 3, hiddenSize: H, dtype: 'float64', ...(forgetBias === undefined ? {} : { forgetBias }) }, new Rng(4));
    const bIh = cell.biasIh as Tensor;
    const bHh = cell.biasHh as Tensor;
    assert.deepEqual(gate(bIh, 1), new Array<number>(H).fill(expected), `forgetBias ${String(forgetBias)}: b_ih forget slice`);
    assert.deepEqual(gate(bHh, 1), new Array<number>(H).fill(0), 'b_hh forget slice');
    // The other gates keep PyTorch's U(-1/sqrt(H), 1/sqrt(H)) draw.
    for (const g of [0, 2, 3]) {
      for (const v of [...gate(bIh, g), ...gate(bHh, g)]) assert.ok(Math.abs(v) <= 1 / Math.sqrt(H) && v !== expected);
    }
  }
  // Without biases there is nothing to set, and the option is not an error.
  const none = new LSTMCell({ inputSize: 3, hiddenSize: H, bias: false, forgetBias: 3 }, new Rng(4));
  assert.equal(none.biasIh, null);
  assert.equal(none.biasHh, null);
});

test('forgetBias acts as the forget gate: with every other weight zero, c(t) = sigma(forgetBias)^t c(0)', () => {
  const steps = 10;
  const finalC: number[] = [];
  for (const forgetBias of [1, 0]) {
    const cell = new LSTMCell({ inputSize: 2, hiddenSize: H, forgetBias, dtype: 'float64' }, new Rng(7));
    // Zero everything but the forget slice of b_ih: then i * g = sigma(0) tanh(0) = 0 and
    // only the forget gate's bias decides what is kept of c.
    for (const p of [cell.weightIh, cell.weightHh, cell.biasHh as Tensor]) p.data.fill(0);
    const bIh = cell.biasIh as Tensor;
    for (let j = 0; j < 4 * H; j++) if (j < H || j >= 2 * H) bIh.data[j] = 0;
    let state = { h: zeros([1, H], { dtype: 'float64' }), c: new Tensor(new Float64Array(H).fill(1), [1, H]) };
    const x = zeros([1, 2], { dtype: 'float64' });
    for (let t = 0; t < steps; t++) state = noGrad(() => cell.step(x, state).state);
    const expected = sigmoid(forgetBias) ** steps;
    for (const v of state.c.data) assert.ok(Math.abs(v - expected) < 1e-14, `forgetBias ${forgetBias}: c = ${v}, expected ${expected}`);
    // h = sigma(0) tanh(c): the output gate sits at one half.
    for (const v of state.h.data) assert.ok(Math.abs(v - 0.5 * Math.tanh(expected)) < 1e-14);
    finalC.push(expected);
  }
  // The default (1) remembers about 40 times more after ten steps than a zero bias.
  assert.ok((finalC[0] as number) > 40 * (finalC[1] as number));
});

test('peephole and projection together: output [B, P], cell state [B, H], fused kernel declined', () => {
  const cell = new LSTMCell({ inputSize: 3, hiddenSize: 4, peephole: true, projSize: 2 }, new Rng(1));
  const s = cell.initialState(2);
  assert.deepEqual([...s.h.shape], [2, 2]);
  assert.deepEqual([...s.c.shape], [2, 4]);
  const xs = zeros([2, 3, 3]);
  assert.equal(cell.scanFused(xs, s, {}), null);
  const r = cell.step(zeros([2, 3]), s);
  assert.deepEqual([...r.output.shape], [2, 2]);
  assert.deepEqual([...r.state.c.shape], [2, 4]);
});

for (const name of ['lstm-peephole', 'lstm-peephole-proj']) {
  const fx = loadCellFixture(name);
  const options = { peephole: true, ...(typeof fx.options['projSize'] === 'number' ? { projSize: fx.options['projSize'] } : {}) };

  test(`${name}: the fixture records its provenance and options`, () => {
    assert.equal(fx.generator, 'scripts/golden_cells.py');
    assert.match(fx.torch, /^\d+\.\d+/);
    assert.deepEqual(fx.options, options);
  });

  for (const dtype of ['float64', 'float32'] as const) {
    test(`${name}: matches the torch reference: outputs, states, every gradient (${dtype})`, (t) => {
      const cell = new LSTMCell({ inputSize: fx.inputSize, hiddenSize: fx.hiddenSize, ...options, dtype }, new Rng(0));
      const diffs = replayCellFixture(cell, fx, dtype);
      assertMatchesFixture(diffs, fx, dtype);
      t.diagnostic(`max abs diff ${Math.max(...diffs.values()).toExponential(2)}`);
    });
  }

  test(`${name}: the fixture depends on the peepholes: the same weights without them miss it`, () => {
    const drop = (d: Readonly<Record<string, FixtureTensor>>): Record<string, FixtureTensor> =>
      Object.fromEntries(Object.entries(d).filter(([k]) => !k.startsWith('weightC')));
    const plain: CellFixture = { ...fx, params: drop(fx.params), grad: { ...fx.grad, params: drop(fx.grad.params) } };
    const { peephole: _off, ...rest } = options;
    const cell = new LSTMCell({ inputSize: fx.inputSize, hiddenSize: fx.hiddenSize, ...rest, dtype: 'float64' }, new Rng(0));
    const diffs = replayCellFixture(cell, plain, 'float64');
    assert.ok((diffs.get('output') as number) > 1e-3, `output diff ${diffs.get('output')}`);
  });
}
