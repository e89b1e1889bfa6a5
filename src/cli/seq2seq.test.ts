import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { jsonResult, outputLines as lines, runUnfold as unfold, runUnfoldWithInput as unfoldWithInput } from '../test-support/cli.js';

const TINY = ['--hidden', '8', '--embedding', '4', '--batch', '8', '--eval-every', '2', '--test-size', '20'];

describe('unfold seq2seq', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'unfold-seq2seq-'));
  const out = join(dir, 'run');

  test('train --task reverse --json: the last line is the result with the issue\'s fields; model and attention.svg written', async () => {
    const r = unfold('seq2seq', 'train', '--task', 'reverse', '--steps', '4', '--min-length', '2', '--max-length', '4', '--unseen-max-length', '6', '--out', out, '--json', ...TINY);
    assert.equal(r.status, 0, r.stderr);
    const result = jsonResult(r.stdout);
    assert.equal(result['task'], 'reverse');
    for (const key of ['exactMatch', 'tokenAccuracy', 'seconds', 'steps']) assert.equal(typeof result[key], 'number', key);
    assert.deepEqual(Object.keys(result['byLength'] as object), ['2', '3', '4']);
    assert.deepEqual(Object.keys((result['unseen'] as { byLength: object }).byLength), ['5', '6']);
    assert.ok(existsSync(join(out, 'model.safetensors')));
    assert.match(await readFile(join(out, 'attention.svg'), 'utf8'), /^<svg[^>]*>[\s\S]*<rect [\s\S]*<\/svg>\n$/);
  });

  test('translate reads stdin or --input, one output line per input line (empty lines kept); --json adds a result line', async () => {
    const s = unfoldWithInput('abc\n\nba\n', 'seq2seq', 'translate', '--model', out);
    assert.equal(s.status, 0, s.stderr);
    assert.equal(s.stdout.split('\n').length, 4, JSON.stringify(s.stdout));
    const file = join(dir, 'in.txt');
    await writeFile(file, 'abc\r\nba');
    const j = unfold('seq2seq', 'translate', '--model', join(out, 'model.safetensors'), '--input', file, '--beam', '3', '--json');
    assert.equal(j.status, 0, j.stderr);
    const objects = lines(j.stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(objects.map((o) => o['type']), ['translation', 'translation', 'result']);
    assert.deepEqual(objects.map((o) => o['source']).slice(0, 2), ['abc', 'ba']);
    assert.equal(objects[2]?.['lines'], 2);
    const sampled = unfoldWithInput('abc\n', 'seq2seq', 'translate', '--model', out, '--sample', '--temperature', '0.5', '--seed', '4');
    assert.equal(sampled.status, 0, sampled.stderr);
    assert.equal(unfoldWithInput('abc\n', 'seq2seq', 'translate', '--model', out, '--sample', '--temperature', '0.5', '--seed', '4').stdout, sampled.stdout);
  });

  test('translate: unknown characters and invalid UTF-8 are one-line errors with the line number', () => {
    const unknown = unfoldWithInput('abc\nab7\n', 'seq2seq', 'translate', '--model', out);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /^unfold: line 2: characters the model never saw: "7"\n$/);
    const bad = unfoldWithInput(Buffer.from([0x61, 0x0a, 0x62, 0xc3, 0x0a]), 'seq2seq', 'translate', '--model', out);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /^unfold: stdin: line 2: invalid UTF-8 at byte 3\n$/);
  });

  test('train --pairs: a UTF-8 file trains; malformed files fail with the line number', async () => {
    const good = join(dir, 'good.tsv');
    const rows = Array.from({ length: 60 }, (_, i) => `${[...'한🙂ab'].slice(0, 1 + (i % 4)).join('')}${i % 10}\t${i % 10}→${i % 3}`);
    await writeFile(good, `${rows.join('\n')}\n`);
    const r = unfold('seq2seq', 'train', '--pairs', good, '--steps', '2', '--out', join(dir, 'pairs-run'), '--json', ...TINY);
    assert.equal(r.status, 0, r.stderr);
    const result = JSON.parse(lines(r.stdout).pop() as string) as Record<string, unknown>;
    assert.equal(result['task'], good);
    assert.equal(result['testPairs'], 6);
    const cases: [string, string | Buffer, RegExp][] = [
      ['tab.tsv', 'a\tb\nno tab\n', /tab\.tsv: line 2: no tab/],
      ['empty.tsv', 'a\tb\nc\td\ne\t\n', /empty\.tsv: line 3: empty target/],
      ['utf8.tsv', Buffer.from([0x61, 0x09, 0x62, 0x0a, 0x61, 0x09, 0xe2, 0x82, 0x0a]), /utf8\.tsv: line 2: invalid UTF-8 at byte 6/],
    ];
    for (const [name, content, message] of cases) {
      await writeFile(join(dir, name), content);
      const bad = unfold('seq2seq', 'train', '--pairs', join(dir, name), '--steps', '1', '--out', join(dir, 'x'));
      assert.equal(bad.status, 2, name);
      assert.match(bad.stderr, message);
      assert.equal(lines(bad.stderr).length, 1, bad.stderr);
    }
  });

  test('usage errors: task and pairs together, no subcommand, an unknown one, translate without a model', () => {
    assert.match(unfold('seq2seq', 'train', '--task', 'reverse', '--pairs', 'x.tsv').stderr, /exactly one of --task .* or --pairs/);
    const none = unfold('seq2seq');
    assert.equal(none.status, 2);
    assert.match(none.stderr, /Usage: unfold seq2seq <train\|translate>/);
    assert.match(unfold('seq2seq', 'fit').stderr, /unknown seq2seq subcommand 'fit'/);
    assert.match(unfold('seq2seq', 'translate').stderr, /needs --model/);
    const help = unfold('seq2seq', 'train', '--help');
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: unfold seq2seq train \[flags\]/);
    assert.match(help.stdout, /--attention <none\|additive\|dot\|general>/);
  });
});
