import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { RNNCell } from '../cells/rnn-cell.js';
import { Linear } from '../nn/index.js';
import { crossEntropy } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, randn } from '../tensor/index.js';
import { explicitBptt, type ElmanSoftmaxParameters } from './explicit-bptt.js';
import { scan } from './scan.js';

const f64 = { dtype: 'float64' } as const;
const [I, H, O, B, T] = [3, 4, 5, 2, 6];

function setup(seed: number): { cell: RNNCell; head: Linear; xs: Tensor; targets: number[][]; params: ElmanSoftmaxParameters } {
  const rng = new Rng(seed);
  const cell = new RNNCell({ inputSize: I, hiddenSize: H, dtype: 'float64' }, rng);
  const head = new Linear({ inFeatures: H, outFeatures: O, dtype: 'float64', rng });
  const xs = randn([B, T, I], rng, f64);
  const targets = Array.from({ length: B }, () => Array.from({ length: T }, () => rng.int(O)));
  // The book's single bias b is PyTorch's b_ih + b_hh.
  const b = new Tensor(Float64Array.from(cell.biasIh?.data ?? [], (v, i) => v + (cell.biasHh?.data[i] ?? 0)), [H]);
  const params = { U: cell.weightIh, W: cell.weightHh, V: head.weight, b, c: head.bias as Tensor };
  return { cell, head, xs, targets, params };
}

function assertClose(actual: Tensor, expected: Tensor, tol: number, what: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${what}: shape`);
  actual.data.forEach((v, i) => assert.ok(Math.abs(v - (expected.data[i] as number)) <= tol, `${what}[${i}]: ${v} vs ${expected.data[i]}`));
}

test('explicit BPTT equals the tape: RNNCell + Linear + crossEntropy summed over time', () => {
  const { cell, head, xs, targets, params } = setup(1);
  const h0 = randn([B, H], new Rng(2), f64);
  const explicit = explicitBptt(params, xs, targets, h0);

  const { outputs } = scan(cell, xs, { initialState: { h: h0 } });
  const loss = crossEntropy(head.forward(outputs), new Tensor(Float64Array.from(targets.flat()), [B, T]), { reduction: 'sum' });
  backward(loss);
  assert.ok(Math.abs(loss.item() - explicit.loss) < 1e-12, `loss ${loss.item()} vs ${explicit.loss}`);
  assertClose(explicit.hidden, outputs, 1e-14, 'h(t)');
  const g = explicit.gradients;
  assertClose(g.U, cell.weightIh.grad as Tensor, 1e-12, 'dL/dU');
  assertClose(g.W, cell.weightHh.grad as Tensor, 1e-12, 'dL/dW');
  assertClose(g.b, cell.biasIh?.grad as Tensor, 1e-12, 'dL/db (b_ih)');
  assertClose(g.b, cell.biasHh?.grad as Tensor, 1e-12, 'dL/db (b_hh)');
  assertClose(g.V, head.weight.grad as Tensor, 1e-12, 'dL/dV');
  assertClose(g.c, head.bias?.grad as Tensor, 1e-12, 'dL/dc');
});

test('explicit BPTT equals central finite differences of its own loss', () => {
  const { xs, targets, params } = setup(3);
  const { gradients } = explicitBptt(params, xs, targets);
  const eps = 1e-6;
  for (const name of ['U', 'W', 'V', 'b', 'c'] as const) {
    const p = params[name];
    const g = gradients[name];
    for (let i = 0; i < p.size; i++) {
      const original = p.data[i] as number;
      p.data[i] = original + eps;
      const plus = explicitBptt(params, xs, targets).loss;
      p.data[i] = original - eps;
      const minus = explicitBptt(params, xs, targets).loss;
      p.data[i] = original;
      const numeric = (plus - minus) / (2 * eps);
      const analytic = g.data[i] as number;
      assert.ok(Math.abs(numeric - analytic) / Math.max(1, Math.abs(numeric)) < 1e-7, `dL/d${name}[${i}]: ${analytic} vs ${numeric}`);
    }
  }
});

test('softmax outputs are distributions; dL/dh(t) at the last step is V^T (yhat - onehot)', () => {
  const { xs, targets, params } = setup(4);
  const r = explicitBptt(params, xs, targets);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let k = 0; k < O; k++) s += r.probabilities.get(b, t, k);
      assert.ok(Math.abs(s - 1) < 1e-14);
    }
  }
  for (let j = 0; j < H; j++) {
    let g = 0;
    const y = (targets[0] as number[])[T - 1] as number;
    for (let k = 0; k < O; k++) g += params.V.get(k, j) * (r.probabilities.get(0, T - 1, k) - (k === y ? 1 : 0));
    assert.ok(Math.abs(r.hiddenGradients.get(0, T - 1, j) - g) < 1e-15);
  }
});

test('explicitBptt rejects inconsistent shapes and targets', () => {
  const { xs, targets, params } = setup(5);
  assert.throws(() => explicitBptt({ ...params, W: randn([H, H + 1], new Rng(0), f64) }, xs, targets), /W must be \[4, 4\]/);
  assert.throws(() => explicitBptt(params, randn([B, T, I + 1], new Rng(0), f64), targets), ArgumentError);
  assert.throws(() => explicitBptt(params, xs, [[0]]), /targets must be 2 rows of 6/);
  const bad = targets.map((row) => [...row]);
  (bad[1] as number[])[2] = O;
  assert.throws(() => explicitBptt(params, xs, bad), /targets\[1\]\[2\] = 5/);
  assert.throws(() => explicitBptt(params, xs, targets, randn([B, H + 1], new Rng(0), f64)), /h0 must be/);
});
