import { broadcastIndex } from '../../kernels/broadcast.js';
import { gemm } from '../../kernels/gemm.js';
import { ShapeError, Tensor, allocate, broadcastShapes, sizeOf } from '../../tensor/index.js';
import { checkSameDType } from './checks.js';

/**
 * Batched matrix product op(a) op(b) over the last two axes, broadcasting the leading
 * (batch) axes. op(x) swaps x's last two axes when its flag is set. A rank-2 right
 * operand against a batched left one (a weight matrix) folds the batch into the rows:
 * one gemm for the whole batch.
 */
export function matmulRaw(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  checkSameDType('matmul', [a, b]);
  if (a.rank < 2 || b.rank < 2) throw new ShapeError('matmul', 'both operands need at least two axes', [a.shape, b.shape]);
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError('matmul', `inner dimensions differ (${k} vs ${kb}${transA || transB ? ', after transposes' : ''})`, [a.shape, b.shape]);
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batch = broadcastShapes('matmul', aBatch, bBatch);
  const out = allocate(a.dtype, sizeOf(batch) * m * n);
  const outShape = [...batch, m, n];
  if (bBatch.length === 0 && !transA) {
    const rows = sizeOf(aBatch) * m;
    gemm(false, transB, rows, n, k, 1, a.data, 0, ac, b.data, 0, bc, 0, out, 0, n);
    return new Tensor(out, outShape);
  }
  const ia = broadcastIndex(aBatch, batch);
  const ib = broadcastIndex(bBatch, batch);
  const count = sizeOf(batch);
  for (let i = 0; i < count; i++) {
    gemm(transA, transB, m, n, k, 1, a.data, (ia[i] as number) * ar * ac, ac, b.data, (ib[i] as number) * br * bc, bc, 0, out, i * m * n, n);
  }
  return new Tensor(out, outShape);
}
