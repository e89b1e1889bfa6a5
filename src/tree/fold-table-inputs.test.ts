import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { childSumLstmFoldForward, childSumLstmFoldRelease, childSumLstmFoldTape } from '../kernels/child-sum-lstm-fold.js';
import { gemmReady } from '../kernels/gemm.js';
import { naryTreeLstmFoldForward, naryTreeLstmFoldRelease, naryTreeLstmFoldTape } from '../kernels/tree-lstm-fold.js';
import { treeRnnFoldForward, treeRnnFoldRelease, treeRnnFoldTape } from '../kernels/tree-rnn-fold.js';
import { sequenceKernelPath } from '../kernels/sequence-wasm.js';
import { gather, mul, sum } from '../ops/index.js';
import { Rng, Tensor, randn, type DType } from '../tensor/index.js';
import { assertClose, randomTree } from '../test-support/fold-checks.js';
import { foldTree, planFold } from './fold.js';
import { RecursiveCell } from './recursive-cell.js';
import type { TreeCell } from './tree-cell.js';
import { ChildSumTreeLSTMCell, NaryTreeLSTMCell } from './tree-lstm-cells.js';
import { tree, type Tree } from './tree.js';

// Table inputs ({ table, rows }, kernels/fold-table-inputs.ts) at their edges, for the three
// cells with a fused fold: one row shared by every node (the projection has one row and dP
// sums every node), a batch of leaves only (no internal row, so no children's product at all),
// and every node its own row (nothing shared: as many projected rows as nodes). Each against
// the same fold of the gathered rows: in float32 on wasm to rounding (relative to each array's
// largest entry), in float64 (the JavaScript path, which gathers) bit for bit.

const CELLS: Record<string, (dtype: DType) => TreeCell> = {
  'N-ary Tree-LSTM': (dtype) => new NaryTreeLSTMCell({ inputSize: 6, hiddenSize: 8, dtype }, new Rng(1)),
  'Child-Sum Tree-LSTM': (dtype) => new ChildSumTreeLSTMCell({ inputSize: 6, hiddenSize: 8, dtype }, new Rng(1)),
  'recursive network': (dtype) => new RecursiveCell({ inputSize: 6, hiddenSize: 8, dtype }, new Rng(1)),
};

/** Binary trees whose node values are table rows: from `rows` values, or (`unique`) every node its own row, numbered in pre-order. */
function binaryTrees(count: number, rows: number, unique: boolean): Tree<number>[] {
  const rng = new Rng(3);
  const trees = Array.from({ length: count }, () => randomTree(rng, 4, { kind: 'nary', arity: 2, leaf: 0.3, unary: 0.2 }, rows));
  if (!unique) return trees;
  let next = 0;
  const relabel = (n: Tree<number>): Tree<number> => tree(next++, n.children.map(relabel));
  return trees.map(relabel);
}

const CASES: { label: string; rows: number; trees: () => Tree<number>[] }[] = [
  { label: 'one row shared by every node', rows: 1, trees: () => binaryTrees(5, 1, false) },
  { label: 'leaves only', rows: 4, trees: () => [tree(0, []), tree(3, []), tree(1, []), tree(3, [])] },
  { label: 'every node its own row', rows: 200, trees: () => binaryTrees(6, 1, true) },
];

/** Outputs, then the gradients of the table and every parameter, of one fold: table inputs, or the gathered rows. */
function run(makeCell: (dtype: DType) => TreeCell, trees: Tree<number>[], rowCount: number, dtype: DType, tableInputs: boolean): Float64Array[] {
  const cell = makeCell(dtype);
  const plan = planFold(trees, cell.arity);
  const rows = Int32Array.from(plan.nodes, (n) => n.value);
  const table = randn([rowCount, cell.inputSize], new Rng(8), { dtype, requiresGrad: true });
  const index = new Tensor(dtype === 'float64' ? Float64Array.from(rows) : Float32Array.from(rows), [rows.length]);
  const { outputs } = foldTree(cell, plan, tableInputs ? { table, rows } : gather(table, index));
  backward(sum(mul(outputs, randn(outputs.shape, new Rng(10), { dtype }))));
  return [outputs, table.grad, ...cell.parameters().map((p) => p.grad)].map((t) => Float64Array.from(t?.data ?? []));
}

for (const [name, makeCell] of Object.entries(CELLS)) {
  test(`${name}: table inputs at their edges equal the fold of the gathered rows (float32 on wasm to rounding, float64 bitwise)`, async () => {
    await gemmReady();
    assert.equal(sequenceKernelPath(), 'wasm-simd', 'the wasm path is available on Node 20');
    for (const c of CASES) {
      const trees = c.trees();
      const table = run(makeCell, trees, c.rows, 'float32', true), gathered = run(makeCell, trees, c.rows, 'float32', false);
      table.forEach((a, i) => {
        assert.equal(a.length, gathered[i]?.length, `${c.label}: array ${i}'s length`);
        assertClose(a, gathered[i] as Float64Array, 2e-6, `${name}, ${c.label}, float32: array ${i}`);
      });
      assert.ok(table[1]?.some((v) => v !== 0), `${c.label}: the table gets a gradient`);
      assert.deepEqual(run(makeCell, trees, c.rows, 'float64', true), run(makeCell, trees, c.rows, 'float64', false), `${name}, ${c.label}, float64`);
    }
  });
}

// Which path ran: the kernels keep a projection on the tape only when they projected the
// distinct rows (float32 on wasm); float64 gathers the rows instead. Without this the
// comparisons above would also pass for a fold that silently gathered.
test('table inputs are projected on wasm (float32) and gathered on the JavaScript path (float64), in all three folds', async () => {
  await gemmReady();
  const trees = binaryTrees(4, 3, false);
  for (const dtype of ['float32', 'float64'] as const) {
    const nary = new NaryTreeLSTMCell({ inputSize: 6, hiddenSize: 8, dtype }, new Rng(1));
    const childSum = new ChildSumTreeLSTMCell({ inputSize: 6, hiddenSize: 8, dtype }, new Rng(1));
    const rnn = new RecursiveCell({ inputSize: 6, hiddenSize: 8, dtype }, new Rng(1));
    const table = randn([3, 6], new Rng(8), { dtype });
    const base = (cell: NaryTreeLSTMCell | ChildSumTreeLSTMCell | RecursiveCell, arity: number | null) => {
      const plan = planFold(trees, arity);
      return {
        nodes: plan.nodes.length, inputSize: 6, hiddenSize: 8, x: table.data, weightIh: cell.weightIh.data, weightHh: cell.weightHh.data,
        biasIh: cell.biasIh?.data ?? null, biasHh: cell.biasHh?.data ?? null, levels: plan.levels, inputRows: Int32Array.from(plan.nodes, (n) => n.value),
      };
    };
    const projected = dtype === 'float32';
    const out = (floats: number): Float32Array | Float64Array => (dtype === 'float32' ? new Float32Array(floats) : new Float64Array(floats));
    const a = base(nary, 2), ta = naryTreeLstmFoldTape();
    naryTreeLstmFoldForward({ ...a, arity: 2 }, ta, out(2 * a.nodes * 8));
    assert.equal(ta.projection !== null, projected, `N-ary, ${dtype}`);
    naryTreeLstmFoldRelease(ta);
    const b = base(childSum, null), tb = childSumLstmFoldTape();
    childSumLstmFoldForward(b as Parameters<typeof childSumLstmFoldForward>[0], tb, out(2 * b.nodes * 8));
    assert.equal(tb.projection !== null, projected, `Child-Sum, ${dtype}`);
    childSumLstmFoldRelease(tb);
    const c = base(rnn, 2), tc = treeRnnFoldTape();
    treeRnnFoldForward({ ...c, arity: 2 }, tc, out(c.nodes * 8));
    assert.equal(tc.projection !== null, projected, `recursive network, ${dtype}`);
    treeRnnFoldRelease(tc);
  }
});
