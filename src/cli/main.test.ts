import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, test } from 'node:test';
import { ArgumentError } from '../tensor/errors.js';
import { defineCommand, type CliIO, type Command } from './command.js';
import { jsonFlag } from './output.js';
import { outputLines as lines, runUnfold as unfold } from '../test-support/cli.js';
import { runCli } from './run.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

describe('unfold executable', () => {
  test('--help lists the commands on stdout and exits 0', () => {
    for (const flag of ['--help', '-h']) {
      const r = unfold(flag);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /^unfold \d+\.\d+\.\d+: /);
      assert.match(r.stdout, /Usage: unfold <command> \[flags\]/);
      assert.match(r.stdout, /^ {2}bench {2}/m);
      assert.equal(r.stderr, '');
    }
  });

  test('--version prints the version from package.json', () => {
    for (const flag of ['--version', '-v']) {
      const r = unfold(flag);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout, `${version}\n`);
    }
  });

  test('an unknown command is one line on stderr and exit 2', () => {
    const r = unfold('frobnicate');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.deepEqual(lines(r.stderr), ["unfold: unknown command 'frobnicate' (see unfold --help)"]);
    assert.deepEqual(lines(unfold('bnech').stderr), ["unfold: unknown command 'bnech'; did you mean 'bench'? (see unfold --help)"]);
  });

  test('an unknown top-level flag is one line on stderr and exit 2', () => {
    const r = unfold('--frobnicate');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.deepEqual(lines(r.stderr), ['unfold: unknown flag --frobnicate (see unfold --help)']);
  });

  test('no command prints the help on stderr and exits 2', () => {
    const r = unfold();
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /Usage: unfold <command>/);
  });

  test('every registered command answers --help with exit 0 and says how to use it', () => {
    const names = [...unfold('--help').stdout.matchAll(/^ {2}([a-z][\w-]*) {2}/gm)].map((m) => m[1] as string);
    assert.ok(names.includes('bench'));
    for (const name of names) {
      const r = unfold(name, '--help');
      assert.equal(r.status, 0, `${name} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^usage: unfold ${name}\\b`, 'im'));
    }
  });

  test('help <command> is <command> --help', () => {
    assert.equal(unfold('help', 'bench').stdout, unfold('bench', '--help').stdout);
    const r = unfold('help', 'nope');
    assert.equal(r.status, 2);
    assert.deepEqual(lines(r.stderr), ["unfold: unknown command 'nope' (see unfold --help)"]);
  });
});

/** An in-memory CliIO that records what a command prints. */
function captureIO(env: Record<string, string> = {}): CliIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), terminal: null, env };
}

const train = defineCommand({
  name: 'train',
  summary: 'train a model',
  args: [{ name: 'data', help: 'a text file', optional: true }],
  flags: {
    ...jsonFlag,
    epochs: { type: 'integer', default: 1, min: 1, help: 'passes over the data' },
    cell: { type: 'enum', values: ['rnn', 'lstm'], default: 'lstm', help: 'cell kind' },
  },
  async run({ flags, args, io }) {
    io.out(JSON.stringify({ epochs: flags.epochs, cell: flags.cell, json: flags.json, args }));
    return 0;
  },
});

function failing(error: unknown): Command {
  return {
    name: 'fail',
    summary: 'throws',
    async run() {
      throw error;
    },
  };
}

describe('runCli dispatch', () => {
  test('flags reach the command typed and defaulted', async () => {
    const io = captureIO();
    assert.equal(await runCli(['train', 'corpus.txt', '--epochs=3', '--json'], io, [train]), 0);
    assert.deepEqual(JSON.parse(io.stdout[0] ?? ''), { epochs: 3, cell: 'lstm', json: true, args: ['corpus.txt'] });
  });

  test('an unknown command suggests a near miss', async () => {
    const io = captureIO();
    assert.equal(await runCli(['trian'], io, [train]), 2);
    assert.deepEqual(io.stderr, ["unfold: unknown command 'trian'; did you mean 'train'? (see unfold --help)"]);
  });

  test('a bad flag is one line on stderr and exit 2', async () => {
    for (const [argv, message] of [
      [['train', '--foo'], "unfold: unknown flag --foo for 'train' (see unfold train --help)"],
      [['train', '--epochs', 'many'], "unfold: --epochs for 'train' must be an integer, got 'many' (see unfold train --help)"],
      [['train', '--cell', 'gru'], "unfold: --cell for 'train' must be one of rnn, lstm; got 'gru' (see unfold train --help)"],
      [['train', '--epochs'], "unfold: --epochs for 'train' needs a value (see unfold train --help)"],
    ] as const) {
      const io = captureIO();
      assert.equal(await runCli(argv, io, [train]), 2);
      assert.deepEqual(io.stderr, [message]);
      assert.deepEqual(io.stdout, []);
    }
  });

  test('every command has --help, generated from its flags', async () => {
    const io = captureIO();
    assert.equal(await runCli(['train', '--help'], io, [train]), 0);
    assert.equal(io.stdout[0], 'Usage: unfold train [data] [flags]');
    assert.ok(io.stdout.some((l) => /--epochs <integer>\s+passes over the data \(default: 1\)/.test(l)));
    assert.ok(io.stdout.some((l) => /--json\s+print one JSON object per line/.test(l)));
    const viaHelp = captureIO();
    assert.equal(await runCli(['help', 'train'], viaHelp, [train]), 0);
    assert.deepEqual(viaHelp.stdout, io.stdout);
  });

  test('an UnfoldError from bad input exits 2 with one line', async () => {
    const io = captureIO();
    assert.equal(await runCli(['fail'], io, [failing(new ArgumentError('train', 'the data file is empty'))]), 2);
    assert.deepEqual(io.stderr, ['unfold: train: the data file is empty']);
  });

  test('an unexpected exception exits 1 with one line; UNFOLD_DEBUG=1 adds the stack', async () => {
    const quiet = captureIO();
    assert.equal(await runCli(['fail'], quiet, [failing(new Error('disk on fire\nsecond line'))]), 1);
    assert.deepEqual(quiet.stderr, ['unfold: disk on fire second line']);

    const debug = captureIO({ UNFOLD_DEBUG: '1' });
    assert.equal(await runCli(['fail'], debug, [failing(new Error('disk on fire'))]), 1);
    assert.equal(debug.stderr[0], 'unfold: disk on fire');
    assert.match(debug.stderr[1] ?? '', /^Error: disk on fire\n\s+at /);

    const thrownString = captureIO();
    assert.equal(await runCli(['fail'], thrownString, [failing('just a string')]), 1);
    assert.deepEqual(thrownString.stderr, ['unfold: just a string']);
  });
});
