import { Module } from '../nn/index.js';
import { add, concat, matmul, tanh } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import { checkStepInput, type BaseCellConfig, type Cell, type CellState, type StepResult } from './cell.js';
import { isFeedbackCell, type FeedbackCell } from './output-feedback-cell.js';
import { uniformParameter } from './params.js';

/** How a {@link ContextConditionedCell} uses its context vector. */
export interface ContextOptions {
  /** C: features of the fixed context vector of each example. */
  readonly contextSize: number;
  /** Initialise the inner state from the context, s0 = tanh(W_c x + b_c) (default true). */
  readonly initialFromContext?: boolean;
  /** Append the context to the input of every step (default true). */
  readonly contextAtEveryStep?: boolean;
  /** The inner state entries (each [B, n]) the context initialises (default ['h']; e.g. ['h', 'c'] for an LSTM). */
  readonly initialKeys?: readonly string[];
}

/** The defaults of {@link ContextOptions}, in one place. */
export const CONTEXT_DEFAULTS = { initialFromContext: true, contextAtEveryStep: true, initialKeys: ['h'] } as const;

/**
 * Config of a registered context-conditioned cell: the options above plus the inner cell,
 * given by the registry as a kind and that kind's own options (default a plain RNN). The
 * inner cell is built with inputSize + contextSize inputs when the context is appended.
 */
export interface ContextCellConfig<Inner = { readonly kind: string }> extends BaseCellConfig, ContextOptions {
  readonly inner?: Inner;
}

/** The state of a {@link ContextConditionedCell}: the inner cell's state plus the context x [B, C] it carries. */
export type ContextState<S extends CellState> = S & { readonly context: Tensor };

/** The learned map from the context to one inner state entry. */
export interface ContextProjection {
  /** W_c: [n, contextSize], n the width of the state entry */
  readonly weight: Tensor;
  /** b_c: [n] */
  readonly bias: Tensor;
}

/**
 * Conditions any recurrent cell on a fixed vector x per example (the chapter's section
 * 10.2.4, Figure 10.9), in either or both of the two ways the book describes:
 *
 *     initial state:  s_k(0) = tanh(W_k x + b_k)     for each chosen state entry k
 *     every step:     inner.step([x(t); x], s(t-1))  (the context joins every input)
 *
 * Appending x to the input is the book's "extra input at every step": for a cell whose
 * input enters linearly, U [x(t); x] = U_x x(t) + R x with R the last C columns of U, so
 * the R x term of Figure 10.9 is learned as part of the inner cell's input weights.
 *
 * The context travels in the state (key `context`), so `scan`, masking and truncated BPTT
 * need nothing new: start from `initialStateFor(x)`. `initialState(B)` uses a zero context.
 * Around an {@link OutputFeedbackCell} with hidden recurrence this is the conditional RNN
 * of Figure 10.10, which also feeds back y(t-1): drive it with `runWithFeedback`.
 *
 * @example
 * ```ts
 * const inner = new GRUCell({ inputSize: 3 + 5, hiddenSize: 16 }, rng);   // x(t) has 3 features, the context 5
 * const cell = new ContextConditionedCell(inner, { contextSize: 5 }, rng);
 * const { outputs } = scan(cell, xs, { initialState: cell.initialStateFor(context) }); // context [B, 5]
 * ```
 */
export class ContextConditionedCell<S extends CellState = CellState> extends Module implements FeedbackCell<ContextState<S>> {
  readonly kind = 'context';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly contextSize: number;
  readonly dtype: DType;
  readonly initialFromContext: boolean;
  readonly contextAtEveryStep: boolean;
  /** The conditioned cell. */
  readonly inner: Cell<S>;
  /** W_k [n_k, contextSize] and b_k [n_k] for each state entry k the context initialises (empty without initialFromContext). */
  readonly initial: { readonly [key: string]: ContextProjection };

  constructor(inner: Cell<S>, options: ContextOptions, rng: Rng) {
    super();
    const c = options.contextSize;
    if (!Number.isInteger(c) || c <= 0) throw new ArgumentError('context cell', `contextSize must be a positive integer, got ${c}`);
    this.initialFromContext = options.initialFromContext ?? CONTEXT_DEFAULTS.initialFromContext;
    this.contextAtEveryStep = options.contextAtEveryStep ?? CONTEXT_DEFAULTS.contextAtEveryStep;
    if (!this.initialFromContext && !this.contextAtEveryStep) {
      throw new ArgumentError('context cell', 'initialFromContext and contextAtEveryStep are both false: the context would be ignored');
    }
    this.inputSize = inner.inputSize - (this.contextAtEveryStep ? c : 0);
    if (this.inputSize < 1) {
      throw new ArgumentError('context cell', `the inner cell takes ${inner.inputSize} inputs, which leaves none for x(t) beside a context of ${c}`);
    }
    this.inner = inner;
    this.outputSize = inner.outputSize;
    this.contextSize = c;
    this.dtype = inner.dtype;
    const probe = inner.initialState(1);
    if ('context' in probe) throw new ArgumentError('context cell', `the inner ${inner.kind} cell's state already has an entry named 'context'`);
    const initial: Record<string, ContextProjection> = {};
    if (this.initialFromContext) {
      for (const key of options.initialKeys ?? CONTEXT_DEFAULTS.initialKeys) {
        const entry = probe[key];
        if (!(entry instanceof Tensor) || entry.rank !== 2) {
          throw new ArgumentError('context cell', `initialKeys: the inner ${inner.kind} cell's state has no [batch, n] tensor '${key}' (it has ${Object.keys(probe).join(', ')})`);
        }
        const n = entry.shape[1] as number;
        const k = 1 / Math.sqrt(c);
        initial[key] = { weight: uniformParameter([n, c], k, rng, this.dtype), bias: uniformParameter([n], k, rng, this.dtype) };
      }
    }
    this.initial = initial;
  }

  /** Features fed back by the inner cell (0 when it feeds nothing back). */
  get feedbackSize(): number {
    return isFeedbackCell(this.inner) ? this.inner.feedbackSize : 0;
  }

  /** The state before the first step for a batch of contexts x [B, contextSize]. */
  initialStateFor(context: Tensor): ContextState<S> {
    if (context.rank !== 2 || context.shape[1] !== this.contextSize || context.dtype !== this.dtype) {
      throw new ArgumentError('context cell', `the context must be ${this.dtype} [batch, ${this.contextSize}], got ${context.dtype} [${context.shape.join(',')}]`);
    }
    const state: Record<string, unknown> = { ...this.inner.initialState(context.shape[0] as number) };
    for (const [key, { weight, bias }] of Object.entries(this.initial)) state[key] = tanh(add(matmul(context, weight, { transB: true }), bias));
    state['context'] = context;
    return state as ContextState<S>;
  }

  initialState(batch: number): ContextState<S> {
    return this.initialStateFor(zeros([batch, this.contextSize], { dtype: this.dtype }));
  }

  step(x: Tensor, state: ContextState<S>): StepResult<ContextState<S>> {
    checkStepInput(this, x);
    const { context, inner } = split(state);
    const input = this.contextAtEveryStep ? concat([x, context], 1) : x;
    const r = this.inner.step(input, inner);
    return { output: r.output, state: { ...r.state, context } };
  }

  withFeedback(state: ContextState<S>, fed: Tensor): ContextState<S> {
    if (!isFeedbackCell(this.inner)) {
      throw new ArgumentError('context cell', `the inner ${this.inner.kind} cell feeds nothing back; wrap an output-feedback cell to feed back y(t-1)`);
    }
    const { context, inner } = split(state);
    return { ...this.inner.withFeedback(inner, fed), context };
  }

  /** Own parameters and the inner cell's, also when the inner cell is not a Module. */
  override parameters(): Tensor[] {
    const own = super.parameters();
    return [...own, ...this.inner.parameters().filter((p) => !own.includes(p))];
  }
}

function split<S extends CellState>(state: ContextState<S>): { context: Tensor; inner: S } {
  const { context, ...inner } = state;
  return { context, inner: inner as unknown as S };
}
