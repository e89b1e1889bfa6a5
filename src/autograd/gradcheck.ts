import { ArgumentError, Rng, Tensor, allocate } from '../tensor/index.js';
import { backward } from './backward.js';

/** Options of {@link gradcheck}. */
export interface GradcheckOptions {
  /** Finite-difference step (default 1e-6). */
  readonly eps?: number;
  /** Seed of the random projection of a non-scalar output (default 1). */
  readonly seed?: number;
}

/** What {@link gradcheck} measured. */
export interface GradcheckResult {
  /** Largest |analytic - numeric| / max(1, |analytic|, |numeric|) over every input element. */
  readonly maxRelError: number;
  /** Largest |analytic - numeric|. */
  readonly maxAbsError: number;
  /** Where the largest relative error occurred: input index and flat element index. */
  readonly worst: { readonly input: number; readonly element: number; readonly analytic: number; readonly numeric: number };
}

/**
 * Compares back-propagated gradients with central finite differences in float64.
 *
 * A non-scalar output y is reduced to the scalar L = sum(y * R) with a fixed random R, so
 * one backward pass (with gradOutput R) checks every output at once. For each input
 * element x_i: numeric = (L(x_i + eps) - L(x_i - eps)) / (2 eps).
 *
 * Every input must be float64 with `requiresGrad` set; `fn` must be deterministic.
 *
 * @example
 * ```ts
 * import { gradcheck, tensor, tanh } from 'unfold';
 * const x = tensor([0.1, -0.4], { dtype: 'float64', requiresGrad: true });
 * gradcheck((x) => tanh(x), [x]).maxRelError < 1e-6; // true
 * ```
 */
export function gradcheck(fn: (...inputs: Tensor[]) => Tensor, inputs: readonly Tensor[], options: GradcheckOptions = {}): GradcheckResult {
  const eps = options.eps ?? 1e-6;
  for (const [i, t] of inputs.entries()) {
    if (t.dtype !== 'float64') throw new ArgumentError('gradcheck', `input ${i} is ${t.dtype}; gradcheck needs float64`);
    if (!t.requiresGrad) throw new ArgumentError('gradcheck', `input ${i} does not require gradients`);
    t.grad = null;
  }
  const out = fn(...inputs);
  const rng = new Rng(options.seed ?? 1);
  const projection = allocate('float64', out.size);
  for (let i = 0; i < projection.length; i++) projection[i] = rng.uniformRange(-1, 1);
  const project = (y: Tensor): number => {
    let s = 0;
    for (let i = 0; i < y.data.length; i++) s += (y.data[i] as number) * (projection[i] as number);
    return s;
  };
  backward(out, new Tensor(projection, out.shape));

  let maxRelError = 0;
  let maxAbsError = 0;
  let worst = { input: -1, element: -1, analytic: 0, numeric: 0 };
  for (const [k, t] of inputs.entries()) {
    const analytic = t.grad?.data ?? allocate('float64', t.size);
    for (let i = 0; i < t.size; i++) {
      const original = t.data[i] as number;
      t.data[i] = original + eps;
      const plus = project(fn(...inputs));
      t.data[i] = original - eps;
      const minus = project(fn(...inputs));
      t.data[i] = original;
      const numeric = (plus - minus) / (2 * eps);
      const a = analytic[i] as number;
      const abs = Math.abs(a - numeric);
      const rel = abs / Math.max(1, Math.abs(a), Math.abs(numeric));
      if (abs > maxAbsError || Number.isNaN(abs)) maxAbsError = Number.isNaN(abs) ? Infinity : abs;
      if (rel > maxRelError || Number.isNaN(rel)) {
        maxRelError = Number.isNaN(rel) ? Infinity : rel;
        worst = { input: k, element: i, analytic: a, numeric };
      }
    }
  }
  return { maxRelError, maxAbsError, worst };
}
