import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradcheck } from '../autograd/index.js';
import { Rng, Tensor, randn, tensor } from '../tensor/index.js';
import type { LstmSequenceOpInputs, NaryTreeLstmOpInputs, NtmSequenceOpInputs, OpName, SequenceOpInputs } from './op-def.js';
import {
  apply, abs, add, binaryCrossEntropy, binaryCrossEntropyWithLogits, broadcastTo, circularConvolution, clamp, concat, cosineSimilarity,
  crossEntropy, div, exp, gather, log, logSoftmax, logSumExp, matmul, max, mean, mse, mul, neg, outer, pow, relu, reshape,
  scale, sigmoid, slice, softmax, softplus, sqrt, stack, chunk, sub, sum, tanh, transpose, where, sigmoid as sig,
} from './index.js';

/** One gradient-check case: float64 inputs (all differentiated) and the function of them. */
interface Case {
  readonly label: string;
  readonly inputs: Tensor[];
  readonly fn: (...xs: Tensor[]) => Tensor;
}

const rng = new Rng(2024);
const r = (shape: number[], offset = 0): Tensor => {
  const t = randn(shape, rng, { dtype: 'float64', requiresGrad: true });
  for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i] as number) + offset;
  return t;
};
/** Away from kinks (0 for relu/abs, the bounds for clamp) so central differences are exact. */
const awayFromZero = (shape: number[]): Tensor => {
  const t = r(shape);
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i] as number;
    t.data[i] = v >= 0 ? v + 0.1 : v - 0.1;
  }
  return t;
};
const positive = (shape: number[]): Tensor => {
  const t = r(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = 0.5 + Math.abs(t.data[i] as number);
  return t;
};
const ints = (values: number[], shape: number[]): Tensor => new Tensor(new Float64Array(values), shape);

/**
 * Inputs of a fused sequence op with G gate blocks: xs [2, 3, 2], `states` initial states
 * [2, 3], weightIh, weightHh and (with `bias`) both biases. Weights are scaled down so the
 * gates stay off saturation, where central differences lose digits.
 */
const sequenceInputs = (gates: number, states: number, bias: boolean): Tensor[] => {
  const [B, T, I, H] = [2, 3, 2, 3];
  const w = (shape: number[]): Tensor => {
    const t = r(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i] as number) * 0.5;
    return t;
  };
  return [
    r([B, T, I]), ...Array.from({ length: states }, () => r([B, H])),
    w([gates * H, I]), w([gates * H, H]), ...(bias ? [w([gates * H]), w([gates * H])] : []),
  ];
};
const seqOp = (xs: Tensor[]): SequenceOpInputs => xs as SequenceOpInputs;

/**
 * Inputs of ntmSequence for xs [2, 3, 2], memory [4, 2], controller of 3 units, 2 outputs,
 * shifts -1..1: R read and W write heads (P = 8 per head, 4 more per write head).
 */
const ntmInputs = (lstm: boolean, R: number, W: number): Tensor[] => {
  const [I, N, M, H, O] = [2, 4, 2, 3, 2];
  const P = 8 * (R + W) + 4 * W;
  const G = lstm ? 4 : 1;
  const w = (shape: number[]): Tensor => {
    const t = r(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i] as number) * 0.5;
    return t;
  };
  return [
    r([2, 3, I]), r([N, M]), r([R, M]), positive([R + W, N]), w([P, H]), w([P]), w([O, H + R * M]), w([O]), w([G * H, I + R * M]), w([G * H]),
    ...(lstm ? [w([4 * H, H]), w([4 * H])] : []),
  ];
};
const ntmOp = (xs: Tensor[]): NtmSequenceOpInputs => xs as NtmSequenceOpInputs;

/**
 * Inputs of naryTreeLstm for n = 3 nodes, I = 2, H = 3 and `arity` child slots: x, weightIh,
 * weightHh, then both biases (with `bias`) and the children's h and c (with `children`).
 */
const treeLstmInputs = (arity: number, bias: boolean, children: boolean): Tensor[] => {
  const [n, I, H] = [3, 2, 3];
  const w = (shape: number[]): Tensor => {
    const t = r(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i] as number) * 0.5;
    return t;
  };
  return [
    r([n, I]), w([4 * H, I]), w([(arity + 3) * H, arity * H]), ...(bias ? [w([4 * H]), w([(arity + 3) * H])] : []),
    ...(children ? [r([n, arity, H]), r([n, arity, H])] : []),
  ];
};
const treeOp = (xs: Tensor[]): NaryTreeLstmOpInputs => xs as NaryTreeLstmOpInputs;

/**
 * A fold schedule of 6 nodes for naryTreeLstmFold: level 0 three leaves; level 1 one internal
 * row with child row 0 and an absent child (index 3, level 0's count), then a leaf; level 2 one
 * internal row over both rows of level 1. Row 1 and 2 are roots of one-node trees. With arity
 * 3 every internal row gets one more (absent) slot.
 */
const foldLevels = (arity: number): { start: number; count: number; internal: number; children: number[] }[] => {
  const pad = (kids: number[], none: number): number[] => [...kids, ...Array<number>(arity - kids.length).fill(none)];
  return [
    { start: 0, count: 3, internal: 0, children: [] },
    { start: 3, count: 2, internal: 1, children: pad([0, 3], 3) },
    { start: 5, count: 1, internal: 1, children: pad([0, 1], 2) },
  ];
};
/** Inputs of naryTreeLstmFold over {@link foldLevels}: x [6, 2], then the weights as in treeLstmInputs (H = 3). */
const foldInputs = (arity: number, bias: boolean): Tensor[] => {
  const [, ...weights] = treeLstmInputs(arity, bias, false);
  return [r([6, 2]), ...weights];
};

/** Inputs of childSumTreeLstm for n = 3 nodes with K slots, I = 2, H = 3 (as treeLstmInputs). */
const childSumInputs = (slots: number, bias: boolean, children: boolean): Tensor[] => {
  const [n, I, H] = [3, 2, 3];
  const w = (shape: number[]): Tensor => {
    const t = r(shape);
    for (let i = 0; i < t.size; i++) t.data[i] = (t.data[i] as number) * 0.5;
    return t;
  };
  return [
    r([n, I]), w([4 * H, I]), w([4 * H, H]), ...(bias ? [w([4 * H]), w([4 * H])] : []),
    ...(children ? [r([n, slots, H]), r([n, slots, H])] : []),
  ];
};
/**
 * Fold schedules of 6 nodes for childSumTreeLstmFold, each level with its own child slots:
 * `wide`, level 1's internal row reads all three leaves (3 slots) and level 2's both rows of
 * level 1 (2 slots); else level 1 has two internal rows of 2 slots, one with an absent child
 * (index 3, level 0's count).
 */
const childSumFoldLevels = (wide: boolean): { start: number; count: number; internal: number; slots: number; children: number[] }[] => [
  { start: 0, count: 3, internal: 0, slots: 1, children: [] },
  wide ? { start: 3, count: 2, internal: 1, slots: 3, children: [0, 1, 2] } : { start: 3, count: 2, internal: 2, slots: 2, children: [0, 3, 1, 2] },
  { start: 5, count: 1, internal: 1, slots: 2, children: [0, 1] },
];
/** Inputs of childSumTreeLstmFold: x [6, 2], then the weights as in childSumInputs. */
const childSumFoldInputs = (bias: boolean): Tensor[] => {
  const [, ...weights] = childSumInputs(1, bias, false);
  return [r([6, 2]), ...weights];
};
/** Inputs of treeRnnFold over {@link foldLevels}: x [6, 2], weightIh [3, 2], weightHh [3, N * 3], biases [3]. */
const treeRnnFoldInputs = (arity: number, bias: boolean): Tensor[] => [r([6, 2]), r([3, 2]), r([3, arity * 3]), ...(bias ? [r([3]), r([3])] : [])];
const lstmOp = (xs: Tensor[]): LstmSequenceOpInputs => xs as LstmSequenceOpInputs;

/**
 * Cases for EVERY primitive: this object's type requires one entry per op name, so an op
 * added to the table without a gradient check here fails to compile.
 */
const PRIMITIVE_CASES: { [K in OpName]: Case[] } = {
  add: [
    { label: 'same shape', inputs: [r([2, 3]), r([2, 3])], fn: add },
    { label: 'broadcast bias', inputs: [r([2, 3, 4]), r([4])], fn: add },
    { label: 'broadcast both', inputs: [r([2, 1, 4]), r([3, 1])], fn: add },
  ],
  sub: [{ label: 'broadcast', inputs: [r([3, 4]), r([3, 1])], fn: sub }],
  mul: [
    { label: 'same shape', inputs: [r([2, 5]), r([2, 5])], fn: mul },
    { label: 'broadcast scalar tensor', inputs: [r([2, 5]), r([])], fn: mul },
  ],
  div: [{ label: 'broadcast', inputs: [r([2, 3]), positive([3])], fn: div }],
  neg: [{ label: '', inputs: [r([4])], fn: neg }],
  exp: [{ label: '', inputs: [r([2, 3])], fn: exp }],
  log: [{ label: '', inputs: [positive([2, 3])], fn: log }],
  tanh: [{ label: '', inputs: [r([2, 3])], fn: tanh }],
  sigmoid: [{ label: '', inputs: [r([2, 3], 0.3)], fn: sig }],
  relu: [{ label: '', inputs: [awayFromZero([3, 3])], fn: relu }],
  softplus: [{ label: '', inputs: [r([3, 3])], fn: softplus }],
  abs: [{ label: '', inputs: [awayFromZero([5])], fn: abs }],
  pow: [
    { label: 'square', inputs: [r([4])], fn: (x) => pow(x, 2) },
    { label: 'sqrt', inputs: [positive([4])], fn: sqrt },
    { label: 'fractional', inputs: [positive([4])], fn: (x) => pow(x, -1.5) },
  ],
  clamp: [{ label: '', inputs: [tensor([-2, -0.5, 0.3, 0.9, 1.7], { dtype: 'float64', requiresGrad: true })], fn: (x) => clamp(x, -1, 1) }],
  scale: [{ label: '', inputs: [r([3])], fn: (x) => scale(x, -2.5) }],
  sum: [
    { label: 'all', inputs: [r([2, 3, 4])], fn: (x) => sum(x) },
    { label: 'middle axis', inputs: [r([2, 3, 4])], fn: (x) => sum(x, 1) },
    { label: 'two axes keepDims', inputs: [r([2, 3, 4])], fn: (x) => sum(x, [0, 2], true) },
    { label: 'mean', inputs: [r([2, 3])], fn: (x) => mean(x, -1) },
  ],
  max: [
    { label: 'last axis', inputs: [r([3, 5])], fn: (x) => max(x, -1) },
    { label: 'first axis keepDims', inputs: [r([3, 5])], fn: (x) => max(x, 0, true) },
  ],
  reshape: [{ label: '', inputs: [r([2, 6])], fn: (x) => reshape(x, [3, -1]) }],
  transpose: [
    { label: '2-D', inputs: [r([3, 4])], fn: (x) => transpose(x) },
    { label: '3-D perm', inputs: [r([2, 3, 4])], fn: (x) => transpose(x, [1, 2, 0]) },
  ],
  broadcastTo: [{ label: '', inputs: [r([3, 1])], fn: (x) => broadcastTo(x, [2, 3, 4]) }],
  slice: [{ label: '', inputs: [r([4, 5, 3])], fn: (x) => slice(x, [1, 2, 0], [2, -1, 2]) }],
  concat: [
    { label: 'axis 1', inputs: [r([2, 3]), r([2, 1]), r([2, 2])], fn: (a, b, c) => concat([a as Tensor, b as Tensor, c as Tensor], 1) },
    { label: 'stack', inputs: [r([2, 3]), r([2, 3])], fn: (a, b) => stack([a as Tensor, b as Tensor], 1) },
    { label: 'chunk', inputs: [r([2, 6])], fn: (x) => mul(...(chunk(x, 2, -1) as [Tensor, Tensor])) },
  ],
  gather: [{ label: 'embedding rows, repeated', inputs: [r([5, 3])], fn: (t) => gather(t, ints([4, 0, 4, 2], [2, 2])) }],
  where: [
    {
      label: 'broadcast condition',
      inputs: [r([2, 3]), r([3])],
      fn: (a, b) => where(ints([1, 0, 1], [3]), a as Tensor, b as Tensor),
    },
  ],
  matmul: [
    { label: '2-D', inputs: [r([3, 4]), r([4, 2])], fn: (a, b) => matmul(a as Tensor, b as Tensor) },
    { label: 'transA', inputs: [r([4, 3]), r([4, 2])], fn: (a, b) => matmul(a as Tensor, b as Tensor, { transA: true }) },
    { label: 'transB', inputs: [r([3, 4]), r([2, 4])], fn: (a, b) => matmul(a as Tensor, b as Tensor, { transB: true }) },
    { label: 'both', inputs: [r([4, 3]), r([2, 4])], fn: (a, b) => matmul(a as Tensor, b as Tensor, { transA: true, transB: true }) },
    { label: 'batched x weight', inputs: [r([2, 3, 4]), r([4, 5])], fn: (a, b) => matmul(a as Tensor, b as Tensor) },
    { label: 'batched x weight^T', inputs: [r([2, 3, 4]), r([5, 4])], fn: (a, b) => matmul(a as Tensor, b as Tensor, { transB: true }) },
    { label: 'batch broadcast', inputs: [r([2, 1, 3, 4]), r([3, 4, 2])], fn: (a, b) => matmul(a as Tensor, b as Tensor) },
  ],
  // The packed output [B, T+S, H] (outputs, then final states) is checked whole.
  rnnSequence: [
    { label: 'tanh', inputs: sequenceInputs(1, 1, true), fn: (...xs) => apply('rnnSequence', seqOp(xs), { lengths: null, reverse: false, nonlinearity: 'tanh' }) },
    {
      label: 'relu, lengths, reverse',
      inputs: sequenceInputs(1, 1, true),
      fn: (...xs) => apply('rnnSequence', seqOp(xs), { lengths: [2, 3], reverse: true, nonlinearity: 'relu' }),
    },
    { label: 'no bias', inputs: sequenceInputs(1, 1, false), fn: (...xs) => apply('rnnSequence', seqOp(xs), { lengths: [3, 1], reverse: false, nonlinearity: 'tanh' }) },
  ],
  lstmSequence: [
    { label: 'plain', inputs: sequenceInputs(4, 2, true), fn: (...xs) => apply('lstmSequence', lstmOp(xs), { lengths: null, reverse: false }) },
    { label: 'lengths, reverse', inputs: sequenceInputs(4, 2, true), fn: (...xs) => apply('lstmSequence', lstmOp(xs), { lengths: [1, 3], reverse: true }) },
    { label: 'no bias, lengths', inputs: sequenceInputs(4, 2, false), fn: (...xs) => apply('lstmSequence', lstmOp(xs), { lengths: [3, 2], reverse: false }) },
  ],
  gruSequence: [
    {
      label: 'reset after, lengths',
      inputs: sequenceInputs(3, 1, true),
      fn: (...xs) => apply('gruSequence', seqOp(xs), { lengths: [2, 3], reverse: false, resetAfter: true }),
    },
    {
      label: 'reset before, reverse, lengths',
      inputs: sequenceInputs(3, 1, true),
      fn: (...xs) => apply('gruSequence', seqOp(xs), { lengths: [3, 2], reverse: true, resetAfter: false }),
    },
    { label: 'reset before, no bias', inputs: sequenceInputs(3, 1, false), fn: (...xs) => apply('gruSequence', seqOp(xs), { lengths: null, reverse: false, resetAfter: false }) },
    { label: 'reset after, no bias, reverse', inputs: sequenceInputs(3, 1, false), fn: (...xs) => apply('gruSequence', seqOp(xs), { lengths: null, reverse: true, resetAfter: true }) },
  ],
  // The promoted head ops (fused-head.ts); targets and weights are data, not differentiated.
  linear: [
    { label: 'bias', inputs: [r([4, 3]), r([5, 3]), r([5])], fn: (x, w, b) => apply('linear', [x as Tensor, w as Tensor, b as Tensor], {}) },
    { label: 'no bias, leading axes', inputs: [r([2, 3, 4]), r([2, 4])], fn: (x, w) => apply('linear', [x as Tensor, w as Tensor], {}) },
  ],
  softmaxCrossEntropy: [
    {
      label: 'mean, weighted',
      inputs: [r([4, 5])],
      fn: (x) => apply('softmaxCrossEntropy', [x, ints([0, 4, 2, 2], [4]), ints([1, 0, 0.5, 1], [4])], { reduction: 'mean' }),
    },
    { label: 'sum', inputs: [r([3, 4])], fn: (x) => apply('softmaxCrossEntropy', [x, ints([3, 0, 1], [3]), ints([1, 1, 1], [3])], { reduction: 'sum' }) },
    { label: 'none', inputs: [r([3, 4], 2)], fn: (x) => apply('softmaxCrossEntropy', [x, ints([1, 2, 3], [3]), ints([1, 2, 0], [3])], { reduction: 'none' }) },
  ],
  // Memory [2, 5, 3], shifts over -1..1 (and -2..2); beta, s, gamma and w(t-1) positive, g in (0, 1).
  ntmAddressing: [
    {
      label: 'three shifts',
      inputs: [r([2, 5, 3]), r([2, 3]), positive([2, 1]), tensor([[0.3], [0.8]], { dtype: 'float64', requiresGrad: true }), positive([2, 3]), positive([2, 1]), positive([2, 5])],
      fn: (...xs) => apply('ntmAddressing', xs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor], {}),
    },
    {
      label: 'five shifts',
      inputs: [r([1, 6, 2]), r([1, 2]), positive([1, 1]), tensor([[0.6]], { dtype: 'float64', requiresGrad: true }), positive([1, 5]), positive([1, 1]), positive([1, 6])],
      fn: (...xs) => apply('ntmAddressing', xs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor], {}),
    },
  ],
  ntmWrite: [
    { label: '', inputs: [r([2, 4, 3]), positive([2, 4]), positive([2, 3]), r([2, 3])], fn: (...xs) => apply('ntmWrite', xs as [Tensor, Tensor, Tensor, Tensor], {}) },
  ],
  ntmSequence: [
    { label: 'LSTM controller, clipped', inputs: ntmInputs(true, 1, 1), fn: (...xs) => apply('ntmSequence', ntmOp(xs), { readHeads: 1, writeHeads: 1, shiftRange: 1, clip: 0.6 }) },
    { label: 'feed-forward, two read and two write heads', inputs: ntmInputs(false, 2, 2), fn: (...xs) => apply('ntmSequence', ntmOp(xs), { readHeads: 2, writeHeads: 2, shiftRange: 1, clip: 0 }) },
  ],
  // One level of an N-ary Tree-LSTM; the packed output [2, n, H] (h, then c) is checked whole.
  naryTreeLstm: [
    { label: 'binary, children', inputs: treeLstmInputs(2, true, true), fn: (...xs) => apply('naryTreeLstm', treeOp(xs), { arity: 2, bias: true, children: true }) },
    { label: 'ternary, no bias', inputs: treeLstmInputs(3, false, true), fn: (...xs) => apply('naryTreeLstm', treeOp(xs), { arity: 3, bias: false, children: true }) },
    { label: 'leaves (no children)', inputs: treeLstmInputs(2, true, false), fn: (...xs) => apply('naryTreeLstm', treeOp(xs), { arity: 2, bias: true, children: false }) },
  ],
  // A whole fold; its output [2, nodes, H] is every node's h and c.
  naryTreeLstmFold: [
    { label: 'binary, three levels', inputs: foldInputs(2, true), fn: (...xs) => apply('naryTreeLstmFold', treeOp(xs), { arity: 2, bias: true, levels: foldLevels(2) }) },
    { label: 'ternary, no bias', inputs: foldInputs(3, false), fn: (...xs) => apply('naryTreeLstmFold', treeOp(xs), { arity: 3, bias: false, levels: foldLevels(3) }) },
    {
      // Table inputs: x is a table of 4 rows, some shared by several of the 6 nodes.
      label: 'binary, inputs as table rows',
      inputs: [r([4, 2]), ...foldInputs(2, true).slice(1)],
      fn: (...xs) => apply('naryTreeLstmFold', treeOp(xs), { arity: 2, bias: true, levels: foldLevels(2), inputRows: Int32Array.from([0, 2, 2, 1, 3, 0]) }),
    },
  ],
  childSumTreeLstm: [
    { label: 'three slots', inputs: childSumInputs(3, true, true), fn: (...xs) => apply('childSumTreeLstm', treeOp(xs), { bias: true, children: true }) },
    { label: 'one slot, no bias', inputs: childSumInputs(1, false, true), fn: (...xs) => apply('childSumTreeLstm', treeOp(xs), { bias: false, children: true }) },
    { label: 'leaves', inputs: childSumInputs(1, true, false), fn: (...xs) => apply('childSumTreeLstm', treeOp(xs), { bias: true, children: false }) },
  ],
  treeRnnFold: [
    { label: 'binary, three levels', inputs: treeRnnFoldInputs(2, true), fn: (...xs) => apply('treeRnnFold', treeOp(xs), { arity: 2, bias: true, levels: foldLevels(2) }) },
    {
      label: 'binary, inputs as table rows',
      inputs: [r([4, 2]), ...treeRnnFoldInputs(2, true).slice(1)],
      fn: (...xs) => apply('treeRnnFold', treeOp(xs), { arity: 2, bias: true, levels: foldLevels(2), inputRows: Int32Array.from([0, 2, 2, 1, 3, 0]) }),
    },
    { label: 'ternary, no bias', inputs: treeRnnFoldInputs(3, false), fn: (...xs) => apply('treeRnnFold', treeOp(xs), { arity: 3, bias: false, levels: foldLevels(3) }) },
  ],
  childSumTreeLstmFold: [
    { label: 'three levels, 3 then 2 slots', inputs: childSumFoldInputs(true), fn: (...xs) => apply('childSumTreeLstmFold', treeOp(xs), { bias: true, levels: childSumFoldLevels(true) }) },
    {
      label: 'inputs as table rows',
      inputs: [r([4, 2]), ...childSumFoldInputs(true).slice(1)],
      fn: (...xs) => apply('childSumTreeLstmFold', treeOp(xs), { bias: true, levels: childSumFoldLevels(true), inputRows: Int32Array.from([3, 0, 3, 1, 2, 1]) }),
    },
    { label: 'an absent child, no bias', inputs: childSumFoldInputs(false), fn: (...xs) => apply('childSumTreeLstmFold', treeOp(xs), { bias: false, levels: childSumFoldLevels(false) }) },
  ],
};

const COMPOSITE_CASES: Case[] = [
  { label: 'logSumExp', inputs: [r([3, 4])], fn: (x) => logSumExp(x, -1) },
  { label: 'logSoftmax', inputs: [r([3, 4])], fn: (x) => logSoftmax(x) },
  { label: 'softmax axis 0', inputs: [r([3, 4])], fn: (x) => softmax(x, 0) },
  { label: 'crossEntropy ignoreIndex', inputs: [r([2, 3, 5])], fn: (x) => crossEntropy(x, ints([1, 4, 0, 2, 9, 3], [2, 3]), { ignoreIndex: 9 }) },
  {
    label: 'crossEntropy mask sum',
    inputs: [r([4, 3])],
    fn: (x) => crossEntropy(x, ints([0, 1, 2, 1], [4]), { mask: ints([1, 0, 1, 0.5], [4]), reduction: 'sum' }),
  },
  { label: 'mse', inputs: [r([3, 2]), r([3, 2])], fn: mse },
  {
    label: 'binaryCrossEntropy',
    inputs: [r([4])],
    fn: (x) => binaryCrossEntropy(sigmoid(x), ints([0, 1, 1, 0], [4])),
  },
  { label: 'binaryCrossEntropyWithLogits', inputs: [r([4])], fn: (x) => binaryCrossEntropyWithLogits(x, ints([0, 1, 0.3, 0], [4])) },
  { label: 'cosineSimilarity', inputs: [r([2, 5, 3]), r([2, 1, 3])], fn: (a, b) => cosineSimilarity(a as Tensor, b as Tensor, -1) },
  { label: 'outer', inputs: [r([2, 3]), r([2, 4])], fn: (a, b) => outer(a as Tensor, b as Tensor) },
  { label: 'circularConvolution', inputs: [r([2, 6]), r([2, 3])], fn: (w, s) => circularConvolution(w as Tensor, s as Tensor) },
];

for (const [op, cases] of Object.entries(PRIMITIVE_CASES)) {
  for (const c of cases) {
    test(`gradcheck primitive ${op}${c.label ? ` (${c.label})` : ''}`, () => {
      const result = gradcheck(c.fn, c.inputs);
      assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError} at ${JSON.stringify(result.worst)}`);
    });
  }
}

for (const c of COMPOSITE_CASES) {
  test(`gradcheck composite ${c.label}`, () => {
    const result = gradcheck(c.fn, c.inputs);
    assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError} at ${JSON.stringify(result.worst)}`);
  });
}

test('gradcheck itself catches a wrong gradient', () => {
  // sqrt(x^2) via abs-like pow has a correct gradient; a deliberately wrong one must be caught:
  // detach() cuts the graph, so the analytic gradient of x * detach(x) is x, not 2x.
  const x = tensor([0.7, -1.3], { dtype: 'float64', requiresGrad: true });
  const result = gradcheck((v) => mul(v, v.detach()), [x]);
  assert.ok(result.maxRelError > 0.1);
});
