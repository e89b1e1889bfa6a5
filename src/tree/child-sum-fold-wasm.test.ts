import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, noGrad } from '../autograd/index.js';
import { childSumFoldLevelParts } from '../kernels/child-sum-lstm-fold-wasm.js';
import { gemmReady } from '../kernels/gemm.js';
import { kernelThreadsReady, setKernelThreads } from '../kernels/threads.js';
import { gather, mul, sum } from '../ops/index.js';
import { Rng, Tensor, randn, type DType } from '../tensor/index.js';
import { checkResidentWeights, checkTapeLife, compareFolds, type FoldRun } from '../test-support/fold-checks.js';
import { foldTree, planFold } from './fold.js';
import { ChildSumTreeLSTMCell } from './tree-lstm-cells.js';
import { tree, type Tree } from './tree.js';

// The Child-Sum fold on wasm memory (kernels/child-sum-lstm-fold-wasm.ts: one level job per
// level, split by rows over the kernel threads, the tape kept in wasm memory) with a fold
// large enough that its levels are split over two threads: against float64 and the by-level
// graph, and bitwise against the same fold on one thread; then its tape's life and its weights
// kept inside withResidentWeights. The small
// folds, on wasm and JS, are in child-sum-fold.test.ts.

const VOCAB = 10, INPUT = 16, HIDDEN = 64;

/** A random tree of at most `depth` levels below the root, each internal node with 1 to `maxKids` children. */
function randomTree(rng: Rng, depth: number, maxKids: number): Tree<number> {
  const word = rng.int(VOCAB);
  if (depth === 0 || rng.uniform() < 0.25) return tree(word, []);
  return tree(word, Array.from({ length: 1 + rng.int(maxKids) }, () => randomTree(rng, depth - 1, maxKids)));
}

/** 64 trees of up to 3 children and 6 levels (the same ones on every call). */
function treesOf(): Tree<number>[] {
  const rng = new Rng(9);
  return Array.from({ length: 64 }, () => randomTree(rng, 5, 3));
}

function run(dtype: DType, byLevel: boolean): FoldRun {
  const ref = new ChildSumTreeLSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype: 'float64' }, new Rng(7));
  const cell = new ChildSumTreeLSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN, dtype }, new Rng(7));
  cell.parameters().forEach((p, i) => p.data.set((ref.parameters()[i] as Tensor).data));
  const cast = (t: Tensor): Float32Array | Float64Array => (dtype === 'float64' ? t.data.slice() : Float32Array.from(t.data));
  const table = new Tensor(cast(randn([VOCAB, INPUT], new Rng(8), { dtype: 'float64' })), [VOCAB, INPUT], true);
  const ids = (values: readonly number[]): Tensor => new Tensor(dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), [values.length]);
  const { outputs } = foldTree(cell, treesOf(), (values) => gather(table, ids(values)), { byLevel });
  backward(sum(mul(outputs, new Tensor(cast(randn(outputs.shape, new Rng(10), { dtype: 'float64' })), outputs.shape))));
  return { outputs: Float64Array.from(outputs.data), grads: [table, ...cell.parameters()].map((p) => Float64Array.from(p.grad?.data ?? [])) };
}

test('the Child-Sum fold on wasm, its levels split over two kernel threads, equals float64 and the by-level fold, and one thread bitwise', async () => {
  await gemmReady();
  try {
    setKernelThreads(1);
    await kernelThreadsReady();
    const one = run('float32', false);
    setKernelThreads(2);
    assert.equal(await kernelThreadsReady(), 2, 'two kernel threads started');
    const two = run('float32', false);
    compareFolds('wasm, 2 threads', two, run('float32', true), run('float64', false), 1e-6);
    // Each row is computed by one part whatever the split: a race or an overlap of the parts'
    // rows (or of their scratch) would change bits.
    assert.deepEqual(two.outputs, one.outputs, 'outputs on two threads and on one');
    two.grads.forEach((g, i) => assert.deepEqual(g, one.grads[i], `gradient ${i} on two threads and on one`));
    const plan = planFold(treesOf(), null);
    const parts = childSumFoldLevelParts({ inputSize: INPUT, hiddenSize: HIDDEN, levels: plan.levels });
    const mixed = plan.levels.filter((lv, l) => parts[l] === 2 && lv.internal >= 8 && lv.count - lv.internal >= 8);
    assert.ok(mixed.length >= 2, `levels split into ${parts.join(', ')} parts; ${mixed.length} split with both kinds of row`);
    assert.ok(plan.levels.some((lv, l) => parts[l] === 2 && lv.slots === 3), `a split level with 3 child slots (slots ${plan.levels.map((lv) => lv.slots).join(', ')})`);
  } finally {
    setKernelThreads('auto');
    await kernelThreadsReady();
  }
});

test('the Child-Sum fold on wasm keeps its tape in wasm memory only as long as a backward can need it', async () => {
  const cell = new ChildSumTreeLSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN }, new Rng(7));
  const table = randn([VOCAB, INPUT], new Rng(8), { requiresGrad: true });
  const trees = treesOf();
  const fold = (): Tensor => foldTree(cell, trees, (values) => gather(table, new Tensor(Float32Array.from(values), [values.length]))).outputs;
  await checkTapeLife(fold, [table, ...cell.parameters()], randn([planFold(trees, null).nodes.length, HIDDEN], new Rng(10)));
});

test('inside withResidentWeights the Child-Sum fold on wasm packs its weights once, with the same outputs', async () => {
  const cell = new ChildSumTreeLSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN }, new Rng(7));
  const table = randn([VOCAB, INPUT], new Rng(8));
  const trees = treesOf().slice(0, 3);
  await checkResidentWeights(() => Float32Array.from(noGrad(() => foldTree(cell, trees, (values) => gather(table, new Tensor(Float32Array.from(values), [values.length]))).outputs).data), cell.parameters());
});
