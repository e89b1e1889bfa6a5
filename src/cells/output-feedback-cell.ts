import { Module } from '../nn/index.js';
import { add, matmul, tanh } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import { checkBaseConfig, checkStepInput, type BaseCellConfig, type Cell, type CellState, type StepResult } from './cell.js';
import { uniformParameter } from './params.js';

/**
 * A cell whose next step reads a value fed back from outside the hidden state (its
 * previous output, or the ground truth under teacher forcing). `runWithFeedback` in
 * sequence/ decides at every step what is fed back and writes it with `withFeedback`.
 *
 * @example
 * ```ts
 * const cell: FeedbackCell = new OutputFeedbackCell({ inputSize: 1, hiddenSize: 8, outputSize: 2 }, new Rng(0));
 * const s = cell.withFeedback(cell.initialState(4), start); // start [4, 2] is y(-1)
 * ```
 */
export interface FeedbackCell<S extends CellState = CellState> extends Cell<S> {
  /** Features of the fed-back value y(t-1). */
  readonly feedbackSize: number;
  /** `state` with its fed-back value replaced by `fed` [B, feedbackSize]: what the next step reads as y(t-1). */
  withFeedback(state: S, fed: Tensor): S;
}

/**
 * True when `cell` can be driven by `runWithFeedback` (it has `feedbackSize` and `withFeedback`).
 *
 * @example
 * ```ts
 * isFeedbackCell(new OutputFeedbackCell({ inputSize: 1, hiddenSize: 4, outputSize: 2 }, new Rng(0))); // true
 * isFeedbackCell(new RNNCell({ inputSize: 1, hiddenSize: 4 }, new Rng(0)));                           // false
 * ```
 */
export function isFeedbackCell<S extends CellState>(cell: Cell<S>): cell is FeedbackCell<S> {
  const c = cell as Partial<FeedbackCell<S>>;
  return typeof c.withFeedback === 'function' && typeof c.feedbackSize === 'number';
}

/** Config of an {@link OutputFeedbackCell}. */
export interface OutputFeedbackCellConfig extends BaseCellConfig {
  /** Features of the output o(t), which is also what is fed back. */
  readonly outputSize: number;
  /**
   * Also keep the hidden-to-hidden recurrence W_hh h(t-1) (default false: the chapter's
   * Figure 10.4, where the output is the only thing carried forward). True gives the
   * conditional RNN of Figure 10.10, which has both.
   */
  readonly hiddenRecurrence?: boolean;
  /** Include the biases b and c (default true). */
  readonly bias?: boolean;
}

/** The defaults of {@link OutputFeedbackCellConfig}, in one place. */
export const OUTPUT_FEEDBACK_DEFAULTS = { hiddenRecurrence: false, bias: true } as const;

/**
 * The state of an {@link OutputFeedbackCell}: the fed-back value y(t-1) [B, O] and the last
 * hidden vector h(t-1) [B, H]. h is read back only with `hiddenRecurrence`; it is carried
 * in every configuration so the state has one type and a context can initialise it.
 */
export type OutputFeedbackState = { readonly h: Tensor; readonly y: Tensor };

/**
 * The chapter's second recurrent pattern (section 10.2, Figure 10.4): recurrence from the
 * OUTPUT at one step to the hidden units at the next,
 *
 *     h(t) = tanh(b + W y(t-1) + U x(t) [+ W_hh h(t-1)])
 *     o(t) = c + V h(t)
 *
 * with U = weightIh [H, I], W = weightYh [H, O], V = weightHo [O, H], b = biasIh,
 * c = biasHo, and the bracketed term only with `hiddenRecurrence` (Figure 10.10).
 *
 * Left to itself (under `scan`) the cell feeds back its own output: y(t) = o(t), the
 * free-running mode. Because y(t-1) is in the state, `runWithFeedback` can feed back the
 * ground truth instead (teacher forcing, section 10.2.1): without hidden recurrence every
 * step then depends only on x(t) and the target y(t-1), so the steps decouple and train
 * in parallel. Since o(t) is all the next step sees, this cell is less powerful than the
 * Elman RNN: o must carry everything the future needs.
 *
 * @example
 * ```ts
 * const cell = new OutputFeedbackCell({ inputSize: 3, hiddenSize: 16, outputSize: 2 }, new Rng(0));
 * const { outputs } = runWithFeedback(cell, xs, { targets: ys, feedback: teacherForcing() }); // training
 * const free = runWithFeedback(cell, xs, { feedback: freeRunning() });                      // generation
 * ```
 */
export class OutputFeedbackCell extends Module implements FeedbackCell<OutputFeedbackState> {
  readonly kind = 'output-feedback';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly feedbackSize: number;
  readonly dtype: DType;
  /** U: [hiddenSize, inputSize] */
  readonly weightIh: Tensor;
  /** W, from y(t-1): [hiddenSize, outputSize] */
  readonly weightYh: Tensor;
  /** W_hh: [hiddenSize, hiddenSize] with hiddenRecurrence, else null */
  readonly weightHh: Tensor | null;
  /** b: [hiddenSize], or null without bias */
  readonly biasIh: Tensor | null;
  /** V: [outputSize, hiddenSize] */
  readonly weightHo: Tensor;
  /** c: [outputSize], or null without bias */
  readonly biasHo: Tensor | null;

  constructor(config: OutputFeedbackCellConfig, rng: Rng) {
    super();
    checkBaseConfig('output-feedback', config);
    const { inputSize: i, hiddenSize: h, outputSize: o } = config;
    if (!Number.isInteger(o) || o <= 0) throw new ArgumentError('output-feedback cell', `outputSize must be a positive integer, got ${o}`);
    this.inputSize = i;
    this.hiddenSize = h;
    this.outputSize = o;
    this.feedbackSize = o;
    this.dtype = config.dtype ?? 'float32';
    const k = 1 / Math.sqrt(h);
    const bias = config.bias ?? OUTPUT_FEEDBACK_DEFAULTS.bias;
    this.weightIh = uniformParameter([h, i], k, rng, this.dtype);
    this.weightYh = uniformParameter([h, o], k, rng, this.dtype);
    this.weightHh = (config.hiddenRecurrence ?? OUTPUT_FEEDBACK_DEFAULTS.hiddenRecurrence) ? uniformParameter([h, h], k, rng, this.dtype) : null;
    this.biasIh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    // V reads h like a Linear layer with h inputs: U(-1/sqrt(H), 1/sqrt(H)) as well.
    this.weightHo = uniformParameter([o, h], k, rng, this.dtype);
    this.biasHo = bias ? uniformParameter([o], k, rng, this.dtype) : null;
  }

  initialState(batch: number): OutputFeedbackState {
    return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }), y: zeros([batch, this.outputSize], { dtype: this.dtype }) };
  }

  withFeedback(state: OutputFeedbackState, fed: Tensor): OutputFeedbackState {
    const batch = state.y.shape[0];
    if (fed.rank !== 2 || fed.shape[0] !== batch || fed.shape[1] !== this.feedbackSize) {
      throw new ArgumentError('output-feedback cell', `the fed-back value must be [${batch}, ${this.feedbackSize}], got [${fed.shape.join(',')}]`);
    }
    return { h: state.h, y: fed };
  }

  step(x: Tensor, state: OutputFeedbackState): StepResult<OutputFeedbackState> {
    checkStepInput(this, x);
    let a = add(matmul(x, this.weightIh, { transB: true }), matmul(state.y, this.weightYh, { transB: true }));
    if (this.weightHh !== null) a = add(a, matmul(state.h, this.weightHh, { transB: true }));
    if (this.biasIh !== null) a = add(a, this.biasIh);
    const h = tanh(a);
    let o = matmul(h, this.weightHo, { transB: true });
    if (this.biasHo !== null) o = add(o, this.biasHo);
    return { output: o, state: { h, y: o } };
  }
}
