import { uniformParameter } from '../cells/params.js';
import { Module } from '../nn/index.js';
import { add, matmul, reshape, tanh, treeRnnFold, type FoldLevelSchedule } from '../ops/index.js';
import { Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import { affine, checkArity, checkComposeInput, checkTreeCellConfig, type BaseTreeCellConfig, type TreeCell } from './tree-cell.js';

/** Config of a {@link RecursiveCell}. */
export interface RecursiveCellConfig extends BaseTreeCellConfig {
  /** Child slots N (default 2: binary trees). */
  readonly arity?: number;
  /** Include the biases (default true). */
  readonly bias?: boolean;
}

/** The state of a recursive network: the node's vector. */
export type RecursiveState = { readonly h: Tensor };

/**
 * The classic recursive neural network (Pollack 1990; Socher et al. 2011; the chapter's
 * section 10.6): one shared layer composes the children's vectors,
 *
 *     h = tanh(W_ih x + b_ih + b_hh + W_hh [h_1; ...; h_N])
 *
 * with W_hh = weightHh [H, N*H] (the book's W for N = 2: h = tanh(W [h_left; h_right] + b)),
 * W_ih = weightIh [H, I] reading the node's own input x (a word at a leaf, an operator at an
 * expression node; zero where there is none, which leaves exactly the book's equation), and
 * two biases as in PyTorch's RNN cells. A leaf has no children: h = tanh(W_ih x + b_ih + b_hh).
 * Per call, two gemms: [x, 1] against [W_ih, b_ih + b_hh] and [h_1; ...; h_N] against W_hh.
 * Absent child slots (a unary node) read zeros. Initialised U(-1/sqrt(H), 1/sqrt(H)).
 *
 * @example
 * ```ts
 * const cell = new RecursiveCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const leaves = cell.compose(x, null);                     // x [4, 8] -> h [4, 16]
 * const parents = cell.compose(ops, { h: pairs });          // pairs [2, 2, 16] -> h [2, 16]
 * ```
 */
export class RecursiveCell extends Module implements TreeCell<RecursiveState> {
  readonly kind = 'rnn';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  readonly arity: number;
  /** W_ih: [hiddenSize, inputSize] */
  readonly weightIh: Tensor;
  /** W_hh: [hiddenSize, arity * hiddenSize], columns in child order */
  readonly weightHh: Tensor;
  /** [hiddenSize], or null without bias */
  readonly biasIh: Tensor | null;
  /** [hiddenSize], or null without bias */
  readonly biasHh: Tensor | null;

  constructor(config: RecursiveCellConfig, rng: Rng) {
    super();
    checkTreeCellConfig('rnn', config);
    const arity = config.arity ?? 2;
    checkArity('rnn', arity);
    const { inputSize: i, hiddenSize: h } = config;
    this.inputSize = i;
    this.hiddenSize = h;
    this.arity = arity;
    this.dtype = config.dtype ?? 'float32';
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([h, arity * h], k, rng, this.dtype);
    const bias = config.bias ?? true;
    this.biasIh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    this.biasHh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
  }

  zeroState(n: number): RecursiveState {
    return { h: zeros([n, this.hiddenSize], { dtype: this.dtype }) };
  }

  compose(x: Tensor, children: RecursiveState | null): RecursiveState {
    checkComposeInput(this, x, children);
    const n = x.shape[0] as number;
    // Both biases ride in the input's gemm; the children's product is added last, so with
    // zero children it adds exact zeros and the leaf step gives the same bits.
    const a = affine(x, this.weightIh, this.biasIh === null || this.biasHh === null ? null : add(this.biasIh, this.biasHh));
    if (children === null) return { h: tanh(a) };
    return { h: tanh(add(a, matmul(reshape(children.h, [n, this.arity * this.hiddenSize]), this.weightHh, { transB: true }))) };
  }

  /**
   * A whole fold in one op ({@link treeRnnFold}): what foldTree calls for this cell, with the
   * same arithmetic as {@link compose} level by level (in float64, the same bits; in float32 on
   * the WebAssembly kernels, the kernels' tanh and one product per row, equal to rounding).
   *
   * @example
   * ```ts
   * const { h } = cell.fold(planFold(trees, 2).levels, x); // x [nodes, inputSize] in plan order
   * ```
   */
  fold(levels: readonly FoldLevelSchedule[], x: Tensor): RecursiveState {
    checkComposeInput(this, x, null);
    return { h: treeRnnFold(x, this, levels) };
  }

  /**
   * A whole fold whose inputs are rows of a table (what foldTree calls for a
   * {@link FoldTableInputs} source): {@link treeRnnFold} with `inputRows`, which on the
   * WebAssembly kernels computes each distinct row's b + x W_ih^T once (see
   * NaryTreeLSTMCell.foldRows). The same values as `fold(levels, gather(table, rows))` to rounding.
   *
   * @example
   * ```ts
   * const { h } = cell.foldRows(plan.levels, embedding.weight, wordIds); // wordIds: Int32Array, one per node
   * ```
   */
  foldRows(levels: readonly FoldLevelSchedule[], table: Tensor, rows: Int32Array): RecursiveState {
    checkComposeInput(this, table, null);
    return { h: treeRnnFold(table, this, levels, rows) };
  }

  output(state: RecursiveState): Tensor {
    return state.h;
  }
}
