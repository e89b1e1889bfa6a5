import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, gradcheck, noGrad } from '../autograd/index.js';
import type { Cell, CellState } from '../cells/cell.js';
import { GRUCell } from '../cells/gru-cell.js';
import { LSTMCell } from '../cells/lstm-cell.js';
import { RNNCell } from '../cells/rnn-cell.js';
import { stateTensors } from '../cells/state.js';
import { add, concat, mul, sum } from '../ops/index.js';
import { Rng, Tensor, randn, type DType } from '../tensor/index.js';
import { scan, type ScanOptions } from './scan.js';

// The fused sequence ops (cell.scanFused) against their composed twins (scan with
// fused: false, one cell.step per time step): outputs, final states, and gradients with
// respect to the inputs, the initial state and every parameter.

const INPUT = 5;
const HIDDEN = 6;

type Factory = (dtype: DType) => Cell;

const FUSED_CELLS: { label: string; make: Factory }[] = [
  { label: 'rnn tanh', make: (dtype) => new RNNCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype }, new Rng(1)) },
  { label: 'rnn relu', make: (dtype) => new RNNCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype, nonlinearity: 'relu' }, new Rng(2)) },
  { label: 'rnn no bias', make: (dtype) => new RNNCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype, bias: false }, new Rng(3)) },
  { label: 'lstm', make: (dtype) => new LSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype }, new Rng(4)) },
  { label: 'lstm no bias', make: (dtype) => new LSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype, bias: false }, new Rng(5)) },
  { label: 'gru reset after', make: (dtype) => new GRUCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype }, new Rng(6)) },
  { label: 'gru reset before', make: (dtype) => new GRUCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype, resetAfter: false }, new Rng(7)) },
  { label: 'gru reset after, no bias', make: (dtype) => new GRUCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype, bias: false }, new Rng(8)) },
  {
    label: 'gru reset before, no bias',
    make: (dtype) => new GRUCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype, resetAfter: false, bias: false }, new Rng(9)),
  },
];

interface Scenario {
  readonly label: string;
  readonly batch: number;
  readonly steps: number;
  readonly lengths?: readonly number[];
  readonly reverse?: boolean;
  /** Start from a random initial state that takes gradients (else the cell's zeros). */
  readonly initial: boolean;
}

const SCENARIOS: Scenario[] = [
  { label: 'batch 1', batch: 1, steps: 4, initial: false },
  { label: 'batch 4, initial state', batch: 4, steps: 7, initial: true },
  { label: 'lengths', batch: 3, steps: 6, lengths: [6, 2, 4], initial: true },
  { label: 'reverse', batch: 3, steps: 5, reverse: true, initial: true },
  { label: 'lengths + reverse', batch: 4, steps: 6, lengths: [3, 6, 1, 5], reverse: true, initial: false },
  { label: 'one step', batch: 2, steps: 1, initial: true },
];

interface Run {
  readonly outputs: Float64Array;
  readonly finalState: Float64Array;
  /** dL/dxs, dL/d(initial state tensors), dL/d(each parameter), flattened in that order. */
  readonly grads: Float64Array[];
}

/** Runs scan, back-propagates a fixed random projection of outputs and final state, collects everything. */
function run(cell: Cell, xs: Tensor, initial: CellState | undefined, scenario: Scenario, fused: boolean): Run {
  const params = cell.parameters();
  const initTensors = initial === undefined ? [] : stateTensors(initial);
  for (const t of [xs, ...initTensors, ...params]) t.grad = null;
  const options: ScanOptions<CellState> = {
    fused,
    ...(initial === undefined ? {} : { initialState: initial }),
    ...(scenario.lengths === undefined ? {} : { lengths: scenario.lengths }),
    ...(scenario.reverse === undefined ? {} : { reverse: scenario.reverse }),
  };
  const { outputs, finalState } = scan(cell, xs, options);
  assert.deepEqual(outputs.shape, [xs.shape[0], xs.shape[1], cell.outputSize]);
  // The fused path shows up in the graph as one sequence op behind the outputs' slice.
  const producer = outputs.gradFn?.inputs[0]?.gradFn?.op;
  assert.equal(producer?.endsWith('Sequence'), fused, `outputs produced by ${producer}`);
  const finals = concat(stateTensors(finalState), 1);
  const rng = new Rng(99);
  const loss = add(
    sum(mul(outputs, randn(outputs.shape, rng, { dtype: cell.dtype }))),
    sum(mul(finals, randn(finals.shape, rng, { dtype: cell.dtype }))),
  );
  backward(loss);
  const grads = [xs, ...initTensors, ...params].map((t) => Float64Array.from(t.grad?.data ?? new Float64Array(t.size)));
  return { outputs: Float64Array.from(outputs.data), finalState: Float64Array.from(finals.data), grads };
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

for (const dtype of ['float64', 'float32'] as const) {
  const tolerance = dtype === 'float64' ? 1e-12 : 1e-5;
  for (const { label, make } of FUSED_CELLS) {
    for (const scenario of SCENARIOS) {
      test(`${dtype} ${label}, ${scenario.label}: fused equals composed (values and gradients)`, () => {
        const cell = make(dtype);
        const rng = new Rng(scenario.batch * 31 + scenario.steps);
        const xs = randn([scenario.batch, scenario.steps, INPUT], rng, { dtype, requiresGrad: true });
        const makeInitial = (): CellState | undefined => {
          if (!scenario.initial) return undefined;
          const r = new Rng(7);
          const s = cell.initialState(scenario.batch);
          const out: Record<string, Tensor> = {};
          for (const [k, v] of Object.entries(s)) out[k] = randn((v as Tensor).shape, r, { dtype, requiresGrad: true });
          return out;
        };
        const a = run(cell, xs, makeInitial(), scenario, true);
        const b = run(cell, xs, makeInitial(), scenario, false);
        assert.ok(maxAbsDiff(a.outputs, b.outputs) < tolerance, `outputs differ by ${maxAbsDiff(a.outputs, b.outputs)}`);
        assert.ok(maxAbsDiff(a.finalState, b.finalState) < tolerance, `final states differ by ${maxAbsDiff(a.finalState, b.finalState)}`);
        assert.equal(a.grads.length, b.grads.length);
        a.grads.forEach((g, i) => {
          const d = maxAbsDiff(g, b.grads[i] as Float64Array);
          assert.ok(d < tolerance, `gradient ${i} (0 = xs, then initial state, then parameters) differs by ${d}`);
        });
      });
    }
  }
}

test('padded steps of the fused path output exactly 0 and carry the state', () => {
  const cell = new LSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN }, new Rng(3));
  const xs = randn([2, 5, INPUT], new Rng(4));
  const { outputs, finalState } = scan(cell, xs, { lengths: [5, 2] });
  for (let t = 2; t < 5; t++) for (let j = 0; j < HIDDEN; j++) assert.equal(outputs.get(1, t, j), 0);
  // The final h of the short example is its output at its last valid step.
  for (let j = 0; j < HIDDEN; j++) assert.equal(finalState.h.get(1, j), outputs.get(1, 1, j));
});

test('configurations without a fused kernel fall back to the composed path', () => {
  for (const config of [{ peephole: true }, { projSize: 3 }]) {
    const cell = new LSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype: 'float64', ...config }, new Rng(1));
    const xs = randn([2, 3, INPUT], new Rng(2), { dtype: 'float64' });
    assert.equal(cell.scanFused(xs, cell.initialState(2), {}), null);
    const a = scan(cell, xs, { lengths: [3, 2] });
    const b = scan(cell, xs, { lengths: [3, 2], fused: false });
    assert.deepEqual(Array.from(a.outputs.data), Array.from(b.outputs.data));
  }
});

test('a subclass that overrides step is not run by the fused kernel of its parent', () => {
  class DoubledRNN extends RNNCell {
    override step(x: Tensor, state: { readonly h: Tensor }): { output: Tensor; state: { readonly h: Tensor } } {
      const r = super.step(x, state);
      const h = add(r.output, r.output);
      return { output: h, state: { h } };
    }
  }
  const cell = new DoubledRNN({ inputSize: INPUT, hiddenSize: HIDDEN, dtype: 'float64' }, new Rng(1));
  const xs = randn([2, 3, INPUT], new Rng(2), { dtype: 'float64' });
  assert.equal(cell.scanFused(xs, cell.initialState(2), {}), null);
  assert.deepEqual(Array.from(scan(cell, xs).outputs.data), Array.from(scan(cell, xs, { fused: false }).outputs.data));
});

test('inference under noGrad reuses pooled buffers without changing results, and training after it still differentiates', () => {
  const cell = new GRUCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype: 'float64' }, new Rng(5));
  const xs1 = randn([3, 4, INPUT], new Rng(6), { dtype: 'float64' });
  const xs2 = randn([3, 4, INPUT], new Rng(7), { dtype: 'float64' });
  const first = noGrad(() => Array.from(scan(cell, xs1).outputs.data));
  noGrad(() => scan(cell, xs2)); // takes the buffer the first call gave back
  const again = noGrad(() => Array.from(scan(cell, xs1).outputs.data));
  assert.deepEqual(again, first);
  const scenario: Scenario = { label: '', batch: 3, steps: 4, initial: false };
  const x = xs1.clone();
  x.requiresGrad = true;
  const a = run(cell, x, undefined, scenario, true);
  const b = run(cell, x, undefined, scenario, false);
  a.grads.forEach((g, i) => assert.ok(maxAbsDiff(g, b.grads[i] as Float64Array) < 1e-12));
});

test('two recorded fused calls of one shape keep separate activations (backward through both)', () => {
  const cell = new LSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype: 'float64' }, new Rng(8));
  const xa = randn([2, 3, INPUT], new Rng(9), { dtype: 'float64', requiresGrad: true });
  const xb = randn([2, 3, INPUT], new Rng(10), { dtype: 'float64', requiresGrad: true });
  const total = (fused: boolean): Float64Array[] => {
    for (const t of [xa, xb, ...cell.parameters()]) t.grad = null;
    const ra = scan(cell, xa, { fused });
    const rb = scan(cell, xb, { fused, initialState: ra.finalState });
    backward(sum(mul(rb.outputs, rb.outputs)));
    return [xa, xb, ...cell.parameters()].map((t) => Float64Array.from(t.grad?.data ?? []));
  };
  const fused = total(true);
  const composed = total(false);
  fused.forEach((g, i) => assert.ok(maxAbsDiff(g, composed[i] as Float64Array) < 1e-12, `gradient ${i}`));
});

// The composed path's own gradients, for the configurations whose scan now defaults to the
// fused op (cells.test.ts gradchecks scan, which takes the fused path for these cells).
for (const { label, make } of FUSED_CELLS) {
  test(`gradcheck the composed path (fused: false) of ${label}`, () => {
    const cell = make('float64');
    const xs = randn([2, 3, INPUT], new Rng(11), { dtype: 'float64', requiresGrad: true });
    const fn = (x: Tensor): Tensor => {
      const { outputs, finalState } = scan(cell, x, { lengths: [3, 2], fused: false });
      return concat([sum(outputs, 1), ...stateTensors(finalState)], 1);
    };
    const result = gradcheck((x) => fn(x), [xs, ...cell.parameters()]);
    assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError}`);
  });
}

test('a synchronous training loop does not keep every step\'s activations alive', () => {
  // Regression: recorded outputs were tracked through WeakRefs, which keep their targets alive
  // until the current job ends, i.e. for the whole of a loop with no await: 1.3 MB a step
  // here (B 50, T 100, H 64, float32), growing without bound. Pooled tapes keep it flat.
  const cell = new RNNCell({ inputSize: 2, hiddenSize: 64 }, new Rng(12));
  const step = (): void => {
    const x = randn([50, 100, 2], new Rng(13));
    backward(sum(scan(cell, x).outputs));
    for (const p of cell.parameters()) p.grad = null;
  };
  for (let i = 0; i < 20; i++) step();
  const before = process.memoryUsage().arrayBuffers;
  for (let i = 0; i < 200; i++) step();
  const grown = (process.memoryUsage().arrayBuffers - before) / 2 ** 20;
  // Unbounded, 200 steps would add about 250 MiB; bounded, a few tracked graphs at most.
  assert.ok(grown < 64, `array buffers grew by ${grown.toFixed(0)} MiB over 200 steps`);
});
