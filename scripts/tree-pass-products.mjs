// The products alone of one tree benchmark pass (docs/decisions/0005's "why 10x is out of
// reach"): the shapes the fused N-ary Tree-LSTM fold multiplies for the benchmark's 64
// arithmetic trees (depth 1-6) at [batch], timed alone on wasm memory with the fold's own
// gemm entry points, on [threads] kernel threads. Forward: each level's internal rows
// [x | h] W^T (W^T packed) and leaves x W_x^T; backward: each level's dz W and the leaves' dz W_x,
// then the deferred dW_hh = dz^T h (internal rows) and dW_x = dz^T x (all nodes). Prints ms per
// pass by kind (best of 30) and GFLOP/s.
//
//   npm run build && node scripts/tree-pass-products.mjs [batch] [hidden] [threads]
import { Rng, gemmReady, kernelThreadsReady, setKernelThreads } from '../dist/index.js';
import { sgemmAt, sgemmPackedAt } from '../dist/kernels/gemm-wasm.js';
import { wasmKernels } from '../dist/kernels/wasm-module.js';
import { TREE_TASKS, sampleTrees } from '../dist/train/tree/tasks.js';
import { planFold } from '../dist/tree/fold.js';

const B = Number(process.argv[2] ?? 64), H = Number(process.argv[3] ?? 128), threads = Number(process.argv[4] ?? 1);
await gemmReady();
setKernelThreads(threads);
await kernelThreadsReady();
const pool = sampleTrees(TREE_TASKS.arithmetic, new Rng(100), Math.max(B, 64), 1, 6);
const plans = [];
for (let k = 0; k < pool.length; k += B) plans.push(planFold(pool.slice(k, k + B), 2));
const I = 32, G = 5 * H, NH = 2 * H, K = I + NH;
const w = wasmKernels(), e = w.exports;
const base = w.scratch('treePassProducts', 48 << 20);
const A = base, W = base + (16 << 20), C = base + (24 << 20), P = base + (32 << 20);
for (let i = 0; i < (48 << 20) / 4; i++) w.f32[(base >> 2) + i] = Math.sin(i);
// Each kind: its product per level (rows: the level's internal rows or its leaves), its FLOP,
// and how its packed B is made from the joined weights W [G, K] at W (as the fold packs it).
const kinds = [
  ['forward, internal rows', 'internal', (m) => sgemmPackedAt(false, m, G, K, 1, A, K, P, 1, C, G), (m) => 2 * m * G * K, () => e.packB(1, K, G, W, K, P)],
  ['forward, leaves', 'leaves', (l) => sgemmPackedAt(false, l, G, I, 1, A, I, P, 1, C, G), (l) => 2 * l * G * I, () => e.packB(1, I, G, W, K, P)],
  ['backward, internal dz W', 'internal', (m) => sgemmPackedAt(false, m, K, G, 1, A, G, P, 0, C, K), (m) => 2 * m * G * K, () => e.packB(0, G, K, W, K, P)],
  ['backward, leaves dz W_x', 'leaves', (l) => sgemmPackedAt(false, l, I, G, 1, A, G, P, 0, C, I), (l) => 2 * l * G * I, () => e.packB(0, G, I, W, K, P)],
];
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
const report = (name, ms, flop) => {
  total += ms;
  console.log(`${name.padEnd(34)} ${ms.toFixed(2).padStart(7)} ms  ${(flop / ms / 1e6).toFixed(1)} GFLOP/s`);
};
for (const [name, rows, run, flops, pack] of kinds) {
  pack();
  let flop = 0;
  const ms = time(() => {
    flop = 0;
    for (const plan of plans) for (const lv of plan.levels) {
      const n = rows === 'internal' ? lv.internal : lv.count - lv.internal;
      if (n > 0) { run(n); flop += flops(n); }
    }
  });
  report(name, ms, flop);
}
let flop = 0;
const ms = time(() => {
  flop = 0;
  for (const plan of plans) {
    const T = plan.levels.reduce((s, lv) => s + lv.internal, 0), nodes = plan.nodes.length;
    if (T > 0) sgemmAt(true, false, G, NH, T, 1, A, G, W, NH, 0, C, NH);
    sgemmAt(true, false, G, I, nodes, 1, A, G, W, I, 0, C, I);
    flop += 2 * G * NH * T + 2 * G * I * nodes;
  }
});
report('deferred dW_hh and dW_x', ms, flop);
console.log(`all products of a pass over ${pool.length} trees at batch ${B}, hidden ${H}, ${threads} thread(s): ${total.toFixed(2)} ms`);
process.exit(0);
