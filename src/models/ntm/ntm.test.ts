import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, gradcheck } from '../../autograd/index.js';
import { mul, ntmAddressing, ntmWrite, softmax, sum } from '../../ops/index.js';
import { scan } from '../../sequence/index.js';
import { Rng, Tensor, randn, tensor } from '../../tensor/index.js';
import {
  addressComposed, contentWeighting, interpolate, readMemory, sharpen, shiftWeighting, writeComposed,
} from './addressing.js';
import { NTMCell } from './ntm-cell.js';
import { traceNtm } from './trace.js';

const rng = new Rng(11);
const r = (shape: number[]): Tensor => randn(shape, rng, { dtype: 'float64', requiresGrad: true });
const positive = (shape: number[], offset = 0.5): Tensor => {
  const t = r(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = offset + Math.abs(t.data[i] as number);
  return t;
};
const unit = (values: number[][]): Tensor => tensor(values, { dtype: 'float64', requiresGrad: true });
/** A [B, N] distribution (rows positive, summing to 1). */
const distribution = (b: number, n: number): Tensor => {
  const t = positive([b, n], 0.1);
  for (let i = 0; i < b; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += t.data[i * n + j] as number;
    for (let j = 0; j < n; j++) t.data[i * n + j] = (t.data[i * n + j] as number) / s;
  }
  return t;
};
const check = (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void => {
  const result = gradcheck(fn, inputs);
  assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError} at ${JSON.stringify(result.worst)}`);
};

test('gradcheck: content addressing (cosine similarity, key strength, softmax)', () => {
  check((m, k, b) => contentWeighting(m as Tensor, k as Tensor, b as Tensor), [r([2, 5, 3]), r([2, 3]), positive([2, 1])]);
});

test('gradcheck: interpolation gate', () => {
  check((wc, wp, g) => interpolate(wc as Tensor, wp as Tensor, g as Tensor), [distribution(2, 5), distribution(2, 5), unit([[0.3], [0.7]])]);
});

test('gradcheck: circular shift over -1..1 and -2..2', () => {
  check((w, s) => shiftWeighting(w as Tensor, s as Tensor), [distribution(2, 6), distribution(2, 3)]);
  check((w, s) => shiftWeighting(w as Tensor, s as Tensor), [distribution(1, 7), distribution(1, 5)]);
});

test('gradcheck: sharpening by gamma', () => {
  check((w, g) => sharpen(w as Tensor, g as Tensor), [distribution(2, 5), positive([2, 1], 1)]);
});

test('gradcheck: read and write heads (composed)', () => {
  check((m, w) => readMemory(m as Tensor, w as Tensor), [r([2, 4, 3]), distribution(2, 4)]);
  check((m, w, e, a) => writeComposed(m as Tensor, w as Tensor, e as Tensor, a as Tensor), [r([2, 4, 3]), distribution(2, 4), positive([2, 3], 0), r([2, 3])]);
});

test('the fused addressing op equals the composed pipeline, values and gradients', () => {
  const make = (): Tensor[] => [r([3, 6, 4]), r([3, 4]), positive([3, 1]), unit([[0.2], [0.5], [0.9]]), distribution(3, 3), positive([3, 1], 1), distribution(3, 6)];
  const inputs = make();
  const fused = ntmAddressing(...(inputs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]));
  const composed = addressComposed(...(inputs.map((t) => t.detach()) as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]));
  for (let i = 0; i < fused.size; i++) assert.ok(Math.abs((fused.data[i] as number) - (composed.data[i] as number)) < 1e-12);
  // Rows are distributions.
  for (let b = 0; b < 3; b++) assert.ok(Math.abs(sum(fused).item() / 3 - 1) < 1e-12 || b > 0);
  check((...xs) => ntmAddressing(...(xs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor])), make());
});

test('the fused write op equals erase-then-add composed', () => {
  const m = r([2, 5, 3]);
  const w = distribution(2, 5);
  const e = positive([2, 3], 0);
  const a = r([2, 3]);
  const fused = ntmWrite(m, w, e, a);
  const composed = writeComposed(m.detach(), w.detach(), e.detach(), a.detach());
  for (let i = 0; i < fused.size; i++) assert.ok(Math.abs((fused.data[i] as number) - (composed.data[i] as number)) < 1e-12);
});

test('addressing behaves: a sharp key finds its slot; a pure +1 shift moves the focus one slot on', () => {
  const memory = tensor([[[1, 0], [0, 1], [-1, 0], [0, -1]]], { dtype: 'float64' });
  const one = (v: number): Tensor => tensor([[v]], { dtype: 'float64' });
  const previous = tensor([[1, 0, 0, 0]], { dtype: 'float64' });
  const byContent = ntmAddressing(memory, tensor([[0, 1]], { dtype: 'float64' }), one(50), one(1), tensor([[0, 1, 0]], { dtype: 'float64' }), one(1), previous);
  assert.ok((byContent.data[1] as number) > 0.999);
  const byLocation = ntmAddressing(memory, tensor([[0, 1]], { dtype: 'float64' }), one(50), one(0), tensor([[0, 0, 1]], { dtype: 'float64' }), one(1), previous);
  assert.deepEqual(Array.from(byLocation.data).map((v) => Math.round(v * 1e9) / 1e9), [0, 1, 0, 0]);
  // Shifting past the last slot wraps round to the first.
  const wrapped = ntmAddressing(memory, tensor([[0, 1]], { dtype: 'float64' }), one(0), one(0), tensor([[0, 0, 1]], { dtype: 'float64' }), one(1), tensor([[0, 0, 0, 1]], { dtype: 'float64' }));
  assert.ok((wrapped.data[0] as number) > 0.999999);
});

test('gradcheck: a whole NTM (LSTM and feed-forward controllers, two read heads) unrolled over three steps', () => {
  for (const controller of ['lstm', 'ff'] as const) {
    const cell = new NTMCell({ inputSize: 3, outputSize: 2, controller, controllerSize: 4, memorySlots: 5, memoryWidth: 3, readHeads: 2, writeHeads: 1, memoryInit: 'learned', dtype: 'float64' }, new Rng(3));
    const params = cell.parameters();
    const xs = r([2, 3, 3]);
    check((x, ...ps) => {
      void ps;
      return scan(cell, x as Tensor).outputs;
    }, [xs, ...params]);
  }
});

test('NTM initial state and shapes; constant and random memory are fixed, learned memory is a parameter', () => {
  const cell = new NTMCell({ inputSize: 9, outputSize: 8, memorySlots: 16, memoryWidth: 5, readHeads: 2, writeHeads: 2 }, new Rng(0));
  const s = cell.initialState(3);
  assert.deepEqual(s.memory.shape, [3, 16, 5]);
  assert.equal(s.reads.length, 2);
  assert.deepEqual(s.readWeights[1]?.shape, [3, 16]);
  assert.deepEqual(s.writeWeights[0]?.shape, [3, 16]);
  assert.ok(Math.abs(sum(s.writeWeights[0] as Tensor).item() - 3) < 1e-5);
  assert.equal(cell.initialMemory.data[0], Math.fround(1e-6));
  assert.ok(!cell.parameters().includes(cell.initialMemory));
  const learned = new NTMCell({ inputSize: 9, outputSize: 8, memoryInit: 'learned' }, new Rng(0));
  assert.ok(learned.parameters().includes(learned.initialMemory));
  const random = new NTMCell({ inputSize: 9, outputSize: 8, memoryInit: 'random' }, new Rng(0));
  assert.ok(!random.parameters().includes(random.initialMemory));
  assert.ok(Math.abs(random.initialMemory.data[0] as number) > 1e-4);
  const { outputs } = scan(cell, randn([3, 4, 9], new Rng(1)));
  assert.deepEqual(outputs.shape, [3, 4, 8]);
  const trace = traceNtm(cell, randn([3, 4, 9], new Rng(1)), 2);
  assert.equal(trace.readWeights.length, 2);
  assert.equal(trace.writeWeights[1]?.length, 4);
  assert.equal(trace.outputs[0]?.length, 8);
  void softmax;
});

test('the fused sequence op equals scan over the cell: outputs and every parameter gradient', () => {
  const cases = [
    { controller: 'lstm' as const, readHeads: 1, writeHeads: 1, memoryInit: 'constant' as const, clip: 20 },
    { controller: 'ff' as const, readHeads: 2, writeHeads: 2, memoryInit: 'learned' as const, clip: 0.5 },
  ];
  for (const c of cases) {
    const cell = new NTMCell({ inputSize: 3, outputSize: 2, controllerSize: 5, memorySlots: 6, memoryWidth: 3, shiftRange: 1, dtype: 'float64', ...c }, new Rng(5));
    const xs = randn([2, 4, 3], new Rng(6), { dtype: 'float64' });
    const projection = randn([2, 4, 2], new Rng(7), { dtype: 'float64' });
    const run = (fused: boolean): { y: Float64Array; grads: Float64Array[] } => {
      for (const p of cell.parameters()) p.grad = null;
      const y = fused ? cell.sequence(xs) : scan(cell, xs).outputs;
      backward(sum(mul(y, projection)));
      return { y: y.data as Float64Array, grads: cell.parameters().map((p) => (p.grad?.data ?? new Float64Array(p.size)) as Float64Array) };
    };
    const composed = run(false);
    const fused = run(true);
    for (let i = 0; i < composed.y.length; i++) assert.ok(Math.abs((composed.y[i] as number) - (fused.y[i] as number)) < 1e-10, `${c.controller}: output ${i}`);
    composed.grads.forEach((g, k) => {
      for (let i = 0; i < g.length; i++) {
        assert.ok(Math.abs((g[i] as number) - (fused.grads[k]?.[i] as number)) < 1e-9, `${c.controller}: parameter ${k} element ${i}: ${g[i]} vs ${fused.grads[k]?.[i]}`);
      }
    });
  }
});
