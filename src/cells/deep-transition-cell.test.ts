import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { slice, sum } from '../ops/index.js';
import { scan } from '../sequence/scan.js';
import { ArgumentError, Rng, Tensor, randn } from '../tensor/index.js';
import { DeepTransitionCell } from './deep-transition-cell.js';

/** scripts/golden_cells.py's pattern: 0.5 sin(0.37 k + 1.3 p + 0.1) over the flat index k. */
function pattern(shape: readonly number[], p: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: n }, (_, k) => 0.5 * Math.sin(0.37 * k + 1.3 * p + 0.1)), shape);
}

test('deep-transition cell (L = 2, S = 4, skip) matches the NumPy reference (scripts/golden_cells.py, deep_transition)', () => {
  const cell = new DeepTransitionCell({ inputSize: 2, hiddenSize: 3, transitionLayers: 2, transitionSize: 4, skip: true, dtype: 'float64' }, new Rng(0));
  assert.deepEqual(
    [...cell.namedParameters()].map(([name, p]) => `${name} [${p.shape.join(',')}]`),
    ['weightIh [4,2]', 'weightHh [4,3]', 'biasIh [4]', 'transition.0.weight [4,4]', 'transition.0.bias [4]', 'transition.1.weight [3,4]', 'transition.1.bias [3]', 'weightSkip [3,3]'],
  );
  cell.parameters().forEach((t, p) => t.data.set(pattern(t.shape, p).data));
  const { outputs } = scan(cell, pattern([2, 4, 2], 100));
  // deep-transition (L=2, S=4, skip) outputs [B,T,H] printed by scripts/golden_cells.py
  const expected = [
    0.13685144837561328, 0.25574449004143235, 0.5912473743916908, 0.027768161010021768, -0.2658175340307127, 0.3453522131593654,
    0.18347060461337739, 0.07515192442893774, 0.5062840334906451, 0.265863616611007, -0.3212810835750542, 0.18054182995968568,
    0.48980043075037005, 0.0424324434028751, 0.23716559094634815, 0.44878307962684505, -0.31594136035263, -0.0049496131943409785,
    0.4453119829563935, 0.02925661458544958, 0.2742310293647803, 0.21416244065499046, -0.19906884601511807, 0.2793283009679561,
  ];
  outputs.data.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-14, `output ${i}: ${v}`));
});

function gradientReachingFirstInput(transitionLayers: number, skip: boolean, steps: number): number {
  const cell = new DeepTransitionCell({ inputSize: 4, hiddenSize: 16, transitionLayers, skip, dtype: 'float64' }, new Rng(4));
  const xs = randn([1, steps, 4], new Rng(5), { dtype: 'float64', requiresGrad: true });
  const { outputs } = scan(cell, xs);
  backward(sum(slice(outputs, [0, steps - 1, 0], [1, 1, 16])));
  return Math.hypot(...(xs.grad as Tensor).data.subarray(0, 4));
}

test('a deeper transition lengthens the path through time; the skip (Figure 10.13c) shortens it again', () => {
  // Same seed: W_s is drawn last, so with and without skip every other weight is equal.
  // Measured ||dh(19)/dx(0)||: L = 1: 5.5e-12, L = 3: 5.0e-22; with the skip 6.5e-5 and 7.4e-6.
  const shallow = gradientReachingFirstInput(1, false, 20);
  const deep = gradientReachingFirstInput(3, false, 20);
  const deepSkip = gradientReachingFirstInput(3, true, 20);
  assert.ok(deep < 1e-6 * shallow, `L = 1: ${shallow.toExponential(2)}, L = 3: ${deep.toExponential(2)}`);
  assert.ok(deepSkip > 1e6 * deep, `L = 3 without skip ${deep.toExponential(2)}, with ${deepSkip.toExponential(2)}`);
});

test('the skip weights are the only difference the skip option makes at the same seed', () => {
  const plain = new DeepTransitionCell({ inputSize: 2, hiddenSize: 3, transitionLayers: 2 }, new Rng(6));
  const skip = new DeepTransitionCell({ inputSize: 2, hiddenSize: 3, transitionLayers: 2, skip: true }, new Rng(6));
  const a = plain.parameters();
  const b = skip.parameters();
  assert.equal(b.length, a.length + 1);
  a.forEach((p, i) => assert.deepEqual(Array.from(p.data), Array.from((b[i] as Tensor).data)));
  // With W_s = 0 the skip cell computes exactly the plain one.
  (skip.weightSkip as Tensor).data.fill(0);
  const xs = randn([2, 5, 2], new Rng(7));
  assert.deepEqual(Array.from(scan(skip, xs).outputs.data), Array.from(scan(plain, xs).outputs.data));
});

test('deep-transition defaults and config errors', () => {
  const cell = new DeepTransitionCell({ inputSize: 2, hiddenSize: 5 }, new Rng(0));
  assert.equal(cell.transitionSize, 5);
  assert.equal(cell.transition.length, 1);
  assert.equal(cell.weightSkip, null);
  assert.throws(() => new DeepTransitionCell({ inputSize: 2, hiddenSize: 3, transitionLayers: 0 }, new Rng(0)), ArgumentError);
  assert.throws(() => new DeepTransitionCell({ inputSize: 2, hiddenSize: 3, transitionSize: 1.5 }, new Rng(0)), /transitionSize must be a positive integer/);
});
