import { ArgumentError, ShapeError, Tensor, allocate, normaliseAxis, sameShape, type TypedArray } from '../tensor/index.js';
import { apply } from './apply.js';
import {
  add, clamp, concat, div, exp, gather, log, max, mean, mul, neg, reshape, slice, softplus, sqrt, sub, sum,
} from './functional.js';

// Composites: built from primitives only, so they need (and have) no backward code.

/**
 * log sum_i exp(x_i) over `axis`, computed stably as m + log sum exp(x - m) with
 * m = max(x). m is treated as a constant: the gradient of the identity does not depend
 * on it. Gradient: softmax(x).
 */
export function logSumExp(x: Tensor, axis = -1, keepDims = false): Tensor {
  const ax = normaliseAxis('logSumExp', axis, x.rank);
  const m = max(x, ax, true).detach();
  const lse = add(log(sum(exp(sub(x, m)), ax, true)), m);
  return keepDims ? lse : reshape(lse, x.shape.filter((_, i) => i !== ax));
}

/**
 * log softmax(x)_i = x_i - logSumExp(x) along `axis` (default last).
 *
 * @example
 * ```ts
 * logSoftmax(tensor([[1, 2, 3]])); // [[-2.4076, -1.4076, -0.4076]]
 * ```
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  // (x - m) - log sum exp(x - m): subtracting m first keeps float32 exact for large logits.
  const ax = normaliseAxis('logSoftmax', axis, x.rank);
  const shifted = sub(x, max(x, ax, true).detach());
  return sub(shifted, log(sum(exp(shifted), ax, true)));
}

/** softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `axis` (default last), computed stably. */
export function softmax(x: Tensor, axis = -1): Tensor {
  return exp(logSoftmax(x, axis));
}

/** How a loss reduces its per-element values. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Targets equal to this class index contribute nothing (e.g. padding). */
  readonly ignoreIndex?: number;
  /** Per-position weights with the targets' shape (1 keeps, 0 drops a position). */
  readonly mask?: Tensor;
  /** 'mean' (default) divides by the total weight of kept positions; 'sum'; 'none' keeps the targets' shape. */
  readonly reduction?: Reduction;
}

/**
 * Softmax cross-entropy of `logits` [..., C] against integer class `targets` [...]:
 * loss_n = -log softmax(logits_n)[t_n], weighted by the mask and ignore-index.
 * With 'mean', divides by the number (total weight) of kept positions, 0 when none.
 *
 * @example
 * ```ts
 * const loss = crossEntropy(logits, targets, { ignoreIndex: PAD }); // scalar
 * ```
 */
export function crossEntropy(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  // NOTE: promoted to the fused op `softmaxCrossEntropy` (ops/fused-head.ts) for speed: a
  // language model's head runs it on B*T rows every step, and the composed form below builds
  // and back-propagates a dozen [B*T, C] tensors. crossEntropyComposed is its checked twin.
  const { classes, n, weights, flatIndex } = crossEntropyWeights(logits, targets, options);
  const ids = allocate(logits.dtype, n);
  for (let i = 0; i < n; i++) ids[i] = (flatIndex[i] as number) - i * classes;
  const reduction = options.reduction ?? 'mean';
  const loss = apply('softmaxCrossEntropy', [reshape(logits, [n, classes]), new Tensor(ids, [n]), new Tensor(weights, [n])], { reduction });
  return reduction === 'none' ? reshape(loss, targets.shape) : loss;
}

/**
 * {@link crossEntropy} composed from primitives (logSoftmax, gather, mul, sum): the reference
 * the fused op is checked against, with the same options and results.
 *
 * @example
 * ```ts
 * crossEntropyComposed(logits, targets, { reduction: 'sum' });
 * ```
 */
export function crossEntropyComposed(logits: Tensor, targets: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { classes, n, weights, flatIndex } = crossEntropyWeights(logits, targets, options);
  const lsm = reshape(logSoftmax(logits), [n * classes]);
  const picked = gather(lsm, new Tensor(flatIndex, [n]));
  const w = new Tensor(weights, [n]);
  const perPosition = neg(mul(picked, w));
  const reduction = options.reduction ?? 'mean';
  if (reduction === 'none') return reshape(perPosition, targets.shape);
  const total = sum(perPosition);
  if (reduction === 'sum') return total;
  let weightSum = 0;
  for (let i = 0; i < n; i++) weightSum += weights[i] as number;
  return mul(total, weightSum > 0 ? 1 / weightSum : 0);
}

// Checks the shapes and targets of a cross-entropy call; per position, its weight (0 for an
// ignored target, else the mask's value or 1) and the flat index of its target logit.
function crossEntropyWeights(logits: Tensor, targets: Tensor, options: CrossEntropyOptions): {
  classes: number; n: number; weights: TypedArray; flatIndex: Float64Array;
} {
  if (logits.rank < 1 || !sameShape(logits.shape.slice(0, -1), targets.shape)) {
    throw new ShapeError('crossEntropy', 'targets must have the shape of logits without the class axis', [logits.shape, targets.shape]);
  }
  const classes = logits.shape[logits.rank - 1] as number;
  const n = targets.size;
  const weights = allocate(logits.dtype, n);
  const flatIndex = new Float64Array(n);
  const maskData = options.mask?.data;
  if (options.mask !== undefined && !sameShape(options.mask.shape, targets.shape)) {
    throw new ShapeError('crossEntropy', 'mask must have the targets\' shape', [options.mask.shape, targets.shape]);
  }
  for (let i = 0; i < n; i++) {
    const t = targets.data[i] as number;
    const ignored = options.ignoreIndex !== undefined && t === options.ignoreIndex;
    if (!ignored && (!Number.isInteger(t) || t < 0 || t >= classes)) {
      throw new ArgumentError('crossEntropy', `target ${t} at position ${i} is not a class index in [0, ${classes})`);
    }
    weights[i] = ignored ? 0 : (maskData?.[i] ?? 1);
    flatIndex[i] = i * classes + (ignored ? 0 : t);
  }
  return { classes, n, weights, flatIndex };
}

/** Mean squared error: mean((prediction - target)^2). */
export function mse(prediction: Tensor, target: Tensor): Tensor {
  const d = sub(prediction, target);
  return mean(mul(d, d));
}

/**
 * Binary cross-entropy of probabilities p against targets t in [0, 1]:
 * -mean(t log p + (1 - t) log(1 - p)), with p clamped to [eps, 1 - eps].
 * Prefer {@link binaryCrossEntropyWithLogits} when you have logits.
 */
export function binaryCrossEntropy(probabilities: Tensor, target: Tensor, eps = 1e-7): Tensor {
  const p = clamp(probabilities, eps, 1 - eps);
  const one = sub(1, p);
  return neg(mean(add(mul(target, log(p)), mul(sub(1, target), log(one)))));
}

/** Binary cross-entropy from logits x, stably: mean(softplus(x) - t x). */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor): Tensor {
  return mean(sub(softplus(logits), mul(target, logits)));
}

/**
 * Cosine similarity along `axis`: a.b / max(|a| |b|, eps), the NTM's content-addressing
 * measure. The max is taken inside the square root so the gradient is finite at 0.
 *
 * @example
 * ```ts
 * cosineSimilarity(memory, unsqueeze(key, 1), -1); // [B, N] similarity of each slot to the key
 * ```
 */
export function cosineSimilarity(a: Tensor, b: Tensor, axis = -1, eps = 1e-8): Tensor {
  const dot = sum(mul(a, b), axis);
  const norms = mul(sum(mul(a, a), axis), sum(mul(b, b), axis));
  return div(dot, sqrt(clamp(norms, eps * eps, Infinity)));
}

/** Outer product over the last axis: [..., n] x [..., m] -> [..., n, m]. */
export function outer(a: Tensor, b: Tensor): Tensor {
  return mul(reshape(a, [...a.shape, 1]), reshape(b, [...b.shape.slice(0, -1), 1, b.shape[b.rank - 1] as number]));
}

/**
 * Rolls `x` by `shift` positions along `axis` circularly: out[i] = x[(i - shift) mod n].
 */
export function roll(x: Tensor, shift: number, axis = -1): Tensor {
  const ax = normaliseAxis('roll', axis, x.rank);
  const n = x.shape[ax] as number;
  const s = ((shift % n) + n) % n;
  if (s === 0) return x;
  const begin = (at: number): number[] => x.shape.map((_, i) => (i === ax ? at : 0));
  const size = (len: number): number[] => x.shape.map((d, i) => (i === ax ? len : d));
  return concat([slice(x, begin(n - s), size(s)), slice(x, begin(0), size(n - s))], ax);
}

/**
 * Circular convolution of weightings w [..., N] with a shift distribution s [..., K] over
 * the offsets -(K-1)/2 .. (K-1)/2 (K odd), the neural Turing machine's location shift:
 *
 *     out[i] = sum_k s[k] w[(i - offset_k) mod N]
 *
 * @example
 * ```ts
 * circularConvolution(w, shift); // shift [B, 3] over offsets -1, 0, +1
 * ```
 */
export function circularConvolution(w: Tensor, s: Tensor): Tensor {
  const k = s.shape[s.rank - 1] as number;
  if (k % 2 !== 1) throw new ArgumentError('circularConvolution', `the shift axis must have odd length (offsets -r..r), got ${k}`);
  if (!sameShape(w.shape.slice(0, -1), s.shape.slice(0, -1))) {
    throw new ShapeError('circularConvolution', 'leading axes of weights and shifts must match', [w.shape, s.shape]);
  }
  const r = (k - 1) / 2;
  let out: Tensor | null = null;
  for (let j = 0; j < k; j++) {
    const sj = slice(s, s.shape.map((_, i) => (i === s.rank - 1 ? j : 0)), s.shape.map((d, i) => (i === s.rank - 1 ? 1 : d)));
    const term = mul(roll(w, j - r), sj);
    out = out === null ? term : add(out, term);
  }
  return out as Tensor;
}
