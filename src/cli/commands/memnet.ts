import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/node.js';
import {
  BabiFormatError, MEMNET_TRAINING_DEFAULTS, inspectAttention, parseBabi, trainMemNet, type BabiTask, type MemNetTrainingConfig, type QAData,
} from '../../train/memnet/index.js';
import { commandGroup } from '../command-group.js';
import { defineCommand } from '../command.js';
import { UsageError } from '../flags.js';
import { hopsSvg } from '../ntm-plot.js';
import { createReporter, formatDuration, jsonFlag } from '../output.js';
import { readTextFile } from '../text-files.js';

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const trainSubcommand = defineCommand({
  name: 'memnet train',
  summary: 'train an end-to-end memory network on bAbI-style question answering (tasks 1-3, or bAbI files)',
  description:
    'Sukhbaatar et al. 2015 on generated bAbI-style stories (task 1: single supporting fact, 2: two, 3: three), 1,000 training questions as in bAbI\'s 1k sets, ' +
    'or on real bAbI files with --train-file and --test-file. Position and temporal encoding, linear start and random noise are on by default. ' +
    'Prints the accuracy on held-out questions and writes hops.svg (the attention over memory at every hop) to --out.',
  flags: {
    ...jsonFlag,
    task: { type: 'enum', values: ['1', '2', '3'], default: '1', help: 'bAbI task to generate' },
    hops: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.hops, help: 'K: memory hops' },
    embeddingSize: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.embeddingSize, help: 'd: embedding size' },
    memorySize: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.memorySize, help: 'most recent sentences kept in memory' },
    tying: { type: 'enum', values: ['adjacent', 'layerwise'], default: MEMNET_TRAINING_DEFAULTS.tying, help: 'weight tying between hops' },
    positionEncoding: { type: 'boolean', default: true, help: 'position encoding of words (else bag of words)' },
    temporalEncoding: { type: 'boolean', default: true, help: 'temporal encoding of memory slots' },
    linearStart: { type: 'boolean', default: true, help: 'start without the hops\' softmaxes (linear start)' },
    randomNoise: { type: 'number', min: 0, max: 1, default: MEMNET_TRAINING_DEFAULTS.randomNoise, help: 'share of empty memories added in training (random noise)' },
    trainSize: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.trainSize, help: 'generated training questions' },
    testSize: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.testSize, help: 'generated test questions' },
    epochs: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.epochs, help: 'passes over the training questions' },
    batch: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.batch, help: 'questions per step' },
    annealEvery: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.annealEvery, help: 'epochs between halvings of the learning rate' },
    lr: { type: 'number', min: 0, default: MEMNET_TRAINING_DEFAULTS.lr, help: 'SGD learning rate (halved every --anneal-every epochs)' },
    restarts: { type: 'integer', min: 1, default: MEMNET_TRAINING_DEFAULTS.restarts, help: 'train this many initialisations, keep the best on validation (the paper used 10)' },
    seed: { type: 'integer', default: MEMNET_TRAINING_DEFAULTS.seed, help: 'random seed' },
    trainFile: { type: 'string', placeholder: 'file', help: 'a bAbI-format training file (e.g. qa1_single-supporting-fact_train.txt)' },
    testFile: { type: 'string', placeholder: 'file', help: 'the matching bAbI test file' },
    out: { type: 'string', default: 'unfold-memnet', placeholder: 'dir', help: 'output directory for hops.svg' },
  },
  examples: ['unfold memnet train --task 1 --json', 'unfold memnet train --task 2 --hops 3', 'unfold memnet train --train-file qa2_train.txt --test-file qa2_test.txt'],
  async run({ flags, io }) {
    if ((flags.trainFile === undefined) !== (flags.testFile === undefined)) throw new UsageError('--train-file and --test-file go together');
    let data: QAData | undefined;
    if (flags.trainFile !== undefined && flags.testFile !== undefined) {
      try {
        data = { train: parseBabi(await readTextFile(flags.trainFile), flags.trainFile), test: parseBabi(await readTextFile(flags.testFile), flags.testFile) };
      } catch (e) {
        if (e instanceof BabiFormatError) throw new UsageError(e.message);
        throw e;
      }
    }
    const task = Number(flags.task) as BabiTask;
    const config: MemNetTrainingConfig = {
      ...MEMNET_TRAINING_DEFAULTS, task, hops: flags.hops, embeddingSize: flags.embeddingSize, memorySize: flags.memorySize, tying: flags.tying,
      positionEncoding: flags.positionEncoding, temporalEncoding: flags.temporalEncoding, linearStart: flags.linearStart, randomNoise: flags.randomNoise,
      trainSize: flags.trainSize, testSize: flags.testSize, epochs: flags.epochs, batch: flags.batch, annealEvery: flags.annealEvery, lr: flags.lr, restarts: flags.restarts, seed: flags.seed,
    };
    const report = createReporter(io, { json: flags.json, command: 'memnet train' });
    const { result, model, vocab, test } = trainMemNet(config, data, (p) => {
      report.progress({
        done: p.restart * config.epochs + p.epoch, total: config.restarts * config.epochs, unit: 'epoch', label: data === undefined ? `task ${task}` : 'bAbI file',
        metrics: { trainLoss: round(p.trainLoss), valAccuracy: round(p.validationAccuracy), ...(p.linear ? { linear: 1 } : {}) },
      });
    });
    await mkdir(flags.out, { recursive: true });
    const svgPath = join(flags.out, 'hops.svg');
    await writeFileAtomic(svgPath, hopsSvg(inspectAttention(model, vocab, test.slice(0, 3))));
    report.result(
      {
        task: result.task, hops: result.hops, accuracy: round(result.accuracy), trainAccuracy: round(result.trainAccuracy), seconds: round(result.seconds, 1),
        validationAccuracy: round(result.validationAccuracy), restarts: result.restarts, chosenRestart: result.chosenRestart,
        trainQuestions: result.trainQuestions, testQuestions: result.testQuestions, linearStartEnded: result.linearStartEnded, hopsSvg: svgPath,
      },
      [
        `memory network, ${result.hops} hops, ${data === undefined ? `task ${task}` : flags.trainFile}: ${(result.accuracy * 100).toFixed(1)}% of ${result.testQuestions} held-out questions right ` +
          `(training ${(result.trainAccuracy * 100).toFixed(1)}%), ${formatDuration(result.seconds)}`,
        `attention per hop: ${svgPath}`,
      ],
    );
    return 0;
  },
});

/** `unfold memnet train`: end-to-end memory networks on bAbI-style question answering. */
export const memnetCommand = commandGroup('memnet', 'end-to-end memory networks on bAbI-style question answering', [trainSubcommand]);
