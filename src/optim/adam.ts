import { type TypedArray } from '../tensor/index.js';
import { Optimizer, checkNonNegative, checkUnit, type ParamSource, type Slot } from './optimizer.js';

/** Configuration of {@link Adam} and {@link AdamW}. */
export interface AdamConfig {
  /** Learning rate (default 1e-3). */
  readonly lr?: number;
  /** Decay rates (beta1, beta2) of the first and second moment estimates (default [0.9, 0.999]). */
  readonly betas?: readonly [number, number];
  /** Added to the denominator for stability (default 1e-8). */
  readonly eps?: number;
  /** Weight decay lambda (default 0 for Adam, 1e-2 for AdamW). */
  readonly weightDecay?: number;
  /** Use the running maximum of the second moment (Reddi et al. 2018) (default false). */
  readonly amsgrad?: boolean;
}

/** The defaults of {@link AdamConfig} for Adam, in one place (PyTorch's). */
export const ADAM_DEFAULTS = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false } as const;

/** The defaults of {@link AdamConfig} for AdamW: Adam's with weightDecay 1e-2 (PyTorch's). */
export const ADAMW_DEFAULTS = { ...ADAM_DEFAULTS, weightDecay: 1e-2 } as const;

type AdamOptions = { beta1: number; beta2: number; eps: number; weightDecay: number; amsgrad: boolean };

function resolve(config: AdamConfig, defaults: typeof ADAM_DEFAULTS | typeof ADAMW_DEFAULTS): { lr: number; options: AdamOptions } {
  const c = { ...defaults, ...config };
  return { lr: c.lr, options: { beta1: c.betas[0], beta2: c.betas[1], eps: c.eps, weightDecay: c.weightDecay, amsgrad: c.amsgrad } };
}

/**
 * Adam (Kingma & Ba 2015), exactly as torch.optim.Adam, for step t = 1, 2, ...:
 *
 *     g <- g + lambda theta                              (L2 weight decay, coupled)
 *     m <- beta1 m + (1 - beta1) g
 *     v <- beta2 v + (1 - beta2) g^2
 *     vmax <- max(vmax, v)    and use vmax for v          (amsgrad only)
 *     theta <- theta - (lr / (1 - beta1^t)) m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 *
 * Buffers: `expAvg` (m), `expAvgSq` (v), `maxExpAvgSq` (vmax).
 *
 * @example
 * ```ts
 * import { Adam, Linear, Rng } from 'unfold';
 * const model = new Linear({ inFeatures: 4, outFeatures: 1, rng: new Rng(0) });
 * const opt = new Adam(model, { lr: 1e-3, betas: [0.9, 0.999] });
 * ```
 */
export class Adam extends Optimizer<AdamOptions> {
  readonly kind: string = 'Adam';
  /** AdamW decays weights directly instead of through the gradient. */
  protected readonly decoupled: boolean = false;

  constructor(params: ParamSource, config: AdamConfig = {}) {
    const { lr, options } = resolve(config, ADAM_DEFAULTS);
    super(params, lr, options);
  }

  protected validate(o: AdamOptions): void {
    checkUnit(this.constructor.name, 'beta1', o.beta1);
    checkUnit(this.constructor.name, 'beta2', o.beta2);
    checkNonNegative(this.constructor.name, 'eps', o.eps);
    checkNonNegative(this.constructor.name, 'weightDecay', o.weightDecay);
  }

  protected update(p: TypedArray, g: TypedArray, slot: Slot): void {
    const { beta1, beta2, eps, weightDecay, amsgrad } = this.options;
    const lr = this.lr;
    const t = slot.step;
    const stepSize = lr / (1 - beta1 ** t);
    const bc2Sqrt = Math.sqrt(1 - beta2 ** t);
    const m = this.buffer(slot, p, 'expAvg');
    const v = this.buffer(slot, p, 'expAvgSq');
    const vmax = amsgrad ? this.buffer(slot, p, 'maxExpAvgSq') : null;
    const decay = this.decoupled ? 1 - lr * weightDecay : 1;
    const l2 = this.decoupled ? 0 : weightDecay;
    for (let i = 0; i < p.length; i++) {
      const pi = (p[i] as number) * decay;
      const gi = (g[i] as number) + l2 * pi;
      const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
      let vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
      m[i] = mi;
      v[i] = vi;
      if (vmax !== null) {
        // Stored first, then read back, so the maximum is taken at the buffer's precision as in PyTorch.
        vmax[i] = Math.max(vmax[i] as number, v[i] as number);
        vi = vmax[i] as number;
      } else {
        vi = v[i] as number;
      }
      p[i] = pi - (stepSize * (m[i] as number)) / (Math.sqrt(vi) / bc2Sqrt + eps);
    }
  }
}

/**
 * AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay, exactly as
 * torch.optim.AdamW. Each step first shrinks the weights,
 *
 *     theta <- theta (1 - lr lambda),
 *
 * then applies the Adam update of {@link Adam} with no decay term in the gradient.
 * Default weightDecay 1e-2.
 *
 * @example
 * ```ts
 * import { AdamW, Linear, Rng } from 'unfold';
 * const model = new Linear({ inFeatures: 4, outFeatures: 1, rng: new Rng(0) });
 * const opt = new AdamW(model, { lr: 1e-3, weightDecay: 0.01 });
 * ```
 */
export class AdamW extends Adam {
  override readonly kind: string = 'AdamW';
  protected override readonly decoupled: boolean = true;

  constructor(params: ParamSource, config: AdamConfig = {}) {
    super(params, { weightDecay: ADAMW_DEFAULTS.weightDecay, ...config });
  }
}
