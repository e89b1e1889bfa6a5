import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Linear } from '../nn/index.js';
import { Rng, Tensor, tensor } from '../tensor/index.js';
import { clipGradNorm, clipGradValue, hasNonFinite } from './clip.js';

/** Two parameters with gradients [3, 4] and [[12]]: global 2-norm sqrt(9 + 16 + 144) = 13. */
function params(): Tensor[] {
  const a = tensor([0, 0], { dtype: 'float64', requiresGrad: true });
  const b = tensor([[0]], { dtype: 'float64', requiresGrad: true });
  const c = tensor([0], { dtype: 'float64', requiresGrad: true }); // no gradient: skipped
  a.grad = tensor([3, 4], { dtype: 'float64' });
  b.grad = tensor([[12]], { dtype: 'float64' });
  return [a, b, c];
}

function globalNorm(ps: Tensor[]): number {
  let s = 0;
  for (const p of ps) for (const v of p.grad?.data ?? []) s += v * v;
  return Math.sqrt(s);
}

test('clipGradNorm returns the pre-clip global norm and scales it down to maxNorm', () => {
  const ps = params();
  assert.equal(clipGradNorm(ps, 6.5), 13);
  const scale = 6.5 / (13 + 1e-6);
  assert.deepEqual([...(ps[0]?.grad?.data ?? [])], [3 * scale, 4 * scale]);
  assert.deepEqual([...(ps[1]?.grad?.data ?? [])], [12 * scale]);
  assert.ok(Math.abs(globalNorm(ps) - 6.5) < 1e-6);
  assert.equal(ps[2]?.grad, null);
});

test('clipGradNorm leaves gradients alone when the norm is already below maxNorm', () => {
  const ps = params();
  assert.equal(clipGradNorm(ps, 13.5), 13);
  assert.deepEqual([...(ps[0]?.grad?.data ?? [])], [3, 4]);
  // Exactly at maxNorm the factor 13 / (13 + 1e-6) is just below 1, as in PyTorch.
  const at = params();
  clipGradNorm(at, 13);
  assert.ok((at[0]?.grad?.data[0] ?? 0) < 3);
});

test('clipGradNorm with other norms: 1-norm 19, inf-norm 12, 3-norm (27 + 64 + 1728)^(1/3)', () => {
  assert.equal(clipGradNorm(params(), 100, 1), 19);
  const inf = params();
  assert.equal(clipGradNorm(inf, 6, Infinity), 12);
  assert.ok(Math.abs((inf[1]?.grad?.data[0] ?? 0) - 12 * (6 / (12 + 1e-6))) < 1e-12);
  assert.ok(Math.abs(clipGradNorm(params(), 100, 3) - Math.cbrt(27 + 64 + 1728)) < 1e-12);
  assert.throws(() => clipGradNorm(params(), 1, 0), /normType must be > 0/);
  assert.throws(() => clipGradNorm(params(), -1), /maxNorm must be >= 0/);
});

test('clipGradNorm on a module, in float32, and a non-finite norm is reported but not applied', () => {
  const layer = new Linear({ inFeatures: 3, outFeatures: 2, bias: false, rng: new Rng(0) });
  layer.weight.grad = new Tensor(Float32Array.from([1, 1, 1, 1, 1, 1]), [2, 3]);
  assert.ok(Math.abs(clipGradNorm(layer, 1) - Math.sqrt(6)) < 1e-12);
  assert.ok(Math.abs(globalNorm([layer.weight]) - 1) < 1e-6);

  const ps = params();
  (ps[0]?.grad as Tensor).data[0] = Number.NaN;
  assert.ok(Number.isNaN(clipGradNorm(ps, 1)));
  assert.equal(ps[1]?.grad?.data[0], 12, 'not scaled');
  const inf = params();
  (inf[1]?.grad as Tensor).data[0] = Infinity;
  assert.equal(clipGradNorm(inf, 1), Infinity);
  assert.ok(Number.isNaN(clipGradNorm(ps, 1, Infinity)));
});

test('clipGradValue clamps every element into [-c, c]', () => {
  const ps = params();
  (ps[0]?.grad as Tensor).data[0] = -7;
  clipGradValue(ps, 5);
  assert.deepEqual([...(ps[0]?.grad?.data ?? [])], [-5, 4]);
  assert.deepEqual([...(ps[1]?.grad?.data ?? [])], [5]);
  assert.throws(() => clipGradValue(ps, -1), /clipValue must be >= 0/);
});

test('hasNonFinite finds NaN and +-Infinity, skips nulls', () => {
  assert.equal(hasNonFinite([tensor([1, -2, 1e30]), null, tensor([0])]), false);
  assert.equal(hasNonFinite([tensor([1, Number.NaN])]), true);
  assert.equal(hasNonFinite([tensor([1]), tensor([-Infinity])]), true);
  assert.equal(hasNonFinite([tensor([Infinity])]), true);
  assert.equal(hasNonFinite([]), false);
});
