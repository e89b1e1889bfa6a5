import { broadcastIndex } from '../../kernels/broadcast.js';
import { ArgumentError, ShapeError, Tensor, allocate, normaliseAxis, sizeOf, stridesOf } from '../../tensor/index.js';
import { checkSameDType } from './checks.js';

/** Resolves one `-1` in a target shape and checks the element count. */
export function resolveReshape(from: readonly number[], to: readonly number[]): number[] {
  const size = sizeOf(from);
  const shape = [...to];
  const unknown = shape.indexOf(-1);
  if (unknown !== shape.lastIndexOf(-1)) throw new ShapeError('reshape', 'at most one size may be -1', [from, to]);
  if (unknown >= 0) {
    const known = shape.reduce((a, d, i) => (i === unknown ? a : a * d), 1);
    if (known === 0 || size % known !== 0) throw new ShapeError('reshape', 'cannot infer the -1 size', [from, to]);
    shape[unknown] = size / known;
  }
  if (sizeOf(shape) !== size || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError('reshape', 'element counts differ', [from, to]);
  }
  return shape;
}

/** A view with a new shape over the same storage (tensors are always contiguous). */
export function reshapeRaw(x: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(x.data, resolveReshape(x.shape, shape));
}

/** Checks that `perm` is a permutation of 0..rank-1. */
export function checkPerm(shape: readonly number[], perm: readonly number[]): void {
  const ok = perm.length === shape.length && [...perm].sort((a, b) => a - b).every((v, i) => v === i);
  if (!ok) throw new ArgumentError('transpose', `perm [${perm.join(',')}] is not a permutation of the axes of a rank-${shape.length} tensor`);
}

/** out[..] = x permuted: output axis i is input axis perm[i]. */
export function transposeRaw(x: Tensor, perm: readonly number[]): Tensor {
  checkPerm(x.shape, perm);
  const rank = x.rank;
  const outShape = perm.map((p) => x.shape[p] as number);
  const inStrides = stridesOf(x.shape);
  const out = allocate(x.dtype, x.size);
  const d = x.data;
  if (rank === 2 && perm[0] === 1) {
    const rows = x.shape[0] as number;
    const cols = x.shape[1] as number;
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j * rows + i] = d[i * cols + j] as number;
    return new Tensor(out, outShape);
  }
  const strides = perm.map((p) => inStrides[p] as number);
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = d[offset] as number;
    for (let ax = rank - 1; ax >= 0; ax--) {
      const c = (counter[ax] as number) + 1;
      if (c < (outShape[ax] as number)) {
        counter[ax] = c;
        offset += strides[ax] as number;
        break;
      }
      counter[ax] = 0;
      offset -= (strides[ax] as number) * (c - 1);
    }
  }
  return new Tensor(out, outShape);
}

/** The inverse permutation. */
export function invertPerm(perm: readonly number[]): number[] {
  const inv = new Array<number>(perm.length);
  perm.forEach((p, i) => (inv[p] = i));
  return inv;
}

/** Checks slice bounds and resolves `-1` sizes ("to the end"). */
export function resolveSlice(shape: readonly number[], begin: readonly number[], size: readonly number[]): number[] {
  if (begin.length !== shape.length || size.length !== shape.length) {
    throw new ShapeError('slice', 'begin and size need one entry per axis', [shape, begin, size]);
  }
  return shape.map((d, i) => {
    const b = begin[i] as number;
    const s = size[i] === -1 ? d - b : (size[i] as number);
    if (!Number.isInteger(b) || !Number.isInteger(s) || b < 0 || s < 0 || b + s > d) {
      throw new ShapeError('slice', `axis ${i}: [${b}, ${b + s}) is outside 0..${d}`, [shape, begin, size]);
    }
    return s;
  });
}

/**
 * Copies the box [begin, begin+size) of `x` into a new tensor when `target` is absent;
 * when `target` (shape of x) is given, adds `x` into that box of it instead (backward).
 */
function sliceWalk(srcShape: readonly number[], boxShape: readonly number[], begin: readonly number[], visit: (bigOffset: number, smallOffset: number, run: number) => void): void {
  const rank = srcShape.length;
  if (rank === 0) {
    visit(0, 0, 1);
    return;
  }
  const strides = stridesOf(srcShape);
  const run = boxShape[rank - 1] as number;
  const rows = sizeOf(boxShape) / Math.max(run, 1);
  if (run === 0 || rows === 0) return;
  const counter = new Array<number>(rank - 1).fill(0);
  let base = 0;
  for (let i = 0; i < rank; i++) base += (begin[i] as number) * (strides[i] as number);
  for (let r = 0; r < rows; r++) {
    let offset = base;
    for (let ax = 0; ax < rank - 1; ax++) offset += (counter[ax] as number) * (strides[ax] as number);
    visit(offset, r * run, run);
    for (let ax = rank - 2; ax >= 0; ax--) {
      const c = (counter[ax] as number) + 1;
      if (c < (boxShape[ax] as number)) {
        counter[ax] = c;
        break;
      }
      counter[ax] = 0;
    }
  }
}

/** x[begin : begin + size] along every axis. */
export function sliceRaw(x: Tensor, begin: readonly number[], size: readonly number[]): Tensor {
  const box = resolveSlice(x.shape, begin, size);
  const out = allocate(x.dtype, sizeOf(box));
  const d = x.data;
  sliceWalk(x.shape, box, begin, (big, small, run) => out.set(d.subarray(big, big + run), small));
  return new Tensor(out, box);
}

/** A zero tensor of `shape` with `g` written into the box at `begin` (slice's backward). */
export function padIntoRaw(g: Tensor, shape: readonly number[], begin: readonly number[]): Tensor {
  const out = allocate(g.dtype, sizeOf(shape));
  const d = g.data;
  sliceWalk(shape, g.shape, begin, (big, small, run) => out.set(d.subarray(small, small + run), big));
  return new Tensor(out, shape);
}

/** Joins tensors along `axis`; all other sizes must agree. */
export function concatRaw(xs: readonly Tensor[], axis: number): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ArgumentError('concat', 'needs at least one tensor');
  checkSameDType('concat', xs);
  const ax = normaliseAxis('concat', axis, first.rank);
  for (const x of xs) {
    const ok = x.rank === first.rank && x.shape.every((d, i) => i === ax || d === first.shape[i]);
    if (!ok) throw new ShapeError('concat', `sizes must match except on axis ${ax}`, xs.map((t) => t.shape));
  }
  const outShape = [...first.shape];
  outShape[ax] = xs.reduce((a, x) => a + (x.shape[ax] as number), 0);
  const outer = sizeOf(first.shape.slice(0, ax));
  const inner = sizeOf(first.shape.slice(ax + 1));
  const out = allocate(first.dtype, sizeOf(outShape));
  const outRow = (outShape[ax] as number) * inner;
  let col = 0;
  for (const x of xs) {
    const run = (x.shape[ax] as number) * inner;
    const d = x.data;
    for (let o = 0; o < outer; o++) out.set(d.subarray(o * run, (o + 1) * run), o * outRow + col);
    col += run;
  }
  return new Tensor(out, outShape);
}

/** Checks that every value of `indices` is an integer in [0, n). */
export function checkIndices(op: string, indices: Tensor, n: number): void {
  const d = indices.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i] as number;
    if (!Number.isInteger(v) || v < 0 || v >= n) {
      throw new ArgumentError(op, `index ${v} at position ${i} is not an integer in [0, ${n})`);
    }
  }
}

/** Rows of `table` ([V, ...rest]) picked by integer `indices`: shape [...indices, ...rest]. */
export function gatherRaw(table: Tensor, indices: Tensor): Tensor {
  if (table.rank < 1) throw new ShapeError('gather', 'the table needs at least one axis', [table.shape, indices.shape]);
  const rows = table.shape[0] as number;
  checkIndices('gather', indices, rows);
  const rest = table.shape.slice(1);
  const width = sizeOf(rest);
  const out = allocate(table.dtype, indices.size * width);
  const d = table.data;
  const idx = indices.data;
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i] as number;
    out.set(d.subarray(r * width, (r + 1) * width), i * width);
  }
  return new Tensor(out, [...indices.shape, ...rest]);
}

/** The gradient of gather: rows of `g` added into a zero table at their indices. */
export function scatterAddRaw(g: Tensor, indices: Tensor, tableShape: readonly number[]): Tensor {
  const width = sizeOf(tableShape.slice(1));
  const out = allocate(g.dtype, sizeOf(tableShape));
  const d = g.data;
  const idx = indices.data;
  for (let i = 0; i < idx.length; i++) {
    const base = (idx[i] as number) * width;
    const src = i * width;
    for (let j = 0; j < width; j++) out[base + j] = (out[base + j] as number) + (d[src + j] as number);
  }
  return new Tensor(out, tableShape);
}

/** cond ? a : b element-wise, with broadcasting of all three (cond is non-zero = true). */
export function whereRaw(cond: Tensor, a: Tensor, b: Tensor, shape: readonly number[]): Tensor {
  const ic = broadcastIndex(cond.shape, shape);
  const ia = broadcastIndex(a.shape, shape);
  const ib = broadcastIndex(b.shape, shape);
  const out = allocate(a.dtype, sizeOf(shape));
  const c = cond.data;
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < out.length; i++) {
    out[i] = (c[ic[i] as number] as number) !== 0 ? (x[ia[i] as number] as number) : (y[ib[i] as number] as number);
  }
  return new Tensor(out, shape);
}
