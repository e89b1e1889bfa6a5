// Two builds' tree training passes in ONE process (docs/decisions/0010), which is steadier on a
// noisy machine than scripts/compare-tree-builds.mjs's one process per build: both dist
// copies are loaded (each with its own kernels and threads), and their passes alternate,
// the order flipping every round. A pass is the tree benchmark's: 64 arithmetic trees
// (depth 1-6), N-ary Tree-LSTM classifier (or CELL, e.g. child-sum-lstm), word vectors of 32,
// float32, 2 kernel threads, at batch 1 and at batch 64. Prints the best of [rounds - 1]
// passes per build and B over A. A pass zeroes the gradients once and accumulates over its
// batches; ZERO_GRAD=batch zeroes them before every batch, as the tree benchmark does.
//
//   A=/tmp/before/dist B="$PWD/dist" [CELL=child-sum-lstm] [ZERO_GRAD=batch] node scripts/ab-tree-builds.mjs [hidden] [rounds]
const [A, B] = [process.env.A, process.env.B ?? new URL('../dist', import.meta.url).pathname];
if (A === undefined) throw new Error("set A to the other build's dist folder (B defaults to this checkout's dist)");
const hidden = Number(process.argv[2] ?? 128), rounds = Number(process.argv[3] ?? 10);
const libs = [];
for (const d of [A, B]) {
  const lib = await import(`${d}/index.js`); const { TREE_TASKS, sampleTrees } = await import(`${d}/train/tree/tasks.js`);
  await lib.gemmReady(); lib.setKernelThreads(2); await lib.kernelThreadsReady();
  const spec = TREE_TASKS.arithmetic;
  const model = new lib.TreeClassifier({ cell: process.env.CELL ?? 'nary-lstm', vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: 32, hiddenSize: hidden }, new lib.Rng(1));
  const pool = sampleTrees(spec, new lib.Rng(100), 64, 1, 6);
  libs.push({ name: d, lib, model, pool, variant: lib.wasmKernelVariant?.() ?? 'simd' });
}
const best = {};
for (let r = 0; r < rounds; r++) for (const b of [1, 64]) for (const [i, L] of (r % 2 ? [...libs.entries()].reverse() : [...libs.entries()])) {
  const t0 = performance.now();
  L.model.zeroGrad();
  for (let k = 0; k < 64; k += b) {
    if (process.env.ZERO_GRAD === 'batch') L.model.zeroGrad();
    L.lib.backward(L.model.nodeLoss(L.model.forward(L.pool.slice(k, k + b))));
  }
  const ms = performance.now() - t0; const key = `b${b} ${i}`;
  if (r > 0) best[key] = Math.min(best[key] ?? 1e9, ms);
}
for (const b of [1, 64]) { const a = best[`b${b} 0`], c = best[`b${b} 1`]; console.log(`hidden ${hidden} batch ${b}: A ${libs[0].variant} ${(64000 / a).toFixed(0)} trees/s, B ${libs[1].variant} ${(64000 / c).toFixed(0)} trees/s, B/A ${(a / c).toFixed(2)}x`); }
process.exit(0);
