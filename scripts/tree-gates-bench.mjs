// The Tree-LSTM gates pass alone (assembly/tree.ts's treeGatesForward: three sigmoids or
// tanhs per unit, one sigmoid per child slot, tanh of the cell), best of 50 calls on wasm
// memory, in the Child-Sum layout (z [n, 4H], forget [n, K, H] apart) and the N-ary one
// (forget blocks inside z [n, (K+3)H]). It times the activations' SIMD maths
// (assembly/simd-math.ts), which every fused kernel shares.
//
//   npm run build && node scripts/tree-gates-bench.mjs [rows] [hidden] [slots]
import { gemmReady } from '../dist/kernels/index.js';
import { wasmKernels } from '../dist/kernels/wasm-module.js';

const n = Number(process.argv[2] ?? 500), H = Number(process.argv[3] ?? 128), K = Number(process.argv[4] ?? 2);
await gemmReady();
const w = wasmKernels();
const G = 4 * H, GN = (K + 3) * H;
const zFloats = Math.max(n * G, n * GN), nKH = n * K * H, nH = n * H;
const zAt = w.scratch('tree-gates-bench', 4 * (zFloats + 2 * nKH + 4 * nH));
const fAt = zAt + 4 * zFloats, ccAt = fAt + 4 * nKH, tcAt = ccAt + 4 * nKH, outAt = tcAt + 4 * nH;
// Pre-activations in [-2, 2], rewritten before every call (the pass overwrites z with the gates).
const fill = () => { for (let i = 0; i < zFloats + 2 * nKH; i++) w.f32[(zAt >> 2) + i] = 2 * Math.sin(i); };
const best = (call) => {
  let ms = Infinity;
  for (let r = 0; r < 50; r++) {
    fill();
    const t0 = performance.now();
    call();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
};
const childSum = best(() => w.exports.treeGatesForward(n, H, K, zAt, G, 2 * H, 3 * H, fAt, K * H, ccAt, 1, tcAt, outAt, outAt + 4 * nH));
const nary = best(() => w.exports.treeGatesForward(n, H, K, zAt, GN, (K + 1) * H, (K + 2) * H, zAt + 4 * H, GN, ccAt, 1, tcAt, outAt, outAt + 4 * nH));
const perUnit = (ms) => `${((ms * 1e6) / (n * H)).toFixed(1)} ns per unit`;
console.log(`treeGatesForward, ${n} rows x ${H} units, ${K} child slots: Child-Sum layout ${childSum.toFixed(3)} ms (${perUnit(childSum)}), N-ary layout ${nary.toFixed(3)} ms (${perUnit(nary)})`);
