import type { CellState } from '../cells/cell.js';
import type { FeedbackCell } from '../cells/output-feedback-cell.js';
import { selectState } from '../cells/state.js';
import { exp, logSoftmax, scale, stack, unstack, where } from '../ops/index.js';
import { ArgumentError, Tensor, allocate, type Rng } from '../tensor/index.js';
import { checkSequence, lengthMasks } from './scan.js';

/** What a {@link Feedback} function sees after step t. */
export interface FeedbackContext {
  /** The time step just computed, 0-based. */
  readonly t: number;
  /** The cell's output o(t) [B, outputSize]. */
  readonly output: Tensor;
  /** The ground truth y(t) [B, feedbackSize], when the run was given targets. */
  readonly target: Tensor | undefined;
  /** The training iteration of this run (`iteration` option, default 0), for decaying schedules. */
  readonly iteration: number;
}

/**
 * Decides, after each step t, the value y(t) fed back into step t + 1 [B, feedbackSize]:
 * the ground truth (teacher forcing), the model's own output (free running), or a
 * per-example mix (scheduled sampling). Any function of the context will do.
 */
export type Feedback = (context: FeedbackContext) => Tensor;

/** A transform of the model's output before it is fed back (softmax, one-hot of a sample...). */
export type OutputTransform = (output: Tensor) => Tensor;

/** A probability as a function of the training iteration i (Bengio et al. 2015's epsilon_i). */
export type Schedule = (iteration: number) => number;

/** Options of {@link runWithFeedback}. */
export interface FeedbackOptions<S extends CellState> {
  /** What to feed back after every step. */
  readonly feedback: Feedback;
  /** Ground truth y(t) for every step, [B, T, feedbackSize] (needed by teacher forcing and scheduled sampling). */
  readonly targets?: Tensor;
  /** The state before the first step, holding y(-1); the cell's `initialState(B)` (y(-1) = 0) when omitted. */
  readonly initialState?: S;
  /** Valid length of each example, as in `scan`: a padded step keeps the state and emits zeros. */
  readonly lengths?: readonly number[];
  /** The training iteration, passed to the feedback (for scheduled sampling's decay). */
  readonly iteration?: number;
}

/** What {@link runWithFeedback} returns. */
export interface FeedbackResult<S extends CellState> {
  /** o(t) for every step, [B, T, outputSize]. */
  readonly outputs: Tensor;
  /** y(t), what was fed back after every step, [B, T, feedbackSize]. */
  readonly fed: Tensor;
  /** The state after the last (valid) step. */
  readonly finalState: S;
}

/**
 * Unfolds a cell whose state holds a fed-back value (an {@link OutputFeedbackCell}, or a
 * context-conditioned one around it) while `feedback` chooses, after every step, what
 * the next step reads as y(t):
 *
 *     o(t), s(t) = cell.step(x(t), s(t-1))
 *     y(t)       = feedback({ t, output: o(t), target: targets[:, t] })
 *     s(t)       = cell.withFeedback(s(t), y(t))
 *
 * `teacherForcing()` feeds the ground truth (section 10.2.1: training by maximum
 * likelihood conditions on the true previous output), `freeRunning()` the model's own
 * output (how the model runs at test time), `scheduledSampling(eps, rng)` a per-example
 * coin flip between the two. Gradients flow through whatever is fed back: through the
 * model's output when free running (unless the transform cuts them, as a one-hot does),
 * not through the targets.
 *
 * @example
 * ```ts
 * const cell = new OutputFeedbackCell({ inputSize: 1, hiddenSize: 16, outputSize: 2 }, new Rng(0));
 * const train = runWithFeedback(cell, xs, { targets: ys, feedback: teacherForcing() });
 * const test = runWithFeedback(cell, xs, { feedback: freeRunning() });
 * const mixed = runWithFeedback(cell, xs, { targets: ys, feedback: scheduledSampling(inverseSigmoidDecay(100), rng), iteration: i });
 * ```
 */
export function runWithFeedback<S extends CellState>(cell: FeedbackCell<S>, xs: Tensor, options: FeedbackOptions<S>): FeedbackResult<S> {
  const [batch, steps] = checkSequence(cell, xs);
  const { targets } = options;
  if (targets !== undefined && (targets.rank !== 3 || targets.shape[0] !== batch || targets.shape[1] !== steps || targets.shape[2] !== cell.feedbackSize)) {
    throw new ArgumentError('runWithFeedback', `targets must be [${batch}, ${steps}, ${cell.feedbackSize}], got [${targets.shape.join(',')}]`);
  }
  const truth = targets === undefined ? undefined : unstack(targets, 1);
  const masks = options.lengths === undefined ? null : lengthMasks(options.lengths, batch, steps, cell.dtype);
  const inputs = unstack(xs, 1);
  const outputs = new Array<Tensor>(steps);
  const fedBack = new Array<Tensor>(steps);
  const iteration = options.iteration ?? 0;
  let state = options.initialState ?? cell.initialState(batch);
  for (let t = 0; t < steps; t++) {
    const result = cell.step(inputs[t] as Tensor, state);
    const fed = options.feedback({ t, output: result.output, target: truth?.[t], iteration });
    if (fed.rank !== 2 || fed.shape[0] !== batch || fed.shape[1] !== cell.feedbackSize) {
      throw new ArgumentError('runWithFeedback', `the feedback at step ${t} must be [${batch}, ${cell.feedbackSize}], got [${fed.shape.join(',')}]`);
    }
    const next = cell.withFeedback(result.state, fed);
    const keep = masks?.[t];
    if (keep === undefined) {
      state = next;
      outputs[t] = result.output;
      fedBack[t] = fed;
    } else {
      state = selectState(keep, next, state);
      outputs[t] = where(keep, result.output, 0);
      fedBack[t] = where(keep, fed, 0);
    }
  }
  return { outputs: stack(outputs, 1), fed: stack(fedBack, 1), finalState: state };
}

/**
 * Teacher forcing: feed back the ground truth y(t). Under it a cell whose only recurrence
 * goes through the output has independent steps given the targets.
 *
 * @example
 * ```ts
 * runWithFeedback(cell, xs, { targets: ys, feedback: teacherForcing() });
 * ```
 */
export function teacherForcing(): Feedback {
  return ({ target, t }) => {
    if (target === undefined) throw new ArgumentError('teacherForcing', `no target for step ${t}: pass targets to runWithFeedback`);
    return target;
  };
}

/**
 * Free running: feed back the model's own output, optionally transformed first (for
 * discrete outputs: `softmax`, or {@link argmaxOneHot} / {@link sampleOneHot}).
 *
 * @example
 * ```ts
 * runWithFeedback(cell, xs, { feedback: freeRunning() });              // real-valued outputs
 * runWithFeedback(cell, xs, { feedback: freeRunning(argmaxOneHot) });  // greedy decoding of logits
 * ```
 */
export function freeRunning(transform: OutputTransform = (o) => o): Feedback {
  return ({ output }) => transform(output);
}

/**
 * Scheduled sampling (Bengio, Vinyals, Jaitly & Shazeer 2015): for every example at every
 * step, feed back the truth with probability eps and the (transformed) model output
 * otherwise. eps is a constant or a {@link Schedule} of the training iteration, decaying
 * from teacher forcing (eps = 1) towards free running (eps = 0) as training proceeds.
 * Draws one uniform number per example per step from `rng`.
 *
 * @example
 * ```ts
 * const feedback = scheduledSampling(inverseSigmoidDecay(200), new Rng(0), argmaxOneHot);
 * runWithFeedback(cell, xs, { targets: ys, feedback, iteration: i });
 * ```
 */
export function scheduledSampling(probabilityOfTruth: number | Schedule, rng: Rng, transform: OutputTransform = (o) => o): Feedback {
  return ({ output, target, t, iteration }) => {
    if (target === undefined) throw new ArgumentError('scheduledSampling', `no target for step ${t}: pass targets to runWithFeedback`);
    const eps = typeof probabilityOfTruth === 'number' ? probabilityOfTruth : probabilityOfTruth(iteration);
    if (!(eps >= 0 && eps <= 1)) throw new ArgumentError('scheduledSampling', `the probability of feeding the truth must be in [0, 1], got ${eps}`);
    const batch = output.shape[0] as number;
    const useTruth = allocate(output.dtype, batch);
    for (let b = 0; b < batch; b++) useTruth[b] = rng.uniform() < eps ? 1 : 0;
    return where(new Tensor(useTruth, [batch, 1]), target, transform(output));
  };
}

/** Bengio et al.'s linear decay eps_i = max(minimum, start - slope * i). @example `linearDecay(1, 1e-3, 0.1)` */
export function linearDecay(start: number, slope: number, minimum = 0): Schedule {
  return (i) => Math.max(minimum, start - slope * i);
}

/** Bengio et al.'s exponential decay eps_i = k^i with 0 < k < 1. @example `exponentialDecay(0.999)` */
export function exponentialDecay(k: number): Schedule {
  if (!(k > 0 && k < 1)) throw new ArgumentError('exponentialDecay', `k must be in (0, 1), got ${k}`);
  return (i) => k ** i;
}

/** Bengio et al.'s inverse sigmoid decay eps_i = k / (k + exp(i / k)) with k >= 1. @example `inverseSigmoidDecay(100)` */
export function inverseSigmoidDecay(k: number): Schedule {
  if (!(k >= 1)) throw new ArgumentError('inverseSigmoidDecay', `k must be >= 1, got ${k}`);
  return (i) => k / (k + Math.exp(i / k));
}

/**
 * One-hot of each row's largest entry, [B, C] -> [B, C]: greedy decoding of logits. A
 * constant (no gradient flows back through a discrete choice).
 *
 * @example
 * ```ts
 * argmaxOneHot(tensor([[0.1, 2, -1]])).toArray(); // [[0, 1, 0]]
 * ```
 */
export function argmaxOneHot(output: Tensor): Tensor {
  const [rows, cols] = rowsAndColumns('argmaxOneHot', output);
  const out = allocate(output.dtype, rows * cols);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if ((output.data[r * cols + c] as number) > (output.data[r * cols + best] as number)) best = c;
    out[r * cols + best] = 1;
  }
  return new Tensor(out, [rows, cols]);
}

/**
 * A transform drawing, for every row of logits o, a class from softmax(o / temperature)
 * and returning its one-hot [B, C] (ancestral sampling). A constant, like {@link argmaxOneHot}.
 *
 * @example
 * ```ts
 * runWithFeedback(cell, xs, { feedback: freeRunning(sampleOneHot(new Rng(0), 0.8)) });
 * ```
 */
export function sampleOneHot(rng: Rng, temperature = 1): OutputTransform {
  if (!(temperature > 0)) throw new ArgumentError('sampleOneHot', `temperature must be positive, got ${temperature}`);
  return (output) => {
    const [rows, cols] = rowsAndColumns('sampleOneHot', output);
    const probabilities = exp(logSoftmax(scale(output.detach(), 1 / temperature))).data;
    const out = allocate(output.dtype, rows * cols);
    for (let r = 0; r < rows; r++) {
      const u = rng.uniform();
      // Walk the cumulative distribution; the last class absorbs rounding so a draw always lands.
      let c = 0;
      let acc = probabilities[r * cols] as number;
      while (acc <= u && c < cols - 1) {
        c++;
        acc += probabilities[r * cols + c] as number;
      }
      out[r * cols + c] = 1;
    }
    return new Tensor(out, [rows, cols]);
  };
}

function rowsAndColumns(op: string, t: Tensor): [number, number] {
  if (t.rank !== 2) throw new ArgumentError(op, `expects [batch, classes], got [${t.shape.join(',')}]`);
  return [t.shape[0] as number, t.shape[1] as number];
}
