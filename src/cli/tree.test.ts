import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { jsonResult as resultOf, outputLines as lines, runUnfold as unfold } from '../test-support/cli.js';

const sample = fileURLToPath(new URL('../../test/fixtures/trees/sst-sample.txt', import.meta.url));

const TINY = ['--hidden', '8', '--embedding', '4', '--batch', '8', '--minutes', '1'];

describe('unfold tree train / eval', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'unfold-tree-'));

  test('tree --help lists the subcommands; each has its own help; a typo gets a suggestion', () => {
    const r = unfold('tree', '--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^ {2}train /m);
    assert.match(r.stdout, /^ {2}eval /m);
    const train = unfold('tree', 'train', '--help');
    assert.equal(train.status, 0);
    assert.match(train.stdout, /Usage: unfold tree train \[flags\]/);
    assert.match(train.stdout, /--test-depth-min/);
    const typo = unfold('tree', 'trian');
    assert.equal(typo.status, 2);
    assert.match(typo.stderr, /unknown subcommand 'tree trian'; did you mean 'tree train'\?/);
    assert.equal(unfold('tree').status, 2);
  });

  const model = join(dir, 'bool.unf');
  const svg = join(dir, 'bool.svg');

  test('train --task --json: the result line has the figures and depths; model and picture written', async () => {
    const r = unfold('tree', 'train', '--task', 'boolean', '--steps', '5', '--test-size', '30', '--json', '--out', model, '--svg', svg, ...TINY);
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    assert.deepEqual(Object.keys(result).slice(0, 8), ['type', 'command', 'task', 'rootAccuracy', 'nodeAccuracy', 'trainDepths', 'testDepths', 'seconds']);
    assert.equal(result['task'], 'boolean');
    assert.deepEqual(result['trainDepths'], [1, 5]);
    assert.deepEqual(result['testDepths'], [6, 8]);
    assert.equal(result['steps'], 5);
    for (const key of ['rootAccuracy', 'nodeAccuracy']) assert.ok((result[key] as number) >= 0 && (result[key] as number) <= 1, key);
    assert.ok(existsSync(model));
    assert.match(await readFile(svg, 'utf8'), /^<svg [^]*<circle[^]*<\/svg>\n$/);
  });

  test('eval --model measures the saved model on fresh held-out trees of the same task', () => {
    const r = unfold('tree', 'eval', '--model', model, '--test-depth-min', '2', '--test-depth-max', '3', '--test-size', '20', '--svg', '', '--json');
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    assert.equal(result['task'], 'boolean');
    assert.deepEqual(result['trainDepths'], [1, 5]);
    assert.deepEqual(result['testDepths'], [2, 3]);
    assert.equal(result['testTrees'], 20);
  });

  test('train --data on a sentiment-treebank file, then eval on it; human output without --json', () => {
    const out = join(dir, 'sst.unf');
    const r = unfold('tree', 'train', '--data', sample, '--steps', '3', '--cell', 'child-sum-lstm', '--out', out, '--svg', '', ...TINY);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /sst-sample\.txt \(child-sum-lstm\): root accuracy \d+\.\d%, node accuracy \d+\.\d% on 1 held-out trees of depth \d/);
    const e = unfold('tree', 'eval', '--model', out, '--data', sample, '--json', '--svg', '');
    assert.equal(e.status, 0, e.stderr);
    const result = resultOf(e.stdout);
    assert.equal(result['testTrees'], 12);
    assert.deepEqual(result['testDepths'], [3, 5]);
  });

  test('bad input: malformed trees name the file, line and column; conflicting flags are usage errors', async () => {
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, '(3 (2 It) (4 good))\n(1 (2 a)\n');
    const r = unfold('tree', 'train', '--data', bad, ...TINY);
    assert.equal(r.status, 2);
    assert.deepEqual(lines(r.stderr), [`unfold: ${bad}: unbalanced brackets: '(' is never closed (line 2, column 1)`]);
    const both = unfold('tree', 'train', '--data', sample, '--task', 'arithmetic');
    assert.equal(both.status, 2);
    assert.match(both.stderr, /give --task or --data, not both/);
    const missing = unfold('tree', 'eval');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /--model is required/);
  });
});
