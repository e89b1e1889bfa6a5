import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, Tensor, zeros } from '../tensor/index.js';
import * as init from './init.js';

/** max |W^T W - g^2 I| (tall) or |W W^T - g^2 I| (wide), computed in float64 from the stored values. */
function orthogonalityError(w: Tensor, gain: number): number {
  const rows = w.shape[0] as number;
  const cols = w.size / rows;
  const wide = rows < cols;
  const k = wide ? rows : cols;
  const at = (i: number, j: number): number => w.data[i * cols + j] as number;
  let err = 0;
  for (let a = 0; a < k; a++) {
    for (let b = 0; b < k; b++) {
      let s = 0;
      if (wide) for (let j = 0; j < cols; j++) s += at(a, j) * at(b, j);
      else for (let i = 0; i < rows; i++) s += at(i, a) * at(i, b);
      err = Math.max(err, Math.abs(s - (a === b ? gain * gain : 0)));
    }
  }
  return err;
}

function moments(d: ArrayLike<number>): { mean: number; variance: number; min: number; max: number } {
  let s = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    s += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = s / d.length;
  let v2 = 0;
  for (let i = 0; i < d.length; i++) v2 += ((d[i] as number) - mean) ** 2;
  return { mean, variance: v2 / d.length, min, max };
}

for (const shape of [[16, 16], [40, 12], [12, 40], [6, 2, 5], [1, 9], [9, 1]]) {
  test(`orthogonal ${JSON.stringify(shape)} float32 is orthonormal to 1e-5`, () => {
    const w = init.orthogonal(zeros(shape), new Rng(7));
    assert.ok(orthogonalityError(w, 1) < 1e-5, `error ${orthogonalityError(w, 1)}`);
  });
}

test('orthogonal scales by gain and is reproducible from the seed', () => {
  const a = init.orthogonal(zeros([8, 8], { dtype: 'float64' }), new Rng(3), 2);
  assert.ok(orthogonalityError(a, 2) < 1e-12);
  const b = init.orthogonal(zeros([8, 8], { dtype: 'float64' }), new Rng(3), 2);
  assert.deepEqual(a.data, b.data);
  const c = init.orthogonal(zeros([8, 8], { dtype: 'float64' }), new Rng(4), 2);
  assert.notDeepEqual(a.data, c.data);
});

test('orthogonal rejects a vector', () => {
  assert.throws(() => init.orthogonal(zeros([5]), new Rng(0)), /init\.orthogonal/);
});

test('computeFans follows PyTorch: [out, in, ...receptive]', () => {
  assert.deepEqual(init.computeFans([16, 4]), { fanIn: 4, fanOut: 16 });
  assert.deepEqual(init.computeFans([8, 3, 5, 5]), { fanIn: 75, fanOut: 200 });
  assert.throws(() => init.computeFans([3]), /computeFans/);
});

test('xavierUniform: within gain * sqrt(6 / (fanIn + fanOut)) and variance 2 gain^2 / (fanIn + fanOut)', () => {
  const gain = 1.5;
  const w = init.xavierUniform(zeros([200, 100], { dtype: 'float64' }), new Rng(1), gain);
  const bound = gain * Math.sqrt(6 / 300);
  const m = moments(w.data);
  assert.ok(m.min >= -bound && m.max <= bound);
  assert.ok(m.max > 0.99 * bound && m.min < -0.99 * bound, 'fills the whole interval');
  const expected = (gain * gain * 2) / 300; // = bound^2 / 3
  assert.ok(Math.abs(m.variance / expected - 1) < 0.03, `variance ${m.variance} vs ${expected}`);
  assert.ok(Math.abs(m.mean) < 0.01);
});

test('xavierNormal variance 2 gain^2 / (fanIn + fanOut)', () => {
  const w = init.xavierNormal(zeros([200, 100], { dtype: 'float64' }), new Rng(2));
  const m = moments(w.data);
  assert.ok(Math.abs(m.variance / (2 / 300) - 1) < 0.03, `variance ${m.variance}`);
});

test('kaimingUniform bound gain * sqrt(3 / fanIn); kaimingNormal variance gain^2 / fan', () => {
  const w = init.kaimingUniform(zeros([300, 64], { dtype: 'float64' }), new Rng(5));
  const bound = Math.SQRT2 * Math.sqrt(3 / 64);
  const m = moments(w.data);
  assert.ok(m.min >= -bound && m.max <= bound && m.max > 0.99 * bound);
  const n = init.kaimingNormal(zeros([64, 300], { dtype: 'float64' }), new Rng(6), { mode: 'fanOut', gain: 1 });
  assert.ok(Math.abs(moments(n.data).variance * 64 - 1) < 0.03);
});

test('uniform, normal, constant, zeros, ones', () => {
  const u = init.uniform(zeros([10000], { dtype: 'float64' }), new Rng(0), 2, 3);
  const mu = moments(u.data);
  assert.ok(mu.min >= 2 && mu.max < 3 && Math.abs(mu.mean - 2.5) < 0.01);
  const n = init.normal(zeros([10000], { dtype: 'float64' }), new Rng(0), -1, 0.5);
  const mn = moments(n.data);
  assert.ok(Math.abs(mn.mean + 1) < 0.02 && Math.abs(Math.sqrt(mn.variance) - 0.5) < 0.02);
  assert.deepEqual([...init.constant(zeros([3]), 0.5).data], [0.5, 0.5, 0.5]);
  assert.deepEqual([...init.ones(zeros([2])).data], [1, 1]);
  assert.deepEqual([...init.zeros(init.ones(zeros([2]))).data], [0, 0]);
  assert.throws(() => init.normal(zeros([2]), new Rng(0), 0, -1), /std must be non-negative/);
});

test('same seed, same values, for every random initialiser', () => {
  const fns = [
    (t: Tensor, r: Rng) => init.uniform(t, r, -1, 1),
    (t: Tensor, r: Rng) => init.normal(t, r),
    (t: Tensor, r: Rng) => init.xavierUniform(t, r),
    (t: Tensor, r: Rng) => init.xavierNormal(t, r),
    (t: Tensor, r: Rng) => init.kaimingUniform(t, r),
    (t: Tensor, r: Rng) => init.kaimingNormal(t, r),
    (t: Tensor, r: Rng) => init.orthogonal(t, r),
  ];
  for (const fn of fns) {
    assert.deepEqual(fn(zeros([5, 3]), new Rng(11)).data, fn(zeros([5, 3]), new Rng(11)).data);
  }
});
