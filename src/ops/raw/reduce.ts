import { broadcastIndex } from '../../kernels/broadcast.js';
import { reduceIndexedKernel, reduceRunsKernel } from '../../kernels/reduce.js';
import { ArgumentError, Tensor, allocate, normaliseAxis, sameShape } from '../../tensor/index.js';

/** The axes a reduction covers, sorted and de-duplicated; `null` means all. */
export function reducedAxes(op: string, rank: number, axes: readonly number[] | null): number[] {
  if (axes === null) return Array.from({ length: rank }, (_, i) => i);
  const set = new Set(axes.map((a) => normaliseAxis(op, a, rank)));
  if (set.size !== axes.length) throw new ArgumentError(op, `repeated axis in [${axes.join(',')}]`);
  return [...set].sort((a, b) => a - b);
}

/** The shape after reducing `axes` (kept as size 1 when `keepDims`). */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepDims) out.push(1);
  });
  return out;
}

/**
 * Sum or max of `x` over `axes`. Implemented as a scatter through the broadcast index
 * of the kept-dims output shape, which handles any set of axes in one pass.
 */
export function reduce(kind: 'sum' | 'max', x: Tensor, axes: readonly number[], keepDims: boolean): Tensor {
  const keptShape = reducedShape(x.shape, axes, true);
  const outSize = keptShape.reduce((a, b) => a * b, 1);
  const out = allocate(x.dtype, outSize);
  const inner = innerExtent(x.shape, axes);
  if (inner !== null) reduceRunsKernel(kind, x.data, inner, out);
  else reduceIndexedKernel(kind, x.data, broadcastIndex(keptShape, x.shape), out);
  return new Tensor(out, keepDims ? keptShape : reducedShape(x.shape, axes, false));
}

/** When `axes` are exactly the last k axes, the number of elements each output covers. */
function innerExtent(shape: readonly number[], axes: readonly number[]): number | null {
  const rank = shape.length;
  for (let k = 0; k < axes.length; k++) if (axes[axes.length - 1 - k] !== rank - 1 - k) return null;
  let len = 1;
  for (const a of axes) len *= shape[a] as number;
  return len;
}

/** Sums a broadcast gradient back down to `shape` (the reverse of broadcasting). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const summed = reduce('sum', g, axes, true);
  return new Tensor(summed.data, shape);
}

/** Repeats `x` (shape broadcastable to `shape`) to `shape`. */
export function expandTo(x: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const index = broadcastIndex(x.shape, shape);
  const out = allocate(x.dtype, index.length);
  const d = x.data;
  for (let i = 0; i < index.length; i++) out[i] = d[index[i] as number] as number;
  return new Tensor(out, shape);
}
