import { div, gather, max, reshape, sum, where } from '../ops/index.js';
import { ArgumentError, Tensor, allocate } from '../tensor/index.js';
import { lengthMasks } from './scan.js';

function resolveLengths(outputs: Tensor, lengths: readonly number[] | undefined): number[] {
  if (outputs.rank !== 3) throw new ArgumentError('pooling', `outputs must be [batch, time, features], got [${outputs.shape.join(',')}]`);
  const [b, t] = outputs.shape as [number, number, number];
  return lengths === undefined ? new Array<number>(b).fill(t) : [...lengths];
}

function timeMask(outputs: Tensor, lengths: readonly number[]): Tensor {
  const [b, t] = outputs.shape as [number, number, number];
  const masks = lengthMasks(lengths, b, t, outputs.dtype);
  const m = allocate(outputs.dtype, b * t);
  masks.forEach((mt, s) => {
    for (let i = 0; i < b; i++) m[i * t + s] = mt.data[i] as number;
  });
  return new Tensor(m, [b, t, 1]);
}

/**
 * Sequence-to-one (Figure 10.5): the output at each example's last valid step,
 * outputs [B, T, F] -> [B, F].
 *
 * @example
 * ```ts
 * const summary = lastStep(scan(cell, xs, { lengths }).outputs, lengths);
 * ```
 */
export function lastStep(outputs: Tensor, lengths?: readonly number[]): Tensor {
  const lens = resolveLengths(outputs, lengths);
  const [b, t, f] = outputs.shape as [number, number, number];
  lengthMasks(lens, b, t, outputs.dtype);
  const rows = new Float64Array(b);
  for (let i = 0; i < b; i++) rows[i] = i * t + (lens[i] as number) - 1;
  return gather(reshape(outputs, [b * t, f]), new Tensor(rows, [b]));
}

/** The mean over each example's valid steps: [B, T, F] -> [B, F]. */
export function meanOverTime(outputs: Tensor, lengths?: readonly number[]): Tensor {
  const lens = resolveLengths(outputs, lengths);
  const mask = timeMask(outputs, lens);
  const counts = allocate(outputs.dtype, lens.length);
  lens.forEach((n, i) => (counts[i] = n));
  return div(sum(where(mask, outputs, 0), 1), new Tensor(counts, [lens.length, 1]));
}

/** The maximum over each example's valid steps: [B, T, F] -> [B, F]. */
export function maxOverTime(outputs: Tensor, lengths?: readonly number[]): Tensor {
  const lens = resolveLengths(outputs, lengths);
  return max(where(timeMask(outputs, lens), outputs, -Infinity), 1);
}
