import { ArgumentError, ShapeError, Tensor, allocate, broadcastShapes, sameShape } from '../tensor/index.js';
import { FUSED_OPS } from './fused.js';
import { HEAD_OPS } from './fused-head.js';
import { MEMORY_OPS } from './memory-ops.js';
import { TREE_OPS } from './tree-ops.js';
import type { OpTable } from './op-def.js';
import { checkSameDType } from './raw/checks.js';
import { binary, map, sigmoidScalar, softplusScalar, zip, zip3 } from './raw/elementwise.js';
import {
  concatRaw, gatherRaw, invertPerm, padIntoRaw, reshapeRaw, scatterAddRaw, sliceRaw, transposeRaw, whereRaw,
} from './raw/layout.js';
import { matmulRaw } from './raw/matmul.js';
import { expandTo, reduce, reducedAxes, reducedShape, sumToShape } from './raw/reduce.js';

/**
 * Every primitive op: forward and backward side by side. Backward returns dL/dinput
 * given dL/doutput and works on unrecorded raw tensors, so a backward pass never builds
 * a graph. Composite ops (softmax, cross-entropy, ...) are built from these and write no
 * backward of their own.
 */
export const OPS: OpTable = {
  add: {
    forward: ([a, b]) => binary('add', a, b),
    backward: (g, { inputs: [a, b] }) => [sumToShape(g, a.shape), sumToShape(g, b.shape)],
  },
  sub: {
    forward: ([a, b]) => binary('sub', a, b),
    backward: (g, { inputs: [a, b] }) => [sumToShape(g, a.shape), sumToShape(map(g, (v) => -v), b.shape)],
  },
  mul: {
    forward: ([a, b]) => binary('mul', a, b),
    backward: (g, { inputs: [a, b] }) => [
      a.requiresGrad ? sumToShape(binary('mul', g, b), a.shape) : null,
      b.requiresGrad ? sumToShape(binary('mul', g, a), b.shape) : null,
    ],
  },
  div: {
    // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -out/b.
    forward: ([a, b]) => binary('div', a, b),
    backward: (g, { inputs: [a, b], output }) => [
      a.requiresGrad ? sumToShape(binary('div', g, b), a.shape) : null,
      b.requiresGrad ? sumToShape(map(binary('div', binary('mul', g, output), b), (v) => -v), b.shape) : null,
    ],
  },
  neg: {
    forward: ([x]) => map(x, (v) => -v),
    backward: (g) => [map(g, (v) => -v)],
  },
  exp: {
    forward: ([x]) => map(x, Math.exp),
    backward: (g, { output }) => [zip(g, output, (gi, y) => gi * y)],
  },
  log: {
    forward: ([x]) => map(x, Math.log),
    backward: (g, { inputs: [x] }) => [zip(g, x, (gi, v) => gi / v)],
  },
  tanh: {
    // d tanh(x)/dx = 1 - tanh(x)^2.
    forward: ([x]) => map(x, Math.tanh),
    backward: (g, { output }) => [zip(g, output, (gi, y) => gi * (1 - y * y))],
  },
  sigmoid: {
    // d sigma(x)/dx = sigma(x) (1 - sigma(x)).
    forward: ([x]) => map(x, sigmoidScalar),
    backward: (g, { output }) => [zip(g, output, (gi, y) => gi * y * (1 - y))],
  },
  relu: {
    forward: ([x]) => map(x, (v) => (v > 0 ? v : 0)),
    backward: (g, { inputs: [x] }) => [zip(g, x, (gi, v) => (v > 0 ? gi : 0))],
  },
  softplus: {
    // softplus(x) = log(1 + e^x); its derivative is sigma(x).
    forward: ([x]) => map(x, softplusScalar),
    backward: (g, { inputs: [x] }) => [zip(g, x, (gi, v) => gi * sigmoidScalar(v))],
  },
  abs: {
    // Subgradient 0 at 0, like PyTorch.
    forward: ([x]) => map(x, Math.abs),
    backward: (g, { inputs: [x] }) => [zip(g, x, (gi, v) => gi * Math.sign(v))],
  },
  pow: {
    // d x^p/dx = p x^(p-1).
    forward: ([x], { exponent }) => map(x, (v) => v ** exponent),
    backward: (g, { inputs: [x], attrs: { exponent } }) => [zip(g, x, (gi, v) => gi * exponent * v ** (exponent - 1))],
  },
  clamp: {
    // Gradient passes where min <= x <= max (like PyTorch's clamp at the bounds).
    forward: ([x], { min, max }) => {
      if (!(min <= max)) throw new ArgumentError('clamp', `min ${min} is greater than max ${max}`);
      return map(x, (v) => (v < min ? min : v > max ? max : v));
    },
    backward: (g, { inputs: [x], attrs: { min, max } }) => [zip(g, x, (gi, v) => (v >= min && v <= max ? gi : 0))],
  },
  scale: {
    forward: ([x], { factor }) => map(x, (v) => v * factor),
    backward: (g, { attrs: { factor } }) => [map(g, (v) => v * factor)],
  },
  sum: {
    forward: ([x], { axes, keepDims }) => reduce('sum', x, reducedAxes('sum', x.rank, axes), keepDims),
    backward: (g, { inputs: [x], attrs: { axes } }) => {
      const kept = reducedShape(x.shape, reducedAxes('sum', x.rank, axes), true);
      return [expandTo(reshapeRaw(g, kept), x.shape)];
    },
  },
  max: {
    // The gradient goes to the maximal elements, split evenly between ties (like torch.amax).
    forward: ([x], { axes, keepDims }) => {
      if (x.size === 0) throw new ShapeError('max', 'cannot take the max of an empty tensor', [x.shape]);
      return reduce('max', x, reducedAxes('max', x.rank, axes), keepDims);
    },
    backward: (g, { inputs: [x], attrs: { axes }, output }) => {
      const reduced = reducedAxes('max', x.rank, axes);
      const kept = reducedShape(x.shape, reduced, true);
      const m = expandTo(reshapeRaw(output, kept), x.shape);
      const isMax = zip(x, m, (v, mv) => (v === mv ? 1 : 0));
      const count = expandTo(reshapeRaw(reduce('sum', isMax, reduced, true), kept), x.shape);
      const gx = expandTo(reshapeRaw(g, kept), x.shape);
      return [zip3(isMax, count, gx, (is, c, gi) => (is * gi) / c)];
    },
  },
  reshape: {
    forward: ([x], { shape }) => reshapeRaw(x, shape),
    backward: (g, { inputs: [x] }) => [reshapeRaw(g, x.shape)],
  },
  transpose: {
    forward: ([x], { perm }) => transposeRaw(x, perm),
    backward: (g, { attrs: { perm } }) => [transposeRaw(g, invertPerm(perm))],
  },
  broadcastTo: {
    forward: ([x], { shape }) => {
      const b = broadcastShapes('broadcastTo', x.shape, shape);
      if (!sameShape(b, shape)) throw new ShapeError('broadcastTo', 'cannot broadcast', [x.shape, shape]);
      return expandTo(x, shape);
    },
    backward: (g, { inputs: [x] }) => [sumToShape(g, x.shape)],
  },
  slice: {
    forward: ([x], { begin, size }) => sliceRaw(x, begin, size),
    backward: (g, { inputs: [x], attrs: { begin } }) => [padIntoRaw(g, x.shape, begin)],
  },
  concat: {
    forward: (xs, { axis }) => concatRaw(xs, axis),
    backward: (g, { inputs, attrs: { axis } }) => {
      const ax = axis < 0 ? axis + g.rank : axis;
      let at = 0;
      return inputs.map((x) => {
        const begin = g.shape.map((_, i) => (i === ax ? at : 0));
        at += x.shape[ax] as number;
        return x.requiresGrad ? sliceRaw(g, begin, x.shape) : null;
      });
    },
  },
  gather: {
    forward: ([table, indices]) => gatherRaw(table, indices),
    backward: (g, { inputs: [table, indices] }) => [scatterAddRaw(g, indices, table.shape), null],
    // A new table of zeros, scattered into.
    freshGradients: true,
  },
  where: {
    forward: ([cond, a, b]) => {
      checkSameDType('where', [a, b]);
      const shape = broadcastShapes('where', broadcastShapes('where', cond.shape, a.shape), b.shape);
      return whereRaw(cond, a, b, shape);
    },
    backward: (g, { inputs: [cond, a, b] }) => {
      const zero = new Tensor(allocate(g.dtype, 1), []);
      return [
        null,
        a.requiresGrad ? sumToShape(whereRaw(cond, g, zero, g.shape), a.shape) : null,
        b.requiresGrad ? sumToShape(whereRaw(cond, zero, g, g.shape), b.shape) : null,
      ];
    },
  },
  matmul: {
    forward: ([a, b], { transA, transB }) => matmulRaw(a, b, transA, transB),
    backward: (g, { inputs: [a, b], attrs: { transA, transB } }) => {
      // C = op(A) op(B): dop(A) = G op(B)^T, dop(B) = op(A)^T G, transposed back where op transposed.
      let ga: Tensor | null = null;
      let gb: Tensor | null = null;
      if (a.requiresGrad) {
        ga = transA ? matmulRaw(b, g, transB, true) : matmulRaw(g, b, false, !transB);
        ga = sumToShape(ga, a.shape);
      }
      if (b.requiresGrad) {
        // A weight matrix shared over a batch: fold the batch into rows so one gemm sums it.
        const fold = b.rank === 2 && a.rank > 2 && !transA;
        const a2 = fold ? reshapeRaw(a, [-1, a.shape[a.rank - 1] as number]) : a;
        const g2 = fold ? reshapeRaw(g, [-1, g.shape[g.rank - 1] as number]) : g;
        gb = transB ? matmulRaw(g2, a2, true, transA) : matmulRaw(a2, g2, !transA, false);
        gb = sumToShape(gb, b.shape);
      }
      return [ga, gb];
    },
    // Each gradient is a new product (or its new sum to the input's shape), also for matmul(a, a).
    freshGradients: true,
  },
  // Whole recurrences (RNN, LSTM, GRU over T steps) as single ops, promoted for speed.
  ...FUSED_OPS,
  // The affine layer and softmax cross-entropy of an output head, promoted for speed.
  ...HEAD_OPS,
  // The neural Turing machine's addressing and erase/add write, promoted for speed.
  ...MEMORY_OPS,
  ...TREE_OPS,
};
