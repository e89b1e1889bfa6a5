import { relaxedSimdNodeFlags } from '../test-support/relaxed-simd-flag.js';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { gemm, gemmReady } from './gemm.js';
import { setWasmRelaxedSimd, wasmKernelVariant, wasmRelaxedSimdSupported } from './wasm-module.js';

// The relaxed SIMD build of the kernels (FMA in the gemm micro-kernel and sgemv,
// docs/decisions/0010-relaxed-simd-fma.md). The rest of the suite runs whichever build the
// engine picks, which on Node 20 is the baseline one, so this file turns relaxed SIMD on (the
// first import) and checks that build here, and re-runs the kernel suites under it.

test('with relaxed SIMD on, the kernels load as the relaxed build, and the choice is then fixed', async () => {
  assert.equal(wasmRelaxedSimdSupported, true);
  assert.equal(await gemmReady(), 'wasm-simd');
  assert.equal(wasmKernelVariant(), 'relaxed-simd');
  assert.throws(() => setWasmRelaxedSimd(false), (e: unknown) => e instanceof Error && /already loaded as the relaxed-simd build/.test(e.message));
  setWasmRelaxedSimd(true);
  setWasmRelaxedSimd('auto');
  assert.equal(wasmKernelVariant(), 'relaxed-simd');
});

test('setWasmRelaxedSimd(false) before the first kernel call loads the baseline build even where relaxed SIMD is on', () => {
  const index = new URL('../index.js', import.meta.url).href;
  const code = `const u = await import(${JSON.stringify(index)}); u.setWasmRelaxedSimd(false); await u.gemmReady(); console.log(u.wasmRelaxedSimdSupported, u.wasmKernelVariant());`;
  const r = spawnSync(process.execPath, [...relaxedSimdNodeFlags, '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'true simd');
});

// Whether this CPU has FMA, which V8 needs to lower relaxed_madd to one fused instruction
// (arm64 always has it; on x64 it is the cpuinfo flag fma), or undefined when unknown.
function cpuHasFma(): boolean | undefined {
  if (arch() === 'arm64') return true;
  if (arch() !== 'x64') return undefined;
  try {
    return /^flags\s*:.*\bfma\b/m.test(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return undefined;
  }
}

test('the micro-kernel fuses its multiply-adds: a residual that two roundings lose survives one', async (t) => {
  const fma = cpuHasFma();
  if (fma === undefined) {
    t.skip('cannot tell whether this CPU has FMA (no /proc/cpuinfo)');
    return;
  }
  await gemmReady();
  // Every row of A is [u, -u] and every column of B is [u, u], with u = 1 + 2^-12: the exact
  // products are both 1 + 2^-11 + 2^-24, which float32 rounds (a tie, to even) to 1 + 2^-11.
  // With FMA the second step computes round(-u u + round(u u)) = -2^-24; with a multiply
  // then an add it computes round(u u) - round(u u) = 0. 16 x 8 runs the 4 x 8 micro-kernel.
  const u = 1 + 2 ** -12, m = 16, n = 8, k = 2;
  const a = new Float32Array(m * k), b = new Float32Array(k * n).fill(u), c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) a.set([u, -u], i * k);
  gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c, 0, n);
  const expected = fma ? -(2 ** -24) : 0;
  for (let i = 0; i < c.length; i++) assert.equal(c[i], expected, `C[${i}]`);
});

test('the kernel suites pass on the relaxed build (gemm, fused sequences, threads, the fused tree folds)', () => {
  const suites = [
    './gemm.test.js', './sequence-wasm.test.js', './rnn-sequence.test.js', './threads.test.js', '../tree/fold-fused.test.js', '../tree/fold-wasm.test.js',
    '../tree/child-sum-fold.test.js', '../tree/tree-rnn-fold.test.js',
  ];
  const files = suites.map((s) => fileURLToPath(new URL(s, import.meta.url)));
  // Without NODE_TEST_CONTEXT (set by the runner running this file) the child reports in TAP,
  // not in the runner's own protocol.
  const env = { ...process.env };
  delete env['NODE_TEST_CONTEXT'];
  const r = spawnSync(process.execPath, [...relaxedSimdNodeFlags, '--test', '--test-reporter=tap', ...files], { encoding: 'utf8', env, timeout: 300_000 });
  const summary = (r.stdout.match(/^# (tests|pass|fail) \d+$/gm) ?? []).join(', ');
  assert.equal(r.status, 0, `the suites failed on the relaxed build (${summary}):\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-2000)}`);
  assert.match(summary, /# fail 0/);
  assert.doesNotMatch(summary, /# tests 0\b/);
});
