import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Rng, randn, type DType } from '../tensor/index.js';
import { compareFolds, onWasmAndJs, randomTree, runFold, type FoldRun } from '../test-support/fold-checks.js';
import { RecursiveCell } from './recursive-cell.js';
import type { Tree } from './tree.js';

// The fused whole fold of the classic recursive network (foldTree's default for RecursiveCell:
// ONE treeRnnFold op, kernels/tree-rnn-fold.ts) in float32 against the same fold in float64
// and the level-by-level graph in float32 ({ byLevel: true }: affine, matmul, add, tanh per
// level part), binary and ternary, with and without biases, on the WebAssembly path and the
// JavaScript one. On JavaScript the fold does the composed step's arithmetic in its order, so
// its outputs are the by-level graph's bits; on wasm (kernels/tree-rnn-fold-wasm.ts) they
// agree to rounding. The float64 fold against the one-node-at-a-time loop (the same bits) and
// its gradcheck are in tree-cells.test.ts; the large threaded fold, the tape and the resident
// weights in fold-wasm.test.ts.

const VOCAB = 10;


function run(trees: Tree<number>[], arity: number, bias: boolean, dtype: DType, byLevel: boolean, tableInputs = false): FoldRun {
  const cell = (d: DType): RecursiveCell => new RecursiveCell({ inputSize: 5, hiddenSize: 7, arity, bias, dtype: d }, new Rng(7));
  // By level the step is the composed graph, whose last op is tanh.
  return runFold(cell, trees, { vocab: VOCAB, dtype, byLevel, ops: { fused: 'treeRnnFold', byLevel: 'tanh' }, tableInputs });
}

function check(path: string, tableInputs = false): void {
  for (const [arity, bias] of [[2, true], [3, false]] as const) {
    const label = `${path}, arity ${arity}${bias ? '' : ', no bias'}`;
    const rng = new Rng(11);
    const trees = Array.from({ length: 12 }, () => randomTree(rng, 5, { kind: 'nary', arity, leaf: 0.25, unary: 0.35 }, VOCAB));
    // On wasm the fold's level jobs use the kernels' SIMD tanh and one product for the input
    // and the children, so its outputs agree with the by-level graph (Math.tanh, two
    // products) to rounding; the JavaScript fold does the graph's arithmetic, bit for bit.
    compareFolds(label, run(trees, arity, bias, 'float32', false, tableInputs), run(trees, arity, bias, 'float32', true), run(trees, arity, bias, 'float64', false), path === 'wasm' ? 1e-6 : undefined);
  }
}

test('the fused recursive-network fold in float32 equals the by-level graph (same output bits) and the float64 fold, on WebAssembly and JavaScript', () => onWasmAndJs(check));

// Table inputs ({ table, rows }): on wasm each distinct row's b + x W_ih^T once, then a fold
// that multiplies only the children (close to the by-level graph, not bitwise); on JavaScript
// the rows gathered and the same fold (its bits).
test('the recursive-network fold of table inputs equals the by-level graph and the float64 fold, on WebAssembly and JavaScript', () => onWasmAndJs((path) => check(path, true)));

test('treeRnnFold rejects a bad schedule with ArgumentErrors naming it', () => {
  const cell = new RecursiveCell({ inputSize: 2, hiddenSize: 3 }, new Rng(0));
  const x = randn([5, 2], new Rng(1));
  const levels = [
    { start: 0, count: 3, internal: 0, children: new Float64Array(0) },
    { start: 3, count: 2, internal: 1, children: Float64Array.from([0, 1]) },
  ];
  assert.deepEqual(cell.fold(levels, x).h.shape, [5, 3]);
  assert.throws(() => cell.fold([levels[0] as never, { ...levels[1], children: Float64Array.from([0, 4]) } as never], x), (e: unknown) => e instanceof ArgumentError && /level 1: child index 4 at entry 1 is outside 0..3/.test((e as Error).message));
  assert.throws(() => cell.fold([levels[0] as never, { ...levels[1], children: Float64Array.from([1, 1]) } as never], x), (e: unknown) => e instanceof ArgumentError && /each node has one parent/.test((e as Error).message));
  assert.throws(() => cell.fold([levels[0] as never], x), (e: unknown) => e instanceof ArgumentError && /the levels cover 3 rows but there are 5 nodes/.test((e as Error).message));
});
