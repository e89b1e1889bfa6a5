import { Module } from '../nn/index.js';
import { add, matmul, tanh } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import { checkBaseConfig, checkStepInput, type BaseCellConfig, type Cell, type StepResult } from './cell.js';
import { uniformParameter } from './params.js';

/** Config of a {@link SkipCell}. */
export interface SkipCellConfig extends BaseCellConfig {
  /** The delay d >= 1 of the skip connection h(t-d) -> h(t) (default 2). */
  readonly delay?: number;
  /** Include the biases (default true). */
  readonly bias?: boolean;
}

/** The defaults of {@link SkipCellConfig}, in one place. */
export const SKIP_DEFAULTS = { delay: 2, bias: true } as const;

/**
 * The state of a {@link SkipCell}: the last d hidden states, newest first.
 * `h` is h(t-1); `past[k]` is h(t-2-k), so `past` has d - 1 entries (none when d = 1).
 */
export type SkipState = { readonly h: Tensor; readonly past: readonly Tensor[] };

/**
 * An Elman RNN with a skip connection through time of delay d (the chapter's section
 * 10.9.1; Lin et al. 1996):
 *
 *     h(t) = tanh(b + W_1 h(t-1) + W_d h(t-d) + U x(t))
 *
 * with U = weightIh [H, I], W_1 = weightHh [H, H], W_d = weightSkip [H, H] and
 * b = biasIh + biasHh. Gradients from h(t) reach h(t-n) through about n/d products of
 * Jacobians along the delayed edges instead of n, so they vanish (or explode) over time
 * spans d times longer. With d = 1 both recurrent terms read h(t-1) and the cell is an
 * Elman RNN with W = W_1 + W_d.
 *
 * The d previous hidden states are carried in the state as a list, newest first; states
 * before the first step are zero.
 *
 * @example
 * ```ts
 * const cell = new SkipCell({ inputSize: 3, hiddenSize: 16, delay: 4 }, new Rng(0));
 * const s = cell.initialState(2); // { h [2, 16], past: three tensors [2, 16] }
 * const { output } = cell.step(x, s); // x [2, 3] -> [2, 16]
 * ```
 */
export class SkipCell extends Module implements Cell<SkipState> {
  readonly kind = 'skip';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly dtype: DType;
  /** d */
  readonly delay: number;
  /** U: [hiddenSize, inputSize] */
  readonly weightIh: Tensor;
  /** W_1, from h(t-1): [hiddenSize, hiddenSize] */
  readonly weightHh: Tensor;
  /** W_d, from h(t-d): [hiddenSize, hiddenSize] */
  readonly weightSkip: Tensor;
  /** [hiddenSize], or null without bias */
  readonly biasIh: Tensor | null;
  /** [hiddenSize], or null without bias */
  readonly biasHh: Tensor | null;

  constructor(config: SkipCellConfig, rng: Rng) {
    super();
    checkBaseConfig('skip', config);
    const { inputSize: i, hiddenSize: h } = config;
    const d = config.delay ?? SKIP_DEFAULTS.delay;
    if (!Number.isInteger(d) || d < 1) throw new ArgumentError('skip cell', `delay must be an integer >= 1, got ${d}`);
    this.inputSize = i;
    this.hiddenSize = h;
    this.outputSize = h;
    this.delay = d;
    this.dtype = config.dtype ?? 'float32';
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([h, h], k, rng, this.dtype);
    this.weightSkip = uniformParameter([h, h], k, rng, this.dtype);
    const bias = config.bias ?? SKIP_DEFAULTS.bias;
    this.biasIh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    this.biasHh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
  }

  initialState(batch: number): SkipState {
    const zero = (): Tensor => zeros([batch, this.hiddenSize], { dtype: this.dtype });
    return { h: zero(), past: Array.from({ length: this.delay - 1 }, zero) };
  }

  step(x: Tensor, state: SkipState): StepResult<SkipState> {
    checkStepInput(this, x);
    if (state.past.length !== this.delay - 1) {
      throw new ArgumentError('skip cell step', `state.past must hold delay - 1 = ${this.delay - 1} tensors, got ${state.past.length}`);
    }
    const delayed = this.delay === 1 ? state.h : (state.past[this.delay - 2] as Tensor);
    let a = add(matmul(x, this.weightIh, { transB: true }), matmul(state.h, this.weightHh, { transB: true }));
    a = add(a, matmul(delayed, this.weightSkip, { transB: true }));
    if (this.biasIh !== null && this.biasHh !== null) a = add(a, add(this.biasIh, this.biasHh));
    const h = tanh(a);
    // Shift the window: h(t-1) joins the past, h(t-d) (just read) drops off the end.
    const past = this.delay === 1 ? [] : [state.h, ...state.past.slice(0, this.delay - 2)];
    return { output: h, state: { h, past } };
  }
}
