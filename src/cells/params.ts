import { Rng, Tensor, allocate, type DType } from '../tensor/index.js';

/**
 * A trainable tensor drawn from U(-bound, bound), PyTorch's default for recurrent
 * layers with bound = 1 / sqrt(hiddenSize).
 */
export function uniformParameter(shape: readonly number[], bound: number, rng: Rng, dtype: DType): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  const data = allocate(dtype, size);
  for (let i = 0; i < size; i++) data[i] = rng.uniformRange(-bound, bound);
  return new Tensor(data, shape, true);
}

/** A trainable tensor filled with one value. */
export function constantParameter(shape: readonly number[], value: number, dtype: DType): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  const data = allocate(dtype, size);
  data.fill(value);
  return new Tensor(data, shape, true);
}
