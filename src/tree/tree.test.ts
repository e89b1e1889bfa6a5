import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, noGrad } from '../autograd/index.js';
import { gather, sum } from '../ops/index.js';
import { Rng, Tensor } from '../tensor/index.js';
import { balancedTree, leftBranchingTree, rightBranchingTree } from './builders.js';
import { foldTree, planFold, preOrderRowsOf } from './fold.js';
import { formatTree, parseTree, type NodeLabel } from './parse.js';
import { createTreeCell } from './registry.js';
import { treeToSvg } from './svg.js';
import { leafValues, mapTree, postOrder, preOrder, reduceTree, tree, treeHeight, treeSize, withValues, type Tree } from './tree.js';

const t = (v: string, ...kids: Tree<string>[]): Tree<string> => tree(v, kids);

test('traversals: pre-order, post-order, size, height, leaves', () => {
  const e = t('*', t('+', t('1'), t('2')), t('3'));
  assert.deepEqual(preOrder(e).map((n) => n.value), ['*', '+', '1', '2', '3']);
  assert.deepEqual(postOrder(e).map((n) => n.value), ['1', '2', '+', '3', '*']);
  assert.equal(treeSize(e), 5);
  assert.equal(treeHeight(e), 2);
  assert.equal(treeHeight(t('x')), 0);
  assert.deepEqual(leafValues(e), ['1', '2', '3']);
  const value = reduceTree(e, (v, kids: number[]) => (v === '+' ? kids[0]! + kids[1]! : v === '*' ? kids[0]! * kids[1]! : Number(v)));
  assert.equal(value, 9);
  assert.deepEqual(mapTree(e, (v) => v.length), tree(1, [tree(1, [tree(1), tree(1)]), tree(1)]));
  assert.deepEqual(withValues(e, [9, 3, 1, 2, 3]), tree(9, [tree(3, [tree(1), tree(2)]), tree(3)]));
  assert.throws(() => withValues(e, [1]), /5 nodes but 1 values/);
});

test('builders: balanced is ceil(log2 r) deep, chains r - 1, all keep the leaf order', () => {
  const join = (): string => '.';
  for (const r of [1, 2, 3, 5, 8, 9, 100]) {
    const items = Array.from({ length: r }, (_, i) => String(i));
    const b = balancedTree(items, join);
    assert.equal(treeHeight(b), Math.ceil(Math.log2(r)), `r = ${r}`);
    assert.deepEqual(leafValues(b), items);
    for (const chain of [leftBranchingTree(items, join), rightBranchingTree(items, join)]) {
      assert.equal(treeHeight(chain), r - 1);
      assert.deepEqual(leafValues(chain), items);
    }
  }
  assert.equal(formatTreeOf(leftBranchingTree(['a', 'b', 'c'], join)), '(. (. (a) (b)) (c))');
  assert.equal(formatTreeOf(rightBranchingTree(['a', 'b', 'c'], join)), '(. (a) (. (b) (c)))');
  assert.throws(() => balancedTree([], join), /at least one item/);
});

function formatTreeOf(root: Tree<string>): string {
  return reduceTree(root, (v, kids: string[]) => `(${[v, ...kids].join(' ')})`);
}

test('planFold: roots at their own height, every child one level below its parent', () => {
  const trees = [t('a'), t('+', t('1'), t('*', t('2'), t('3'))), t('-', t('4'))];
  const plan = planFold(trees, 2);
  assert.deepEqual(plan.levels.map((l) => l.count), [4, 3, 1]);
  // Level = height(root) - depth; within a level internal nodes first, then leaves, each by
  // tree, then pre-order. The leaf '1' waits on level 1, beside the '*' it is combined with.
  assert.deepEqual(plan.nodes.map((n) => n.value), ['a', '2', '3', '4', '*', '-', '1', '+']);
  assert.deepEqual(plan.levels.map((l) => l.internal), [0, 2, 1]);
  // Only '-' (one child of two slots) needs the zero row.
  assert.deepEqual(plan.levels.map((l) => [l.leavesOnly, l.padded]), [[true, false], [false, true], [false, false]]);
  for (const [l, lv] of plan.levels.entries()) {
    for (let r = 0; r < lv.count; r++) {
      const node = plan.nodes[lv.start + r]!;
      for (let k = 0; k < lv.slots; k++) {
        const index = lv.children[r * lv.slots + k]!;
        const kid = node.children[k];
        if (kid === undefined) assert.equal(index, l === 0 ? 0 : plan.levels[l - 1]!.count);
        else assert.equal(plan.nodes[plan.levels[l - 1]!.start + index], kid);
      }
    }
  }
  assert.deepEqual(Array.from(plan.rootRows, (r) => plan.nodes[r]!.value), ['a', '+', '-']);
  assert.deepEqual(preOrderRowsOf(plan).map((rows) => Array.from(rows, (r) => plan.nodes[r]!.value)), [['a'], ['+', '1', '*', '2', '3'], ['-', '4']]);
  assert.throws(() => planFold([], 2), /at least one tree/);
});

/** A 100,000-deep left-branching chain: 100,001 leaves. */
const DEEP = 100_000;

test('a 100,000-deep tree: formatting, parsing and every traversal are iterative and linear', () => {
  const items: NodeLabel[] = Array.from({ length: DEEP + 1 }, (_, i) => ({ label: String(i % 10), word: 'w' }));
  const chain = leftBranchingTree(items, () => ({ label: '1', word: null }));
  const text = formatTree(chain);
  const parsed = parseTree(text);
  assert.equal(treeHeight(parsed), DEEP);
  assert.equal(treeSize(parsed), 2 * DEEP + 1);
  assert.equal(postOrder(parsed)[0]?.value.label, '0');
  assert.equal(reduceTree(parsed, (_, kids: number[]) => (kids.length === 0 ? 0 : kids[0]! + 1)), DEEP);
  // Malformed at the very bottom: the error still names the place.
  assert.throws(() => parseTree(text.slice(0, -1)), /'\(' is never closed \(line 1, column 1\)/);
  const plan = planFold([parsed], 2);
  assert.equal(plan.levels.length, DEEP + 1);
  assert.equal(plan.nodes[plan.rootRows[0]!], parsed);
});

test('foldTree over a 5,000-deep chain, forward and backward, without recursion', () => {
  // Each level costs ~10 small ops, so 5,000 levels keep the test fast; nothing in the fold
  // or in backward depends on depth except through loops (a recursive walk would already
  // overflow the default stack at this depth once the op frames are counted). The full
  // 100,000-deep chain works the same way but takes about 29 s (13.5 s forward, 15.4 s
  // backward, 2.0 GB resident) with this cell on the shared 2-core machine: per-op tape
  // overhead, not depth, so it is not a unit test.
  const depth = 5_000;
  const chain = leftBranchingTree(Array.from({ length: depth + 1 }, (_, i) => i % 2), () => 2);
  const cell = createTreeCell('rnn', { inputSize: 2, hiddenSize: 3, dtype: 'float64' }, new Rng(0));
  const table = new Tensor(new Float64Array([0.5, -0.5, 0.3, 0.1, 0, 0]), [3, 2], true);
  const inputs = (values: readonly number[]): Tensor => gather(table, new Tensor(Float64Array.from(values), [values.length]));
  const { outputs, roots } = foldTree(cell, [chain], inputs);
  assert.deepEqual(outputs.shape, [2 * depth + 1, 3]);
  backward(sum(roots));
  assert.ok(table.grad !== null && Array.from(table.grad.data).every(Number.isFinite));
  const again = noGrad(() => foldTree(cell, [chain], inputs).roots);
  assert.deepEqual(Array.from(again.data), Array.from(roots.data));
});

test('treeToSvg draws every node with its text and caption', () => {
  const svg = treeToSvg(parseTree('(7 + (3 3) (4 <))'), (v) => ({ text: v.word ?? '', caption: `pred ${v.label}`, fill: v.label === '7' ? '#cfc' : '#fcc' }), { title: 'a & b' });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((svg.match(/<circle/g) ?? []).length, 3);
  assert.equal((svg.match(/<line /g) ?? []).length, 2);
  assert.match(svg, /pred 4/);
  assert.match(svg, /&lt;/);
  assert.match(svg, /a &amp; b/);
});
