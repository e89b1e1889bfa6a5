import { ArgumentError, type Rng } from '../tensor/index.js';
import type { Cell } from './cell.js';
import { ClockworkCell, type ClockworkCellConfig } from './clockwork-cell.js';
import { CONTEXT_DEFAULTS, ContextConditionedCell, type ContextCellConfig } from './context-cell.js';
import { DeepTransitionCell, type DeepTransitionCellConfig } from './deep-transition-cell.js';
import { GRUCell, type GRUCellConfig } from './gru-cell.js';
import { LeakyCell, type LeakyCellConfig } from './leaky-cell.js';
import { LSTMCell, type LSTMCellConfig } from './lstm-cell.js';
import { OutputFeedbackCell, type OutputFeedbackCellConfig } from './output-feedback-cell.js';
import { RNNCell, type RNNCellConfig } from './rnn-cell.js';
import { SkipCell, type SkipCellConfig } from './skip-cell.js';

/** The config type of each registered cell kind. */
export interface CellConfigs {
  rnn: RNNCellConfig;
  lstm: LSTMCellConfig;
  gru: GRUCellConfig;
  leaky: LeakyCellConfig;
  skip: SkipCellConfig;
  clockwork: ClockworkCellConfig;
  'output-feedback': OutputFeedbackCellConfig;
  'deep-transition': DeepTransitionCellConfig;
  context: ContextCellConfig<ContextInner>;
}

/** A registered cell kind. */
export type CellKind = keyof CellConfigs;

type InnerOptions<K extends CellKind> = Omit<CellConfigs[K], 'inputSize' | 'hiddenSize' | 'dtype'>;

/**
 * The inner cell of a registered context cell: any other kind with that kind's own options,
 * which are required when the kind has a required option (output-feedback's outputSize).
 */
export type ContextInner = {
  [K in Exclude<CellKind, 'context'>]: { readonly kind: K } & (Partial<InnerOptions<K>> extends InnerOptions<K>
    ? { readonly options?: InnerOptions<K> }
    : { readonly options: InnerOptions<K> });
}[Exclude<CellKind, 'context'>];

/** What the registry knows of one cell kind. */
export interface CellSpec<K extends CellKind> {
  /** One line for `--help` and docs. */
  readonly summary: string;
  /** Builds a cell from its (serialisable) config and a seeded Rng. */
  create(config: CellConfigs[K], rng: Rng): Cell;
  /**
   * Small configs that exercise every option of the kind, for the generic gradient check,
   * scan equivalence and golden tests: adding a cell here puts it under all of them.
   */
  readonly testConfigs: readonly Omit<CellConfigs[K], 'inputSize' | 'hiddenSize' | 'dtype'>[];
  /**
   * True when the kind cannot be built from inputSize and hiddenSize alone (it needs an
   * outputSize, a context size...): such kinds are left out of the CLI's `--cell` choices.
   */
  readonly needsOptions?: boolean;
}

/**
 * Every cell kind unfold knows, keyed by kind. This one table drives the generic gradient
 * check, checkpoints (kind + config rebuild the cell), the CLI's `--cell` choices and
 * the benchmarks.
 *
 * @example
 * ```ts
 * const cell = createCell('gru', { inputSize: 4, hiddenSize: 8 }, new Rng(0));
 * ```
 */
export const CELLS: { readonly [K in CellKind]: CellSpec<K> } = {
  rnn: {
    summary: 'Elman RNN: h = tanh(W h + U x + b) (or relu)',
    create: (config, rng) => new RNNCell(config, rng),
    testConfigs: [{}, { nonlinearity: 'relu' }, { bias: false }],
  },
  lstm: {
    summary: 'LSTM with input, forget, output gates (optional peepholes and projection)',
    create: (config, rng) => new LSTMCell(config, rng),
    testConfigs: [{}, { peephole: true }, { projSize: 2 }, { peephole: true, projSize: 2 }, { bias: false, forgetBias: 0 }],
  },
  gru: {
    summary: 'GRU with reset and update gates (reset after the product, or before as in the book)',
    create: (config, rng) => new GRUCell(config, rng),
    testConfigs: [{}, { resetAfter: false }],
  },
  leaky: {
    summary: 'Leaky units: h = (1 - 1/tau) h + (1/tau) tanh(W h + U x + b), tau per unit fixed or learned',
    create: (config, rng) => new LeakyCell(config, rng),
    testConfigs: [{}, { timeConstants: 5, bias: false }, { learnTimeConstants: true, timeConstants: 3 }],
  },
  skip: {
    summary: 'Skip connection through time: h = tanh(W_1 h(t-1) + W_d h(t-d) + U x + b)',
    create: (config, rng) => new SkipCell(config, rng),
    testConfigs: [{}, { delay: 1 }, { delay: 3, bias: false }],
  },
  clockwork: {
    summary: 'Clockwork RNN: modules with periods 1, 2, 4...; slow modules feed fast ones only',
    create: (config, rng) => new ClockworkCell(config, rng),
    testConfigs: [{}, { periods: [1, 3] }, { modules: 3, bias: false }],
  },
  'output-feedback': {
    summary: 'Output-to-hidden recurrence: h = tanh(W y(t-1) + U x + b), o = V h + c; y fed back (teacher forcing or free running)',
    create: (config, rng) => new OutputFeedbackCell(config, rng),
    needsOptions: true,
    testConfigs: [{ outputSize: 2 }, { outputSize: 3, hiddenRecurrence: true }, { outputSize: 2, bias: false }],
  },
  'deep-transition': {
    summary: 'Deep transition: an MLP between h(t-1) and h(t), optionally with a skip h(t-1) -> h(t) (Figure 10.13 b, c)',
    create: (config, rng) => new DeepTransitionCell(config, rng),
    testConfigs: [{}, { transitionLayers: 2, transitionSize: 3, skip: true }, { skip: true, bias: false }],
  },
  context: {
    needsOptions: true,
    summary: 'Any cell conditioned on a fixed context vector: as its initial state, as an extra input at every step, or both',
    create: (config, rng) => {
      // Checked here too: a bad contextSize would otherwise surface as the inner cell's inputSize.
      if (!Number.isInteger(config.contextSize) || config.contextSize <= 0) {
        throw new ArgumentError('context cell', `contextSize must be a positive integer, got ${config.contextSize}`);
      }
      const inner = config.inner ?? { kind: 'rnn' };
      const every = config.contextAtEveryStep ?? CONTEXT_DEFAULTS.contextAtEveryStep;
      const innerConfig = {
        ...inner.options,
        inputSize: config.inputSize + (every ? config.contextSize : 0),
        hiddenSize: config.hiddenSize,
        ...(config.dtype === undefined ? {} : { dtype: config.dtype }),
      };
      // The union of kinds loses the pairing of kind and options; each pair was checked by ContextInner.
      return new ContextConditionedCell(createCell(inner.kind, innerConfig as never, rng), config, rng);
    },
    testConfigs: [
      { contextSize: 2 },
      { contextSize: 2, contextAtEveryStep: false },
      { contextSize: 3, initialFromContext: false, inner: { kind: 'gru' } },
      { contextSize: 2, inner: { kind: 'lstm', options: { projSize: 2 } }, initialKeys: ['h', 'c'] },
      { contextSize: 2, inner: { kind: 'output-feedback', options: { outputSize: 2, hiddenRecurrence: true } } },
    ],
  },
};

/** The registered kinds, in table order. */
export const CELL_KINDS = Object.keys(CELLS) as CellKind[];

/** The kinds buildable from inputSize and hiddenSize alone: the CLI's `--cell` choices. */
export const STANDALONE_CELL_KINDS = CELL_KINDS.filter((k) => CELLS[k].needsOptions !== true);

/** Builds a registered cell by kind. */
export function createCell<K extends CellKind>(kind: K, config: CellConfigs[K], rng: Rng): Cell {
  return CELLS[kind].create(config, rng);
}
