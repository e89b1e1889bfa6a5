import { checkChildSumLstmArgs, childSumLstmBackward, childSumLstmForward, childSumLstmTape, type ChildSumLstmArgs } from '../kernels/child-sum-lstm.js';
import {
  checkChildSumLstmFoldArgs, childSumLstmFoldBackward, childSumLstmFoldForward, childSumLstmFoldRelease, childSumLstmFoldTape, type ChildSumLstmFoldArgs,
} from '../kernels/child-sum-lstm-fold.js';
import type { FoldOfLevelsArgs, FoldOfLevelsGrads, FoldWanted } from '../kernels/tree-fold-levels.js';
import type { TreeLstmGrads, TreeLstmLevelArgs, TreeLstmWanted } from '../kernels/tree-lstm-gates.js';
import { checkTreeRnnFoldArgs, treeRnnFoldBackward, treeRnnFoldForward, treeRnnFoldRelease, treeRnnFoldTape, type TreeRnnFoldArgs } from '../kernels/tree-rnn-fold.js';
import {
  checkNaryTreeLstmFoldArgs, naryTreeLstmFoldBackward, naryTreeLstmFoldForward, naryTreeLstmFoldRelease, naryTreeLstmFoldTape, type NaryTreeLstmFoldArgs,
} from '../kernels/tree-lstm-fold.js';
import { checkNaryTreeLstmArgs, naryTreeLstmBackward, naryTreeLstmForward, naryTreeLstmTape, type NaryTreeLstmArgs } from '../kernels/tree-lstm.js';
import { ArgumentError, ShapeError, Tensor, allocate, type TypedArray } from '../tensor/index.js';
import type {
  ChildSumTreeLstmAttrs, ChildSumTreeLstmFoldAttrs, NaryTreeLstmAttrs, NaryTreeLstmFoldAttrs, NaryTreeLstmOpInputs, OpDef, OpSignatures, TreeOpName,
} from './op-def.js';
import { checkSameDType } from './raw/checks.js';

// The Tree-LSTMs' composition of one level as fused ops, promoted for speed: composed
// (tree/tree-lstm-cells.ts, the twins in the tests) an N-ary level is a gather of W_ih's rows,
// two gemms and about 15 element-wise ops, each with its own [n, (N+3)H] intermediate, and a
// Child-Sum level about as many; fused each is one graph node (kernels/tree-lstm.ts and
// kernels/child-sum-lstm.ts have the maths).

/** Each tree op's saved activations of its recorded calls, found again through the output. */
const savedByOp: WeakMap<Tensor, unknown>[] = [];

/**
 * Each whole-fold op's release of an unrecorded output: drops its saved call and frees the
 * fold's tape in wasm memory (registered by wholeFoldOp).
 */
const foldReleases: ((output: Tensor) => void)[] = [];

/**
 * Drops the saved activations of a naryTreeLstm, childSumTreeLstm, naryTreeLstmFold,
 * childSumTreeLstmFold or treeRnnFold output that no backward will read (the call was not
 * recorded), and frees a whole fold's tape in wasm memory (N-ary, Child-Sum, recursive
 * network). The functional wrappers call it right after `apply`.
 *
 * @example
 * ```ts
 * const y = apply('naryTreeLstm', inputs, attrs); // or 'childSumTreeLstm', 'naryTreeLstmFold'
 * releaseTreeLstmTape(y);
 * ```
 */
export function releaseTreeLstmTape(output: Tensor): void {
  if (output.gradFn !== null) return;
  for (const saved of savedByOp) saved.delete(output);
  for (const release of foldReleases) release(output);
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

/** [nodes, I, H] of a Child-Sum op's x and weights, after checking their shapes (x [n, I], weightIh [4H, I], weightHh [4H, H], biases [4H]). */
function childSumSizes(op: string, x: Tensor, weightIh: Tensor, weightHh: Tensor, biasIh: Tensor | null, biasHh: Tensor | null): [number, number, number] {
  if (x.rank !== 2) throw new ShapeError(op, 'x must be [nodes, inputSize]', [x.shape]);
  const [n, I] = x.shape as [number, number];
  if (weightHh.rank !== 2) throw new ShapeError(op, 'weightHh must be [4 * hiddenSize, hiddenSize]', [weightHh.shape]);
  const H = weightHh.shape[1] as number;
  expectShape('weightHh', weightHh, [4 * H, H], op);
  expectShape('weightIh', weightIh, [4 * H, I], op);
  if (biasIh !== null) expectShape('biasIh', biasIh, [4 * H], op);
  if (biasHh !== null) expectShape('biasHh', biasHh, [4 * H], op);
  return [n, I, H];
}

function childSumArgsOf(inputs: NaryTreeLstmOpInputs, attrs: ChildSumTreeLstmAttrs): ChildSumLstmArgs {
  const op = 'childSumTreeLstm';
  checkSameDType(op, [...inputs]);
  const [x, weightIh, weightHh] = inputs;
  const { biasIh, biasHh, childH, childC } = optionalInputs(op, inputs, attrs.bias, attrs.children);
  const [n, I, H] = childSumSizes(op, x, weightIh, weightHh, biasIh, biasHh);
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
  inputs: NaryTreeLstmOpInputs, bias: boolean, grads: TreeLstmGrads, childH: Tensor | null, childC: Tensor | null,
): (Tensor | null)[] {
  const [x, weightIh, weightHh] = inputs;
  const as = (data: TypedArray | null, like: Tensor): Tensor | null => (data === null || !like.requiresGrad ? null : new Tensor(data, like.shape));
  const out: (Tensor | null)[] = [as(grads.x, x), as(grads.weightIh, weightIh), as(grads.weightHh, weightHh)];
  if (bias) out.push(as(grads.biasIh, inputs[3] as Tensor), as(grads.biasHh, inputs[4] as Tensor));
  if (childH !== null && childC !== null) out.push(as(grads.childH, childH), as(grads.childC, childC));
  return out;
}

/** The fused ops of one level (the *Fold ops are whole folds). */
type LevelOpName = Exclude<TreeOpName, WholeFoldOpName>;

/** The kernel side of one fused tree op: its arguments from the op's inputs, its tape, its passes. */
interface LevelKernel<A extends TreeLstmLevelArgs, P> {
  readonly name: LevelOpName;
  args(inputs: NaryTreeLstmOpInputs, attrs: ChildSumTreeLstmAttrs & Partial<NaryTreeLstmAttrs>): A;
  tape(args: A): P;
  forward(args: A, tape: P, out: TypedArray): void;
  backward(args: A, tape: P, dy: TypedArray, want: TreeLstmWanted): TreeLstmGrads;
}

/**
 * The op-table entry of a fused tree op: forward packs h and c as [2, n, H] and keeps the tape
 * under the output; backward finds it, asks the kernel for the gradients the inputs need and
 * returns them in input order.
 */
function levelOp<K extends LevelOpName, A extends TreeLstmLevelArgs, P>(kernel: LevelKernel<A, P>): OpDef<K> {
  const saved = new WeakMap<Tensor, { args: A; tape: P }>();
  savedByOp.push(saved);
  return {
    forward: (inputs, attrs) => {
      const args = kernel.args(inputs, attrs);
      const { nodes: n, hiddenSize: H } = args;
      const tape = kernel.tape(args);
      const y = new Tensor(allocate(inputs[0].dtype, 2 * n * H), [2, n, H]);
      kernel.forward(args, tape, y.data);
      saved.set(y, { args, tape });
      return y;
    },
    backward: (g, { inputs, attrs, output }) => {
      const s = saved.get(output);
      if (s === undefined) throw new ArgumentError(kernel.name, 'backward found no saved activations for this output (was it released as unrecorded?)');
      const { bias, children } = attrs as ChildSumTreeLstmAttrs;
      const { childH, childC } = optionalInputs(kernel.name, inputs, bias, children);
      const grads = kernel.backward(s.args, s.tape, g.data, {
        x: inputs[0].requiresGrad,
        weights: inputs.slice(1, bias ? 5 : 3).some((t) => t.requiresGrad),
        children: childH !== null && childC !== null && (childH.requiresGrad || childC.requiresGrad),
      });
      return gradsInOrder(inputs, bias, grads, childH, childC) as never;
    },
    // The level kernels return a new array for every gradient (none shared, none reused).
    freshGradients: true,
  };
}

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
 * The part every whole-fold op's inputs share, checked: one dtype, [x, weightIh, weightHh]
 * then [biasIh, biasHh] when `bias`, x [nodes, I], and the arity (when the cell has one) a
 * positive integer.
 */
function wholeFoldInputs(op: string, inputs: NaryTreeLstmOpInputs, bias: boolean, arity: number | null): {
  x: Tensor; weightIh: Tensor; weightHh: Tensor; biasIh: Tensor | null; biasHh: Tensor | null; n: number; I: number;
} {
  checkSameDType(op, [...inputs]);
  if (arity !== null && (!Number.isInteger(arity) || arity < 1)) throw new ArgumentError(op, `arity must be a positive integer, got ${arity}`);
  const expected = bias ? 5 : 3;
  if (inputs.length !== expected) throw new ArgumentError(op, `expected ${expected} inputs for bias ${bias}, got ${inputs.length}`);
  const [x, weightIh, weightHh] = inputs;
  if (x.rank !== 2) throw new ShapeError(op, 'x must be [nodes, inputSize]', [x.shape]);
  const [n, I] = x.shape as [number, number];
  return { x, weightIh, weightHh, biasIh: bias ? (inputs[3] as Tensor) : null, biasHh: bias ? (inputs[4] as Tensor) : null, n, I };
}

function foldArgsOf(inputs: NaryTreeLstmOpInputs, attrs: NaryTreeLstmFoldAttrs): NaryTreeLstmFoldArgs {
  const op = 'naryTreeLstmFold';
  const { arity: N, inputRows } = attrs;
  const { x, weightIh, weightHh, biasIh, biasHh, I } = wholeFoldInputs(op, inputs, attrs.bias, N);
  // Table inputs: x holds rows, the nodes are the row indices.
  const n = inputRows?.length ?? (x.shape[0] as number);
  if (weightHh.rank !== 2) throw new ShapeError(op, 'weightHh must be [(arity + 3) * hiddenSize, arity * hiddenSize]', [weightHh.shape]);
  const H = (weightHh.shape[1] as number) / N;
  if (!Number.isInteger(H) || H < 1) throw new ShapeError(op, `weightHh's columns must be arity (${N}) * hiddenSize`, [weightHh.shape]);
  expectShape('weightIh', weightIh, [4 * H, I], op);
  expectShape('weightHh', weightHh, [(N + 3) * H, N * H], op);
  if (biasIh !== null) expectShape('biasIh', biasIh, [4 * H], op);
  if (biasHh !== null) expectShape('biasHh', biasHh, [(N + 3) * H], op);
  const args: NaryTreeLstmFoldArgs = {
    nodes: n, inputSize: I, hiddenSize: H, arity: N, x: x.data, weightIh: weightIh.data, weightHh: weightHh.data,
    biasIh: biasIh?.data ?? null, biasHh: biasHh?.data ?? null, levels: attrs.levels, inputRows,
  };
  checkNaryTreeLstmFoldArgs(op, args);
  return args;
}

/** The whole-fold ops: every level of a schedule in one graph node. */
type WholeFoldOpName = 'naryTreeLstmFold' | 'childSumTreeLstmFold' | 'treeRnnFold';

/** The kernel side of a whole-fold op: its arguments from the op's inputs, an empty tape, its passes, the release of an unread tape. */
interface WholeFoldKernel<K extends WholeFoldOpName, A extends FoldOfLevelsArgs, P> {
  readonly name: K;
  /** State fields per node: the output is [2, nodes, H] (h, then c) or, with 1, [nodes, H]. */
  readonly fields: 1 | 2;
  args(inputs: NaryTreeLstmOpInputs, attrs: OpSignatures[K]['attrs']): A;
  tape(): P;
  forward(args: A, tape: P, out: TypedArray): void;
  backward(args: A, tape: P, dy: TypedArray, want: FoldWanted): FoldOfLevelsGrads;
  /** Frees a tape no backward will read (its block of wasm memory, if it has one). */
  release(tape: P): void;
}

/**
 * A whole-fold op's entry: forward folds every level and keeps the tape under the output
 * (dropped, and a wasm tape freed, by releaseTreeLstmTape when unrecorded); backward hands the
 * kernel the tape and dy (a fold kernel frees its wasm tape once it has read it).
 */
function wholeFoldOp<K extends WholeFoldOpName, A extends FoldOfLevelsArgs, P>(kernel: WholeFoldKernel<K, A, P>): OpDef<K> {
  const saved = new WeakMap<Tensor, { args: A; tape: P }>();
  foldReleases.push((output) => {
    const s = saved.get(output);
    if (s === undefined) return;
    kernel.release(s.tape);
    saved.delete(output);
  });
  return {
    forward: (inputs, attrs) => {
      const args = kernel.args(inputs, attrs);
      const tape = kernel.tape();
      const { nodes, hiddenSize: H } = args;
      const y = new Tensor(allocate(inputs[0].dtype, kernel.fields * nodes * H), kernel.fields === 1 ? [nodes, H] : [2, nodes, H]);
      kernel.forward(args, tape, y.data);
      saved.set(y, { args, tape });
      return y;
    },
    backward: (g, { inputs, attrs, output }) => {
      const s = saved.get(output);
      if (s === undefined) throw new ArgumentError(kernel.name, 'backward found no saved activations for this output (was it released as unrecorded?)');
      const grads = kernel.backward(s.args, s.tape, g.data, {
        x: inputs[0].requiresGrad,
        weights: inputs.slice(1).some((t) => t.requiresGrad),
      });
      return gradsInOrder(inputs, attrs.bias, { ...grads, childH: null, childC: null }, null, null) as never;
    },
    // The fold kernels return a new array for every gradient (none shared, none reused).
    freshGradients: true,
  };
}

function treeRnnFoldArgsOf(inputs: NaryTreeLstmOpInputs, attrs: NaryTreeLstmFoldAttrs): TreeRnnFoldArgs {
  const op = 'treeRnnFold';
  const { arity: N, inputRows } = attrs;
  const { x, weightIh, weightHh, biasIh, biasHh, I } = wholeFoldInputs(op, inputs, attrs.bias, N);
  const n = inputRows?.length ?? (x.shape[0] as number);
  if (weightIh.rank !== 2) throw new ShapeError(op, 'weightIh must be [hiddenSize, inputSize]', [weightIh.shape]);
  const H = weightIh.shape[0] as number;
  expectShape('weightIh', weightIh, [H, I], op);
  expectShape('weightHh', weightHh, [H, N * H], op);
  if (biasIh !== null) expectShape('biasIh', biasIh, [H], op);
  if (biasHh !== null) expectShape('biasHh', biasHh, [H], op);
  const args: TreeRnnFoldArgs = {
    nodes: n, inputSize: I, hiddenSize: H, arity: N, x: x.data, weightIh: weightIh.data, weightHh: weightHh.data,
    biasIh: biasIh?.data ?? null, biasHh: biasHh?.data ?? null, levels: attrs.levels, inputRows,
  };
  checkTreeRnnFoldArgs(op, args);
  return args;
}

function childSumFoldArgsOf(inputs: NaryTreeLstmOpInputs, attrs: ChildSumTreeLstmFoldAttrs): ChildSumLstmFoldArgs {
  const op = 'childSumTreeLstmFold';
  const { inputRows } = attrs;
  const { x, weightIh, weightHh, biasIh, biasHh } = wholeFoldInputs(op, inputs, attrs.bias, null);
  const [rows, I, H] = childSumSizes(op, x, weightIh, weightHh, biasIh, biasHh);
  const args: ChildSumLstmFoldArgs = {
    nodes: inputRows?.length ?? rows, inputSize: I, hiddenSize: H, x: x.data, weightIh: weightIh.data, weightHh: weightHh.data,
    biasIh: biasIh?.data ?? null, biasHh: biasHh?.data ?? null, levels: attrs.levels, inputRows,
  };
  checkChildSumLstmFoldArgs(op, args);
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
 * - naryTreeLstmFold([x [nodes,I], weightIh, weightHh, (biasIh, biasHh)], { arity, bias, levels, (inputRows) })
 *   -> [2, nodes, H]: a whole N-ary Tree-LSTM fold over a level schedule (kernels/tree-lstm-fold.ts),
 *   every node's h and c in plan order. Its twin is foldTree level by level. With inputRows
 *   (i32, one per node), x is a table [rows, I] and node r's input its row inputRows[r]; so
 *   for childSumTreeLstmFold and treeRnnFold.
 * - childSumTreeLstmFold([x [nodes,I], weightIh [4H,I], weightHh [4H,H], (biasIh, biasHh)], { bias, levels })
 *   -> [2, nodes, H]: a whole Child-Sum Tree-LSTM fold over a schedule whose levels carry their
 *   child slots (kernels/child-sum-lstm-fold.ts). Its twin is foldTree level by level.
 * - treeRnnFold([x [nodes,I], weightIh [H,I], weightHh [H,NH], (biasIh, biasHh [H])], { arity, bias, levels })
 *   -> [nodes, H]: a whole fold of the classic recursive network (kernels/tree-rnn-fold.ts),
 *   every node's h in plan order. Its twin is foldTree level by level with RecursiveCell.
 *
 * @example
 * ```ts
 * import { naryTreeLstm } from 'unfold';
 * const { h, c } = naryTreeLstm(x, cell, { h: kidsH, c: kidsC }); // kids [n, 2, H]
 * ```
 */
export const TREE_OPS: { [K in TreeOpName]: OpDef<K> } = {
  naryTreeLstm: levelOp({
    name: 'naryTreeLstm',
    args: (inputs, attrs) => argsOf(inputs, attrs as NaryTreeLstmAttrs),
    tape: (args: NaryTreeLstmArgs) => naryTreeLstmTape(args.x, args.nodes, args.hiddenSize, args.arity),
    forward: naryTreeLstmForward,
    backward: naryTreeLstmBackward,
  }),
  childSumTreeLstm: levelOp({
    name: 'childSumTreeLstm',
    args: childSumArgsOf,
    tape: (args: ChildSumLstmArgs) => childSumLstmTape(args.x, args.nodes, args.slots, args.hiddenSize, args.childH !== null),
    forward: childSumLstmForward,
    backward: childSumLstmBackward,
  }),
  naryTreeLstmFold: wholeFoldOp({
    name: 'naryTreeLstmFold', fields: 2, args: foldArgsOf, tape: naryTreeLstmFoldTape, forward: naryTreeLstmFoldForward, backward: naryTreeLstmFoldBackward, release: naryTreeLstmFoldRelease,
  }),
  childSumTreeLstmFold: wholeFoldOp({
    name: 'childSumTreeLstmFold', fields: 2, args: childSumFoldArgsOf, tape: childSumLstmFoldTape, forward: childSumLstmFoldForward, backward: childSumLstmFoldBackward,
    release: childSumLstmFoldRelease,
  }),
  treeRnnFold: wholeFoldOp({
    name: 'treeRnnFold', fields: 1, args: treeRnnFoldArgsOf, tape: treeRnnFoldTape, forward: treeRnnFoldForward, backward: treeRnnFoldBackward, release: treeRnnFoldRelease,
  }),
};
