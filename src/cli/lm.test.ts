import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const mainJs = fileURLToPath(new URL('./main.js', import.meta.url));

function unfold(...argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['UNFOLD_DEBUG'];
  const r = spawnSync(process.execPath, [mainJs, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (text: string): string[] => text.split('\n').filter((l) => l !== '');
const SMALL = ['--hidden', '16', '--embedding', '8', '--seq', '16', '--batch', '4', '--eval-every', '10'];
const TEXT = 'Ça va? 한국어 — naïve 🙂. The whale, the whale! '.repeat(30);

describe('unfold train / sample / eval', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'unfold-lm-'));
  const data = join(dir, 'text.txt');
  await writeFile(data, TEXT);
  const out = join(dir, 'run');

  test('train --json: one object per evaluation, then the result; files written', () => {
    const r = unfold('train', '--data', data, '--steps', '30', '--out', out, '--json', ...SMALL);
    assert.equal(r.status, 0, r.stderr);
    const objects = lines(r.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    const result = objects[objects.length - 1]!;
    assert.equal(result['type'], 'result');
    for (const key of ['valBpc', 'trainBpc', 'tokensPerSec', 'steps', 'seconds']) assert.equal(typeof result[key], 'number', key);
    assert.equal(result['steps'], 30);
    assert.ok(objects.slice(0, -1).every((o) => o['type'] === 'progress'));
    for (const f of ['model.safetensors', 'checkpoint.safetensors', 'loss.svg']) assert.ok(existsSync(join(out, f)), f);
  });

  test('sample streams text from the model (non-ASCII prime works); eval gives bits per character', async () => {
    const s = unfold('sample', '--model', out, '--prime', 'Ça va', '--length', '40', '--seed', '3');
    assert.equal(s.status, 0, s.stderr);
    assert.ok(s.stdout.startsWith('Ça va'));
    assert.ok([...s.stdout.trimEnd()].length >= 40);
    const again = unfold('sample', '--model', join(out, 'model.safetensors'), '--prime', 'Ça va', '--length', '40', '--seed', '3');
    assert.equal(again.stdout, s.stdout, 'same seed, same text');
    const e = unfold('eval', '--model', out, '--data', data, '--json');
    assert.equal(e.status, 0, e.stderr);
    const bpc = (JSON.parse(lines(e.stdout).pop()!) as { bpc: number }).bpc;
    assert.ok(bpc > 0 && bpc < Math.log2(40));
    const svg = await readFile(join(out, 'loss.svg'), 'utf8');
    assert.match(svg, /<svg/);
  });

  test('bad inputs: one line, exit 2, no stack trace', async () => {
    await writeFile(join(dir, 'empty.txt'), '');
    await writeFile(join(dir, 'bad.txt'), Buffer.from([0x61, 0x62, 0xff, 0x63]));
    await writeFile(join(dir, 'short.txt'), 'abc');
    await mkdir(join(dir, 'folder'), { recursive: true });
    const cases: [string[], RegExp][] = [
      [['train', '--data', join(dir, 'missing.txt')], /missing\.txt: no such file/],
      [['train', '--data', join(dir, 'folder')], /is a directory/],
      [['train', '--data', join(dir, 'empty.txt')], /is empty/],
      [['train', '--data', join(dir, 'bad.txt')], /bad\.txt: invalid UTF-8 at byte 2/],
      [['train', '--data', join(dir, 'short.txt'), '--out', join(dir, 'o')], /shorter than one training sequence/],
      [['sample', '--model', out, '--prime', 'xyz§'], /never saw: "x", "y", "z", "§"/],
      [['sample', '--model', join(dir, 'nope')], /nope: no such file/],
      [['eval', '--model', join(dir, 'text.txt'), '--data', data], /text\.txt/],
    ];
    for (const [argv, message] of cases) {
      const r = unfold(...argv);
      assert.equal(r.status, 2, `${argv.join(' ')}: ${r.stderr}`);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
    }
  });

  test('Ctrl-C saves a checkpoint; --resume continues from it', async () => {
    const run = join(dir, 'interrupted');
    const child = spawn(process.execPath, [mainJs, 'train', '--data', data, '--minutes', '5', '--out', run, '--json', ...SMALL], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    // Wait for the first evaluation, then interrupt.
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const result = JSON.parse(lines(stdout).pop()!) as { steps: number };
    assert.ok(existsSync(join(run, 'checkpoint.safetensors')));
    const r = unfold('train', '--data', data, '--out', run, '--resume', '--steps', String(result.steps + 10), '--json', ...SMALL);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(lines(r.stdout).pop()!) as { steps: number }).steps, result.steps + 10);
  });

  test('a diverging run stops with a clear message and never writes a non-finite checkpoint', async () => {
    const run = join(dir, 'diverge');
    const r = unfold('train', '--data', data, '--steps', '200', '--out', run, '--optimizer', 'sgd', '--lr', '1e30', '--clip-norm', '0', ...SMALL);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /became non-finite at step \d+; stopped/);
    const path = join(run, 'checkpoint.safetensors');
    if (existsSync(path)) {
      const { decodeModelFile } = await import('../io/index.js');
      for (const [name, t] of decodeModelFile(new Uint8Array(await readFile(path))).tensors) {
        assert.ok(t.data.every((v) => Number.isFinite(v)), name);
      }
    }
  });
});
