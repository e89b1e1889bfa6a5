import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, Tensor, tensor, zeros } from '../tensor/index.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

/** theta0 and the two gradients every reference case uses. */
const THETA0 = [1, -2];
const GRADS = [[0.5, -1], [-0.25, 0.75]];

interface Reference {
  readonly label: string;
  readonly make: (params: Tensor[]) => Optimizer;
  /** theta after step 1 and after step 2. */
  readonly expected: readonly [readonly number[], readonly number[]];
}

// Expected values were computed from the update formulas in each class's doc comment (and
// PyTorch's torch/optim sources) by a separate scalar Python script written for this test,
// not by this library. Step-1 derivations are given where short.
const REFERENCES: Reference[] = [
  {
    // theta - lr g: 1 - 0.1 * 0.5 = 0.95; then 0.95 + 0.025 = 0.975.
    label: 'SGD lr 0.1',
    make: (ps) => new SGD(ps, { lr: 0.1 }),
    expected: [[0.95, -1.9], [0.975, -1.9749999999999999]],
  },
  {
    // d = g + 0.01 theta = 0.51; b = d (undamped on step 1); 1 - 0.1 * 0.51 = 0.949.
    label: 'SGD momentum 0.9 dampening 0.1 weightDecay 0.01',
    make: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
    expected: [[0.949, -1.898], [0.9247459, -1.8719918]],
  },
  {
    // b = g = 0.5; d = g + 0.9 b = 0.95; 1 - 0.095 = 0.905.
    label: 'SGD Nesterov momentum 0.9',
    make: (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }),
    expected: [[0.905, -1.81], [0.912, -1.8715000000000002]],
  },
  {
    // g' = 0.5 + 0.1 * 1 = 0.6; bias-corrected m = 0.6, sqrt(v) = 0.6: 1 - 0.01 * 0.6 / (0.6 + 1e-8).
    label: 'Adam weightDecay 0.1 (L2)',
    make: (ps) => new Adam(ps, { lr: 0.01, weightDecay: 0.1 }),
    expected: [[0.9900000001666667, -1.9900000000833333], [0.9853191993058599, -1.987017610870884]],
  },
  {
    // beta2 = 0.5 makes v fall on step 2 for element 0 (0.125 -> 0.09375), so vmax differs from v there.
    label: 'Adam amsgrad betas [0.8, 0.5]',
    make: (ps) => new Adam(ps, { lr: 0.01, betas: [0.8, 0.5], amsgrad: true }),
    expected: [[0.9900000002, -1.9900000001], [0.9879587587976807, -1.9896699509229294]],
  },
  {
    label: 'Adam betas [0.8, 0.5] without amsgrad (element 0 differs from the amsgrad case)',
    make: (ps) => new Adam(ps, { lr: 0.01, betas: [0.8, 0.5] }),
    expected: [[0.9900000002, -1.9900000001], [0.9876429776627115, -1.9896699509229294]],
  },
  {
    // theta (1 - 0.01 * 0.1) = 0.999, then - 0.01 * 0.5 / (0.5 + 1e-8).
    label: 'AdamW weightDecay 0.1 (decoupled)',
    make: (ps) => new AdamW(ps, { lr: 0.01, weightDecay: 0.1 }),
    expected: [[0.9890000002, -1.9880000001], [0.9853476298705847, -1.9851187500359535]],
  },
  {
    // v = 0.1 * 0.25 = 0.025; 1 - 0.01 * 0.5 / (sqrt(0.025) + 1e-8).
    label: 'RMSprop alpha 0.9',
    make: (ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.9 }),
    expected: [[0.968377225398316, -1.9683772243983162], [0.9831214201442406, -1.9879888373993142]],
  },
  {
    // g' = 0.6; v = 0.036, gbar = 0.06, d = sqrt(0.036 - 0.0036) + 1e-8 = 0.18 + 1e-8; b = g'/d; 1 - 0.01 b.
    label: 'RMSprop centred, momentum 0.5, weightDecay 0.1',
    make: (ps) => new RMSprop(ps, { lr: 0.01, alpha: 0.9, momentum: 0.5, centered: true, weightDecay: 0.1 }),
    expected: [[0.9666666685185185, -1.9666666675925926], [0.958408173998616, -1.9639451698459185]],
  },
  {
    // g' = 0.5 + 0.05 = 0.55; s = 0.1 + 0.3025; 1 - 0.1 * 0.55 / sqrt(0.4025); step 2 uses lr / 1.5.
    label: 'Adagrad lrDecay 0.5, initialAccumulatorValue 0.1, weightDecay 0.05',
    make: (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.5, initialAccumulatorValue: 0.1, weightDecay: 0.05 }),
    expected: [[0.9133078553273635, -1.9038925537756828], [0.933745726798047, -1.9369980343088735]],
  },
];

function close(actual: ArrayLike<number>, expected: readonly number[], tol: number, label: string): void {
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${label}[${i}]: ${a} vs ${e}`);
  }
}

for (const ref of REFERENCES) {
  test(`${ref.label}: two steps match hand-computed values`, () => {
    const theta = tensor(THETA0, { dtype: 'float64', requiresGrad: true });
    const opt = ref.make([theta]);
    for (let s = 0; s < 2; s++) {
      theta.grad = tensor(GRADS[s] as number[], { dtype: 'float64' });
      opt.step();
      close(theta.data, ref.expected[s] as readonly number[], 1e-12, `${ref.label} step ${s + 1}`);
    }
  });
}

test('float32 parameters keep float32 state and agree with the float64 reference to float32 precision', () => {
  const theta = tensor(THETA0, { requiresGrad: true });
  const opt = new Adam([theta], { lr: 0.01, weightDecay: 0.1 });
  for (const g of GRADS) {
    theta.grad = tensor(g);
    opt.step();
  }
  close(theta.data, [0.9853191993058599, -1.987017610870884], 1e-6, 'float32 Adam');
  assert.ok(opt.state().params[0]?.buffers.expAvg instanceof Float32Array);
});

test('a parameter without a gradient is skipped and its step count does not advance', () => {
  const a = tensor([1], { dtype: 'float64', requiresGrad: true });
  const b = tensor([1], { dtype: 'float64', requiresGrad: true });
  const opt = new Adam([a, b], { lr: 0.1 });
  a.grad = tensor([1], { dtype: 'float64' });
  opt.step();
  assert.equal(b.data[0], 1);
  assert.deepEqual(opt.state().params.map((p) => p.step), [1, 0]);
  assert.deepEqual(Object.keys(opt.state().params[1]?.buffers ?? {}), []);
});

test('lr is settable between steps (schedules) and validated', () => {
  const theta = tensor([1], { dtype: 'float64', requiresGrad: true });
  const opt = new SGD([theta], { lr: 0.1 });
  theta.grad = tensor([1], { dtype: 'float64' });
  opt.step();
  opt.lr = 0.01;
  opt.step();
  close(theta.data, [1 - 0.1 - 0.01], 1e-15, 'scheduled SGD');
  assert.throws(() => { opt.lr = -1; }, /lr must be a finite number >= 0, got -1/);
  assert.throws(() => { opt.lr = Number.NaN; }, /lr must be/);
});

test('constructors validate their hyperparameters and parameters', () => {
  const p = zeros([2], { requiresGrad: true });
  assert.throws(() => new SGD([p], { nesterov: true }), /Nesterov momentum needs momentum > 0 and dampening 0/);
  assert.throws(() => new Adam([p], { betas: [1, 0.999] }), /Adam: beta1 must be in \[0, 1\), got 1/);
  assert.throws(() => new AdamW([p], { eps: -1 }), /AdamW: eps must be/);
  assert.throws(() => new RMSprop([p], { alpha: 1.5 }), /RMSprop: alpha must be in/);
  assert.throws(() => new Adagrad([p], { lrDecay: -0.1 }), /Adagrad: lrDecay/);
  assert.throws(() => new SGD([zeros([2])]), /parameter 0 does not require gradients/);
  assert.throws(() => new SGD([p, p]), /parameter 1 appears twice/);
  assert.throws(() => new SGD([]), /empty parameter list/);
});

/** Optimizers with every buffer in use, for the round-trip test. */
const FULL: readonly [string, (ps: Tensor[]) => Optimizer][] = [
  ['SGD', (ps) => new SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 })],
  ['Adam', (ps) => new Adam(ps, { lr: 0.01, amsgrad: true, weightDecay: 1e-3 })],
  ['AdamW', (ps) => new AdamW(ps, { lr: 0.01 })],
  ['RMSprop', (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.9, centered: true })],
  ['Adagrad', (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.01, initialAccumulatorValue: 0.1 })],
];

for (const [name, make] of FULL) {
  test(`${name}: state() then loadState() into a fresh optimizer continues identically`, () => {
    const rng = new Rng(3);
    const grads = Array.from({ length: 6 }, () => [Array.from({ length: 6 }, () => rng.normal()), Array.from({ length: 3 }, () => rng.normal())]);
    const fresh = (): Tensor[] => [
      new Tensor(Float32Array.from({ length: 6 }, (_, i) => i / 6 - 0.5), [2, 3], true),
      new Tensor(Float32Array.from([0.1, -0.2, 0.3]), [3], true),
    ];
    const run = (opt: Optimizer, ps: Tensor[], from: number, to: number): void => {
      for (let s = from; s < to; s++) {
        ps.forEach((p, i) => { p.grad = new Tensor(Float32Array.from(grads[s]?.[i] ?? []), p.shape); });
        opt.step();
      }
    };
    const psA = fresh();
    const a = make(psA);
    run(a, psA, 0, 6);

    const psB = fresh();
    const b = make(psB);
    run(b, psB, 0, 3);
    // Through JSON for everything but the typed arrays, as a checkpoint would store it.
    const snapshot = b.state();
    const json = JSON.parse(JSON.stringify({ kind: snapshot.kind, hyperparameters: snapshot.hyperparameters, steps: snapshot.params.map((p) => p.step) })) as
      { kind: string; hyperparameters: { lr: number } & Record<string, number | boolean>; steps: number[] };
    const restoredState = {
      kind: json.kind,
      hyperparameters: json.hyperparameters,
      params: json.steps.map((step, i) => ({ step, buffers: snapshot.params[i]?.buffers ?? {} })),
    };
    const psC = psB.map((p) => new Tensor(p.data.slice(), p.shape, true));
    const c = make(psC);
    c.lr = 123; // overwritten by loadState, as PyTorch's load_state_dict restores lr
    c.loadState(restoredState);
    assert.equal(c.lr, b.lr);
    // The snapshot is a copy: stepping b must not change what c loaded.
    run(b, psB, 3, 6);
    run(c, psC, 3, 6);
    psA.forEach((p, i) => {
      assert.deepEqual(psC[i]?.data, p.data);
      assert.deepEqual(psB[i]?.data, p.data);
    });
  });
}

test('loadState refuses a snapshot of another kind, size or shape, and changes nothing', () => {
  const p = tensor([1, 2], { requiresGrad: true });
  const adam = new Adam([p]);
  p.grad = tensor([1, 1]);
  adam.step();
  const s = adam.state();
  const sgd = new SGD([p]);
  assert.throws(() => sgd.loadState(s), /SGD\.loadState: snapshot is of a Adam optimizer/);
  const other = new Adam([tensor([1, 2, 3], { requiresGrad: true })]);
  assert.throws(() => other.loadState(s), /buffer expAvg has 2 elements, the parameter 3/);
  assert.equal(other.state().params[0]?.step, 0);
  const two = new Adam([p, tensor([1], { requiresGrad: true })]);
  assert.throws(() => two.loadState(s), /snapshot has 1 parameters, this optimizer has 2/);
  const bad = { ...s, hyperparameters: { ...s.hyperparameters, beta1: 'x' as unknown as number } };
  assert.throws(() => new Adam([p]).loadState(bad), /hyperparameter beta1 is missing or has the wrong type/);
  const extra = { ...s, hyperparameters: { ...s.hyperparameters, foo: 1 } };
  assert.throws(() => new Adam([p]).loadState(extra), /unknown hyperparameter foo/);
});

test('zeroGrad on the optimizer clears or zero-fills', () => {
  const p = tensor([1, 2], { requiresGrad: true });
  const opt = new SGD([p]);
  p.grad = tensor([3, 4]);
  opt.zeroGrad(false);
  assert.deepEqual([...(p.grad?.data ?? [])], [0, 0]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
});
