import { noGrad } from '../../autograd/index.js';
import type { Cell } from '../../cells/cell.js';
import { sigmoid, unstack } from '../../ops/index.js';
import { ArgumentError, type Tensor } from '../../tensor/index.js';
import type { NTMState } from './ntm-cell.js';

/** What a neural Turing machine did over one sequence, step by step (see {@link traceNtm}). */
export interface NTMTrace {
  /** Per read head, per step, the weighting over the N slots: [R][T][N]. */
  readonly readWeights: number[][][];
  /** Per write head, per step, the weighting over the N slots: [W][T][N]. */
  readonly writeWeights: number[][][];
  /** Per step, sigmoid of the output logits: [T][outputSize]. */
  readonly outputs: number[][];
}

/**
 * Runs a neural Turing machine over one example of a batch without recording gradients
 * and keeps every head's weighting at every step: the data of the picture that shows what
 * the machine learned (on the copy task, a write head sweeping forward through memory, then
 * a read head sweeping the same slots in the same order).
 *
 * @example
 * ```ts
 * const trace = traceNtm(ntm, xs, 0);      // xs [B, T, inputSize]
 * trace.writeWeights[0][t];                // write head 0's weighting at step t (N numbers)
 * ```
 */
export function traceNtm(cell: Cell<NTMState>, xs: Tensor, example = 0): NTMTrace {
  const batch = xs.shape[0] as number;
  if (xs.rank !== 3 || !Number.isInteger(example) || example < 0 || example >= batch) {
    throw new ArgumentError('traceNtm', `xs must be [batch, time, features] and example in 0..${batch - 1}`);
  }
  return noGrad(() => {
    let state = cell.initialState(batch);
    const readWeights = state.readWeights.map((): number[][] => []);
    const writeWeights = state.writeWeights.map((): number[][] => []);
    const outputs: number[][] = [];
    const row = (t: Tensor): number[] => {
      const width = t.shape[1] as number;
      return Array.from(t.data.subarray(example * width, (example + 1) * width));
    };
    for (const x of unstack(xs, 1)) {
      const result = cell.step(x, state);
      state = result.state;
      state.readWeights.forEach((w, h) => readWeights[h]?.push(row(w)));
      state.writeWeights.forEach((w, h) => writeWeights[h]?.push(row(w)));
      outputs.push(row(sigmoid(result.output)));
    }
    return { readWeights, writeWeights, outputs };
  });
}
