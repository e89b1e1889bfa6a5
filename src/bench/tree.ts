import { backward } from '../autograd/index.js';
import { gemmReady, kernelThreadsReady, sequenceKernelPath, wasmKernelVariant } from '../kernels/index.js';
import { TreeClassifier } from '../models/tree/tree-classifier.js';
import { crossEntropy } from '../ops/index.js';
import { Rng, Tensor } from '../tensor/index.js';
import { TREE_TASKS, sampleTrees } from '../train/tree/tasks.js';
import { foldTreeNodewise, planFold } from '../tree/fold.js';
import type { NodeLabel } from '../tree/parse.js';
import type { TreeCellKind } from '../tree/registry.js';
import type { Tree } from '../tree/tree.js';
import { defaultTiming, timeInterleaved, type TimingOptions, type TimingSubject } from './timing.js';
import { treePassProducts, type TreePassProducts } from './tree-products.js';
import type { Workload } from './workload.js';

/** Trees folded per timed call (at least): the same trees for every batch size. */
const POOL = 64;

/**
 * The ways of folding a batch that the tree benchmark compares: `unfold` is foldTree as a
 * user calls it (the cell's fused whole-fold kernel when it has one), `unfold-bylevel` is
 * foldTree with `{ byLevel: true }` (one graph op per level: the fold before the fused
 * kernel, kept to show what fusing buys), `unfold-nodewise` the node-at-a-time loop, and
 * `unfold-products` not a fold at all: the products alone of the fused N-ary fold's pass
 * ({@link treePassProducts}), the floor under its time on this machine.
 */
export type TreeImpl = 'unfold' | 'unfold-bylevel' | 'unfold-nodewise' | 'unfold-products';

/** What {@link treeWorkload} measures. */
export interface TreeBenchOptions {
  /** Trees per call. */
  readonly batches?: readonly number[];
  readonly impls?: readonly TreeImpl[];
  readonly cell?: TreeCellKind;
  /** Units per node state; one table row per hidden size and batch. */
  readonly hiddens?: readonly number[];
  /** unfold-nodewise is timed only up to this batch (it is slow, and flat in the batch). */
  readonly nodewiseMaxBatch?: number;
  /** The batches at which unfold-bylevel is timed (default 1 and 64: the two ends). */
  readonly byLevelBatches?: readonly number[];
  /**
   * The batches at which unfold-products is timed (default 1 and 64), for the N-ary
   * Tree-LSTM on the WebAssembly kernels only (the products are its fused fold's).
   */
  readonly productsBatches?: readonly number[];
  readonly timing?: TimingOptions;
}

interface Subject extends TimingSubject {
  readonly impl: TreeImpl;
  readonly batch: number;
  /** Trees folded per call. */
  readonly trees: number;
}

/**
 * The tree benchmark's default timing: a call folds 64 trees (at batch 1 about 0.3 s for the
 * Tree-LSTM of 128), so each subject gets at least 8 samples and 3 s, where the default's
 * 3 samples of such a call would keep a disturbed one as the best.
 */
export const treeTiming: TimingOptions = { ...defaultTiming, minSamples: 8, budgetMs: 3000 };

/**
 * The tree benchmark: one training pass (forward and backward of the node-level
 * cross-entropy) of a tree classifier (N-ary Tree-LSTM with 32 and 128 units, word vectors of
 * 32, float32) over a batch of arithmetic expression trees of depth 1-6, in trees per second:
 *
 *     trees/s = batch / (seconds per pass)
 *
 * `unfold` is foldTree, level-batched: every level of the whole batch in one gemm per
 * product, and for the N-ary Tree-LSTM all levels in one fused op (weights joined once per
 * pass, children gathered in wasm). `unfold-bylevel` is foldTree with `{ byLevel: true }`:
 * one graph op per level, the fold before fusing (timed at `byLevelBatches` only).
 * `unfold-nodewise` is foldTreeNodewise, the reference loop that composes one node at a
 * time (as Stanford's Tree-LSTM code does), with the same model.
 * Every batch size folds the same trees (drawn once with a fixed seed: 64 of them, or
 * `batch` when larger), one timed call being one pass over all of them in batches of
 * `batch`; figures are the best of runs interleaved across all batch sizes and all
 * implementations of one hidden size (see {@link treeTiming}). The notes give each batch's
 * trees/s over batch 1's, over the node-at-a-time loop's at the same batch (the gains of
 * level batching), and over the by-level fold's (the gain of fusing). For the N-ary
 * Tree-LSTM on the WebAssembly kernels, `unfold-products` times the same batches' products
 * alone, and a last note gives batch 1's whole pass against them: the most any batch could
 * gain over batch 1 on this machine, were everything but the products free,
 *
 *     ceiling(batch) = trees/s of the products alone at batch / trees/s of the whole pass at batch 1
 *
 * @example
 * ```ts
 * const w = treeWorkload({ batches: [1, 64], hiddens: [32], impls: ['unfold'] });
 * await w.run({ record: (r) => console.log(r.params, r.value), note: console.log });
 * ```
 */
export function treeWorkload(options: TreeBenchOptions = {}): Workload {
  const batches = options.batches ?? [1, 4, 16, 64, 256];
  const hiddens = options.hiddens ?? [32, 128];
  const impls = options.impls ?? ['unfold', 'unfold-bylevel', 'unfold-nodewise', 'unfold-products'];
  const cell = options.cell ?? 'nary-lstm';
  const nodewiseMax = options.nodewiseMaxBatch ?? 64;
  const byLevelBatches = new Set(options.byLevelBatches ?? [1, 64]);
  const productsBatches = new Set(options.productsBatches ?? [1, 64]);
  const timing = options.timing ?? treeTiming;
  return {
    name: 'tree',
    title: `tree: forward + backward of a ${cell} tree classifier (float32) on arithmetic trees of depth 1-6; trees/s, best of interleaved runs (higher is better)`,
    async run(report) {
      await gemmReady();
      // The workers start in the background; a pass is synchronous, so wait for them here.
      const threads = await kernelThreadsReady();
      report.note(`${buildNote()}; ${threads} kernel thread${threads === 1 ? '' : 's'}; tree cell ${cell}`);
      const spec = TREE_TASKS.arithmetic;
      for (const hidden of hiddens) {
        const model = new TreeClassifier({ cell, vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: 32, hiddenSize: hidden }, new Rng(1));
        // trees/s by batch, per implementation.
        const rates: Record<TreeImpl, Map<number, number>> = { unfold: new Map(), 'unfold-bylevel': new Map(), 'unfold-nodewise': new Map(), 'unfold-products': new Map() };
        const { unfold: perTree, 'unfold-bylevel': byLevel, 'unfold-nodewise': nodewise, 'unfold-products': productsOnly } = rates;
        // The products alone exist for the fused fold's kernels: the N-ary Tree-LSTM on wasm.
        const withProducts = cell === 'nary-lstm' && model.cell.arity !== null && sequenceKernelPath() === 'wasm-simd' && model.embedding.weight.dtype === 'float32';
        const held: TreePassProducts[] = [];
        // Every batch size folds the same trees: a pool of max(batch, 64), one call being one
        // pass over the whole pool in batches of `batch` (so batch 1 is not one lucky tree).
        // All batch sizes of one hidden size are timed interleaved, so their ratio compares
        // runs that saw the same spells of background load.
        const subjects: Subject[] = [];
        for (const batch of batches) {
          const pool = sampleTrees(spec, new Rng(100), Math.max(batch, POOL), 1, 6);
          const chunks: Tree<NodeLabel>[][] = [];
          for (let i = 0; i < pool.length; i += batch) chunks.push(pool.slice(i, i + batch));
          for (const impl of impls) {
            if (impl === 'unfold-nodewise' && batch > nodewiseMax) continue;
            if (impl === 'unfold-bylevel' && !byLevelBatches.has(batch)) continue;
            if (impl === 'unfold-products') {
              if (!withProducts || !productsBatches.has(batch)) continue;
              const plans = chunks.map((trees) => {
                const plan = planFold(trees, model.cell.arity);
                return { ...plan, distinct: new Set(plan.nodes.map((n) => model.wordIndex(n.value.word))).size };
              });
              const products = treePassProducts(plans, model.cell.inputSize, hidden, model.cell.arity as number);
              held.push(products);
              subjects.push({ impl, batch, trees: pool.length, call: () => products.run() });
              continue;
            }
            subjects.push({ impl, batch, trees: pool.length, call: () => { for (const trees of chunks) trainingPass(model, trees, impl); } });
          }
        }
        let timings;
        try {
          timings = await timeInterleaved(subjects, timing);
        } finally {
          for (const p of held) p.release();
        }
        for (const [i, s] of subjects.entries()) {
          const t = timings[i];
          if (t === undefined) continue;
          const treesPerSecond = s.trees / (t.msPerCall / 1000);
          rates[s.impl].set(s.batch, treesPerSecond);
          report.record({
            bench: 'tree', params: { hidden, batch: s.batch }, impl: s.impl, metric: 'treesPerSec', value: treesPerSecond, unit: 'trees/s', higherIsBetter: true,
            detail: { cell, build: wasmKernelVariant() ?? 'none', threads: String(threads) },
          });
        }
        const one = perTree.get(1);
        const gains = [...perTree].filter(([b]) => b > 1).map(([b, rate]) => `batch ${b} ${one === undefined ? '?' : (rate / one).toFixed(1)}x`);
        if (gains.length > 0) report.note(`hidden ${hidden}: trees/s over batch 1: ${gains.join(', ')}`);
        // The reference code's way (one node at a time) at the same batch: what level batching buys.
        const overNodewise = [...perTree].filter(([b]) => nodewise.has(b)).map(([b, rate]) => `batch ${b} ${(rate / (nodewise.get(b) as number)).toFixed(1)}x`);
        if (overNodewise.length > 0) report.note(`hidden ${hidden}: trees/s over the node-at-a-time loop: ${overNodewise.join(', ')}`);
        const overByLevel = [...perTree].filter(([b]) => byLevel.has(b)).map(([b, rate]) => `batch ${b} ${(rate / (byLevel.get(b) as number)).toFixed(2)}x`);
        if (overByLevel.length > 0) report.note(`hidden ${hidden}: trees/s over the by-level fold: ${overByLevel.join(', ')}`);
        // The ceiling: batch 1's whole pass against each batch's products alone.
        const ceilings = [...productsOnly].filter(([b]) => b > 1).map(([b, rate]) => `batch ${b} ${one === undefined ? '?' : (rate / one).toFixed(1)}x`);
        if (ceilings.length > 0) report.note(`hidden ${hidden}: products alone over batch 1's whole pass (the most batching can gain here): ${ceilings.join(', ')}`);
      }
    },
  };
}

/**
 * Which kernel build ran, for the notes: relaxed SIMD's FMA gemm, or the baseline SIMD one
 * (with how to get the other where the engine has it behind a flag).
 */
function buildNote(): string {
  const variant = wasmKernelVariant();
  if (variant === 'relaxed-simd') return 'WebAssembly kernels: the relaxed SIMD build (FMA in the gemm)';
  if (variant === 'simd') return 'WebAssembly kernels: the baseline SIMD build (no relaxed SIMD here; Node 20 has it behind node --experimental-wasm-relaxed-simd, Node >= 22 by default)';
  return 'WebAssembly kernels: none (JavaScript kernels)';
}

function trainingPass(model: TreeClassifier, trees: readonly Tree<NodeLabel>[], impl: TreeImpl): void {
  model.zeroGrad();
  if (impl !== 'unfold-nodewise') {
    backward(model.nodeLoss(model.forward(trees, { byLevel: impl === 'unfold-bylevel' })));
    return;
  }
  const dtype = model.embedding.weight.dtype;
  const { plan, outputs } = foldTreeNodewise(model.cell, trees, (values) => {
    const ids = dtype === 'float64' ? new Float64Array(values.length) : new Float32Array(values.length);
    for (let i = 0; i < values.length; i++) ids[i] = model.wordIndex((values[i] as NodeLabel).word);
    return model.embedding.forward(new Tensor(ids, [values.length]));
  });
  backward(crossEntropy(model.head.forward(outputs), model.nodeTargets(plan), { ignoreIndex: -1 }));
}
