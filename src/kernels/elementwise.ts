import type { TypedArray } from '../tensor/tensor.js';

/** The binary arithmetic the element-wise kernels implement. */
export type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

/**
 * out[i] = a[ia[i]] (op) b[ib[i]], with index maps from `broadcastIndex` (null: the
 * identity; a length-1 array: the same element everywhere). One tight loop per kind and
 * layout, so every loop stays monomorphic for the JIT.
 *
 * @example
 * ```ts
 * const out = new Float32Array(3);
 * binaryKernel('add', new Float32Array([1, 2, 3]), null, new Float32Array([10]), null, out); // [11, 12, 13]
 * ```
 */
export function binaryKernel(kind: BinaryKind, a: TypedArray, ia: Int32Array | null, b: TypedArray, ib: Int32Array | null, out: TypedArray): void {
  const n = out.length;
  if (ia === null && ib === null && a.length === n && b.length === n) {
    switch (kind) {
      case 'add': for (let i = 0; i < n; i++) out[i] = (a[i] as number) + (b[i] as number); return;
      case 'sub': for (let i = 0; i < n; i++) out[i] = (a[i] as number) - (b[i] as number); return;
      case 'mul': for (let i = 0; i < n; i++) out[i] = (a[i] as number) * (b[i] as number); return;
      case 'div': for (let i = 0; i < n; i++) out[i] = (a[i] as number) / (b[i] as number); return;
    }
  }
  if (ia === null && a.length === n && b.length === 1) {
    const s = b[0] as number;
    switch (kind) {
      case 'add': for (let i = 0; i < n; i++) out[i] = (a[i] as number) + s; return;
      case 'sub': for (let i = 0; i < n; i++) out[i] = (a[i] as number) - s; return;
      case 'mul': for (let i = 0; i < n; i++) out[i] = (a[i] as number) * s; return;
      case 'div': for (let i = 0; i < n; i++) out[i] = (a[i] as number) / s; return;
    }
  }
  if (ia === null || ib === null) throw new Error('binaryKernel: broadcasting needs both index maps');
  switch (kind) {
    case 'add': for (let i = 0; i < n; i++) out[i] = (a[ia[i] as number] as number) + (b[ib[i] as number] as number); return;
    case 'sub': for (let i = 0; i < n; i++) out[i] = (a[ia[i] as number] as number) - (b[ib[i] as number] as number); return;
    case 'mul': for (let i = 0; i < n; i++) out[i] = (a[ia[i] as number] as number) * (b[ib[i] as number] as number); return;
    case 'div': for (let i = 0; i < n; i++) out[i] = (a[ia[i] as number] as number) / (b[ib[i] as number] as number); return;
  }
}

/** out[i] = f(x[i]). @example `mapKernel(x, Math.tanh, out)` */
export function mapKernel(x: TypedArray, f: (v: number) => number, out: TypedArray): void {
  for (let i = 0; i < out.length; i++) out[i] = f(x[i] as number);
}

/** out[i] = f(x[i], y[i]) for two arrays of one length (gradients of unary ops). */
export function zipKernel(x: TypedArray, y: TypedArray, f: (a: number, b: number) => number, out: TypedArray): void {
  for (let i = 0; i < out.length; i++) out[i] = f(x[i] as number, y[i] as number);
}

/** out[i] = f(x[i], y[i], z[i]) for three arrays of one length. */
export function zip3Kernel(x: TypedArray, y: TypedArray, z: TypedArray, f: (a: number, b: number, c: number) => number, out: TypedArray): void {
  for (let i = 0; i < out.length; i++) out[i] = f(x[i] as number, y[i] as number, z[i] as number);
}
