import { Embedding, Linear, Module } from '../../nn/index.js';
import { crossEntropy, gather } from '../../ops/index.js';
import { ArgumentError, Rng, Tensor, type DType } from '../../tensor/index.js';
import { foldTree, planFold, type FoldOptions, type FoldPlan } from '../../tree/fold.js';
import type { NodeLabel } from '../../tree/parse.js';
import { TREE_CELLS, type TreeCellKind, type TreeCellOptions } from '../../tree/registry.js';
import type { TreeCell } from '../../tree/tree-cell.js';
import type { Tree } from '../../tree/tree.js';

/** Config of a {@link TreeClassifier}. Serialisable: it is what a model file stores. */
export interface TreeClassifierConfig<K extends TreeCellKind = TreeCellKind> {
  /** The registered tree-cell kind. */
  readonly cell: K;
  /** Extra options of that kind (e.g. `{ arity: 3 }`). */
  readonly cellOptions?: TreeCellOptions<K>;
  /** The words the embedding knows (besides the two reserved rows, see {@link TreeClassifier}). */
  readonly vocabulary: readonly string[];
  /** The class labels, in logit order. */
  readonly classes: readonly string[];
  /** Size of a word vector: the cell's inputSize. */
  readonly embeddingSize: number;
  /** Size of a node's state. */
  readonly hiddenSize: number;
  /** Parameter dtype (default float32). */
  readonly dtype?: DType;
}

/** A {@link TreeClassifierConfig} of any one kind, so `cellOptions` is checked against that kind. */
export type AnyTreeClassifierConfig = { [K in TreeCellKind]: TreeClassifierConfig<K> }[TreeCellKind];

/** The defaults of {@link TreeClassifierConfig}, in one place. */
export const TREE_CLASSIFIER_DEFAULTS = { dtype: 'float32' } as const satisfies Partial<TreeClassifierConfig>;

/** Embedding row of a node without a word (an SST phrase node). */
export const NO_WORD = 0;
/** Embedding row of a word not in the vocabulary. */
export const UNKNOWN_WORD = 1;

/** What {@link TreeClassifier.forward} returns. */
export interface TreeClassifierOutput {
  /** The fold's schedule: node order of `nodeLogits`, roots, pre-order rows. */
  readonly plan: FoldPlan<NodeLabel>;
  /** Class scores of every node, in plan order: [nodes, classes]. */
  readonly nodeLogits: Tensor;
  /** Class scores of each tree's root, in batch order: [trees, classes]. */
  readonly rootLogits: Tensor;
}

/**
 * A recursive network that labels trees: node-level and root-level classification, as in the
 * Stanford Sentiment Treebank (a label at every phrase) or the synthetic expression tasks
 * (the value of every sub-expression).
 *
 *     x(node)  = E[word(node)]                       (row 0 for no word, 1 for unknown)
 *     h(node)  = cell.compose(x(node), children)     (foldTree over the batch, by level)
 *     y(node)  = softmax(W_o h(node) + b_o)          one head for every node
 *
 * The node-level classifier is y at every node (loss: cross-entropy averaged over all
 * nodes); the root-level classifier is y at the root only (averaged over trees). Parameters:
 * `embedding.weight` [V + 2, embeddingSize], `cell.*` (the tree cell's own), `head.weight`
 * [classes, hiddenSize], `head.bias` [classes].
 *
 * For many small inference calls (one tree at a time), run them inside `noGrad` and
 * `withResidentWeights`: the N-ary Tree-LSTM's fold then packs its weights once for the scope
 * instead of once per call (1.4-1.7x at batch 1, docs/decisions/0005); evaluateTreeClassifier
 * does so.
 *
 * @example
 * ```ts
 * const model = new TreeClassifier({ cell: 'nary-lstm', vocabulary: ['1', '2', '+'], classes: ['0', '1', '2', '3'],
 *   embeddingSize: 16, hiddenSize: 32 }, new Rng(0));
 * const out = model.forward([parseTree('(3 + (1 1) (2 2))')]);
 * out.nodeLogits.shape; // [3, 4]
 * const loss = model.nodeLoss(out);
 * ```
 */
export class TreeClassifier extends Module {
  readonly config: AnyTreeClassifierConfig;
  readonly embedding: Embedding;
  readonly cell: TreeCell;
  readonly head: Linear;
  readonly #words: Map<string, number>;
  readonly #classes: Map<string, number>;

  constructor(config: AnyTreeClassifierConfig, rng: Rng) {
    super();
    if (config.classes.length < 2) throw new ArgumentError('TreeClassifier', `needs at least two classes, got ${config.classes.length}`);
    if (new Set(config.classes).size !== config.classes.length) throw new ArgumentError('TreeClassifier', 'classes must be distinct');
    const dtype = config.dtype ?? TREE_CLASSIFIER_DEFAULTS.dtype;
    this.config = config;
    this.#words = new Map(config.vocabulary.map((w, i) => [w, i + 2]));
    this.#classes = new Map(config.classes.map((c, i) => [c, i]));
    this.embedding = new Embedding({ numEmbeddings: config.vocabulary.length + 2, embeddingDim: config.embeddingSize, dtype, rng });
    // Word vectors start small, like the cell's weights, rather than Embedding's N(0, 1).
    for (let i = 0; i < this.embedding.weight.size; i++) this.embedding.weight.data[i] = rng.uniformRange(-0.1, 0.1);
    const cellConfig = { ...config.cellOptions, inputSize: config.embeddingSize, hiddenSize: config.hiddenSize, dtype };
    // The union of kinds loses the pairing of kind and options; AnyTreeClassifierConfig checked it.
    this.cell = TREE_CELLS[config.cell].create(cellConfig as never, rng);
    this.head = new Linear({ inFeatures: config.hiddenSize, outFeatures: config.classes.length, dtype, rng });
  }

  /** The embedding row of a node's word: {@link NO_WORD}, {@link UNKNOWN_WORD} or its vocabulary index + 2. */
  wordIndex(word: string | null): number {
    return word === null ? NO_WORD : (this.#words.get(word) ?? UNKNOWN_WORD);
  }

  /** The class index of a label, or -1 when the label is not one of the classes. */
  classIndex(label: string): number {
    return this.#classes.get(label) ?? -1;
  }

  /** The fold schedule of a batch for this model's cell (reusable across epochs). */
  plan(trees: readonly Tree<NodeLabel>[]): FoldPlan<NodeLabel> {
    return planFold(trees, this.cell.arity);
  }

  /**
   * Class scores for every node and every root of a batch of trees (see the class doc).
   * `fold` goes to {@link foldTree} (e.g. `{ byLevel: true }` for the level-by-level graph
   * instead of the cell's fused whole-fold kernel: the same numbers, slower).
   */
  forward(trees: readonly Tree<NodeLabel>[] | FoldPlan<NodeLabel>, fold: FoldOptions = {}): TreeClassifierOutput {
    // Every node's word as a row of the embedding, in plan order: the fold looks them up (in
    // one gather, or for a cell with foldRows by multiplying each distinct word vector by the
    // input weights once, see NaryTreeLSTMCell.foldRows).
    const planned = 'levels' in trees ? trees : this.plan(trees);
    const n = planned.nodes.length;
    const rows = new Int32Array(n);
    for (let i = 0; i < n; i++) rows[i] = this.wordIndex((planned.nodes[i] as Tree<NodeLabel>).value.word);
    const { plan, outputs } = foldTree(this.cell, planned, { table: this.embedding.weight, rows }, fold);
    const nodeLogits = this.head.forward(outputs);
    const rootLogits = gather(nodeLogits, new Tensor(plan.rootRows, [plan.trees.length]));
    return { plan, nodeLogits, rootLogits };
  }

  /** Class indices of every node's label in plan order [nodes] (-1 where the label is unknown). */
  nodeTargets(plan: FoldPlan<NodeLabel>): Tensor {
    return new Tensor(Float64Array.from(plan.nodes, (n) => this.classIndex(n.value.label)), [plan.nodes.length]);
  }

  /** Class indices of each root's label [trees] (-1 where the label is unknown). */
  rootTargets(plan: FoldPlan<NodeLabel>): Tensor {
    return new Tensor(Float64Array.from(plan.trees, (t) => this.classIndex(t.value.label)), [plan.trees.length]);
  }

  /** Node-level loss: mean cross-entropy over every node with a known label. */
  nodeLoss(output: TreeClassifierOutput): Tensor {
    return crossEntropy(output.nodeLogits, this.nodeTargets(output.plan), { ignoreIndex: -1 });
  }

  /** Root-level loss: mean cross-entropy over the trees' roots with a known label. */
  rootLoss(output: TreeClassifierOutput): Tensor {
    return crossEntropy(output.rootLogits, this.rootTargets(output.plan), { ignoreIndex: -1 });
  }

  /**
   * The predicted label of every node, per tree in pre-order (argmax of the node logits).
   *
   * @example
   * ```ts
   * const [labels] = model.predict(model.forward([t])); // labels[0] is the root's prediction
   * withValues(t, labels!); // the tree with predictions in place of its labels
   * ```
   */
  predict(output: TreeClassifierOutput): string[][] {
    const { plan, nodeLogits } = output;
    const classes = this.config.classes;
    const c = classes.length;
    const best = new Int32Array(plan.nodes.length);
    const d = nodeLogits.data;
    for (let r = 0; r < plan.nodes.length; r++) {
      let k = 0;
      for (let j = 1; j < c; j++) if ((d[r * c + j] as number) > (d[r * c + k] as number)) k = j;
      best[r] = k;
    }
    const out: string[][] = [];
    for (let b = 0; b < plan.trees.length; b++) {
      const labels: string[] = [];
      for (let g = plan.treeOffsets[b] as number; g < (plan.treeOffsets[b + 1] as number); g++) {
        labels.push(classes[best[plan.preOrderRows[g] as number] as number] as string);
      }
      out.push(labels);
    }
    return out;
  }
}
