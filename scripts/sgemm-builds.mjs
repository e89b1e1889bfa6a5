// The gemm of the two kernel builds side by side (docs/decisions/0010): one sgemm
// (C = A B, one thread) on the baseline SIMD module and on the relaxed SIMD one (FMA), calls
// interleaved in one process, best of 30 rounds of 20 calls, and each build's largest error
// against a float64 product, relative to max |C|. Needs relaxed SIMD: Node >= 22, or
//
//   npm run build && node --experimental-wasm-relaxed-simd scripts/sgemm-builds.mjs [m,n,k]
import { kernelsRelaxedWasmBase64 } from '../dist/kernels/wasm/kernels-relaxed-wasm.generated.js';
import { kernelsWasmBase64 } from '../dist/kernels/wasm/kernels-wasm.generated.js';

const [M, N, K] = (process.argv[2] ?? '256,640,288').split(',').map(Number);
const a64 = Float64Array.from({ length: M * K }, (_, i) => Math.sin(i));
const b64 = Float64Array.from({ length: K * N }, (_, i) => Math.cos(i));
// float64 product of the float32-rounded operands: what an exact float32 gemm approximates.
const a32 = Float32Array.from(a64), b32 = Float32Array.from(b64);
const exact = new Float64Array(M * N);
for (let i = 0; i < M; i++) for (let p = 0; p < K; p++) {
  const x = a32[i * K + p];
  for (let j = 0; j < N; j++) exact[i * N + j] += x * b32[p * N + j];
}
const scale = exact.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

function build(name, base64) {
  const memory = new WebAssembly.Memory({ initial: 512 });
  const { exports: e } = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(base64, 'base64')), { env: { memory } });
  let top = Number(e.heapBase());
  const alloc = (bytes) => { const at = Math.ceil(top / 64) * 64; top = at + bytes; return at; };
  const a = alloc(4 * M * K), b = alloc(4 * K * N), c = alloc(4 * M * N);
  const packA = alloc(e.packABytes()), packB = alloc(e.packBBytes(N)), tile = alloc(e.tileBytes());
  if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
  new Float32Array(memory.buffer, a, M * K).set(a32);
  new Float32Array(memory.buffer, b, K * N).set(b32);
  const call = () => e.sgemm(0, 0, M, N, K, 1, a, K, b, N, 0, c, N, packA, packB, tile);
  call();
  const out = new Float32Array(memory.buffer, c, M * N);
  let err = 0;
  for (let i = 0; i < out.length; i++) err = Math.max(err, Math.abs(out[i] - exact[i]) / scale);
  return { name, call, err, best: Infinity };
}

const builds = [build('baseline simd', kernelsWasmBase64), build('relaxed simd (FMA)', kernelsRelaxedWasmBase64)];
for (let round = 0; round < 30; round++) {
  for (const x of round % 2 === 0 ? builds : [...builds].reverse()) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) x.call();
    x.best = Math.min(x.best, (performance.now() - t0) / 20);
  }
}
const flop = 2 * M * N * K;
console.log(`sgemm ${M}x${N}x${K}, one thread, ${process.version}`);
for (const x of builds) console.log(`  ${x.name.padEnd(20)} ${(flop / x.best / 1e6).toFixed(1).padStart(6)} GFLOP/s   max error ${x.err.toExponential(1)} of max |C|`);
console.log(`  relaxed / baseline   ${(builds[0].best / builds[1].best).toFixed(2)}x`);
