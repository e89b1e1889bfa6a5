import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, gradcheck, noGrad } from '../autograd/index.js';
import { mul, sum, tanh } from '../ops/index.js';
import { Rng, Tensor, ones, randn, tensor } from '../tensor/index.js';
import { Dropout } from './dropout.js';
import { Embedding } from './embedding.js';
import { Linear } from './linear.js';

/** A tensor's gradient values (read through a function so TypeScript does not narrow `grad` to null after a reset). */
function gradData(t: Tensor): Float32Array | Float64Array {
  assert.ok(t.grad !== null, 'has a gradient');
  return t.grad.data;
}

test('Linear computes x W^T + b with PyTorch layout', () => {
  const layer = new Linear({ inFeatures: 3, outFeatures: 2, dtype: 'float64', rng: new Rng(0) });
  layer.weight.data.set([1, 2, 3, 4, 5, 6]);
  layer.bias?.data.set([0.5, -1]);
  const y = layer.forward(tensor([[1, 0, -1], [2, 1, 0]], { dtype: 'float64' }));
  assert.deepEqual(y.toArray(), [[1 - 3 + 0.5, 4 - 6 - 1], [2 + 2 + 0.5, 8 + 5 - 1]]);
  assert.deepEqual(layer.forward(tensor([1, 0, -1], { dtype: 'float64' })).toArray(), [-1.5, -3]);
  assert.deepEqual(layer.forward(randn([2, 5, 3], new Rng(1), { dtype: 'float64' })).shape, [2, 5, 2]);
});

test('Linear init is U(-1/sqrt(in), 1/sqrt(in)) for weight and bias; bias: false omits it', () => {
  const layer = new Linear({ inFeatures: 25, outFeatures: 400, rng: new Rng(3) });
  assert.deepEqual(layer.weight.shape, [400, 25]);
  assert.deepEqual(layer.bias?.shape, [400]);
  const w = [...layer.weight.data];
  assert.ok(w.every((v) => Math.abs(v) <= 0.2) && Math.max(...w) > 0.19 && Math.min(...w) < -0.19);
  assert.ok([...(layer.bias?.data ?? [])].every((v) => Math.abs(v) <= 0.2));
  const noBias = new Linear({ inFeatures: 2, outFeatures: 3, bias: false, rng: new Rng(0) });
  assert.equal(noBias.bias, null);
  assert.deepEqual([...noBias.namedParameters().keys()], ['weight']);
  assert.throws(() => new Linear({ inFeatures: 0, outFeatures: 3, rng: new Rng(0) }), /inFeatures must be a positive integer/);
  assert.throws(() => layer.forward(ones([2, 24])), /Linear: input's last axis must be inFeatures = 25/);
});

test('Linear gradients pass gradcheck in float64 (batched 3-D input too)', () => {
  const rng = new Rng(4);
  const layer = new Linear({ inFeatures: 4, outFeatures: 3, dtype: 'float64', rng });
  for (const shape of [[5, 4], [2, 3, 4], [4]]) {
    const x = randn(shape, rng, { dtype: 'float64', requiresGrad: true });
    const bias = layer.bias as Tensor;
    const r = gradcheck(() => tanh(layer.forward(x)), [x, layer.weight, bias]);
    assert.ok(r.maxRelError < 1e-6, `shape ${JSON.stringify(shape)}: ${JSON.stringify(r)}`);
  }
});

test('Embedding looks up rows, N(0,1) init, gradcheck in float64', () => {
  const emb = new Embedding({ numEmbeddings: 6, embeddingDim: 3, dtype: 'float64', rng: new Rng(5) });
  const idx = tensor([[1, 4, 1], [0, 5, 2]]);
  const y = emb.forward(idx);
  assert.deepEqual(y.shape, [2, 3, 3]);
  assert.deepEqual([...y.data.subarray(3, 6)], [...emb.weight.data.subarray(12, 15)]);
  const r = gradcheck(() => mul(emb.forward(idx), emb.forward(idx)), [emb.weight]);
  assert.ok(r.maxRelError < 1e-6, JSON.stringify(r));

  const big = new Embedding({ numEmbeddings: 100, embeddingDim: 100, dtype: 'float64', rng: new Rng(6) });
  let s = 0;
  let s2 = 0;
  for (const v of big.weight.data) {
    s += v;
    s2 += v * v;
  }
  assert.ok(Math.abs(s / 1e4) < 0.03 && Math.abs(s2 / 1e4 - 1) < 0.05);
});

test('Embedding paddingIdx: zero row at init, zero gradient, other rows accumulate', () => {
  const emb = new Embedding({ numEmbeddings: 5, embeddingDim: 2, paddingIdx: 0, dtype: 'float64', rng: new Rng(7) });
  assert.deepEqual([...emb.weight.data.subarray(0, 2)], [0, 0]);
  emb.weight.data.set([0.3, -0.2], 0); // even a non-zero padding row gets no gradient
  const idx = tensor([[2, 0, 0], [3, 2, 0]]);
  const y = emb.forward(idx);
  assert.deepEqual([...y.data.subarray(2, 4)], [0.3, -0.2], 'forward still reads the row');
  backward(sum(y));
  const g = emb.weight.grad?.data ?? new Float64Array();
  assert.deepEqual([...g], [0, 0, 0, 0, 2, 2, 1, 1, 0, 0]);
  // Against the same table without padding: every other row's gradient is unchanged.
  const plain = new Embedding({ numEmbeddings: 5, embeddingDim: 2, dtype: 'float64', rng: new Rng(0) });
  plain.weight.data.set(emb.weight.data);
  emb.weight.grad = null;
  backward(sum(tanh(emb.forward(idx))));
  backward(sum(tanh(plain.forward(idx))));
  const gp = gradData(emb.weight);
  const gq = gradData(plain.weight);
  assert.deepEqual([...gp.subarray(0, 2)], [0, 0]);
  assert.ok(Math.abs(gq[0] as number) > 0.1, 'without paddingIdx the row would learn');
  assert.deepEqual([...gp.subarray(2)], [...gq.subarray(2)]);
  const noPad = tensor([[2, 1], [3, 4]]);
  const r = gradcheck(() => tanh(emb.forward(noPad)), [emb.weight]);
  assert.ok(r.maxRelError < 1e-6, JSON.stringify(r));
  const neg = new Embedding({ numEmbeddings: 5, embeddingDim: 2, paddingIdx: -1, rng: new Rng(0) });
  assert.equal(neg.paddingIdx, 4);
  assert.throws(() => new Embedding({ numEmbeddings: 5, embeddingDim: 2, paddingIdx: 5, rng: new Rng(0) }), /paddingIdx/);
});

test('Dropout keeps the mean, zeroes a fraction p, scales survivors by 1/(1-p); eval is identity', () => {
  const p = 0.3;
  const drop = new Dropout({ p, rng: new Rng(8) });
  const x = ones([200, 100]);
  const y = drop.forward(x);
  let zerosCount = 0;
  let total = 0;
  for (const v of y.data) {
    if (v === 0) zerosCount++;
    else assert.ok(Math.abs(v - 1 / (1 - p)) < 1e-6);
    total += v;
  }
  assert.ok(Math.abs(zerosCount / x.size - p) < 0.015, `fraction ${zerosCount / x.size}`);
  assert.ok(Math.abs(total / x.size - 1) < 0.03, `mean ${total / x.size}`);
  const again = drop.forward(x);
  assert.notDeepEqual(again.data, y.data, 'a fresh mask every call');
  const sameSeed = new Dropout({ p, rng: new Rng(8) }).forward(x);
  assert.deepEqual(sameSeed.data, y.data, 'same seed, same mask');
  drop.eval();
  assert.equal(drop.forward(x), x);
  assert.equal(new Dropout({ p: 0, rng: new Rng(0) }).forward(x), x);
  assert.throws(() => new Dropout({ p: 1, rng: new Rng(0) }), /p must be in \[0, 1\), got 1/);
  assert.throws(() => new Dropout({ p: -0.1, rng: new Rng(0) }), /p must be in/);
});

test('Dropout gradient is the mask, and noGrad does not switch dropout off (only eval does)', () => {
  const drop = new Dropout({ p: 0.5, rng: new Rng(9) });
  const x = randn([50], new Rng(10), { dtype: 'float64', requiresGrad: true });
  const y = drop.forward(x);
  backward(sum(y));
  for (let i = 0; i < x.size; i++) {
    const g = x.grad?.data[i] as number;
    assert.equal(g, (y.data[i] as number) === 0 ? 0 : 2);
  }
  const z = noGrad(() => drop.forward(ones([1000])));
  assert.ok([...z.data].some((v) => v === 0));
});
