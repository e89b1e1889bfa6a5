import { ArgumentError, ShapeError, formatShape } from './errors.js';
import { checkShape, sizeOf, type Shape } from './shape.js';

/** Element types unfold computes in. float64 is for gradient checks and exact solves. */
export type DType = 'float32' | 'float64';

/** The storage of a tensor of either dtype. */
export type TypedArray = Float32Array | Float64Array;

/**
 * How a tensor was made, for back-propagation: the inputs of the operation that
 * produced it and a function from the gradient of the output to the gradients of the
 * inputs (`null` where an input needs none). Built by the autograd layer.
 */
export interface GradFn {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  backward(gradOutput: Tensor): readonly (Tensor | null)[];
  /**
   * Whether every gradient `backward` returns is a new tensor of its own, on new storage that
   * nothing else references (not gradOutput, not another input's gradient, not a kernel's
   * buffer): the autograd may then keep it as a leaf's grad, or add into it, without a copy.
   */
  readonly freshGradients?: boolean;
}

/**
 * An n-dimensional array with contiguous row-major storage, a dtype and, when it takes
 * part in differentiation, a gradient.
 *
 * A tensor's `data` may be read and, outside a recorded computation, written; shapes are
 * immutable. Tensors are made with the creation functions (`tensor`, `zeros`, `ones`,
 * `full`, `randn`...) and combined with the differentiable operations of `unfold`'s ops.
 *
 * @example
 * ```ts
 * import { tensor } from 'unfold';
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);   // shape [2, 3], float32
 * x.shape; // [2, 3]
 * x.get(1, 2); // 6
 * ```
 */
export class Tensor {
  readonly data: TypedArray;
  readonly shape: Shape;
  readonly dtype: DType;
  /** Whether gradients flow into this tensor. Parameters set it; operations inherit it. */
  requiresGrad: boolean;
  /** The accumulated gradient (same shape and dtype), after `backward`. */
  grad: Tensor | null = null;
  /** The operation that produced this tensor, while its graph is alive. */
  gradFn: GradFn | null = null;
  /**
   * True for tensors made directly (parameters, inputs), false for a recorded op's output.
   * Kept after backward frees `gradFn`, so a spent intermediate never passes for a parameter.
   */
  isLeaf = true;
  /** Keep this non-leaf tensor's gradient in `grad` during backward (for diagnostics). */
  retainsGrad = false;
  /** An optional name, used by modules for parameters and in error messages. */
  name: string | undefined;

  constructor(data: TypedArray, shape: Shape, requiresGrad = false) {
    checkShape('Tensor', shape);
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('Tensor', `data has ${data.length} elements but the shape holds ${sizeOf(shape)}`, [shape]);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = data instanceof Float64Array ? 'float64' : 'float32';
    this.requiresGrad = requiresGrad;
  }

  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** Number of elements. */
  get size(): number {
    return this.data.length;
  }

  /** The element at the given indices (one per axis). */
  get(...indices: number[]): number {
    return this.data[this.offsetOf(indices)] as number;
  }

  /** Writes one element in place. Do not use on a tensor a recorded operation has read. */
  set(value: number, ...indices: number[]): void {
    this.data[this.offsetOf(indices)] = value;
  }

  /** The single value of a one-element tensor (a loss, say). */
  item(): number {
    if (this.data.length !== 1) {
      throw new ShapeError('item', 'only a one-element tensor has an item', [this.shape]);
    }
    return this.data[0] as number;
  }

  /** The values as nested arrays, for printing and tests. */
  toArray(): unknown {
    const build = (axis: number, offset: number): unknown => {
      if (axis === this.shape.length) return this.data[offset];
      const n = this.shape[axis] as number;
      let stride = 1;
      for (let i = axis + 1; i < this.shape.length; i++) stride *= this.shape[i] as number;
      const out: unknown[] = [];
      for (let i = 0; i < n; i++) out.push(build(axis + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A new tensor with copied data, detached from any graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, false);
  }

  /** The same data, detached from the graph (no gradient flows through it). */
  detach(): Tensor {
    return new Tensor(this.data, this.shape, false);
  }

  /** Asks backward to keep this intermediate tensor's gradient in `grad`. Returns `this`. */
  retainGrad(): this {
    this.retainsGrad = true;
    return this;
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.dtype}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  private offsetOf(indices: readonly number[]): number {
    if (indices.length !== this.shape.length) {
      throw new ArgumentError('Tensor.get', `expected ${this.shape.length} indices for shape ${formatShape(this.shape)}, got ${indices.length}`);
    }
    let offset = 0;
    for (let i = 0; i < indices.length; i++) {
      const n = this.shape[i] as number;
      const k = indices[i] as number;
      if (!Number.isInteger(k) || k < 0 || k >= n) {
        throw new ArgumentError('Tensor.get', `index ${k} out of range for axis ${i} of size ${n}`);
      }
      offset = offset * n + k;
    }
    return offset;
  }
}

/** Allocates storage of a dtype. */
export function allocate(dtype: DType, size: number): TypedArray {
  return dtype === 'float64' ? new Float64Array(size) : new Float32Array(size);
}
