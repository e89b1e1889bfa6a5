import { backward, noGrad } from '../../autograd/index.js';
import { loadParameters, parameterTensors, ModelFileError, type ModelFileContents } from '../../io/index.js';
import { NTMCell, NTM_DEFAULTS, type NTMControllerKind, type NTMMemoryInit } from '../../models/ntm/index.js';
import { Linear, Module } from '../../nn/index.js';
import { mul, reshape, scale, softplus, sub, sum } from '../../ops/index.js';
import { Adam, RMSprop, clipGradNorm, type Optimizer } from '../../optim/index.js';
import { Recurrent } from '../../sequence/index.js';
import { ArgumentError, Rng, Tensor, type TypedArray } from '../../tensor/index.js';
import { TASK_SHAPES, algorithmicBatch, type AlgorithmicBatch, type AlgorithmicTask } from './tasks.js';

/** The models `unfold ntm train` compares: the neural Turing machine and an LSTM baseline. */
export type AlgorithmicModelKind = 'ntm' | 'lstm';

/** Optimizers of the NTM recipe: Adam (Collier & Beel 2018) or centred RMSprop with momentum (Graves 2013/2014). */
export type NTMOptimizerName = 'adam' | 'rmsprop';

/** Config of {@link NTMTrainer}: serialisable, every field defaulted in {@link NTM_TRAINING_DEFAULTS}. */
export interface NTMTrainingConfig {
  readonly task: AlgorithmicTask;
  readonly model: AlgorithmicModelKind;
  /** The NTM's controller; feed-forward by default here, because the memory is then its only recurrent state. */
  readonly controller: NTMControllerKind;
  readonly controllerSize: number;
  readonly memorySlots: number;
  readonly memoryWidth: number;
  readonly readHeads: number;
  readonly writeHeads: number;
  readonly shiftRange: number;
  readonly memoryInit: NTMMemoryInit;
  /** Clip of the controller's outputs (head parameters and logits); 0 disables. */
  readonly clip: number;
  /** LSTM baseline: units per layer and layers (Graves et al. 2014 used 3 x 256). */
  readonly lstmHidden: number;
  readonly lstmLayers: number;
  /** Largest training size (sequence length or item count); 0 for the task's own (copy 20, repeat copy 10, recall 6). */
  readonly maxSize: number;
  /** Sequences per optimizer step. */
  readonly batch: number;
  readonly optimizer: NTMOptimizerName;
  readonly lr: number;
  /** Global gradient-norm clip (Pascanu et al. 2013), on the loss summed per sequence. */
  readonly clipNorm: number;
  /** Grow the longest training size as the machine masters the shorter ones. */
  readonly curriculum: boolean;
  /** Size the curriculum starts at (the task's minimum when smaller). */
  readonly curriculumStart: number;
  /** Advance the curriculum when the bit error rate of the last batches at this level is below this. */
  readonly curriculumThreshold: number;
  /** Share of examples drawn from the task's full range whatever the curriculum level. */
  readonly curriculumExplore: number;
  /** Stop after this many training sequences. */
  readonly sequences: number;
  /** Stop after this much training time. */
  readonly minutes: number;
  /** Stop once the validation cost falls below this many bits per sequence (0: never early). */
  readonly targetBits: number;
  /** Training sequences between validation measurements. */
  readonly evalEvery: number;
  /** Validation sequences (sizes spread evenly over the task's range). */
  readonly validationSize: number;
  readonly seed: number;
}

/**
 * Defaults of {@link NTMTrainingConfig}, in one place; the recipe and the measurements behind it
 * are docs/decisions/0008-ntm-recipe.md. In short: Collier & Beel's machine (128 x 20 memory
 * starting at 1e-6, outputs clipped to 20, Adam at 1e-3, global-norm clip 50) with a
 * feed-forward controller, one sequence per step, and a curriculum from length 5.
 */
export const NTM_TRAINING_DEFAULTS = {
  task: 'copy', model: 'ntm', controller: 'ff', controllerSize: NTM_DEFAULTS.controllerSize,
  memorySlots: NTM_DEFAULTS.memorySlots, memoryWidth: NTM_DEFAULTS.memoryWidth, readHeads: 1, writeHeads: 1,
  shiftRange: NTM_DEFAULTS.shiftRange, memoryInit: NTM_DEFAULTS.memoryInit, clip: NTM_DEFAULTS.clip,
  lstmHidden: 256, lstmLayers: 3, maxSize: 0,
  batch: 1, optimizer: 'adam', lr: 1e-3, clipNorm: 50,
  curriculum: true, curriculumStart: 5, curriculumThreshold: 0.02, curriculumExplore: 0.25,
  sequences: 20_000, minutes: 30, targetBits: 0.05, evalEvery: 1000, validationSize: 256, seed: 1,
} as const satisfies NTMTrainingConfig;

/**
 * The budget and stopping target that differ by task (the rest of
 * {@link NTM_TRAINING_DEFAULTS} is shared). Associative recall learns more slowly than copy
 * and its validation cost is noisier: measured with the defaults, recall was at 1.6 bits per
 * episode after 20,000 sequences and at 0.79 (validation 0.34) when it reached the target 0.5
 * after 29,000 of at most 60,000.
 *
 * @example
 * ```ts
 * const config = { ...NTM_TRAINING_DEFAULTS, task: 'associative-recall', ...NTM_TASK_DEFAULTS['associative-recall'] } as const;
 * ```
 */
export const NTM_TASK_DEFAULTS = {
  copy: { sequences: 20_000, targetBits: 0.05 },
  'repeat-copy': { sequences: 20_000, targetBits: 0.05 },
  'associative-recall': { sequences: 60_000, targetBits: 0.5 },
} as const satisfies Record<NTMTrainingConfig['task'], Pick<NTMTrainingConfig, 'sequences' | 'targetBits'>>;

/** How well a model does on a set of sequences, in Graves et al. 2014's units. */
export interface AlgorithmicMetrics {
  /** Binary cross-entropy of the scored output bits, in bits, summed per sequence and averaged ("cost per sequence (bits)"). */
  readonly bitsPerSequence: number;
  /** Scored output bits wrong after thresholding the output at 0.5, per sequence. */
  readonly wrongBitsPerSequence: number;
  /** Fraction of scored output bits wrong. */
  readonly bitErrorRate: number;
  readonly sequences: number;
}

/** One point of the training curve. */
export interface NTMCurvePoint {
  readonly sequences: number;
  readonly seconds: number;
  readonly curriculum: number;
  readonly trainBits: number;
  readonly validation: AlgorithmicMetrics;
}

/** A model that maps a padded batch of inputs [B, T, I] to output logits [B, T, O]. */
export interface AlgorithmicModel extends Module {
  forward(inputs: Tensor): Tensor;
}

/**
 * The neural Turing machine of an {@link NTMTrainingConfig} as an {@link AlgorithmicModel}:
 * an {@link NTMCell} run as one fused op (`NTMCell.sequence`).
 *
 * @example
 * ```ts
 * const net = new NTMSequenceModel({ ...NTM_TRAINING_DEFAULTS, memorySlots: 32 }, new Rng(0));
 * net.forward(batch.inputs); // logits [B, T, 8]
 * ```
 */
export class NTMSequenceModel extends Module implements AlgorithmicModel {
  readonly cell: NTMCell;
  constructor(config: NTMTrainingConfig, rng: Rng) {
    super();
    const shape = TASK_SHAPES[config.task];
    this.cell = new NTMCell({
      inputSize: shape.inputSize, outputSize: shape.outputSize, controller: config.controller, controllerSize: config.controllerSize,
      memorySlots: config.memorySlots, memoryWidth: config.memoryWidth, readHeads: config.readHeads, writeHeads: config.writeHeads,
      shiftRange: config.shiftRange, memoryInit: config.memoryInit, clip: config.clip,
    }, rng);
  }

  forward(inputs: Tensor): Tensor {
    return this.cell.sequence(inputs);
  }
}

/**
 * The LSTM baseline of Graves et al. 2014 (stacked LSTM layers and a linear read-out), on the
 * same tasks, to show the gap a memory makes.
 *
 * @example
 * ```ts
 * const lstm = new LSTMSequenceModel({ ...NTM_TRAINING_DEFAULTS, model: 'lstm' }, new Rng(0));
 * ```
 */
export class LSTMSequenceModel extends Module implements AlgorithmicModel {
  readonly rnn: Recurrent;
  readonly head: Linear;
  constructor(config: NTMTrainingConfig, rng: Rng) {
    super();
    const shape = TASK_SHAPES[config.task];
    this.rnn = new Recurrent({ cell: 'lstm', inputSize: shape.inputSize, hiddenSize: config.lstmHidden, numLayers: config.lstmLayers }, rng);
    this.head = new Linear({ inFeatures: config.lstmHidden, outFeatures: shape.outputSize, rng });
  }

  forward(inputs: Tensor): Tensor {
    return this.head.forward(this.rnn.forward(inputs).outputs);
  }
}

/** Builds the model a config names. */
export function createAlgorithmicModel(config: NTMTrainingConfig, rng: Rng): AlgorithmicModel {
  return config.model === 'ntm' ? new NTMSequenceModel(config, rng) : new LSTMSequenceModel(config, rng);
}

/**
 * The training loss: binary cross-entropy of the scored outputs, computed from logits z as
 * softplus(z) - y z (stable), summed over the bits and steps of each sequence and averaged
 * over the batch (nats per sequence).
 *
 * @example
 * ```ts
 * const loss = maskedBitLoss(model.forward(batch.inputs), batch);
 * ```
 */
export function maskedBitLoss(logits: Tensor, batch: AlgorithmicBatch): Tensor {
  const [B, T] = batch.mask.shape as [number, number];
  const perBit = sub(softplus(logits), mul(batch.targets, logits));
  return scale(sum(mul(perBit, reshape(batch.mask, [B, T, 1]))), 1 / B);
}

/** Accumulates {@link AlgorithmicMetrics} over batches of logits. */
class MetricsSum {
  private nats = 0;
  private wrong = 0;
  private scored = 0;
  private count = 0;

  /** Adds a batch's examples (those `keep` accepts, all by default). */
  add(logits: Tensor, batch: AlgorithmicBatch, keep: (b: number) => boolean = () => true): void {
    const [B, T, O] = batch.targets.shape as [number, number, number];
    const z = logits.data;
    const y = batch.targets.data;
    const m = batch.mask.data;
    for (let b = 0; b < B; b++) {
      if (!keep(b)) continue;
      this.count++;
      for (let t = 0; t < T; t++) {
        if (m[b * T + t] === 0) continue;
        for (let k = 0; k < O; k++) {
          const i = (b * T + t) * O + k;
          const zi = z[i] as number;
          const yi = y[i] as number;
          this.nats += Math.max(zi, 0) + Math.log1p(Math.exp(-Math.abs(zi))) - yi * zi;
          if ((zi > 0 ? 1 : 0) !== yi) this.wrong++;
          this.scored++;
        }
      }
    }
  }

  result(): AlgorithmicMetrics {
    const n = Math.max(1, this.count);
    return { bitsPerSequence: this.nats / Math.LN2 / n, wrongBitsPerSequence: this.wrong / n, bitErrorRate: this.wrong / Math.max(1, this.scored), sequences: this.count };
  }
}

/** The sizes a config trains on: the task's minimum to its maximum, or to `maxSize` when set. @example `trainingRange({ ...NTM_TRAINING_DEFAULTS, maxSize: 5 })` -> [1, 5] */
export function trainingRange(config: Pick<NTMTrainingConfig, 'task' | 'maxSize'>): [number, number] {
  const shape = TASK_SHAPES[config.task];
  return [shape.minSize, config.maxSize > 0 ? Math.max(shape.minSize, config.maxSize) : shape.maxSize];
}

/** Sizes spread evenly over lo..hi, `count` of them (a validation set that covers the range). */
function spread(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => lo + (i % (hi - lo + 1)));
}

/**
 * Measures a model on `count` fresh sequences of the given sizes (cycled), under noGrad.
 *
 * @example
 * ```ts
 * evaluateAlgorithmic(model, 'copy', [40], 100, new Rng(7)).bitErrorRate; // generalisation to length 40
 * ```
 */
export function evaluateAlgorithmic(model: AlgorithmicModel, task: AlgorithmicTask, sizes: readonly number[], count: number, rng: Rng, batchSize = 32): AlgorithmicMetrics {
  if (sizes.length === 0 || !Number.isInteger(count) || count < 1) throw new ArgumentError('evaluate', 'need at least one size and one sequence');
  const all = Array.from({ length: count }, (_, i) => sizes[i % sizes.length] as number);
  const metrics = new MetricsSum();
  noGrad(() => {
    for (let at = 0; at < all.length; at += batchSize) {
      const batch = algorithmicBatch(task, all.slice(at, at + batchSize), rng);
      metrics.add(model.forward(batch.inputs), batch);
    }
  });
  return metrics.result();
}

/** Progress of a training run. */
export interface NTMProgress {
  readonly sequences: number;
  readonly seconds: number;
  readonly trainBits: number;
  readonly curriculum: number;
  readonly validation?: AlgorithmicMetrics;
}

/** The outcome of {@link trainAlgorithmicTask}. */
export interface NTMTrainingResult {
  readonly task: AlgorithmicTask;
  readonly model: AlgorithmicModelKind;
  /** Validation cost when training stopped. */
  readonly validation: AlgorithmicMetrics;
  readonly sequencesSeen: number;
  readonly steps: number;
  readonly seconds: number;
  /** True when the validation cost reached `targetBits`. */
  readonly reachedTarget: boolean;
  /** Training sequences seen when the kept parameters (the best validation) were reached. */
  readonly bestAt: number;
  /** Set when training stopped on a non-finite loss. */
  readonly diverged?: boolean;
}

/**
 * Trains a neural Turing machine (or the LSTM baseline) on one of Graves et al. 2014's
 * tasks with the recipe of docs/decisions/0008-ntm-recipe.md: sequences batched with their
 * own lengths, the summed binary cross-entropy, global-norm clipping, Adam or centred
 * RMSprop, and a curriculum on the sequence length. Validation sequences are drawn from a
 * separate seed.
 *
 * @example
 * ```ts
 * const trainer = new NTMTrainer({ ...NTM_TRAINING_DEFAULTS, task: 'copy' });
 * while (trainer.sequencesSeen < 5000) trainer.step();
 * trainer.validate().bitsPerSequence;
 * ```
 */
export class NTMTrainer {
  readonly config: NTMTrainingConfig;
  readonly model: AlgorithmicModel;
  readonly optimizer: Optimizer;
  readonly curve: NTMCurvePoint[] = [];
  sequencesSeen = 0;
  steps = 0;
  /** The largest size the curriculum currently draws. */
  level: number;
  private readonly dataRng: Rng;
  private readonly validationSizes: number[];
  private recentErrors: number[] = [];

  constructor(config: NTMTrainingConfig) {
    checkConfig(config);
    this.config = config;
    const rng = new Rng(config.seed);
    // The model is built first from a fresh generator, so a saved model (which stores only
    // the trained tensors) rebuilds the same fixed buffers from its seed.
    this.model = createAlgorithmicModel(config, rng);
    this.dataRng = rng.fork();
    const [lo, hi] = trainingRange(config);
    this.level = config.curriculum ? Math.min(hi, Math.max(lo, config.curriculumStart)) : hi;
    this.validationSizes = spread(lo, hi, config.validationSize);
    const params = this.model.parameters();
    this.optimizer = config.optimizer === 'adam'
      ? new Adam(params, { lr: config.lr })
      : new RMSprop(params, { lr: config.lr, alpha: 0.95, momentum: 0.9, centered: true });
  }

  /** Draws the sizes of the next training batch from the curriculum. */
  nextSizes(): number[] {
    const [lo, max] = trainingRange(this.config);
    return Array.from({ length: this.config.batch }, () => {
      const hi = this.dataRng.uniform() < this.config.curriculumExplore ? max : this.level;
      return lo + this.dataRng.int(hi - lo + 1);
    });
  }

  /**
   * One optimizer step on a fresh batch; returns the batch's cost in bits per sequence, or
   * NaN (and no update) when the loss or the gradient norm is not finite.
   */
  step(): number {
    const batch = algorithmicBatch(this.config.task, this.nextSizes(), this.dataRng);
    const logits = this.model.forward(batch.inputs);
    const loss = maskedBitLoss(logits, batch);
    const nats = loss.item();
    this.optimizer.zeroGrad();
    if (!Number.isFinite(nats)) return Number.NaN;
    backward(loss);
    const norm = clipGradNorm(this.optimizer.params, this.config.clipNorm);
    if (!Number.isFinite(norm)) return Number.NaN;
    this.optimizer.step();
    this.steps++;
    this.sequencesSeen += this.config.batch;
    this.advanceCurriculum(logits, batch);
    return nats / Math.LN2;
  }

  /** Bit error rate of this batch's examples at the current level decides the next level. */
  private advanceCurriculum(logits: Tensor, batch: AlgorithmicBatch): void {
    if (!this.config.curriculum) return;
    const max = trainingRange(this.config)[1];
    if (this.level >= max) return;
    // Only the examples drawn at the current level count: the explorers beyond it are
    // expected to fail until the level reaches them.
    const metrics = new MetricsSum();
    metrics.add(logits, batch, (b) => (batch.sizes[b] as number) <= this.level);
    if (metrics.result().sequences === 0) return;
    this.recentErrors.push(metrics.result().bitErrorRate);
    // About 200 sequences: enough that a lucky batch of short ones does not promote.
    const window = Math.max(4, Math.ceil(200 / this.config.batch));
    if (this.recentErrors.length > window) this.recentErrors.shift();
    if (this.recentErrors.length < window) return;
    const mean = this.recentErrors.reduce((a, b) => a + b, 0) / this.recentErrors.length;
    if (mean < this.config.curriculumThreshold) {
      this.level = Math.min(max, this.level + Math.max(1, Math.ceil(this.level / 4)));
      this.recentErrors = [];
    }
  }

  /** The validation metrics (fixed seed, sizes spread over the task's whole range). */
  validate(): AlgorithmicMetrics {
    return evaluateAlgorithmic(this.model, this.config.task, this.validationSizes, this.validationSizes.length, new Rng(this.config.seed + 7_777_777));
  }

  /** Model file contents: the config, the training curve and every trained tensor. */
  modelFile(): ModelFileContents {
    const tensors = parameterTensors(this.model, 'model.');
    if (this.model instanceof NTMSequenceModel && !this.model.cell.initialMemory.requiresGrad) {
      tensors.set('buffer.initialMemory', this.model.cell.initialMemory);
    }
    return { tensors, metadata: { format: 'unfold-algorithmic', config: JSON.stringify(this.config), curve: JSON.stringify(this.curve) } };
  }
}

function checkConfig(c: NTMTrainingConfig): void {
  for (const key of ['batch', 'sequences', 'evalEvery', 'validationSize', 'controllerSize', 'memorySlots', 'memoryWidth', 'lstmHidden', 'lstmLayers'] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) throw new ArgumentError('ntm train', `${key} must be a positive integer, got ${c[key]}`);
  }
  if (!(c.curriculumExplore >= 0 && c.curriculumExplore <= 1)) throw new ArgumentError('ntm train', `curriculumExplore must be in [0, 1], got ${c.curriculumExplore}`);
}

/**
 * Loads a model saved by {@link NTMTrainer.modelFile}, in evaluation mode.
 *
 * @example
 * ```ts
 * const { model, config } = loadAlgorithmicModel(await loadModelFile('out/model.safetensors'));
 * ```
 */
export function loadAlgorithmicModel(contents: ModelFileContents): { model: AlgorithmicModel; config: NTMTrainingConfig; curve: NTMCurvePoint[] } {
  if (contents.metadata['format'] !== 'unfold-algorithmic') throw new ModelFileError('not an unfold ntm/lstm task model (metadata format is missing or different)');
  let config: NTMTrainingConfig;
  let curve: NTMCurvePoint[];
  try {
    config = { ...NTM_TRAINING_DEFAULTS, ...(JSON.parse(contents.metadata['config'] ?? '') as Partial<NTMTrainingConfig>) };
    curve = JSON.parse(contents.metadata['curve'] ?? '[]') as NTMCurvePoint[];
  } catch (e) {
    throw new ModelFileError(`the model's config is unreadable: ${(e as Error).message}`);
  }
  const model = createAlgorithmicModel(config, new Rng(config.seed));
  const model_ = new Map([...contents.tensors].filter(([k]) => k.startsWith('model.')));
  loadParameters(model, model_, 'model.');
  const buffer = contents.tensors.get('buffer.initialMemory');
  if (buffer !== undefined && model instanceof NTMSequenceModel) model.cell.initialMemory.data.set(buffer.data);
  model.eval();
  return { model, config, curve };
}

/**
 * Trains until the sequence budget, the time budget or the validation target is reached,
 * validating every `evalEvery` sequences; the trainer holds the model and curve afterwards.
 *
 * @example
 * ```ts
 * const { result, trainer } = trainAlgorithmicTask({ ...NTM_TRAINING_DEFAULTS, task: 'copy' }, (p) => console.log(p));
 * result.validation.bitsPerSequence; // < 0.05 when the machine has learned to copy
 * ```
 */
export function trainAlgorithmicTask(
  config: NTMTrainingConfig, onProgress: (p: NTMProgress) => void = () => undefined, now: () => number = () => performance.now(),
): { result: NTMTrainingResult; trainer: NTMTrainer } {
  const trainer = new NTMTrainer(config);
  const start = now();
  const budget = config.minutes * 60_000;
  let nextEval = config.evalEvery;
  let diverged = false;
  let trainBits = Number.NaN;
  let validation: AlgorithmicMetrics | null = null;
  // The best parameters by validation cost: a machine that has learned its task can still be
  // thrown off by one large step late in training (Adam after a long run of tiny gradients),
  // and the run then ends on what it knew at its best.
  const params = trainer.model.parameters();
  let best: { bits: number; at: number; data: TypedArray[]; validation: AlgorithmicMetrics } | null = null;
  const keepIfBest = (v: AlgorithmicMetrics): void => {
    if (best !== null && !(v.bitsPerSequence < best.bits)) return;
    best = { bits: v.bitsPerSequence, at: trainer.sequencesSeen, data: params.map((p) => p.data.slice()), validation: v };
  };
  while (trainer.sequencesSeen < config.sequences && now() - start < budget) {
    const bits = trainer.step();
    if (Number.isNaN(bits)) {
      diverged = true;
      break;
    }
    trainBits = Number.isNaN(trainBits) ? bits : 0.9 * trainBits + 0.1 * bits;
    const seconds = (now() - start) / 1000;
    if (trainer.sequencesSeen >= nextEval) {
      nextEval += config.evalEvery;
      validation = trainer.validate();
      keepIfBest(validation);
      trainer.curve.push({ sequences: trainer.sequencesSeen, seconds, curriculum: trainer.level, trainBits, validation });
      onProgress({ sequences: trainer.sequencesSeen, seconds, trainBits, curriculum: trainer.level, validation });
      if (config.targetBits > 0 && validation.bitsPerSequence < config.targetBits) break;
    } else {
      onProgress({ sequences: trainer.sequencesSeen, seconds, trainBits, curriculum: trainer.level });
    }
  }
  const seconds = (now() - start) / 1000;
  if (validation === null || trainer.curve.at(-1)?.sequences !== trainer.sequencesSeen) {
    validation = trainer.validate();
    keepIfBest(validation);
    trainer.curve.push({ sequences: trainer.sequencesSeen, seconds, curriculum: trainer.level, trainBits, validation });
  }
  const kept = best as { bits: number; at: number; data: TypedArray[]; validation: AlgorithmicMetrics } | null;
  if (kept !== null && kept.at !== trainer.sequencesSeen) params.forEach((p, i) => p.data.set(kept.data[i] as TypedArray));
  validation = kept?.validation ?? validation;
  const reachedTarget = config.targetBits > 0 && validation.bitsPerSequence < config.targetBits;
  const result: NTMTrainingResult = {
    task: config.task, model: config.model, validation, sequencesSeen: trainer.sequencesSeen, steps: trainer.steps, seconds, reachedTarget,
    bestAt: kept?.at ?? trainer.sequencesSeen, ...(diverged ? { diverged } : {}),
  };
  return { result, trainer };
}
