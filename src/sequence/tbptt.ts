import { backward } from '../autograd/index.js';
import type { Cell, CellState } from '../cells/cell.js';
import { detachState } from '../cells/state.js';
import { reshape, slice, stack } from '../ops/index.js';
import { ArgumentError, type Tensor } from '../tensor/index.js';
import { checkSequence, scan } from './scan.js';

/** One window of truncated BPTT, in absolute time steps. */
export interface TbpttWindow {
  /** First step run forward (and back-propagated through) in this window. */
  readonly start: number;
  /** One past the last step. */
  readonly end: number;
  /** First step whose outputs enter this window's loss (end - k1, or start). */
  readonly lossFrom: number;
}

/** Options of {@link truncatedBptt}. */
export interface TbpttOptions<S extends CellState> {
  /** Steps between parameter updates (forward stride). */
  readonly k1: number;
  /** Steps back-propagated through at each update (k2 >= k1). */
  readonly k2: number;
  readonly initialState?: S;
  /**
   * The loss of one window from the outputs of steps lossFrom..end-1 ([B, end - lossFrom, O]).
   * Typically a head plus cross-entropy against the targets of those steps.
   */
  readonly loss: (outputs: Tensor, window: TbpttWindow) => Tensor;
  /** Called after each window's backward: step the optimizer and zero gradients here. */
  readonly update: (window: TbpttWindow) => void;
}

/** What {@link truncatedBptt} returns. */
export interface TbpttResult<S extends CellState> {
  /** The detached state after the last step, to carry into the next sequence. */
  readonly finalState: S;
  /** The loss value of every window. */
  readonly losses: number[];
}

/**
 * Truncated back-propagation through time, TBPTT(k1, k2) (Williams & Peng 1990;
 * Sutskever 2013): every k1 steps, back-propagate the loss of those k1 steps through the
 * last k2 steps, starting from a detached state, then update. k1 = k2 is the usual
 * "chunked" training with state carried between chunks (one scan per chunk, using the
 * fused kernels); k2 > k1 re-runs the overlap from the stored state.
 *
 * @example
 * ```ts
 * truncatedBptt(cell, xs, { k1: 32, k2: 32,
 *   loss: (out, w) => crossEntropy(head.forward(out), targetsFor(w)),
 *   update: () => { opt.step(); opt.zeroGrad(); } });
 * ```
 */
export function truncatedBptt<S extends CellState>(cell: Cell<S>, xs: Tensor, options: TbpttOptions<S>): TbpttResult<S> {
  const { k1, k2 } = options;
  if (!Number.isInteger(k1) || !Number.isInteger(k2) || k1 < 1 || k2 < k1) {
    throw new ArgumentError('truncatedBptt', `need integers 1 <= k1 <= k2, got k1=${k1}, k2=${k2}`);
  }
  const [batch, steps] = checkSequence(cell, xs);
  const inputSize = xs.shape[2] as number;
  const losses: number[] = [];
  // states[t] is the detached state before step t, kept only as far back as a window can reach.
  const states = new Map<number, S>([[0, detachState(options.initialState ?? cell.initialState(batch))]]);
  for (let prevEnd = 0; prevEnd < steps; ) {
    const end = Math.min(prevEnd + k1, steps);
    // With k1 = k2 windows are disjoint chunks; otherwise reach back k2 steps.
    const start = k1 === k2 ? prevEnd : Math.max(0, end - k2);
    const window: TbpttWindow = { start, end, lossFrom: prevEnd };
    const chunk = slice(xs, [0, start, 0], [batch, end - start, inputSize]);
    let outputs: Tensor;
    let finalState: S;
    if (k1 === k2) {
      const r = scan(cell, chunk, { initialState: states.get(start) as S });
      outputs = r.outputs;
      finalState = r.finalState;
    } else {
      // Step by step so the detached state at every step is available to later windows.
      let state = states.get(start) as S;
      const outs: Tensor[] = [];
      for (let t = start; t < end; t++) {
        const x = slice(chunk, [0, t - start, 0], [batch, 1, inputSize]);
        const r = cell.step(reshape(x, [batch, inputSize]), state);
        state = r.state;
        outs.push(r.output);
        if (!states.has(t + 1)) states.set(t + 1, detachState(state));
      }
      outputs = stack(outs, 1);
      finalState = state;
    }
    states.set(end, detachState(finalState));
    for (const t of [...states.keys()]) if (t < end - k2) states.delete(t);
    const o = outputs.shape[2] as number;
    const lossOutputs = window.lossFrom === start ? outputs : slice(outputs, [0, window.lossFrom - start, 0], [batch, end - window.lossFrom, o]);
    const loss = options.loss(lossOutputs, window);
    losses.push(loss.item());
    backward(loss);
    options.update(window);
    prevEnd = end;
  }
  return { finalState: states.get(steps) as S, losses };
}
