import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadModelFile } from '../io/node.js';
import { esnFromModelFile } from '../train/esn/index.js';
import type { CliIO } from './command.js';
import { esnCommand } from './commands/esn.js';
import { heatmap, lineChart } from './plot.js';
import { runCli } from './run.js';

/** Runs `unfold <argv>` in this process (no spawn: the command is what is under test). */
async function unfold(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), terminal: null, env: {} };
  const status = await runCli(argv, io, [esnCommand]);
  return { status, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('unfold esn', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'unfold-esn-'));

  test('one-step Mackey-Glass --json: last line is the result in the literature\'s units; chart and model written', async () => {
    const svg = join(dir, 'prediction.svg');
    const model = join(dir, 'mg.unfold');
    const r = await unfold('esn', '--task', 'mackey-glass', '--protocol', 'one-step', '--json', '--plot', svg, '--save', model);
    assert.equal(r.status, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    assert.equal(last['type'], 'result');
    assert.equal(last['task'], 'mackey-glass');
    assert.equal(last['protocol'], 'one-step');
    assert.ok(typeof last['rmse'] === 'number' && last['rmse'] < 0.002, `rmse ${String(last['rmse'])}`);
    assert.ok(typeof last['nrmse'] === 'number' && typeof last['seconds'] === 'number');
    assert.match(await readFile(svg, 'utf8'), /^<svg[\s\S]*ESN one-step prediction[\s\S]*<\/svg>$/);
    const esn = esnFromModelFile(await loadModelFile(model));
    assert.equal(esn.reservoir.units, 100);
  });

  test('free-run-84 --json (100 units, 1 trial): the last line carries nrmse84 and log10Nrmse84; the chart is written', async () => {
    const svg = join(dir, 'free-run.svg');
    const r = await unfold('esn', '--protocol', 'free-run-84', '--units', '100', '--trials', '1', '--json', '--plot', svg);
    assert.equal(r.status, 0, r.stderr);
    const last = JSON.parse(r.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    assert.equal(last['protocol'], 'free-run-84');
    for (const key of ['nrmse84', 'log10Nrmse84', 'nrmse', 'seconds']) assert.ok(typeof last[key] === 'number' && Number.isFinite(last[key]), `${key}: ${String(last[key])}`);
    assert.equal(last['plot'], svg);
    assert.match(await readFile(svg, 'utf8'), /^<svg[\s\S]*ESN free run[\s\S]*<\/svg>$/);
  });

  test('narma10, human summary: NRMSE and NMSE side by side, and where the published figures are', async () => {
    const r = await unfold('esn', '--task', 'narma10', '--units', '30', '--plot', '');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /NARMA-10, 30 units, 1 trial\(s\): test NRMSE \S+ \(NMSE \S+\)/);
    assert.match(r.stdout, /docs\/decisions\/0006/);
    assert.doesNotMatch(r.stdout, /EchoTorch/);
  });

  test('narma10 --echotorch: EchoTorch\'s figure beside ours only when the configuration is the notebook\'s', async () => {
    const same = await unfold('esn', '--task', 'narma10', '--echotorch', '--plot', '');
    assert.equal(same.status, 0, same.stderr);
    assert.match(same.stdout, /NARMA-10 \(EchoTorch's protocol\), 410 units, 1 trial\(s\): test NRMSE \S+ .*EchoTorch's narma10_esn\.ipynb, same configuration, one seed: NRMSE 0\.284/);
    const other = await unfold('esn', '--task', 'narma10', '--echotorch', '--units', '30', '--json', '--plot', '');
    assert.equal(other.status, 0, other.stderr);
    const last = JSON.parse(other.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
    assert.equal(last['echotorch'], true);
    assert.equal(last['units'], 30);
    assert.ok(typeof last['nrmse'] === 'number' && typeof last['nmse'] === 'number');
    const human = await unfold('esn', '--task', 'narma10', '--echotorch', '--units', '30', '--plot', '');
    assert.doesNotMatch(human.stdout, /0\.284/);
    assert.match(human.stdout, /docs\/decisions\/0006/);
    const mg = await unfold('esn', '--task', 'mackey-glass', '--echotorch', '--plot', '');
    assert.equal(mg.status, 2);
    assert.match(mg.stderr, /--echotorch applies to --task narma10/);
  });

  test('hyperparameters outside their range and impossible combinations are usage errors', async () => {
    const leak = await unfold('esn', '--leak', '1.5', '--plot', '');
    assert.equal(leak.status, 2);
    assert.match(leak.stderr, /leak must be in \(0, 1\]/);
    const units = await unfold('esn', '--units', '-3', '--plot', '');
    assert.equal(units.status, 2);
    assert.equal(units.stderr.trim().split('\n').length, 1, units.stderr);
    assert.match(units.stderr, /--units .*must be at least 1, got -3/);
    const narma = await unfold('esn', '--task', 'narma10', '--protocol', 'free-run-84');
    assert.equal(narma.status, 2);
    assert.match(narma.stderr, /narma10 has no free-running protocol/);
  });
});

describe('plots', () => {
  test('lineChart: an SVG document with one path per series and the legend labels; non-finite points dropped', async () => {
    const svg = await lineChart({
      series: [{ name: 'truth', x: [0, 1, 2, 3], y: [0, 1, Number.NaN, 0] }, { name: 'prediction', x: [0, 1, 2, 3], y: [0, 0.9, 0.2, 0.1] }],
      title: 'A title', xTitle: 'step', yTitle: 'value',
    });
    assert.match(svg, /^<svg/);
    for (const text of ['truth', 'prediction', 'A title', 'step', 'value']) assert.ok(svg.includes(text), text);
    assert.ok(!svg.includes('NaN'));
    const log = await lineChart({ series: [{ name: 'loss', x: [1, 2, 3], y: [1, 0.1, 0.01] }], logY: true });
    assert.match(log, /<\/svg>$/);
  });

  test('heatmap: one rect per cell, labels on the axes', async () => {
    const svg = await heatmap({ values: [0.9, 0.1, 0.2, 0.8, 0.5, 0.5], rows: 3, cols: 2, rowLabels: ['le', 'chat', '<eos>'], colLabels: ['the', 'cat'], title: 'attention' });
    for (const text of ['le', 'chat', '&lt;eos&gt;', 'the', 'cat', 'attention']) assert.ok(svg.includes(text), text);
    await assert.rejects(heatmap({ values: [1, 2, 3], rows: 2, cols: 2 }), /expected 2 x 2 = 4 values/);
  });
});
