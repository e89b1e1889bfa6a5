import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CliIO } from './command.js';
import { createReporter, formatDuration, formatNumber, progressLine } from './output.js';

interface Recorder extends CliIO {
  readonly stdout: string[];
  readonly stderr: string[];
  readonly statuses: (string | null)[];
}

function recorder(tty: boolean, columns = 100): Recorder {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const statuses: (string | null)[] = [];
  return {
    stdout,
    stderr,
    statuses,
    out: (l) => stdout.push(l),
    err: (l) => stderr.push(l),
    terminal: tty ? { columns, status: (t) => statuses.push(t), clearStatus: () => statuses.push(null) } : null,
    env: {},
  };
}

/** A clock the test advances by hand. */
function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 0;
  return { now: () => t, advance: (ms) => (t += ms) };
}

describe('reporter, --json', () => {
  test('progress objects first, the result last, nothing on stderr', () => {
    const io = recorder(true);
    const c = clock();
    const report = createReporter(io, { json: true, command: 'train', now: c.now });
    for (let step = 1; step <= 4; step++) {
      c.advance(500);
      report.progress({ done: step, total: 4, unit: 'step', metrics: { loss: 1 / step } });
    }
    report.result({ loss: 0.25, steps: 4 });

    const objects = io.stdout.map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = objects.at(-1);
    assert.deepEqual(last, { type: 'result', command: 'train', loss: 0.25, steps: 4 });
    const progress = objects.slice(0, -1);
    assert.ok(progress.length >= 1);
    for (const p of progress) {
      assert.equal(p['type'], 'progress');
      assert.equal(p['command'], 'train');
    }
    // Throttled to one a second, but the update that completes the total always shows.
    assert.deepEqual(progress.map((p) => p['done']), [1, 3, 4]);
    assert.deepEqual(progress.at(-1), { type: 'progress', command: 'train', done: 4, total: 4, elapsed: 2, rate: 2, eta: 0, metrics: { loss: 0.25 } });
    assert.deepEqual(io.stderr, []);
    assert.deepEqual(io.statuses, [], 'no bar in JSON mode, even on a terminal');
  });

  test('records are never throttled and keep their order among progress objects', () => {
    const io = recorder(false);
    const c = clock();
    const report = createReporter(io, { json: true, command: 'train', now: c.now });
    c.advance(1500);
    report.progress({ done: 1 });
    for (let step = 2; step <= 4; step++) {
      c.advance(10);
      report.progress({ done: step }); // within the interval: dropped
      report.record('eval', { step, valBpc: 1 / step });
    }
    report.result({ steps: 4 });
    assert.deepEqual(io.stdout.map((l) => JSON.parse(l) as Record<string, unknown>).map((o) => [o['type'], o['done'] ?? o['step'] ?? o['steps']]),
      [['progress', 1], ['eval', 2], ['eval', 3], ['eval', 4], ['result', 4]]);
    assert.deepEqual(JSON.parse(io.stdout[1] ?? ''), { type: 'eval', command: 'train', step: 2, valBpc: 0.5 });
    assert.throws(() => report.record('result', {}), /not a record type/);
    assert.throws(() => report.record('eval', { type: 'x' }), /reserved/);
  });

  test('records print nothing for people', () => {
    const io = recorder(true);
    createReporter(io, { json: false, command: 'train' }).record('eval', { step: 1 });
    assert.deepEqual([io.stdout, io.stderr, io.statuses], [[], [], []]);
  });

  test('reserved keys in a result are a programming error', () => {
    const report = createReporter(recorder(false), { json: true, command: 'x' });
    assert.throws(() => report.result({ type: 'oops' }), /reserved/);
  });
});

describe('reporter, for people', () => {
  test('a bar on a terminal, cleared before the summary', () => {
    const io = recorder(true);
    const c = clock();
    const report = createReporter(io, { json: false, command: 'train', now: c.now });
    c.advance(1000);
    report.progress({ done: 5, total: 10, unit: 'step', label: 'epoch 1', metrics: { loss: 0.5 } });
    c.advance(10); // within the redraw interval: dropped
    report.progress({ done: 6, total: 10, unit: 'step' });
    report.note('checkpoint saved');
    report.result({ loss: 0.1 }, ['trained 10 steps, loss 0.1']);

    assert.equal(io.statuses.length, 2);
    assert.match(io.statuses[0] ?? '', /^epoch 1 \[█+░+\] +50% {2}5\/10 {2}5 step\/s {2}ETA 0:01 {2}loss 0\.5$/);
    assert.equal(io.statuses[1], null);
    assert.deepEqual(io.stderr, ['checkpoint saved']);
    assert.deepEqual(io.stdout, ['trained 10 steps, loss 0.1']);
  });

  test('no bar when stderr is not a terminal; the default summary is key: value', () => {
    const io = recorder(false);
    const report = createReporter(io, { json: false, command: 'train' });
    report.progress({ done: 1, total: 2 });
    report.result({ loss: 0.123456, cell: 'lstm' });
    assert.deepEqual(io.stdout, ['loss: 0.1235', 'cell: lstm']);
    assert.deepEqual(io.stderr, []);
  });
});

describe('formatting', () => {
  test('progressLine fits the terminal and drops the bar when narrow', () => {
    const wide = progressLine({ done: 1, total: 4 }, 1, 1, 3, 80);
    assert.ok(wide.length < 80);
    assert.match(wide, /\[/);
    const narrow = progressLine({ done: 1, total: 4, metrics: { loss: 1.5 } }, 1, 1, 3, 30);
    assert.ok(narrow.length < 30);
    assert.doesNotMatch(narrow, /\[/);
    assert.match(progressLine({ done: 7, unit: 'batch' }, 65, 0.1, undefined, 80), /^7 batch {2}0\.1 batch\/s {2}1:05 elapsed$/);
  });

  test('formatDuration', () => {
    assert.equal(formatDuration(0), '0:00');
    assert.equal(formatDuration(59.6), '1:00');
    assert.equal(formatDuration(3725), '1:02:05');
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), '?');
  });

  test('formatNumber', () => {
    assert.equal(formatNumber(0), '0');
    assert.equal(formatNumber(1234), '1234');
    assert.equal(formatNumber(3.14159), '3.142');
    assert.equal(formatNumber(0.0000123456), '1.235e-5');
    assert.equal(formatNumber(12345678), '1.235e+7');
    assert.equal(formatNumber(Number.NaN), 'NaN');
  });
});
