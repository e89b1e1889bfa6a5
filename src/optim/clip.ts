import { ArgumentError, type Tensor } from '../tensor/index.js';
import { paramList, type ParamSource } from './optimizer.js';

/**
 * Rescales gradients so their global norm is at most `maxNorm` (Pascanu et al. 2013),
 * as torch.nn.utils.clip_grad_norm_, and returns the global norm BEFORE clipping (log
 * it: spikes show exploding gradients).
 *
 *     N = (sum over every element of every gradient |g|^p)^(1/p)     (p = normType)
 *     N = max |g|                                                    (p = Infinity)
 *     c = maxNorm / (N + 1e-6);   if c < 1:  g <- c g  for every gradient
 *
 * Parameters without a gradient are skipped; maxNorm = Infinity only measures. The norm is accumulated in float64. When N
 * is NaN or infinite nothing is scaled (PyTorch would multiply every gradient by NaN);
 * test the returned value with `Number.isFinite` and skip the step, the cheapest NaN
 * check a training loop can make since the norm is computed anyway.
 *
 * @example
 * ```ts
 * import { Linear, Rng, SGD, backward, clipGradNorm, mse, randn } from 'unfold';
 * const rng = new Rng(0);
 * const model = new Linear({ inFeatures: 4, outFeatures: 1, rng });
 * const optimizer = new SGD(model, { lr: 0.1 });
 * backward(mse(model.forward(randn([8, 4], rng)), randn([8, 1], rng)));
 * const norm = clipGradNorm(model, 5);     // or clipGradNorm(model.parameters(), 5)
 * if (!Number.isFinite(norm)) throw new Error('gradient exploded');
 * optimizer.step();
 * ```
 */
export function clipGradNorm(params: ParamSource, maxNorm: number, normType = 2): number {
  if (!(maxNorm >= 0)) throw new ArgumentError('clipGradNorm', `maxNorm must be >= 0, got ${maxNorm}`);
  if (!(normType > 0)) throw new ArgumentError('clipGradNorm', `normType must be > 0 or Infinity, got ${normType}`);
  const grads: Tensor[] = [];
  for (const p of paramList(params)) if (p.grad !== null) grads.push(p.grad);
  let norm: number;
  if (normType === Infinity) {
    norm = 0;
    for (const g of grads) {
      const d = g.data;
      // Math.max, not `a > norm`: a NaN must stick, so the caller sees a non-finite norm.
      for (let i = 0; i < d.length; i++) norm = Math.max(norm, Math.abs(d[i] as number));
    }
  } else {
    let total = 0;
    for (const g of grads) {
      const d = g.data;
      if (normType === 2) {
        for (let i = 0; i < d.length; i++) total += (d[i] as number) * (d[i] as number);
      } else if (normType === 1) {
        for (let i = 0; i < d.length; i++) total += Math.abs(d[i] as number);
      } else {
        for (let i = 0; i < d.length; i++) total += Math.abs(d[i] as number) ** normType;
      }
    }
    norm = normType === 1 ? total : normType === 2 ? Math.sqrt(total) : total ** (1 / normType);
  }
  const coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (const g of grads) {
      const d = g.data;
      for (let i = 0; i < d.length; i++) d[i] = (d[i] as number) * coef;
    }
  }
  return norm;
}

/**
 * Clamps every gradient element into [-clipValue, clipValue], as
 * torch.nn.utils.clip_grad_value_: g <- min(max(g, -c), c). NaN stays NaN.
 *
 * @example
 * ```ts
 * import { Linear, Rng, clipGradValue } from 'unfold';
 * const model = new Linear({ inFeatures: 4, outFeatures: 1, rng: new Rng(0) });
 * clipGradValue(model, 1); // after backward, before step
 * ```
 */
export function clipGradValue(params: ParamSource, clipValue: number): void {
  if (!(clipValue >= 0)) throw new ArgumentError('clipGradValue', `clipValue must be >= 0, got ${clipValue}`);
  for (const p of paramList(params)) {
    if (p.grad === null) continue;
    const d = p.grad.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i] as number;
      if (v > clipValue) d[i] = clipValue;
      else if (v < -clipValue) d[i] = -clipValue;
    }
  }
}

/**
 * True when any element of any tensor is NaN or +-Infinity; null entries (missing
 * gradients) are skipped. One branch-free pass: acc += x * 0 stays 0 for finite x and
 * becomes NaN as soon as x is NaN or infinite (Inf * 0 = NaN), so a whole model's
 * gradients cost one multiply-add per element and a single test at the end.
 *
 * @example
 * ```ts
 * import { hasNonFinite, tensor } from 'unfold';
 * hasNonFinite([tensor([1, 2])]);            // false
 * hasNonFinite([tensor([1, Number.NaN])]);   // true
 * // in a loop: if (hasNonFinite([loss])) stop; hasNonFinite(model.parameters().map((p) => p.grad))
 * ```
 */
export function hasNonFinite(tensors: Iterable<Tensor | null>): boolean {
  let acc = 0;
  for (const t of tensors) {
    if (t === null) continue;
    const d = t.data;
    for (let i = 0; i < d.length; i++) acc += (d[i] as number) * 0;
  }
  return Number.isNaN(acc);
}
