import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { UsageError, formatFlagHelp, kebabCase, parseFlags, suggest, type FlagValues } from './flags.js';

const specs = {
  epochs: { type: 'integer', default: 10, min: 1, help: 'passes over the data' },
  lr: { type: 'number', default: 0.01, help: 'learning rate' },
  cell: { type: 'enum', values: ['rnn', 'lstm', 'gru'], default: 'lstm', help: 'cell kind' },
  out: { type: 'string', placeholder: 'path', help: 'where to write the model' },
  hiddenSize: { type: 'integer', help: 'units per layer' },
  json: { type: 'boolean', help: 'JSON lines' },
} as const;

function parse(argv: string[], args: { name: string; help: string; optional?: boolean }[] = []): FlagValues<typeof specs> & { args: string[] } {
  const r = parseFlags(specs, argv, { command: 'train', args });
  assert.equal(r.help, false);
  if (r.help) throw new Error('unreachable');
  return { ...r.flags, args: r.args };
}

function usageMessage(argv: string[]): string {
  try {
    parseFlags(specs, argv, { command: 'train' });
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    assert.equal(error.code, 'usage');
    assert.ok(!error.message.includes('\n'), 'usage errors are one line');
    return error.message;
  }
  assert.fail(`expected ${JSON.stringify(argv)} to be rejected`);
}

describe('parseFlags', () => {
  test('defaults fill every flag not given; booleans default to false, others to undefined', () => {
    const f = parse([]);
    assert.equal(f.epochs, 10);
    assert.equal(f.lr, 0.01);
    assert.equal(f.cell, 'lstm');
    assert.equal(f.out, undefined);
    assert.equal(f.hiddenSize, undefined);
    assert.equal(f.json, false);
    assert.deepEqual(f.args, []);
  });

  test('--name value and --name=value give the same typed values', () => {
    const spaced = parse(['--epochs', '3', '--lr', '0.5', '--cell', 'gru', '--out', 'm.unf', '--hidden-size', '64']);
    const joined = parse(['--epochs=3', '--lr=0.5', '--cell=gru', '--out=m.unf', '--hidden-size=64']);
    for (const f of [spaced, joined]) {
      assert.equal(f.epochs, 3);
      assert.equal(f.lr, 0.5);
      assert.equal(f.cell, 'gru');
      assert.equal(f.out, 'm.unf');
      assert.equal(f.hiddenSize, 64);
    }
  });

  test('the parsed values carry the declared types', () => {
    const f = parse(['--cell', 'rnn']);
    // Compile-time checks: these assignments fail tsc if the value types regress.
    const epochs: number = f.epochs;
    const cell: 'rnn' | 'lstm' | 'gru' = f.cell;
    const hidden: number | undefined = f.hiddenSize;
    const json: boolean = f.json;
    assert.deepEqual([epochs, cell, hidden, json], [10, 'rnn', undefined, false]);
  });

  test('booleans: bare, =true/=false, --no-name', () => {
    assert.equal(parse(['--json']).json, true);
    assert.equal(parse(['--json=true']).json, true);
    assert.equal(parse(['--json=false']).json, false);
    assert.equal(parse(['--json', '--no-json']).json, false);
    assert.match(usageMessage(['--json=yes']), /--json for 'train' must be true or false, got 'yes'/);
    assert.match(usageMessage(['--no-epochs']), /unknown flag --no-epochs/);
  });

  test('a repeated flag keeps its last value', () => {
    assert.equal(parse(['--epochs', '2', '--epochs=5']).epochs, 5);
  });

  test('numbers: negative values, integers, bounds, garbage', () => {
    assert.equal(parse(['--lr', '-0.5']).lr, -0.5);
    assert.equal(parse(['--lr=1e-3']).lr, 0.001);
    assert.match(usageMessage(['--epochs', '2.5']), /^--epochs for 'train' must be an integer, got '2.5' \(see unfold train --help\)$/);
    assert.match(usageMessage(['--epochs', '0']), /--epochs for 'train' must be at least 1, got 0/);
    assert.match(usageMessage(['--lr', 'fast']), /--lr for 'train' must be a number, got 'fast'/);
    assert.match(usageMessage(['--lr=']), /must be a number, got ''/);
    assert.match(usageMessage(['--lr', ' 1']), /must be a number/);
    assert.match(usageMessage(['--lr', 'Infinity']), /must be a number/);
  });

  test('enum values are checked and listed', () => {
    assert.equal(
      usageMessage(['--cell', 'transformer']),
      "--cell for 'train' must be one of rnn, lstm, gru; got 'transformer' (see unfold train --help)",
    );
  });

  test('a missing value is an error, not the next flag', () => {
    assert.match(usageMessage(['--epochs']), /^--epochs for 'train' needs a value \(see unfold train --help\)$/);
    assert.match(usageMessage(['--out', '--json']), /--out for 'train' needs a value/);
    // A string may still start with a dash when written with '='.
    assert.equal(parse(['--out=--weird']).out, '--weird');
  });

  test('unknown flags name the command, suggest a near miss, and point at --help', () => {
    assert.equal(usageMessage(['--foo']), "unknown flag --foo for 'train' (see unfold train --help)");
    assert.equal(usageMessage(['--epoch', '3']), "unknown flag --epoch for 'train'; did you mean --epochs? (see unfold train --help)");
    assert.equal(usageMessage(['-x']), "unknown flag -x for 'train' (see unfold train --help)");
    // camelCase keys are spelled in kebab-case on the command line only.
    assert.match(usageMessage(['--hiddenSize', '3']), /unknown flag --hiddenSize/);
  });

  test('--help or -h anywhere before -- wins over other problems', () => {
    assert.deepEqual(parseFlags(specs, ['--foo', '--help'], { command: 'train' }), { help: true });
    assert.deepEqual(parseFlags(specs, ['-h'], { command: 'train' }), { help: true });
    const r = parseFlags(specs, ['--', '--help'], { command: 'train', args: [{ name: 'x', help: '' }] });
    assert.equal(r.help, false);
  });

  test('positional arguments: arity is checked, -- ends the flags, - and negative numbers are positional', () => {
    const args = [{ name: 'data', help: 'text file' }, { name: 'extra', help: '', optional: true }];
    assert.deepEqual(parse(['corpus.txt', '--epochs', '2'], args).args, ['corpus.txt']);
    assert.deepEqual(parse(['-', '-3'], args).args, ['-', '-3']);
    assert.deepEqual(parse(['a', '--', '--json'], args).args, ['a', '--json']);
    assert.equal(parse(['a', '--', '--json'], args).json, false);
    assert.match(usageMessage(['stray']), /^unexpected argument 'stray' for 'train' \(see unfold train --help\)$/);
    assert.throws(() => parseFlags(specs, [], { command: 'train', args }), /'train' needs <data>/);
  });
});

describe('flag helpers', () => {
  test('kebabCase', () => {
    assert.equal(kebabCase('hiddenSize'), 'hidden-size');
    assert.equal(kebabCase('bpttSteps'), 'bptt-steps');
    assert.equal(kebabCase('lr'), 'lr');
  });

  test('suggest finds near misses only', () => {
    assert.equal(suggest('trian', ['train', 'bench']), 'train');
    assert.equal(suggest('xyz', ['train', 'bench']), undefined);
    assert.equal(suggest('a', ['b']), undefined);
  });

  test('formatFlagHelp shows types, enum values and defaults, aligned', () => {
    const lines = formatFlagHelp(specs);
    assert.ok(lines.some((l) => /--cell <rnn\|lstm\|gru>\s+cell kind \(default: lstm\)$/.test(l)));
    assert.ok(lines.some((l) => /--out <path>\s+where to write the model$/.test(l)));
    assert.ok(lines.some((l) => /--json\s+JSON lines$/.test(l)));
    assert.ok(lines.some((l) => /--hidden-size <integer>/.test(l)));
    assert.match(lines.at(-1) ?? '', /-h, --help\s+show this help/);
    // The help text starts in the same column on every line.
    const helpColumns = new Set(lines.map((l) => /^ {2}\S+(?: \S+)* +/.exec(l)?.[0].length));
    assert.equal(helpColumns.size, 1);
  });
});
