import { type TypedArray } from '../tensor/index.js';
import { Optimizer, checkNonNegative, type ParamSource, type Slot } from './optimizer.js';

/** Configuration of {@link Adagrad}. */
export interface AdagradConfig {
  /** Learning rate (default 1e-2). */
  readonly lr?: number;
  /** Learning-rate decay kappa: lr_t = lr / (1 + (t - 1) kappa) (default 0). */
  readonly lrDecay?: number;
  /** L2 penalty added to the gradient (default 0). */
  readonly weightDecay?: number;
  /** Starting value of the squared-gradient sum (default 0). */
  readonly initialAccumulatorValue?: number;
  /** Added to the denominator (default 1e-10). */
  readonly eps?: number;
}

/** The defaults of {@link AdagradConfig}, in one place (PyTorch's). */
export const ADAGRAD_DEFAULTS = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 } as const satisfies Required<AdagradConfig>;

type AdagradOptions = { lrDecay: number; weightDecay: number; initialAccumulatorValue: number; eps: number };

/**
 * Adagrad (Duchi et al. 2011), exactly as torch.optim.Adagrad, for step t = 1, 2, ...:
 *
 *     g <- g + lambda theta
 *     s <- s + g^2                   (s starts at initialAccumulatorValue)
 *     theta <- theta - (lr / (1 + (t - 1) kappa)) g / (sqrt(s) + eps)
 *
 * Buffer: `sum` (s).
 *
 * @example
 * ```ts
 * import { Adagrad, Linear, Rng } from 'unfold';
 * const model = new Linear({ inFeatures: 4, outFeatures: 1, rng: new Rng(0) });
 * const opt = new Adagrad(model, { lr: 0.1, initialAccumulatorValue: 0.1 });
 * ```
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  readonly kind = 'Adagrad';

  constructor(params: ParamSource, config: AdagradConfig = {}) {
    const { lr, ...options } = { ...ADAGRAD_DEFAULTS, ...config };
    super(params, lr, options);
  }

  protected validate(o: AdagradOptions): void {
    checkNonNegative('Adagrad', 'lrDecay', o.lrDecay);
    checkNonNegative('Adagrad', 'weightDecay', o.weightDecay);
    checkNonNegative('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue);
    checkNonNegative('Adagrad', 'eps', o.eps);
  }

  protected update(p: TypedArray, g: TypedArray, slot: Slot): void {
    const { lrDecay, weightDecay, initialAccumulatorValue, eps } = this.options;
    const clr = this.lr / (1 + (slot.step - 1) * lrDecay);
    const s = this.buffer(slot, p, 'sum', initialAccumulatorValue);
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] as number;
      const gi = (g[i] as number) + weightDecay * pi;
      s[i] = (s[i] as number) + gi * gi;
      p[i] = pi - (clr * gi) / (Math.sqrt(s[i] as number) + eps);
    }
  }
}
