import { backward, noGrad } from '../autograd/index.js';
import type { CellState } from '../cells/cell.js';
import { detachState } from '../cells/state.js';
import { ModelFileError, loadParameters, parameterTensors, type ModelFileContents } from '../io/index.js';
import { LanguageModel, type LanguageModelConfig, type LanguageModelState } from '../models/index.js';
import { Dropout } from '../nn/index.js';
import { crossEntropy } from '../ops/index.js';
import { Adagrad, Adam, AdamW, RMSprop, SGD, clipGradNorm, clipGradValue, hasNonFinite, type Optimizer, type OptimizerState } from '../optim/index.js';
import { ArgumentError, Rng, Tensor, type RngState } from '../tensor/index.js';
import { TextError, Vocabulary } from './text.js';

/** The optimizers a training config can name. */
export const OPTIMIZERS = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

/** Everything that decides a language-model training run. Serialisable; stored in checkpoints. */
export interface LMTrainingConfig {
  readonly model: Omit<LanguageModelConfig, 'vocabSize'>;
  /** Truncated-BPTT length: steps per chunk; the state is carried from chunk to chunk. */
  readonly seq: number;
  /** Parallel streams through the text. */
  readonly batch: number;
  readonly lr: number;
  readonly optimizer: OptimizerName;
  /** Global gradient-norm clip (0: off). */
  readonly clipNorm: number;
  /** Element-wise gradient clip (0: off). */
  readonly clipValue: number;
  readonly seed: number;
}

/** Defaults of {@link LMTrainingConfig} besides the model, in one place. */
export const LM_TRAINING_DEFAULTS = {
  seq: 64, batch: 32, lr: 3e-3, optimizer: 'adam', clipNorm: 5, clipValue: 0, seed: 1,
} as const satisfies Omit<LMTrainingConfig, 'model'>;

/** One point of the loss curve. */
export interface CurvePoint {
  readonly step: number;
  readonly tokens: number;
  readonly trainBpc: number;
  readonly valBpc: number | null;
}

/**
 * Raised when training stops being finite. For `what` = `the loss` or `a gradient` the
 * trainer's parameters are those before the bad step; for `a parameter` (an update
 * overflowed) they are not, and the trainer refuses to write a checkpoint or model file.
 */
export class DivergenceError extends ArgumentError {
  constructor(
    /** The step (1-based) that went wrong. */
    readonly step: number,
    /** `the loss`, `a gradient`, `a parameter` or (refusing a checkpoint) `the training state`. */
    readonly what: string,
  ) {
    super('training', `${what} became non-finite at step ${step}; stopped (the last good checkpoint is kept)`);
  }
}

const LN2 = Math.log(2);

/**
 * Trains a character-level {@link LanguageModel} by truncated BPTT over B parallel
 * streams of the text: stream b reads the b-th of B equal segments, `seq` symbols per
 * step, and carries its recurrent state from one chunk to the next (resetting at the end
 * of its segment). Deterministic: the same config, text and seed give the same curve,
 * and a run resumed from a checkpoint continues exactly as if never interrupted.
 *
 * Browser-safe: checkpoints are `ModelFileContents`; writing them to disk is the caller's.
 *
 * @example
 * ```ts
 * const trainer = LMTrainer.create(config, vocab, trainIds, valIds);
 * for (let i = 0; i < 100; i++) trainer.step();
 * trainer.evaluate(valIds); // validation bits per character
 * ```
 */
export class LMTrainer {
  readonly model: LanguageModel;
  readonly optimizer: Optimizer;
  readonly vocab: Vocabulary;
  readonly config: LMTrainingConfig;
  readonly batch: number;
  steps = 0;
  tokens = 0;
  seconds = 0;
  readonly curve: CurvePoint[] = [];
  private position = 0;
  private carry: LanguageModelState | null = null;
  /** Set once an update made a parameter non-finite: the trainer is then unusable. */
  private diverged: DivergenceError | null = null;

  private constructor(model: LanguageModel, vocab: Vocabulary, config: LMTrainingConfig, private readonly trainIds: Int32Array, batch: number) {
    this.model = model;
    this.vocab = vocab;
    this.config = config;
    this.batch = batch;
    this.optimizer = makeOptimizer(config, model);
  }

  /** A fresh trainer; checks that the text is long enough and shrinks the batch if it must. */
  static create(config: LMTrainingConfig, vocab: Vocabulary, trainIds: Int32Array, notes: (line: string) => void = () => undefined): LMTrainer {
    checkTrainingConfig(config);
    const batch = fitBatch(config, trainIds.length, notes);
    const model = new LanguageModel({ ...config.model, vocabSize: vocab.size }, new Rng(config.seed));
    return new LMTrainer(model, vocab, config, trainIds, batch);
  }

  /** Rebuilds a trainer from {@link LMTrainer.checkpoint}, to continue exactly where it stopped. */
  static restore(contents: ModelFileContents, trainIds: Int32Array): LMTrainer {
    const { config, vocab } = readModelMetadata(contents);
    const trainerJson = contents.metadata['trainer'];
    if (trainerJson === undefined) throw new ModelFileError('this file holds a model but no training state; it cannot be resumed');
    const saved = JSON.parse(trainerJson) as SavedTrainer;
    const model = new LanguageModel({ ...config.model, vocabSize: vocab.size }, new Rng(config.seed));
    loadParameters(model, prefixed(contents.tensors, 'model.'), '');
    const trainer = new LMTrainer(model, vocab, config, trainIds, saved.batch);
    const dropouts = [...model.namedModules().values()].filter((m): m is Dropout => m instanceof Dropout);
    dropouts.forEach((d, i) => d.rng.setState(saved.dropoutRngs[i] as RngState));
    trainer.optimizer.loadState(readOptimizerState(saved.optimizer, contents.tensors));
    trainer.steps = saved.steps;
    trainer.tokens = saved.tokens;
    trainer.seconds = saved.seconds;
    trainer.position = saved.position;
    trainer.curve.push(...saved.curve);
    if (saved.carry) {
      const template = model.initialState(saved.batch);
      trainer.carry = template.map((s, l) => mapStateNamed(s, (key, i) => contents.tensors.get(`carry.${l}.${key}${i === null ? '' : `.${i}`}`)));
    }
    return trainer;
  }

  /**
   * One optimizer step on the next chunk of every stream; returns the training loss in
   * bits per character. Throws {@link DivergenceError} when the loss or the gradients are
   * not finite (parameters untouched) or when the update made a parameter non-finite.
   */
  step(): number {
    if (this.diverged !== null) throw this.diverged;
    const { seq } = this.config;
    const segment = Math.floor(this.trainIds.length / this.batch);
    if (this.position + seq + 1 > segment) {
      this.position = 0;
      this.carry = null;
    }
    const inputs = new Float32Array(this.batch * seq);
    const targets = new Float32Array(this.batch * seq);
    for (let b = 0; b < this.batch; b++) {
      const base = b * segment + this.position;
      for (let t = 0; t < seq; t++) {
        inputs[b * seq + t] = this.trainIds[base + t] as number;
        targets[b * seq + t] = this.trainIds[base + t + 1] as number;
      }
    }
    this.model.train();
    const { logits, state } = this.model.forward(new Tensor(inputs, [this.batch, seq]), this.carry ?? undefined);
    const loss = crossEntropy(logits, new Tensor(targets, [this.batch, seq]));
    const value = loss.item();
    if (!Number.isFinite(value)) throw new DivergenceError(this.steps + 1, 'the loss');
    backward(loss);
    if (this.config.clipValue > 0) clipGradValue(this.model, this.config.clipValue);
    if (this.config.clipNorm > 0) clipGradNorm(this.model, this.config.clipNorm);
    if (hasNonFinite(this.model.parameters().map((p) => p.grad))) {
      this.optimizer.zeroGrad();
      throw new DivergenceError(this.steps + 1, 'a gradient');
    }
    this.optimizer.step();
    this.optimizer.zeroGrad();
    // A finite gradient times a huge learning rate can still overflow float32; such a
    // model must never reach a checkpoint, and the next step would only fail later.
    if (hasNonFinite(this.model.parameters())) {
      this.diverged = new DivergenceError(this.steps + 1, 'a parameter');
      throw this.diverged;
    }
    this.carry = state.map((s) => detachState(s));
    this.position += seq;
    this.steps++;
    this.tokens += this.batch * seq;
    return value / LN2;
  }

  /** Bits per character of the model on `ids` (state carried across the whole text), under noGrad. */
  evaluate(ids: Int32Array, maxSymbols = Infinity): number {
    return evaluateBpc(this.model, ids, maxSymbols);
  }

  /** Everything needed to continue: model, optimizer, data position, carried state, Rng states, curve. */
  checkpoint(): ModelFileContents {
    if (this.diverged !== null) throw this.diverged;
    const tensors = new Map<string, Tensor>();
    for (const [k, v] of parameterTensors(this.model, 'model.')) tensors.set(k, v);
    const opt = this.optimizer.state();
    opt.params.forEach((p, i) => {
      for (const [name, buf] of Object.entries(p.buffers)) tensors.set(`optim.${i}.${name}`, new Tensor(buf, [buf.length]));
    });
    if (this.carry !== null) {
      this.carry.forEach((s, l) => mapStateNamed(s, (key, i, t) => {
        tensors.set(`carry.${l}.${key}${i === null ? '' : `.${i}`}`, t);
        return t;
      }));
    }
    // Parameters, optimizer moments and carried state: a checkpoint is finite or not written.
    if (hasNonFinite(tensors.values())) throw new DivergenceError(this.steps, 'the training state');
    const dropouts = [...this.model.namedModules().values()].filter((m): m is Dropout => m instanceof Dropout);
    const saved: SavedTrainer = {
      steps: this.steps, tokens: this.tokens, seconds: this.seconds, position: this.position, batch: this.batch, carry: this.carry !== null,
      curve: this.curve, dropoutRngs: dropouts.map((d) => d.rng.getState()),
      optimizer: { kind: opt.kind, hyperparameters: opt.hyperparameters, steps: opt.params.map((p) => p.step), buffers: opt.params.map((p) => Object.keys(p.buffers)) },
    };
    return { tensors, metadata: { ...modelMetadata(this.config, this.vocab), trainer: JSON.stringify(saved) } };
  }

  /** The model alone (no optimizer or training state), for sampling and evaluation. */
  modelFile(): ModelFileContents {
    this.checkFinite();
    return { tensors: parameterTensors(this.model, 'model.'), metadata: modelMetadata(this.config, this.vocab) };
  }

  /** Refuses to serialise non-finite parameters: a written model is always a usable one. */
  private checkFinite(): void {
    if (this.diverged !== null) throw this.diverged;
    if (hasNonFinite(this.model.parameters())) throw new DivergenceError(this.steps, 'a parameter');
  }
}

interface SavedTrainer {
  steps: number;
  tokens: number;
  seconds: number;
  position: number;
  batch: number;
  carry: boolean;
  curve: CurvePoint[];
  dropoutRngs: RngState[];
  optimizer: { kind: string; hyperparameters: OptimizerState['hyperparameters']; steps: number[]; buffers: string[][] };
}

function modelMetadata(config: LMTrainingConfig, vocab: Vocabulary): Record<string, string> {
  return { format: 'unfold-language-model', config: JSON.stringify(config), vocab: JSON.stringify(vocab.symbols) };
}

/** The config and vocabulary of a language-model file, validated. */
export function readModelMetadata(contents: ModelFileContents): { config: LMTrainingConfig; vocab: Vocabulary } {
  if (contents.metadata['format'] !== 'unfold-language-model') throw new ModelFileError('not an unfold language-model file (metadata format is missing or different)');
  try {
    const config = JSON.parse(contents.metadata['config'] ?? '') as LMTrainingConfig;
    const vocab = new Vocabulary(JSON.parse(contents.metadata['vocab'] ?? '') as string[]);
    return { config, vocab };
  } catch (e) {
    throw new ModelFileError(`the model's config or vocabulary is unreadable: ${(e as Error).message}`);
  }
}

/** Loads a language model (parameters only) from a model file. */
export function loadLanguageModel(contents: ModelFileContents): { model: LanguageModel; vocab: Vocabulary; config: LMTrainingConfig } {
  const { config, vocab } = readModelMetadata(contents);
  const model = new LanguageModel({ ...config.model, vocabSize: vocab.size }, new Rng(config.seed));
  loadParameters(model, prefixed(contents.tensors, 'model.'), '');
  model.eval();
  return { model, vocab, config };
}

/** Bits per character of `model` on `ids`, reading it as 16 parallel streams with carried state. */
export function evaluateBpc(model: LanguageModel, ids: Int32Array, maxSymbols = Infinity): number {
  const n = Math.min(ids.length, maxSymbols);
  if (n < 2) throw new TextError('the evaluation text needs at least two characters');
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const streams = Math.max(1, Math.min(16, Math.floor((n - 1) / 64)));
      const segment = Math.floor((n - 1) / streams);
      const chunk = 128;
      let state: LanguageModelState | undefined;
      let total = 0;
      let count = 0;
      for (let p = 0; p < segment; p += chunk) {
        const len = Math.min(chunk, segment - p);
        const inputs = new Float32Array(streams * len);
        const targets = new Float32Array(streams * len);
        for (let b = 0; b < streams; b++) {
          for (let t = 0; t < len; t++) {
            inputs[b * len + t] = ids[b * segment + p + t] as number;
            targets[b * len + t] = ids[b * segment + p + t + 1] as number;
          }
        }
        const r = model.forward(new Tensor(inputs, [streams, len]), state);
        state = r.state;
        total += crossEntropy(r.logits, new Tensor(targets, [streams, len]), { reduction: 'sum' }).item();
        count += streams * len;
      }
      return total / count / LN2;
    });
  } finally {
    model.train(wasTraining);
  }
}

function prefixed(tensors: ReadonlyMap<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, v] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}

function readOptimizerState(saved: SavedTrainer['optimizer'], tensors: ReadonlyMap<string, Tensor>): OptimizerState {
  return {
    kind: saved.kind,
    hyperparameters: saved.hyperparameters,
    params: saved.steps.map((step, i) => ({
      step,
      buffers: Object.fromEntries((saved.buffers[i] ?? []).map((name) => {
        const t = tensors.get(`optim.${i}.${name}`);
        if (t === undefined) throw new ModelFileError(`checkpoint is missing optimizer buffer optim.${i}.${name}`);
        return [name, t.data];
      })),
    })),
  };
}

/** Visits every tensor of a state with its key (and list index), rebuilding the state from the results. */
function mapStateNamed(state: CellState, f: (key: string, index: number | null, t: Tensor) => Tensor | undefined): CellState {
  const out: Record<string, CellState[string]> = {};
  for (const [key, v] of Object.entries(state)) {
    if (typeof v === 'number') out[key] = v;
    else if (Array.isArray(v)) out[key] = (v as readonly Tensor[]).map((t, i) => need(f(key, i, t), key));
    else out[key] = need(f(key, null, v as Tensor), key);
  }
  return out;
}

function need(t: Tensor | undefined, key: string): Tensor {
  if (t === undefined) throw new ModelFileError(`checkpoint is missing the carried state '${key}'`);
  return t;
}

function makeOptimizer(config: LMTrainingConfig, model: LanguageModel): Optimizer {
  switch (config.optimizer) {
    case 'adam': return new Adam(model, { lr: config.lr });
    case 'adamw': return new AdamW(model, { lr: config.lr });
    case 'sgd': return new SGD(model, { lr: config.lr, momentum: 0.9 });
    case 'rmsprop': return new RMSprop(model, { lr: config.lr });
    case 'adagrad': return new Adagrad(model, { lr: config.lr });
  }
}

function checkTrainingConfig(config: LMTrainingConfig): void {
  for (const key of ['seq', 'batch'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new ArgumentError('training', `${key} must be a positive integer, got ${config[key]}`);
  }
  if (!(config.lr > 0)) throw new ArgumentError('training', `lr must be positive, got ${config.lr}`);
  if (!OPTIMIZERS.includes(config.optimizer)) throw new ArgumentError('training', `unknown optimizer '${config.optimizer}' (${OPTIMIZERS.join(', ')})`);
}

function fitBatch(config: LMTrainingConfig, length: number, notes: (line: string) => void): number {
  const need = config.seq + 1;
  if (length < need) {
    throw new TextError(`the training text has ${length} characters, shorter than one training sequence (--seq ${config.seq} needs ${need})`);
  }
  const most = Math.floor(length / need);
  if (most < config.batch) {
    notes(`the text is short: using ${most} parallel streams instead of --batch ${config.batch}`);
    return most;
  }
  return config.batch;
}

