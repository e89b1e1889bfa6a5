// Tree training passes of two builds compared on the same trees (how docs/decisions/0005
// measured the fused Tree-LSTM level against the composed cell): run it once per build,
// alternating, and compare the lines. Each run folds the tree benchmark's pool of 64
// arithmetic trees (depth 1-6) at batch 1 and at batch 64 with an N-ary Tree-LSTM
// classifier (or the cell named by [cell]; word vectors of 32, float32, two kernel threads)
// and prints trees/s, the best of 8 (batch 1) or 40 (batch 64) passes.
//
//   npm run build && node scripts/compare-tree-builds.mjs "$PWD/dist" [hidden] [cell]
//   (cd ../other-checkout && npm run build) && node scripts/compare-tree-builds.mjs ../other-checkout/dist [hidden] [cell]
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

const dist = pathToFileURL(resolve(process.argv[2] ?? 'dist')).href;
const { Rng, TreeClassifier, backward, gemmReady, setKernelThreads, kernelThreadsReady } = await import(dist + '/index.js');
const { TREE_TASKS, sampleTrees } = await import(dist + '/train/tree/tasks.js');
await gemmReady(); setKernelThreads(2); await kernelThreadsReady();
const hidden = Number(process.argv[3] ?? 128);
const spec = TREE_TASKS.arithmetic;
const model = new TreeClassifier({ cell: process.argv[4] ?? 'nary-lstm', vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: 32, hiddenSize: hidden }, new Rng(1));
const pool = sampleTrees(spec, new Rng(100), 64, 1, 6);
const res = [];
for (const batch of [1, 64]) {
  const chunks = []; for (let i = 0; i < pool.length; i += batch) chunks.push(pool.slice(i, i + batch));
  const pass = () => { for (const t of chunks) { model.zeroGrad(); backward(model.nodeLoss(model.forward(t))); } };
  for (let i = 0; i < 3; i++) pass();
  let best = Infinity; const reps = batch === 1 ? 8 : 40;
  for (let i = 0; i < reps; i++) { const t = performance.now(); pass(); best = Math.min(best, performance.now() - t); }
  res.push(64 / (best / 1000));
}
console.log(`${process.argv[2] ?? 'dist'} hidden ${hidden}: batch1 ${res[0].toFixed(0)} batch64 ${res[1].toFixed(0)} ratio ${(res[1] / res[0]).toFixed(2)}`);
process.exit(0);
