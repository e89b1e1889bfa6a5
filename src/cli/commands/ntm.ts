import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModelFile, saveModelFile, writeFileAtomic } from '../../io/node.js';
import { traceNtm } from '../../models/ntm/index.js';
import { Rng } from '../../tensor/index.js';
import {
  NTMSequenceModel, NTM_TASK_DEFAULTS, NTM_TRAINING_DEFAULTS, TASK_SHAPES, algorithmicBatch, evaluateAlgorithmic, loadAlgorithmicModel, trainAlgorithmicTask,
  type AlgorithmicModel, type AlgorithmicTask, type NTMCurvePoint, type NTMTrainingConfig,
} from '../../train/ntm/index.js';
import { commandGroup } from '../command-group.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../flags.js';
import { createReporter, formatDuration, jsonFlag } from '../output.js';
import { memorySvg } from '../ntm-plot.js';

const TASKS: readonly AlgorithmicTask[] = ['copy', 'repeat-copy', 'associative-recall'];
const MODEL_FILE = 'model.safetensors';
/**
 * The LSTM baseline's default batch: a 3 x 256 LSTM run one sequence at a time spends its
 * time in per-call overhead (5 sequences a second here, against 13-18 in batches of 16), so
 * the baseline's 20,000 sequences would take over an hour.
 */
const LSTM_BASELINE_BATCH = 16;

/** `--model` may name the output directory of `unfold ntm train` or a model file. */
async function resolveModelPath(path: string): Promise<string> {
  try {
    if ((await stat(path)).isDirectory()) return join(path, MODEL_FILE);
  } catch {
    // A missing path is reported by loadModelFile with its name.
  }
  return path;
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** memory.svg of one example of `size` (the NTM only: the LSTM baseline has no memory to draw). */
async function writeMemorySvg(path: string, model: AlgorithmicModel, task: AlgorithmicTask, size: number, seed: number): Promise<boolean> {
  if (!(model instanceof NTMSequenceModel)) return false;
  const batch = algorithmicBatch(task, [size], new Rng(seed));
  const caption = task === 'associative-recall' ? `${task}, ${size} items` : `${task}, length ${size}`;
  await writeFileAtomic(path, await memorySvg(traceNtm(model.cell, batch.inputs), caption));
  return true;
}

async function writeCurveSvg(path: string, curve: readonly NTMCurvePoint[], title: string): Promise<void> {
  const { lineChart } = await import('../plot.js');
  await writeFileAtomic(path, await lineChart({
    title, xTitle: 'training sequences', yTitle: 'bits per sequence (validation)', logY: true,
    series: [{ name: 'validation', x: curve.map((p) => p.sequences), y: curve.map((p) => p.validation.bitsPerSequence) }],
  }));
}

const trainSubcommand = defineCommand({
  name: 'ntm train',
  summary: 'train a neural Turing machine (or the LSTM baseline) on copy, repeat copy or associative recall',
  description:
    'The algorithmic tasks of Graves et al. 2014, generated from a seed. Sequences are batched with their own lengths; the loss is the binary cross-entropy of the output bits. ' +
    'Training stops at --sequences, --minutes, or when the validation cost falls below --target-bits bits per sequence (Graves\' "cost per sequence"); the final figures are measured on --test-size fresh sequences. ' +
    'Writes model.safetensors, curve.svg and (NTM) memory.svg to --out. The recipe is docs/decisions/0008-ntm-recipe.md.',
  flags: {
    ...jsonFlag,
    task: { type: 'enum', values: TASKS, default: NTM_TRAINING_DEFAULTS.task, help: 'which task' },
    model: { type: 'enum', values: ['ntm', 'lstm'], default: NTM_TRAINING_DEFAULTS.model, help: 'neural Turing machine or the LSTM baseline' },
    controller: { type: 'enum', values: ['lstm', 'ff'], default: NTM_TRAINING_DEFAULTS.controller, help: 'NTM controller: LSTM or feed-forward' },
    controllerSize: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.controllerSize, help: 'controller units' },
    memorySlots: { type: 'integer', min: 3, default: NTM_TRAINING_DEFAULTS.memorySlots, help: 'N: memory slots' },
    memoryWidth: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.memoryWidth, help: 'M: values per slot' },
    readHeads: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.readHeads, help: 'read heads' },
    writeHeads: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.writeHeads, help: 'write heads' },
    shiftRange: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.shiftRange, help: 'r: heads shift by -r..r slots' },
    memoryInit: { type: 'enum', values: ['constant', 'learned', 'random'], default: NTM_TRAINING_DEFAULTS.memoryInit, help: 'initial memory' },
    clip: { type: 'number', min: 0, default: NTM_TRAINING_DEFAULTS.clip, help: "clip of the controller's outputs (0: off)" },
    lstmHidden: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.lstmHidden, help: 'LSTM baseline: units per layer' },
    lstmLayers: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.lstmLayers, help: 'LSTM baseline: layers' },
    batch: { type: 'integer', min: 1, help: `sequences per step (default: ${NTM_TRAINING_DEFAULTS.batch} for the NTM, ${LSTM_BASELINE_BATCH} for the LSTM baseline)` },
    optimizer: { type: 'enum', values: ['adam', 'rmsprop'], default: NTM_TRAINING_DEFAULTS.optimizer, help: 'Adam, or RMSprop in Graves\' centred form with momentum 0.9' },
    lr: { type: 'number', min: 0, default: NTM_TRAINING_DEFAULTS.lr, help: 'learning rate' },
    clipNorm: { type: 'number', min: 0, default: NTM_TRAINING_DEFAULTS.clipNorm, help: 'global gradient-norm clip' },
    curriculum: { type: 'boolean', default: NTM_TRAINING_DEFAULTS.curriculum, help: 'grow the training lengths as the shorter ones are mastered' },
    curriculumStart: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.curriculumStart, help: 'size the curriculum starts at' },
    curriculumThreshold: { type: 'number', min: 0, default: NTM_TRAINING_DEFAULTS.curriculumThreshold, help: 'bit error rate below which the curriculum advances' },
    curriculumExplore: { type: 'number', min: 0, max: 1, default: NTM_TRAINING_DEFAULTS.curriculumExplore, help: 'share of examples drawn from the whole range regardless' },
    sequences: { type: 'integer', min: 1, help: `stop after this many training sequences (default: ${NTM_TASK_DEFAULTS.copy.sequences}; associative recall ${NTM_TASK_DEFAULTS['associative-recall'].sequences})` },
    minutes: { type: 'number', min: 0, default: NTM_TRAINING_DEFAULTS.minutes, help: 'stop after this much training time' },
    targetBits: { type: 'number', min: 0, help: `stop when validation bits per sequence fall below this (0: never; default: ${NTM_TASK_DEFAULTS.copy.targetBits}; associative recall ${NTM_TASK_DEFAULTS['associative-recall'].targetBits})` },
    evalEvery: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.evalEvery, help: 'training sequences between validations' },
    validationSize: { type: 'integer', min: 1, default: NTM_TRAINING_DEFAULTS.validationSize, help: 'validation sequences' },
    testSize: { type: 'integer', min: 1, default: 1000, help: 'fresh test sequences for the final figures' },
    seed: { type: 'integer', default: NTM_TRAINING_DEFAULTS.seed, help: 'random seed' },
    out: { type: 'string', default: 'unfold-ntm', placeholder: 'dir', help: 'output directory' },
  },
  examples: [
    'unfold ntm train --task copy --json',
    'unfold ntm train --task copy --model lstm --sequences 20000',
    'unfold ntm train --task associative-recall --controller ff --out runs/recall',
  ],
  async run({ flags, io }) {
    const report = createReporter(io, { json: flags.json, command: 'ntm train' });
    const { json, testSize, out, batch, sequences, targetBits, ...rest } = flags;
    void json;
    const byTask = NTM_TASK_DEFAULTS[rest.task];
    const config: NTMTrainingConfig = {
      ...NTM_TRAINING_DEFAULTS, ...rest,
      batch: batch ?? (rest.model === 'lstm' ? LSTM_BASELINE_BATCH : NTM_TRAINING_DEFAULTS.batch),
      sequences: sequences ?? byTask.sequences, targetBits: targetBits ?? byTask.targetBits,
    };
    await mkdir(out, { recursive: true });
    const shape = TASK_SHAPES[config.task];
    if (!flags.json) io.err(`training ${config.model === 'ntm' ? `an NTM (${config.controller} controller, ${config.memorySlots} x ${config.memoryWidth} memory)` : `an LSTM baseline (${config.lstmLayers} x ${config.lstmHidden})`} on ${config.task}, sizes ${shape.minSize}-${shape.maxSize}; output in ${out}/`);
    const { result, trainer } = trainAlgorithmicTask(config, (p) => {
      report.progress({
        done: p.sequences, total: config.sequences, unit: 'seq', label: `${config.task} ${config.model}`,
        metrics: { trainBits: round(p.trainBits, 3), curriculum: p.curriculum, ...(p.validation === undefined ? {} : { valBits: round(p.validation.bitsPerSequence, 3) }) },
      });
      if (p.validation !== undefined && !flags.json) {
        report.note(`${p.sequences} sequences (${formatDuration(p.seconds)}): validation ${p.validation.bitsPerSequence.toFixed(3)} bits/seq, ${(p.validation.bitErrorRate * 100).toFixed(2)}% wrong bits, curriculum ${p.curriculum}`);
      }
    });
    if (result.diverged === true) report.note('training stopped: the loss or a gradient became non-finite');
    const test = evaluateAlgorithmic(trainer.model, config.task, Array.from({ length: shape.maxSize - shape.minSize + 1 }, (_, i) => shape.minSize + i), testSize, new Rng(config.seed + 104_729));
    await saveModelFile(join(out, MODEL_FILE), trainer.modelFile());
    await writeCurveSvg(join(out, 'curve.svg'), trainer.curve, `${config.model.toUpperCase()} on ${config.task}`);
    const drew = await writeMemorySvg(join(out, 'memory.svg'), trainer.model, config.task, shape.maxSize, config.seed + 3);
    report.result(
      {
        task: config.task, model: config.model, bitsPerSequence: round(test.bitsPerSequence, 5), bitErrorRate: round(test.bitErrorRate, 6),
        wrongBitsPerSequence: round(test.wrongBitsPerSequence, 4), sequencesSeen: result.sequencesSeen, seconds: round(result.seconds, 1),
        reachedTarget: result.reachedTarget, validationBitsPerSequence: round(result.validation.bitsPerSequence, 5), testSequences: test.sequences, out,
      },
      [
        `${config.model.toUpperCase()} on ${config.task}: ${test.bitsPerSequence.toFixed(4)} bits per sequence, ${(test.bitErrorRate * 100).toFixed(3)}% wrong bits on ${test.sequences} test sequences (sizes ${shape.minSize}-${shape.maxSize})`,
        `trained on ${result.sequencesSeen} sequences in ${formatDuration(result.seconds)}${result.reachedTarget ? ` (validation below ${config.targetBits} bits per sequence)` : ''}`,
        `model: ${join(out, MODEL_FILE)}  curve: ${join(out, 'curve.svg')}${drew ? `  memory: ${join(out, 'memory.svg')}` : ''}`,
        `try: unfold ntm eval --model ${out} --length ${shape.maxSize * 2}`,
      ],
    );
    return 0;
  },
});

const evalSubcommand = defineCommand({
  name: 'ntm eval',
  summary: 'measure a trained NTM or LSTM baseline on sequences of one length (generalisation beyond training)',
  flags: {
    ...jsonFlag,
    model: { type: 'string', placeholder: 'path', help: 'model file or the output directory of unfold ntm train' },
    length: { type: 'integer', min: 1, help: 'sequence length (copy, repeat copy) or number of items (associative recall)' },
    count: { type: 'integer', min: 1, default: 200, help: 'test sequences' },
    seed: { type: 'integer', default: 12345, help: 'seed of the test sequences' },
    svg: { type: 'string', placeholder: 'file', help: "write the NTM's read and write weightings on one test sequence to this SVG" },
  },
  examples: ['unfold ntm eval --model unfold-ntm --length 40 --json', 'unfold ntm eval --model unfold-ntm --length 40 --svg memory-40.svg'],
  async run({ flags, io }) {
    if (flags.model === undefined) throw new UsageError("'ntm eval' needs --model (a model file or the output directory of unfold ntm train)");
    if (flags.length === undefined) throw new UsageError("'ntm eval' needs --length");
    const { model, config } = loadAlgorithmicModel(await loadModelFile(await resolveModelPath(flags.model)));
    const min = TASK_SHAPES[config.task].minSize;
    if (flags.length < min) throw new UsageError(`--length must be at least ${min} for ${config.task}`);
    const metrics = evaluateAlgorithmic(model, config.task, [flags.length], flags.count, new Rng(flags.seed));
    if (flags.svg !== undefined && !(await writeMemorySvg(flags.svg, model, config.task, flags.length, flags.seed))) {
      io.err('unfold: --svg draws the memory of an NTM; this model is the LSTM baseline');
    }
    createReporter(io, { json: flags.json, command: 'ntm eval' }).result(
      { task: config.task, model: config.model, length: flags.length, bitErrorRate: round(metrics.bitErrorRate, 6), bitsPerSequence: round(metrics.bitsPerSequence, 5), wrongBitsPerSequence: round(metrics.wrongBitsPerSequence, 4), sequences: metrics.sequences },
      [`${config.model.toUpperCase()} on ${config.task} at ${config.task === 'associative-recall' ? `${flags.length} items` : `length ${flags.length}`}: ${(metrics.bitErrorRate * 100).toFixed(3)}% wrong bits, ${metrics.bitsPerSequence.toFixed(4)} bits per sequence (${metrics.sequences} sequences)`],
    );
    return 0;
  },
});

/** `unfold ntm train|eval`: neural Turing machines on Graves et al. 2014's algorithmic tasks. */
export const ntmCommand = commandGroup('ntm', 'neural Turing machines (and an LSTM baseline) on copy, repeat copy and associative recall', [trainSubcommand, evalSubcommand]);
