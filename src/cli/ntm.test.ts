import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Rng } from '../tensor/index.js';
import { formatBabi, generateBabi } from '../train/memnet/index.js';
import { jsonResult as resultOf, outputLines as lines, runUnfold as unfold } from '../test-support/cli.js';

describe('unfold ntm train / eval', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'unfold-ntm-'));

  test('ntm --help lists train and eval; a typo gets a suggestion', () => {
    const r = unfold('ntm', '--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ {2}train /m);
    assert.match(r.stdout, /^ {2}eval /m);
    const typo = unfold('ntm', 'trian');
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /did you mean 'train'/);
  });

  test('a short training run writes the model, curve and memory picture; eval measures another length', async () => {
    const out = join(dir, 'copy');
    const r = unfold('ntm', 'train', '--task', 'copy', '--memory-slots', '16', '--memory-width', '6', '--controller-size', '12',
      '--sequences', '40', '--eval-every', '20', '--validation-size', '8', '--test-size', '8', '--json', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    for (const key of ['task', 'bitsPerSequence', 'sequencesSeen', 'seconds']) assert.ok(key in result, key);
    assert.equal(result['sequencesSeen'], 40);
    for (const file of ['model.safetensors', 'curve.svg', 'memory.svg']) assert.ok(existsSync(join(out, file)), file);
    assert.match(await readFile(join(out, 'memory.svg'), 'utf8'), /write weighting/);
    const e = unfold('ntm', 'eval', '--model', out, '--length', '30', '--count', '4', '--json');
    assert.equal(e.status, 0, e.stderr);
    const metrics = resultOf(e.stdout);
    assert.equal(metrics['length'], 30);
    assert.ok(typeof metrics['bitErrorRate'] === 'number' && typeof metrics['bitsPerSequence'] === 'number');
    const missing = unfold('ntm', 'eval', '--model', join(dir, 'nope'), '--length', '3');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /no such file/);
  });

  /** The machine and data sizes of every tiny run below: a few sequences, seconds at most. */
  const tiny = ['--memory-slots', '8', '--memory-width', '4', '--controller-size', '8', '--validation-size', '4', '--test-size', '4', '--json'];

  function assertFinalKeys(result: Record<string, unknown>, task: string, sequences: number): void {
    for (const key of ['task', 'bitsPerSequence', 'sequencesSeen', 'seconds']) assert.ok(key in result, key);
    assert.equal(result['task'], task);
    assert.equal(result['sequencesSeen'], sequences);
    assert.ok(Number.isFinite(result['bitsPerSequence']) && (result['bitsPerSequence'] as number) >= 0);
    assert.ok(typeof result['seconds'] === 'number');
  }

  test('the LSTM baseline trains with the same command and its model file evaluates at another length', () => {
    const out = join(dir, 'lstm');
    const r = unfold('ntm', 'train', '--task', 'copy', '--model', 'lstm', '--lstm-hidden', '8', '--lstm-layers', '1', '--batch', '4',
      '--sequences', '8', '--eval-every', '8', ...tiny, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    assertFinalKeys(result, 'copy', 8);
    assert.equal(result['model'], 'lstm');
    assert.ok(existsSync(join(out, 'model.safetensors')));
    assert.ok(!existsSync(join(out, 'memory.svg')), 'the LSTM baseline has no memory to draw');
    const e = unfold('ntm', 'eval', '--model', join(out, 'model.safetensors'), '--length', '5', '--count', '4', '--json');
    assert.equal(e.status, 0, e.stderr);
    const metrics = resultOf(e.stdout);
    for (const key of ['length', 'bitErrorRate', 'bitsPerSequence']) assert.ok(key in metrics, key);
    assert.equal(metrics['length'], 5);
    assert.equal(metrics['model'], 'lstm');
    const rate = metrics['bitErrorRate'] as number;
    assert.ok(rate >= 0 && rate <= 1, `bit error rate ${rate}`);
    assert.ok(Number.isFinite(metrics['bitsPerSequence']));
  });

  for (const task of ['repeat-copy', 'associative-recall']) {
    test(`--task ${task}: a tiny run ends with the issue's keys`, () => {
      const out = join(dir, task);
      const r = unfold('ntm', 'train', '--task', task, '--sequences', '4', '--eval-every', '4', ...tiny, '--out', out);
      assert.equal(r.status, 0, r.stderr);
      assertFinalKeys(resultOf(r.stdout), task, 4);
      assert.ok(existsSync(join(out, 'memory.svg')));
    });
  }

  test('--controller lstm --optimizer rmsprop: a tiny run trains an NTM with an LSTM controller', () => {
    const out = join(dir, 'lstm-controller');
    const r = unfold('ntm', 'train', '--task', 'copy', '--controller', 'lstm', '--optimizer', 'rmsprop', '--sequences', '4', '--eval-every', '4', ...tiny, '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    assertFinalKeys(result, 'copy', 4);
    assert.equal(result['model'], 'ntm');
    const e = unfold('ntm', 'eval', '--model', out, '--length', '3', '--count', '2', '--json');
    assert.equal(e.status, 0, e.stderr);
    assert.equal(resultOf(e.stdout)['length'], 3);
  });
});

describe('unfold memnet train', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'unfold-memnet-'));

  test('--task 1 trains on generated stories, prints the held-out accuracy and writes hops.svg', async () => {
    const out = join(dir, 'task1');
    const r = unfold('memnet', 'train', '--task', '1', '--train-size', '60', '--test-size', '20', '--epochs', '2', '--embedding-size', '8',
      '--hops', '2', '--batch', '16', '--json', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    for (const key of ['task', 'accuracy', 'seconds']) assert.ok(key in result, key);
    assert.equal(result['task'], 1);
    assert.equal(result['testQuestions'], 20);
    const accuracy = result['accuracy'] as number;
    assert.ok(accuracy >= 0 && accuracy <= 1, `accuracy ${accuracy}`);
    const svg = await readFile(join(out, 'hops.svg'), 'utf8');
    assert.match(svg, /<svg/);
    assert.match(svg, /hop 2/i);
    const text = unfold('memnet', 'train', '--task', '1', '--train-size', '30', '--test-size', '10', '--epochs', '1', '--embedding-size', '8', '--out', out);
    assert.equal(text.status, 0, text.stderr);
    assert.match(text.stdout, /task 1: \d+\.\d% of 10 held-out questions right/);
  });

  test('trains on bAbI-format files and writes hops.svg; malformed files are one-line errors', async () => {
    const train = join(dir, 'qa1_train.txt');
    const testFile = join(dir, 'qa1_test.txt');
    await writeFile(train, formatBabi(generateBabi(1, 60, new Rng(1))));
    await writeFile(testFile, formatBabi(generateBabi(1, 20, new Rng(2))));
    const out = join(dir, 'run');
    const r = unfold('memnet', 'train', '--train-file', train, '--test-file', testFile, '--epochs', '2', '--hops', '2', '--json', '--out', out);
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    assert.equal(result['task'], 'file');
    assert.equal(result['testQuestions'], 20);
    assert.ok(typeof result['accuracy'] === 'number' && typeof result['seconds'] === 'number');
    assert.match(await readFile(join(out, 'hops.svg'), 'utf8'), /<svg/);
    await writeFile(join(dir, 'bad.txt'), 'Mary moved to the bathroom.\n');
    const bad = unfold('memnet', 'train', '--train-file', join(dir, 'bad.txt'), '--test-file', testFile);
    assert.equal(bad.status, 2);
    assert.equal(lines(bad.stderr).length, 1);
    assert.match(bad.stderr, /line 1/);
  });
});
