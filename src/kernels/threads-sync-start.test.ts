import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gemm } from './gemm.js';
import { kernelThreads, setKernelThreads } from './threads.js';
import { wasmKernels } from './wasm-module.js';

// Its own file, so its own process: the worker pool must start here, and be used by a caller
// that never yields to its event loop, as a synchronous training loop does (`unfold tree
// train`, the tree benchmark). The workers once counted only after their 'ready' message was
// delivered, which needs the event loop to turn, so such a loop ran on one thread throughout.
test('kernel threads come up for a caller that never yields to the event loop', { timeout: 60_000 }, (t) => {
  const w = wasmKernels();
  if (w === undefined || !w.shared) {
    t.skip('no shared wasm memory here: threads never start');
    return;
  }
  setKernelThreads(2);
  try {
    // Starts the workers; then wait for them without ever returning to the event loop.
    let threads = kernelThreads();
    const t0 = Date.now();
    while (threads < 2 && Date.now() - t0 < 20_000) threads = kernelThreads();
    assert.equal(threads, 2, `kernelThreads() after ${Date.now() - t0} ms of a synchronous wait`);
    const [m, n, k] = [256, 256, 128];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
    const c = new Float32Array(m * n);
    gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c, 0, n); // rows 128.. on the worker
    for (const [i, j] of [[5, 7], [200, 3]] as const) {
      let expected = 0;
      for (let p = 0; p < k; p++) expected += (a[i * k + p] as number) * (b[p * n + j] as number);
      assert.ok(Math.abs((c[i * n + j] as number) - expected) < 1e-3, `c[${i}, ${j}] = ${c[i * n + j]}, expected ${expected}`);
    }
  } finally {
    setKernelThreads('auto');
  }
});
