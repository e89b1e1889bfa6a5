import type { StepperCell, StepperWeights } from '../kernels/index.js';
import { ArgumentError, type DType, type Tensor } from '../tensor/index.js';

/** One value held in a cell's state: a tensor, a list of tensors (a history), or a step counter. */
export type StateValue = Tensor | number | readonly Tensor[];

/** A cell's recurrent state: a record of named values, e.g. `{ h, c }` for an LSTM. */
export type CellState = { readonly [name: string]: StateValue };

/** The result of one step: what the cell emits and the state it hands to the next step. */
export interface StepResult<S extends CellState> {
  /** The step's output [B, outputSize] (h for most cells; the projected h for an LSTM with projection). */
  readonly output: Tensor;
  readonly state: S;
}

/**
 * A recurrent cell: ONE time step of a recurrence s(t) = f(s(t-1), x(t); theta) with
 * parameters theta shared across steps. A cell never loops over time: `scan` and the
 * other combinators in `sequence/` do.
 *
 * @example
 * ```ts
 * const cell = new LSTMCell({ inputSize: 3, hiddenSize: 8 }, new Rng(0));
 * let state = cell.initialState(2);
 * const { output, state: next } = cell.step(x, state); // x [2, 3] -> output [2, 8]
 * ```
 */
export interface Cell<S extends CellState = CellState> {
  /** The registry key of this cell's kind. */
  readonly kind: string;
  /** Features per input step. */
  readonly inputSize: number;
  /** Features per output step. */
  readonly outputSize: number;
  /** The element type of parameters and state. */
  readonly dtype: DType;
  /** The state before the first step (zeros unless the cell says otherwise), batch B. */
  initialState(batch: number): S;
  /** One step: x [B, inputSize] and the previous state to the output and next state. */
  step(x: Tensor, state: S): StepResult<S>;
  /** The trainable tensors, for optimizers and checkpoints. */
  parameters(): Tensor[];
  /**
   * Optional fast path: the whole sequence xs [B, T, inputSize] from `initialState` as ONE
   * fused op (input projections of all steps in one gemm, one gemm per step, fused gate
   * maths, BPTT with one gemm per weight gradient), equal to unfolding `step` over time
   * with the same masking and direction. `scan` calls it when present; returning null
   * (a configuration the fused kernel does not cover, e.g. LSTM peepholes) sends `scan`
   * to the composed step-by-step path. The fused path builds no per-step tensors, so
   * anything that hooks into steps (retainGrad on a hidden state) needs the composed path.
   *
   * @example
   * ```ts
   * const r = cell.scanFused?.(xs, cell.initialState(2), { lengths: [5, 3] }) ?? null;
   * ```
   */
  scanFused?(xs: Tensor, initialState: S, options: SequenceRunOptions): SequenceRunResult<S> | null;
  /**
   * Optional fast path for stepping ONE example at a time (generation): the step kernel of
   * kernels/stepper.ts that computes `step` at batch 1, and the cell's weights for it. null
   * (or no method) when no kernel covers the cell as configured (float64, LSTM peepholes or
   * a projection, a subclass with its own `step`); callers then run `step` through the op
   * graph. The weights are the cell's own arrays, not copies: read them when the stepper is
   * made.
   *
   * @example
   * ```ts
   * const k = cell.stepKernel?.() ?? null;
   * const stepper = k === null ? null : RecurrentStepper.create(k.cell, k.weights);
   * ```
   */
  stepKernel?(): StepKernel | null;
}

/** What {@link Cell.stepKernel} returns: which recurrence to step, on which weights. */
export interface StepKernel {
  readonly cell: StepperCell;
  readonly weights: StepperWeights;
}

/**
 * Masking and direction of a run over a whole sequence (what {@link Cell.scanFused} gets
 * from scan, already validated).
 */
export interface SequenceRunOptions {
  /** Valid steps per example (B numbers in 1..T); padded steps carry the state and output 0. */
  readonly lengths?: readonly number[];
  /** Run from the last step to the first (outputs stay aligned with their inputs). */
  readonly reverse?: boolean;
}

/** The result of a run over a whole sequence: every step's output [B, T, outputSize] and the final state. */
export interface SequenceRunResult<S extends CellState> {
  readonly outputs: Tensor;
  readonly finalState: S;
}

/** The options every cell config shares. */
export interface BaseCellConfig {
  /** Features per input step. */
  readonly inputSize: number;
  /** Units in the hidden state. */
  readonly hiddenSize: number;
  /** Parameter dtype (float32 unless said; float64 for gradient checks). */
  readonly dtype?: DType;
}

/** Validates the shared config fields and throws an ArgumentError naming the cell and field. */
export function checkBaseConfig(kind: string, config: BaseCellConfig): void {
  for (const field of ['inputSize', 'hiddenSize'] as const) {
    const v = config[field];
    if (!Number.isInteger(v) || v <= 0) throw new ArgumentError(`${kind} cell`, `${field} must be a positive integer, got ${v}`);
  }
}

/** Throws unless x is [B, inputSize] for the cell. */
export function checkStepInput(cell: Cell, x: Tensor): void {
  if (x.rank !== 2 || x.shape[1] !== cell.inputSize) {
    throw new ArgumentError(`${cell.kind} cell step`, `input must be [batch, ${cell.inputSize}], got [${x.shape.join(',')}]`);
  }
  if (x.dtype !== cell.dtype) {
    throw new ArgumentError(`${cell.kind} cell step`, `input is ${x.dtype} but the cell's parameters are ${cell.dtype}`);
  }
}
