// Initialisers in the manner of torch.nn.init: each writes into an existing tensor's data
// (outside any graph) using an explicit Rng, and returns the tensor. Exported from nn as
// the namespace `init`, so `init.zeros` never collides with the creation function `zeros`.
import { qr } from '../kernels/index.js';
import { ArgumentError, ShapeError, type Rng, type Tensor } from '../tensor/index.js';

/** fanIn and fanOut of a weight shape, as {@link computeFans} reports them. */
export interface Fans {
  readonly fanIn: number;
  readonly fanOut: number;
}

/**
 * The fans of a weight in PyTorch's layout: for shape [out, in, ...receptive],
 * fanIn = in * prod(receptive) and fanOut = out * prod(receptive). A Linear weight
 * [out, in] gives fanIn = in, fanOut = out; a recurrent weightHh [4H, H] gives fanIn = H.
 *
 * @example
 * ```ts
 * import { init, zeros, ones, Rng } from 'unfold';
 * init.computeFans([16, 4]); // { fanIn: 4, fanOut: 16 }
 * ```
 */
export function computeFans(shape: readonly number[]): Fans {
  if (shape.length < 2) {
    throw new ShapeError('computeFans', 'fan in and fan out need a tensor with at least two axes', [shape]);
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i] as number;
  return { fanIn: (shape[1] as number) * receptive, fanOut: (shape[0] as number) * receptive };
}

/**
 * Fills with samples of U(low, high).
 *
 * @example
 * ```ts
 * import { init, zeros, ones, Rng } from 'unfold';
 * init.uniform(zeros([3, 3]), new Rng(0), -0.1, 0.1);
 * ```
 */
export function uniform(t: Tensor, rng: Rng, low = 0, high = 1): Tensor {
  if (!(low <= high)) throw new ArgumentError('init.uniform', `need low <= high, got [${low}, ${high})`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniformRange(low, high);
  return t;
}

/**
 * Fills with samples of N(mean, std^2).
 *
 * @example
 * ```ts
 * import { init, zeros, ones, Rng } from 'unfold';
 * init.normal(zeros([100, 16]), new Rng(0), 0, 0.02);
 * ```
 */
export function normal(t: Tensor, rng: Rng, mean = 0, std = 1): Tensor {
  if (!(std >= 0)) throw new ArgumentError('init.normal', `std must be non-negative, got ${std}`);
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = mean + std * rng.normal();
  return t;
}

/**
 * Xavier/Glorot uniform (Glorot & Bengio 2010): U(-b, b) with
 * b = gain * sqrt(6 / (fanIn + fanOut)), so Var = gain^2 * 2 / (fanIn + fanOut).
 * Fans from {@link computeFans}.
 *
 * @example
 * ```ts
 * import { init, zeros, ones, Rng } from 'unfold';
 * init.xavierUniform(zeros([64, 32]), new Rng(0)); // b = sqrt(6 / 96) = 0.25
 * ```
 */
export function xavierUniform(t: Tensor, rng: Rng, gain = 1): Tensor {
  const { fanIn, fanOut } = computeFans(t.shape);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, rng, -bound, bound);
}

/**
 * Xavier/Glorot normal: N(0, s^2) with s = gain * sqrt(2 / (fanIn + fanOut)).
 *
 * @example
 * ```ts
 * import { init, zeros, ones, Rng } from 'unfold';
 * init.xavierNormal(zeros([64, 32]), new Rng(0)); // s = sqrt(2 / 96)
 * ```
 */
export function xavierNormal(t: Tensor, rng: Rng, gain = 1): Tensor {
  const { fanIn, fanOut } = computeFans(t.shape);
  return normal(t, rng, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/** Options of {@link kaimingUniform} and {@link kaimingNormal}. */
export interface KaimingOptions {
  /**
   * The gain of the non-linearity that follows: sqrt(2) for ReLU (the default),
   * sqrt(2 / (1 + a^2)) for leaky ReLU with slope a, 5/3 for tanh, 1 for linear/sigmoid.
   * PyTorch's default Linear init is kaimingUniform with gain sqrt(1/3) (a = sqrt(5)),
   * i.e. U(-1/sqrt(fanIn), 1/sqrt(fanIn)).
   */
  readonly gain?: number;
  /** Preserve the variance of activations forward (`'fanIn'`, default) or of gradients backward (`'fanOut'`). */
  readonly mode?: 'fanIn' | 'fanOut';
}

function kaimingStd(where: string, t: Tensor, options: KaimingOptions): number {
  const { fanIn, fanOut } = computeFans(t.shape);
  const fan = (options.mode ?? 'fanIn') === 'fanIn' ? fanIn : fanOut;
  if (fan === 0) throw new ShapeError(where, 'cannot initialise a tensor with a zero fan', [t.shape]);
  return (options.gain ?? Math.SQRT2) / Math.sqrt(fan);
}

/**
 * Kaiming/He uniform (He et al. 2015): U(-b, b) with b = gain * sqrt(3 / fan),
 * fan = fanIn (default) or fanOut, so Var = gain^2 / fan.
 *
 * @example
 * ```ts
 * import { init, zeros, ones, Rng } from 'unfold';
 * init.kaimingUniform(zeros([128, 64]), new Rng(0)); // b = sqrt(2) * sqrt(3 / 64)
 * ```
 */
export function kaimingUniform(t: Tensor, rng: Rng, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('init.kaimingUniform', t, options);
  return uniform(t, rng, -bound, bound);
}

/**
 * Kaiming/He normal: N(0, s^2) with s = gain / sqrt(fan).
 *
 * @example
 * ```ts
 * import { init, zeros, ones, Rng } from 'unfold';
 * init.kaimingNormal(zeros([128, 64]), new Rng(0)); // s = sqrt(2 / 64)
 * ```
 */
export function kaimingNormal(t: Tensor, rng: Rng, options: KaimingOptions = {}): Tensor {
  return normal(t, rng, 0, kaimingStd('init.kaimingNormal', t, options));
}

/**
 * A (semi-)orthogonal matrix times `gain` (Saxe et al. 2014), as torch.nn.init.orthogonal_.
 *
 * The tensor is viewed as W [rows, cols] with rows = shape[0] and cols = the product of
 * the rest. A Gaussian matrix G [rows, cols] is drawn; when rows < cols it is transposed
 * so that it is tall. Its QR factorisation G = Q R (Householder, float64) is taken with
 * the signs fixed so diag(R) > 0 (without it Q is not uniformly distributed), and
 * W = gain * Q (transposed back if G was). Hence W^T W = gain^2 I when rows >= cols and
 * W W^T = gain^2 I when rows < cols.
 *
 * Recurrent weights are often initialised this way to keep the spectrum of the
 * recurrence near 1 (the long-term-dependency problem).
 *
 * @example
 * ```ts
 * import { init, zeros, Rng } from 'unfold';
 * const w = init.orthogonal(zeros([32, 32]), new Rng(0)); // w^T w = I
 * ```
 */
export function orthogonal(t: Tensor, rng: Rng, gain = 1): Tensor {
  if (t.rank < 2) throw new ShapeError('init.orthogonal', 'only tensors with two or more axes can be orthogonal', [t.shape]);
  const rows = t.shape[0] as number;
  const cols = t.size / rows;
  if (t.size === 0) return t;
  const g = new Float64Array(t.size);
  for (let i = 0; i < g.length; i++) g[i] = rng.normal();
  const wide = rows < cols;
  // Tall view [m, n] = [max, min]: transposing a row-major [rows, cols] buffer into [cols, rows].
  const m = wide ? cols : rows;
  const n = wide ? rows : cols;
  const tall = wide ? transposed(g, rows, cols) : g;
  const { q } = qr(tall, m, n); // [m, n]
  const d = t.data;
  if (wide) {
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) d[i * cols + j] = gain * (q[j * n + i] as number);
  } else {
    for (let i = 0; i < q.length; i++) d[i] = gain * (q[i] as number);
  }
  return t;
}

function transposed(a: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = a[i * cols + j] as number;
  return out;
}

/**
 * Fills with one value.
 *
 * @example
 * ```ts
 * import { init, zeros, ones, Rng } from 'unfold';
 * init.constant(zeros([4]), 0.5); // [0.5, 0.5, 0.5, 0.5]
 * ```
 */
export function constant(t: Tensor, value: number): Tensor {
  t.data.fill(value);
  return t;
}

/** Fills with 0. @example `init.zeros(ones([3])) // [0, 0, 0]` */
export function zeros(t: Tensor): Tensor {
  return constant(t, 0);
}

/** Fills with 1. @example `init.ones(zeros([3]))` */
export function ones(t: Tensor): Tensor {
  return constant(t, 1);
}
