import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { Rng, Tensor, randn } from '../tensor/index.js';
import { apply } from './apply.js';
import { add, matmul, mul, sum } from './index.js';
import { OPS } from './table.js';

// Ops that declare their gradients fresh (OpDef.freshGradients: linear, matmul, gather, the
// loss, the fused recurrences, the tree ops) hand the autograd new arrays it keeps as a leaf's grad, or adds into,
// without a copy. These check the cases where a wrong claim, or a wrong use of one, would
// corrupt a sum: one weight reached by several fresh ops and a shared (add) gradient, the
// same tensor as both inputs of one op, and a second backward adding into a kept gradient.

function close(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= 1e-12 * Math.max(1, Math.abs(b[i] as number)), `${what}: element ${i} is ${a[i]}, expected ${b[i]}`);
}

test('the ops that reach a parameter in training declare fresh gradients; add, which hands one gradient to both inputs, does not', () => {
  for (const op of ['linear', 'matmul', 'gather', 'softmaxCrossEntropy', 'rnnSequence', 'lstmSequence', 'gruSequence', 'naryTreeLstm', 'childSumTreeLstm', 'naryTreeLstmFold', 'childSumTreeLstmFold', 'treeRnnFold'] as const) {
    assert.equal(OPS[op].freshGradients, true, op);
  }
  assert.equal((OPS.add as { freshGradients?: true }).freshGradients, undefined);
});

test('a weight reached by two fresh ops and an add gets the sum of all three, and a second backward adds to it', () => {
  const W = randn([3, 4], new Rng(1), { dtype: 'float64', requiresGrad: true });
  const x1 = randn([5, 4], new Rng(2), { dtype: 'float64' });
  const x2 = randn([2, 4], new Rng(3), { dtype: 'float64' });
  const c = randn([3, 4], new Rng(4), { dtype: 'float64' });
  const loss = (): Tensor => add(add(sum(apply('linear', [x1, W], {})), sum(apply('linear', [x2, W], {}))), sum(mul(add(W, W), c)));
  // d/dW: column sums of x1 and x2 in every row (each row of W meets every row of x), plus 2c.
  const expected = new Float64Array(12);
  for (let o = 0; o < 3; o++) {
    for (let i = 0; i < 4; i++) {
      let s = 0;
      for (let r = 0; r < 5; r++) s += x1.data[r * 4 + i] as number;
      for (let r = 0; r < 2; r++) s += x2.data[r * 4 + i] as number;
      expected[o * 4 + i] = s + 2 * (c.data[o * 4 + i] as number);
    }
  }
  backward(loss());
  close(W.grad?.data ?? [], expected, 'one backward');
  const kept = W.grad;
  backward(loss());
  close(W.grad?.data ?? [], expected.map((v) => 2 * v), 'two backwards');
  assert.equal(W.grad, kept, 'the second backward adds into the kept gradient');
});

test('a gradient that add hands to two inputs stays theirs alone when one of them gets more from a fresh op, in either order', () => {
  const x = randn([5, 4], new Rng(6), { dtype: 'float64' });
  const c = randn([3, 4], new Rng(7), { dtype: 'float64' });
  for (const first of ['add', 'linear'] as const) {
    const W = randn([3, 4], new Rng(8), { dtype: 'float64', requiresGrad: true });
    const V = randn([3, 4], new Rng(9), { dtype: 'float64', requiresGrad: true });
    const viaAdd = sum(mul(add(W, V), c));
    const viaLinear = sum(apply('linear', [x, W], {}));
    backward(first === 'add' ? add(viaAdd, viaLinear) : add(viaLinear, viaAdd));
    // V gets c alone; W gets c plus the column sums of x in every row.
    close(V.grad?.data ?? [], c.data, `${first} first: V's gradient`);
    const expected = new Float64Array(12);
    for (let o = 0; o < 3; o++) {
      for (let i = 0; i < 4; i++) {
        let s = c.data[o * 4 + i] as number;
        for (let r = 0; r < 5; r++) s += x.data[r * 4 + i] as number;
        expected[o * 4 + i] = s;
      }
    }
    close(W.grad?.data ?? [], expected, `${first} first: W's gradient`);
  }
});

test('a fresh gradient that add passes on to two leaves is theirs to keep apart, through two backwards', () => {
  const x = randn([5, 4], new Rng(10), { dtype: 'float64' });
  const P = randn([5, 4], new Rng(11), { dtype: 'float64', requiresGrad: true });
  const Q = randn([5, 4], new Rng(12), { dtype: 'float64', requiresGrad: true });
  const W = randn([3, 4], new Rng(13), { dtype: 'float64', requiresGrad: true });
  // d/dP = d/dQ = the gradient at add(x, ...) + (P + Q): every row is the column sums of W.
  const expected = new Float64Array(20);
  for (let r = 0; r < 5; r++) for (let i = 0; i < 4; i++) for (let o = 0; o < 3; o++) expected[r * 4 + i] = (expected[r * 4 + i] as number) + (W.data[o * 4 + i] as number);
  const loss = (): Tensor => sum(apply('linear', [add(add(P, Q), x), W], {}));
  backward(loss());
  assert.notEqual(P.grad, Q.grad, 'P and Q do not share one gradient tensor');
  close(P.grad?.data ?? [], expected, 'P after one backward');
  close(Q.grad?.data ?? [], expected, 'Q after one backward');
  backward(loss());
  close(P.grad?.data ?? [], expected.map((v) => 2 * v), 'P after two backwards');
  close(Q.grad?.data ?? [], expected.map((v) => 2 * v), 'Q after two backwards');
});

test('a fresh gradient that add passes to a leaf and to a node that gets more later stays the leaf\'s alone', () => {
  const x = randn([2, 4], new Rng(14), { dtype: 'float64' });
  const W = randn([3, 4], new Rng(15), { dtype: 'float64', requiresGrad: true });
  const c = randn([2, 3], new Rng(17), { dtype: 'float64' });
  for (const first of ['add', 'mul'] as const) {
    const P = randn([2, 3], new Rng(16), { dtype: 'float64', requiresGrad: true });
    // a = linear(x, W) feeds add(a, P), whose gradient (fresh, from the outer linear) add hands
    // to both a and P, and mul(a, c), which adds more into a's: P must keep the add's share only.
    const a = apply('linear', [x, W], {});
    const viaAdd = sum(apply('linear', [add(a, P), randn([1, 3], new Rng(18), { dtype: 'float64' })], {}));
    const viaMul = sum(mul(a, c));
    backward(first === 'add' ? add(viaAdd, viaMul) : add(viaMul, viaAdd));
    const v = randn([1, 3], new Rng(18), { dtype: 'float64' }).data;
    close(P.grad?.data ?? [], Float64Array.from({ length: 6 }, (_, k) => v[k % 3] as number), `${first} first: P's gradient`);
  }
});

test('matmul(a, a) gives a the sum of both of its gradients', () => {
  const a = randn([3, 3], new Rng(5), { dtype: 'float64', requiresGrad: true });
  backward(sum(matmul(a, a)));
  // d/da sum(a a) = J a^T + a^T J with J all ones: entry (i, j) = sum_k a[j][k] + sum_k a[k][i].
  const d = a.data;
  const expected = new Float64Array(9);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let k = 0; k < 3; k++) s += (d[j * 3 + k] as number) + (d[k * 3 + i] as number);
      expected[i * 3 + j] = s;
    }
  }
  close(a.grad?.data ?? [], expected, 'gradient of sum(a a)');
});
