// The products alone of one tree benchmark pass, kind by kind (docs/decisions/0005's "why 10x
// is out of reach"): the shapes the fused N-ary Tree-LSTM fold of table inputs multiplies for the benchmark's
// 64 arithmetic trees (depth 1-6) at [batch], through the fold's own gemm entry points on
// wasm memory (src/bench/tree-products.ts, which the tree benchmark's unfold-products times),
// on [threads] kernel threads. Prints ms per pass by kind (best of 30) and GFLOP/s.
//
//   npm run build && node scripts/tree-pass-products.mjs [batch] [hidden] [threads]
import { Rng, TreeClassifier, gemmReady, kernelThreadsReady, setKernelThreads } from '../dist/index.js';
import { treePassProducts } from '../dist/bench/tree-products.js';
import { TREE_TASKS, sampleTrees } from '../dist/train/tree/tasks.js';
import { planFold } from '../dist/tree/fold.js';

const B = Number(process.argv[2] ?? 64), H = Number(process.argv[3] ?? 128), threads = Number(process.argv[4] ?? 1);
await gemmReady();
setKernelThreads(threads);
await kernelThreadsReady();
const spec = TREE_TASKS.arithmetic;
const pool = sampleTrees(spec, new Rng(100), Math.max(B, 64), 1, 6);
// Only its word rows are read (how many distinct words a plan holds).
const model = new TreeClassifier({ cell: 'nary-lstm', vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: 32, hiddenSize: 4 }, new Rng(1));
const plans = [];
for (let k = 0; k < pool.length; k += B) {
  const plan = planFold(pool.slice(k, k + B), 2);
  plans.push({ ...plan, distinct: new Set(plan.nodes.map((n) => model.wordIndex(n.value.word))).size });
}
const products = treePassProducts(plans, 32, H, 2);
const time = (f) => {
  let best = Infinity;
  for (let r = 0; r < 30; r++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
};
let total = 0;
for (const kind of products.kinds) {
  const ms = time(() => kind.run());
  total += ms;
  console.log(`${kind.name.padEnd(40)} ${ms.toFixed(2).padStart(7)} ms  ${(kind.flop / ms / 1e6).toFixed(1)} GFLOP/s`);
}
products.release();
console.log(`all products of a pass over ${pool.length} trees at batch ${B}, hidden ${H}, ${threads} thread(s): ${total.toFixed(2)} ms`);
process.exit(0);
