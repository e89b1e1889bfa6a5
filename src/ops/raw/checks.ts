import { DTypeError, type Tensor } from '../../tensor/index.js';

/** Throws a DTypeError naming `op` unless all tensors share one dtype. */
export function checkSameDType(op: string, tensors: readonly Tensor[]): void {
  const first = tensors[0];
  if (first === undefined) return;
  for (const t of tensors) {
    if (t.dtype !== first.dtype) {
      throw new DTypeError(op, `inputs mix ${first.dtype} and ${t.dtype}; convert one with astype()`);
    }
  }
}
