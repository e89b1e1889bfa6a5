import { ArgumentError, type Tensor } from '../tensor/index.js';
import { apply } from './apply.js';
import { releaseSequenceTape } from './fused.js';
import { reshape, slice } from './functional.js';
import type { SequenceAttrs } from './op-def.js';

/**
 * The weights of a recurrent layer in PyTorch's layout, G gate blocks stacked along the rows
 * (1 for RNN; 4 for LSTM, i f g o; 3 for GRU, r z n). RNNCell, LSTMCell and GRUCell have
 * exactly these fields, so a cell can be passed as is.
 *
 * @example
 * ```ts
 * const params: SequenceParams = { weightIh, weightHh, biasIh: null, biasHh: null };
 * ```
 */
export interface SequenceParams {
  /** [G*H, I] */
  readonly weightIh: Tensor;
  /** [G*H, H] */
  readonly weightHh: Tensor;
  /** [G*H] or null */
  readonly biasIh: Tensor | null;
  /** [G*H] or null */
  readonly biasHh: Tensor | null;
}

/**
 * Masking and direction of a fused sequence op, as in `scan`.
 *
 * @example
 * ```ts
 * const options: SequenceOpOptions = { lengths: [5, 3], reverse: true };
 * ```
 */
export interface SequenceOpOptions {
  /** Valid steps per example, each in 1..T; padded steps carry the state and output 0. */
  readonly lengths?: readonly number[];
  /** Run from the last step to the first (outputs stay aligned with their inputs). */
  readonly reverse?: boolean;
}

/**
 * The outputs [B, T, H] of a fused recurrence and its final hidden state h [B, H].
 *
 * @example
 * ```ts
 * const { outputs, h }: SequenceOpResult = gruSequence(xs, h0, cell);
 * ```
 */
export interface SequenceOpResult {
  readonly outputs: Tensor;
  readonly h: Tensor;
}

function attrsOf(options: SequenceOpOptions): SequenceAttrs {
  return { lengths: options.lengths ?? null, reverse: options.reverse ?? false };
}

function inputsOf<S extends Tensor[]>(head: S, p: SequenceParams): [...S, Tensor, Tensor] | [...S, Tensor, Tensor, Tensor, Tensor] {
  if ((p.biasIh === null) !== (p.biasHh === null)) throw new ArgumentError('fused sequence op', 'give both biases or neither');
  return p.biasIh === null || p.biasHh === null
    ? [...head, p.weightIh, p.weightHh]
    : [...head, p.weightIh, p.weightHh, p.biasIh, p.biasHh];
}

/** Row `row` of the time axis of packed [B, T+S, H] as [B, H]. */
function timeRow(packed: Tensor, row: number): Tensor {
  const [b, , h] = packed.shape as [number, number, number];
  return reshape(slice(packed, [0, row, 0], [b, 1, h]), [b, h]);
}

function split(packed: Tensor, steps: number): Tensor {
  const [b, , h] = packed.shape as [number, number, number];
  return slice(packed, [0, 0, 0], [b, steps, h]);
}

/**
 * An Elman RNN over a whole sequence as one differentiable op (the fused twin of `scan` over
 * RNNCell; same results, several times faster):
 *
 *     h(t) = act(x(t) W_ih^T + b_ih + h(t-1) W_hh^T + b_hh),   act = tanh (default) or relu
 *
 * xs [B, T, I], h0 [B, H]. Returns the outputs [B, T, H] and the final h [B, H].
 *
 * @example
 * ```ts
 * const cell = new RNNCell({ inputSize: 3, hiddenSize: 8 }, new Rng(0));
 * const { outputs, h } = rnnSequence(xs, zeros([2, 8]), cell, { lengths: [5, 3] }); // xs [2, 5, 3]
 * ```
 */
export function rnnSequence(
  xs: Tensor, h0: Tensor, params: SequenceParams, options: SequenceOpOptions & { readonly nonlinearity?: 'tanh' | 'relu' } = {},
): SequenceOpResult {
  const steps = xs.shape[1] as number;
  const packed = apply('rnnSequence', inputsOf([xs, h0], params), { ...attrsOf(options), nonlinearity: options.nonlinearity ?? 'tanh' });
  releaseSequenceTape(packed);
  return { outputs: split(packed, steps), h: timeRow(packed, steps) };
}

/**
 * An LSTM over a whole sequence as one differentiable op (the fused twin of `scan` over
 * LSTMCell without peepholes or projection), gate order i, f, g, o:
 *
 *     [i f g o] = sigma, sigma, tanh, sigma of (x(t) W_ih^T + b_ih + h(t-1) W_hh^T + b_hh)
 *     c(t) = f * c(t-1) + i * g,   h(t) = o * tanh(c(t))
 *
 * xs [B, T, I], h0 and c0 [B, H]. Returns the outputs [B, T, H] and the final h and c [B, H].
 *
 * @example
 * ```ts
 * const cell = new LSTMCell({ inputSize: 3, hiddenSize: 8 }, new Rng(0));
 * const { outputs, h, c } = lstmSequence(xs, zeros([2, 8]), zeros([2, 8]), cell);
 * ```
 */
export function lstmSequence(xs: Tensor, h0: Tensor, c0: Tensor, params: SequenceParams, options: SequenceOpOptions = {}): SequenceOpResult & { readonly c: Tensor } {
  const steps = xs.shape[1] as number;
  const packed = apply('lstmSequence', inputsOf([xs, h0, c0], params), attrsOf(options));
  releaseSequenceTape(packed);
  return { outputs: split(packed, steps), h: timeRow(packed, steps), c: timeRow(packed, steps + 1) };
}

/**
 * A GRU over a whole sequence as one differentiable op (the fused twin of `scan` over
 * GRUCell), gate order r, z, n:
 *
 *     r = sigma(x_r + h_r),  z = sigma(x_z + h_z),  h(t) = (1 - z) * n + z * h(t-1)
 *     n = tanh(x_n + r * (h(t-1) W_hn^T + b_hn))     resetAfter = true (default)
 *     n = tanh(x_n + (r * h(t-1)) W_hn^T + b_hn)     resetAfter = false
 *
 * xs [B, T, I], h0 [B, H]. Returns the outputs [B, T, H] and the final h [B, H].
 *
 * @example
 * ```ts
 * const cell = new GRUCell({ inputSize: 3, hiddenSize: 8, resetAfter: false }, new Rng(0));
 * const { outputs, h } = gruSequence(xs, zeros([2, 8]), cell, { resetAfter: false, reverse: true });
 * ```
 */
export function gruSequence(
  xs: Tensor, h0: Tensor, params: SequenceParams, options: SequenceOpOptions & { readonly resetAfter?: boolean } = {},
): SequenceOpResult {
  const steps = xs.shape[1] as number;
  const packed = apply('gruSequence', inputsOf([xs, h0], params), { ...attrsOf(options), resetAfter: options.resetAfter ?? true });
  releaseSequenceTape(packed);
  return { outputs: split(packed, steps), h: timeRow(packed, steps) };
}
