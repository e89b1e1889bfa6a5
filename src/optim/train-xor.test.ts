import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { Linear, Module } from '../nn/index.js';
import { mse, tanh } from '../ops/index.js';
import { Rng, Tensor, tensor, type DType } from '../tensor/index.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import { clipGradNorm } from './clip.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

/** y = W2 tanh(W1 x + b1) + b2: a 2-8-1 network. */
class Mlp extends Module {
  readonly hidden: Linear;
  readonly out: Linear;
  constructor(rng: Rng, dtype: DType) {
    super();
    this.hidden = new Linear({ inFeatures: 2, outFeatures: 8, dtype, rng });
    this.out = new Linear({ inFeatures: 8, outFeatures: 1, dtype, rng });
  }
  forward(x: Tensor): Tensor {
    return this.out.forward(tanh(this.hidden.forward(x)));
  }
}

/** XOR-like data: the four corners of [-1, 1]^2 plus jittered copies, target 1 when the signs differ. */
function xorData(dtype: DType): { x: Tensor; y: Tensor } {
  const rng = new Rng(99);
  const xs: number[][] = [];
  const ys: number[][] = [];
  for (let copy = 0; copy < 8; copy++) {
    for (const [a, b] of [[-1, -1], [-1, 1], [1, -1], [1, 1]] as const) {
      const jitter = copy === 0 ? 0 : 0.1;
      xs.push([a + jitter * rng.uniformRange(-1, 1), b + jitter * rng.uniformRange(-1, 1)]);
      ys.push([a * b < 0 ? 1 : 0]);
    }
  }
  return { x: tensor(xs, { dtype }), y: tensor(ys, { dtype }) };
}

const STEPS = 200;
const THRESHOLD = 0.01;

const CASES: readonly [string, (m: Module) => Optimizer, DType][] = [
  ['SGD', (m) => new SGD(m, { lr: 0.2 }), 'float32'],
  ['SGD + momentum + Nesterov', (m) => new SGD(m, { lr: 0.05, momentum: 0.9, nesterov: true }), 'float64'],
  ['Adam', (m) => new Adam(m, { lr: 0.05 }), 'float32'],
  ['Adam amsgrad', (m) => new Adam(m, { lr: 0.05, amsgrad: true }), 'float64'],
  ['AdamW', (m) => new AdamW(m, { lr: 0.05, weightDecay: 1e-2 }), 'float32'],
  ['RMSprop', (m) => new RMSprop(m, { lr: 0.01 }), 'float32'],
  ['RMSprop centred + momentum (Graves)', (m) => new RMSprop(m, { lr: 0.005, alpha: 0.95, momentum: 0.9, centered: true }), 'float64'],
  ['Adagrad', (m) => new Adagrad(m, { lr: 0.1 }), 'float32'],
];

for (const [name, make, dtype] of CASES) {
  test(`${name} trains a 2-8-1 tanh MLP on XOR to MSE < ${THRESHOLD} within ${STEPS} steps (${dtype})`, () => {
    const model = new Mlp(new Rng(1), dtype);
    const opt = make(model);
    const { x, y } = xorData(dtype);
    let first = NaN;
    let loss = NaN;
    for (let step = 0; step < STEPS; step++) {
      opt.zeroGrad();
      const l = mse(model.forward(x), y);
      loss = l.item();
      if (step === 0) first = loss;
      if (loss < THRESHOLD) break;
      backward(l);
      const norm = clipGradNorm(model, 10);
      assert.ok(Number.isFinite(norm));
      opt.step();
    }
    assert.ok(loss < THRESHOLD, `${name}: loss ${loss} after ${STEPS} steps (started at ${first})`);
  });
}
