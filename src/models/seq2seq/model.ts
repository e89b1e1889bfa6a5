import type { Cell, CellState, StepResult } from '../../cells/cell.js';
import { ContextConditionedCell, type ContextState } from '../../cells/context-cell.js';
import { CELLS, STANDALONE_CELL_KINDS, type CellKind } from '../../cells/registry.js';
import { mapState } from '../../cells/state.js';
import { Dropout, Embedding, Linear, Module } from '../../nn/index.js';
import { concat, crossEntropy, gather, reshape, slice, stack, tanh } from '../../ops/index.js';
import { Recurrent, lastStep, scan, type AnyRecurrentConfig, type Feedback } from '../../sequence/index.js';
import { ArgumentError, Rng, ShapeError, Tensor, allocate, zeros, type DType } from '../../tensor/index.js';
import { ATTENTIONS, createAttention, sourceMask, type Attention, type AttentionKind, type AttentionMemory } from './attention.js';

/**
 * Token ids every seq2seq vocabulary reserves: padding, begin- and end-of-sequence.
 *
 * @example
 * ```ts
 * padSequences([[5, 6]], { appendEnd: true }).tokens.toArray(); // [[5, 6, SEQ2SEQ_TOKENS.eos]]
 * ```
 */
export const SEQ2SEQ_TOKENS = { pad: 0, bos: 1, eos: 2 } as const;

/** Ids below this are the reserved tokens of {@link SEQ2SEQ_TOKENS}; symbols start here. @example `const id = FIRST_SYMBOL_ID + symbolIndex;` */
export const FIRST_SYMBOL_ID = 3;

/**
 * How the decoder is conditioned on the encoder's summary C of the source (the chapter's
 * section 10.4 and Figure 10.9): as its initial state, as an extra input at every step,
 * both, or not at all (then attention must supply the source).
 */
export type ContextMode = 'initial' | 'input' | 'both' | 'none';

/** The context modes, for flags and validation. @example `CONTEXT_MODES.includes('both'); // true` */
export const CONTEXT_MODES: readonly ContextMode[] = ['initial', 'input', 'both', 'none'];

/** Config of a {@link Seq2Seq} model: serialisable, stored in model files. */
export interface Seq2SeqConfig {
  /** Source ids, reserved tokens included (ids 0..2 are {@link SEQ2SEQ_TOKENS}). */
  readonly sourceVocabSize: number;
  /** Target ids, reserved tokens included. */
  readonly targetVocabSize: number;
  /** Registered cell kind of the encoder (every layer, both directions). */
  readonly cell: CellKind;
  /** Registered cell kind of the decoder (default: the encoder's). */
  readonly decoderCell?: CellKind;
  /** Size of the source and target symbol embeddings. */
  readonly embedding: number;
  /** Hidden units of each encoder layer and direction. */
  readonly hidden: number;
  /** Hidden units of the decoder (default: the encoder's output size, hidden x directions). */
  readonly decoderHidden?: number;
  readonly encoderLayers: number;
  readonly bidirectional: boolean;
  /** Dropout between encoder layers and on the decoder's output features (training only). */
  readonly dropout: number;
  readonly attention: AttentionKind | 'none';
  /** Hidden units of additive attention's scorer (without one: the decoder's output size). */
  readonly attentionSize?: number;
  readonly context: ContextMode;
  /**
   * Feed the previous step's attentional vector h~(t-1) into the decoder with y(t-1)
   * (Luong et al. 2015's input feeding), so each step knows where it attended before.
   * Only with attention.
   */
  readonly inputFeeding: boolean;
  readonly dtype?: DType;
}

/**
 * Defaults of {@link Seq2SeqConfig} besides the vocabulary sizes, in one place: a GRU encoder
 * (64 units each way) and decoder (128), additive attention with a 32-unit scorer, C as the
 * decoder's initial state, input feeding.
 *
 * @example
 * ```ts
 * new Seq2Seq({ ...SEQ2SEQ_DEFAULTS, cell: 'lstm', sourceVocabSize: 30, targetVocabSize: 13 }, new Rng(0));
 * ```
 */
export const SEQ2SEQ_DEFAULTS = {
  cell: 'gru', embedding: 32, hidden: 64, encoderLayers: 1, bidirectional: true, dropout: 0,
  attention: 'additive', attentionSize: 32, context: 'initial', inputFeeding: true,
} as const satisfies Omit<Seq2SeqConfig, 'sourceVocabSize' | 'targetVocabSize'>;

/**
 * The source sentence as the decoder sees it, computed once by {@link Seq2Seq.encode}:
 * the summary C and, with attention, the prepared annotations.
 */
export interface EncodedSource {
  /** C: the encoder's summary of each source [B, contextSize] (last valid forward output, first backward output). */
  readonly context: Tensor;
  /** The annotations h_1..h_S, projected once for the attention (null without attention). */
  readonly memory: AttentionMemory | null;
  /** Valid source length of each example. */
  readonly lengths: readonly number[];
}

/** The decoder's carried state: the cell's own state and, with input feeding, h~(t-1). */
export interface DecoderState {
  readonly cell: CellState;
  /** h~(t-1) [B, decoderHidden] with input feeding, else null. */
  readonly feed: Tensor | null;
}

/** One decoder step's result. */
export interface DecoderStep {
  /** Unnormalised log-probabilities of y(t): [B, targetVocabSize]. */
  readonly logits: Tensor;
  readonly state: DecoderState;
  /** alpha(t) over the source positions [B, S], or null without attention. */
  readonly attention: Tensor | null;
}

/** A padded batch of id sequences. */
export interface TokenBatch {
  /** Ids [B, T], padded with {@link SEQ2SEQ_TOKENS}.pad. */
  readonly tokens: Tensor;
  /** Valid length of each row (with the end token when one was appended). */
  readonly lengths: readonly number[];
}

/** Options of {@link Seq2Seq.forward}. */
export interface Seq2SeqForwardOptions {
  /**
   * What each step after the first reads as y(t-1), from `sequence/`'s feedback functions
   * over one-hot rows [B, V]: `teacherForcing()` (the default, and fastest: the truth is
   * read directly) or `scheduledSampling(schedule, rng, argmaxOneHot)`. The fed row's
   * argmax is the token fed; no gradient flows through that discrete choice.
   */
  readonly feedback?: Feedback;
  /** The training iteration, for a decaying scheduled-sampling probability. */
  readonly iteration?: number;
}

/** What {@link Seq2Seq.forward} returns. */
export interface Seq2SeqForwardResult {
  /** [B, T, targetVocabSize] for the T target positions. */
  readonly logits: Tensor;
  /** alpha for every target step [B, T, S], or null without attention. */
  readonly attention: Tensor | null;
}

/**
 * An encoder-decoder (sequence-to-sequence) network, the chapter's section 10.4 (Figure
 * 10.12), with optional attention (Bahdanau et al. 2015; Luong et al. 2015). The encoder
 * (any registered cell, stacked, optionally bidirectional) reads x(1..nx) into
 * annotations h_s and a summary C; the decoder generates y(1..ny), ny free to differ:
 *
 *     s(0)   = tanh(W_c C + b_c)                       (context 'initial' or 'both'; else 0)
 *     o(t), s(t) = cell([E y(t-1); h~(t-1) ; C], s(t-1)) (h~ with input feeding; C with 'input' or 'both')
 *     c(t), alpha(t) = attend(o(t), h_1..h_S)          (with attention)
 *     h~(t)  = tanh(W_h [o(t); c(t)] + b_h)            (with attention; else h~(t) = o(t))
 *     P(y(t) | y(<t), x) = softmax(W_y h~(t) + b_y)
 *
 * y(0) is the begin token; generation stops at the end token. Every decoder step is ONE
 * cell step on the carried state, which is what makes decoding (`greedyDecode`,
 * `sampleDecode`, `beamSearch`) cost one step per symbol.
 *
 * Padding: the encoder runs with per-example lengths (padded steps carry the state and
 * output 0), attention gives padded positions weight exactly 0, and the loss ignores
 * target padding, so the contents of padded positions influence neither the loss nor
 * any gradient.
 *
 * Parameter names: sourceEmbed.weight, encoder.cells.<l>.*, encoder.reverseCells.<l>.*,
 * targetEmbed.weight, decoder.* (decoder.inner.* and decoder.initial.* with a context),
 * attention.*, combine.*, head.*.
 *
 * @example
 * ```ts
 * const model = new Seq2Seq({ ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 13, targetVocabSize: 13 }, new Rng(0));
 * const src = padSequences([[3, 4, 5], [6, 7]]);
 * const tgt = padSequences([[5, 4, 3], [7, 6]], { appendEnd: true });
 * const { logits } = model.forward(src, tgt);      // [2, 4, 13], teacher forcing
 * const loss = sequenceLoss(logits, tgt);
 * ```
 */
export class Seq2Seq extends Module {
  readonly config: Seq2SeqConfig;
  readonly dtype: DType;
  readonly sourceEmbed: Embedding;
  readonly encoder: Recurrent;
  readonly targetEmbed: Embedding;
  /** The decoder cell, a ContextConditionedCell around the inner kind unless context is 'none'. */
  readonly decoder: Cell;
  readonly attention: Attention | null;
  /** W_h, b_h: [decoderHidden, outputSize + memorySize], or null without attention. */
  readonly combine: Linear | null;
  /** W_y, b_y: [targetVocabSize, features]. */
  readonly head: Linear;
  readonly outputDropout: Dropout;
  /** Features of C and of each annotation h_s. */
  readonly memorySize: number;
  /** Features of h~(t), what the head reads (and what input feeding feeds back). */
  readonly featureSize: number;

  constructor(config: Seq2SeqConfig, rng: Rng) {
    super();
    checkConfig(config);
    this.config = { ...config };
    this.dtype = config.dtype ?? 'float32';
    const dtype = this.dtype;
    const pad = SEQ2SEQ_TOKENS.pad;
    this.sourceEmbed = new Embedding({ numEmbeddings: config.sourceVocabSize, embeddingDim: config.embedding, paddingIdx: pad, dtype, rng });
    const encoderConfig = {
      cell: config.cell, inputSize: config.embedding, hiddenSize: config.hidden, numLayers: config.encoderLayers,
      bidirectional: config.bidirectional, dropout: config.dropout, dtype,
    } as AnyRecurrentConfig;
    this.encoder = new Recurrent(encoderConfig, rng);
    this.memorySize = this.encoder.outputSize;
    this.targetEmbed = new Embedding({ numEmbeddings: config.targetVocabSize, embeddingDim: config.embedding, paddingIdx: pad, dtype, rng });

    const hasAttention = config.attention !== 'none';
    const decoderHidden = config.decoderHidden ?? this.memorySize;
    const feeding = hasAttention && config.inputFeeding;
    const everyStep = config.context === 'input' || config.context === 'both';
    const inputSize = config.embedding + (feeding ? decoderHidden : 0);
    const kind = config.decoderCell ?? config.cell;
    const inner = (CELLS[kind] as { create(c: unknown, r: Rng): Cell }).create(
      { inputSize: inputSize + (everyStep ? this.memorySize : 0), hiddenSize: decoderHidden, dtype }, rng,
    );
    if (config.context === 'none') {
      this.decoder = inner;
    } else {
      // Every [B, n] entry of the inner state starts from C (h, and c for an LSTM).
      const probe = inner.initialState(1);
      const initialKeys = Object.keys(probe).filter((k) => { const v = probe[k]; return v instanceof Tensor && v.rank === 2; });
      this.decoder = new ContextConditionedCell(inner, {
        contextSize: this.memorySize, initialFromContext: config.context !== 'input', contextAtEveryStep: everyStep, initialKeys,
      }, rng);
    }
    const query = this.decoder.outputSize;
    if (hasAttention) {
      this.attention = createAttention({
        kind: config.attention, querySize: query, memorySize: this.memorySize, dtype,
        ...(config.attentionSize === undefined ? {} : { hiddenSize: config.attentionSize }),
      }, rng);
      this.combine = new Linear({ inFeatures: query + this.memorySize, outFeatures: decoderHidden, dtype, rng });
      this.featureSize = decoderHidden;
    } else {
      this.attention = null;
      this.combine = null;
      this.featureSize = query;
    }
    this.head = new Linear({ inFeatures: this.featureSize, outFeatures: config.targetVocabSize, dtype, rng });
    this.outputDropout = new Dropout({ p: config.dropout, rng: rng.fork() });
  }

  /** True when the decoder feeds h~(t-1) back (attention with input feeding). */
  get inputFeeding(): boolean {
    return this.attention !== null && this.config.inputFeeding;
  }

  /**
   * Reads a padded source batch: ids [B, S] and each example's length. One pass of the
   * (fused, when the cell has a kernel) encoder over all positions, then the attention's
   * key projection of every annotation in one product.
   */
  encode(source: TokenBatch): EncodedSource {
    const { tokens, lengths } = source;
    if (tokens.rank !== 2 || lengths.length !== tokens.shape[0]) {
      throw new ShapeError('Seq2Seq.encode', 'source ids must be [batch, length] with one length per row', [tokens.shape, [lengths.length]]);
    }
    const steps = tokens.shape[1] as number;
    const outputs = this.encoder.forward(this.sourceEmbed.forward(tokens), { lengths }).outputs;
    const last = lastStep(outputs, lengths);
    let context = last;
    if (this.config.bidirectional) {
      // The backward direction has read the whole source when it reaches position 0.
      const half = this.memorySize / 2;
      const batch = lengths.length;
      const first = reshape(slice(outputs, [0, 0, half], [batch, 1, half]), [batch, half]);
      context = concat([slice(last, [0, 0], [batch, half]), first], 1);
    }
    const memory = this.attention === null ? null : this.attention.prepare(outputs, sourceMask(lengths, steps, this.dtype));
    return { context, memory, lengths: [...lengths] };
  }

  /** The decoder's state before the first target symbol. */
  initialState(source: EncodedSource): DecoderState {
    const batch = source.context.shape[0] as number;
    const cell = this.decoder instanceof ContextConditionedCell ? this.decoder.initialStateFor(source.context) : this.decoder.initialState(batch);
    return { cell, feed: this.inputFeeding ? zeros([batch, this.featureSize], { dtype: this.dtype }) : null };
  }

  /**
   * One decoder step: y(t-1) ids [B] and the carried state to the logits of y(t). Exactly
   * one cell step (plus one attention read); the state is handed on, never recomputed.
   */
  step(previous: Tensor, state: DecoderState, source: EncodedSource): DecoderStep {
    const r = this.advance(previous, state, source);
    return { logits: this.head.forward(this.outputDropout.forward(r.features)), state: r.state, attention: r.attention };
  }

  /** A step up to the features h~(t) the head reads: the part of `step` that depends on the previous one. */
  private advance(previous: Tensor, state: DecoderState, source: EncodedSource): { features: Tensor; state: DecoderState; attention: Tensor | null } {
    const embedded = this.targetEmbed.forward(previous);
    const x = state.feed === null ? embedded : concat([embedded, state.feed], 1);
    const r = fusedStep(this.decoder, x, state.cell);
    let features = r.output;
    let weights: Tensor | null = null;
    if (this.attention !== null && this.combine !== null && source.memory !== null) {
      const read = this.attention.attend(r.output, source.memory);
      features = tanh(this.combine.forward(concat([r.output, read.context], 1)));
      weights = read.weights;
    }
    return { features, state: { cell: r.state, feed: this.inputFeeding ? features : null }, attention: weights };
  }

  /**
   * Logits of every target position given the source, with teacher forcing (y(t-1) is the
   * true previous symbol) unless `options.feedback` says otherwise. `target` holds the
   * symbols followed by the end token, padded: [B, T].
   */
  forward(source: TokenBatch, target: TokenBatch, options: Seq2SeqForwardOptions = {}): Seq2SeqForwardResult {
    const encoded = this.encode(source);
    const [batch, steps] = target.tokens.shape as [number, number];
    if (target.tokens.rank !== 2 || batch !== source.lengths.length) {
      throw new ShapeError('Seq2Seq.forward', 'target ids must be [batch, length] with the source\'s batch', [target.tokens.shape, source.tokens.shape]);
    }
    const truth = target.tokens.data;
    const vocab = this.config.targetVocabSize;
    let state = this.initialState(encoded);
    let previous = filled(batch, SEQ2SEQ_TOKENS.bos, this.dtype);
    const logits: Tensor[] = [];
    const features: Tensor[] = [];
    const attention: Tensor[] = [];
    for (let t = 0; t < steps; t++) {
      const next = allocate(this.dtype, batch);
      for (let b = 0; b < batch; b++) next[b] = truth[b * steps + t] as number;
      if (options.feedback === undefined) {
        // Teacher forcing: the head does not feed the recurrence, so it runs once over all steps (one gemm).
        const r = this.advance(previous, state, encoded);
        features.push(r.features);
        if (r.attention !== null) attention.push(r.attention);
        state = r.state;
      } else {
        const r = this.step(previous, state, encoded);
        logits.push(r.logits);
        if (r.attention !== null) attention.push(r.attention);
        state = r.state;
        const fed = options.feedback({ t, output: r.logits, target: oneHot(next, vocab, this.dtype), iteration: options.iteration ?? 0 });
        if (fed.rank !== 2 || fed.shape[0] !== batch || fed.shape[1] !== vocab) {
          throw new ArgumentError('Seq2Seq.forward', `the feedback at step ${t} must be [${batch}, ${vocab}], got [${fed.shape.join(',')}]`);
        }
        for (let b = 0; b < batch; b++) next[b] = argmaxRow(fed.data, b * vocab, vocab);
      }
      previous = new Tensor(next, [batch]);
    }
    const all = options.feedback === undefined ? this.head.forward(this.outputDropout.forward(stack(features, 1))) : stack(logits, 1);
    return { logits: all, attention: attention.length === 0 ? null : stack(attention, 1) };
  }

  /**
   * The rows `rows` of an encoded batch (repeats allowed): beams of one example share its
   * source, finished examples drop out. A gather on the batch axis of every tensor.
   */
  selectSource(source: EncodedSource, rows: readonly number[]): EncodedSource {
    const index = indexTensor(rows);
    const pick = (t: Tensor): Tensor => gather(t, index);
    return {
      context: pick(source.context),
      memory: source.memory === null ? null : { values: pick(source.memory.values), keys: pick(source.memory.keys), mask: pick(source.memory.mask) },
      lengths: rows.map((r) => source.lengths[r] as number),
    };
  }

  /** The rows `rows` of a decoder state (repeats allowed): how beam search reorders its beams. */
  selectState(state: DecoderState, rows: readonly number[]): DecoderState {
    const index = indexTensor(rows);
    return { cell: mapState(state.cell, (t) => gather(t, index)), feed: state.feed === null ? null : gather(state.feed, index) };
  }
}

/**
 * One step of `cell`, through the cell's fused whole-sequence kernel on a sequence of
 * length 1 when it has one (`scan` picks it): the same values as `cell.step` (the fused
 * kernels are checked equal to the composed step in sequence/fused.test.ts), about twice
 * as fast forward and backward for a GRU or LSTM step, because one fused op replaces the
 * twenty-odd small ops of the composed step. A context-conditioned cell is unwrapped so
 * its inner cell can take that path; the context still travels in the state.
 */
function fusedStep(cell: Cell, x: Tensor, state: CellState): StepResult<CellState> {
  if (cell instanceof ContextConditionedCell) {
    const { context, ...inner } = state as ContextState<CellState>;
    const r = fusedStep(cell.inner, cell.contextAtEveryStep ? concat([x, context], 1) : x, inner);
    return { output: r.output, state: { ...r.state, context } };
  }
  if (cell.scanFused === undefined) return cell.step(x, state);
  const batch = x.shape[0] as number;
  const r = scan(cell, reshape(x, [batch, 1, x.shape[1] as number]), { initialState: state });
  return { output: reshape(r.outputs, [batch, cell.outputSize]), state: r.finalState };
}

/**
 * The training loss: mean cross-entropy over the real target positions (each sequence's
 * symbols and its end token), -1/N sum_{b, t < len_b} log P(y_bt | y_b,<t, x_b). Which
 * positions count comes from the lengths, not from the ids, so whatever fills the padding
 * has no effect.
 *
 * @example
 * ```ts
 * const loss = sequenceLoss(model.forward(src, tgt).logits, tgt);
 * ```
 */
export function sequenceLoss(logits: Tensor, target: TokenBatch): Tensor {
  const [batch, steps] = target.tokens.shape as [number, number];
  const mask = allocate(logits.dtype, batch * steps);
  target.lengths.forEach((n, b) => mask.fill(1, b * steps, b * steps + n));
  return crossEntropy(logits, target.tokens, { mask: new Tensor(mask, [batch, steps]) });
}

/** Options of {@link padSequences}. */
export interface PadOptions {
  /** Append the end token to every sequence (targets). Default false. */
  readonly appendEnd?: boolean;
  /** Pad to at least this length (default: the longest sequence). */
  readonly length?: number;
  readonly dtype?: DType;
}

/**
 * Packs id sequences into one [B, T] batch padded with the pad id, with their lengths.
 * Every sequence needs at least one id (after the optional end token).
 *
 * @example
 * ```ts
 * padSequences([[3, 4, 5], [6]], { appendEnd: true }).tokens.toArray(); // [[3, 4, 5, 2], [6, 2, 0, 0]]
 * ```
 */
export function padSequences(sequences: readonly ArrayLike<number>[], options: PadOptions = {}): TokenBatch {
  const extra = options.appendEnd === true ? 1 : 0;
  const lengths = sequences.map((s) => s.length + extra);
  lengths.forEach((n, i) => {
    if (n < 1) throw new ArgumentError('padSequences', `sequence ${i} is empty`);
  });
  const steps = Math.max(options.length ?? 1, ...lengths);
  const data = allocate(options.dtype ?? 'float32', sequences.length * steps);
  sequences.forEach((s, b) => {
    for (let t = 0; t < s.length; t++) data[b * steps + t] = s[t] as number;
    if (extra === 1) data[b * steps + s.length] = SEQ2SEQ_TOKENS.eos;
  });
  return { tokens: new Tensor(data, [sequences.length, steps]), lengths };
}

function filled(n: number, value: number, dtype: DType): Tensor {
  const data = allocate(dtype, n);
  data.fill(value);
  return new Tensor(data, [n]);
}

function oneHot(ids: ArrayLike<number>, classes: number, dtype: DType): Tensor {
  const data = allocate(dtype, ids.length * classes);
  for (let b = 0; b < ids.length; b++) {
    const id = ids[b] as number;
    // A padded position has no symbol; its row stays zero (it only feeds ignored positions).
    if (id !== SEQ2SEQ_TOKENS.pad) data[b * classes + id] = 1;
  }
  return new Tensor(data, [ids.length, classes]);
}

function argmaxRow(data: ArrayLike<number>, offset: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if ((data[offset + i] as number) > (data[offset + best] as number)) best = i;
  return best;
}

function indexTensor(rows: readonly number[]): Tensor {
  return new Tensor(Float64Array.from(rows), [rows.length]);
}

function checkConfig(config: Seq2SeqConfig): void {
  for (const key of ['sourceVocabSize', 'targetVocabSize', 'embedding', 'hidden', 'encoderLayers'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new ArgumentError('Seq2Seq', `${key} must be a positive integer, got ${config[key]}`);
  }
  for (const key of ['sourceVocabSize', 'targetVocabSize'] as const) {
    if (config[key] <= FIRST_SYMBOL_ID) throw new ArgumentError('Seq2Seq', `${key} must exceed the ${FIRST_SYMBOL_ID} reserved tokens, got ${config[key]}`);
  }
  for (const key of ['cell', 'decoderCell'] as const) {
    const kind = config[key];
    if (kind !== undefined && !STANDALONE_CELL_KINDS.includes(kind)) {
      throw new ArgumentError('Seq2Seq', `${key} '${kind}' is not a cell kind buildable from sizes alone (${STANDALONE_CELL_KINDS.join(', ')})`);
    }
  }
  if (config.decoderHidden !== undefined && (!Number.isInteger(config.decoderHidden) || config.decoderHidden < 1)) {
    throw new ArgumentError('Seq2Seq', `decoderHidden must be a positive integer, got ${config.decoderHidden}`);
  }
  if (config.attention !== 'none' && !(config.attention in ATTENTIONS)) throw new ArgumentError('Seq2Seq', `unknown attention '${String(config.attention)}'`);
  if (!CONTEXT_MODES.includes(config.context)) throw new ArgumentError('Seq2Seq', `context must be one of ${CONTEXT_MODES.join(', ')}, got '${String(config.context)}'`);
  if (config.context === 'none' && config.attention === 'none') {
    throw new ArgumentError('Seq2Seq', "with context 'none' and no attention the decoder would never see the source");
  }
}
