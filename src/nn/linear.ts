import { apply } from '../ops/index.js';
import { ArgumentError, ShapeError, zeros, type DType, type Rng, type Tensor } from '../tensor/index.js';
import { uniform } from './init.js';
import { Module, parameter } from './module.js';

/** Configuration of a {@link Linear} layer. */
export interface LinearConfig {
  /** Size of each input vector. */
  readonly inFeatures: number;
  /** Size of each output vector. */
  readonly outFeatures: number;
  /** Add a learned bias (default true). */
  readonly bias?: boolean;
  /** Parameter dtype (default float32). */
  readonly dtype?: DType;
  /** Draws the initial weights. */
  readonly rng: Rng;
}

/** The defaults of {@link LinearConfig}, in one place. */
export const LINEAR_DEFAULTS = { bias: true, dtype: 'float32' } as const satisfies Partial<LinearConfig>;

/**
 * A fully connected layer: y = x W^T + b.
 *
 * Shapes: x [..., inFeatures] -> y [..., outFeatures]; W [outFeatures, inFeatures] and
 * b [outFeatures] in PyTorch's layout, so weights copy across directly.
 *
 * Initialised as PyTorch does: W and b ~ U(-k, k) with k = 1 / sqrt(inFeatures)
 * (kaiming uniform with a = sqrt(5)); the weight is drawn first, then the bias.
 *
 * @example
 * ```ts
 * import { Linear, Rng, randn } from 'unfold';
 * const rng = new Rng(0);
 * const layer = new Linear({ inFeatures: 3, outFeatures: 2, rng });
 * layer.forward(randn([5, 3], rng)).shape; // [5, 2]
 * ```
 */
export class Linear extends Module {
  /** [outFeatures, inFeatures] */
  readonly weight: Tensor;
  /** [outFeatures], or null without bias */
  readonly bias: Tensor | null;
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(config: LinearConfig) {
    super();
    const { inFeatures, outFeatures, rng } = config;
    const bias = config.bias ?? LINEAR_DEFAULTS.bias;
    const dtype = config.dtype ?? LINEAR_DEFAULTS.dtype;
    for (const [name, n] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(n) || n <= 0) throw new ArgumentError('Linear', `${name} must be a positive integer, got ${n}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const k = 1 / Math.sqrt(inFeatures);
    this.weight = parameter(uniform(zeros([outFeatures, inFeatures], { dtype }), rng, -k, k));
    this.bias = bias ? parameter(uniform(zeros([outFeatures], { dtype }), rng, -k, k)) : null;
  }

  /** y = x W^T + b for x [..., inFeatures]; a single vector x [inFeatures] gives y [outFeatures]. */
  forward(x: Tensor): Tensor {
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError('Linear', `input's last axis must be inFeatures = ${this.inFeatures}`, [x.shape, this.weight.shape]);
    }
    // One fused op (ops/fused-head.ts): a gemm with the bias pre-loaded, and one gemm per
    // gradient, instead of matmul + a broadcast add whose backward reduces over every row.
    return apply('linear', this.bias === null ? [x, this.weight] : [x, this.weight, this.bias], {});
  }
}
