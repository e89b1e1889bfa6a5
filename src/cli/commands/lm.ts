import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModelFile, saveModelFile, writeFileAtomic } from '../../io/node.js';
import { LANGUAGE_MODEL_DEFAULTS, generate } from '../../models/index.js';
import { STANDALONE_CELL_KINDS } from '../../cells/registry.js';
import { Rng } from '../../tensor/index.js';
import {
  DivergenceError, LMTrainer, LM_TRAINING_DEFAULTS, OPTIMIZERS, TextError, Vocabulary, evaluateBpc, loadLanguageModel,
  type LMTrainingConfig,
} from '../../train/index.js';
import { defineCommand, type CliIO } from '../command.js';
import { UsageError } from '../flags.js';
import { createReporter, formatDuration, jsonFlag } from '../output.js';
import { EMBEDDED_CORPUS, readEmbeddedCorpus, readTextFile } from '../text-files.js';
import { lossCurveSvg } from '../lm-plot.js';

const MODEL_FILE = 'model.safetensors';
const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** `--model` may name the output directory of `unfold train` or a model file. */
async function resolveModelPath(path: string): Promise<string> {
  try {
    if ((await stat(path)).isDirectory()) return join(path, MODEL_FILE);
  } catch {
    // A missing path is reported by loadModelFile with its name.
  }
  return path;
}

/** Splits the symbols of a text: the last `fraction` is held out for validation. */
function split(ids: Int32Array, fraction: number): { train: Int32Array; val: Int32Array } {
  const cut = Math.floor(ids.length * (1 - fraction));
  return { train: ids.subarray(0, cut), val: ids.subarray(cut) };
}

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a character-level language model (default corpus: Moby-Dick, embedded)',
  description:
    'Reads a UTF-8 text (code points are the symbols), holds out the end of it for validation, and trains a recurrent language model by truncated BPTT ' +
    '(state carried across chunks). Writes model.safetensors, checkpoint.safetensors and loss.svg to --out. Ctrl-C saves a checkpoint; --resume continues it exactly. ' +
    'With --json: one line per evaluation ({"type":"eval","step":...,"trainBpc":...,"valBpc":...}), then the result; a diverged run ends with {"type":"result","diverged":true,...} and exit status 1.',
  flags: {
    ...jsonFlag,
    data: { type: 'string', placeholder: 'file', help: 'UTF-8 text to learn (default: the embedded Moby-Dick)' },
    cell: { type: 'enum', values: STANDALONE_CELL_KINDS, default: LANGUAGE_MODEL_DEFAULTS.cell, help: 'recurrent cell kind' },
    hidden: { type: 'integer', min: 1, default: LANGUAGE_MODEL_DEFAULTS.hidden, help: 'hidden units per layer' },
    layers: { type: 'integer', min: 1, default: LANGUAGE_MODEL_DEFAULTS.layers, help: 'stacked recurrent layers' },
    embedding: { type: 'integer', min: 1, default: LANGUAGE_MODEL_DEFAULTS.embedding, help: 'symbol embedding size' },
    dropout: { type: 'number', min: 0, max: 0.99, default: LANGUAGE_MODEL_DEFAULTS.dropout, help: 'dropout on embeddings, between layers and before the output' },
    seq: { type: 'integer', min: 1, default: LM_TRAINING_DEFAULTS.seq, help: 'truncated-BPTT length (state carried across chunks)' },
    batch: { type: 'integer', min: 1, default: LM_TRAINING_DEFAULTS.batch, help: 'parallel streams through the text' },
    lr: { type: 'number', min: 0, default: LM_TRAINING_DEFAULTS.lr, help: 'learning rate' },
    optimizer: { type: 'enum', values: OPTIMIZERS, default: LM_TRAINING_DEFAULTS.optimizer, help: 'optimizer' },
    clipNorm: { type: 'number', min: 0, default: LM_TRAINING_DEFAULTS.clipNorm, help: 'clip the global gradient norm (0: off)' },
    clipValue: { type: 'number', min: 0, default: LM_TRAINING_DEFAULTS.clipValue, help: 'clip each gradient element (0: off)' },
    steps: { type: 'integer', min: 1, help: 'stop after this many steps (in all, when resuming)' },
    minutes: { type: 'number', min: 0, help: 'stop after this much training time (default 5 without --steps)' },
    valFraction: { type: 'number', min: 0.001, max: 0.5, default: 0.1, help: 'fraction of the text (its end) held out for validation' },
    evalEvery: { type: 'integer', min: 1, default: 200, help: 'steps between validation measurements and samples' },
    seed: { type: 'integer', default: LM_TRAINING_DEFAULTS.seed, help: 'random seed' },
    out: { type: 'string', default: 'unfold-model', placeholder: 'dir', help: 'output directory' },
    resume: { type: 'boolean', help: 'continue from --out/checkpoint.safetensors (same data)' },
  },
  examples: ['unfold train --minutes 2', 'unfold train --data input.txt --cell gru --hidden 512 --json', 'unfold train --out runs/a --resume --minutes 10'],
  async run({ flags, io }) {
    const report = createReporter(io, { json: flags.json, command: 'train' });
    const text = flags.data === undefined ? await readEmbeddedCorpus() : await readTextFile(flags.data);
    await mkdir(flags.out, { recursive: true });
    const checkpointPath = join(flags.out, CHECKPOINT_FILE);

    let trainer: LMTrainer;
    let val: Int32Array;
    if (flags.resume === true) {
      const contents = await loadModelFile(checkpointPath);
      const vocab = new Vocabulary(JSON.parse(contents.metadata['vocab'] ?? '[]') as string[]);
      const parts = split(vocab.encode(text), flags.valFraction);
      trainer = LMTrainer.restore(contents, parts.train);
      val = parts.val;
      report.note(`resuming ${checkpointPath} at step ${trainer.steps}`);
    } else {
      const vocab = Vocabulary.fromText(text);
      const parts = split(vocab.encode(text), flags.valFraction);
      const config: LMTrainingConfig = {
        model: { cell: flags.cell, hidden: flags.hidden, layers: flags.layers, embedding: flags.embedding, dropout: flags.dropout },
        seq: flags.seq, batch: flags.batch, lr: flags.lr, optimizer: flags.optimizer, clipNorm: flags.clipNorm, clipValue: flags.clipValue, seed: flags.seed,
      };
      trainer = LMTrainer.create(config, vocab, parts.train, (line) => report.note(line));
      if (parts.val.length < 2) throw new TextError(`the text is too short to hold out a validation part (${[...text].length} characters)`);
      val = parts.val;
    }
    const source = flags.data ?? EMBEDDED_CORPUS;
    if (!flags.json) {
      io.err(`training a ${trainer.config.model.cell} language model on ${source}: ${trainer.vocab.size} symbols, ` +
        `${trainer.model.numParameters().toLocaleString('en-US')} parameters, output in ${flags.out}/`);
    }

    const minutes = flags.minutes ?? (flags.steps === undefined ? 5 : Infinity);
    const maxSteps = flags.steps ?? Infinity;
    const budgetMs = minutes * 60_000;
    const startSteps = trainer.steps;
    // The bar counts the bound that was given: steps for --steps alone, time otherwise.
    const barBySteps = flags.minutes === undefined && flags.steps !== undefined;
    const started = performance.now();
    const startTokens = trainer.tokens;
    const baseSeconds = trainer.seconds;
    let lastCheckpoint = performance.now();
    let savedStep: number | null = flags.resume === true ? trainer.steps : null;
    let trainBpc = Number.NaN;
    let valBpc = Number.NaN;
    let trainSum = 0;
    let trainCount = 0;
    const evalChars = 50_000;
    const sampleRng = new Rng(trainer.config.seed + 7919);
    const modelPath = join(flags.out, MODEL_FILE);

    const saveAll = async (): Promise<void> => {
      trainer.seconds = baseSeconds + (performance.now() - started) / 1000;
      // Both serialised (and checked finite) before either is written: they stay a pair.
      const checkpoint = trainer.checkpoint();
      const model = trainer.modelFile();
      await saveModelFile(checkpointPath, checkpoint);
      await saveModelFile(modelPath, model);
      await writeFileAtomic(join(flags.out, 'loss.svg'), await lossCurveSvg(trainer.curve));
      savedStep = trainer.steps;
      lastCheckpoint = performance.now();
    };

    // Throughput of the training steps themselves: evaluations, samples and checkpoint writes
    // (loss.svg takes a second or two to draw) are not training and would understate it.
    let stepMs = 0;
    const tokensPerSecond = (): number => (trainer.tokens - startTokens) / Math.max(1e-9, stepMs / 1000);
    const drawBar = (): void => {
      if (flags.json) return;
      // The last figures stay on the bar between evaluations.
      const metrics: Record<string, number> = {};
      const loss = trainCount > 0 ? trainSum / trainCount : trainBpc;
      if (Number.isFinite(loss)) metrics['train bpc'] = round(loss);
      if (Number.isFinite(valBpc)) metrics['val bpc'] = round(valBpc);
      metrics['tok/s'] = Math.round(tokensPerSecond());
      const label = `step ${trainer.steps}`;
      const elapsedMinutes = (performance.now() - started) / 60_000;
      report.progress(barBySteps
        ? { done: trainer.steps - startSteps, total: maxSteps - startSteps, unit: 'step', label, metrics }
        : { done: Math.min(elapsedMinutes, minutes), ...(Number.isFinite(minutes) ? { total: minutes } : {}), unit: 'min', label, metrics });
    };

    // Installed until the last file is written: the first Ctrl-C stops training, and any
    // further one is ignored rather than killing the process halfway through the save.
    let interrupted = false;
    const onSigint = (): void => {
      if (!interrupted) report.note('interrupted: saving a checkpoint (further Ctrl-C is ignored until it is written)');
      interrupted = true;
    };
    process.on('SIGINT', onSigint);
    try {
      while (trainer.steps < maxSteps && performance.now() - started < budgetMs && !interrupted) {
        const t0 = performance.now();
        trainSum += trainer.step();
        stepMs += performance.now() - t0;
        trainCount++;
        if (trainer.steps % flags.evalEvery === 0) {
          trainBpc = trainSum / trainCount;
          trainSum = 0;
          trainCount = 0;
          valBpc = trainer.evaluate(val, evalChars);
          trainer.curve.push({ step: trainer.steps, tokens: trainer.tokens, trainBpc, valBpc });
          const tokensPerSec = Math.round(tokensPerSecond());
          report.record('eval', {
            step: trainer.steps, tokens: trainer.tokens, trainBpc: round(trainBpc), valBpc: round(valBpc), tokensPerSec,
            seconds: round((performance.now() - started) / 1000),
          });
          if (!flags.json) {
            const prime = trainer.vocab.id('\n') ?? 0;
            const sample = trainer.vocab.decode(generate(trainer.model, [prime], 120, { temperature: 0.8 }, sampleRng));
            report.note(`step ${trainer.steps}  train ${trainBpc.toFixed(3)} bpc  val ${valBpc.toFixed(3)} bpc  ${tokensPerSec} tok/s | ${sample.replace(/\s+/g, ' ').slice(0, 100)}`);
          }
        }
        drawBar();
        // Checkpoints at evaluations (at most every 10 s) and at least every minute, so a
        // crash or a divergence loses little; a non-finite model is never written (the
        // trainer refuses to serialise one).
        const sinceCheckpoint = performance.now() - lastCheckpoint;
        if (sinceCheckpoint > 60_000 || (trainer.steps % flags.evalEvery === 0 && sinceCheckpoint > 10_000)) await saveAll();
        // Yield so a Ctrl-C (SIGINT) is seen between steps.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (trainCount > 0) trainBpc = trainSum / trainCount;
      valBpc = trainer.evaluate(val);
      const point = { step: trainer.steps, tokens: trainer.tokens, trainBpc, valBpc };
      // The full-text figure replaces the sampled one of an evaluation at this very step.
      if (trainer.curve.at(-1)?.step === trainer.steps) trainer.curve[trainer.curve.length - 1] = point;
      else trainer.curve.push(point);
      await saveAll();
    } catch (e) {
      if (!(e instanceof DivergenceError)) throw e;
      const kept = savedStep === null ? 'no checkpoint had been written yet' : `the checkpoint of step ${savedStep} is kept (${checkpointPath})`;
      const message = `training diverged: ${e.what} became non-finite at step ${e.step}; stopped, ${kept}`;
      report.note(`unfold: ${message}`);
      report.result({
        diverged: true, divergedAtStep: e.step, checkpointStep: savedStep, steps: trainer.steps,
        seconds: round((performance.now() - started) / 1000), message, out: flags.out,
      }, []);
      return 1;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
    const seconds = (performance.now() - started) / 1000;
    const tokensPerSec = tokensPerSecond();
    if (interrupted) report.note(`interrupted: checkpoint saved; continue with --resume --out ${flags.out}`);
    report.result(
      { valBpc: round(valBpc), trainBpc: round(trainBpc), tokensPerSec: Math.round(tokensPerSec), steps: trainer.steps, seconds: round(seconds), out: flags.out },
      [
        `validation ${valBpc.toFixed(3)} bits/char, training ${trainBpc.toFixed(3)} bits/char after ${trainer.steps} steps (${formatDuration(seconds)}, ${Math.round(tokensPerSec)} tokens/s)`,
        `model: ${modelPath}  curve: ${join(flags.out, 'loss.svg')}`,
        `try: unfold sample --model ${flags.out}`,
      ],
    );
    return 0;
  },
});

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

export const sampleCommand = defineCommand({
  name: 'sample',
  summary: 'generate text from a trained language model, streamed as it is drawn',
  flags: {
    model: { type: 'string', placeholder: 'path', help: 'model file or the output directory of unfold train' },
    prime: { type: 'string', default: '', help: 'text to start from (default: a newline)' },
    length: { type: 'integer', min: 0, default: 500, help: 'symbols to generate' },
    temperature: { type: 'number', min: 0, default: 0.8, help: 'softmax temperature (0: greedy)' },
    topK: { type: 'integer', min: 0, default: 0, help: 'sample among the k most likely symbols (0: all)' },
    topP: { type: 'number', min: 0.0001, max: 1, default: 1, help: 'nucleus sampling mass (1: all)' },
    seed: { type: 'integer', default: 1, help: 'random seed' },
  },
  examples: ['unfold sample --model unfold-model --prime "Call me" --length 300 --temperature 0.7'],
  async run({ flags, io }) {
    if (flags.model === undefined) throw new UsageError("'sample' needs --model (a model file or the output directory of unfold train)");
    const { model, vocab } = loadLanguageModel(await loadModelFile(await resolveModelPath(flags.model)));
    const primeText = flags.prime === '' ? (vocab.id('\n') !== undefined ? '\n' : (vocab.symbols[0] as string)) : flags.prime;
    const missing = vocab.unknown(primeText);
    if (missing.length > 0) {
      throw new TextError(`the prime has characters the model never saw: ${missing.map((c) => JSON.stringify(c)).join(', ')}`);
    }
    const writer = streamWriter(io);
    if (flags.prime !== '') writer.write(flags.prime);
    generate(model, vocab.encode(primeText), flags.length, { temperature: flags.temperature, topK: flags.topK, topP: flags.topP }, new Rng(flags.seed), (id) => writer.write(vocab.decode([id])));
    writer.end();
    return 0;
  },
});

/** Writes text as it comes (no newline per symbol) when stdout is a stream; through `io.out` lines otherwise. */
function streamWriter(io: CliIO): { write(s: string): void; end(): void } {
  let pending = '';
  return {
    write(s) {
      pending += s;
      const nl = pending.lastIndexOf('\n');
      if (io.stream !== undefined) {
        io.stream(pending);
        pending = '';
      } else if (nl >= 0) {
        for (const line of pending.slice(0, nl).split('\n')) io.out(line);
        pending = pending.slice(nl + 1);
      }
    },
    end() {
      if (io.stream !== undefined) io.stream(pending.endsWith('\n') ? '' : '\n');
      else if (pending !== '') io.out(pending);
    },
  };
}

export const evalCommand = defineCommand({
  name: 'eval',
  summary: 'bits per character of a language model on a text file',
  flags: {
    ...jsonFlag,
    model: { type: 'string', placeholder: 'path', help: 'model file or the output directory of unfold train' },
    data: { type: 'string', placeholder: 'file', help: 'UTF-8 text to measure' },
  },
  examples: ['unfold eval --model unfold-model --data test.txt --json'],
  async run({ flags, io }) {
    if (flags.model === undefined) throw new UsageError("'eval' needs --model");
    if (flags.data === undefined) throw new UsageError("'eval' needs --data (a UTF-8 text file)");
    const { model, vocab } = loadLanguageModel(await loadModelFile(await resolveModelPath(flags.model)));
    const text = await readTextFile(flags.data);
    const missing = vocab.unknown(text);
    if (missing.length > 0) throw new TextError(`${flags.data} has characters the model never saw: ${missing.slice(0, 10).map((c) => JSON.stringify(c)).join(', ')}${missing.length > 10 ? ', ...' : ''}`);
    const bpc = evaluateBpc(model, vocab.encode(text));
    createReporter(io, { json: flags.json, command: 'eval' }).result({ bpc: round(bpc) }, [`${bpc.toFixed(4)} bits per character on ${flags.data}`]);
    return 0;
  },
});
