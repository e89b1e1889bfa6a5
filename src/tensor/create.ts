import { ArgumentError } from './errors.js';
import type { Rng } from './rng.js';
import { checkShape, sizeOf, type Shape } from './shape.js';
import { Tensor, allocate, type DType } from './tensor.js';

/** Options shared by the creation functions. */
export interface CreateOptions {
  /** Element type; float32 unless said. */
  readonly dtype?: DType;
  /** Track gradients into this tensor (makes it a leaf parameter). */
  readonly requiresGrad?: boolean;
}

type Nested = number | readonly Nested[];

/**
 * A tensor from a number or nested arrays; the shape is read off the nesting.
 *
 * @example
 * ```ts
 * import { tensor } from 'unfold';
 * tensor([[1, 2], [3, 4]], { dtype: 'float64' }).shape; // [2, 2]
 * ```
 */
export function tensor(values: Nested | Float32Array | Float64Array, options: CreateOptions = {}): Tensor {
  const dtype = options.dtype ?? (values instanceof Float64Array ? 'float64' : 'float32');
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const data = allocate(dtype, values.length);
    data.set(values);
    return new Tensor(data, [values.length], options.requiresGrad ?? false);
  }
  const shape: number[] = [];
  let probe: Nested = values;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = (probe as readonly Nested[])[0] ?? 0;
  }
  const data = allocate(dtype, sizeOf(shape));
  let k = 0;
  const fill = (v: Nested, axis: number): void => {
    if (axis === shape.length) {
      if (typeof v !== 'number') throw new ArgumentError('tensor', `ragged nested array at element ${k}`);
      data[k++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[axis]) {
      throw new ArgumentError('tensor', `ragged nested array: axis ${axis} should have length ${shape[axis]}`);
    }
    for (const child of v as readonly Nested[]) fill(child, axis + 1);
  };
  fill(values, 0);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

/** A tensor of the given shape filled with `value`. */
export function full(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  checkShape('full', shape);
  const data = allocate(options.dtype ?? 'float32', sizeOf(shape));
  if (value !== 0) data.fill(value);
  return new Tensor(data, shape, options.requiresGrad ?? false);
}

/** A tensor of zeros. @example `zeros([2, 3])` */
export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 0, options);
}

/** A tensor of ones. @example `ones([4])` */
export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return full(shape, 1, options);
}

/** A tensor of zeros shaped and typed like `t`. */
export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype });
}

/** Standard normal samples from `rng`. @example `randn([3, 3], new Rng(0))` */
export function randn(shape: Shape, rng: Rng, options: CreateOptions = {}): Tensor {
  const t = zeros(shape, options);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.normal();
  return t;
}

/** Uniform samples in [low, high) from `rng`. @example `rand([3], new Rng(0), -1, 1)` */
export function rand(shape: Shape, rng: Rng, low = 0, high = 1, options: CreateOptions = {}): Tensor {
  const t = zeros(shape, options);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniformRange(low, high);
  return t;
}

/** Integers 0..n-1 as a float tensor (e.g. indices for `gather`). */
export function arange(n: number, options: CreateOptions = {}): Tensor {
  const t = zeros([n], options);
  for (let i = 0; i < n; i++) t.data[i] = i;
  return t;
}
