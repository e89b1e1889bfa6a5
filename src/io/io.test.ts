import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Linear } from '../nn/index.js';
import { Rng, ShapeError, randn, tensor } from '../tensor/index.js';
import { loadModelFile, saveModelFile } from './model-file.js';
import { loadParameters, parameterTensors } from './parameters.js';
import { ModelFileError, decodeModelFile, encodeModelFile } from './safetensors.js';

function sample(): Uint8Array {
  return encodeModelFile({
    tensors: new Map([
      ['a', tensor([[1.5, -2], [3, 4]])],
      ['b', randn([3], new Rng(1), { dtype: 'float64' })],
      ['empty', tensor([])],
    ]),
    metadata: { config: JSON.stringify({ cell: 'lstm', vocab: ['a', '한', '🙂'] }) },
  });
}

test('encode then decode gives the same tensors bit for bit, dtypes and metadata', () => {
  const bytes = sample();
  const back = decodeModelFile(bytes);
  assert.deepEqual(Array.from(back.tensors.get('a')!.data), [1.5, -2, 3, 4]);
  assert.equal(back.tensors.get('b')!.dtype, 'float64');
  assert.deepEqual(Array.from(back.tensors.get('b')!.data), Array.from(randn([3], new Rng(1), { dtype: 'float64' }).data));
  assert.deepEqual(back.tensors.get('empty')!.shape, [0]);
  assert.deepEqual(JSON.parse(back.metadata['config']!).vocab, ['a', '한', '🙂']);
  // The safetensors layout: 8-byte little-endian header length, header padded to 8 bytes.
  const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(headerLength % 8, 0);
  assert.equal(bytes.length, 8 + headerLength + 4 * 4 + 3 * 8);
});

/** A valid file with its header replaced (data section kept). */
function withHeader(header: unknown, dataBytes: number): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

test('malformed files are rejected before any allocation, with what and where', () => {
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /shorter than the 8-byte header length/],
    ['header past the end', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 100n, true); return b; })(), /runs past the end/],
    ['huge header length', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 62n, true); return b; })(), /exceeds the limit/],
    ['not JSON', (() => { const b = new Uint8Array(12); new DataView(b.buffer).setBigUint64(0, 4n, true); b.set([0x7b, 0x7b, 0xff, 0x20], 8); return b; })(), /not valid UTF-8 JSON/],
    ['unknown dtype', withHeader({ x: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }, 1), /unsupported dtype/],
    ['bad shape', withHeader({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /non-negative integers/],
    ['size mismatch', withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 8), /span 4 bytes but shape and dtype need 8/],
    ['overflowing shape', withHeader({ x: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, 8), /needs more bytes/],
    ['offsets out of range', withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, 4), /outside the data section/],
    ['overlap', withHeader({ x: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, y: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /overlaps/],
    ['hole', withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8), /hole in the data section/],
    ['trailing bytes', withHeader({ x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 12), /tensors end at byte/],
  ];
  for (const [label, bytes, message] of cases) {
    assert.throws(() => decodeModelFile(bytes), (e: unknown) => e instanceof ModelFileError && message.test(e.message), label);
  }
});

test('loadParameters checks names and shapes before writing anything', () => {
  const a = new Linear({ inFeatures: 3, outFeatures: 2, rng: new Rng(1) });
  const b = new Linear({ inFeatures: 3, outFeatures: 2, rng: new Rng(2) });
  loadParameters(b, decodeModelFile(encodeModelFile({ tensors: parameterTensors(a, 'head.'), metadata: {} })).tensors, 'head.');
  assert.deepEqual(Array.from(b.weight.data), Array.from(a.weight.data));
  const c = new Linear({ inFeatures: 4, outFeatures: 2, rng: new Rng(3) });
  const before = Array.from(c.weight.data);
  assert.throws(() => loadParameters(c, parameterTensors(a)), ShapeError);
  assert.deepEqual(Array.from(c.weight.data), before);
  assert.throws(() => loadParameters(c, new Map()), /missing weight, bias/);
});

test('saveModelFile is atomic: a writer killed mid-write leaves the previous file intact', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'unfold-atomic-'));
  const path = join(dir, 'model.safetensors');
  await saveModelFile(path, { tensors: new Map([['w', tensor([1, 2, 3])]]), metadata: { version: 'old' } });
  const moduleUrl = new URL('./model-file.js', import.meta.url).href;
  // The child writes a 64 MB file in a loop; it is killed at varying moments.
  const script = `
    const { saveModelFile } = await import(${JSON.stringify(moduleUrl)});
    const { Tensor } = await import(${JSON.stringify(new URL('../tensor/index.js', import.meta.url).href)});
    const big = new Tensor(new Float32Array(16 * 1024 * 1024).fill(7), [16 * 1024 * 1024]);
    process.stdout.write('ready\\n');
    for (;;) await saveModelFile(${JSON.stringify(path)}, { tensors: new Map([['w', big]]), metadata: { version: 'new' } });
  `;
  for (const delay of [5, 40, 120]) {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const loaded = await loadModelFile(path);
    const version = loaded.metadata['version'];
    assert.ok(version === 'old' || version === 'new');
    assert.equal(loaded.tensors.get('w')!.size, version === 'old' ? 3 : 16 * 1024 * 1024);
  }
  // Temporary files of killed writers are dotfiles beside the model, never the model itself.
  for (const name of await readdir(dir)) assert.ok(name === 'model.safetensors' || name.startsWith('.model.safetensors.'));
});

test('loadModelFile names the path for a missing file, a directory and garbage', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'unfold-load-'));
  await assert.rejects(loadModelFile(join(dir, 'nope')), /nope: no such file/);
  await assert.rejects(loadModelFile(dir), /is a directory/);
  await writeFile(join(dir, 'junk'), 'hello world, not a model');
  await assert.rejects(loadModelFile(join(dir, 'junk')), (e: unknown) => e instanceof ModelFileError && e.message.includes('junk'));
});
