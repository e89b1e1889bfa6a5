import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Rng, ShapeError, Tensor, broadcastShapes, randn, tensor, zeros } from './index.js';

test('tensor reads shape and values off nested arrays', () => {
  const t = tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.equal(t.get(1, 2), 6);
  assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
  assert.equal(tensor(2.5, { dtype: 'float64' }).item(), 2.5);
});

test('ragged arrays, bad shapes and bad indices are typed errors', () => {
  assert.throws(() => tensor([[1, 2], [3]]), ArgumentError);
  assert.throws(() => zeros([2, -1]), ArgumentError);
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), ShapeError);
  assert.throws(() => tensor([1, 2]).get(2), /out of range/);
});

test('broadcastShapes follows NumPy and names the op on failure', () => {
  assert.deepEqual(broadcastShapes('add', [2, 1, 4], [3, 1]), [2, 3, 4]);
  assert.throws(() => broadcastShapes('add', [2, 3], [4]), (e: unknown) => e instanceof ShapeError && e.message === 'add: shapes cannot be broadcast together: [2,3] vs [4]');
});

test('Rng: same seed, same stream; fixed reference values guard cross-machine reproducibility', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const first = [a.nextUint32(), a.nextUint32(), a.nextUint32()];
  assert.deepEqual(first, [b.nextUint32(), b.nextUint32(), b.nextUint32()]);
  // Pinned: if the generator ever changes, every seeded experiment changes with it.
  assert.deepEqual(first, [2837322924, 544945897, 479756282]);
  const c = new Rng(7);
  const values = [c.uniform(), c.uniform(), c.normal(), c.int(10)];
  const d = new Rng(7);
  assert.deepEqual([d.uniform(), d.uniform(), d.normal(), d.int(10)], values);
  assert.notDeepEqual(new Rng(8).uniform(), values[0]);
});

test('Rng state round-trips mid-stream, including the cached normal', () => {
  const a = new Rng(3);
  a.normal();
  const saved = a.getState();
  const expected = [a.normal(), a.uniform(), a.normal()];
  const b = Rng.fromState(JSON.parse(JSON.stringify(saved)) as typeof saved);
  assert.deepEqual([b.normal(), b.uniform(), b.normal()], expected);
});

test('Rng statistics: uniform mean 1/2, normal mean 0 variance 1, int unbiased', () => {
  const rng = new Rng(11);
  const n = 200000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  const counts = new Array<number>(5).fill(0);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    su += u;
    const z = rng.normal();
    sn += z;
    sn2 += z * z;
    counts[rng.int(5)]! += 1;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.005);
  assert.ok(Math.abs(sn / n) < 0.01);
  assert.ok(Math.abs(sn2 / n - 1) < 0.02);
  for (const c of counts) assert.ok(Math.abs(c / n - 0.2) < 0.005);
});

test('randn respects dtype and seed', () => {
  const x = randn([3, 4], new Rng(5), { dtype: 'float64' });
  const y = randn([3, 4], new Rng(5), { dtype: 'float64' });
  assert.equal(x.dtype, 'float64');
  assert.deepEqual(Array.from(x.data), Array.from(y.data));
});
