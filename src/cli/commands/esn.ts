import { writeFile } from 'node:fs/promises';
import { saveModelFile } from '../../io/node.js';
import {
  ECHOTORCH_NARMA10, READOUT_SOLVERS, esnToModelFile, freeRunMackeyGlass, narma10, oneStepMackeyGlass,
  type FreeRunResult, type NarmaResult, type OneStepResult, type EsnPlotSeries, type EsnProtocolRun, type EsnTrialProgress,
} from '../../train/esn/index.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../flags.js';
import { createReporter, formatNumber, jsonFlag } from '../output.js';

const TASKS = ['mackey-glass', 'narma10'] as const;
const PROTOCOLS = ['one-step', 'free-run-84'] as const;
const SOLVERS = Object.keys(READOUT_SOLVERS) as (keyof typeof READOUT_SOLVERS)[];

/**
 * `unfold esn --task mackey-glass|narma10 [--protocol one-step|free-run-84]`: echo state
 * networks on the reservoir-computing benchmarks, measured with the literature's protocols
 * and reported in its units; writes the truth-versus-prediction chart to prediction.svg.
 */
export const esnCommand = defineCommand({
  name: 'esn',
  summary: 'echo state networks on Mackey-Glass and NARMA-10, in the literature\'s units',
  description: [
    'one-step (mackey-glass): reservoirpy\'s quick-start protocol: 2000 samples, last 20 % as test, warm-up 100; defaults 100 units, spectral radius 1.25, leak 0.3, ridge 1e-5. Reports the test RMSE (reservoirpy: 0.0020282) and NRMSE.',
    'free-run-84 (mackey-glass): Jaeger & Haas (Science 2004): 1000 units with output feedback, teacher-forced training, then per trial 1000 teacher-forced steps and 84 free-running ones; reports NRMSE84 over the trials and its log10 (theirs: -4.2).',
    'one-step (narma10): NARMA-10 identification, 2000 training and 2000 test steps; reports the test NRMSE and NMSE (NRMSE = sqrt(NMSE)). ' +
      `--echotorch runs EchoTorch's NARMA-10 example instead (410 units, 5000 training steps, a separate 2000-step test series), whose notebook printed a test NRMSE of ${ECHOTORCH_NARMA10.referenceNrmse.toFixed(3)} for one seed. ` +
      'Published figures, their units and caveats: docs/decisions/0006-echo-state-networks.md (NARMA-10).',
    'Hyperparameters not given take each protocol\'s default. The chart goes to --plot, the first trial\'s fitted network to --save.',
  ].join('\n'),
  flags: {
    ...jsonFlag,
    task: { type: 'enum', values: TASKS, default: 'mackey-glass', help: 'benchmark' },
    protocol: { type: 'enum', values: PROTOCOLS, default: 'one-step', help: 'evaluation protocol (free-run-84: Mackey-Glass only)' },
    units: { type: 'integer', min: 1, help: 'reservoir units N' },
    spectralRadius: { type: 'number', min: 0, help: 'spectral radius of W after scaling' },
    leak: { type: 'number', help: 'leak rate a in (0, 1]' },
    ridge: { type: 'number', min: 0, help: 'ridge regulariser of the readout' },
    trials: { type: 'integer', min: 1, help: 'independent trials (reservoir seed + k), averaged' },
    seed: { type: 'integer', default: 0, help: 'random seed' },
    solver: { type: 'enum', values: SOLVERS, help: 'readout solver (free-run-84): cholesky (normal equations) or qr (Householder)' },
    reservoirpyDefaults: { type: 'boolean', help: 'one-step Mackey-Glass: build the reservoir with reservoirpy\'s defaults (sparse +-1 input weights, no input to the readout)' },
    echotorch: { type: 'boolean', help: 'narma10: EchoTorch\'s NARMA-10 example (its hyperparameters, reservoir, data alignment and separate test series); --units, --spectral-radius, --leak and --ridge still override' },
    plot: { type: 'string', default: 'prediction.svg', placeholder: 'path', help: 'where to write the truth-vs-prediction chart (empty: none)' },
    save: { type: 'string', placeholder: 'path', help: 'save the first trial\'s fitted network in unfold\'s model format' },
  },
  examples: [
    'unfold esn --task mackey-glass --protocol one-step --json',
    'unfold esn --task mackey-glass --protocol free-run-84 --trials 20',
    'unfold esn --task narma10 --units 200 --trials 10',
    'unfold esn --task narma10 --echotorch --trials 10',
  ],
  async run({ flags, io }) {
    if (flags.task === 'narma10' && flags.protocol !== 'one-step') throw new UsageError('narma10 has no free-running protocol: use --protocol one-step');
    if (flags.solver !== undefined && flags.protocol !== 'free-run-84') throw new UsageError('--solver applies to --protocol free-run-84');
    if (flags.reservoirpyDefaults && !(flags.task === 'mackey-glass' && flags.protocol === 'one-step')) {
      throw new UsageError('--reservoirpy-defaults applies to --task mackey-glass --protocol one-step');
    }
    if (flags.echotorch && flags.task !== 'narma10') throw new UsageError('--echotorch applies to --task narma10');
    const report = createReporter(io, { json: flags.json, command: 'esn' });
    const common = {
      ...(flags.units === undefined ? {} : { units: flags.units }),
      ...(flags.spectralRadius === undefined ? {} : { spectralRadius: flags.spectralRadius }),
      ...(flags.leak === undefined ? {} : { leak: flags.leak }),
      ...(flags.ridge === undefined ? {} : { ridge: flags.ridge }),
      ...(flags.trials === undefined ? {} : { trials: flags.trials }),
      seed: flags.seed,
    };
    const label = `${flags.task} ${flags.protocol}`;
    const onTrial = (p: EsnTrialProgress): void => report.progress({ done: p.trial, total: p.trials, unit: 'trial', label, metrics: { value: p.value } });

    let run: EsnProtocolRun<OneStepResult | FreeRunResult | NarmaResult>;
    let summary: string;
    let axes: { x: string; y: string; title: string };
    if (flags.task === 'narma10') {
      const r = narma10({ ...common, echotorch: flags.echotorch }, onTrial);
      run = r;
      // The reference figure is shown only beside a run of the configuration that produced it.
      const sameAsEchoTorch = flags.echotorch && [flags.units, flags.spectralRadius, flags.leak, flags.ridge].every((v) => v === undefined);
      summary = `NARMA-10${flags.echotorch ? ' (EchoTorch\'s protocol)' : ''}, ${r.result.units} units, ${r.result.trials} trial(s): ` +
        `test NRMSE ${formatNumber(r.result.nrmse)} (NMSE ${formatNumber(r.result.nmse)}), ${r.result.seconds.toFixed(1)} s; ` +
        (sameAsEchoTorch
          ? `EchoTorch's narma10_esn.ipynb, same configuration, one seed: NRMSE ${ECHOTORCH_NARMA10.referenceNrmse.toFixed(3)}; other published figures: docs/decisions/0006 (NARMA-10)`
          : 'published figures and their caveats: docs/decisions/0006 (NARMA-10)');
      axes = { x: 'step', y: flags.echotorch ? 'y(t)' : 'y(t+1)', title: 'NARMA-10: truth vs ESN prediction (test)' };
    } else if (flags.protocol === 'one-step') {
      const r = oneStepMackeyGlass({ ...common, reservoirpyDefaults: flags.reservoirpyDefaults }, onTrial);
      run = r;
      summary = `Mackey-Glass one-step (reservoirpy protocol), ${r.result.units} units, ${r.result.trials} trial(s): test RMSE ${formatNumber(r.result.rmse)} ` +
        `(reservoirpy 0.0020282), NRMSE ${formatNumber(r.result.nrmse)}, ${r.result.seconds.toFixed(1)} s`;
      axes = { x: 't', y: 'x(t)', title: 'Mackey-Glass (tau 17): truth vs one-step ESN prediction (test)' };
    } else {
      const r = freeRunMackeyGlass({ ...common, ...(flags.solver === undefined ? {} : { solver: READOUT_SOLVERS[flags.solver] }) }, onTrial);
      run = r;
      summary = `Mackey-Glass free run (Jaeger & Haas 2004), ${r.result.units} units, ${r.result.trials} trial(s): NRMSE84 ${formatNumber(r.result.nrmse84)}, ` +
        `log10 ${r.result.log10Nrmse84.toFixed(2)} (Jaeger & Haas: -4.2), ${r.result.seconds.toFixed(1)} s`;
      axes = { x: 'step (0 = end of teacher forcing)', y: 'tanh(x(t) - 1)', title: 'Mackey-Glass: teacher-forced, then free-running ESN' };
    }
    const files: Record<string, string> = {};
    if (flags.plot !== '') {
      await writeFile(flags.plot, await chart(run.plot, axes));
      files['plot'] = flags.plot;
    }
    if (flags.save !== undefined) {
      await saveModelFile(flags.save, esnToModelFile(run.model));
      files['model'] = flags.save;
    }
    const lines = [summary, ...Object.entries(files).map(([kind, path]) => `${kind === 'plot' ? 'chart' : 'model'} written to ${path}`)];
    report.result({ ...run.result, ...files }, lines);
    return 0;
  },
});

async function chart(series: readonly EsnPlotSeries[], axes: { x: string; y: string; title: string }): Promise<string> {
  // Loaded on demand: Vega takes ~0.4 s to import, which no other command should pay.
  const { lineChart } = await import('../plot.js');
  return lineChart({ series, xTitle: axes.x, yTitle: axes.y, title: axes.title });
}
