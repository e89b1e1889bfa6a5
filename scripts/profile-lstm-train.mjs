// Where the time of one lstm-train step goes (docs/performance.md): runs the bench's
// character-LSTM step (hidden 256, batch 32, 64 steps, vocabulary 65, cross-entropy at every
// step, full BPTT, Adam) on ONE kernel thread under V8's sampling profiler and sums the
// self time of every sampled function into a few buckets: gemm (the WebAssembly and
// JavaScript matrix kernels), element-wise (the fused cell maths, activations, column sums,
// softmax cross-entropy, Adam's update), garbage collection, and the rest (ops, tape, tensors,
// slicing: the framework overhead). One thread, because the profiler samples the main thread
// only; the split with two threads is the same work spread over both cores.
//
//   npm run build && node scripts/profile-lstm-train.mjs [steps]
import { Session } from 'node:inspector/promises';
import {
  Adam, LanguageModel, Rng, Tensor, backward, crossEntropy, gemmReady, setKernelThreads,
} from '../dist/index.js';
import { TRAIN_SPEC, symbols } from '../dist/bench/train.js';

const steps = Number(process.argv[2] ?? 20);
const spec = TRAIN_SPEC;

await gemmReady();
setKernelThreads(1);
const model = new LanguageModel({ vocabSize: spec.vocab, cell: 'lstm', hidden: spec.hidden, layers: 1, embedding: spec.embedding, dropout: 0 }, new Rng(1));
const optimizer = new Adam(model, { lr: spec.lr });
const tokens = new Tensor(symbols(spec.batch * spec.steps, 2), [spec.batch, spec.steps]);
const targets = new Tensor(symbols(spec.batch * spec.steps, 3), [spec.batch, spec.steps]);
const step = () => {
  const { logits } = model.forward(tokens);
  const loss = crossEntropy(logits, targets);
  backward(loss);
  optimizer.step();
  optimizer.zeroGrad();
};
for (let i = 0; i < 3; i++) step();

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const t0 = performance.now();
for (let i = 0; i < steps; i++) step();
const ms = (performance.now() - t0) / steps;
const { profile } = await session.post('Profiler.stop');

// Self time per node: samples are node ids, timeDeltas the gaps before each sample.
const self = new Map();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
// First match wins; the patterns are file and function names of dist/ and of the wasm module.
const BUCKETS = [
  ['gemm', /gemm|packA|packB|sgemv/i],
  ['cell element-wise', /Step(Forward|Backward)|Forward(Loop)|Backward(Loop)|InPlace|columnSums|gruBefore|fast(Sigmoid|Tanh|Exp)|kernels\/(elementwise|reduce|broadcast)/],
  ['softmax cross-entropy', /fused-head|softmax|crossEntropy|logSumExp/i],
  ['optimizer (Adam)', /optim\//],
  ['copies and layout', /copyRow|layout|concat|slice|transpose/i],
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
console.log(`lstm-train step, 1 kernel thread: ${ms.toFixed(1)} ms (${Math.round((spec.batch * spec.steps) / (ms / 1000))} tokens/s), ${steps} steps profiled`);
for (const [k, v] of Object.entries(buckets)) console.log(`  ${k.padEnd(20)} ${(v / 1000 / steps).toFixed(1).padStart(7)} ms  ${((100 * v) / total).toFixed(1).padStart(5)} %`);
console.log('top functions (self time per step):');
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${(us / 1000 / steps).toFixed(2).padStart(7)} ms  ${name}`);
}
