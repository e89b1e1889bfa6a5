import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRecordJson, type BenchRecord } from './workload.js';

const rec = (impl: string, value: number): BenchRecord => ({
  bench: 'gemm', params: { n: 256 }, impl, metric: 'gflops', value, unit: 'GFLOP/s', higherIsBetter: true,
});

test('--json lines use only the known impl names; unfold variants carry a variant key', () => {
  const lines = [rec('unfold', 26.1512), rec('unfold-1thread', 27.2), rec('unfold-js', 3.41), rec('tfjs-wasm', 21.29)].map((r) => JSON.parse(formatRecordJson(r)) as Record<string, unknown>);
  assert.deepEqual(lines[0], { bench: 'gemm', n: 256, impl: 'unfold', metric: 'gflops', value: 26.15, unit: 'GFLOP/s' });
  assert.deepEqual(Object.keys(lines[1]!), ['bench', 'n', 'impl', 'variant', 'metric', 'value', 'unit']);
  assert.equal(lines[1]!['variant'], '1thread');
  assert.equal(lines[2]!['variant'], 'js');
  assert.deepEqual(lines.map((l) => l['impl']), ['unfold', 'unfold', 'unfold', 'tfjs-wasm']);
  assert.equal('variant' in lines[3]!, false);
});
