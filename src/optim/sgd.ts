import { ArgumentError, type TypedArray } from '../tensor/index.js';
import { Optimizer, checkNonNegative, type ParamSource, type Slot } from './optimizer.js';

/** Configuration of {@link SGD}. */
export interface SGDConfig {
  /** Learning rate (default 1e-3). */
  readonly lr?: number;
  /** Momentum factor mu (default 0: plain SGD). */
  readonly momentum?: number;
  /** Dampening tau of the gradient entering the momentum buffer (default 0). */
  readonly dampening?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  readonly nesterov?: boolean;
  /** L2 penalty lambda added to the gradient (default 0). */
  readonly weightDecay?: number;
}

/** The defaults of {@link SGDConfig}, in one place (PyTorch's). */
export const SGD_DEFAULTS = { lr: 1e-3, momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 } as const satisfies Required<SGDConfig>;

type SGDOptions = { momentum: number; dampening: number; nesterov: boolean; weightDecay: number };

/**
 * Stochastic gradient descent with momentum, exactly as torch.optim.SGD:
 *
 *     g  <- g + lambda theta                        (weight decay)
 *     b  <- g                          on the first step,
 *     b  <- mu b + (1 - tau) g         afterwards   (momentum buffer, when mu > 0)
 *     d  <- g + mu b  (Nesterov)  or  b  (classic)  or  g  (mu = 0)
 *     theta <- theta - lr d
 *
 * The momentum buffer is stored as `momentumBuffer`.
 *
 * @example
 * ```ts
 * import { SGD, Linear, Rng } from 'unfold';
 * const model = new Linear({ inFeatures: 4, outFeatures: 1, rng: new Rng(0) });
 * const opt = new SGD(model, { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.step(); // after backward()
 * ```
 */
export class SGD extends Optimizer<SGDOptions> {
  readonly kind = 'SGD';

  constructor(params: ParamSource, config: SGDConfig = {}) {
    const { lr, ...options } = { ...SGD_DEFAULTS, ...config };
    super(params, lr, options);
  }

  protected validate(o: SGDOptions): void {
    checkNonNegative('SGD', 'momentum', o.momentum);
    checkNonNegative('SGD', 'dampening', o.dampening);
    checkNonNegative('SGD', 'weightDecay', o.weightDecay);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) {
      throw new ArgumentError('SGD', 'Nesterov momentum needs momentum > 0 and dampening 0');
    }
  }

  protected update(p: TypedArray, g: TypedArray, slot: Slot): void {
    const { momentum, dampening, nesterov, weightDecay } = this.options;
    const lr = this.lr;
    if (momentum === 0) {
      for (let i = 0; i < p.length; i++) {
        const pi = p[i] as number;
        p[i] = pi - lr * ((g[i] as number) + weightDecay * pi);
      }
      return;
    }
    const fresh = !slot.buffers.has('momentumBuffer');
    const buf = this.buffer(slot, p, 'momentumBuffer');
    for (let i = 0; i < p.length; i++) {
      const pi = p[i] as number;
      const d = (g[i] as number) + weightDecay * pi;
      // PyTorch starts the buffer at the first gradient itself, undamped.
      const b = fresh ? d : momentum * (buf[i] as number) + (1 - dampening) * d;
      buf[i] = b;
      p[i] = pi - lr * (nesterov ? d + momentum * b : b);
    }
  }
}
