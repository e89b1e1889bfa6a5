import { STANDALONE_CELL_KINDS } from '../../cells/registry.js';
import { TASK_DEFAULTS, trainDependencyTask, type DependencyTask, type TaskResult } from '../../train/index.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../flags.js';
import { jsonFlag, createReporter } from '../output.js';

const TASKS: readonly DependencyTask[] = ['adding', 'copy-memory'];

/**
 * `unfold task adding|copy-memory`: the long-term dependency benchmarks of the chapter,
 * trained within a time budget and measured on held-out sequences in the papers' units.
 */
export const taskCommand = defineCommand({
  name: 'task',
  summary: 'train on a long-term dependency benchmark (adding problem, copy memory)',
  description:
    'The adding problem (Hochreiter & Schmidhuber 1997): sum the two marked values of a length-T sequence; a constant predictor scores MSE 0.167, success is |error| < 0.04. ' +
    'Copy memory (Arjovsky et al. 2016): recall 10 symbols after T blanks; the memoryless baseline is 10 ln 8 / (T + 20) nats per step.',
  args: [{ name: 'task', help: TASKS.join(' | ') }],
  flags: {
    ...jsonFlag,
    cell: { type: 'enum', values: STANDALONE_CELL_KINDS, default: TASK_DEFAULTS.cell, help: 'recurrent cell kind' },
    length: { type: 'integer', min: 2, default: TASK_DEFAULTS.length, help: 'T: sequence length (adding) or delay (copy memory)' },
    hidden: { type: 'integer', min: 1, default: TASK_DEFAULTS.hidden, help: 'hidden units' },
    batch: { type: 'integer', min: 1, default: TASK_DEFAULTS.batch, help: 'sequences per step' },
    lr: { type: 'number', min: 0, default: TASK_DEFAULTS.lr, help: 'Adam learning rate' },
    clipNorm: { type: 'number', min: 0, default: TASK_DEFAULTS.clipNorm, help: 'global gradient-norm clip' },
    minutes: { type: 'number', min: 0, default: TASK_DEFAULTS.minutes, help: 'training time budget' },
    steps: { type: 'integer', min: 0, default: TASK_DEFAULTS.steps, help: 'at most this many optimizer steps' },
    testSize: { type: 'integer', min: 1, default: TASK_DEFAULTS.testSize, help: 'held-out test sequences' },
    seed: { type: 'integer', default: TASK_DEFAULTS.seed, help: 'random seed' },
  },
  examples: ['unfold task adding --cell lstm --length 100 --json', 'unfold task copy-memory --cell gru --length 50 --minutes 5'],
  async run({ flags, args, io }) {
    const task = args[0] as DependencyTask | undefined;
    if (task === undefined || !TASKS.includes(task)) {
      throw new UsageError(`unknown task '${task ?? ''}' (choose ${TASKS.join(' or ')})`);
    }
    const report = createReporter(io, { json: flags.json, command: 'task' });
    const result: TaskResult = trainDependencyTask({ ...flags, task }, (p) => {
      report.progress({ done: p.seconds, total: flags.minutes * 60, unit: 's', label: `${task} ${flags.cell} T=${flags.length}`, metrics: { step: p.step, loss: p.loss } });
    });
    if (result.diverged === true) report.note('training stopped: the loss or a gradient became non-finite');
    const summary = task === 'adding'
      ? [`${flags.cell} on the adding problem, T=${flags.length}: test MSE ${result.testMse?.toFixed(4)} (constant predictor 0.167), ` +
        `${((result.successRate ?? 0) * 100).toFixed(1)}% solved, ${result.sequencesSeen} sequences in ${result.seconds.toFixed(0)} s`]
      : [`${flags.cell} on copy memory, T=${flags.length}: test cross-entropy ${result.testCrossEntropy?.toFixed(4)} (baseline ${result.baseline?.toFixed(4)}), ` +
        `recall ${((result.recallAccuracy ?? 0) * 100).toFixed(1)}%, ${result.sequencesSeen} sequences in ${result.seconds.toFixed(0)} s`];
    report.result({ ...result }, summary);
    return 0;
  },
});
