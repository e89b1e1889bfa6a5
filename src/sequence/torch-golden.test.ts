// Golden values from PyTorch (issue 3). The fixtures in test/fixtures/torch/ were written
// by scripts/torch-fixtures.py (run it with /usr/bin/python3, which has python3-torch);
// each records the torch version that produced it. Every case loads PyTorch's weights by
// name, runs forward from PyTorch's lengths and initial states, back-propagates the same
// scalar loss and compares outputs, final states and every gradient.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { createCell, type CellState } from '../cells/index.js';
import type { Cell } from '../cells/cell.js';
import { GRUCell } from '../cells/gru-cell.js';
import { LSTMCell } from '../cells/lstm-cell.js';
import type { Module } from '../nn/index.js';
import { add, mul, sum } from '../ops/index.js';
import { ArgumentError, Rng, ShapeError, Tensor, allocate, type DType } from '../tensor/index.js';
import { Recurrent, type AnyRecurrentConfig, type RecurrentConfig } from './recurrent.js';
import {
  loadTorchCellWeights, loadTorchStateDict, toTorchCellWeights, toTorchStateDict, torchCellNamedParameters, torchNamedParameters,
  type TorchTensorData,
} from './torch-weights.js';
import { FIXTURE_TOLERANCE, leaf, lossDiff, maxDiff, replayScan } from '../test-support/cell-fixtures.js';

interface Fixture {
  readonly torch: string;
  readonly name: string;
  readonly module: string;
  readonly config: {
    readonly cell: 'rnn' | 'lstm' | 'gru';
    readonly inputSize: number;
    readonly hiddenSize: number;
    readonly numLayers: number;
    readonly bidirectional: boolean;
    readonly bias: boolean;
    readonly projSize: number;
    readonly nonlinearity: 'tanh' | 'relu' | null;
    readonly singleCell: boolean;
  };
  readonly packed: boolean;
  readonly lengths: number[] | null;
  readonly stateDict: Record<string, TorchTensorData>;
  readonly input: TorchTensorData;
  /** [layers * dirs, B, H_out] for layers (PyTorch's layout); [B, H] for single cells. */
  readonly h0: TorchTensorData | null;
  readonly c0: TorchTensorData | null;
  readonly output: TorchTensorData;
  readonly hN: TorchTensorData;
  readonly cN: TorchTensorData | null;
  readonly lossWeights: { readonly output: TorchTensorData; readonly hN: TorchTensorData; readonly cN?: TorchTensorData };
  readonly loss: number;
  readonly grad: {
    readonly input: TorchTensorData;
    readonly h0: TorchTensorData | null;
    readonly c0: TorchTensorData | null;
    readonly stateDict: Record<string, TorchTensorData>;
  };
}

const fixtureDir = new URL('../../test/fixtures/torch/', import.meta.url);
const fixtures: Fixture[] = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(new URL(f, fixtureDir), 'utf8')) as Fixture);

// The issue asks for 1e-5; float64 shows the maths is the same, not merely close. Fixture
// results are stored with 14 significant digits, which 1e-10 leaves room for.
const TOLERANCE = FIXTURE_TOLERANCE;

/** Entry k of the leading axis of PyTorch's [layers * dirs, B, H] as a [B, H] tensor. */
function slab(t: TorchTensorData, k: number, dtype: DType, requiresGrad = false): Tensor {
  const [, b, h] = t.shape as [number, number, number];
  const data = allocate(dtype, b * h);
  for (let i = 0; i < b * h; i++) data[i] = t.data[k * b * h + i] as number;
  return new Tensor(data, [b, h], requiresGrad);
}

/** The same slab as plain data, for comparing a [B, H] result with its part of h_n. */
function slabData(t: TorchTensorData, k: number): TorchTensorData {
  const [, b, h] = t.shape as [number, number, number];
  return { shape: [b, h], data: Array.from(t.data).slice(k * b * h, (k + 1) * b * h) };
}

// Each config is built under its own kind's type, so its cellOptions are checked against that kind.
function recurrentConfig(fx: Fixture, dtype: DType): AnyRecurrentConfig {
  const c = fx.config;
  const base = { inputSize: c.inputSize, hiddenSize: c.hiddenSize, numLayers: c.numLayers, bidirectional: c.bidirectional, dtype };
  switch (c.cell) {
    case 'rnn': {
      const config: RecurrentConfig<'rnn'> = { ...base, cell: 'rnn', cellOptions: { bias: c.bias, nonlinearity: c.nonlinearity ?? 'tanh' } };
      return config;
    }
    case 'lstm': {
      const config: RecurrentConfig<'lstm'> = { ...base, cell: 'lstm', cellOptions: { bias: c.bias, projSize: c.projSize } };
      return config;
    }
    case 'gru': {
      const config: RecurrentConfig<'gru'> = { ...base, cell: 'gru', cellOptions: { bias: c.bias } };
      return config;
    }
  }
}

interface Run {
  /** Every compared quantity with its max abs difference from PyTorch. */
  readonly diffs: Map<string, number>;
}

/** A whole nn.RNN / LSTM / GRU case through `Recurrent`. */
function runLayers(fx: Fixture, dtype: DType): Run {
  const diffs = new Map<string, number>();
  const c = fx.config;
  const net = new Recurrent(recurrentConfig(fx, dtype), new Rng(0));
  loadTorchStateDict(net, fx.stateDict);
  const dirs = c.bidirectional ? 2 : 1;
  const xs = leaf(fx.input, dtype, true);

  // PyTorch stacks initial states as [layers * dirs, B, H] with index layer * dirs + dir;
  // unfold takes a { forward, backward } state per layer.
  const h0: Tensor[] = [];
  const c0: Tensor[] = [];
  let initialStates: { forward: CellState; backward?: CellState }[] | undefined;
  if (fx.h0 !== null) {
    const states: CellState[] = [];
    for (let k = 0; k < c.numLayers * dirs; k++) {
      h0.push(slab(fx.h0, k, dtype, true));
      if (fx.c0 !== null) c0.push(slab(fx.c0, k, dtype, true));
      const state: CellState = fx.c0 === null ? { h: h0[k] as Tensor } : { h: h0[k] as Tensor, c: c0[k] as Tensor };
      states.push(state);
    }
    initialStates = Array.from({ length: c.numLayers }, (_, l) => {
      const forward = states[l * dirs] as CellState;
      return dirs === 2 ? { forward, backward: states[l * dirs + 1] as CellState } : { forward };
    });
  }
  const result = net.forward(xs, {
    ...(fx.lengths === null ? {} : { lengths: fx.lengths }),
    ...(initialStates === undefined ? {} : { initialStates }),
  });

  diffs.set('output', maxDiff('output', result.outputs, fx.output));
  let loss = sum(mul(result.outputs, leaf(fx.lossWeights.output, dtype)));
  result.finalStates.forEach((s, l) => {
    const perDir = dirs === 2 ? [s.forward, s.backward] : [s.forward];
    perDir.forEach((state, d) => {
      assert.ok(state !== undefined, `layer ${l}: no final state for direction ${d}`);
      const k = l * dirs + d;
      const h = state['h'] as Tensor;
      diffs.set(`h_n[${k}]`, maxDiff(`h_n[${k}]`, h, slabData(fx.hN, k)));
      loss = add(loss, sum(mul(h, slab(fx.lossWeights.hN, k, dtype))));
      if (fx.cN !== null && fx.lossWeights.cN !== undefined) {
        const cs = state['c'] as Tensor;
        diffs.set(`c_n[${k}]`, maxDiff(`c_n[${k}]`, cs, slabData(fx.cN, k)));
        loss = add(loss, sum(mul(cs, slab(fx.lossWeights.cN, k, dtype))));
      }
    });
  });
  diffs.set('loss', lossDiff(loss.item(), fx.loss));

  backward(loss);
  diffs.set('d input', maxDiff('d input', xs.grad, fx.grad.input));
  h0.forEach((t, k) => diffs.set(`d h0[${k}]`, maxDiff(`d h0[${k}]`, t.grad, slabData(fx.grad.h0 as TorchTensorData, k))));
  c0.forEach((t, k) => diffs.set(`d c0[${k}]`, maxDiff(`d c0[${k}]`, t.grad, slabData(fx.grad.c0 as TorchTensorData, k))));
  const params = torchNamedParameters(net);
  assert.deepEqual([...params.keys()], Object.keys(fx.grad.stateDict), 'parameter names and order');
  for (const [name, p] of params) diffs.set(`d ${name}`, maxDiff(`d ${name}`, p.grad, fx.grad.stateDict[name] as TorchTensorData));
  return { diffs };
}

/** nn.RNNCell / LSTMCell / GRUCell unrolled by hand in Python; here `scan` over the cell. */
function runCell(fx: Fixture, dtype: DType): Run {
  const c = fx.config;
  const config = { inputSize: c.inputSize, hiddenSize: c.hiddenSize, dtype, bias: c.bias, ...(c.nonlinearity === null ? {} : { nonlinearity: c.nonlinearity }) };
  const cell = createCell(c.cell, config, new Rng(0)) as Cell & Module;
  loadTorchCellWeights(cell, fx.stateDict);
  // A single cell always has its initial states (only whole layers may start from zero).
  const diffs = replayScan(cell, { ...fx, h0: fx.h0 as TorchTensorData, grad: { ...fx.grad, h0: fx.grad.h0 as TorchTensorData } }, dtype);
  const params = torchCellNamedParameters(cell);
  assert.deepEqual([...params.keys()], Object.keys(fx.grad.stateDict), 'parameter names and order');
  for (const [name, p] of params) diffs.set(`d ${name}`, maxDiff(`d ${name}`, p.grad, fx.grad.stateDict[name] as TorchTensorData));
  return { diffs };
}

test('the PyTorch fixtures are all there', () => {
  // 5 layer kinds x {1, 2} layers x {uni, bi}, 3 extra layer cases, 4 single cells.
  assert.equal(fixtures.length, 27);
  for (const fx of fixtures) assert.match(fx.torch, /^\d+\.\d+/, `${fx.name} records its torch version`);
});

const worst: Record<DType, { diff: number; where: string }> = { float64: { diff: 0, where: '' }, float32: { diff: 0, where: '' } };

for (const fx of fixtures) {
  for (const dtype of ['float64', 'float32'] as const) {
    test(`matches PyTorch ${fx.module}: ${fx.name} (${dtype})`, (t) => {
      const { diffs } = fx.config.singleCell ? runCell(fx, dtype) : runLayers(fx, dtype);
      let caseWorst = { diff: 0, where: '' };
      for (const [what, d] of diffs) {
        assert.ok(d <= TOLERANCE[dtype], `${fx.name} ${dtype}: ${what} differs from PyTorch by ${d}`);
        if (d >= caseWorst.diff) caseWorst = { diff: d, where: what };
      }
      t.diagnostic(`max abs diff ${caseWorst.diff.toExponential(2)} (${caseWorst.where})`);
      if (caseWorst.diff >= worst[dtype].diff) worst[dtype] = { diff: caseWorst.diff, where: `${fx.name}: ${caseWorst.where}` };
    });
  }
}

test('largest differences from PyTorch over all fixtures', (t) => {
  for (const dtype of ['float64', 'float32'] as const) t.diagnostic(`${dtype}: ${worst[dtype].diff.toExponential(2)} at ${worst[dtype].where}`);
});

const byName = (name: string): Fixture => {
  const fx = fixtures.find((f) => f.name === name);
  assert.ok(fx !== undefined, `fixture ${name}`);
  return fx;
};

test('toTorchStateDict gives back the loaded state dict, in PyTorch\'s key order', () => {
  const fx = byName('lstm-proj-l2-bi');
  const net = new Recurrent(recurrentConfig(fx, 'float64'), new Rng(0));
  loadTorchStateDict(net, fx.stateDict);
  assert.deepEqual(toTorchStateDict(net), fx.stateDict);
  assert.deepEqual(Object.keys(toTorchStateDict(net)), Object.keys(fx.stateDict));
  const cellFx = byName('cell-lstm');
  const cell = new LSTMCell({ inputSize: 4, hiddenSize: 3, dtype: 'float64' }, new Rng(0));
  loadTorchCellWeights(cell, cellFx.stateDict);
  assert.deepEqual(toTorchCellWeights(cell), cellFx.stateDict);
});

test('loadTorchStateDict names the parameter and both shapes on a shape mismatch, and writes nothing', () => {
  const fx = byName('gru-l2-uni');
  const net = new Recurrent({ cell: 'gru', inputSize: 4, hiddenSize: 3, numLayers: 2, dtype: 'float64' }, new Rng(0));
  const before = toTorchStateDict(net);
  const bad = { ...fx.stateDict, weight_hh_l1: { shape: [9, 4], data: new Array<number>(36).fill(0) } };
  assert.throws(() => loadTorchStateDict(net, bad), (e: unknown) => {
    assert.ok(e instanceof ShapeError);
    assert.match(e.message, /weight_hh_l1/);
    assert.match(e.message, /cells\.1\.weightHh/);
    assert.match(e.message, /\[9,4\] vs \[9,3\]/);
    return true;
  });
  assert.deepEqual(toTorchStateDict(net), before, 'a failed load leaves the weights alone');
  const short = { ...fx.stateDict, bias_ih_l0: { shape: [9], data: [1, 2, 3] } };
  assert.throws(() => loadTorchStateDict(net, short), /bias_ih_l0 has 3 values/);
});

test('loadTorchStateDict lists missing and unexpected parameters', () => {
  const fx = byName('lstm-l1-bi');
  const net = new Recurrent({ cell: 'lstm', inputSize: 4, hiddenSize: 3, bidirectional: true }, new Rng(0));
  const { bias_hh_l0_reverse: _dropped, ...partial } = fx.stateDict;
  assert.throws(() => loadTorchStateDict(net, { ...partial, weight_ih_l1: { shape: [1], data: [0] } }), (e: unknown) => {
    assert.ok(e instanceof ArgumentError);
    assert.match(e.message, /missing bias_hh_l0_reverse/);
    assert.match(e.message, /unexpected weight_ih_l1/);
    return true;
  });
  // A unidirectional net given a bidirectional state dict: every _reverse key is unexpected.
  const uni = new Recurrent({ cell: 'lstm', inputSize: 4, hiddenSize: 3 }, new Rng(0));
  assert.throws(() => loadTorchStateDict(uni, fx.stateDict), /unexpected weight_ih_l0_reverse/);
  // bias=False in PyTorch: the net with biases misses them.
  const noBias = byName('lstm-l2-uni-nobias');
  const withBias = new Recurrent({ cell: 'lstm', inputSize: 4, hiddenSize: 3, numLayers: 2 }, new Rng(0));
  assert.throws(() => loadTorchStateDict(withBias, noBias.stateDict), /missing bias_ih_l0, bias_hh_l0/);
});

test('loading refuses nets PyTorch cannot express', () => {
  const fx = byName('gru-l1-uni');
  const bookConfig: RecurrentConfig<'gru'> = { cell: 'gru', inputSize: 4, hiddenSize: 3, cellOptions: { resetAfter: false } };
  const bookGru = new Recurrent(bookConfig, new Rng(0));
  assert.throws(() => loadTorchStateDict(bookGru, fx.stateDict), /resetAfter: false/);
  assert.throws(() => loadTorchCellWeights(new GRUCell({ inputSize: 4, hiddenSize: 3, resetAfter: false }, new Rng(0)), byName('cell-gru').stateDict), /resetAfter: false/);
  const peepholeConfig: RecurrentConfig<'lstm'> = { cell: 'lstm', inputSize: 4, hiddenSize: 3, cellOptions: { peephole: true } };
  const peephole = new Recurrent(peepholeConfig, new Rng(0));
  assert.throws(() => toTorchStateDict(peephole), /peepholes/);
  const residual = new Recurrent({ cell: 'gru', inputSize: 3, hiddenSize: 3, numLayers: 2, residual: true }, new Rng(0));
  assert.throws(() => toTorchStateDict(residual), /residual/);
  const skip = new Recurrent({ cell: 'gru', inputSize: 4, hiddenSize: 3, numLayers: 2, inputSkip: true }, new Rng(0));
  assert.throws(() => loadTorchStateDict(skip, byName('gru-l2-uni').stateDict), /inputSkip/);
});
