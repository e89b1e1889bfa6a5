import { type TypedArray } from '../tensor/index.js';
import { Optimizer, checkNonNegative, checkUnit, type ParamSource, type Slot } from './optimizer.js';

/** Configuration of {@link RMSprop}. */
export interface RMSpropConfig {
  /** Learning rate (default 1e-2). */
  readonly lr?: number;
  /** Smoothing constant of the running averages (default 0.99). */
  readonly alpha?: number;
  /** Added to the denominator, outside the square root (default 1e-8). */
  readonly eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  readonly weightDecay?: number;
  /** Momentum factor (default 0). */
  readonly momentum?: number;
  /** Normalise by an estimate of the gradient's variance rather than its second moment (default false). */
  readonly centered?: boolean;
}

/** The defaults of {@link RMSpropConfig}, in one place (PyTorch's). */
export const RMSPROP_DEFAULTS = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false } as const satisfies Required<RMSpropConfig>;

type RMSpropOptions = { alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean };

/**
 * RMSprop (Tieleman & Hinton 2012), exactly as torch.optim.RMSprop:
 *
 *     g <- g + lambda theta
 *     v <- alpha v + (1 - alpha) g^2
 *     centred:  gbar <- alpha gbar + (1 - alpha) g;   d = sqrt(v - gbar^2) + eps
 *     otherwise:                                      d = sqrt(v) + eps
 *     momentum mu > 0:  b <- mu b + g / d;   theta <- theta - lr b
 *     otherwise:                            theta <- theta - lr g / d
 *
 * The centred form with momentum is the one Graves (2013, eqs. 38-41) uses to train
 * handwriting models and neural Turing machines; Graves puts eps inside the root,
 * sqrt(v - gbar^2 + eps) with eps = 1e-4, where PyTorch (followed here) adds it outside.
 * Graves' settings map to `{ lr: 1e-4, alpha: 0.95, momentum: 0.9, centered: true }`.
 *
 * Buffers: `squareAvg` (v), `gradAvg` (gbar), `momentumBuffer` (b).
 *
 * @example
 * ```ts
 * import { RMSprop, Linear, Rng } from 'unfold';
 * const model = new Linear({ inFeatures: 4, outFeatures: 1, rng: new Rng(0) });
 * const opt = new RMSprop(model, { lr: 1e-4, alpha: 0.95, momentum: 0.9, centered: true });
 * ```
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  readonly kind = 'RMSprop';

  constructor(params: ParamSource, config: RMSpropConfig = {}) {
    const { lr, ...options } = { ...RMSPROP_DEFAULTS, ...config };
    super(params, lr, options);
  }

  protected validate(o: RMSpropOptions): void {
    checkUnit('RMSprop', 'alpha', o.alpha);
    checkNonNegative('RMSprop', 'eps', o.eps);
    checkNonNegative('RMSprop', 'weightDecay', o.weightDecay);
    checkNonNegative('RMSprop', 'momentum', o.momentum);
  }

  protected update(p: TypedArray, g: TypedArray, slot: Slot): void {
    const { alpha, eps, weightDecay, momentum, centered } = this.options;
    const lr = this.lr;
    const v = this.buffer(slot, p, 'squareAvg');
    const gbar = centered ? this.buffer(slot, p, 'gradAvg') : null;
    const buf = momentum > 0 ? this.buffer(slot, p, 'momentumBuffer') : null;
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] as number;
      const gi = (g[i] as number) + weightDecay * pi;
      v[i] = alpha * (v[i] as number) + (1 - alpha) * gi * gi;
      let d: number;
      if (gbar !== null) {
        gbar[i] = alpha * (gbar[i] as number) + (1 - alpha) * gi;
        const mean = gbar[i] as number;
        // v >= gbar^2 in exact arithmetic (Jensen); rounding of the two buffers can break
        // that by an ulp, and sqrt of a negative would poison the parameter with NaN.
        d = Math.sqrt(Math.max(0, (v[i] as number) - mean * mean)) + eps;
      } else {
        d = Math.sqrt(v[i] as number) + eps;
      }
      if (buf !== null) {
        buf[i] = momentum * (buf[i] as number) + gi / d;
        p[i] = pi - lr * (buf[i] as number);
      } else {
        p[i] = pi - (lr * gi) / d;
      }
    }
  }
}
