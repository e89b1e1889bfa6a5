import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradcheck } from '../autograd/index.js';
import { scan } from '../sequence/scan.js';
import { runWithFeedback, teacherForcing } from '../sequence/teacher-forcing.js';
import { ArgumentError, Rng, Tensor, randn } from '../tensor/index.js';
import { ContextConditionedCell } from './context-cell.js';
import { LSTMCell } from './lstm-cell.js';
import { OutputFeedbackCell } from './output-feedback-cell.js';
import { createCell } from './registry.js';
import { RNNCell } from './rnn-cell.js';

const f64 = { dtype: 'float64' } as const;

/** scripts/golden_cells.py's pattern: 0.5 sin(0.37 k + 1.3 p + 0.1) over the flat index k. */
function pattern(shape: readonly number[], p: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: n }, (_, k) => 0.5 * Math.sin(0.37 * k + 1.3 * p + 0.1)), shape);
}

const MODES = [
  { name: 'initial state only', initialFromContext: true, contextAtEveryStep: false },
  { name: 'extra input at every step only', initialFromContext: false, contextAtEveryStep: true },
  { name: 'both', initialFromContext: true, contextAtEveryStep: true },
] as const;

function rnnWithContext(mode: (typeof MODES)[number], seed: number): ContextConditionedCell {
  const inner = new RNNCell({ inputSize: 2 + (mode.contextAtEveryStep ? 3 : 0), hiddenSize: 4, dtype: 'float64' }, new Rng(seed));
  return new ContextConditionedCell(inner, { contextSize: 3, ...mode }, new Rng(seed + 1));
}

test('context cell (Elman inner, both modes) matches the NumPy reference (scripts/golden_cells.py, context)', () => {
  const cell = createCell('context', { inputSize: 2, hiddenSize: 3, contextSize: 2, dtype: 'float64' }, new Rng(0));
  assert.ok(cell instanceof ContextConditionedCell);
  assert.deepEqual(
    [...cell.namedParameters().keys()],
    ['inner.weightIh', 'inner.weightHh', 'inner.biasIh', 'inner.biasHh', 'initial.h.weight', 'initial.h.bias'],
  );
  cell.parameters().forEach((t, p) => t.data.set(pattern(t.shape, p).data));
  const { outputs } = scan(cell, pattern([2, 3, 2], 100), { initialState: cell.initialStateFor(pattern([2, 2], 200)) });
  // context (rnn inner, both modes) outputs [B,T,H] printed by scripts/golden_cells.py
  const expected = [
    0.21996038198528048, -0.6409001465822455, -0.7968397691638568, -0.5555203653751432, -0.5704515553944315, -0.20312818447833414,
    -0.5608330221686632, -0.5437443583756483, -0.3536610350513175, 0.19824273809781273, -0.16008610143469923, -0.7159254636876636,
    -0.4066131738753248, 0.03266322676515224, -0.23637085185053355, -0.4254799282892663, -0.17601121272927114, -0.365681324254429,
  ];
  outputs.data.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-14, `output ${i}: ${v}`));
});

for (const mode of MODES) {
  test(`context ${mode.name}: every output depends on the context, and gradients reach it (gradcheck)`, () => {
    const cell = rnnWithContext(mode, 2);
    const xs = randn([2, 4, 2], new Rng(3), f64);
    const run = (context: Tensor): Tensor => scan(cell, xs, { initialState: cell.initialStateFor(context) }).outputs;
    const a = run(randn([2, 3], new Rng(4), f64));
    const b = run(randn([2, 3], new Rng(5), f64));
    for (let i = 0; i < 2; i++) {
      for (let t = 0; t < 4; t++) assert.notEqual(a.get(i, t, 0), b.get(i, t, 0), `example ${i}, step ${t}`);
    }
    const context = randn([2, 3], new Rng(6), { ...f64, requiresGrad: true });
    const result = gradcheck((c) => run(c), [context, ...cell.parameters()]);
    assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError}`);
  });
}

test('initial-state mode starts from tanh(W_c x + b_c); every-step mode starts from the inner zero state', () => {
  const context = randn([2, 3], new Rng(7), f64);
  const initialOnly = rnnWithContext(MODES[0], 8);
  const proj = initialOnly.initial['h'];
  assert.ok(proj !== undefined);
  const h0 = initialOnly.initialStateFor(context)['h'] as Tensor;
  for (let b = 0; b < 2; b++) {
    for (let j = 0; j < 4; j++) {
      let a = proj.bias.get(j);
      for (let k = 0; k < 3; k++) a += proj.weight.get(j, k) * context.get(b, k);
      assert.ok(Math.abs(h0.get(b, j) - Math.tanh(a)) < 1e-15);
    }
  }
  const everyStep = rnnWithContext(MODES[1], 8);
  assert.deepEqual(Object.keys(everyStep.initial), []);
  assert.deepEqual(Array.from((everyStep.initialStateFor(context)['h'] as Tensor).data), new Array(8).fill(0));
});

test('every-step mode is the inner cell run on [x(t); x] (hand-built inputs)', () => {
  const cell = rnnWithContext(MODES[1], 9);
  const xs = randn([2, 3, 2], new Rng(10), f64);
  const context = randn([2, 3], new Rng(11), f64);
  const widened = new Tensor(new Float64Array(2 * 3 * 5), [2, 3, 5]);
  for (let b = 0; b < 2; b++) {
    for (let t = 0; t < 3; t++) {
      for (let j = 0; j < 2; j++) widened.set(xs.get(b, t, j), b, t, j);
      for (let j = 0; j < 3; j++) widened.set(context.get(b, j), b, t, 2 + j);
    }
  }
  const ours = scan(cell, xs, { initialState: cell.initialStateFor(context) }).outputs;
  assert.deepEqual(Array.from(ours.data), Array.from(scan(cell.inner, widened).outputs.data));
});

test('an LSTM inner cell: the context initialises both h and c', () => {
  const inner = new LSTMCell({ inputSize: 2, hiddenSize: 3, dtype: 'float64' }, new Rng(12));
  const cell = new ContextConditionedCell(inner, { contextSize: 2, contextAtEveryStep: false, initialKeys: ['h', 'c'] }, new Rng(13));
  const s = cell.initialStateFor(randn([1, 2], new Rng(14), f64));
  for (const t of [s.h, s.c]) assert.ok(Array.from(t.data).every((v) => v !== 0));
  assert.deepEqual([...cell.namedParameters().keys()].filter((n) => n.startsWith('initial')), ['initial.h.weight', 'initial.h.bias', 'initial.c.weight', 'initial.c.bias']);
});

test('the conditional RNN of Figure 10.10: context plus fed-back y(t-1), teacher-forced; gradients reach the context', () => {
  const inner = new OutputFeedbackCell({ inputSize: 2 + 2, hiddenSize: 4, outputSize: 2, hiddenRecurrence: true, dtype: 'float64' }, new Rng(15));
  const cell = new ContextConditionedCell(inner, { contextSize: 2 }, new Rng(16));
  assert.equal(cell.feedbackSize, 2);
  const xs = randn([2, 3, 2], new Rng(17), f64);
  const ys = randn([2, 3, 2], new Rng(18), f64);
  const run = (context: Tensor, targets: Tensor): Tensor =>
    runWithFeedback(cell, xs, { targets, feedback: teacherForcing(), initialState: cell.initialStateFor(context) }).outputs;
  const context = randn([2, 2], new Rng(19), { ...f64, requiresGrad: true });
  const base = run(context.detach(), ys);
  // y(0) from the targets reaches o(1): change it and o(1) changes, o(0) does not.
  const ys2 = ys.clone();
  ys2.set(ys.get(0, 0, 0) + 1, 0, 0, 0);
  const changed = run(context.detach(), ys2);
  assert.equal(changed.get(0, 0, 0), base.get(0, 0, 0));
  assert.notEqual(changed.get(0, 1, 0), base.get(0, 1, 0));
  assert.notEqual(run(randn([2, 2], new Rng(20), f64), ys).get(1, 2, 1), base.get(1, 2, 1));
  const result = gradcheck((c) => run(c, ys), [context, ...cell.parameters()]);
  assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError}`);
});

test('context cell errors name the problem', () => {
  const rnn = (inputSize: number): RNNCell => new RNNCell({ inputSize, hiddenSize: 3, dtype: 'float64' }, new Rng(0));
  assert.throws(() => new ContextConditionedCell(rnn(4), { contextSize: 2, initialFromContext: false, contextAtEveryStep: false }, new Rng(0)), /both false/);
  assert.throws(() => new ContextConditionedCell(rnn(2), { contextSize: 2 }, new Rng(0)), /leaves none for x\(t\)/);
  assert.throws(() => new ContextConditionedCell(rnn(4), { contextSize: 2, initialKeys: ['c'] }, new Rng(0)), /no \[batch, n\] tensor 'c' \(it has h\)/);
  const cell = new ContextConditionedCell(rnn(4), { contextSize: 2 }, new Rng(0));
  assert.throws(() => cell.initialStateFor(randn([2, 3], new Rng(0), f64)), ArgumentError);
  assert.throws(() => cell.withFeedback(cell.initialState(1), randn([1, 3], new Rng(0), f64)), /feeds nothing back/);
  assert.equal(cell.feedbackSize, 0);
});
