import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../autograd/index.js';
import { childSumFoldLevelParts } from '../kernels/child-sum-lstm-fold-wasm.js';
import { treeRnnFoldLevelParts } from '../kernels/tree-rnn-fold-wasm.js';
import { gather } from '../ops/index.js';
import { Rng, Tensor, randn, type DType } from '../tensor/index.js';
import { checkResidentWeights, checkTapeLife, compareFolds, randomTree, runFold, sameBitsOnOneAndTwoThreads, type FoldRun } from '../test-support/fold-checks.js';
import { foldTree, planFold } from './fold.js';
import { RecursiveCell } from './recursive-cell.js';
import type { TreeCell } from './tree-cell.js';
import { ChildSumTreeLSTMCell } from './tree-lstm-cells.js';
import type { Tree } from './tree.js';

// The folds that run on wasm memory with one threaded kernel job per level (the Child-Sum
// Tree-LSTM, kernels/child-sum-lstm-fold-wasm.ts; the classic recursive network,
// kernels/tree-rnn-fold-wasm.ts), each with a fold large enough that its levels are split over
// two kernel threads: against float64 and the by-level graph, and bitwise against the same fold
// on one thread; then the tape's life and the weights kept inside withResidentWeights (the
// N-ary fold's checks, src/test-support/fold-checks.ts). The small folds, on wasm and JS, are
// in child-sum-fold.test.ts and tree-rnn-fold.test.ts; the N-ary fold's in fold-fused.test.ts.

const VOCAB = 10, INPUT = 16;

interface Subject {
  readonly label: string;
  /** Units: enough that the levels' products pass the threaded split's threshold (2^20 multiply-adds). */
  readonly hidden: number;
  readonly cell: (dtype: DType) => TreeCell;
  /** At most this many children per node (the recursive network's binary cell: 2). */
  readonly maxKids: number;
  readonly arity: number | null;
  /** The fold's level split, with this input width (0 for table inputs, whose fold multiplies no input). */
  readonly levelParts: (levels: ReturnType<typeof planFold>['levels'], inputSize: number) => number[];
}

const SUBJECTS: Subject[] = [
  {
    label: 'Child-Sum Tree-LSTM', hidden: 64, maxKids: 3, arity: null,
    cell: (dtype) => new ChildSumTreeLSTMCell({ inputSize: INPUT, hiddenSize: 64, dtype }, new Rng(7)),
    levelParts: (levels, inputSize) => childSumFoldLevelParts({ inputSize, hiddenSize: 64, levels }),
  },
  {
    label: 'recursive network', hidden: 128, maxKids: 2, arity: 2,
    cell: (dtype) => new RecursiveCell({ inputSize: INPUT, hiddenSize: 128, arity: 2, dtype }, new Rng(7)),
    levelParts: (levels, inputSize) => treeRnnFoldLevelParts({ inputSize, hiddenSize: 128, arity: 2, levels }),
  },
];


/** 64 trees of 6 levels at most (the same ones on every call). */
function treesOf(s: Subject): Tree<number>[] {
  const rng = new Rng(9);
  return Array.from({ length: 64 }, () => randomTree(rng, 5, { kind: 'any', maxKids: s.maxKids, leaf: 0.25 }, VOCAB));
}

function run(s: Subject, dtype: DType, byLevel: boolean, tableInputs = false): FoldRun {
  return runFold(s.cell, treesOf(s), { vocab: VOCAB, dtype, byLevel, tableInputs });
}

for (const [s, tableInputs] of SUBJECTS.flatMap((s) => [[s, false], [s, true]] as const)) {
  // Table inputs ({ table, rows }): each distinct row projected once, then the fold from those rows.
  const inputs = tableInputs ? ', table inputs' : '';
  test(`${s.label}${inputs}: the fold on wasm, its levels split over two kernel threads, equals float64 and the by-level fold, and one thread bitwise`, async () => {
    await sameBitsOnOneAndTwoThreads(() => run(s, 'float32', false, tableInputs), () => {
      const two = run(s, 'float32', false, tableInputs);
      compareFolds(`${s.label}${inputs}, wasm, 2 threads`, two, run(s, 'float32', true), run(s, 'float64', false), 1e-6);
      const plan = planFold(treesOf(s), s.arity);
      const parts = s.levelParts(plan.levels, tableInputs ? 0 : INPUT);
      const mixed = plan.levels.filter((lv, l) => parts[l] === 2 && lv.internal >= 8 && lv.count - lv.internal >= 8);
      assert.ok(mixed.length >= 2, `levels split into ${parts.join(', ')} parts; ${mixed.length} split with both kinds of row`);
      const most = Math.max(...plan.levels.map((lv) => lv.slots));
      assert.ok(plan.levels.some((lv, l) => parts[l] === 2 && lv.slots === most && most === s.maxKids), `a split level with ${s.maxKids} child slots`);
      return two;
    });
  });

  test(`${s.label}${inputs}: the fold on wasm keeps its tape in wasm memory only as long as a backward can need it`, async () => {
    const cell = s.cell('float32');
    const table = randn([VOCAB, INPUT], new Rng(8), { requiresGrad: true });
    const plan = planFold(treesOf(s), s.arity);
    const fold = (): Tensor => foldTree(cell, plan, tableInputs ? { table, rows: rowsOf(plan) } : (values) => gather(table, new Tensor(Float32Array.from(values), [values.length]))).outputs;
    await checkTapeLife(fold, [table, ...cell.parameters()], randn([plan.nodes.length, s.hidden], new Rng(10)));
  });

  test(`${s.label}${inputs}: inside withResidentWeights the fold on wasm packs its weights once, with the same outputs`, async () => {
    const cell = s.cell('float32');
    const table = randn([VOCAB, INPUT], new Rng(8));
    const plan = planFold(treesOf(s).slice(0, 3), s.arity);
    const fold = (): Float32Array => Float32Array.from(noGrad(() => foldTree(cell, plan, tableInputs ? { table, rows: rowsOf(plan) } : (values) => gather(table, new Tensor(Float32Array.from(values), [values.length]))).outputs).data);
    // Table inputs project the distinct rows by W_ih afresh in every call (only the children's
    // weights are packed and kept), so the probe that a second fold reads the kept copy changes
    // weightHh: listed first.
    const [weightIh, weightHh, ...rest] = cell.parameters() as [Tensor, Tensor, ...Tensor[]];
    await checkResidentWeights(fold, tableInputs ? [weightHh, weightIh, ...rest] : cell.parameters());
  });
}

/** Each node's row of the word table (its value), in plan order. */
function rowsOf(plan: ReturnType<typeof planFold<number>>): Int32Array {
  return Int32Array.from(plan.nodes, (n) => n.value);
}
