import type { StepperWeights } from '../kernels/index.js';
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

/** The parameters of a gated recurrent layer in PyTorch's layout (RNN, GRU, LSTM cells). */
interface GateStackedWeights {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHh: Tensor | null;
}

/** A cell's weights as a step kernel reads them: the cell's own arrays, not copies. */
export function stepperWeights(cell: GateStackedWeights): StepperWeights {
  return {
    inputSize: cell.inputSize, hiddenSize: cell.hiddenSize, weightIh: cell.weightIh.data, weightHh: cell.weightHh.data,
    biasIh: cell.biasIh?.data ?? null, biasHh: cell.biasHh?.data ?? null,
  };
}
