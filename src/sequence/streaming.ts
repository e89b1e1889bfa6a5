import { noGrad } from '../autograd/index.js';
import type { Cell, CellState } from '../cells/cell.js';
import type { Tensor } from '../tensor/index.js';

/**
 * Stateful streaming inference: feed one step at a time and the recurrent state is
 * carried between calls, so a stream of T steps gives exactly what `scan` gives on the
 * whole sequence, at the cost of one cell step per call (no re-running of the prefix).
 * Runs under noGrad.
 *
 * @example
 * ```ts
 * const stream = new StreamingRunner(cell, 1);
 * for (const x of incoming) console.log(stream.step(x).data); // x [1, inputSize]
 * ```
 */
export class StreamingRunner<S extends CellState> {
  private current: S;

  constructor(readonly cell: Cell<S>, readonly batch = 1, initialState?: S) {
    this.current = initialState ?? cell.initialState(batch);
  }

  /** The state after the steps so far. */
  get state(): S {
    return this.current;
  }

  /** One step: x [batch, inputSize] -> output [batch, outputSize]. */
  step(x: Tensor): Tensor {
    return noGrad(() => {
      const r = this.cell.step(x, this.current);
      this.current = r.state;
      return r.output;
    });
  }

  /** Starts a new stream from `state` (the cell's initial state by default). */
  reset(state?: S): void {
    this.current = state ?? this.cell.initialState(this.batch);
  }
}
