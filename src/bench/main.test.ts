import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBench, runBenchWith, takeTreeCell, workloads } from './main.js';
import { gemmWorkload } from './gemm.js';
import { treeWorkload } from './tree.js';
import { treePassProducts } from './tree-products.js';
import { gemmReady } from '../kernels/index.js';
import { planFold } from '../tree/fold.js';
import { tree } from '../tree/tree.js';
import { kernelThreadsReady, wasmKernelVariant } from '../kernels/index.js';
import { formatRecordJson, formatTable, type BenchRecord, type Workload } from './workload.js';

function capture(): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void } } {
  const out: string[] = [], err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

function rec(impl: string, value: number, n = 256, detail?: Record<string, string>): BenchRecord {
  const r = { bench: 'fake', params: { n }, impl, metric: 'gflops', value, unit: 'GFLOP/s', higherIsBetter: true };
  return detail === undefined ? r : { ...r, detail };
}

const fake: Workload = {
  name: 'fake',
  title: 'fake: constant figures',
  async run(report) {
    report.record(rec('unfold', 12.3, 256, { backend: 'wasm-simd' }));
    report.record(rec('peer', 4.1));
    report.note('peer2 skipped: not installed');
  },
};

test('--json prints exactly one JSON object per record with the issue\'s keys only, notes go to stderr', async () => {
  const { out, err, io } = capture();
  assert.equal(await runBenchWith([fake], ['fake', '--json'], io), 0);
  assert.deepEqual(out, [
    '{"bench":"fake","n":256,"impl":"unfold","metric":"gflops","value":12.3,"unit":"GFLOP/s"}',
    '{"bench":"fake","n":256,"impl":"peer","metric":"gflops","value":4.1,"unit":"GFLOP/s"}',
  ]);
  assert.deepEqual(err, ['peer2 skipped: not installed']);
});

test('the table shows absolute figures and unfold/peer ratios', async () => {
  const { out, io } = capture();
  assert.equal(await runBenchWith([fake], [], io), 0);
  assert.equal(out[0], 'fake: constant figures');
  assert.match(out[1] ?? '', /n\s+unfold \[wasm-simd\]\s+peer\s+unfold\/peer/);
  assert.match(out[2] ?? '', /256\s+12\.3\s+4\.10\s+3\.00x/);
  assert.ok(out.includes('note: peer2 skipped: not installed'));
});

test('ratios invert for lower-is-better metrics, so above 1 always means unfold is faster', () => {
  const ms = (impl: string, value: number): BenchRecord => ({ bench: 't', params: { batch: 8 }, impl, metric: 'ms', value, unit: 'ms', higherIsBetter: false });
  const lines = formatTable([ms('unfold', 10), ms('peer', 30)]);
  assert.match(lines[1] ?? '', /3\.00x$/);
});

test('JSON values are rounded to 4 significant digits', () => {
  assert.equal(formatRecordJson(rec('unfold', 44.123456)), '{"bench":"fake","n":256,"impl":"unfold","metric":"gflops","value":44.12,"unit":"GFLOP/s"}');
});

test('bad usage exits 2 and names the alternatives; --help exits 0', async () => {
  let c = capture();
  assert.equal(await runBench(['nope'], c.io), 2);
  assert.match(c.err[0] ?? '', /unknown workload 'nope'; available: gemm, lstm-train/);
  c = capture();
  assert.equal(await runBench(['--fast'], c.io), 2);
  assert.match(c.err[0] ?? '', /unknown option '--fast'/);
  c = capture();
  assert.equal(await runBench(['tree', '--tree-cell', 'lstm'], c.io), 2);
  assert.match(c.err[0] ?? '', /--tree-cell must be one of rnn, rntn, child-sum-lstm, nary-lstm, got 'lstm'/);
  c = capture();
  assert.equal(await runBench(['tree', '--tree-cell'], c.io), 2);
  assert.match(c.err[0] ?? '', /--tree-cell needs a value/);
  assert.deepEqual(takeTreeCell(['tree', '--tree-cell', 'rnn', '--json']), { cell: 'rnn', rest: ['tree', '--json'] });
  assert.deepEqual(takeTreeCell(['--tree-cell=child-sum-lstm']), { cell: 'child-sum-lstm', rest: [] });
  assert.deepEqual(takeTreeCell(['tree']), { cell: undefined, rest: ['tree'] });
  c = capture();
  assert.equal(await runBench(['--help'], c.io), 0);
  assert.ok(c.out.some((l) => l.includes('--tree-cell <rnn|rntn|child-sum-lstm|nary-lstm>')));
  assert.ok(c.out.some((l) => l.includes('workloads: gemm, lstm-train, gru-train, rnn-train, lstm-generate')));
});

test('the registry holds gemm and esn, each name once', () => {
  const names = workloads.map((w) => w.name);
  for (const name of ['gemm', 'esn']) assert.ok(names.includes(name), `${name} is not registered`);
  assert.equal(new Set(names).size, names.length);
});

test('gemm workload reports one figure per size and implementation, with the backend', async () => {
  const records: BenchRecord[] = [];
  const w = gemmWorkload({
    sizes: [8, 9], impls: ['unfold', 'unfold-1thread', 'unfold-js'],
    timing: { minSampleMs: 0, maxSamples: 1, minSamples: 1, budgetMs: 0 },
  });
  await w.run({ record: (r) => records.push(r), note: () => {} });
  assert.deepEqual(records.map((r) => `${r.impl} ${r.params.n} ${r.detail?.backend}`), [
    'unfold 8 wasm-simd', 'unfold-1thread 8 wasm-simd', 'unfold-js 8 js', 'unfold 9 wasm-simd', 'unfold-1thread 9 wasm-simd', 'unfold-js 9 js',
  ]);
  assert.equal(records[1]?.detail?.threads, '1');
  for (const r of records) assert.ok(r.value > 0 && Number.isFinite(r.value));
});

test('tree workload reports treesPerSec per hidden size, batch and implementation, unfold-nodewise up to its largest batch, unfold-bylevel at its batches', async () => {
  const records: BenchRecord[] = [];
  const notes: string[] = [];
  const w = treeWorkload({
    batches: [1, 2, 4], hiddens: [4], cell: 'rnn', nodewiseMaxBatch: 2, byLevelBatches: [1, 4],
    timing: { minSampleMs: 0, maxSamples: 1, minSamples: 1, budgetMs: 0 },
  });
  assert.equal(w.name, 'tree');
  await w.run({ record: (r) => records.push(r), note: (l) => notes.push(l) });
  assert.deepEqual(records.map((r) => `${r.impl} ${r.params.hidden} ${r.params.batch}`), [
    'unfold 4 1', 'unfold-bylevel 4 1', 'unfold-nodewise 4 1', 'unfold 4 2', 'unfold-nodewise 4 2', 'unfold 4 4', 'unfold-bylevel 4 4',
  ]);
  for (const r of records) {
    assert.deepEqual(Object.keys(r).sort(), ['bench', 'detail', 'higherIsBetter', 'impl', 'metric', 'params', 'unit', 'value']);
    assert.equal(r.bench, 'tree');
    assert.equal(r.metric, 'treesPerSec');
    assert.equal(r.unit, 'trees/s');
    assert.equal(r.higherIsBetter, true);
    // The kernel build that ran: the baseline one on Node 20, relaxed SIMD's where the engine has it.
    // And the kernel threads: the bench waits for them (a pass never yields to the event loop).
    assert.deepEqual(r.detail, { cell: 'rnn', build: wasmKernelVariant(), threads: String(await kernelThreadsReady()) });
    assert.ok(r.detail?.['build'] === 'simd' || r.detail?.['build'] === 'relaxed-simd');
    assert.ok(r.value > 0 && Number.isFinite(r.value));
  }
  assert.match(formatRecordJson(records[0] as BenchRecord), /^\{"bench":"tree","hidden":4,"batch":1,"impl":"unfold","metric":"treesPerSec","value":[\d.e+]+,"unit":"trees\/s"\}$/);
  assert.equal(notes.length, 4);
  assert.match(notes[0] ?? '', /^WebAssembly kernels: the (baseline|relaxed) SIMD build.*; \d kernel threads?; tree cell rnn$/);
  assert.match(notes[1] ?? '', /^hidden 4: trees\/s over batch 1: batch 2 [\d.]+x, batch 4 [\d.]+x$/);
  // Over the node-at-a-time loop only where both ran (it stops at nodewiseMaxBatch).
  assert.match(notes[2] ?? '', /^hidden 4: trees\/s over the node-at-a-time loop: batch 1 [\d.]+x, batch 2 [\d.]+x$/);
  assert.match(notes[3] ?? '', /^hidden 4: trees\/s over the by-level fold: batch 1 [\d.]+x, batch 4 [\d.]+x$/);
});

test('tree workload times the N-ary fold\'s products alone at its products batches and notes them over batch 1\'s whole pass', async () => {
  const records: BenchRecord[] = [];
  const notes: string[] = [];
  const w = treeWorkload({
    batches: [1, 2, 4], hiddens: [4], cell: 'nary-lstm', impls: ['unfold', 'unfold-products'], productsBatches: [1, 4],
    timing: { minSampleMs: 0, maxSamples: 1, minSamples: 1, budgetMs: 0 },
  });
  await w.run({ record: (r) => records.push(r), note: (l) => notes.push(l) });
  assert.deepEqual(records.map((r) => `${r.impl} ${r.params.batch}`), ['unfold 1', 'unfold-products 1', 'unfold 2', 'unfold 4', 'unfold-products 4']);
  assert.match(formatRecordJson(records[1] as BenchRecord), /^\{"bench":"tree","hidden":4,"batch":1,"impl":"unfold","variant":"products","metric":"treesPerSec"/);
  const one = records[0]?.value as number, products4 = records[4]?.value as number;
  assert.equal(notes.at(-1), `hidden 4: products alone over batch 1's whole pass (the most batching can gain here): batch 4 ${(products4 / one).toFixed(1)}x`);
});

test('treePassProducts counts the FLOP of a pass\'s products: the projection, per level forward and backward, the weight gradient, the projection\'s backward', async () => {
  await gemmReady();
  // Two plans. (+ 1 2): level 0 two leaves, level 1 one internal node, 3 distinct words; (7):
  // one leaf, 1 word. I 3, H 2, N 2: G 10, N H 4. Projection (3 + 1) x 10 x 3; forward
  // internal 1 x 10 x 4 (leaves multiply nothing); the same backward; weights 10 x 4 x 1 (the
  // second plan has no internal row); the projection's backward twice its forward. All times 2
  // (multiply and add).
  const p = treePassProducts([{ ...planFold([tree('+', [tree('1'), tree('2')])], 2), distinct: 3 }, { ...planFold([tree('7')], 2), distinct: 1 }], 3, 2, 2);
  assert.deepEqual(p.kinds.map((k) => k.flop), [240, 80, 80, 80, 480]);
  assert.equal(p.flop, 960);
  p.run();
  p.release();
  assert.throws(() => p.run(), /released/);
});
