import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { jsonResult as resultOf, outputLines as lines, runUnfold as unfold } from '../test-support/cli.js';

const isNumberArray = (v: unknown, length: number): v is number[] =>
  Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'number' && Number.isFinite(x));

describe('unfold gradients', () => {
  test('--json: per-step norms, ratio and Jacobian spectral radii; the tanh RNN vanishes far faster than the LSTM', () => {
    const results = ['rnn', 'lstm'].map((cell) => {
      // 32 units rather than the default 64: the LSTM's [h; c] Jacobian is then 64 x 64, and
      // its spectrum (12 squarings a step) costs an eighth as much.
      const r = unfold('gradients', '--cell', cell, '--length', '30', '--hidden', '32', '--json');
      assert.equal(r.status, 0, r.stderr);
      const result = resultOf(r.stdout);
      assert.deepEqual(Object.keys(result), ['type', 'command', 'cell', 'length', 'norms', 'ratio', 'jacobianSpectralRadius']);
      assert.equal(result['command'], 'gradients');
      assert.equal(result['cell'], cell);
      assert.equal(result['length'], 30);
      assert.ok(isNumberArray(result['norms'], 30));
      assert.ok(isNumberArray(result['jacobianSpectralRadius'], 30));
      const norms = result['norms'];
      assert.equal(result['ratio'], norms[0]! / norms[29]!);
      return { ratio: result['ratio'] as number, radii: result['jacobianSpectralRadius'] };
    });
    const [rnn, lstm] = results as [(typeof results)[0], (typeof results)[0]];
    // The seeded run (seed 1) gives rnn 7.7e-8 and lstm 6.9e-4 at T = 30.
    assert.ok(rnn.ratio < 1e-6, `rnn ratio ${rnn.ratio}`);
    assert.ok(lstm.ratio > 1e3 * rnn.ratio, `lstm ratio ${lstm.ratio} vs rnn ${rnn.ratio}`);
    // Every step contracts (radius below 1) at the default initialisation, the RNN's (0.60
    // to 0.62) much more than the LSTM's [h; c] (0.84 to 0.86).
    for (const r of [...rnn.radii, ...lstm.radii]) assert.ok(r > 0 && r < 1, `radius ${r}`);
    assert.ok(Math.max(...rnn.radii) < Math.min(...lstm.radii));
  });

  test('the human-readable summary names the spectral radius', () => {
    const r = unfold('gradients', '--cell', 'rnn', '--length', '5');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ratio first\/last = /);
    assert.match(r.stdout, /spectral radius of ds\(t\)\/ds\(t-1\): mean 0\.\d{3}, min 0\.\d{3}, max 0\.\d{3}/);
  });
});

describe('unfold task', () => {
  test('adding --json: the final line in the papers\' units', () => {
    const r = unfold('task', 'adding', '--cell', 'lstm', '--length', '10', '--steps', '5', '--test-size', '20', '--json');
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    for (const key of ['task', 'cell', 'length', 'testMse', 'successRate', 'sequencesSeen', 'seconds']) assert.ok(key in result, key);
    assert.equal(result['task'], 'adding');
    assert.equal(result['cell'], 'lstm');
    assert.equal(result['length'], 10);
    assert.equal(result['steps'], 5);
    // Five steps of the default batch of 50.
    assert.equal(result['sequencesSeen'], 250);
    const { testMse, successRate, seconds } = result as { testMse: number; successRate: number; seconds: number };
    assert.ok(Number.isFinite(testMse) && testMse > 0, `testMse ${testMse}`);
    // Success is counted per test sequence: a multiple of 1/20.
    assert.ok(successRate >= 0 && successRate <= 1 && Math.abs(successRate * 20 - Math.round(successRate * 20)) < 1e-9, `successRate ${successRate}`);
    assert.ok(seconds >= 0);
  });

  test('copy-memory --json: test cross-entropy and the memoryless baseline 10 ln 8 / (T + 20)', () => {
    const r = unfold('task', 'copy-memory', '--cell', 'lstm', '--length', '10', '--steps', '3', '--test-size', '10', '--hidden', '16', '--batch', '8', '--json');
    assert.equal(r.status, 0, r.stderr);
    const result = resultOf(r.stdout);
    for (const key of ['task', 'cell', 'length', 'testCrossEntropy', 'baseline', 'sequencesSeen', 'seconds']) assert.ok(key in result, key);
    assert.equal(result['task'], 'copy-memory');
    assert.equal(result['sequencesSeen'], 24);
    assert.ok(Math.abs((result['baseline'] as number) - (10 * Math.log(8)) / (10 + 20)) < 1e-12);
    const ce = result['testCrossEntropy'] as number;
    assert.ok(Number.isFinite(ce) && ce > 0, `testCrossEntropy ${ce}`);
  });

  test('an unknown task and an unknown flag are one line on stderr and exit 2', () => {
    const task = unfold('task', 'frobnicate');
    assert.equal(task.status, 2);
    assert.equal(task.stdout, '');
    assert.deepEqual(lines(task.stderr), ["unfold: unknown task 'frobnicate' (choose adding or copy-memory)"]);
    const flag = unfold('task', 'adding', '--frobnicate');
    assert.equal(flag.status, 2);
    assert.equal(flag.stdout, '');
    assert.equal(lines(flag.stderr).length, 1);
    assert.match(flag.stderr, /unknown flag --frobnicate/);
  });
});
