// Where the time of one tree training pass goes (issue 8, docs/decisions/0005): the tree
// benchmark's pass (forward and backward of the node-level cross-entropy of an N-ary
// Tree-LSTM classifier, word vectors of 32, float32, arithmetic trees of depth 1-6) on ONE
// kernel thread (or [threads]) under V8's sampling profiler, with the self time of every sampled function
// summed into a few buckets, as scripts/profile-lstm-train.mjs does for the LSTM.
//
//   npm run build && [ZERO_GRAD=batch] [CELL=child-sum-lstm] node scripts/profile-tree.mjs [batch] [hidden] [passes] [threads]
import { Session } from 'node:inspector/promises';
import { Rng, TreeClassifier, backward, gemmReady, kernelThreadsReady, setKernelThreads } from '../dist/index.js';
import { TREE_TASKS, sampleTrees } from '../dist/train/tree/tasks.js';

const batch = Number(process.argv[2] ?? 64);
const hidden = Number(process.argv[3] ?? 128);
const passes = Number(process.argv[4] ?? 20);
const threads = Number(process.argv[5] ?? 1);

await gemmReady();
setKernelThreads(threads);
await kernelThreadsReady();
const spec = TREE_TASKS.arithmetic;
const model = new TreeClassifier({ cell: process.env.CELL ?? 'nary-lstm', vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: 32, hiddenSize: hidden }, new Rng(1));
// As in the benchmark: the same pool of max(batch, 64) trees for every batch size, one pass
// over the whole pool in batches of `batch`.
const pool = sampleTrees(spec, new Rng(100), Math.max(batch, 64), 1, 6);
const batches = [];
for (let i = 0; i < pool.length; i += batch) batches.push(pool.slice(i, i + batch));
const pass = () => {
  model.zeroGrad();
  for (const trees of batches) {
    // ZERO_GRAD=batch: zero before every batch, as the tree benchmark does (else accumulate).
    if (process.env.ZERO_GRAD === 'batch') model.zeroGrad();
    backward(model.nodeLoss(model.forward(trees)));
  }
};
for (let i = 0; i < 5; i++) pass();

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const t0 = performance.now();
for (let i = 0; i < passes; i++) pass();
const ms = (performance.now() - t0) / passes;
const { profile } = await session.post('Profiler.stop');

const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
// First match wins; the patterns are file and function names of dist/ and of the wasm module.
const BUCKETS = [
  ['gemm', /gemm|packA|packB|sgemv/i],
  ['fused tree cell', /tree-lstm|TreeLstm/],
  ['element-wise', /raw\/(elementwise|reduce|broadcast)|kernels\/(elementwise|reduce|broadcast)|sigmoid|tanh/i],
  ['softmax cross-entropy', /fused-head|softmax|crossEntropy|logSumExp/i],
  ['copies, gathers, layout', /copyRow|layout|concat|slice|transpose|gather|scatter/i],
  ['garbage collection', /\(garbage collector\)/],
  ['idle', /\((idle|program)\)/],
];
const buckets = Object.fromEntries([...BUCKETS.map(([k]) => [k, 0]), ['framework overhead', 0]]);
const byFunction = new Map();
for (const node of profile.nodes) {
  const us = self.get(node.id) ?? 0;
  if (us === 0) continue;
  const { functionName, url } = node.callFrame;
  const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/dist\//, '')}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  const bucket = BUCKETS.find(([, re]) => re.test(`${functionName} ${url}`))?.[0] ?? 'framework overhead';
  buckets[bucket] += us;
}
const total = Object.values(buckets).reduce((a, b) => a + b, 0);
console.log(`tree pass over ${pool.length} trees, batch ${batch}, hidden ${hidden}, ${threads} kernel thread(s): ${ms.toFixed(2)} ms (${Math.round(pool.length / (ms / 1000))} trees/s), ${passes} passes profiled`);
for (const [k, v] of Object.entries(buckets)) console.log(`  ${k.padEnd(24)} ${(v / 1000 / passes).toFixed(2).padStart(7)} ms  ${((100 * v) / total).toFixed(1).padStart(5)} %`);
console.log('top functions (self time per pass):');
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 20))) {
  console.log(`  ${(us / 1000 / passes).toFixed(2).padStart(7)} ms  ${name}`);
}
