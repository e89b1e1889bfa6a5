import type { Rng } from '../tensor/index.js';
import { RecursiveCell, type RecursiveCellConfig } from './recursive-cell.js';
import { RNTNCell, type RNTNCellConfig } from './rntn-cell.js';
import type { TreeCell } from './tree-cell.js';
import { ChildSumTreeLSTMCell, NaryTreeLSTMCell, type ChildSumTreeLSTMCellConfig, type NaryTreeLSTMCellConfig } from './tree-lstm-cells.js';

/** The config type of each registered tree-cell kind. */
export interface TreeCellConfigs {
  rnn: RecursiveCellConfig;
  rntn: RNTNCellConfig;
  'child-sum-lstm': ChildSumTreeLSTMCellConfig;
  'nary-lstm': NaryTreeLSTMCellConfig;
}

/** A registered tree-cell kind. */
export type TreeCellKind = keyof TreeCellConfigs;

/** The kind-specific options of a tree cell: its config without the shared sizes and dtype. */
export type TreeCellOptions<K extends TreeCellKind> = Omit<TreeCellConfigs[K], 'inputSize' | 'hiddenSize' | 'dtype'>;

/** What the registry knows of one tree-cell kind. */
export interface TreeCellSpec<K extends TreeCellKind> {
  /** One line for `--help` and docs. */
  readonly summary: string;
  /** Builds a cell from its (serialisable) config and a seeded Rng. */
  create(config: TreeCellConfigs[K], rng: Rng): TreeCell;
  /**
   * Small configs that exercise every option of the kind, for the generic gradient check,
   * the batched-equals-one-at-a-time check and the leaf-step check: adding a cell here puts
   * it under all of them.
   */
  readonly testConfigs: readonly TreeCellOptions<K>[];
}

/**
 * Every tree-cell kind unfold knows, keyed by kind: the one table that drives the generic
 * tree-cell tests, model files (kind + config rebuild the cell), the CLI's `--cell` choices
 * and the tree benchmark, as `CELLS` does for sequence cells.
 *
 * @example
 * ```ts
 * const cell = createTreeCell('child-sum-lstm', { inputSize: 8, hiddenSize: 32 }, new Rng(0));
 * TREE_CELL_KINDS; // ['rnn', 'rntn', 'child-sum-lstm', 'nary-lstm']
 * ```
 */
export const TREE_CELLS: { readonly [K in TreeCellKind]: TreeCellSpec<K> } = {
  rnn: {
    summary: 'recursive network: h = tanh(W [h_1; ...; h_N] + U x + b) (N = 2 by default)',
    create: (config, rng) => new RecursiveCell(config, rng),
    testConfigs: [{}, { arity: 3 }, { bias: false }],
  },
  rntn: {
    summary: 'recursive neural tensor network: h = tanh(c^T V c + W c + U x + b), c = [h_left; h_right]',
    create: (config, rng) => new RNTNCell(config, rng),
    testConfigs: [{}, { bias: false }],
  },
  'child-sum-lstm': {
    summary: 'Child-Sum Tree-LSTM: any number of unordered children, a forget gate per child',
    create: (config, rng) => new ChildSumTreeLSTMCell(config, rng),
    testConfigs: [{}, { bias: false }],
  },
  'nary-lstm': {
    summary: 'N-ary Tree-LSTM: N ordered child slots with their own weights (binary by default)',
    create: (config, rng) => new NaryTreeLSTMCell(config, rng),
    testConfigs: [{}, { arity: 3, forgetBias: 1 }, { bias: false }],
  },
};

/** The registered tree-cell kinds, in table order. */
export const TREE_CELL_KINDS = Object.keys(TREE_CELLS) as TreeCellKind[];

/**
 * Builds a registered tree cell by kind.
 *
 * @example
 * ```ts
 * const cell = createTreeCell('rntn', { inputSize: 4, hiddenSize: 8, dtype: 'float64' }, new Rng(1));
 * cell.arity; // 2
 * ```
 */
export function createTreeCell<K extends TreeCellKind>(kind: K, config: TreeCellConfigs[K], rng: Rng): TreeCell {
  return TREE_CELLS[kind].create(config, rng);
}
