import { ArgumentError, Tensor, allocate, normaliseAxis, type DType } from '../tensor/index.js';
import { apply } from './apply.js';
import type { ReduceAttrs } from './op-def.js';

const NO_ATTRS = Object.freeze({}) as Readonly<Record<string, never>>;

/** A tensor or a plain number (made a scalar of the other operand's dtype). */
export type TensorLike = Tensor | number;

function scalarLike(value: number, dtype: DType): Tensor {
  const data = allocate(dtype, 1);
  data[0] = value;
  return new Tensor(data, []);
}

function pair(a: TensorLike, b: TensorLike): [Tensor, Tensor] {
  if (typeof a === 'number' && typeof b === 'number') throw new ArgumentError('binary op', 'at least one operand must be a tensor');
  const ta = typeof a === 'number' ? scalarLike(a, (b as Tensor).dtype) : a;
  const tb = typeof b === 'number' ? scalarLike(b, ta.dtype) : b;
  return [ta, tb];
}

/** a + b, broadcasting. @example `add(x, 1)`, `add(xw, bias)` */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return apply('add', pair(a, b), NO_ATTRS);
}

/** a - b, broadcasting. @example `sub(y, target)` */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return apply('sub', pair(a, b), NO_ATTRS);
}

/** a * b element-wise, broadcasting. @example `mul(gate, h)` */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return apply('mul', pair(a, b), NO_ATTRS);
}

/** a / b element-wise, broadcasting. @example `div(x, norm)` */
export function div(a: TensorLike, b: TensorLike): Tensor {
  return apply('div', pair(a, b), NO_ATTRS);
}

/** -x. */
export function neg(x: Tensor): Tensor {
  return apply('neg', [x], NO_ATTRS);
}

/** e^x. */
export function exp(x: Tensor): Tensor {
  return apply('exp', [x], NO_ATTRS);
}

/** Natural logarithm. */
export function log(x: Tensor): Tensor {
  return apply('log', [x], NO_ATTRS);
}

/** Hyperbolic tangent; derivative 1 - tanh^2. */
export function tanh(x: Tensor): Tensor {
  return apply('tanh', [x], NO_ATTRS);
}

/** Logistic sigmoid 1 / (1 + e^-x), computed stably for large |x|. */
export function sigmoid(x: Tensor): Tensor {
  return apply('sigmoid', [x], NO_ATTRS);
}

/** max(x, 0). */
export function relu(x: Tensor): Tensor {
  return apply('relu', [x], NO_ATTRS);
}

/** log(1 + e^x), computed stably; derivative sigmoid(x). */
export function softplus(x: Tensor): Tensor {
  return apply('softplus', [x], NO_ATTRS);
}

/** |x| (subgradient 0 at 0). */
export function abs(x: Tensor): Tensor {
  return apply('abs', [x], NO_ATTRS);
}

/** x^p for a constant exponent p. @example `pow(x, 2)` */
export function pow(x: Tensor, exponent: number): Tensor {
  return apply('pow', [x], { exponent });
}

/** sqrt(x) = x^0.5. */
export function sqrt(x: Tensor): Tensor {
  return pow(x, 0.5);
}

/** min(max(x, lo), hi); the gradient passes where lo <= x <= hi. @example `clamp(g, -5, 5)` */
export function clamp(x: Tensor, min: number, max: number): Tensor {
  return apply('clamp', [x], { min, max });
}

/** factor * x for a constant factor. */
export function scale(x: Tensor, factor: number): Tensor {
  return apply('scale', [x], { factor });
}

function reduceAttrs(axes: number | readonly number[] | null | undefined, keepDims: boolean): ReduceAttrs {
  return { axes: axes === undefined || axes === null ? null : typeof axes === 'number' ? [axes] : axes, keepDims };
}

/** Sum over `axes` (all when omitted). @example `sum(x)`, `sum(x, -1, true)` */
export function sum(x: Tensor, axes?: number | readonly number[] | null, keepDims = false): Tensor {
  return apply('sum', [x], reduceAttrs(axes, keepDims));
}

/** Mean over `axes` (all when omitted): sum / count. */
export function mean(x: Tensor, axes?: number | readonly number[] | null, keepDims = false): Tensor {
  const attrs = reduceAttrs(axes, keepDims);
  const count = attrs.axes === null ? x.size : attrs.axes.reduce((n, a) => n * (x.shape[normaliseAxis('mean', a, x.rank)] as number), 1);
  return scale(sum(x, attrs.axes, keepDims), 1 / count);
}

/** Maximum over `axes`; ties share the gradient equally. @example `max(logits, -1, true)` */
export function max(x: Tensor, axes?: number | readonly number[] | null, keepDims = false): Tensor {
  return apply('max', [x], reduceAttrs(axes, keepDims));
}

/** Same data, new shape (one size may be -1). A view: no copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  return apply('reshape', [x], { shape });
}

/** Permutes axes (default: reverse them). @example `transpose(x, [1, 0, 2])` */
export function transpose(x: Tensor, perm?: readonly number[]): Tensor {
  return apply('transpose', [x], { perm: perm ?? x.shape.map((_, i) => x.rank - 1 - i) });
}

/** Repeats x along broadcast axes to `shape`. */
export function broadcastTo(x: Tensor, shape: readonly number[]): Tensor {
  return apply('broadcastTo', [x], { shape });
}

/** The box x[begin : begin + size] (a size of -1 runs to the end of the axis). */
export function slice(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  return apply('slice', [x], { begin, size });
}

/** Joins tensors along `axis` (default 0). */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  return apply('concat', [...xs], { axis });
}

/** Inserts a size-1 axis at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const ax = normaliseAxis('unsqueeze', axis, x.rank + 1);
  const shape = [...x.shape];
  shape.splice(ax, 0, 1);
  return reshape(x, shape);
}

/** Removes size-1 axis `axis`. */
export function squeeze(x: Tensor, axis: number): Tensor {
  const ax = normaliseAxis('squeeze', axis, x.rank);
  if (x.shape[ax] !== 1) throw new ArgumentError('squeeze', `axis ${axis} has size ${x.shape[ax]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => i !== ax));
}

/** Stacks same-shaped tensors along a new axis. @example `stack([h1, h2, h3], 1)` -> [B, 3, H] */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ArgumentError('stack', 'needs at least one tensor');
  const ax = normaliseAxis('stack', axis, first.rank + 1);
  return concat(xs.map((x) => unsqueeze(x, ax)), ax);
}

/** Splits along `axis` into `n` equal parts (the axis size must divide by n). @example `chunk(gates, 4, -1)` */
export function chunk(x: Tensor, n: number, axis = -1): Tensor[] {
  const ax = normaliseAxis('chunk', axis, x.rank);
  const size = x.shape[ax] as number;
  if (!Number.isInteger(n) || n <= 0 || size % n !== 0) {
    throw new ArgumentError('chunk', `axis ${axis} of size ${size} does not split into ${n} equal parts`);
  }
  const part = size / n;
  return Array.from({ length: n }, (_, i) => {
    const begin = x.shape.map((_, j) => (j === ax ? i * part : 0));
    const box = x.shape.map((d, j) => (j === ax ? part : d));
    return slice(x, begin, box);
  });
}

/** Splits along `axis` into every index: `unstack(x [B, T, H], 1)` gives T tensors [B, H]. */
export function unstack(x: Tensor, axis = 0): Tensor[] {
  const ax = normaliseAxis('unstack', axis, x.rank);
  return chunk(x, x.shape[ax] as number, ax).map((t) => squeeze(t, ax));
}

/** Rows of `table` [V, ...] picked by integer `indices` (embedding lookup): shape [...indices, ...]. */
export function gather(table: Tensor, indices: Tensor): Tensor {
  return apply('gather', [table, indices], NO_ATTRS);
}

/** cond ? a : b element-wise with broadcasting (cond non-zero means true; it gets no gradient). */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = pair(a, b);
  return apply('where', [cond, ta, tb], NO_ATTRS);
}

/** Options of {@link matmul}. */
export interface MatmulOptions {
  /** Use a's last two axes transposed. */
  readonly transA?: boolean;
  /** Use b's last two axes transposed. */
  readonly transB?: boolean;
}

/**
 * Matrix product over the last two axes, batch axes broadcast:
 * [..., m, k] x [..., k, n] -> [..., m, n].
 *
 * @example
 * ```ts
 * matmul(x, w, { transB: true }); // x W^T, as in a Linear layer with PyTorch's weight layout
 * ```
 */
export function matmul(a: Tensor, b: Tensor, options: MatmulOptions = {}): Tensor {
  return apply('matmul', [a, b], { transA: options.transA ?? false, transB: options.transB ?? false });
}
