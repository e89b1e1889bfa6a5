import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { sum } from '../ops/index.js';
import { scan } from '../sequence/scan.js';
import { ArgumentError, Rng, Tensor, randn } from '../tensor/index.js';
import { ClockworkCell } from './clockwork-cell.js';

/** scripts/golden_cells.py's pattern: 0.5 sin(0.37 k + 1.3 p + 0.1) over the flat index k. */
function pattern(shape: readonly number[], p: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: n }, (_, k) => 0.5 * Math.sin(0.37 * k + 1.3 * p + 0.1)), shape);
}

test('clockwork cell matches the NumPy reference (scripts/golden_cells.py, clockwork)', () => {
  const cell = new ClockworkCell({ inputSize: 2, hiddenSize: 5, periods: [1, 2, 3], dtype: 'float64' }, new Rng(0));
  assert.deepEqual(cell.unitPeriods, [1, 1, 2, 2, 3]);
  // The pattern fills the masked entries of W too: the forward must ignore them.
  cell.parameters().forEach((t, p) => t.data.set(pattern(t.shape, p).data));
  const { outputs } = scan(cell, pattern([2, 7, 2], 100));
  // clockwork (periods 1,2,3 over H=5, T=7) outputs [B,T,H] printed by scripts/golden_cells.py
  const expected = [
    -0.29263640036853766, -0.6896016002869341, -0.8070628948158516, -0.7839766312955818, -0.6287794961603405, -0.8849062232244291,
    0.38052164937690264, -0.8070628948158516, -0.7839766312955818, -0.6287794961603405, -0.7915189178521889, 0.41695521926998647,
    -0.5552978846145806, -0.9546400277910629, -0.6287794961603405, -0.6971121294682963, 0.6096563332715582, -0.5552978846145806,
    -0.9546400277910629, -0.5327600483467448, -0.5775691402355576, 0.6554539595528094, -0.1146418902743047, -0.8981394150826091,
    -0.5327600483467448, -0.3768827225436535, 0.4934775027520994, -0.1146418902743047, -0.8981394150826091, -0.5327600483467448,
    -0.42825353217754775, 0.3283642598627073, -0.45875043278119093, -0.8799553573238003, -0.5310046292690067, -0.22579030034382586,
    -0.533620854182021, -0.6740094024837809, -0.6982101873179272, -0.6390703272549919, -0.8452554668035064, 0.2212107383022816,
    -0.6740094024837809, -0.6982101873179272, -0.6390703272549919, -0.8246376166824981, 0.06578681502751695, -0.7722703233705424,
    -0.9634872553773625, -0.6390703272549919, -0.8585109090493509, 0.42107770241285286, -0.7722703233705424, -0.9634872553773625,
    -0.49144275274491417, -0.7667313792879429, 0.5301908910356405, -0.40470451848337974, -0.9454610396919575, -0.49144275274491417,
    -0.5894600384850903, 0.580233091872337, -0.40470451848337974, -0.9454610396919575, -0.49144275274491417, -0.5008837616125522,
    0.613203784120276, -0.12490902070303085, -0.8745891018859461, -0.5736729118323405,
  ];
  outputs.data.forEach((v, i) => assert.ok(Math.abs(v - (expected[i] as number)) < 1e-14, `output ${i}: ${v}`));
});

test('a module of period 4 changes only at t = 0, 4, 8, ... (period 2 at even t, period 1 always)', () => {
  const cell = new ClockworkCell({ inputSize: 3, hiddenSize: 6, periods: [1, 2, 4], dtype: 'float64' }, new Rng(1));
  const steps = 13;
  const { outputs, finalState } = scan(cell, randn([2, steps, 3], new Rng(2), { dtype: 'float64' }));
  for (let b = 0; b < 2; b++) {
    for (let t = 0; t < steps; t++) {
      for (let u = 0; u < 6; u++) {
        const before = t === 0 ? 0 : outputs.get(b, t - 1, u);
        const changed = outputs.get(b, t, u) !== before;
        const period = cell.unitPeriods[u] as number;
        assert.equal(changed, t % period === 0, `example ${b}, unit ${u} (period ${period}), t = ${t}`);
      }
    }
  }
  assert.deepEqual(Array.from(finalState.clock.data), [steps, steps]);
});

test('masked recurrent weights (fast -> slow) get exactly zero gradient; allowed ones do not', () => {
  const cell = new ClockworkCell({ inputSize: 2, hiddenSize: 6, periods: [1, 2, 4], dtype: 'float64' }, new Rng(3));
  // Block upper triangular over modules of 2 units: row (receiver) period <= column (sender) period.
  const expectedMask = [
    [1, 1, 1, 1, 1, 1],
    [1, 1, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1],
    [0, 0, 1, 1, 1, 1],
    [0, 0, 0, 0, 1, 1],
    [0, 0, 0, 0, 1, 1],
  ];
  assert.deepEqual(cell.recurrentMask.toArray(), expectedMask);
  assert.ok(!cell.parameters().includes(cell.recurrentMask));
  backward(sum(scan(cell, randn([2, 9, 2], new Rng(4), { dtype: 'float64' })).outputs));
  const grad = cell.weightHh.grad as Tensor;
  for (let r = 0; r < 6; r++) {
    for (let c = 0; c < 6; c++) {
      const g = grad.get(r, c);
      if (expectedMask[r]?.[c] === 0) {
        assert.equal(g, 0, `masked W[${r},${c}]`);
        assert.equal(cell.weightHh.get(r, c), 0, 'masked weights start at zero');
      } else {
        assert.notEqual(g, 0, `allowed W[${r},${c}]`);
      }
    }
  }
});

test('slow modules do not hear fast ones: changing the fast units of h(0) leaves the slowest module untouched', () => {
  const cell = new ClockworkCell({ inputSize: 2, hiddenSize: 4, periods: [1, 3], dtype: 'float64' }, new Rng(5));
  const xs = randn([1, 7, 2], new Rng(6), { dtype: 'float64' });
  const start = (fast: number): { h: Tensor; clock: Tensor } => ({
    h: new Tensor(Float64Array.from([fast, -fast, 0.3, -0.2]), [1, 4]),
    clock: cell.initialState(1).clock,
  });
  const a = scan(cell, xs, { initialState: start(0.9) }).outputs;
  const b = scan(cell, xs, { initialState: start(-0.5) }).outputs;
  for (let t = 0; t < 7; t++) {
    for (const u of [2, 3]) assert.equal(a.get(0, t, u), b.get(0, t, u));
    assert.notEqual(a.get(0, t, 0), b.get(0, t, 0));
  }
});

test('clockwork defaults and config errors', () => {
  const cell = new ClockworkCell({ inputSize: 2, hiddenSize: 10 }, new Rng(0));
  assert.deepEqual(cell.periods, [1, 2, 4, 8]);
  assert.deepEqual(cell.unitPeriods, [1, 1, 1, 2, 2, 2, 4, 4, 8, 8]);
  assert.deepEqual(new ClockworkCell({ inputSize: 2, hiddenSize: 6, modules: 3 }, new Rng(0)).periods, [1, 2, 4]);
  assert.throws(() => new ClockworkCell({ inputSize: 2, hiddenSize: 2, modules: 3 }, new Rng(0)), ArgumentError);
  assert.throws(() => new ClockworkCell({ inputSize: 2, hiddenSize: 4, periods: [1, 0] }, new Rng(0)), /periods\[1\] = 0/);
  assert.throws(() => new ClockworkCell({ inputSize: 2, hiddenSize: 4, periods: [1, 2], modules: 3 }, new Rng(0)), /modules = 3 but periods has 2/);
});
