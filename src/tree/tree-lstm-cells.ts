import { uniformParameter } from '../cells/params.js';
import { Module } from '../nn/index.js';
import {
  add, childSumTreeLstm, childSumTreeLstmFold, gather, matmul, mul, naryTreeLstm, naryTreeLstmFold, reshape, sigmoid, slice, sum, tanh,
  type FoldLevelSchedule, type SlottedFoldLevelSchedule,
} from '../ops/index.js';
import { Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import { affine, checkArity, checkComposeInput, checkTreeCellConfig, repeatRows, type BaseTreeCellConfig, type TreeCell } from './tree-cell.js';

/** The state of a Tree-LSTM node: output h [n, H] and memory cell c [n, H]. */
export type TreeLSTMState = { readonly h: Tensor; readonly c: Tensor };

// Tree-LSTM memory sums over children, c = i * g + sum_k f_k * c_k, so with forget gates
// near sigmoid(1) = 0.73 two children already grow |c| by 1.46x per level and deep trees
// drift out of the range seen in training; sigmoid(0) = 0.5 keeps the average instead.
const FORGET_BIAS = 0;

/** Config of a {@link ChildSumTreeLSTMCell}. */
export interface ChildSumTreeLSTMCellConfig extends BaseTreeCellConfig {
  /** Include the biases (default true). */
  readonly bias?: boolean;
  /** Initial forget-gate bias (default 0: with f = 0.5 per child the memory of a node averages, not sums, its children's). */
  readonly forgetBias?: number;
}

/** Config of an {@link NaryTreeLSTMCell}. */
export interface NaryTreeLSTMCellConfig extends BaseTreeCellConfig {
  /** Child slots N (default 2: binary trees, e.g. binarised constituency parses). */
  readonly arity?: number;
  /** Include the biases (default true). */
  readonly bias?: boolean;
  /** Initial forget-gate bias (default 0, see {@link ChildSumTreeLSTMCellConfig.forgetBias}). */
  readonly forgetBias?: number;
}

// PyTorch's LSTM init: U(-1/sqrt(H), 1/sqrt(H)), then the forget rows of b_ih set to forgetBias,
// of b_hh to 0, so the sum of the two biases is forgetBias (as LSTMCell does).
function lstmBiases(rowsIh: number, rowsHh: number, h: number, forgetRows: readonly [number, number][], forget: number, k: number, rng: Rng, dtype: DType): [Tensor, Tensor] {
  const biasIh = uniformParameter([rowsIh], k, rng, dtype);
  const biasHh = uniformParameter([rowsHh], k, rng, dtype);
  const [fromIh] = forgetRows[0] as [number, number];
  for (let j = fromIh; j < fromIh + h; j++) biasIh.data[j] = forget;
  for (const [, fromHh] of forgetRows) for (let j = fromHh; j < fromHh + h; j++) biasHh.data[j] = 0;
  return [biasIh, biasHh];
}

/**
 * The Child-Sum Tree-LSTM (Tai, Socher & Manning 2015, section 3.1): a node reads any
 * number of children as an unordered set (dependency trees), with one forget gate per child
 * so it can keep one child's memory and drop another's. Gates in PyTorch's order i, f, g, o
 * (g is Tai et al.'s u):
 *
 *     h~  = sum_k h_k
 *     i   = sigma(W_i x + b_i + U_i h~)          o = sigma(W_o x + b_o + U_o h~)
 *     g   = tanh(W_g x + b_g + U_g h~)
 *     f_k = sigma(W_f x + b_f + U_f h_k)         for every child k
 *     c   = i * g + sum_k f_k * c_k
 *     h   = o * tanh(c)
 *
 * weightIh [4H, I] holds W_i, W_f, W_g, W_o; weightHh [4H, H] holds U_i, U_f, U_g, U_o; b is
 * biasIh + biasHh [4H]. `compose` is one fused op per call ({@link childSumTreeLstm}: U h~
 * for i, g, o as one [n, H] x [H, 4H] gemm, U_f h_k as one [n*K, H] x [H, H]); `composeUnfused`
 * is the same step from primitive ops (every child through all of W_hh, summed). Zero
 * children (padding, leaves) add exact zeros.
 *
 * @example
 * ```ts
 * const cell = new ChildSumTreeLSTMCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const s = cell.compose(x, { h: kidsH, c: kidsC }); // kids [n, K, 16] -> s.h, s.c [n, 16]
 * ```
 */
export class ChildSumTreeLSTMCell extends Module implements TreeCell<TreeLSTMState> {
  readonly kind = 'child-sum-lstm';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  readonly arity = null;
  /** [4 * hiddenSize, inputSize], gates i, f, g, o */
  readonly weightIh: Tensor;
  /** [4 * hiddenSize, hiddenSize], gates i, f, g, o */
  readonly weightHh: Tensor;
  /** [4 * hiddenSize] or null */
  readonly biasIh: Tensor | null;
  /** [4 * hiddenSize] or null */
  readonly biasHh: Tensor | null;

  constructor(config: ChildSumTreeLSTMCellConfig, rng: Rng) {
    super();
    checkTreeCellConfig('child-sum-lstm', config);
    const { inputSize: i, hiddenSize: h } = config;
    this.inputSize = i;
    this.hiddenSize = h;
    this.dtype = config.dtype ?? 'float32';
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([4 * h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([4 * h, h], k, rng, this.dtype);
    const [bi, bh] = (config.bias ?? true)
      ? lstmBiases(4 * h, 4 * h, h, [[h, h]], config.forgetBias ?? FORGET_BIAS, k, rng, this.dtype)
      : [null, null];
    this.biasIh = bi;
    this.biasHh = bh;
  }

  zeroState(n: number): TreeLSTMState {
    const shape = [n, this.hiddenSize];
    return { h: zeros(shape, { dtype: this.dtype }), c: zeros(shape, { dtype: this.dtype }) };
  }

  /** One level in one fused op ({@link childSumTreeLstm}); same values as {@link composeUnfused}. */
  compose(x: Tensor, children: TreeLSTMState | null): TreeLSTMState {
    checkComposeInput(this, x, children);
    return childSumTreeLstm(x, this, children);
  }

  /**
   * A whole fold in one op ({@link childSumTreeLstmFold}): what foldTree calls for this cell.
   *
   * @example
   * ```ts
   * const { h, c } = cell.fold(planFold(trees, null).levels, x); // x [nodes, inputSize] in plan order
   * ```
   */
  fold(levels: readonly SlottedFoldLevelSchedule[], x: Tensor): TreeLSTMState {
    checkComposeInput(this, x, null);
    return childSumTreeLstmFold(x, this, levels);
  }

  /**
   * A whole fold whose inputs are rows of a table (what foldTree calls for a
   * {@link FoldTableInputs} source): {@link childSumTreeLstmFold} with `inputRows`, which on the
   * WebAssembly kernels computes each distinct row's a = b + x W_ih^T once (see
   * NaryTreeLSTMCell.foldRows). The same values as `fold(levels, gather(table, rows))` to rounding.
   *
   * @example
   * ```ts
   * const { h } = cell.foldRows(plan.levels, embedding.weight, wordIds); // wordIds: Int32Array, one per node
   * ```
   */
  foldRows(levels: readonly SlottedFoldLevelSchedule[], table: Tensor, rows: Int32Array): TreeLSTMState {
    checkComposeInput(this, table, null);
    return childSumTreeLstmFold(table, this, levels, rows);
  }

  /**
   * The same step composed from primitive ops (the twin the fused op is tested against).
   *
   * @example
   * ```ts
   * const composed = cell.composeUnfused(x, kids); // equals cell.compose(x, kids) to rounding
   * ```
   */
  composeUnfused(x: Tensor, children: TreeLSTMState | null): TreeLSTMState {
    const k = checkComposeInput(this, x, children);
    const n = x.shape[0] as number;
    const h = this.hiddenSize;
    // W x + b_ih + b_hh in one gemm (see affine); children's terms are added after it.
    const xg = affine(x, this.weightIh, this.biasIh === null || this.biasHh === null ? null : add(this.biasIh, this.biasHh));
    const gate = (t: Tensor, block: number): Tensor => slice(t, [0, block * h], [n, h]);
    if (children === null) {
      const c = mul(sigmoid(gate(xg, 0)), tanh(gate(xg, 2)));
      return { h: mul(sigmoid(gate(xg, 3)), tanh(c)), c };
    }
    // U h_k for every child of every node in one gemm: [n*K, H] x [H, 4H].
    const perChild = reshape(matmul(reshape(children.h, [n * k, h]), this.weightHh, { transB: true }), [n, k, 4 * h]);
    const gates = add(xg, sum(perChild, 1));
    const f = sigmoid(add(repeatRows(gate(xg, 1), k), slice(perChild, [0, 0, h], [n, k, h])));
    // i * g first, then the children's memory: with zero children that sum is exactly 0.
    const c = add(mul(sigmoid(gate(gates, 0)), tanh(gate(gates, 2))), sum(mul(f, children.c), 1));
    return { h: mul(sigmoid(gate(gates, 3)), tanh(c)), c };
  }

  output(state: TreeLSTMState): Tensor {
    return state.h;
  }
}

/**
 * The N-ary Tree-LSTM (Tai, Socher & Manning 2015, section 3.2): for trees with at most N
 * ordered children (binary constituency parses, expression trees), every child position l
 * has its own weights, and each child's forget gate f_k sees all the children:
 *
 *     i   = sigma(W_i x + b_i + sum_l U_i^l h_l)       o = sigma(W_o x + b_o + sum_l U_o^l h_l)
 *     g   = tanh(W_g x + b_g + sum_l U_g^l h_l)
 *     f_k = sigma(W_f x + b_f + sum_l U_f^{kl} h_l)    k = 1..N
 *     c   = i * g + sum_k f_k * c_k
 *     h   = o * tanh(c)
 *
 * weightIh [4H, I] holds W_i, W_f, W_g, W_o (one W_f shared by the N forget gates, as in the
 * paper); weightHh [(N+3)H, N*H] stacks the row blocks i, f_1..f_N, g, o over the columns
 * [h_1; ...; h_N]; biasIh [4H] and biasHh [(N+3)H]. Absent children (leaves, unary nodes)
 * are zero states. `compose` is one fused op per call ({@link naryTreeLstm}: two gemms,
 * x W_ih^T [n, 4H] and the children's [n, N*H] x [N*H, (N+3)H], and one element-wise pass);
 * `composeUnfused` is the same step from primitive ops.
 *
 * @example
 * ```ts
 * const cell = new NaryTreeLSTMCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const s = cell.compose(op, { h: pairH, c: pairC }); // pairs [n, 2, 16] -> s.h [n, 16]
 * ```
 */
export class NaryTreeLSTMCell extends Module implements TreeCell<TreeLSTMState> {
  readonly kind = 'nary-lstm';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  readonly arity: number;
  /** [4 * hiddenSize, inputSize], gates i, f, g, o */
  readonly weightIh: Tensor;
  /** [(arity + 3) * hiddenSize, arity * hiddenSize], row blocks i, f_1..f_N, g, o */
  readonly weightHh: Tensor;
  /** [4 * hiddenSize] or null */
  readonly biasIh: Tensor | null;
  /** [(arity + 3) * hiddenSize] or null */
  readonly biasHh: Tensor | null;
  /** For each row of weightHh, the row of weightIh with the same gate (private: not a parameter). */
  readonly #blockRows: Float64Array;

  constructor(config: NaryTreeLSTMCellConfig, rng: Rng) {
    super();
    checkTreeCellConfig('nary-lstm', config);
    const arity = config.arity ?? 2;
    checkArity('nary-lstm', arity);
    const { inputSize: i, hiddenSize: h } = config;
    this.inputSize = i;
    this.hiddenSize = h;
    this.arity = arity;
    this.dtype = config.dtype ?? 'float32';
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([4 * h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([(arity + 3) * h, arity * h], k, rng, this.dtype);
    const forgetRows = Array.from({ length: arity }, (_, l) => [h, (1 + l) * h] as [number, number]);
    const [bi, bh] = (config.bias ?? true)
      ? lstmBiases(4 * h, (arity + 3) * h, h, forgetRows, config.forgetBias ?? FORGET_BIAS, k, rng, this.dtype)
      : [null, null];
    this.biasIh = bi;
    this.biasHh = bh;
    const gateOf = (block: number): number => (block === 0 ? 0 : block <= arity ? 1 : block - arity + 1);
    this.#blockRows = Float64Array.from({ length: (arity + 3) * h }, (_, r) => gateOf(Math.floor(r / h)) * h + (r % h));
  }

  zeroState(n: number): TreeLSTMState {
    const shape = [n, this.hiddenSize];
    return { h: zeros(shape, { dtype: this.dtype }), c: zeros(shape, { dtype: this.dtype }) };
  }

  /** One level in one fused op ({@link naryTreeLstm}); same values as {@link composeUnfused}. */
  compose(x: Tensor, children: TreeLSTMState | null): TreeLSTMState {
    checkComposeInput(this, x, children);
    return naryTreeLstm(x, this, children);
  }

  /**
   * A whole fold in one op ({@link naryTreeLstmFold}): what foldTree calls for this cell.
   *
   * @example
   * ```ts
   * const { h, c } = cell.fold(planFold(trees, 2).levels, x); // x [nodes, inputSize] in plan order
   * ```
   */
  fold(levels: readonly FoldLevelSchedule[], x: Tensor): TreeLSTMState {
    checkComposeInput(this, x, null);
    return naryTreeLstmFold(x, this, levels);
  }

  /**
   * A whole fold whose inputs are rows of a table (what foldTree calls for a
   * {@link FoldTableInputs} source, such as a TreeClassifier's embedding): one op
   * ({@link naryTreeLstmFold} with `inputRows`), which on the WebAssembly kernels multiplies
   * each distinct row by the input weights once,
   *
   *     P = b + table[distinct rows] W_x^T     (W_x: W_ih in block order; b = b_ih + b_hh)
   *     z(r) = P[row of r] + [h_1..h_N] W_hh^T
   *
   * so no node multiplies its own x (a batch's words repeat: the digits at the leaves, the
   * operators). The same values as `fold(levels, gather(table, rows))` to rounding (the bias
   * and the input's product are summed before the children's rather than in one product).
   *
   * @example
   * ```ts
   * const { h } = cell.foldRows(plan.levels, embedding.weight, wordIds); // wordIds: Int32Array, one per node
   * ```
   */
  foldRows(levels: readonly FoldLevelSchedule[], table: Tensor, rows: Int32Array): TreeLSTMState {
    checkComposeInput(this, table, null);
    return naryTreeLstmFold(table, this, levels, rows);
  }

  /**
   * The same step composed from primitive ops (the twin the fused op is tested against,
   * and the maths above written out op by op).
   *
   * @example
   * ```ts
   * const composed = cell.composeUnfused(x, kids); // equals cell.compose(x, kids) to rounding
   * ```
   */
  composeUnfused(x: Tensor, children: TreeLSTMState | null): TreeLSTMState {
    checkComposeInput(this, x, children);
    const n = x.shape[0] as number;
    const h = this.hiddenSize;
    const N = this.arity;
    // W_ih's rows in weightHh's block order (i, f_1..f_N, g, o: W_f repeated N times), so
    // the input's and the children's pre-activations add up block for block.
    const index = new Tensor(this.#blockRows, [this.#blockRows.length]);
    const wx = gather(this.weightIh, index);
    const b = this.biasIh === null || this.biasHh === null ? null : add(gather(this.biasIh, index), this.biasHh);
    let gates = affine(x, wx, b);
    // Children's product added last: exact zeros for zero children (the leaf step's bits).
    if (children !== null) gates = add(gates, matmul(reshape(children.h, [n, N * h]), this.weightHh, { transB: true }));
    // One sigmoid pass over all blocks (g's is unused) instead of a slice per gate first.
    const s = sigmoid(gates);
    let c = mul(slice(s, [0, 0], [n, h]), tanh(slice(gates, [0, (N + 1) * h], [n, h])));
    if (children !== null) {
      const f = reshape(slice(s, [0, h], [n, N * h]), [n, N, h]);
      c = add(c, sum(mul(f, children.c), 1));
    }
    return { h: mul(slice(s, [0, (N + 2) * h], [n, h]), tanh(c)), c };
  }

  output(state: TreeLSTMState): Tensor {
    return state.h;
  }
}
