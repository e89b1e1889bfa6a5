import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gemm } from './gemm.js';
import { kernelThreadsReady, setKernelThreads } from './threads.js';
import { wasmKernels } from './wasm-module.js';

// Its own file, so its own process: the worker pool must start here, on memory that earlier
// kernels left dirty (a freed block of all ones, -1 as int32, where the pool's control blocks
// then land). A control block taken as found once made a worker read "stop" at start and the
// first threaded call wait forever (found through a tree fold's freed scratch).
test('the kernel worker pool starts cleanly on recycled, dirty wasm memory', { timeout: 60_000 }, async () => {
  const w = wasmKernels();
  if (w === undefined || !w.shared) {
    assert.ok(true, 'no shared wasm memory here: threads never start');
    return;
  }
  const dirty = w.alloc(1 << 16);
  new Uint8Array(w.memory.buffer, dirty, 1 << 16).fill(0xff);
  w.free(dirty);
  setKernelThreads(2);
  try {
    const threads = await kernelThreadsReady();
    const [m, n, k] = [256, 256, 128];
    const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i));
    const c = new Float32Array(m * n);
    gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c, 0, n); // split over both threads when there are two
    let expected = 0;
    for (let p = 0; p < k; p++) expected += (a[5 * k + p] as number) * (b[p * n + 7] as number);
    assert.ok(threads >= 1);
    assert.ok(Math.abs((c[5 * n + 7] as number) - expected) < 1e-3, `c[5, 7] = ${c[5 * n + 7]}, expected ${expected}`);
  } finally {
    setKernelThreads('auto');
  }
});
