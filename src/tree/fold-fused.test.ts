import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../autograd/index.js';
import { sequenceKernelPath } from '../kernels/sequence-wasm.js';
import { naryTreeLstmFoldLevelParts } from '../kernels/tree-lstm-fold.js';
import { gather, naryTreeLstmFold } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, randn, type DType } from '../tensor/index.js';
import { foldTree, planFold } from './fold.js';
import { NaryTreeLSTMCell } from './tree-lstm-cells.js';
import type { Tree } from './tree.js';
import { assertClose, checkResidentWeights, compareFolds, checkTapeLife, onWasmAndJs, randomTree, runFold, sameBitsOnOneAndTwoThreads, type FoldRun } from '../test-support/fold-checks.js';

// The fused whole-fold N-ary Tree-LSTM (foldTree's default for the cell: ONE naryTreeLstmFold
// op, kernels/tree-lstm-fold.ts) in float32 against two references: the same fold in float64
// (the JavaScript level kernels, exact maths) with the same weights, and the level-by-level
// graph in float32 ({ byLevel: true }, one naryTreeLstm op per level). Values and the
// gradients of the node inputs and every parameter, on the WebAssembly path (small folds,
// and one large enough that its levels and products are split over two kernel threads) and
// on the JavaScript path. Then the wasm tape's life (freed, evicted, recomputed), the
// one-parent check, and the weights kept inside withResidentWeights. The float64 fused fold
// against the one-node-at-a-time loop is in tree-cells.test.ts.

const VOCAB = 10;


interface Config {
  readonly label: string;
  readonly input: number;
  readonly hidden: number;
  readonly arity: number;
  readonly bias: boolean;
  readonly trees: number;
  readonly depth: number;
}

const SMALL: Config[] = [
  { label: 'binary, bias', input: 5, hidden: 8, arity: 2, bias: true, trees: 12, depth: 5 },
  { label: 'ternary, no bias', input: 3, hidden: 4, arity: 3, bias: false, trees: 9, depth: 4 },
  // One tree: levels of one or two nodes, the batch-1 shape.
  { label: 'binary, one tree', input: 5, hidden: 8, arity: 2, bias: true, trees: 1, depth: 6 },
];
// 64 trees with 64 units: a level's products exceed the threaded split's threshold.
const LARGE: Config = { label: 'binary, 64 trees of 64 units', input: 16, hidden: 64, arity: 2, bias: true, trees: 64, depth: 6 };

/** The trees a config folds (the same ones on every call). */
function treesOf(c: Config): Tree<number>[] {
  const rng = new Rng(9);
  return Array.from({ length: c.trees }, () => randomTree(rng, c.depth, { kind: 'nary', arity: c.arity, leaf: 0.25, unary: 0.35 }, VOCAB));
}

function run(c: Config, dtype: DType, byLevel: boolean, tableInputs = false): FoldRun {
  const cell = (d: DType): NaryTreeLSTMCell => new NaryTreeLSTMCell({ inputSize: c.input, hiddenSize: c.hidden, arity: c.arity, bias: c.bias, dtype: d }, new Rng(7));
  // Which fold ran: one naryTreeLstmFold op, or one naryTreeLstm op per level and none of the whole fold.
  return runFold(cell, treesOf(c), { vocab: VOCAB, dtype, byLevel, ops: { fused: 'naryTreeLstmFold', byLevel: 'naryTreeLstm' }, tableInputs });
}

function check(c: Config, path: string, tableInputs = false): FoldRun {
  const fused = run(c, 'float32', false, tableInputs);
  // The wasm fold sums in another order than the by-level graph (one product for the input and
  // the children), so its outputs are close, not bitwise (the largest differences seen: 2e-7
  // against float64, 9e-8 against by-level); the JavaScript fold runs the level kernels, so
  // its outputs are the by-level graph's bits.
  compareFolds(`${path} ${c.label}`, fused, run(c, 'float32', true), run(c, 'float64', false), path.startsWith('wasm') ? 1e-6 : undefined);
  return fused;
}

test('the fused fold in float32 equals the float64 fold and the by-level fold, on WebAssembly and JavaScript', () => onWasmAndJs((path) => {
  if (path === 'wasm') assert.equal(sequenceKernelPath(), 'wasm-simd', 'the wasm path is available on Node 20');
  for (const c of SMALL) check(c, path);
}));

// Table inputs ({ table, rows }: what TreeClassifier hands foldTree): on wasm each distinct
// row's input product once (P = b + T W_x^T), then a fold that multiplies only the children,
// which sums in yet another order (close, not bitwise); on the JavaScript path the rows
// gathered and the same fold, so the by-level graph's bits. Both against float64, whose
// table-inputs fold is the gathered one.
test('the fused fold of table inputs equals the float64 fold and the by-level fold, on WebAssembly and JavaScript', () => onWasmAndJs((path) => {
  for (const c of SMALL) check(c, `${path}, table inputs,`, true);
}));

test('the fused fold of table inputs splits over two kernel threads, and gives one thread\'s bits', async () => {
  await sameBitsOnOneAndTwoThreads(() => run(LARGE, 'float32', false, true), () => {
    const two = check(LARGE, 'wasm, 2 threads, table inputs,', true);
    // The fold of projected inputs multiplies no input (I = 0): its levels still split.
    const plan = planFold(treesOf(LARGE), LARGE.arity);
    const parts = naryTreeLstmFoldLevelParts({ inputSize: 0, hiddenSize: LARGE.hidden, arity: LARGE.arity, levels: plan.levels });
    const mixed = plan.levels.filter((lv, l) => parts[l] === 2 && lv.internal >= 8 && lv.count - lv.internal >= 8);
    assert.ok(mixed.length >= 2, `levels split into ${parts.join(', ')} parts; ${mixed.length} split with both kinds of row`);
    return two;
  });
  // The float64 table-inputs fold (gathered rows, then the JavaScript fold) is the callback fold's bits.
  const gathered = run(LARGE, 'float64', false), table = run(LARGE, 'float64', false, true);
  assert.deepEqual(table.outputs, gathered.outputs, 'float64 outputs: table inputs and a lookup callback');
  table.grads.forEach((g, i) => assertClose(g, gathered.grads[i] as Float64Array, 1e-12, `float64 gradient ${i}: table inputs and a lookup callback`));
});

test('table inputs out of range, of the wrong width or count, are ArgumentErrors naming what is wrong', () => {
  const cell = new NaryTreeLSTMCell({ inputSize: 3, hiddenSize: 4, arity: 2 }, new Rng(1));
  const table = randn([5, 3], new Rng(2));
  const plan = planFold(treesOf(SMALL[0] as Config).slice(0, 2), 2);
  const n = plan.nodes.length;
  const rows = new Int32Array(n);
  const fails = (t: Tensor, r: Int32Array, pattern: RegExp): void => {
    assert.throws(() => foldTree(cell, plan, { table: t, rows: r }), (e: unknown) => e instanceof ArgumentError && pattern.test(e.message), String(pattern));
  };
  // A row out of range is the op's error (it reads the rows), naming the node.
  fails(table, Int32Array.from(rows).fill(5, 1, 2), /inputRows\[1\] is 5, outside the table's 5 rows/);
  // By level the rows are gathered, and gather names the position (the node).
  assert.throws(() => foldTree(cell, plan, { table, rows: Int32Array.from(rows).fill(5, 1, 2) }, { byLevel: true }), (e: unknown) => e instanceof ArgumentError && /index 5 at position 1 is not an integer in \[0, 5\)/.test(e.message));
  fails(table, rows.subarray(1), new RegExp(`one row index per node of the plan \\(${n}\\), got ${n - 1}`));
  fails(randn([5, 2], new Rng(3)), rows, /the inputs table must be \[rows, 3\], got \[5,2\]/);
  // The op checks its own attribute too.
  assert.throws(() => naryTreeLstmFold(table, cell, plan.levels, Int32Array.from(rows).fill(-1, 0, 1)), (e: unknown) => e instanceof ArgumentError && /inputRows\[0\] is -1, outside the table's 5 rows/.test(e.message));
});

test('the fused fold in float32 equals the float64 fold with its products split over two kernel threads, and one thread bitwise', async () => {
  await sameBitsOnOneAndTwoThreads(() => run(LARGE, 'float32', false), () => {
    const two = check(LARGE, 'wasm, 2 threads');
    // What is split: the levels (each one kernel job in two parts, by rows), among them some
    // with internal rows and leaves both, and the deferred weight gradient dW_hh (G x N H over
    // all T internal nodes), above gemm-wasm.ts's PARALLEL_MIN_MACS (2^22).
    const plan = planFold(treesOf(LARGE), LARGE.arity);
    const parts = naryTreeLstmFoldLevelParts({ inputSize: LARGE.input, hiddenSize: LARGE.hidden, arity: LARGE.arity, levels: plan.levels });
    const mixed = plan.levels.filter((lv, l) => parts[l] === 2 && lv.internal >= 8 && lv.count - lv.internal >= 8);
    assert.ok(parts[0] === 2 && mixed.length >= 2, `levels split into ${parts.join(', ')} parts; ${mixed.length} split with both kinds of row`);
    const G = 5 * LARGE.hidden, NH = 2 * LARGE.hidden;
    const T = plan.levels.reduce((n, lv) => n + lv.internal, 0);
    assert.ok(G * NH * T >= 1 << 22, `dW_hh is ${G * NH * T} multiply-adds`);
    return two;
  });
});

// The wasm fold's tape (x, states, gates, tanh c) stays in wasm memory from the forward to the
// backward. These check its life: freed by an unrecorded forward and by the backward, evicted
// when recorded forwards pile up without a backward, and recomputed (the same bits) by a
// backward that finds it gone, as a second backward of a retained graph does.
test('the fused fold keeps its tape in wasm memory only as long as a backward can need it', async () => {
  const c = LARGE;
  const cell = new NaryTreeLSTMCell({ inputSize: c.input, hiddenSize: c.hidden, arity: c.arity, bias: c.bias }, new Rng(7));
  const table = randn([VOCAB, c.input], new Rng(8), { requiresGrad: true });
  const trees = treesOf(c);
  const fold = (): Tensor => foldTree(cell, trees, (values) => gather(table, new Tensor(Float32Array.from(values), [values.length]))).outputs;
  await checkTapeLife(fold, [table, ...cell.parameters()], randn([planFold(trees, c.arity).nodes.length, c.hidden], new Rng(10)));
  // The same with table inputs, whose backward recomputes the fold of projected inputs.
  const plan = planFold(trees, c.arity);
  const rows = Int32Array.from(plan.nodes, (node) => node.value);
  await checkTapeLife(() => foldTree(cell, plan, { table, rows }).outputs, [table, ...cell.parameters()], randn([plan.nodes.length, c.hidden], new Rng(10)));
});

test('a fold schedule where a node has two parents is an ArgumentError naming the rows', () => {
  const cell = new NaryTreeLSTMCell({ inputSize: 3, hiddenSize: 4, arity: 2 }, new Rng(1));
  const x = randn([5, 3], new Rng(2));
  // Level 0: three leaves; level 1: two parents, both reading leaf 1.
  const levels = [
    { start: 0, count: 3, internal: 0, children: new Int32Array(0) },
    { start: 3, count: 2, internal: 2, children: Int32Array.from([0, 1, 1, 2]) },
  ];
  assert.throws(() => naryTreeLstmFold(x, cell, levels), (e: unknown) => e instanceof ArgumentError && /row 1 of the level below is a child at entries 1 and 2/.test(e.message));
  // The same schedule with distinct children, and with an absent child (index 3 = none), folds.
  levels[1] = { start: 3, count: 2, internal: 2, children: Int32Array.from([0, 1, 2, 3]) };
  assert.equal(naryTreeLstmFold(x, cell, levels).h.shape.join(','), '5,4');
});

test('inside withResidentWeights the fused fold packs its weights once, with the same outputs', async () => {
  const c = SMALL[0] as Config;
  const cell = new NaryTreeLSTMCell({ inputSize: c.input, hiddenSize: c.hidden, arity: c.arity, bias: c.bias }, new Rng(7));
  const table = randn([VOCAB, c.input], new Rng(8));
  const trees = treesOf(c);
  await checkResidentWeights(() => Float32Array.from(noGrad(() => foldTree(cell, trees, (values) => gather(table, new Tensor(Float32Array.from(values), [values.length]))).outputs).data), cell.parameters());
  const plan = planFold(trees, c.arity);
  const rows = Int32Array.from(plan.nodes, (node) => node.value);
  // Table inputs project the distinct rows by W_ih afresh in every call (only W_hh is packed and
  // kept), so the probe that a second fold reads the kept copy changes W_hh: listed first.
  const { weightIh, weightHh } = cell;
  await checkResidentWeights(() => Float32Array.from(noGrad(() => foldTree(cell, plan, { table, rows }).outputs).data), [weightHh, weightIh, ...cell.parameters().slice(2)]);
});
