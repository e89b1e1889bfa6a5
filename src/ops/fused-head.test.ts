import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, gradcheck } from '../autograd/index.js';
import { Rng, Tensor, randn, type DType } from '../tensor/index.js';
import { crossEntropyComposed } from './composites.js';
import { add, apply, crossEntropy, matmul, mul, reshape, sum, type CrossEntropyOptions } from './index.js';

// The promoted head ops against their composed twins: values and gradients agree (1e-12 in
// float64, float32 rounding in float32), and the composed twin itself passes gradcheck, so
// both sides of the comparison are pinned to the maths.

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const ids = (values: number[], shape: number[], dtype: DType): Tensor =>
  new Tensor(dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), shape);

const CE_CASES: { label: string; shape: number[]; targets: number[]; options: CrossEntropyOptions }[] = [
  { label: 'mean', shape: [6, 7], targets: [0, 6, 3, 3, 1, 2], options: {} },
  { label: 'sum over [2, 3, C]', shape: [2, 3, 5], targets: [4, 0, 1, 2, 3, 3], options: { reduction: 'sum' } },
  { label: 'none, ignoreIndex', shape: [2, 3, 4], targets: [1, 9, 0, 3, 9, 2], options: { reduction: 'none', ignoreIndex: 9 } },
  { label: 'mean, mask', shape: [4, 3], targets: [0, 1, 2, 1], options: { mask: new Tensor(Float64Array.from([1, 0, 1, 0.5]), [4]) } },
  { label: 'mean, everything ignored', shape: [2, 3], targets: [7, 7], options: { ignoreIndex: 7 } },
];

for (const dtype of ['float64', 'float32'] as const) {
  const tolerance = dtype === 'float64' ? 1e-12 : 2e-6;
  for (const c of CE_CASES) {
    test(`${dtype} crossEntropy (fused) equals crossEntropyComposed: ${c.label}`, () => {
      const options = c.options.mask === undefined ? c.options : { ...c.options, mask: ids([...c.options.mask.data], c.options.mask.shape as number[], dtype) };
      const targets = ids(c.targets, c.shape.slice(0, -1), dtype);
      const run = (f: typeof crossEntropy): { value: Float64Array; grad: Float64Array } => {
        const logits = randn(c.shape, new Rng(5), { dtype, requiresGrad: true });
        for (let i = 0; i < logits.size; i++) logits.data[i] = (logits.data[i] as number) * 3;
        const loss = f(logits, targets, options);
        // The same projection for both runs: the gradient of sum(loss * r) w.r.t. the logits.
        const r = randn(loss.shape, new Rng(c.shape.length * 13 + c.targets.length), { dtype });
        backward(sum(mul(loss, r)));
        return { value: Float64Array.from(loss.data), grad: Float64Array.from(logits.grad?.data ?? []) };
      };
      const fused = run(crossEntropy);
      const composed = run(crossEntropyComposed);
      assert.ok(maxAbsDiff(fused.value, composed.value) < tolerance, `values differ by ${maxAbsDiff(fused.value, composed.value)}`);
      assert.ok(maxAbsDiff(fused.grad, composed.grad) < tolerance, `gradients differ by ${maxAbsDiff(fused.grad, composed.grad)}`);
    });
  }

  test(`${dtype} linear (fused) equals matmul + add, values and gradients`, () => {
    const rng = new Rng(3);
    for (const [shape, bias] of [[[5, 4], true], [[2, 3, 4], false], [[4], true]] as const) {
      const make = (): Tensor[] => {
        const r = new Rng(11);
        return [randn([...shape], r, { dtype, requiresGrad: true }), randn([6, 4], r, { dtype, requiresGrad: true }), randn([6], r, { dtype, requiresGrad: true })];
      };
      const projection = randn([...shape.slice(0, -1), 6], rng, { dtype });
      const [x1, w1, b1] = make() as [Tensor, Tensor, Tensor];
      const y1 = apply('linear', bias ? [x1, w1, b1] : [x1, w1], {});
      backward(sum(mul(y1, projection)));
      const [x2, w2, b2] = make() as [Tensor, Tensor, Tensor];
      // matmul needs two axes: a lone vector is a batch of one.
      let y2 = matmul(shape.length === 1 ? reshape(x2, [1, 4]) : x2, w2, { transB: true });
      if (bias) y2 = add(y2, b2);
      backward(sum(mul(y2, shape.length === 1 ? reshape(projection, [1, 6]) : projection)));
      assert.deepEqual(y1.shape, [...shape.slice(0, -1), 6]);
      assert.ok(maxAbsDiff(y1.data, y2.data) < tolerance * 10);
      for (const [a, b] of [[x1, x2], [w1, w2], ...(bias ? [[b1, b2]] : [])] as [Tensor, Tensor][]) {
        assert.ok(maxAbsDiff(a.grad?.data ?? [], b.grad?.data ?? []) < tolerance * 10);
      }
      if (!bias) assert.equal(b1.grad, null);
    }
  });
}

test('gradcheck the composed twin crossEntropyComposed (mask, ignoreIndex, none)', () => {
  const rng = new Rng(8);
  const logits = randn([3, 4], rng, { dtype: 'float64', requiresGrad: true });
  const result = gradcheck((x) => crossEntropyComposed(x, ids([1, 9, 3], [3], 'float64'), {
    ignoreIndex: 9, reduction: 'none', mask: ids([1, 1, 0.5], [3], 'float64'),
  }), [logits]);
  assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError}`);
});

test('softmaxCrossEntropy rejects targets outside the classes and misshapen weights', () => {
  const logits = randn([2, 3], new Rng(1), { dtype: 'float64' });
  assert.throws(() => apply('softmaxCrossEntropy', [logits, ids([0, 3], [2], 'float64'), ids([1, 1], [2], 'float64')], { reduction: 'mean' }), /not a class index/);
  assert.throws(() => apply('softmaxCrossEntropy', [logits, ids([0, 1], [2], 'float64'), ids([1], [1], 'float64')], { reduction: 'mean' }), /targets and weights/);
});
