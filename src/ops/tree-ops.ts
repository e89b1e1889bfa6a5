import {
  checkNaryTreeLstmArgs, naryTreeLstmBackward, naryTreeLstmForward, naryTreeLstmTape, type NaryTreeLstmArgs, type NaryTreeLstmTape,
} from '../kernels/tree-lstm.js';
import {
  checkChildSumLstmArgs, childSumLstmBackward, childSumLstmForward, childSumLstmTape, type ChildSumLstmArgs, type ChildSumLstmTape,
} from '../kernels/child-sum-lstm.js';
import { ArgumentError, ShapeError, Tensor, allocate } from '../tensor/index.js';
import type { ChildSumTreeLstmAttrs, NaryTreeLstmAttrs, NaryTreeLstmOpInputs, OpDef, TreeOpName } from './op-def.js';
import { checkSameDType } from './raw/checks.js';

// The Tree-LSTMs' composition of one level as fused ops, promoted for speed: composed
// (tree/tree-lstm-cells.ts, the twins in the tests) an N-ary level is a gather of W_ih's rows,
// two gemms and about 15 element-wise ops, each with its own [n, (N+3)H] intermediate, and a
// Child-Sum level about as many; fused each is one graph node (kernels/tree-lstm.ts and
// kernels/child-sum-lstm.ts have the maths).

/** The saved activations of each recorded call, found again through its output. */
const tapes = new WeakMap<Tensor, { args: NaryTreeLstmArgs; tape: NaryTreeLstmTape }>();
const childSumTapes = new WeakMap<Tensor, { args: ChildSumLstmArgs; tape: ChildSumLstmTape }>();

/**
 * Drops the saved activations of a naryTreeLstm or childSumTreeLstm output that no backward
 * will read (the call was not recorded). The functional wrapper calls it right after `apply`.
 *
 * @example
 * ```ts
 * const y = apply('naryTreeLstm', inputs, attrs); // or 'childSumTreeLstm'
 * releaseTreeLstmTape(y);
 * ```
 */
export function releaseTreeLstmTape(output: Tensor): void {
  if (output.gradFn === null) {
    tapes.delete(output);
    childSumTapes.delete(output);
  }
}

function expectShape(name: string, t: Tensor, shape: readonly number[], op = 'naryTreeLstm'): void {
  if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new ShapeError(op, `${name} must be [${shape.join(',')}]`, [t.shape]);
  }
}

/** The optional inputs of a tree op by name: [x, weightIh, weightHh, (biasIh, biasHh), (childH, childC)]. */
function optionalInputs(op: string, inputs: NaryTreeLstmOpInputs, bias: boolean, children: boolean): {
  biasIh: Tensor | null; biasHh: Tensor | null; childH: Tensor | null; childC: Tensor | null;
} {
  const expected = 3 + (bias ? 2 : 0) + (children ? 2 : 0);
  if (inputs.length !== expected) throw new ArgumentError(op, `expected ${expected} inputs for bias ${bias} and children ${children}, got ${inputs.length}`);
  return {
    biasIh: bias ? (inputs[3] as Tensor) : null,
    biasHh: bias ? (inputs[4] as Tensor) : null,
    childH: children ? (inputs[bias ? 5 : 3] as Tensor) : null,
    childC: children ? (inputs[bias ? 6 : 4] as Tensor) : null,
  };
}

function childSumArgsOf(inputs: NaryTreeLstmOpInputs, attrs: ChildSumTreeLstmAttrs): ChildSumLstmArgs {
  const op = 'childSumTreeLstm';
  checkSameDType(op, [...inputs]);
  const [x, weightIh, weightHh] = inputs;
  const { biasIh, biasHh, childH, childC } = optionalInputs(op, inputs, attrs.bias, attrs.children);
  if (x.rank !== 2) throw new ShapeError(op, 'x must be [nodes, inputSize]', [x.shape]);
  const [n, I] = x.shape as [number, number];
  if (weightHh.rank !== 2) throw new ShapeError(op, 'weightHh must be [4 * hiddenSize, hiddenSize]', [weightHh.shape]);
  const H = weightHh.shape[1] as number;
  expectShape('weightHh', weightHh, [4 * H, H], op);
  expectShape('weightIh', weightIh, [4 * H, I], op);
  if (biasIh !== null) expectShape('biasIh', biasIh, [4 * H], op);
  if (biasHh !== null) expectShape('biasHh', biasHh, [4 * H], op);
  let K = 0;
  if (childH !== null && childC !== null) {
    if (childH.rank !== 3 || childH.shape[0] !== n || childH.shape[2] !== H || (childH.shape[1] as number) < 1) {
      throw new ShapeError(op, `childH must be [${n}, K, ${H}] with K >= 1`, [childH.shape]);
    }
    K = childH.shape[1] as number;
    expectShape('childC', childC, [n, K, H], op);
  }
  const args: ChildSumLstmArgs = {
    nodes: n, slots: K, inputSize: I, hiddenSize: H, x: x.data, weightIh: weightIh.data, weightHh: weightHh.data,
    biasIh: biasIh?.data ?? null, biasHh: biasHh?.data ?? null, childH: childH?.data ?? null, childC: childC?.data ?? null,
  };
  checkChildSumLstmArgs(op, args);
  return args;
}

/** The op's gradients as tensors in input order (null for inputs that need none). */
function gradsInOrder(
  inputs: NaryTreeLstmOpInputs, bias: boolean, grads: { x: TypedArrayOrNull; weightIh: TypedArrayOrNull; weightHh: TypedArrayOrNull; biasIh: TypedArrayOrNull; biasHh: TypedArrayOrNull; childH: TypedArrayOrNull; childC: TypedArrayOrNull },
  childH: Tensor | null, childC: Tensor | null,
): (Tensor | null)[] {
  const [x, weightIh, weightHh] = inputs;
  const as = (data: TypedArrayOrNull, like: Tensor): Tensor | null => (data === null || !like.requiresGrad ? null : new Tensor(data, like.shape));
  const out: (Tensor | null)[] = [as(grads.x, x), as(grads.weightIh, weightIh), as(grads.weightHh, weightHh)];
  if (bias) out.push(as(grads.biasIh, inputs[3] as Tensor), as(grads.biasHh, inputs[4] as Tensor));
  if (childH !== null && childC !== null) out.push(as(grads.childH, childH), as(grads.childC, childC));
  return out;
}

type TypedArrayOrNull = Tensor['data'] | null;

function argsOf(inputs: NaryTreeLstmOpInputs, attrs: NaryTreeLstmAttrs): NaryTreeLstmArgs {
  const op = 'naryTreeLstm';
  checkSameDType(op, [...inputs]);
  const { arity: N } = attrs;
  if (!Number.isInteger(N) || N < 1) throw new ArgumentError(op, `arity must be a positive integer, got ${N}`);
  const [x, weightIh, weightHh] = inputs;
  const { biasIh, biasHh, childH, childC } = optionalInputs(op, inputs, attrs.bias, attrs.children);
  if (x.rank !== 2) throw new ShapeError(op, 'x must be [nodes, inputSize]', [x.shape]);
  const [n, I] = x.shape as [number, number];
  if (weightHh.rank !== 2) throw new ShapeError(op, 'weightHh must be [(arity + 3) * hiddenSize, arity * hiddenSize]', [weightHh.shape]);
  const H = (weightHh.shape[1] as number) / N;
  if (!Number.isInteger(H) || H < 1) throw new ShapeError(op, `weightHh's columns must be arity (${N}) * hiddenSize`, [weightHh.shape]);
  expectShape('weightIh', weightIh, [4 * H, I]);
  expectShape('weightHh', weightHh, [(N + 3) * H, N * H]);
  if (biasIh !== null) expectShape('biasIh', biasIh, [4 * H]);
  if (biasHh !== null) expectShape('biasHh', biasHh, [(N + 3) * H]);
  if (childH !== null) expectShape('childH', childH, [n, N, H]);
  if (childC !== null) expectShape('childC', childC, [n, N, H]);
  const args: NaryTreeLstmArgs = {
    nodes: n, inputSize: I, hiddenSize: H, arity: N, x: x.data, weightIh: weightIh.data, weightHh: weightHh.data,
    biasIh: biasIh?.data ?? null, biasHh: biasHh?.data ?? null, childH: childH?.data ?? null, childC: childC?.data ?? null,
  };
  checkNaryTreeLstmArgs(op, args);
  return args;
}

/**
 * The fused tree ops; spread into the op table in table.ts.
 *
 * - naryTreeLstm([x [n,I], weightIh [4H,I], weightHh [(N+3)H,NH], (biasIh [4H], biasHh [(N+3)H]),
 *   (childH [n,N,H], childC [n,N,H])], { arity, bias, children }) -> [2, n, H] (h, then c): one
 *   level of an N-ary Tree-LSTM, see kernels/tree-lstm.ts. Without children it is the leaf
 *   step. Its composed twin is NaryTreeLSTMCell.composeUnfused.
 * - childSumTreeLstm([x [n,I], weightIh [4H,I], weightHh [4H,H], (biasIh, biasHh [4H]),
 *   (childH [n,K,H], childC [n,K,H])], { bias, children }) -> [2, n, H]: one level of a
 *   Child-Sum Tree-LSTM, see kernels/child-sum-lstm.ts. Its twin is
 *   ChildSumTreeLSTMCell.composeUnfused.
 *
 * @example
 * ```ts
 * import { naryTreeLstm } from 'unfold';
 * const { h, c } = naryTreeLstm(x, cell, { h: kidsH, c: kidsC }); // kids [n, 2, H]
 * ```
 */
export const TREE_OPS: { [K in TreeOpName]: OpDef<K> } = {
  naryTreeLstm: {
    forward: (inputs, attrs) => {
      const args = argsOf(inputs, attrs);
      const { nodes: n, hiddenSize: H } = args;
      const tape = naryTreeLstmTape(args.x, n, H, args.arity);
      const y = new Tensor(allocate(inputs[0].dtype, 2 * n * H), [2, n, H]);
      naryTreeLstmForward(args, tape, y.data);
      tapes.set(y, { args, tape });
      return y;
    },
    backward: (g, { inputs, attrs, output }) => {
      const saved = tapes.get(output);
      if (saved === undefined) throw new ArgumentError('naryTreeLstm', 'backward found no saved activations for this output (was it released as unrecorded?)');
      const { childH, childC } = optionalInputs('naryTreeLstm', inputs, attrs.bias, attrs.children);
      const weights = inputs.slice(1, attrs.bias ? 5 : 3).some((t) => t.requiresGrad);
      const grads = naryTreeLstmBackward(saved.args, saved.tape, g.data, {
        x: inputs[0].requiresGrad, weights, children: childH !== null && childC !== null && (childH.requiresGrad || childC.requiresGrad),
      });
      const out = gradsInOrder(inputs, attrs.bias, grads, childH, childC);
      return out as never;
    },
  },
  childSumTreeLstm: {
    forward: (inputs, attrs) => {
      const args = childSumArgsOf(inputs, attrs);
      const { nodes: n, hiddenSize: H } = args;
      const tape = childSumLstmTape(args.x, n, args.slots, H, args.childH !== null);
      const y = new Tensor(allocate(inputs[0].dtype, 2 * n * H), [2, n, H]);
      childSumLstmForward(args, tape, y.data);
      childSumTapes.set(y, { args, tape });
      return y;
    },
    backward: (g, { inputs, attrs, output }) => {
      const saved = childSumTapes.get(output);
      if (saved === undefined) throw new ArgumentError('childSumTreeLstm', 'backward found no saved activations for this output (was it released as unrecorded?)');
      const { childH, childC } = optionalInputs('childSumTreeLstm', inputs, attrs.bias, attrs.children);
      const weights = inputs.slice(1, attrs.bias ? 5 : 3).some((t) => t.requiresGrad);
      const grads = childSumLstmBackward(saved.args, saved.tape, g.data, {
        x: inputs[0].requiresGrad, weights, children: childH !== null && childC !== null && (childH.requiresGrad || childC.requiresGrad),
      });
      return gradsInOrder(inputs, attrs.bias, grads, childH, childC) as never;
    },
  },
};
