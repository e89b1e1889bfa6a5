import { broadcastIndex } from '../../kernels/broadcast.js';
import { binaryKernel, mapKernel, zip3Kernel, zipKernel, type BinaryKind } from '../../kernels/elementwise.js';
import { Tensor, allocate, broadcastShapes, sameShape, sizeOf } from '../../tensor/index.js';
import { checkSameDType } from './checks.js';

export type { BinaryKind } from '../../kernels/elementwise.js';

/** out = a (op) b with NumPy broadcasting. Unrecorded: the building block of the ops. */
export function binary(kind: BinaryKind, a: Tensor, b: Tensor): Tensor {
  checkSameDType(kind, [a, b]);
  const same = sameShape(a.shape, b.shape);
  const shape = same ? a.shape : broadcastShapes(kind, a.shape, b.shape);
  const out = allocate(a.dtype, sizeOf(shape));
  if (same || (a.size === out.length && b.size === 1)) {
    binaryKernel(kind, a.data, null, b.data, null, out);
  } else {
    binaryKernel(kind, a.data, broadcastIndex(a.shape, shape), b.data, broadcastIndex(b.shape, shape), out);
  }
  return new Tensor(out, shape);
}

/** out[i] = f(x[i]). */
export function map(x: Tensor, f: (v: number) => number): Tensor {
  const out = allocate(x.dtype, x.size);
  mapKernel(x.data, f, out);
  return new Tensor(out, x.shape);
}

/** out[i] = f(x[i], y[i]) for two tensors of one shape (gradients of unary ops). */
export function zip(x: Tensor, y: Tensor, f: (a: number, b: number) => number): Tensor {
  const out = allocate(x.dtype, x.size);
  zipKernel(x.data, y.data, f, out);
  return new Tensor(out, x.shape);
}

/** out[i] = f(x[i], y[i], z[i]) for three tensors of one shape. */
export function zip3(x: Tensor, y: Tensor, z: Tensor, f: (a: number, b: number, c: number) => number): Tensor {
  const out = allocate(x.dtype, x.size);
  zip3Kernel(x.data, y.data, z.data, f, out);
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
