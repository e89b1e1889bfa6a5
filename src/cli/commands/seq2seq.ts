import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { STANDALONE_CELL_KINDS } from '../../cells/registry.js';
import { loadModelFile, saveModelFile, writeFileAtomic } from '../../io/node.js';
import { ATTENTION_KINDS, CONTEXT_MODES, SEQ2SEQ_DEFAULTS } from '../../models/seq2seq/index.js';
import { Rng } from '../../tensor/index.js';
import { DivergenceError, TextError, decodeUtf8, firstInvalidUtf8 } from '../../train/index.js';
import {
  SEQ2SEQ_TASKS, SEQ2SEQ_TRAINING_DEFAULTS, Seq2SeqTrainer, Seq2SeqVocabulary, SEQ2SEQ_TASK_DEFAULTS, createSeq2SeqTask, evaluatePairs,
  loadSeq2SeqModel, parsePairs, splitOf, translate,
  type Seq2SeqPair, type Seq2SeqSplit, type Seq2SeqPairSampler, type Seq2SeqEvaluation, type Seq2SeqTaskName, type Seq2SeqTrainingConfig, type TranslateOptions,
} from '../../train/seq2seq/index.js';
import { attentionSvg } from '../attention-svg.js';
import { defineCommand, type CliIO, type Command } from '../command.js';
import { UsageError } from '../flags.js';
import { createReporter, formatDuration, jsonFlag } from '../output.js';

const MODEL_FILE = 'model.safetensors';
const ATTENTION_FILE = 'attention.svg';
/** Held-out pairs used to decide when to stop (never the test pairs). */
const VALIDATION_SIZE = 500;

/** Where training and test pairs come from. */
interface Data {
  readonly name: string;
  readonly sourceVocab: Seq2SeqVocabulary;
  readonly targetVocab: Seq2SeqVocabulary;
  readonly sample: Seq2SeqPairSampler;
  readonly validation: Seq2SeqPair[];
  readonly test: Seq2SeqPair[];
  /** Pairs of a kind never trained on (reversal lengths beyond the trained ones), or empty. */
  readonly unseen: Seq2SeqPair[];
  /** True for sources training must skip (validation and test). */
  readonly exclude: (source: string) => boolean;
}

/** Draws n distinct-source pairs that are not in `taken`, adding them to it. */
function drawDistinct(n: number, draw: () => Seq2SeqPair, taken: Set<string>): Seq2SeqPair[] {
  const out: Seq2SeqPair[] = [];
  for (let tries = 0; out.length < n && tries < 100 * n; tries++) {
    const p = draw();
    if (taken.has(p.source)) continue;
    taken.add(p.source);
    out.push(p);
  }
  return out;
}

async function readPairsFile(path: string): Promise<Seq2SeqPair[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new TextError(`${path}: no such file`);
  }
  if (info.isDirectory()) throw new TextError(`${path} is a directory; give a source<TAB>target file`);
  const bytes = await readFile(path);
  return parsePairs(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

const trainCommand = defineCommand({
  name: 'seq2seq train',
  summary: 'train an encoder-decoder model (with attention) on a generated task or a pairs file',
  description:
    'Tasks: reverse (abc -> cba, lengths --min-length..--max-length; lengths up to --unseen-max-length are measured but never trained), ' +
    'addition ("123+45" -> "168", up to --max-digits per operand), dates (18 human formats -> ISO 8601). ' +
    'Held out from training: 5 % of a task\'s input space for the test and 5 % for validation (a seeded hash of the source decides). ' +
    'Or --pairs FILE: one source<TAB>target per line, any UTF-8; a seeded --test-fraction is held out.\n' +
    'Trains with teacher forcing (or --feedback scheduled) until --minutes, --steps, or validation exact match reaches --stop-at; ' +
    'then decodes the held-out test pairs (--beam K) and reports exact match, token accuracy and accuracy by source length. ' +
    `Writes ${MODEL_FILE} (for unfold seq2seq translate) and ${ATTENTION_FILE} to --out.`,
  flags: {
    ...jsonFlag,
    task: { type: 'enum', values: SEQ2SEQ_TASKS, help: 'generated task (or give --pairs)' },
    pairs: { type: 'string', placeholder: 'file.tsv', help: 'source<TAB>target lines to learn instead of a task' },
    cell: { type: 'enum', values: STANDALONE_CELL_KINDS, default: SEQ2SEQ_DEFAULTS.cell, help: 'encoder (and decoder) cell kind' },
    decoderCell: { type: 'enum', values: STANDALONE_CELL_KINDS, help: 'decoder cell kind (default: --cell)' },
    hidden: { type: 'integer', min: 1, default: SEQ2SEQ_DEFAULTS.hidden, help: 'hidden units per encoder layer and direction' },
    decoderHidden: { type: 'integer', min: 1, help: 'decoder hidden units (default: encoder output size)' },
    embedding: { type: 'integer', min: 1, default: SEQ2SEQ_DEFAULTS.embedding, help: 'symbol embedding size' },
    encoderLayers: { type: 'integer', min: 1, default: SEQ2SEQ_DEFAULTS.encoderLayers, help: 'stacked encoder layers' },
    bidirectional: { type: 'boolean', default: SEQ2SEQ_DEFAULTS.bidirectional, help: 'bidirectional encoder (--no-bidirectional: forward only)' },
    dropout: { type: 'number', min: 0, max: 0.99, default: SEQ2SEQ_DEFAULTS.dropout, help: 'dropout between encoder layers and before the output layer' },
    attention: { type: 'enum', values: ['none', ...ATTENTION_KINDS] as const, default: SEQ2SEQ_DEFAULTS.attention, help: 'attention: additive (Bahdanau), dot or general (Luong), none' },
    attentionSize: { type: 'integer', min: 1, default: SEQ2SEQ_DEFAULTS.attentionSize, help: 'hidden units of additive attention\'s scorer' },
    context: { type: 'enum', values: CONTEXT_MODES, default: SEQ2SEQ_DEFAULTS.context, help: 'the encoder summary C conditions the decoder as its initial state, an input at every step, both, or not at all' },
    inputFeeding: { type: 'boolean', default: SEQ2SEQ_DEFAULTS.inputFeeding, help: 'feed the previous attentional vector back into the decoder' },
    feedback: { type: 'enum', values: ['teacher', 'scheduled'] as const, default: SEQ2SEQ_TRAINING_DEFAULTS.feedback, help: 'teacher forcing, or scheduled sampling (truth with probability k/(k+exp(step/k)))' },
    samplingDecay: { type: 'number', min: 1, default: SEQ2SEQ_TRAINING_DEFAULTS.samplingDecay, help: 'k of scheduled sampling\'s decay' },
    batch: { type: 'integer', min: 1, default: SEQ2SEQ_TRAINING_DEFAULTS.batch, help: 'pairs per step' },
    lr: { type: 'number', min: 0, default: SEQ2SEQ_TRAINING_DEFAULTS.lr, help: 'Adam learning rate' },
    clipNorm: { type: 'number', min: 0, default: SEQ2SEQ_TRAINING_DEFAULTS.clipNorm, help: 'clip the global gradient norm (0: off)' },
    patience: { type: 'integer', min: 1, default: SEQ2SEQ_TRAINING_DEFAULTS.patience, help: 'validations without improvement before the learning rate is halved' },
    minutes: { type: 'number', min: 0, default: 10, help: 'training time budget' },
    steps: { type: 'integer', min: 1, help: 'stop after this many steps' },
    stopAt: { type: 'number', min: 0, max: 1, default: 1, help: 'stop once validation exact match reaches this' },
    evalEvery: { type: 'integer', min: 1, default: 100, help: 'steps between validation measurements (and model saves)' },
    testSize: { type: 'integer', min: 1, default: 2000, help: 'held-out test pairs of a task' },
    testFraction: { type: 'number', min: 0.001, max: 0.5, default: 0.1, help: 'fraction of a pairs file held out for the test' },
    minLength: { type: 'integer', min: 1, default: SEQ2SEQ_TASK_DEFAULTS.minLength, help: 'reverse: shortest trained source' },
    maxLength: { type: 'integer', min: 1, default: SEQ2SEQ_TASK_DEFAULTS.maxLength, help: 'reverse: longest trained source' },
    unseenMaxLength: { type: 'integer', min: 0, default: SEQ2SEQ_TASK_DEFAULTS.unseenMaxLength, help: 'reverse: also test lengths max-length+1..this, never trained' },
    maxDigits: { type: 'integer', min: 1, max: 15, default: SEQ2SEQ_TASK_DEFAULTS.maxDigits, help: 'addition: most digits per operand' },
    beam: { type: 'integer', min: 1, default: 1, help: 'beam width for the test decoding (1: greedy)' },
    lengthPenalty: { type: 'number', min: 0, default: 0, help: 'beam search length normalisation alpha' },
    seed: { type: 'integer', default: SEQ2SEQ_TRAINING_DEFAULTS.seed, help: 'random seed (model, data, held-out split)' },
    out: { type: 'string', default: 'unfold-seq2seq', placeholder: 'dir', help: 'output directory' },
  },
  examples: [
    'unfold seq2seq train --task addition --json',
    'unfold seq2seq train --task reverse --attention additive --minutes 5',
    'unfold seq2seq train --pairs pairs.tsv --cell lstm --hidden 256 --out runs/mt',
  ],
  async run({ flags, io }) {
    if ((flags.task === undefined) === (flags.pairs === undefined)) throw new UsageError("'seq2seq train' needs exactly one of --task (reverse, addition, dates) or --pairs FILE");
    const report = createReporter(io, { json: flags.json, command: 'seq2seq train' });
    const started = performance.now();
    const data = flags.pairs === undefined ? taskData(flags.task as Seq2SeqTaskName, flags) : await fileData(flags.pairs, flags.testFraction, flags.seed);
    const config: Seq2SeqTrainingConfig = {
      model: {
        ...SEQ2SEQ_DEFAULTS,
        cell: flags.cell, hidden: flags.hidden, embedding: flags.embedding, encoderLayers: flags.encoderLayers, bidirectional: flags.bidirectional,
        dropout: flags.dropout, attention: flags.attention, attentionSize: flags.attentionSize, context: flags.context, inputFeeding: flags.inputFeeding,
        ...(flags.decoderCell === undefined ? {} : { decoderCell: flags.decoderCell }),
        ...(flags.decoderHidden === undefined ? {} : { decoderHidden: flags.decoderHidden }),
      },
      batch: flags.batch, lr: flags.lr, clipNorm: flags.clipNorm, feedback: flags.feedback, samplingDecay: flags.samplingDecay, patience: flags.patience, seed: flags.seed,
    };
    const trainer = Seq2SeqTrainer.create(config, data.sourceVocab, data.targetVocab, data.sample, data.exclude);
    await mkdir(flags.out, { recursive: true });
    const modelPath = join(flags.out, MODEL_FILE);
    const save = (): Promise<void> => saveModelFile(modelPath, trainer.modelFile({ task: data.name }));
    if (!flags.json) {
      io.err(`training on ${data.name}: ${data.sourceVocab.size - 3} source and ${data.targetVocab.size - 3} target symbols, ` +
        `${trainer.model.numParameters().toLocaleString('en-US')} parameters, ${data.test.length} test pairs; output in ${flags.out}/`);
    }

    const budgetMs = flags.minutes * 60_000;
    const maxSteps = flags.steps ?? Infinity;
    let interrupted = false;
    const onSigint = (): void => {
      interrupted = true;
    };
    process.once('SIGINT', onSigint);
    const trainStart = performance.now();
    let lossSum = 0;
    let lossCount = 0;
    let loss = Number.NaN;
    let trainSeconds: number;
    try {
      while (trainer.steps < maxSteps && performance.now() - trainStart < budgetMs && !interrupted) {
        lossSum += trainer.step();
        lossCount++;
        const elapsed = (performance.now() - trainStart) / 1000;
        const last = trainer.steps >= maxSteps || elapsed * 1000 >= budgetMs;
        if (trainer.steps % flags.evalEvery === 0 || last) {
          loss = lossSum / lossCount;
          lossSum = 0;
          lossCount = 0;
          const validation = evaluatePairs(trainer.model, data.sourceVocab, data.targetVocab, data.validation).exactMatch;
          // The file always holds the best model so far: a crash or Ctrl-C loses nothing that counted.
          if (trainer.observe(validation)) await save();
          report.progress({ done: round(elapsed / 60), total: flags.minutes, unit: 'min', label: `step ${trainer.steps}`, metrics: { loss: round(loss), validationExactMatch: round(validation) } });
          if (!flags.json) report.note(`step ${trainer.steps}  loss ${loss.toFixed(4)} nats/symbol  validation exact match ${(validation * 100).toFixed(1)}%  (${formatDuration(elapsed)})`);
          if (validation >= flags.stopAt) break;
        } else if (!flags.json) {
          report.progress({ done: round(elapsed / 60), total: flags.minutes, unit: 'min', label: `step ${trainer.steps}`, metrics: { loss: round(lossSum / lossCount) } });
        }
        // Yield so a Ctrl-C (SIGINT) is seen between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      report.note(`unfold: ${e.message}`);
      return 1;
    } finally {
      trainSeconds = (performance.now() - trainStart) / 1000;
      process.removeListener('SIGINT', onSigint);
    }
    if (interrupted) report.note('interrupted: evaluating the best model so far');
    trainer.restoreBest();
    await save();

    const decoding: TranslateOptions = { beamWidth: flags.beam, lengthPenalty: flags.lengthPenalty };
    const test = evaluatePairs(trainer.model, data.sourceVocab, data.targetVocab, data.test, decoding);
    const unseen = data.unseen.length > 0 ? evaluatePairs(trainer.model, data.sourceVocab, data.targetVocab, data.unseen, decoding) : null;
    const examples = translate(trainer.model, data.sourceVocab, data.targetVocab, pickExamples(data.test, 3).map((p) => p.source), { ...decoding, returnAttention: true });
    if (trainer.model.attention !== null) {
      await writeFileAtomic(join(flags.out, ATTENTION_FILE), await attentionSvg(examples.map((t) => ({
        source: [...t.source], output: [...t.output, ...(t.finished ? ['</s>'] : [])], weights: t.attention ?? [],
      })), `Attention of the ${data.name} model`));
    }
    const seconds = (performance.now() - started) / 1000;
    const summary = [
      `${data.name}: exact match ${pct(test.exactMatch)}, token accuracy ${pct(test.tokenAccuracy)} on ${test.pairs} held-out pairs` +
        ` (${flags.beam > 1 ? `beam ${flags.beam}` : 'greedy'}), after ${trainer.steps} steps (${formatDuration(trainSeconds)} training, ${formatDuration(seconds)} in all)`,
      ...(unseen === null ? [] : [`never-trained lengths ${Math.min(...Object.keys(unseen.byLength).map(Number))}-${Math.max(...Object.keys(unseen.byLength).map(Number))}: exact match ${pct(unseen.exactMatch)}, token accuracy ${pct(unseen.tokenAccuracy)}`]),
      'by source length: ' + Object.entries(test.byLength).map(([n, f]) => `${n}:${pct(f.exactMatch)}`).join(' '),
      ...examples.map((t) => `  ${t.source} -> ${t.output}`),
      `model: ${modelPath}${trainer.model.attention !== null ? `  attention: ${join(flags.out, ATTENTION_FILE)}` : ''}`,
      `try: echo '${data.test[0]?.source ?? ''}' | unfold seq2seq translate --model ${flags.out}`,
    ];
    report.result({
      task: data.name, exactMatch: round(test.exactMatch), tokenAccuracy: round(test.tokenAccuracy), byLength: roundFigures(test.byLength),
      ...(unseen === null ? {} : { unseen: { exactMatch: round(unseen.exactMatch), tokenAccuracy: round(unseen.tokenAccuracy), byLength: roundFigures(unseen.byLength) } }),
      testPairs: test.pairs, validationExactMatch: round(trainer.bestScore), bestStep: trainer.bestStep, loss: round(loss), steps: trainer.steps, pairsSeen: trainer.pairsSeen,
      beam: flags.beam, trainSeconds: round(trainSeconds), seconds: round(seconds), out: flags.out,
    }, summary);
    return 0;
  },
});

/**
 * The generated task's data: the input space is split by a seeded hash of the source
 * (`splitOf`: 5 % test, 5 % validation, the rest for training), and distinct test and
 * validation pairs are drawn from their parts of it with a stream of their own.
 */
function taskData(name: Seq2SeqTaskName, flags: { minLength: number; maxLength: number; unseenMaxLength: number; maxDigits: number; testSize: number; seed: number }): Data {
  const task = createSeq2SeqTask(name, { minLength: flags.minLength, maxLength: flags.maxLength, unseenMaxLength: flags.unseenMaxLength, maxDigits: flags.maxDigits });
  const rng = new Rng(flags.seed * 7919 + 104_729);
  const from = (split: Seq2SeqSplit) => (): Seq2SeqPair => {
    for (;;) {
      const p = task.sample(rng);
      if (splitOf(p.source, flags.seed) === split) return p;
    }
  };
  const test = drawDistinct(flags.testSize, from('test'), new Set());
  const validation = drawDistinct(VALIDATION_SIZE, from('validation'), new Set());
  const unseenDraw = task.sampleUnseen;
  const unseen = unseenDraw === undefined ? [] : drawDistinct(Math.min(flags.testSize, 1000), () => unseenDraw(rng), new Set());
  return {
    name, sourceVocab: new Seq2SeqVocabulary([...task.sourceSymbols]), targetVocab: new Seq2SeqVocabulary([...task.targetSymbols]),
    sample: task.sample, validation, test, unseen, exclude: (source) => splitOf(source, flags.seed) !== 'train',
  };
}

/** A pairs file's data: a seeded shuffle, the test fraction and a validation slice held out, the rest drawn uniformly. */
async function fileData(path: string, testFraction: number, seed: number): Promise<Data> {
  const pairs = await readPairsFile(path);
  const text = pairs.map((p) => p.source).join('');
  const targets = pairs.map((p) => p.target).join('');
  const shuffled = new Rng(seed * 7919 + 104_729).shuffle([...pairs]);
  const nTest = Math.max(1, Math.round(shuffled.length * testFraction));
  const nVal = Math.min(VALIDATION_SIZE, Math.max(1, Math.round(shuffled.length * 0.05)));
  if (shuffled.length - nTest - nVal < 1) throw new TextError(`${path} has ${pairs.length} pairs: too few to hold out test and validation pairs and still train`);
  const test = shuffled.slice(0, nTest);
  const validation = shuffled.slice(nTest, nTest + nVal);
  const train = shuffled.slice(nTest + nVal);
  return {
    name: path, sourceVocab: Seq2SeqVocabulary.fromText(text), targetVocab: Seq2SeqVocabulary.fromText(targets),
    sample: (rng) => train[rng.int(train.length)] as Seq2SeqPair, validation, test, unseen: [], exclude: () => false,
  };
}

/** A short, a middling and a long example, for the attention picture. */
function pickExamples(pairs: readonly Seq2SeqPair[], n: number): Seq2SeqPair[] {
  const sorted = [...pairs].sort((a, b) => a.source.length - b.source.length);
  if (sorted.length <= n) return sorted;
  return Array.from({ length: n }, (_, i) => sorted[Math.round((i * (sorted.length - 1)) / (n - 1))] as Seq2SeqPair);
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

function roundFigures(byLength: Seq2SeqEvaluation['byLength']): Record<string, { pairs: number; exactMatch: number; tokenAccuracy: number }> {
  return Object.fromEntries(Object.entries(byLength).map(([k, f]) => [k, { pairs: f.pairs, exactMatch: round(f.exactMatch), tokenAccuracy: round(f.tokenAccuracy) }]));
}

/** `--model` may name the output directory of `seq2seq train` or a model file. */
async function resolveModelPath(path: string): Promise<string> {
  try {
    if ((await stat(path)).isDirectory()) return join(path, MODEL_FILE);
  } catch {
    // A missing path is reported by loadModelFile with its name.
  }
  return path;
}

/**
 * Lines of UTF-8 from a file or stdin, in batches as they arrive (a pipe delivers what is
 * there; an interactive terminal a line at a time). Each line is checked strictly; an
 * invalid one is a TextError with its line number and byte offset.
 */
async function* readLines(input: string): AsyncGenerator<string[]> {
  if (input !== '-') {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new TextError(`${input}: no such file`);
    }
    if (info.isDirectory()) throw new TextError(`${input} is a directory; give a text file with one source per line`);
  }
  const stream = input === '-' ? process.stdin : createReadStream(input);
  let pending = new Uint8Array(0);
  let line = 0;
  let offset = 0;
  const decode = (bytes: Uint8Array): string => {
    line++;
    const bad = firstInvalidUtf8(bytes);
    if (bad !== -1) throw new TextError(`${input === '-' ? 'stdin' : input}: line ${line}: invalid UTF-8 at byte ${offset + bad}`);
    offset += bytes.length + 1;
    const text = decodeUtf8(bytes);
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const joined = new Uint8Array(pending.length + chunk.length);
    joined.set(pending);
    joined.set(chunk, pending.length);
    const lines: string[] = [];
    let start = 0;
    for (let nl = joined.indexOf(0x0a); nl !== -1; nl = joined.indexOf(0x0a, start)) {
      lines.push(decode(joined.subarray(start, nl)));
      start = nl + 1;
    }
    pending = joined.slice(start);
    if (lines.length > 0) yield lines;
  }
  if (pending.length > 0) yield [decode(pending)];
}

const translateCommand = defineCommand({
  name: 'seq2seq translate',
  summary: 'translate lines of stdin (or --input) with a trained seq2seq model',
  description:
    'Reads one source per line (UTF-8) and prints one output per line, as lines arrive. Greedy decoding by default; --beam K for beam search, ' +
    '--sample for sampling (with --temperature, --top-k, --top-p). Every output costs one decoder step per symbol. Empty lines stay empty.',
  flags: {
    ...jsonFlag,
    model: { type: 'string', placeholder: 'path', help: 'model file or the output directory of seq2seq train' },
    input: { type: 'string', default: '-', placeholder: 'file', help: 'read sources from this file instead of stdin' },
    beam: { type: 'integer', min: 1, default: 1, help: 'beam width (1: greedy)' },
    lengthPenalty: { type: 'number', min: 0, default: 0, help: 'beam search length normalisation alpha: ((5 + n) / 6)^alpha' },
    maxLength: { type: 'integer', min: 1, help: 'most output symbols (default: 2 x source length + 10)' },
    sample: { type: 'boolean', help: 'sample outputs instead of searching' },
    temperature: { type: 'number', min: 0, default: 1, help: 'sampling temperature' },
    topK: { type: 'integer', min: 0, default: 0, help: 'sample among the k most likely symbols (0: all)' },
    topP: { type: 'number', min: 0.0001, max: 1, default: 1, help: 'nucleus sampling mass (1: all)' },
    seed: { type: 'integer', default: 1, help: 'random seed for --sample' },
  },
  examples: ["echo '123+45' | unfold seq2seq translate --model unfold-seq2seq", 'unfold seq2seq translate --model runs/mt --input sources.txt --beam 5 --json'],
  async run({ flags, io }) {
    if (flags.model === undefined) throw new UsageError("'seq2seq translate' needs --model (a model file or the output directory of seq2seq train)");
    if (flags.sample && flags.beam > 1) throw new UsageError("'seq2seq translate': --sample and --beam > 1 are two different decoders; choose one");
    const { model, sourceVocab, targetVocab } = loadSeq2SeqModel(await loadModelFile(await resolveModelPath(flags.model)));
    const report = createReporter(io, { json: flags.json, command: 'seq2seq translate' });
    const options: TranslateOptions = {
      beamWidth: flags.beam, lengthPenalty: flags.lengthPenalty,
      ...(flags.maxLength === undefined ? {} : { maxLength: flags.maxLength }),
      ...(flags.sample ? { sampling: { temperature: flags.temperature, topK: flags.topK, topP: flags.topP, rng: new Rng(flags.seed) } } : {}),
    };
    const started = performance.now();
    let count = 0;
    let unfinished = 0;
    for await (const lines of readLines(flags.input)) {
      lines.forEach((s, i) => {
        const missing = sourceVocab.unknown(s);
        if (missing.length > 0) throw new TextError(`line ${count + i + 1}: characters the model never saw: ${missing.map((c) => JSON.stringify(c)).join(', ')}`);
      });
      const sources = lines.filter((l) => l !== '');
      const outputs = translate(model, sourceVocab, targetVocab, sources, options);
      let k = 0;
      for (const line of lines) {
        count++;
        if (line === '') {
          if (flags.json) io.out(JSON.stringify({ type: 'translation', line: count, source: '', output: '' }));
          else io.out('');
          continue;
        }
        const t = outputs[k++];
        if (t === undefined) continue;
        if (!t.finished) unfinished++;
        if (flags.json) io.out(JSON.stringify({ type: 'translation', line: count, source: t.source, output: t.output, logProb: round(t.logProb), finished: t.finished }));
        else io.out(t.output);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    if (flags.json) report.result({ lines: count, unfinished, seconds: round(seconds) });
    else if (unfinished > 0) report.note(`${unfinished} of ${count} outputs hit the length limit before the end symbol`);
    return 0;
  },
});

const SUBCOMMANDS: readonly Command[] = [trainCommand, translateCommand];

/**
 * `unfold seq2seq train|translate`: the encoder-decoder models of the chapter's section
 * 10.4 with attention, on generated tasks or a pairs file, and decoding of new inputs.
 *
 * @example
 * ```ts
 * await runCli(['seq2seq', 'train', '--task', 'addition', '--json'], nodeIO());
 * ```
 */
export const seq2seqCommand: Command = {
  name: 'seq2seq',
  summary: 'encoder-decoder with attention: train on reverse/addition/dates or a pairs file; translate lines',
  async run(argv: readonly string[], io: CliIO): Promise<number> {
    const [sub, ...rest] = argv;
    const command = SUBCOMMANDS.find((c) => c.name === `seq2seq ${sub ?? ''}`);
    if (command !== undefined) return command.run(rest, io);
    const help = ['Usage: unfold seq2seq <train|translate> [flags]', '', seq2seqCommand.summary, '', 'Subcommands:',
      ...SUBCOMMANDS.map((c) => `  ${c.name.slice('seq2seq '.length).padEnd(10)}  ${c.summary}`), '', 'unfold seq2seq <subcommand> --help shows its flags.'];
    if (sub === '--help' || sub === '-h') {
      for (const line of help) io.out(line);
      return 0;
    }
    if (sub === undefined) {
      for (const line of help) io.err(line);
      return 2;
    }
    throw new UsageError(`unknown seq2seq subcommand '${sub}' (train or translate; see unfold seq2seq --help)`);
  },
};
