import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { STANDALONE_CELL_KINDS } from '../cells/registry.js';
import { decodeModelFile, encodeModelFile } from '../io/index.js';
import type { CliIO } from './command.js';
import { mainJs, outputLines as lines, runUnfold as unfold } from '../test-support/cli.js';
import { runCli } from './run.js';

/** Runs `unfold <argv>` in this process; `statuses` records the bar when `terminal` is set. */
async function unfoldHere(argv: string[], terminal = false): Promise<{ status: number; stdout: string; stderr: string; statuses: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const statuses: string[] = [];
  const io: CliIO = {
    out: (l) => out.push(l), err: (l) => err.push(l), env: {},
    terminal: terminal ? { columns: 200, status: (t) => statuses.push(t), clearStatus: () => undefined } : null,
  };
  const status = await runCli(argv, io);
  return { status, stdout: out.join('\n'), stderr: err.join('\n'), statuses };
}

async function modelConfig(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(decodeModelFile(new Uint8Array(await readFile(path))).metadata['config'] ?? '') as Record<string, unknown>;
}

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
    // --eval-every 10 over 30 steps: exactly three evaluations, none dropped, nothing else.
    const evals = objects.slice(0, -1);
    assert.deepEqual(evals.map((o) => [o['type'], o['step']]), [['eval', 10], ['eval', 20], ['eval', 30]]);
    for (const o of evals) {
      for (const key of ['tokens', 'trainBpc', 'valBpc', 'tokensPerSec', 'seconds']) assert.equal(typeof o[key], 'number', key);
      assert.equal(o['tokens'], (o['step'] as number) * 4 * 16);
    }
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

  test('--steps alone: a bar with the steps, an ETA, and the last loss and validation bpc between evaluations', async () => {
    const r = await unfoldHere(['train', '--data', data, '--steps', '6', '--out', join(dir, 'bar'), ...SMALL, '--eval-every', '2'], true);
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.statuses.length > 0, 'a bar was drawn');
    // The step that completes the total is always drawn.
    const last = r.statuses.at(-1) ?? '';
    assert.match(last, /^step 6 \[█+\] +100% {2}6\/6 {2}[\d.]+ step\/s {2}ETA 0:00 {2}train bpc [\d.]+ {2}val bpc [\d.]+ {2}tok\/s \d+$/);
  });

  test('sample: --temperature, --top-k, --top-p and --seed', async () => {
    const sample = async (...flags: string[]): Promise<string> => {
      const r = await unfoldHere(['sample', '--model', out, '--prime', 'The', '--length', '60', ...flags]);
      assert.equal(r.status, 0, `${flags.join(' ')}: ${r.stderr}`);
      assert.ok(r.stdout.startsWith('The'));
      return r.stdout;
    };
    const mixed = ['--temperature', '1.2', '--top-k', '8', '--top-p', '0.95'];
    const a = await sample(...mixed, '--seed', '4');
    assert.equal(await sample(...mixed, '--seed', '4'), a, 'same seed, same text');
    assert.notEqual(await sample(...mixed, '--seed', '5'), a, 'another seed, another text');
    // Greedy ignores the seed, and keeping only the most likely symbol is greedy too.
    const greedy = await sample('--temperature', '0', '--seed', '1');
    assert.equal(await sample('--temperature', '0', '--seed', '2'), greedy);
    assert.equal(await sample('--top-k', '1', '--seed', '7'), greedy);
    assert.equal(await sample('--top-p', '0.0001', '--seed', '8'), greedy);
    for (const bad of [['--top-p', '0'], ['--top-p', '2'], ['--top-k', '-1'], ['--top-k', '1.5'], ['--temperature', '-1'], ['--seed', 'x']]) {
      const r = await unfoldHere(['sample', '--model', out, ...bad]);
      assert.equal(r.status, 2, `${bad.join(' ')}: ${r.stderr}`);
      assert.equal(lines(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`^unfold: .*${bad[0]}`));
      assert.equal(r.stdout, '');
    }
  });

  test('train accepts every standalone cell kind, and the model samples', async () => {
    for (const cell of STANDALONE_CELL_KINDS) {
      const run = join(dir, `cell-${cell}`);
      const r = await unfoldHere(['train', '--data', data, '--cell', cell, '--steps', '2', '--eval-every', '1', '--hidden', '8', '--embedding', '4', '--seq', '8', '--batch', '2', '--out', run, '--json']);
      assert.equal(r.status, 0, `${cell}: ${r.stderr}`);
      const result = JSON.parse(lines(r.stdout).pop()!) as { steps: number; valBpc: number };
      assert.equal(result.steps, 2, cell);
      assert.ok(Number.isFinite(result.valBpc), cell);
      assert.equal(((await modelConfig(join(run, 'model.safetensors')))['model'] as { cell: string }).cell, cell);
      const s = await unfoldHere(['sample', '--model', run, '--prime', 'The', '--length', '10']);
      assert.equal(s.status, 0, `${cell}: ${s.stderr}`);
      assert.equal([...s.stdout].length, 13, cell);
    }
  });

  test('train takes --layers, --dropout, --clip-value, --val-fraction and --seed together', async () => {
    const run = join(dir, 'flags');
    const argv = ['train', '--data', data, '--layers', '2', '--dropout', '0.1', '--clip-value', '1', '--val-fraction', '0.2', '--seed', '3',
      '--steps', '2', '--eval-every', '1', '--hidden', '8', '--embedding', '4', '--seq', '8', '--batch', '2', '--out', run, '--json'];
    const r = await unfoldHere(argv);
    assert.equal(r.status, 0, r.stderr);
    const config = await modelConfig(join(run, 'model.safetensors'));
    assert.deepEqual(config['model'], { cell: 'lstm', hidden: 8, layers: 2, embedding: 4, dropout: 0.1 });
    assert.equal(config['clipValue'], 1);
    assert.equal(config['seed'], 3);
    const again = await unfoldHere(argv);
    const figures = (o: string): unknown[] => lines(o).map((l) => JSON.parse(l) as Record<string, unknown>).map((x) => [x['trainBpc'], x['valBpc']]);
    assert.deepEqual(figures(again.stdout), figures(r.stdout), 'same seed, same run');
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

  /** Starts a 5-minute training run into `run` and resolves once it has printed its first output. */
  async function startTraining(run: string) {
    const child = spawn(process.execPath, [mainJs, 'train', '--data', data, '--minutes', '5', '--out', run, '--json', ...SMALL], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    return { child, stdout: () => stdout };
  }

  test('Ctrl-C saves a checkpoint; --resume continues from it', async () => {
    const run = join(dir, 'interrupted');
    const { child, stdout } = await startTraining(run);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 0);
    const result = JSON.parse(lines(stdout()).pop()!) as { steps: number };
    assert.ok(existsSync(join(run, 'checkpoint.safetensors')));
    const r = unfold('train', '--data', data, '--out', run, '--resume', '--steps', String(result.steps + 10), '--json', ...SMALL);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(lines(r.stdout).pop()!) as { steps: number }).steps, result.steps + 10);
  });

  test('a second Ctrl-C while the checkpoint is being saved is ignored', async () => {
    const run = join(dir, 'interrupted-twice');
    const { child, stdout } = await startTraining(run);
    // The note comes from the first signal's handler; the save follows it.
    const noted = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => {
      if (/interrupted: saving a checkpoint/.test(d.toString())) resolve();
    }));
    child.kill('SIGINT');
    await noted;
    child.kill('SIGINT');
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
    assert.deepEqual([code, signal], [0, null]);
    const result = JSON.parse(lines(stdout()).pop()!) as { type: string; steps: number };
    assert.equal(result.type, 'result');
    const saved = JSON.parse(decodeModelFile(new Uint8Array(await readFile(join(run, 'checkpoint.safetensors')))).metadata['trainer'] ?? '') as { steps: number };
    assert.equal(saved.steps, result.steps);
  });

  test('divergence after a good checkpoint: exit 1, one line, a diverged result, the checkpoint untouched', async () => {
    const run = join(dir, 'diverge-later');
    const first = await unfoldHere(['train', '--data', data, '--steps', '6', '--out', run, '--optimizer', 'sgd', '--lr', '0.1', '--json', ...SMALL]);
    assert.equal(first.status, 0, first.stderr);
    // Make the resumed run diverge deterministically: the same checkpoint with an absurd
    // learning rate (in the config and in the optimizer state it restores).
    const checkpointPath = join(run, 'checkpoint.safetensors');
    const contents = decodeModelFile(new Uint8Array(await readFile(checkpointPath)));
    const config = JSON.parse(contents.metadata['config'] ?? '') as { lr: number };
    const trainer = JSON.parse(contents.metadata['trainer'] ?? '') as { optimizer: { hyperparameters: { lr: number } } };
    config.lr = 1e300;
    trainer.optimizer.hyperparameters.lr = 1e300;
    await writeFile(checkpointPath, encodeModelFile({ tensors: contents.tensors, metadata: { ...contents.metadata, config: JSON.stringify(config), trainer: JSON.stringify(trainer) } }));
    const checkpointBytes = await readFile(checkpointPath);
    const modelBytes = await readFile(join(run, 'model.safetensors'));

    const r = await unfoldHere(['train', '--data', data, '--out', run, '--resume', '--steps', '20', '--json', ...SMALL]);
    assert.equal(r.status, 1, r.stderr);
    const message = lines(r.stderr).filter((l) => /diverged/.test(l));
    assert.equal(message.length, 1, r.stderr);
    assert.match(message[0]!, /^unfold: training diverged: a parameter became non-finite at step 7; stopped, the checkpoint of step 6 is kept/);
    const result = JSON.parse(lines(r.stdout).pop()!) as Record<string, unknown>;
    assert.deepEqual([result['type'], result['diverged'], result['divergedAtStep'], result['checkpointStep'], result['steps']], ['result', true, 7, 6, 6]);
    assert.ok((await readFile(checkpointPath)).equals(checkpointBytes), 'checkpoint byte for byte');
    assert.ok((await readFile(join(run, 'model.safetensors'))).equals(modelBytes), 'model byte for byte');
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
