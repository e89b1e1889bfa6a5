import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Rng, randn, type DType } from '../tensor/index.js';
import { planFold } from './fold.js';
import { ChildSumTreeLSTMCell } from './tree-lstm-cells.js';
import { tree, type Tree } from './tree.js';
import { compareFolds, onWasmAndJs, randomTree, runFold, type FoldRun } from '../test-support/fold-checks.js';

// The fused whole-fold Child-Sum Tree-LSTM (foldTree's default for the cell: ONE
// childSumTreeLstmFold op, kernels/child-sum-lstm-fold.ts) in float32 against the same fold in
// float64 and the level-by-level graph in float32 ({ byLevel: true }, one childSumTreeLstm op
// per level part), with levels of 1, 2, 3 and 4 child slots: values and the
// gradients of the node inputs and every parameter, on the WebAssembly path and the
// JavaScript one. The float64 fused fold against the one-node-at-a-time loop, and its
// gradcheck, are in tree-cells.test.ts.

const VOCAB = 10;


function run(trees: Tree<number>[], hidden: number, bias: boolean, dtype: DType, byLevel: boolean, tableInputs = false): FoldRun {
  const cell = (d: DType): ChildSumTreeLSTMCell => new ChildSumTreeLSTMCell({ inputSize: 6, hiddenSize: hidden, bias, dtype: d }, new Rng(7));
  return runFold(cell, trees, { vocab: VOCAB, dtype, byLevel, ops: { fused: 'childSumTreeLstmFold', byLevel: 'childSumTreeLstm' }, tableInputs });
}

function check(path: string, tableInputs = false): void {
  const rng = new Rng(11);
  // Mostly one or two children; a root of four leaves (level 1) and a node of three (level 2),
  // so the levels have different slot counts.
  const trees = Array.from({ length: 14 }, () => randomTree(rng, 4, { kind: 'any', maxKids: 2, leaf: 0.3 }, VOCAB));
  trees.push(tree(1, [tree(2, []), tree(3, []), tree(4, []), tree(5, [])]), tree(6, [tree(7, [tree(8, [])]), tree(9, []), tree(0, [])]));
  const plan = planFold(trees, null);
  assert.deepEqual(plan.levels.map((lv) => lv.slots), [1, 4, 3, 2, 2], `levels with ${plan.levels.map((lv) => lv.slots).join(', ')} slots`);
  for (const [hidden, bias] of [[8, true], [5, false]] as const) {
    const label = `${path}, ${hidden} units${bias ? '' : ', no bias'}`;
    // On wasm the fused fold runs its own level jobs (assembly/tree.ts), whose products are
    // always the packed micro-kernel's; the by-level kernel's gemm() takes sgemv for a part of
    // one row, which sums in another order, so there the outputs agree to rounding only.
    compareFolds(label, run(trees, hidden, bias, 'float32', false, tableInputs), run(trees, hidden, bias, 'float32', true), run(trees, hidden, bias, 'float64', false), path === 'wasm' ? 1e-6 : undefined);
  }
}

test('the fused Child-Sum fold in float32 equals the float64 fold and the by-level fold, on WebAssembly and JavaScript', () => onWasmAndJs(check));

// Table inputs ({ table, rows }): on wasm each distinct row's a = b + x W_ih^T once, then the
// fold from those rows (close, not bitwise); on JavaScript the rows gathered and the same fold.
test('the Child-Sum fold of table inputs equals the float64 fold and the by-level fold, on WebAssembly and JavaScript', () => onWasmAndJs((path) => check(path, true)));

test('a Child-Sum fold schedule with a bad level is an ArgumentError naming it', () => {
  const cell = new ChildSumTreeLSTMCell({ inputSize: 2, hiddenSize: 3 }, new Rng(0));
  const x = randn([5, 2], new Rng(1));
  const levels = [
    { start: 0, count: 3, internal: 0, slots: 1, children: new Float64Array(3) },
    { start: 3, count: 2, internal: 2, slots: 2, children: Float64Array.from([0, 1, 2, 3]) },
  ];
  assert.doesNotThrow(() => cell.fold(levels, x));
  assert.throws(() => cell.fold([levels[0] as never, { ...levels[1], slots: 0 } as never], x), (e: unknown) => e instanceof ArgumentError && /level 1 must have a positive integer number of child slots, got 0/.test((e as Error).message));
  const argumentError = (re: RegExp) => (e: unknown): boolean => e instanceof ArgumentError && re.test((e as Error).message);
  assert.throws(() => cell.fold([levels[0] as never, { ...levels[1], children: Float64Array.from([0, 1, 1, 2]) } as never], x), argumentError(/row 1 of the level below is a child at entries 1 and 2; each node has one parent/));
  assert.throws(() => cell.fold([levels[0] as never, { ...levels[1], children: Float64Array.from([0, 1, 2, 4]) } as never], x), argumentError(/level 1: child index 4 at entry 3 is outside 0..3/));
  assert.throws(() => cell.fold(levels.slice(0, 1), x), argumentError(/the levels cover 3 rows but there are 5 nodes/));
});
