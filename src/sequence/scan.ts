import { stack, unstack, where } from '../ops/index.js';
import { ArgumentError, Tensor, allocate, type DType } from '../tensor/index.js';
import type { Cell, CellState, SequenceRunOptions } from '../cells/cell.js';
import { selectState } from '../cells/state.js';

/** Options of {@link scan}. */
export interface ScanOptions<S extends CellState> {
  /** The state before the first step; the cell's `initialState(B)` when omitted. */
  readonly initialState?: S;
  /**
   * Valid length of each example (B numbers, each in 1..T) for a padded batch. At a padded
   * step the state is carried unchanged and the output is zero, so the final state is each
   * example's state after its own last valid step (like PyTorch's packed sequences).
   */
  readonly lengths?: readonly number[];
  /** Run from the last step to the first (outputs stay aligned with their inputs). */
  readonly reverse?: boolean;
  /**
   * Use the cell's fused whole-sequence op (`cell.scanFused`) when it has one for its
   * configuration (default true): same results, several times faster. false forces the
   * composed path, one `cell.step` per time step: for equivalence tests, and for
   * diagnostics that need per-step tensors (retainGrad on a hidden state only works there,
   * since the fused op has no per-step tensors).
   */
  readonly fused?: boolean;
}

/** What {@link scan} returns. */
export interface ScanResult<S extends CellState> {
  /** Outputs of every step, aligned with the inputs: [B, T, outputSize]. */
  readonly outputs: Tensor;
  /** The state after the last (valid) step. */
  readonly finalState: S;
}

/**
 * Unfolds a cell over time: the computational graph of the recurrence
 * s(t) = f(s(t-1), x(t); theta), with the SAME parameters theta at every step, so
 * back-propagating through the result is back-propagation through time.
 *
 * xs is batch-major [B, T, inputSize].
 *
 * When the cell has a fused kernel for its configuration (`cell.scanFused`: RNN, GRU, LSTM
 * without peepholes or projection) the whole sequence runs as one op; otherwise, or with
 * `fused: false`, as one `step` per time step. Both give the same values and gradients
 * (src/sequence/fused.test.ts).
 *
 * @example
 * ```ts
 * const cell = new GRUCell({ inputSize: 4, hiddenSize: 16 }, new Rng(1));
 * const { outputs, finalState } = scan(cell, xs, { lengths: [5, 3] }); // xs [2, 5, 4]
 * ```
 */
export function scan<S extends CellState>(cell: Cell<S>, xs: Tensor, options: ScanOptions<S> = {}): ScanResult<S> {
  const [batch, steps] = checkSequence(cell, xs);
  let state = options.initialState ?? cell.initialState(batch);
  if (options.fused !== false && cell.scanFused !== undefined) {
    if (options.lengths !== undefined) checkLengths(options.lengths, batch, steps);
    const run: SequenceRunOptions = {
      ...(options.lengths === undefined ? {} : { lengths: options.lengths }),
      ...(options.reverse === undefined ? {} : { reverse: options.reverse }),
    };
    const fused = cell.scanFused(xs, state, run);
    if (fused !== null) return fused;
  }
  const masks = options.lengths === undefined ? null : lengthMasks(options.lengths, batch, steps, cell.dtype);
  const inputs = unstack(xs, 1);
  const outputs = new Array<Tensor>(steps);
  for (let i = 0; i < steps; i++) {
    const t = options.reverse === true ? steps - 1 - i : i;
    const result = cell.step(inputs[t] as Tensor, state);
    const keep = masks?.[t];
    if (keep === undefined) {
      state = result.state;
      outputs[t] = result.output;
    } else {
      state = selectState(keep, result.state, state);
      outputs[t] = where(keep, result.output, 0);
    }
  }
  return { outputs: stack(outputs, 1), finalState: state };
}

/** Checks xs is [B, T, inputSize] with T >= 1 and returns [B, T]. */
export function checkSequence(cell: Cell, xs: Tensor): [number, number] {
  if (xs.rank !== 3 || xs.shape[2] !== cell.inputSize) {
    throw new ArgumentError('scan', `input must be [batch, time, ${cell.inputSize}] for this ${cell.kind} cell, got [${xs.shape.join(',')}]`);
  }
  if (xs.dtype !== cell.dtype) throw new ArgumentError('scan', `input is ${xs.dtype} but the cell is ${cell.dtype}`);
  const steps = xs.shape[1] as number;
  if (steps < 1) throw new ArgumentError('scan', 'the sequence has no time steps');
  return [xs.shape[0] as number, steps];
}

/** One [B, 1] keep-mask per step: 1 where t < lengths[b]. Checks the lengths. */
export function lengthMasks(lengths: readonly number[], batch: number, steps: number, dtype: DType): Tensor[] {
  checkLengths(lengths, batch, steps);
  return Array.from({ length: steps }, (_, t) => {
    const m = allocate(dtype, batch);
    for (let b = 0; b < batch; b++) m[b] = t < (lengths[b] as number) ? 1 : 0;
    return new Tensor(m, [batch, 1]);
  });
}

/** Throws an ArgumentError naming scan unless lengths has B integers in 1..T. @example `checkLengths([5, 3], 2, 5)` */
export function checkLengths(lengths: readonly number[], batch: number, steps: number): void {
  if (lengths.length !== batch) throw new ArgumentError('scan', `lengths has ${lengths.length} entries for a batch of ${batch}`);
  lengths.forEach((n, b) => {
    if (!Number.isInteger(n) || n < 1 || n > steps) {
      throw new ArgumentError('scan', `lengths[${b}] = ${n} is not an integer in 1..${steps}`);
    }
  });
}
