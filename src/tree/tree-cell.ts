import { concat, gather, matmul, reshape, type SlottedFoldLevelSchedule } from '../ops/index.js';
import { ArgumentError, Tensor, allocate, type DType } from '../tensor/index.js';

/**
 * The state a tree cell computes at a node: named tensors with the nodes on axis 0, e.g.
 * `{ h }` for a recursive network, `{ h, c }` for a Tree-LSTM.
 */
export type TreeState = { readonly [name: string]: Tensor };

/**
 * One composition step of a recursive network, for n nodes at once:
 *
 *     s(node) = f(x(node), s(child_1), ..., s(child_K); theta)
 *
 * with the same parameters theta at every node, the tree analogue of a sequence cell's
 * s(t) = f(s(t-1), x(t)). A tree cell never walks a tree: `foldTree` does, and hands it
 * every node of one level of a whole batch of trees in one call, so the products inside
 * `compose` are one gemm per level.
 *
 * - `x` [n, inputSize] is each node's own input: the word vector at a leaf, the operator's
 *   embedding at an expression node, zeros where a node has no token.
 * - `children` holds the children's states stacked on axis 1: every field is [n, K, ...].
 *   Cells with a fixed `arity` N get K = N, an absent child (a leaf has none, a unary node
 *   one) being a zero state; cells with `arity: null` (child-sum) get any K >= 1 with zero
 *   states as padding, which by construction changes nothing.
 * - `children: null` means "no children at all": the leaf step. It must equal `compose`
 *   with all-zero children exactly (bit for bit), which lets `foldTree` skip the children's
 *   products for the bottom level without changing any result.
 *
 * @example
 * ```ts
 * const cell = createTreeCell('nary-lstm', { inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const leaves = cell.compose(x, null);                  // x [3, 8] -> { h [3, 16], c [3, 16] }
 * const parent = cell.compose(op, stackedChildren);      // children fields [1, 2, 16]
 * cell.output(parent);                                   // h [1, 16]
 * ```
 */
export interface TreeCell<S extends TreeState = TreeState> {
  /** The registry key of this cell's kind. */
  readonly kind: string;
  /** Features of a node's own input x. */
  readonly inputSize: number;
  /** Features of the output h (and of each state field). */
  readonly hiddenSize: number;
  /** The element type of parameters and state. */
  readonly dtype: DType;
  /**
   * Child slots per node: N for an N-ary cell (each child position has its own weights),
   * `null` for a cell that reads any number of children as a set (child-sum).
   */
  readonly arity: number | null;
  /** The state of n absent nodes: zeros. */
  zeroState(n: number): S;
  /** One composition step for n nodes (see the interface doc for the shapes). */
  compose(x: Tensor, children: S | null): S;
  /** What the node emits to classifiers: h [n, hiddenSize]. */
  output(state: S): Tensor;
  /**
   * Optional: a whole fold in one call, for cells with a fused fold kernel. Given x
   * [nodes, inputSize] of every node in plan order and the plan's levels, returns every
   * node's state in plan order: the same values as `foldTree` composing level by level.
   */
  fold?(levels: readonly SlottedFoldLevelSchedule[], x: Tensor): S;
  /**
   * Optional: the same whole fold with every node's input a row of `table` [rows, inputSize]
   * (row rows[r] for node r in plan order: an embedding lookup left to the cell), so a cell
   * can multiply each distinct row by its input weights once rather than once per node. The
   * same values as `fold(levels, gather(table, rows))` to rounding.
   */
  foldRows?(levels: readonly SlottedFoldLevelSchedule[], table: Tensor, rows: Int32Array): S;
  /** The trainable tensors, for optimizers and checkpoints. */
  parameters(): Tensor[];
}

/** The options every tree-cell config shares. */
export interface BaseTreeCellConfig {
  /** Features of a node's own input x. */
  readonly inputSize: number;
  /** Units in the state. */
  readonly hiddenSize: number;
  /** Parameter dtype (float32 unless said; float64 for gradient checks). */
  readonly dtype?: DType;
}

/**
 * Validates the shared config fields and throws an ArgumentError naming the cell and field.
 *
 * @example
 * ```ts
 * checkTreeCellConfig('my-cell', { inputSize: 8, hiddenSize: 0 }); // throws: hiddenSize must be a positive integer
 * ```
 */
export function checkTreeCellConfig(kind: string, config: BaseTreeCellConfig): void {
  for (const field of ['inputSize', 'hiddenSize'] as const) {
    const v = config[field];
    if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(`${kind} tree cell`, `${field} must be a positive integer, got ${v}`);
  }
}

/**
 * Validates an arity option: an integer >= 1.
 *
 * @example
 * ```ts
 * checkArity('my-cell', 3); // fine; checkArity('my-cell', 0) throws
 * ```
 */
export function checkArity(kind: string, arity: number): void {
  if (!Number.isInteger(arity) || arity < 1) throw new ArgumentError(`${kind} tree cell`, `arity must be a positive integer, got ${arity}`);
}

/**
 * Throws unless x is [n, inputSize] of the cell's dtype and every child field is
 * [n, K, hiddenSize] with K = arity (any K >= 1 for child-sum). Returns K (0 without children).
 * The first line of every cell's `compose`.
 *
 * @example
 * ```ts
 * const k = checkComposeInput(this, x, children); // e.g. 2 for a binary cell, 0 for leaves
 * ```
 */
export function checkComposeInput(cell: TreeCell, x: Tensor, children: TreeState | null): number {
  const where = `${cell.kind} tree cell compose`;
  if (x.rank !== 2 || x.shape[1] !== cell.inputSize) {
    throw new ArgumentError(where, `x must be [nodes, ${cell.inputSize}], got [${x.shape.join(',')}]`);
  }
  if (x.dtype !== cell.dtype) throw new ArgumentError(where, `x is ${x.dtype} but the cell's parameters are ${cell.dtype}`);
  if (children === null) return 0;
  const n = x.shape[0] as number;
  let k = -1;
  for (const [name, t] of Object.entries(children)) {
    if (t.rank !== 3 || t.shape[0] !== n || t.shape[2] !== cell.hiddenSize || (k !== -1 && t.shape[1] !== k)) {
      throw new ArgumentError(where, `children.${name} must be [${n}, K, ${cell.hiddenSize}] like the other fields, got [${t.shape.join(',')}]`);
    }
    k = t.shape[1] as number;
  }
  if (cell.arity !== null && k !== cell.arity) {
    throw new ArgumentError(where, `this cell reads exactly ${cell.arity} child slots (absent children as zero states), got ${k}`);
  }
  if (k < 1) throw new ArgumentError(where, 'children must have at least one slot; pass null for leaves');
  return k;
}

/**
 * x W^T + b for x [n, I], W [G, I], b [G] (or null), as ONE gemm with the bias riding along
 * as an extra weight column against a column of ones: [x, 1] [W, b]^T. That copies x (n rows
 * of I + 1) and W (G rows of I + 1) once per call instead of making and adding an [n, G]
 * broadcast of b, which matters when every level of a fold has another n. The bias is the
 * last term of each dot product, so the sum is (x . w) + b in that order.
 *
 * @example
 * ```ts
 * const pre = affine(x, cell.weightIh, cell.biasIh); // [n, G]
 * ```
 */
export function affine(x: Tensor, weight: Tensor, bias: Tensor | null): Tensor {
  if (bias === null) return matmul(x, weight, { transB: true });
  const n = x.shape[0] as number;
  const g = weight.shape[0] as number;
  const ones = new Tensor(allocate(x.dtype, n).fill(1), [n, 1]);
  return matmul(concat([x, ones], 1), concat([weight, reshape(bias, [g, 1])], 1), { transB: true });
}

/**
 * Each row of x [n, G] repeated k times: [n, k, G] (row i at [i, 0..k-1, :]): a gather (a
 * row copy, whose gradient sums the k copies) instead of a broadcast against [n, k, G], whose
 * index map would be rebuilt for every level's n.
 *
 * @example
 * ```ts
 * const f = sigmoid(add(repeatRows(xf, k), perChildF)); // xf [n, H], perChildF [n, k, H]
 * ```
 */
export function repeatRows(x: Tensor, k: number): Tensor {
  const n = x.shape[0] as number;
  const index = new Float64Array(n * k);
  for (let i = 0; i < n; i++) index.fill(i, i * k, (i + 1) * k);
  return gather(x, new Tensor(index, [n, k]));
}

/**
 * Row indices as a gather index of a table of this dtype (gather reads its indices as floats).
 *
 * @example
 * ```ts
 * gather(table, rowTensor(Int32Array.from([3, 0]), table.dtype)); // rows 3 and 0
 * ```
 */
export function rowTensor(rows: Int32Array, dtype: DType): Tensor {
  return new Tensor(dtype === 'float64' ? Float64Array.from(rows) : Float32Array.from(rows), [rows.length]);
}
