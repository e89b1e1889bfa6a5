import type { TypedArray } from '../tensor/tensor.js';

/**
 * Reduces contiguous runs: out[o] = sum (or max) of x[o*len .. (o+1)*len). The fast path
 * of a reduction over trailing axes. max propagates NaN, like NumPy.
 *
 * @example
 * ```ts
 * const out = new Float32Array(2);
 * reduceRunsKernel('sum', new Float32Array([1, 2, 3, 4]), 2, out); // [3, 7]
 * ```
 */
export function reduceRunsKernel(kind: 'sum' | 'max', x: TypedArray, len: number, out: TypedArray): void {
  for (let o = 0; o < out.length; o++) {
    const base = o * len;
    if (kind === 'sum') {
      let s = 0;
      for (let j = 0; j < len; j++) s += x[base + j] as number;
      out[o] = s;
    } else {
      let m = -Infinity;
      for (let j = 0; j < len; j++) {
        const v = x[base + j] as number;
        if (v > m || Number.isNaN(v)) m = v;
      }
      out[o] = m;
    }
  }
}

/**
 * Reduces through an index map: out[index[i]] = sum (or max) over i of x[i], for any set
 * of reduced axes (index from `broadcastIndex(keptShape, shape)`). Overwrites `out`.
 */
export function reduceIndexedKernel(kind: 'sum' | 'max', x: TypedArray, index: Int32Array, out: TypedArray): void {
  const n = x.length;
  if (kind === 'sum') {
    out.fill(0);
    for (let i = 0; i < n; i++) {
      const o = index[i] as number;
      out[o] = (out[o] as number) + (x[i] as number);
    }
  } else {
    out.fill(-Infinity);
    for (let i = 0; i < n; i++) {
      const o = index[i] as number;
      const v = x[i] as number;
      if (v > (out[o] as number) || Number.isNaN(v)) out[o] = v;
    }
  }
}
