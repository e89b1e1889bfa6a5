import { broadcastIndex } from '../../kernels/broadcast.js';
import { Tensor, allocate, broadcastShapes, sameShape } from '../../tensor/index.js';
import { checkSameDType } from './checks.js';

/** The binary arithmetic a broadcast kernel can run. */
export type BinaryKind = 'add' | 'sub' | 'mul' | 'div';

/**
 * out = a (op) b with NumPy broadcasting. Unrecorded: the building block of the ops.
 * One tight loop per kind, so each loop stays monomorphic for the JIT.
 */
export function binary(kind: BinaryKind, a: Tensor, b: Tensor): Tensor {
  checkSameDType(kind, [a, b]);
  const shape = sameShape(a.shape, b.shape) ? a.shape : broadcastShapes(kind, a.shape, b.shape);
  const out = allocate(a.dtype, sizeFrom(shape));
  const x = a.data;
  const y = b.data;
  const n = out.length;
  if (x.length === n && y.length === n) {
    switch (kind) {
      case 'add': for (let i = 0; i < n; i++) out[i] = (x[i] as number) + (y[i] as number); break;
      case 'sub': for (let i = 0; i < n; i++) out[i] = (x[i] as number) - (y[i] as number); break;
      case 'mul': for (let i = 0; i < n; i++) out[i] = (x[i] as number) * (y[i] as number); break;
      case 'div': for (let i = 0; i < n; i++) out[i] = (x[i] as number) / (y[i] as number); break;
    }
  } else if (y.length === 1) {
    const s = y[0] as number;
    switch (kind) {
      case 'add': for (let i = 0; i < n; i++) out[i] = (x[i] as number) + s; break;
      case 'sub': for (let i = 0; i < n; i++) out[i] = (x[i] as number) - s; break;
      case 'mul': for (let i = 0; i < n; i++) out[i] = (x[i] as number) * s; break;
      case 'div': for (let i = 0; i < n; i++) out[i] = (x[i] as number) / s; break;
    }
  } else {
    const ia = broadcastIndex(a.shape, shape);
    const ib = broadcastIndex(b.shape, shape);
    switch (kind) {
      case 'add': for (let i = 0; i < n; i++) out[i] = (x[ia[i] as number] as number) + (y[ib[i] as number] as number); break;
      case 'sub': for (let i = 0; i < n; i++) out[i] = (x[ia[i] as number] as number) - (y[ib[i] as number] as number); break;
      case 'mul': for (let i = 0; i < n; i++) out[i] = (x[ia[i] as number] as number) * (y[ib[i] as number] as number); break;
      case 'div': for (let i = 0; i < n; i++) out[i] = (x[ia[i] as number] as number) / (y[ib[i] as number] as number); break;
    }
  }
  return new Tensor(out, shape);
}

function sizeFrom(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** out[i] = f(x[i]). */
export function map(x: Tensor, f: (v: number) => number): Tensor {
  const out = allocate(x.dtype, x.size);
  const d = x.data;
  for (let i = 0; i < out.length; i++) out[i] = f(d[i] as number);
  return new Tensor(out, x.shape);
}

/** out[i] = f(x[i], y[i]) for two tensors of one shape (gradients of unary ops). */
export function zip(x: Tensor, y: Tensor, f: (a: number, b: number) => number): Tensor {
  const out = allocate(x.dtype, x.size);
  const a = x.data;
  const b = y.data;
  for (let i = 0; i < out.length; i++) out[i] = f(a[i] as number, b[i] as number);
  return new Tensor(out, x.shape);
}

/** out[i] = f(x[i], y[i], z[i]) for three tensors of one shape. */
export function zip3(x: Tensor, y: Tensor, z: Tensor, f: (a: number, b: number, c: number) => number): Tensor {
  const out = allocate(x.dtype, x.size);
  const a = x.data;
  const b = y.data;
  const c = z.data;
  for (let i = 0; i < out.length; i++) out[i] = f(a[i] as number, b[i] as number, c[i] as number);
  return new Tensor(out, x.shape);
}

/** Numerically stable softplus: log(1 + e^x) = max(x, 0) + log1p(e^-|x|). */
export function softplusScalar(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/** Numerically stable logistic sigmoid 1 / (1 + e^-x). */
export function sigmoidScalar(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}
