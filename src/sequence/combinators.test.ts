import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, gradcheck } from '../autograd/index.js';
import { GRUCell } from '../cells/gru-cell.js';
import { CELLS, STANDALONE_CELL_KINDS, createCell } from '../cells/registry.js';
import { RNNCell } from '../cells/rnn-cell.js';
import { detachState, stateTensors } from '../cells/state.js';
import { concat, mean, slice, sum } from '../ops/index.js';
import { Rng, Tensor, randn } from '../tensor/index.js';
import { bidirectional, sumMerge } from './bidirectional.js';
import { lastStep, maxOverTime, meanOverTime } from './pooling.js';
import { Recurrent } from './recurrent.js';
import { scan } from './scan.js';
import { StreamingRunner } from './streaming.js';
import { truncatedBptt, type TbpttWindow } from './tbptt.js';

const f64 = { dtype: 'float64' } as const;
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
};

/** xs with its time axis reversed per example, over the first lengths[b] steps only. */
function reverseValid(xs: Tensor, lengths: number[]): Tensor {
  const [b, t, f] = xs.shape as [number, number, number];
  const out = xs.clone();
  for (let i = 0; i < b; i++) {
    const n = lengths[i] as number;
    for (let s = 0; s < n; s++) for (let j = 0; j < f; j++) out.data[(i * t + s) * f + j] = xs.get(i, n - 1 - s, j);
  }
  return out;
}

test('bidirectional = forward scan + scan of the per-example reversed sequence, re-reversed', () => {
  const fw = new GRUCell({ inputSize: 3, hiddenSize: 4, ...f64 }, new Rng(1));
  const bw = new GRUCell({ inputSize: 3, hiddenSize: 4, ...f64 }, new Rng(2));
  const xs = randn([2, 5, 3], new Rng(3), f64);
  const lengths = [5, 3];
  const r = bidirectional(fw, bw, xs, { lengths });
  const f = scan(fw, xs, { lengths });
  const bRev = scan(bw, reverseValid(xs, lengths), { lengths });
  const expected = concat([f.outputs, reverseValid(bRev.outputs, lengths)], -1);
  assert.ok(maxDiff(r.outputs.data, expected.data) < 1e-12);
  const summed = bidirectional(fw, bw, xs, { lengths, merge: sumMerge });
  assert.deepEqual(summed.outputs.shape, [2, 5, 4]);
});

test('Recurrent: 2-layer bidirectional LSTM equals the layers composed by hand; gradcheck with padding', () => {
  const net = new Recurrent({ cell: 'lstm', inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, ...f64 }, new Rng(5));
  assert.equal(net.outputSize, 4);
  const names = [...net.namedParameters().keys()];
  assert.ok(names.includes('cells.1.weightHh') && names.includes('reverseCells.0.biasIh'));
  const xs = randn([2, 4, 3], new Rng(6), { ...f64, requiresGrad: true });
  const lengths = [4, 2];
  const out = net.forward(xs, { lengths });
  const l0 = bidirectional(net.cells[0]!, net.reverseCells[0]!, xs, { lengths });
  const l1 = bidirectional(net.cells[1]!, net.reverseCells[1]!, l0.outputs, { lengths });
  assert.ok(maxDiff(out.outputs.data, l1.outputs.data) < 1e-12);
  const result = gradcheck((x) => sum(net.forward(x, { lengths }).outputs), [xs, ...net.parameters()]);
  assert.ok(result.maxRelError < 1e-6, `gradcheck ${result.maxRelError}`);
});

test('Recurrent: dropout only in training mode; input skip and residual connections', () => {
  const xs = randn([2, 4, 3], new Rng(7));
  const net = new Recurrent({ cell: 'rnn', inputSize: 3, hiddenSize: 5, numLayers: 3, dropout: 0.5 }, new Rng(8));
  const a = net.forward(xs).outputs;
  const b = net.forward(xs).outputs;
  assert.ok(maxDiff(a.data, b.data) > 0, 'training mode: fresh dropout masks');
  net.eval();
  assert.equal(maxDiff(net.forward(xs).outputs.data, net.forward(xs).outputs.data), 0);
  const skip = new Recurrent({ cell: 'gru', inputSize: 3, hiddenSize: 5, numLayers: 2, inputSkip: true }, new Rng(9));
  assert.equal(skip.cells[1]!.inputSize, 8);
  assert.deepEqual(skip.forward(xs).outputs.shape, [2, 4, 5]);
  const res = new Recurrent({ cell: 'rnn', inputSize: 5, hiddenSize: 5, numLayers: 2, residual: true }, new Rng(9));
  const xs5 = randn([1, 3, 5], new Rng(1));
  const h0 = scan(res.cells[0]!, xs5).outputs;
  const h1in = h0.data.map((v, i) => v + (xs5.data[i] as number));
  const manual = scan(res.cells[1]!, new Tensor(Float32Array.from(h1in), [1, 3, 5])).outputs;
  const manualOut = manual.data.map((v, i) => v + (h1in[i] as number));
  assert.ok(maxDiff(res.forward(xs5).outputs.data, manualOut) < 1e-6);
});

test('sequence-to-one pooling respects lengths and passes gradcheck', () => {
  const outputs = randn([2, 4, 3], new Rng(10), { ...f64, requiresGrad: true });
  const lengths = [4, 2];
  const last = lastStep(outputs, lengths);
  assert.deepEqual(Array.from(last.data), [0, 1, 2].map((j) => outputs.get(0, 3, j)).concat([0, 1, 2].map((j) => outputs.get(1, 1, j))));
  const m = meanOverTime(outputs, lengths);
  assert.ok(Math.abs(m.get(1, 0) - (outputs.get(1, 0, 0) + outputs.get(1, 1, 0)) / 2) < 1e-12);
  const mx = maxOverTime(outputs, lengths);
  assert.equal(mx.get(1, 2), Math.max(outputs.get(1, 0, 2), outputs.get(1, 1, 2)));
  for (const pool of [lastStep, meanOverTime, maxOverTime]) {
    const r = gradcheck((o) => pool(o, lengths), [outputs]);
    assert.ok(r.maxRelError < 1e-6, `${pool.name}: ${r.maxRelError}`);
  }
});

for (const kind of STANDALONE_CELL_KINDS) {
  CELLS[kind].testConfigs.forEach((extra, i) => {
    test(`streaming one step at a time equals scan over the whole sequence: ${kind}#${i} ${JSON.stringify(extra)}`, () => {
      const cell = createCell(kind, { ...extra, inputSize: 3, hiddenSize: 4, ...f64 } as never, new Rng(11 + i));
      const xs = randn([2, 6, 3], new Rng(12), f64);
      // scan's default path: the fused kernel where the cell has one, which streaming never uses.
      const whole = scan(cell, xs);
      const stream = new StreamingRunner(cell, 2);
      for (let t = 0; t < 6; t++) {
        const out = stream.step(new Tensor(slice(xs, [0, t, 0], [2, 1, 3]).data, [2, 3]));
        assert.ok(maxDiff(out.data, slice(whole.outputs, [0, t, 0], [2, 1, cell.outputSize]).data) < 1e-12, `step ${t}`);
      }
      const streamed = stateTensors(stream.state);
      const scanned = stateTensors(whole.finalState);
      assert.equal(streamed.length, scanned.length);
      streamed.forEach((t, k) => assert.ok(maxDiff(t.data, (scanned[k] as Tensor).data) < 1e-12, `final state tensor ${k}`));
      // reset() starts a new stream from the initial state.
      stream.reset();
      const first = stream.step(new Tensor(slice(xs, [0, 0, 0], [2, 1, 3]).data, [2, 3]));
      assert.ok(maxDiff(first.data, slice(whole.outputs, [0, 0, 0], [2, 1, cell.outputSize]).data) < 1e-12);
    });
  });
}

test('truncated BPTT: k1 = k2 chunks carry state; k1 < k2 windows reach back k2 steps with the right gradients', () => {
  const cell = new RNNCell({ inputSize: 2, hiddenSize: 3, ...f64 }, new Rng(13));
  const xs = randn([2, 7, 2], new Rng(14), f64);
  const windows: TbpttWindow[] = [];
  const grads: number[][] = [];
  truncatedBptt(cell, xs, {
    k1: 2, k2: 4,
    loss: (out, w) => { windows.push(w); return sum(out); },
    update: () => {
      grads.push(Array.from(cell.weightHh.grad!.data));
      for (const p of cell.parameters()) p.grad = null;
    },
  });
  assert.deepEqual(windows.map((w) => [w.start, w.end, w.lossFrom]), [[0, 2, 0], [0, 4, 2], [2, 6, 4], [3, 7, 6]]);
  // Window [2, 6): state before step 2 detached, loss = outputs of steps 4 and 5.
  const s2 = detachState(scan(cell, slice(xs, [0, 0, 0], [2, 2, 2])).finalState);
  const out = scan(cell, slice(xs, [0, 2, 0], [2, 4, 2]), { initialState: s2 }).outputs;
  backward(sum(slice(out, [0, 2, 0], [2, 2, 3])));
  assert.ok(maxDiff(cell.weightHh.grad!.data, grads[2]!) < 1e-12);
  for (const p of cell.parameters()) p.grad = null;

  // k1 = k2: chunked training equals scanning chunk by chunk with the detached state carried.
  const losses = truncatedBptt(cell, xs, { k1: 3, k2: 3, loss: (o) => mean(o), update: () => undefined }).losses;
  let state = cell.initialState(2);
  const expected: number[] = [];
  for (const [s, n] of [[0, 3], [3, 3], [6, 1]] as const) {
    const r = scan(cell, slice(xs, [0, s, 0], [2, n, 2]), { initialState: state });
    expected.push(mean(r.outputs).item());
    state = detachState(r.finalState);
  }
  assert.ok(maxDiff(losses, expected) < 1e-12);
});
