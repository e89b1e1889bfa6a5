import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, gradcheck } from '../autograd/index.js';
import { gather, sum, mul } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, randn } from '../tensor/index.js';
import { foldTree, foldTreeNodewise, planFold } from './fold.js';
import { TREE_CELLS, TREE_CELL_KINDS, createTreeCell, type TreeCellKind } from './registry.js';
import type { TreeCell, TreeState } from './tree-cell.js';
import { tree, type Tree } from './tree.js';

const INPUT = 3;
const HIDDEN = 4;
const VOCAB = 10;

function cellsUnderTest(): { label: string; cell: TreeCell }[] {
  const out: { label: string; cell: TreeCell }[] = [];
  for (const kind of TREE_CELL_KINDS) {
    TREE_CELLS[kind].testConfigs.forEach((extra, i) => {
      const config = { ...extra, inputSize: INPUT, hiddenSize: HIDDEN, dtype: 'float64' as const };
      out.push({ label: `${kind}#${i} ${JSON.stringify(extra)}`, cell: createTreeCell(kind as TreeCellKind, config as never, new Rng(31 + i)) });
    });
  }
  return out;
}

const t = (v: number, ...kids: Tree<number>[]): Tree<number> => tree(v, kids);

/**
 * A batch with every shape a fold meets: a lone leaf, binary nodes, a unary node, trees of
 * different heights (so levels mix leaves and internal nodes), and a ternary node when the
 * cell takes three or more children.
 */
function batchFor(cell: TreeCell): Tree<number>[] {
  const trees = [
    t(1),
    t(0, t(1), t(2)),
    t(3, t(4, t(5), t(6)), t(7)),
    t(8, t(9, t(1))),
    t(2, t(3), t(4, t(5, t(6), t(7)), t(8))),
  ];
  if (cell.arity === null || cell.arity >= 3) trees.push(t(2, t(3), t(4), t(5, t(6), t(7), t(9))));
  return trees;
}

/** Node inputs: rows of a table, so gradients reach "the embeddings" too. */
function inputsFrom(table: Tensor): (values: readonly number[]) => Tensor {
  return (values) => gather(table, new Tensor(Float64Array.from(values), [values.length]));
}

function zeroChildren(cell: TreeCell, n: number, k: number): TreeState {
  const out: Record<string, Tensor> = {};
  for (const [name, z] of Object.entries(cell.zeroState(n))) out[name] = new Tensor(new Float64Array(n * k * HIDDEN), [n, k, z.shape[1] as number]);
  return out;
}

function sameValues(a: Tensor, b: Tensor, what: string): void {
  assert.deepEqual(a.shape, b.shape, `${what}: shapes`);
  for (let i = 0; i < a.size; i++) {
    // === rather than deepEqual: -0 and +0 are the same number here.
    if (a.data[i] !== b.data[i]) assert.fail(`${what}: element ${i} differs: ${a.data[i]} vs ${b.data[i]}`);
  }
}

for (const { label, cell } of cellsUnderTest()) {
  test(`${label}: compose shapes; the leaf step equals zero children bit for bit`, () => {
    const x = randn([3, INPUT], new Rng(1), { dtype: 'float64' });
    const leaf = cell.compose(x, null);
    for (const v of Object.values(leaf)) assert.deepEqual(v.shape, [3, HIDDEN]);
    assert.deepEqual(cell.output(leaf).shape, [3, HIDDEN]);
    for (const k of cell.arity === null ? [1, 3] : [cell.arity]) {
      const zero = cell.compose(x, zeroChildren(cell, 3, k));
      for (const [name, v] of Object.entries(leaf)) sameValues(v, zero[name] as Tensor, `${name} with K=${k}`);
    }
  });

  test(`${label}: gradcheck through foldTree w.r.t. node inputs and every parameter`, () => {
    const table = randn([VOCAB, INPUT], new Rng(2), { dtype: 'float64', requiresGrad: true });
    const params = cell.parameters();
    assert.ok(params.length > 0);
    const trees = batchFor(cell);
    const result = gradcheck((tab) => foldTree(cell, trees, inputsFrom(tab)).outputs, [table, ...params]);
    assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError} at ${JSON.stringify(result.worst)}`);
  });

  test(`${label}: the level-batched fold equals one tree at a time, node by node (outputs exactly, gradients to rounding)`, () => {
    const trees = batchFor(cell);
    const table = randn([VOCAB, INPUT], new Rng(3), { dtype: 'float64', requiresGrad: true });
    const weights = randn([trees.reduce((n, tr) => n + countNodes(tr), 0), HIDDEN], new Rng(4), { dtype: 'float64' });
    const gradsOf = (run: () => Tensor): Float64Array[] => {
      for (const p of [table, ...cell.parameters()]) p.grad = null;
      backward(sum(mul(run(), weights)));
      return [table, ...cell.parameters()].map((p) => Float64Array.from(p.grad?.data ?? []));
    };
    const batched = foldTree(cell, trees, inputsFrom(table));
    const nodewise = foldTreeNodewise(cell, trees, inputsFrom(table));
    sameValues(batched.outputs, nodewise.outputs, 'outputs');
    sameValues(batched.roots, nodewise.roots, 'roots');
    // Each tree folded alone (still level-batched within the tree) gives its rows of the batch.
    for (const [b, tr] of trees.entries()) {
      const alone = foldTree(cell, [tr], inputsFrom(table)).roots;
      const row = new Tensor(batched.roots.data.slice(b * HIDDEN, (b + 1) * HIDDEN), [1, HIDDEN]);
      sameValues(alone, row, `tree ${b} alone`);
    }
    const g1 = gradsOf(() => foldTree(cell, trees, inputsFrom(table)).outputs);
    const g2 = gradsOf(() => foldTreeNodewise(cell, trees, inputsFrom(table)).outputs);
    g1.forEach((g, i) => {
      const h = g2[i] as Float64Array;
      assert.equal(g.length, h.length);
      // Parameter gradients sum over the nodes of a level in a different order than over
      // single nodes, so they agree to rounding, not bit for bit.
      g.forEach((v, j) => assert.ok(Math.abs(v - (h[j] as number)) <= 1e-12 * Math.max(1, Math.abs(v)), `parameter ${i} element ${j}: ${v} vs ${h[j]}`));
    });
  });
}

for (const { label, cell } of cellsUnderTest()) {
  test(`${label}: every node's inputs as one tensor in plan order fold as the inputs() callback does, fused and by level`, () => {
    const trees = batchFor(cell);
    const plan = planFold(trees, cell.arity);
    const table = randn([VOCAB, INPUT], new Rng(5), { dtype: 'float64', requiresGrad: true });
    const weights = randn([plan.nodes.length, HIDDEN], new Rng(6), { dtype: 'float64' });
    const run = (useTensor: boolean, byLevel: boolean): { out: Tensor; grads: Float64Array[] } => {
      for (const p of [table, ...cell.parameters()]) p.grad = null;
      const inputs = useTensor ? gather(table, new Tensor(Float64Array.from(plan.nodes, (n) => n.value), [plan.nodes.length])) : inputsFrom(table);
      const out = foldTree(cell, plan, inputs, { byLevel }).outputs;
      backward(sum(mul(out, weights)));
      return { out, grads: [table, ...cell.parameters()].map((p) => Float64Array.from(p.grad?.data ?? [])) };
    };
    for (const byLevel of [false, true]) {
      const a = run(true, byLevel), b = run(false, byLevel);
      sameValues(a.out, b.out, `outputs, byLevel ${byLevel}`);
      // The embedding's gradient sums a node's rows in another order (one gather, or one per level).
      a.grads.forEach((g, i) => g.forEach((v, j) => {
        const w = (b.grads[i] as Float64Array)[j] as number;
        assert.ok(Math.abs(v - w) <= 1e-12 * Math.max(1, Math.abs(v)), `byLevel ${byLevel}, gradient ${i} element ${j}: ${v} vs ${w}`);
      }));
      assert.ok(a.grads[0]?.some((v) => v !== 0), 'the table gets a gradient');
    }
    // The wrong number of rows is a positioned ArgumentError.
    assert.throws(() => foldTree(cell, plan, randn([plan.nodes.length - 1, INPUT], new Rng(0), { dtype: 'float64' })), (e: unknown) => e instanceof ArgumentError && /the inputs tensor must be \[\d+, 3\] \(every node of the plan, in plan order\), got \[\d+,3\]/.test((e as Error).message));
  });
}

function countNodes(root: Tree<number>): number {
  let n = 0;
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Tree<number>;
    n++;
    stack.push(...node.children);
  }
  return n;
}

test('tree cells reject bad configs and inputs with typed errors', () => {
  assert.throws(() => createTreeCell('rnn', { inputSize: 0, hiddenSize: 4 }, new Rng(0)), /inputSize must be a positive integer/);
  assert.throws(() => createTreeCell('nary-lstm', { inputSize: 2, hiddenSize: 4, arity: 0 }, new Rng(0)), /arity must be a positive integer/);
  const cell = createTreeCell('nary-lstm', { inputSize: 2, hiddenSize: 4 }, new Rng(0));
  const x = randn([3, 2], new Rng(0));
  assert.throws(() => cell.compose(randn([3, 5], new Rng(0)), null), ArgumentError);
  assert.throws(() => cell.compose(x, cell.zeroState(3)), /must be \[3, K, 4\]/);
  const three = { h: randn([3, 3, 4], new Rng(0)), c: randn([3, 3, 4], new Rng(0)) };
  assert.throws(() => cell.compose(x, three), /exactly 2 child slots/);
  assert.throws(() => foldTree(cell, [t(0, t(1), t(2), t(3))], () => randn([1, 2], new Rng(0))), /has 3 children but the cell reads at most 2/);
  assert.throws(() => foldTree(cell, [t(0, t(1), t(2))], () => randn([1, 2], new Rng(0))), /inputs\(\) must return \[2, 2\]/);
});
