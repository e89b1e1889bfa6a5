import { backward } from '../../autograd/index.js';
import { ModelFileError, loadParameters, parameterTensors, type ModelFileContents } from '../../io/index.js';
import {
  Seq2Seq, beamSearch, greedyDecode, padSequences, sampleDecode, sequenceLoss,
  type Hypothesis, type Seq2SeqConfig, type TokenBatch,
} from '../../models/seq2seq/index.js';
import type { SamplingOptions } from '../../models/index.js';
import { Adam, clipGradNorm, hasNonFinite } from '../../optim/index.js';
import { argmaxOneHot, inverseSigmoidDecay, scheduledSampling, type Feedback } from '../../sequence/index.js';
import { ArgumentError, Rng, type Tensor, type TypedArray } from '../../tensor/index.js';
import { DivergenceError } from '../lm-trainer.js';
import { TextError } from '../text.js';
import { Seq2SeqVocabulary } from './pairs.js';
import type { Seq2SeqPair } from './tasks.js';

/** What the decoder reads as y(t-1) in training. */
export type Seq2SeqFeedbackMode = 'teacher' | 'scheduled';

/** Everything that decides a seq2seq training run. Serialisable; stored in model files. */
export interface Seq2SeqTrainingConfig {
  readonly model: Omit<Seq2SeqConfig, 'sourceVocabSize' | 'targetVocabSize' | 'dtype'>;
  /** Pairs per optimizer step. */
  readonly batch: number;
  /** Adam's learning rate. */
  readonly lr: number;
  /** Global gradient-norm clip (0: off). */
  readonly clipNorm: number;
  /**
   * 'teacher': teacher forcing, the true y(t-1) at every step (maximum likelihood).
   * 'scheduled': scheduled sampling (Bengio et al. 2015), per example and step the truth
   * with probability eps_i = k / (k + exp(i / k)) at step i, else the model's own argmax.
   */
  readonly feedback: Seq2SeqFeedbackMode;
  /** k of scheduled sampling's inverse-sigmoid decay (larger: teacher forcing lasts longer). */
  readonly samplingDecay: number;
  /** Validation reports without improvement before the learning rate is halved (see `observe`). */
  readonly patience: number;
  readonly seed: number;
}

/**
 * Defaults of {@link Seq2SeqTrainingConfig} besides the model, in one place.
 *
 * @example
 * ```ts
 * const config: Seq2SeqTrainingConfig = { ...SEQ2SEQ_TRAINING_DEFAULTS, model: SEQ2SEQ_DEFAULTS, batch: 128 };
 * ```
 */
export const SEQ2SEQ_TRAINING_DEFAULTS = {
  batch: 64, lr: 2e-3, clipNorm: 1, feedback: 'teacher', samplingDecay: 1000, patience: 2, seed: 1,
} as const satisfies Omit<Seq2SeqTrainingConfig, 'model'>;

/** Draws one training pair (a task's generator, or a pick from a pairs file). */
export type Seq2SeqPairSampler = (rng: Rng) => Seq2SeqPair;

/** Batches drawn at once and sorted by length, so each batch pads little. */
const BUCKET_BATCHES = 8;

/**
 * Trains a {@link Seq2Seq} model by maximum likelihood with Adam and gradient clipping:
 * each step draws a batch of pairs (never an `exclude`d source), pads it, runs the
 * teacher-forced (or scheduled-sampling) decoder and back-propagates the mean token
 * cross-entropy. Batches come from pools of 8 batches sorted by target length, so the
 * decoder rarely runs steps that are padding for most of the batch. Deterministic: same
 * config, data and seed, same run. Browser-safe: saving model files is the caller's.
 *
 * @example
 * ```ts
 * const task = createSeq2SeqTask('reverse');
 * const vocab = (symbols: string) => new Seq2SeqVocabulary([...symbols]);
 * const trainer = Seq2SeqTrainer.create(config, vocab(task.sourceSymbols), vocab(task.targetSymbols), task.sample, (s) => splitOf(s, 1) !== 'train');
 * for (let i = 0; i < 500; i++) trainer.step();
 * evaluatePairs(trainer.model, trainer.sourceVocab, trainer.targetVocab, testPairs).exactMatch;
 * ```
 */
export class Seq2SeqTrainer {
  readonly model: Seq2Seq;
  readonly optimizer: Adam;
  readonly config: Seq2SeqTrainingConfig;
  readonly sourceVocab: Seq2SeqVocabulary;
  readonly targetVocab: Seq2SeqVocabulary;
  steps = 0;
  pairsSeen = 0;
  /** The best validation score {@link Seq2SeqTrainer.observe} has seen (-Infinity before any). */
  bestScore = -Infinity;
  /** The step at which the parameters of {@link Seq2SeqTrainer.bestScore} were taken. */
  bestStep = 0;
  private best: TypedArray[] | null = null;
  private sinceBest = 0;
  private readonly dataRng: Rng;
  private readonly feedback: Feedback | undefined;
  private pool: Seq2SeqPair[][] = [];

  private constructor(
    config: Seq2SeqTrainingConfig, sourceVocab: Seq2SeqVocabulary, targetVocab: Seq2SeqVocabulary,
    private readonly sampler: Seq2SeqPairSampler, private readonly exclude: (source: string) => boolean,
  ) {
    checkTrainingConfig(config);
    this.config = config;
    this.sourceVocab = sourceVocab;
    this.targetVocab = targetVocab;
    const rng = new Rng(config.seed);
    this.model = new Seq2Seq({ ...config.model, sourceVocabSize: sourceVocab.size, targetVocabSize: targetVocab.size }, rng);
    this.dataRng = rng.fork();
    this.feedback = config.feedback === 'scheduled' ? scheduledSampling(inverseSigmoidDecay(config.samplingDecay), rng.fork(), argmaxOneHot) : undefined;
    this.optimizer = new Adam(this.model, { lr: config.lr });
  }

  /** A fresh trainer. Sources for which `exclude` is true are never trained on (validation and test; see `splitOf`). */
  static create(
    config: Seq2SeqTrainingConfig, sourceVocab: Seq2SeqVocabulary, targetVocab: Seq2SeqVocabulary,
    sampler: Seq2SeqPairSampler, exclude: (source: string) => boolean = () => false,
  ): Seq2SeqTrainer {
    return new Seq2SeqTrainer(config, sourceVocab, targetVocab, sampler, exclude);
  }

  /**
   * One optimizer step on a fresh batch; returns the loss in nats per target token (end
   * tokens included). Throws {@link DivergenceError}, parameters untouched, when the loss
   * or a gradient is not finite.
   */
  step(): number {
    const pairs = this.nextBatch();
    const source = padSequences(pairs.map((p) => this.sourceVocab.encode(p.source)));
    const target = padSequences(pairs.map((p) => this.targetVocab.encode(p.target)), { appendEnd: true });
    this.model.train();
    const { logits } = this.model.forward(source, target, {
      ...(this.feedback === undefined ? {} : { feedback: this.feedback }), iteration: this.steps,
    });
    const loss = sequenceLoss(logits, target);
    const value = loss.item();
    if (!Number.isFinite(value)) throw new DivergenceError(this.steps + 1, 'the loss');
    backward(loss);
    if (this.config.clipNorm > 0) clipGradNorm(this.model, this.config.clipNorm);
    if (hasNonFinite(this.model.parameters().map((p) => p.grad))) {
      this.optimizer.zeroGrad();
      throw new DivergenceError(this.steps + 1, 'a gradient');
    }
    this.optimizer.step();
    this.optimizer.zeroGrad();
    this.steps++;
    this.pairsSeen += pairs.length;
    return value;
  }

  /** The probability of feeding the truth at the current step (1 under teacher forcing). */
  get truthProbability(): number {
    return this.config.feedback === 'scheduled' ? inverseSigmoidDecay(this.config.samplingDecay)(this.steps) : 1;
  }

  private nextBatch(): Seq2SeqPair[] {
    if (this.pool.length === 0) {
      const drawn: Seq2SeqPair[] = [];
      while (drawn.length < BUCKET_BATCHES * this.config.batch) {
        const p = this.sampler(this.dataRng);
        if (!this.exclude(p.source)) drawn.push(p);
      }
      drawn.sort((a, b) => a.target.length - b.target.length || a.source.length - b.source.length);
      const batches: Seq2SeqPair[][] = [];
      for (let i = 0; i < BUCKET_BATCHES; i++) batches.push(drawn.slice(i * this.config.batch, (i + 1) * this.config.batch));
      this.pool = this.dataRng.shuffle(batches);
    }
    return this.pool.pop() as Seq2SeqPair[];
  }

  /**
   * Reports a validation score (higher is better, e.g. exact match). An improvement keeps a
   * copy of the parameters (restored by {@link Seq2SeqTrainer.restoreBest}); after
   * `config.patience` reports without one, the learning rate is halved (down to
   * config.lr / 64). Adam late in training on near-perfect data is prone to loss spikes
   * that wipe out accuracy for a while; a smaller rate and the best copy guard against
   * both. Returns true when the score improved.
   */
  observe(score: number): boolean {
    if (score > this.bestScore) {
      this.bestScore = score;
      this.bestStep = this.steps;
      this.best = this.model.parameters().map((p) => p.data.slice());
      this.sinceBest = 0;
      return true;
    }
    this.sinceBest++;
    if (this.sinceBest >= this.config.patience && this.optimizer.lr > this.config.lr / 64) {
      this.optimizer.lr /= 2;
      this.sinceBest = 0;
    }
    return false;
  }

  /** Puts back the parameters of the best observed score (no-op before any). */
  restoreBest(): void {
    const best = this.best;
    if (best === null) return;
    this.model.parameters().forEach((p, i) => p.data.set(best[i] as TypedArray));
  }

  /** The model alone, for `translate` and evaluation (see {@link loadSeq2SeqModel}). */
  modelFile(extra: Readonly<Record<string, string>> = {}): ModelFileContents {
    return seq2seqModelFile(this.model, this.config, this.sourceVocab, this.targetVocab, extra);
  }
}

/** Options of {@link translate}. */
export interface TranslateOptions {
  /** Beam width K (default 1: greedy decoding). */
  readonly beamWidth?: number;
  /** alpha of beam search's length normalisation (default 0). */
  readonly lengthPenalty?: number;
  /** Sample instead of searching: temperature, top-k, top-p and the Rng to draw with. */
  readonly sampling?: SamplingOptions & { readonly rng: Rng };
  /** Most output symbols per source (default 2 x source length + 10). */
  readonly maxLength?: number;
  /** Keep each output's attention weights (default false). */
  readonly returnAttention?: boolean;
  /** Sources decoded together (default 128). */
  readonly batchSize?: number;
}

/** One translated source. */
export interface Translation {
  readonly source: string;
  readonly output: string;
  /** log P(output | source) under the model. */
  readonly logProb: number;
  /** False when decoding hit maxLength before the end token. */
  readonly finished: boolean;
  /** Per output step (end token included), the weights over the source's code points; null unless asked for. */
  readonly attention: number[][] | null;
}

/**
 * Translates strings with a trained model: sources are sorted by length and decoded in
 * batches (greedy, beam search, or sampling), and returned in the input order. Unknown
 * characters are a TextError naming them.
 *
 * @example
 * ```ts
 * translate(model, sourceVocab, targetVocab, ['17+25'], { beamWidth: 4 })[0].output; // '42' once trained
 * ```
 */
export function translate(
  model: Seq2Seq, sourceVocab: Seq2SeqVocabulary, targetVocab: Seq2SeqVocabulary, sources: readonly string[], options: TranslateOptions = {},
): Translation[] {
  const size = options.batchSize ?? 128;
  const order = sources.map((_, i) => i).sort((a, b) => [...(sources[a] as string)].length - [...(sources[b] as string)].length);
  const out = new Array<Translation>(sources.length);
  const common = {
    ...(options.maxLength === undefined ? {} : { maxLength: options.maxLength }),
    ...(options.returnAttention === true ? { returnAttention: true } : {}),
  };
  for (let i = 0; i < order.length; i += size) {
    const chunk = order.slice(i, i + size);
    const ids = chunk.map((k) => {
      const text = sources[k] as string;
      if (text === '') throw new TextError(`source ${k + 1} is empty`);
      const missing = sourceVocab.unknown(text);
      if (missing.length > 0) throw new TextError(`source ${k + 1} has characters the model never saw: ${missing.map((c) => JSON.stringify(c)).join(', ')}`);
      return sourceVocab.encode(text);
    });
    const batch: TokenBatch = padSequences(ids);
    let hyps: Hypothesis[];
    if (options.sampling !== undefined) {
      const { rng, ...sampling } = options.sampling;
      hyps = sampleDecode(model, batch, { ...common, ...sampling }, rng);
    } else if ((options.beamWidth ?? 1) > 1) {
      hyps = beamSearch(model, batch, { ...common, beamWidth: options.beamWidth ?? 1, lengthPenalty: options.lengthPenalty ?? 0 }).map((h) => h[0] as Hypothesis);
    } else {
      hyps = greedyDecode(model, batch, common);
    }
    chunk.forEach((k, j) => {
      const h = hyps[j] as Hypothesis;
      out[k] = { source: sources[k] as string, output: targetVocab.decode(h.tokens), logProb: h.logProb, finished: h.finished, attention: h.attention };
    });
  }
  return out;
}

/** Accuracy figures of one group of held-out pairs. */
export interface Seq2SeqAccuracy {
  readonly pairs: number;
  /** Fraction of outputs exactly equal to the target. */
  readonly exactMatch: number;
  /** Matching code points at the same position over max(output length, target length), summed over pairs. */
  readonly tokenAccuracy: number;
}

/** What {@link evaluatePairs} measures: overall and per source length (in code points). */
export interface Seq2SeqEvaluation extends Seq2SeqAccuracy {
  readonly byLength: Readonly<Record<string, Seq2SeqAccuracy>>;
}

/**
 * Decodes held-out pairs and scores the outputs: exact match, and token accuracy =
 * sum_pairs #{i : out_i = ref_i} / sum_pairs max(|out|, |ref|) (so missing and extra
 * symbols both count as errors), overall and grouped by source length.
 *
 * @example
 * ```ts
 * const { exactMatch, byLength } = evaluatePairs(model, sv, tv, testPairs, { beamWidth: 1 });
 * ```
 */
export function evaluatePairs(
  model: Seq2Seq, sourceVocab: Seq2SeqVocabulary, targetVocab: Seq2SeqVocabulary, pairs: readonly Seq2SeqPair[], options: TranslateOptions = {},
): Seq2SeqEvaluation {
  const outputs = translate(model, sourceVocab, targetVocab, pairs.map((p) => p.source), options);
  return scoreOutputs(pairs, outputs.map((t) => t.output));
}

/**
 * The figures of {@link evaluatePairs} for outputs already decoded: exact match and
 * token accuracy (code points at the same position, over the longer of output and
 * target), overall and by source length.
 *
 * @example
 * ```ts
 * scoreOutputs([{ source: 'x', target: 'abc' }], ['abd']).tokenAccuracy; // 2/3
 * ```
 */
export function scoreOutputs(pairs: readonly Seq2SeqPair[], outputs: readonly string[]): Seq2SeqEvaluation {
  if (outputs.length !== pairs.length) throw new ArgumentError('scoreOutputs', `${outputs.length} outputs for ${pairs.length} pairs`);
  const groups = new Map<number, { pairs: number; exact: number; right: number; total: number }>();
  const all = { pairs: 0, exact: 0, right: 0, total: 0 };
  pairs.forEach((p, i) => {
    const out = [...(outputs[i] as string)];
    const ref = [...p.target];
    let right = 0;
    for (let k = 0; k < Math.min(out.length, ref.length); k++) if (out[k] === ref[k]) right++;
    const total = Math.max(out.length, ref.length);
    const exact = out.length === ref.length && right === ref.length ? 1 : 0;
    const length = [...p.source].length;
    const g = groups.get(length) ?? { pairs: 0, exact: 0, right: 0, total: 0 };
    for (const acc of [g, all]) {
      acc.pairs++;
      acc.exact += exact;
      acc.right += right;
      acc.total += total;
    }
    groups.set(length, g);
  });
  const figures = (g: typeof all): Seq2SeqAccuracy => ({ pairs: g.pairs, exactMatch: g.pairs === 0 ? 0 : g.exact / g.pairs, tokenAccuracy: g.total === 0 ? 1 : g.right / g.total });
  const byLength: Record<string, Seq2SeqAccuracy> = {};
  for (const length of [...groups.keys()].sort((a, b) => a - b)) byLength[String(length)] = figures(groups.get(length) as typeof all);
  return { ...figures(all), byLength };
}

/** The `format` metadata of seq2seq model files. @example `contents.metadata['format'] === SEQ2SEQ_FORMAT` */
export const SEQ2SEQ_FORMAT = 'unfold-seq2seq';

/**
 * A model file for a seq2seq model: parameters under `model.`, and in the metadata the
 * training config (which rebuilds the architecture), both vocabularies and any `extra`
 * entries (the task, say).
 *
 * @example
 * ```ts
 * await saveModelFile('out/model.safetensors', seq2seqModelFile(model, config, sv, tv, { task: 'reverse' }));
 * ```
 */
export function seq2seqModelFile(
  model: Seq2Seq, config: Seq2SeqTrainingConfig, sourceVocab: Seq2SeqVocabulary, targetVocab: Seq2SeqVocabulary,
  extra: Readonly<Record<string, string>> = {},
): ModelFileContents {
  return {
    tensors: parameterTensors(model, 'model.'),
    metadata: {
      ...extra, format: SEQ2SEQ_FORMAT, config: JSON.stringify(config),
      sourceVocab: JSON.stringify(sourceVocab.symbols.symbols), targetVocab: JSON.stringify(targetVocab.symbols.symbols),
    },
  };
}

/** What {@link loadSeq2SeqModel} returns. */
export interface LoadedSeq2Seq {
  readonly model: Seq2Seq;
  readonly config: Seq2SeqTrainingConfig;
  readonly sourceVocab: Seq2SeqVocabulary;
  readonly targetVocab: Seq2SeqVocabulary;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Rebuilds a seq2seq model from its model file (in eval mode), checking the format, the
 * config, the vocabularies and every parameter's name and shape.
 *
 * @example
 * ```ts
 * const { model, sourceVocab, targetVocab } = loadSeq2SeqModel(await loadModelFile('out/model.safetensors'));
 * ```
 */
export function loadSeq2SeqModel(contents: ModelFileContents): LoadedSeq2Seq {
  if (contents.metadata['format'] !== SEQ2SEQ_FORMAT) {
    throw new ModelFileError(`not an unfold seq2seq model file (format is ${JSON.stringify(contents.metadata['format'] ?? null)}, expected '${SEQ2SEQ_FORMAT}')`);
  }
  let config: Seq2SeqTrainingConfig;
  let sourceVocab: Seq2SeqVocabulary;
  let targetVocab: Seq2SeqVocabulary;
  try {
    config = JSON.parse(contents.metadata['config'] ?? '') as Seq2SeqTrainingConfig;
    sourceVocab = new Seq2SeqVocabulary(JSON.parse(contents.metadata['sourceVocab'] ?? '') as string[]);
    targetVocab = new Seq2SeqVocabulary(JSON.parse(contents.metadata['targetVocab'] ?? '') as string[]);
  } catch (e) {
    throw new ModelFileError(`the model's config or vocabularies are unreadable: ${(e as Error).message}`);
  }
  const model = new Seq2Seq({ ...config.model, sourceVocabSize: sourceVocab.size, targetVocabSize: targetVocab.size }, new Rng(config.seed));
  const tensors = new Map<string, Tensor>();
  for (const [k, v] of contents.tensors) if (k.startsWith('model.')) tensors.set(k.slice('model.'.length), v);
  loadParameters(model, tensors, '');
  model.eval();
  return { model, config, sourceVocab, targetVocab, metadata: contents.metadata };
}

function checkTrainingConfig(config: Seq2SeqTrainingConfig): void {
  if (!Number.isInteger(config.batch) || config.batch < 1) throw new ArgumentError('seq2seq training', `batch must be a positive integer, got ${config.batch}`);
  if (!(config.lr > 0)) throw new ArgumentError('seq2seq training', `lr must be positive, got ${config.lr}`);
  if (!(config.clipNorm >= 0)) throw new ArgumentError('seq2seq training', `clipNorm must be >= 0, got ${config.clipNorm}`);
  if (config.feedback !== 'teacher' && config.feedback !== 'scheduled') throw new ArgumentError('seq2seq training', `feedback must be 'teacher' or 'scheduled', got '${String(config.feedback)}'`);
  if (!Number.isInteger(config.patience) || config.patience < 1) throw new ArgumentError('seq2seq training', `patience must be a positive integer, got ${config.patience}`);
  if (!(config.samplingDecay >= 1)) throw new ArgumentError('seq2seq training', `samplingDecay must be >= 1, got ${config.samplingDecay}`);
}
