import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, noGrad } from '../autograd/index.js';
import { DTypeError, ShapeError, tensor, zeros } from '../tensor/index.js';
import {
  add, circularConvolution, concat, cosineSimilarity, crossEntropy, gather, logSoftmax, matmul, max, mean, mul, reshape, slice, softmax,
  sum, tanh, transpose,
} from './index.js';

const close = (actual: ArrayLike<number>, expected: readonly number[], tol = 1e-5): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs((actual[i] as number) - (expected[i] as number)) <= tol, `element ${i}: ${actual[i]} vs ${expected[i]}`);
  }
};

test('forward values of primitives', () => {
  const a = tensor([[1, 2, 3], [4, 5, 6]]);
  close(add(a, tensor([10, 20, 30])).data, [11, 22, 33, 14, 25, 36]);
  close(matmul(a, transpose(a)).data, [14, 32, 32, 77]);
  close(matmul(a, a, { transB: true }).data, [14, 32, 32, 77]);
  close(matmul(a, a, { transA: true }).data, [17, 22, 27, 22, 29, 36, 27, 36, 45]);
  close(sum(a, 0).data, [5, 7, 9]);
  close(mean(a, 1).data, [2, 5]);
  close(max(a, 1).data, [3, 6]);
  close(slice(a, [0, 1], [2, 2]).data, [2, 3, 5, 6]);
  close(concat([a, a], 0).data, [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
  close(gather(a, tensor([1, 1, 0])).data, [4, 5, 6, 4, 5, 6, 1, 2, 3]);
  close(transpose(reshape(a, [3, 2])).data, [1, 3, 5, 2, 4, 6]);
});

test('softmax and cross-entropy reference values (computed with numpy)', () => {
  // numpy: x - logsumexp(x) for [1, 2, 3] = [-2.40760596, -1.40760596, -0.40760596]
  close(logSoftmax(tensor([[1, 2, 3]])).data, [-2.40760596, -1.40760596, -0.40760596]);
  close(softmax(tensor([[1000, 1000]])).data, [0.5, 0.5]);
  // mean of -logsoftmax picks: (1.40760596 + 0.40760596) / 2 with row 2 ignored
  const logits = tensor([[1, 2, 3], [1, 2, 3], [5, 5, 5]]);
  close([crossEntropy(logits, tensor([1, 2, 7]), { ignoreIndex: 7 }).item()], [0.90760596]);
});

test('cosine similarity and circular convolution reference values', () => {
  close(cosineSimilarity(tensor([[1, 0], [1, 1]]), tensor([[0, 1], [2, 2]])).data, [0, 1]);
  // shift by +1 with certainty: out[i] = w[i - 1]
  close(circularConvolution(tensor([[1, 2, 3, 4]]), tensor([[0, 0, 1]])).data, [4, 1, 2, 3]);
  close(circularConvolution(tensor([[1, 2, 3, 4]]), tensor([[1, 0, 0]])).data, [2, 3, 4, 1]);
});

test('shape and dtype mistakes are typed errors naming the op and shapes', () => {
  assert.throws(() => matmul(zeros([2, 3]), zeros([4, 5])), (e: unknown) => e instanceof ShapeError && /matmul: inner dimensions differ.*\[2,3\] vs \[4,5\]/.test(e.message));
  assert.throws(() => add(zeros([2]), zeros([2], { dtype: 'float64' })), DTypeError);
  assert.throws(() => reshape(zeros([2, 3]), [4, 2]), ShapeError);
  assert.throws(() => gather(zeros([3, 2]), tensor([3])), /index 3/);
});

test('gradients accumulate across backward calls and noGrad records nothing', () => {
  const w = tensor([1, 2, 3], { requiresGrad: true });
  backward(sum(mul(w, w)));
  close(w.grad!.data, [2, 4, 6]);
  backward(sum(mul(w, w)));
  close(w.grad!.data, [4, 8, 12]);
  const y = noGrad(() => tanh(w));
  assert.equal(y.requiresGrad, false);
  assert.equal(y.gradFn, null);
});

test('a shared subexpression sums its gradient paths', () => {
  const x = tensor([0.5], { requiresGrad: true, dtype: 'float64' });
  const t = tanh(x);
  backward(sum(add(mul(t, t), t)));
  const th = Math.tanh(0.5);
  close(x.grad!.data, [(2 * th + 1) * (1 - th * th)], 1e-12);
});

test('a deep chain does not overflow the stack in backward', () => {
  const x = tensor([0.1], { requiresGrad: true, dtype: 'float64' });
  let y = x;
  for (let i = 0; i < 100000; i++) y = add(y, 0);
  backward(sum(y));
  close(x.grad!.data, [1]);
});
