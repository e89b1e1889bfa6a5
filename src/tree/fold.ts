import { concat, gather, reshape, slice } from '../ops/index.js';
import { ArgumentError, Tensor } from '../tensor/index.js';
import { rowTensor, type TreeCell, type TreeState } from './tree-cell.js';
import type { Tree } from './tree.js';

/** One level of a {@link FoldPlan}: nodes whose children all sit in the level below. */
export interface FoldLevel {
  /** Plan row of the level's first node; its nodes are rows start .. start + count - 1. */
  readonly start: number;
  readonly count: number;
  /**
   * Nodes with at least one child: rows 0 .. internal - 1 of the level; the leaves follow
   * (rows internal .. count - 1), so the level's children term is a product over its first
   * `internal` rows only.
   */
  readonly internal: number;
  /** Child slots K per node at this level (the cell's arity, or the most children here, at least 1). */
  readonly slots: number;
  /**
   * [count * slots] gather indices: for node r and slot k, the child's row within the level
   * below, or that level's count (one past its end: the appended zero row) for no child.
   * Leaves' entries are all the zero row; foldTree reads only the first `internal * slots`.
   */
  readonly children: Float64Array;
  /** True when no node of the level has a child (always and only level 0). */
  readonly leavesOnly: boolean;
  /** True when some slot of an internal node has no child, so the zero row is needed. */
  readonly padded: boolean;
}

/**
 * The schedule `foldTree` follows for a batch of trees: every node gets a level, nodes are
 * numbered level by level ("plan order"), and each level's children are gather indices
 * into the level below.
 *
 * Levels are assigned "as late as possible": a root sits at level height(root), and every
 * other node one level below its parent (level = height(root) - depth). So every child is
 * in exactly the level below its parent, each level reads only the states of the previous
 * one, and a node's level depends on its own tree alone, so folding a tree alone or in any
 * batch puts it on the same level with the same children.
 */
export interface FoldPlan<T> {
  /** The trees, in batch order. */
  readonly trees: readonly Tree<T>[];
  /** Child slots the plan was built for: the cell's arity (null: any number). */
  readonly arity: number | null;
  /**
   * Every node, in plan order: level 0 first; within a level the internal nodes, then the
   * leaves, each by tree and then in pre-order.
   */
  readonly nodes: readonly Tree<T>[];
  readonly levels: readonly FoldLevel[];
  /** Plan row of each tree's root, as gather indices [B]. */
  readonly rootRows: Float64Array;
  /**
   * Plan row of every node in batch pre-order: tree 0's nodes in pre-order, then tree 1's...
   * Tree b's nodes are entries treeOffsets[b] .. treeOffsets[b + 1] - 1.
   */
  readonly preOrderRows: Int32Array;
  /** Start of each tree in `preOrderRows`, plus the total [B + 1]. */
  readonly treeOffsets: Int32Array;
}

/**
 * Builds the level schedule of {@link FoldPlan} for a batch of trees and a cell arity, in
 * time and memory linear in the number of nodes (iterative: any depth). A node with more
 * children than `arity` is an error; fewer are padded with zero states.
 *
 * @example
 * ```ts
 * const plan = planFold([tree('+', [tree('1'), tree('2')]), tree('7')], 2);
 * plan.levels.map((l) => l.count); // [3, 1]: three leaves, then the '+' node
 * ```
 */
export function planFold<T>(trees: readonly Tree<T>[], arity: number | null): FoldPlan<T> {
  if (trees.length === 0) throw new ArgumentError('planFold', 'needs at least one tree');
  if (arity !== null && (!Number.isInteger(arity) || arity < 1)) throw new ArgumentError('planFold', `arity must be a positive integer or null, got ${arity}`);
  // Pass 1: every node in batch pre-order (tree by tree) with its depth, parent and slot.
  const order: Tree<T>[] = [];
  const depth: number[] = [];
  const parent: number[] = [];
  const slot: number[] = [];
  const treeOffsets = new Int32Array(trees.length + 1);
  const rootHeight: number[] = [];
  // Pending nodes with the pre-order index of their parent, their slot and their depth.
  const stack: [Tree<T>, number, number, number][] = [];
  for (const [b, root] of trees.entries()) {
    treeOffsets[b] = order.length;
    let height = 0;
    stack.push([root, -1, 0, 0]);
    while (stack.length > 0) {
      const [node, p, k, d] = stack.pop() as [Tree<T>, number, number, number];
      const g = order.length;
      order.push(node);
      depth.push(d);
      parent.push(p);
      slot.push(k);
      if (d > height) height = d;
      const kids = node.children;
      if (arity !== null && kids.length > arity) {
        throw new ArgumentError('planFold', `a node of tree ${b} has ${kids.length} children but the cell reads at most ${arity}`);
      }
      // Right to left, so the leftmost child is popped first: pre-order.
      for (let c = kids.length - 1; c >= 0; c--) stack.push([kids[c] as Tree<T>, g, c, d + 1]);
    }
    rootHeight.push(height);
  }
  treeOffsets[trees.length] = order.length;
  const total = order.length;

  // Levels, and the number of nodes and slots of each.
  const level = new Int32Array(total);
  let levelCount = 0;
  for (let b = 0; b < trees.length; b++) {
    const h = rootHeight[b] as number;
    if (h + 1 > levelCount) levelCount = h + 1;
    for (let g = treeOffsets[b] as number; g < (treeOffsets[b + 1] as number); g++) level[g] = h - (depth[g] as number);
  }
  const counts = new Int32Array(levelCount);
  const internal = new Int32Array(levelCount);
  const maxKids = new Int32Array(levelCount);
  for (let g = 0; g < total; g++) {
    const l = level[g] as number;
    counts[l] = (counts[l] as number) + 1;
    const k = (order[g] as Tree<T>).children.length;
    if (k > 0) internal[l] = (internal[l] as number) + 1;
    if (k > (maxKids[l] as number)) maxKids[l] = k;
  }
  const starts = new Int32Array(levelCount);
  for (let l = 1; l < levelCount; l++) starts[l] = (starts[l - 1] as number) + (counts[l - 1] as number);

  // Rows: within a level, the internal nodes first, then the leaves; each part by tree and
  // then in pre-order.
  const rowInLevel = new Int32Array(total);
  const fillInternal = new Int32Array(levelCount);
  const fillLeaves = new Int32Array(levelCount);
  const nodes = new Array<Tree<T>>(total);
  const planRow = new Int32Array(total);
  for (let g = 0; g < total; g++) {
    const l = level[g] as number;
    let r: number;
    if ((order[g] as Tree<T>).children.length > 0) {
      r = fillInternal[l] as number;
      fillInternal[l] = r + 1;
    } else {
      r = (internal[l] as number) + (fillLeaves[l] as number);
      fillLeaves[l] = (fillLeaves[l] as number) + 1;
    }
    rowInLevel[g] = r;
    planRow[g] = (starts[l] as number) + r;
    nodes[planRow[g] as number] = order[g] as Tree<T>;
  }

  const levels: FoldLevel[] = [];
  for (let l = 0; l < levelCount; l++) {
    const slots = arity ?? Math.max(1, maxKids[l] as number);
    const count = counts[l] as number;
    // Absent children point at the zero row appended after the level below.
    const children = new Float64Array(count * slots).fill(l === 0 ? 0 : (counts[l - 1] as number));
    const inner = internal[l] as number;
    levels.push({ start: starts[l] as number, count, internal: inner, slots, children, leavesOnly: inner === 0, padded: false });
  }
  const filled = new Int32Array(levelCount);
  for (let g = 0; g < total; g++) {
    const p = parent[g] as number;
    if (p < 0) continue;
    const l = level[p] as number;
    const lv = levels[l] as FoldLevel;
    lv.children[(rowInLevel[p] as number) * lv.slots + (slot[g] as number)] = rowInLevel[g] as number;
    filled[l] = (filled[l] as number) + 1;
  }
  for (const [l, lv] of levels.entries()) levels[l] = { ...lv, padded: (filled[l] as number) < lv.internal * lv.slots };

  const rootRows = new Float64Array(trees.length);
  for (let b = 0; b < trees.length; b++) rootRows[b] = planRow[treeOffsets[b] as number] as number;
  const preOrderRows = planRow;
  return { trees, arity, nodes, levels, rootRows, preOrderRows, treeOffsets };
}

/**
 * Gives nodes of one level their input x: called with the values of some of the level's
 * nodes, in plan order (foldTree calls it once per level with all of them for a cell with a
 * fused fold, else for the level's internal nodes, then for its leaves) and the level index;
 * returns [values.length, cell.inputSize].
 */
export type FoldInputs<T> = (values: readonly T[], level: number) => Tensor;

/**
 * Every node's input as a row of a table (an embedding lookup left to the fold): node r in
 * plan order reads row `rows[r]` of `table` [rows, cell.inputSize]. The same inputs as
 * `gather(table, rows)`; the gradient flows into the table's rows.
 *
 * @example
 * ```ts
 * const plan = planFold(trees, cell.arity);
 * const rows = Int32Array.from(plan.nodes, (n) => vocab.indexOf(n.value.word ?? ''));
 * foldTree(cell, plan, { table: emb.weight, rows }); // the same outputs as the lookup callback's
 * ```
 */
export interface FoldTableInputs {
  readonly table: Tensor;
  readonly rows: Int32Array;
}

/**
 * What {@link foldTree} reads the nodes' inputs from: a {@link FoldInputs} callback; the
 * inputs of every node at once, [nodes, cell.inputSize] in plan order (row r for
 * `plan.nodes[r]`), which needs the plan first but costs one lookup for the whole batch
 * instead of one or two per level; or rows of a table ({@link FoldTableInputs}), which a
 * cell with `foldRows` (the Tree-LSTMs and the recursive network) multiplies by its input
 * weights once per distinct row instead of once per node.
 */
export type FoldInputSource<T> = FoldInputs<T> | Tensor | FoldTableInputs;

/** Options of {@link foldTree}. */
export interface FoldOptions {
  /**
   * Compose level by level through `cell.compose` even when the cell has a fused whole-fold
   * kernel (`cell.fold`): the reference the fused fold is tested against. Default false.
   */
  readonly byLevel?: boolean;
}

/** What {@link foldTree} returns. */
export interface FoldResult<T> {
  readonly plan: FoldPlan<T>;
  /** The output h of every node, in plan order: [nodes, hiddenSize]. */
  readonly outputs: Tensor;
  /** The output h of each tree's root, in batch order: [trees, hiddenSize]. */
  readonly roots: Tensor;
}

/**
 * Applies a tree cell bottom-up over a batch of trees: the tree analogue of `scan`,
 *
 *     s(node) = cell.compose(x(node), [s(child_1), ..., s(child_K)])
 *
 * batched by level: all the internal nodes of one level, across the whole batch, go through
 * ONE `compose` call, and all its leaves through one more, so the cell's products are one
 * gemm per level whatever the batch size (the work per tree shrinks as the batch grows,
 * instead of staying one node at a time). Per level l (see {@link FoldPlan} for the schedule;
 * m = plan.levels[l].internal):
 *
 *     table_l    = [states of level l-1; zero row]          one concat per state field
 *     children_l = gather(table_l, children of rows 0..m-1)  [m, K, H]
 *     internal_l = cell.compose(inputs(values of rows 0..m-1), children_l)
 *     leaves_l   = cell.compose(inputs(values of rows m..), null)    the step with no children
 *     states_l   = [internal_l; leaves_l]
 *
 * Leaves take the step with no children (bit for bit the step with zero children, see
 * TreeCell.compose), so no level multiplies zero states by the children's weights: for
 * full binary trees, where half the nodes are leaves, that halves the children's gemm.
 * Every child sits in the level just below its parent, so each level reads one small table
 * and the backward pass of the gathers costs O(nodes) in all, even for a 100,000-deep chain.
 * Node outputs are one concat of the levels' h at the end.
 *
 * A cell with a fused whole-fold kernel (`cell.fold`: the classic recursive network and the
 * N-ary and Child-Sum Tree-LSTMs; not the RNTN) skips all of the above graph: foldTree asks `inputs` once per level for all of its nodes and
 * hands the whole schedule to one `cell.fold` call, which does the same per-level arithmetic
 * inside one op (docs/decisions/0005). `{ byLevel: true }` forces the level-by-level graph.
 *
 * `inputs` may instead be every node's input at once, [nodes, inputSize] in plan order (see
 * {@link FoldInputSource}; pass the plan as `trees` so that the rows match): the fused fold
 * takes it as is, and the level-by-level graph slices each part's rows out of it. Or it may
 * be `{ table, rows }` ({@link FoldTableInputs}, rows in plan order too): a cell with
 * `foldRows` (the Tree-LSTMs and the recursive network; not the RNTN) folds from the table
 * directly, multiplying each distinct row by its input weights once; any other cell (or
 * `byLevel`) gets `gather(table, rows)`.
 *
 * The result equals folding each tree alone, node by node ({@link foldTreeNodewise}): the same
 * outputs to the last bit in float64 (each row of a level's gemm is the same dot product,
 * whatever else shares the level), and the same gradients up to summation order.
 *
 * @example
 * ```ts
 * const cell = createTreeCell('nary-lstm', { inputSize: 8, hiddenSize: 32 }, rng);
 * const emb = new Embedding({ numEmbeddings: vocab.length, embeddingDim: 8, rng });
 * const { outputs, roots } = foldTree(cell, trees, (values) => emb.forward(tensor(values.map((v) => vocab.indexOf(v.word ?? '')))));
 * // outputs [total nodes, 32] in plan order; roots [trees.length, 32]
 * const plan = planFold(trees, cell.arity);
 * const all = emb.forward(tensor(plan.nodes.map((n) => vocab.indexOf(n.value.word ?? '')))); // one lookup
 * foldTree(cell, plan, all); // the same outputs
 * ```
 */
export function foldTree<T, S extends TreeState>(
  cell: TreeCell<S>,
  trees: readonly Tree<T>[] | FoldPlan<T>,
  inputs: FoldInputSource<T>,
  options: FoldOptions = {},
): FoldResult<T> {
  const plan = 'levels' in trees ? trees : planFold(trees as readonly Tree<T>[], cell.arity);
  if (plan.arity !== cell.arity) {
    throw new ArgumentError('foldTree', `the plan was built for arity ${plan.arity} but the ${cell.kind} cell has arity ${cell.arity}`);
  }
  if (inputs instanceof Tensor) checkInputs(cell, inputs, plan.nodes.length, true);
  if (isTableInputs(inputs)) {
    checkTableInputs(cell, inputs, plan.nodes.length);
    if (cell.foldRows !== undefined && options.byLevel !== true) return foldResult(plan, cell, cell.foldRows(plan.levels, inputs.table, inputs.rows));
    return foldTree(cell, plan, gather(inputs.table, rowTensor(inputs.rows, inputs.table.dtype)), options);
  }
  if (cell.fold !== undefined && options.byLevel !== true) {
    // One call for the whole fold: every node's inputs (all of a level's nodes at once), then the cell's fused fold.
    const xs = inputs instanceof Tensor ? [inputs] : plan.levels.map((lv, l) => levelInputs(cell, plan, lv, 0, lv.count, l, inputs));
    return foldResult(plan, cell, cell.fold(plan.levels, xs.length === 1 ? (xs[0] as Tensor) : concat(xs, 0)));
  }
  const zero = cell.zeroState(1);
  const outs: Tensor[] = [];
  let previous: S | null = null;
  for (const [l, lv] of plan.levels.entries()) {
    const parts: S[] = [];
    if (lv.internal > 0) {
      const index = new Tensor(lv.children.subarray(0, lv.internal * lv.slots), [lv.internal, lv.slots]);
      const gathered: Record<string, Tensor> = {};
      for (const [name, z] of Object.entries(zero)) {
        const below = previous === null ? null : (previous[name] as Tensor | undefined);
        // The zero row is appended only when some slot is empty (a leaf, a unary node).
        const table = below === null || below === undefined ? z : lv.padded ? concat([below, z], 0) : below;
        gathered[name] = gather(table, index);
      }
      parts.push(cell.compose(levelInputs(cell, plan, lv, 0, lv.internal, l, inputs), gathered as S));
    }
    // The level's leaves: the step with no children, for all of them at once.
    if (lv.internal < lv.count) parts.push(cell.compose(levelInputs(cell, plan, lv, lv.internal, lv.count, l, inputs), null));
    for (const part of parts) outs.push(cell.output(part));
    previous = parts.length === 1 ? (parts[0] as S) : joinStates(parts[0] as S, parts[1] as S);
  }
  const outputs = outs.length === 1 ? (outs[0] as Tensor) : concat(outs, 0);
  const roots = gather(outputs, new Tensor(plan.rootRows, [plan.trees.length]));
  return { plan, outputs, roots };
}

/**
 * The reference fold: each tree alone, one node at a time in post-order, as the reference
 * implementations (Stanford's Tree-LSTM) do:
 *
 *     s(leaf) = cell.compose(x(leaf), null)
 *     s(node) = cell.compose(x(node), stack([s(child_1), ..., s(child_K)]))   (n = 1)
 *
 * It returns the same {@link FoldResult} as {@link foldTree} (outputs in plan order), and it
 * is what foldTree is tested against. Slow by design (one tiny product per node); use
 * foldTree.
 *
 * @example
 * ```ts
 * const a = foldTree(cell, trees, inputs).outputs;
 * const b = foldTreeNodewise(cell, trees, inputs).outputs; // equal values
 * ```
 */
export function foldTreeNodewise<T, S extends TreeState>(
  cell: TreeCell<S>,
  trees: readonly Tree<T>[],
  inputs: FoldInputs<T>,
): FoldResult<T> {
  const plan = planFold(trees, cell.arity);
  const zero = cell.zeroState(1);
  const states = new Map<Tree<T>, S>();
  const levelOf = new Map<Tree<T>, number>();
  for (const [l, lv] of plan.levels.entries()) for (let r = 0; r < lv.count; r++) levelOf.set(plan.nodes[lv.start + r] as Tree<T>, l);
  for (const root of trees) {
    const stack: [Tree<T>, boolean][] = [[root, false]];
    while (stack.length > 0) {
      const [node, expanded] = stack.pop() as [Tree<T>, boolean];
      if (!expanded) {
        stack.push([node, true]);
        for (let k = node.children.length - 1; k >= 0; k--) stack.push([node.children[k] as Tree<T>, false]);
        continue;
      }
      const x = inputs([node.value], levelOf.get(node) as number);
      checkInputs(cell, x, 1);
      let children: S | null = null;
      if (node.children.length > 0) {
        const slots = cell.arity ?? node.children.length;
        const stacked: Record<string, Tensor> = {};
        for (const [name, z] of Object.entries(zero)) {
          const rows: Tensor[] = [];
          for (let k = 0; k < slots; k++) {
            const kid = node.children[k];
            rows.push(kid === undefined ? z : ((states.get(kid) as S)[name] as Tensor));
          }
          stacked[name] = reshape(concat(rows, 0), [1, slots, cell.hiddenSize]);
        }
        children = stacked as S;
      }
      states.set(node, cell.compose(x, children));
    }
  }
  const outputs = concat(plan.nodes.map((n) => cell.output(states.get(n) as S)), 0);
  const roots = concat(trees.map((t) => cell.output(states.get(t) as S)), 0);
  return { plan, outputs, roots };
}

function levelInputs<T>(cell: TreeCell, plan: FoldPlan<T>, lv: FoldLevel, from: number, to: number, l: number, inputs: FoldInputs<T> | Tensor): Tensor {
  if (inputs instanceof Tensor) return slice(inputs, [lv.start + from, 0], [to - from, cell.inputSize]);
  const values: T[] = new Array<T>(to - from);
  for (let r = from; r < to; r++) values[r - from] = (plan.nodes[lv.start + r] as Tree<T>).value;
  const x = inputs(values, l);
  checkInputs(cell, x, to - from);
  return x;
}

/** The states of a level's internal nodes and of its leaves as one state, rows in plan order. */
function joinStates<S extends TreeState>(internal: S, leaves: S): S {
  const joined: Record<string, Tensor> = {};
  for (const name of Object.keys(internal)) joined[name] = concat([internal[name] as Tensor, leaves[name] as Tensor], 0);
  return joined as S;
}

/** A whole fold's result from every node's state in plan order. */
function foldResult<T, S extends TreeState>(plan: FoldPlan<T>, cell: TreeCell<S>, states: S): FoldResult<T> {
  const outputs = cell.output(states);
  return { plan, outputs, roots: gather(outputs, new Tensor(plan.rootRows, [plan.trees.length])) };
}

function isTableInputs<T>(inputs: FoldInputSource<T>): inputs is FoldTableInputs {
  return !(inputs instanceof Tensor) && typeof inputs === 'object';
}

/**
 * Checks a table source: table [rows, inputSize], one row index per node of the plan. Each
 * index is checked where it is read: by the fold op (its `inputRows`) or by the gather.
 */
function checkTableInputs(cell: TreeCell, inputs: FoldTableInputs, n: number): void {
  const { table, rows } = inputs;
  if (!(table instanceof Tensor) || !(rows instanceof Int32Array)) throw new ArgumentError('foldTree', 'table inputs must be { table: Tensor, rows: Int32Array }');
  if (table.rank !== 2 || table.shape[1] !== cell.inputSize) {
    throw new ArgumentError('foldTree', `the inputs table must be [rows, ${cell.inputSize}], got [${table.shape.join(',')}]`);
  }
  if (rows.length !== n) throw new ArgumentError('foldTree', `table inputs need one row index per node of the plan (${n}), got ${rows.length}`);
}

/** Checks x is [n, inputSize]: a FoldInputs callback's result, or (`all`) every node's inputs. */
function checkInputs(cell: TreeCell, x: Tensor, n: number, all = false): void {
  if (x.rank !== 2 || x.shape[0] !== n || x.shape[1] !== cell.inputSize) {
    const what = all ? `the inputs tensor must be [${n}, ${cell.inputSize}] (every node of the plan, in plan order)` : `inputs() must return [${n}, ${cell.inputSize}] for ${n} nodes`;
    throw new ArgumentError('foldTree', `${what}, got [${x.shape.join(',')}]`);
  }
}

/**
 * Per-node rows of a fold's results put back in each tree's pre-order: `rows[b]` lists, for
 * tree b's nodes in pre-order, their rows in plan order (e.g. of `outputs` or of logits).
 *
 * @example
 * ```ts
 * const { plan, outputs } = foldTree(cell, trees, inputs);
 * const firstTreeRows = preOrderRowsOf(plan)[0]; // row of tree 0's root, then its first child...
 * ```
 */
export function preOrderRowsOf<T>(plan: FoldPlan<T>): Int32Array[] {
  const out: Int32Array[] = [];
  for (let b = 0; b < plan.trees.length; b++) out.push(plan.preOrderRows.subarray(plan.treeOffsets[b] as number, plan.treeOffsets[b + 1] as number));
  return out;
}
