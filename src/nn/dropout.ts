import { mul } from '../ops/index.js';
import { ArgumentError, Tensor, allocate, type Rng } from '../tensor/index.js';
import { Module } from './module.js';

/** Configuration of a {@link Dropout} layer. */
export interface DropoutConfig {
  /** Probability of zeroing each element, in [0, 1) (default 0.5). */
  readonly p?: number;
  /** Draws the masks; give each Dropout its own stream (`rng.fork()`) for reproducibility. */
  readonly rng: Rng;
}

/** The defaults of {@link DropoutConfig}, in one place. */
export const DROPOUT_DEFAULTS = { p: 0.5 } as const satisfies Partial<DropoutConfig>;

/**
 * Inverted dropout (Srivastava et al. 2014): in training mode
 * y = x * m / (1 - p) with m_i ~ Bernoulli(1 - p), so E[y] = x and nothing needs
 * rescaling at test time; in eval mode (or with p = 0) y = x, the same tensor.
 *
 * Shapes: any x -> y of the same shape. The mask is drawn afresh on every call from the
 * layer's Rng: u_i = rng.uniform(), kept when u_i >= p.
 *
 * @example
 * ```ts
 * import { Dropout, Rng, ones } from 'unfold';
 * const drop = new Dropout({ p: 0.25, rng: new Rng(0) });
 * drop.forward(ones([4, 8]));          // about a quarter zeros, the rest 4/3
 * drop.eval().forward(ones([4, 8]));   // unchanged
 * ```
 */
export class Dropout extends Module {
  readonly p: number;
  /** Draws the masks; its state goes into checkpoints so a resumed run draws the same masks. */
  readonly rng: Rng;

  constructor(config: DropoutConfig) {
    super();
    const p = config.p ?? DROPOUT_DEFAULTS.p;
    // p = 1 would divide by zero and drop everything; that is never a useful layer.
    if (!(p >= 0 && p < 1)) throw new ArgumentError('Dropout', `p must be in [0, 1), got ${p}`);
    this.p = p;
    this.rng = config.rng;
  }

  /** x * mask / (1 - p) in training mode; x itself in eval mode. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const keep = 1 / (1 - this.p);
    const mask = allocate(x.dtype, x.size);
    for (let i = 0; i < mask.length; i++) mask[i] = this.rng.uniform() < this.p ? 0 : keep;
    return mul(x, new Tensor(mask, x.shape));
  }
}
