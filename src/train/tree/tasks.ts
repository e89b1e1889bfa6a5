import { ArgumentError, type Rng } from '../../tensor/index.js';
import type { NodeLabel } from '../../tree/parse.js';
import { reduceTree, type Tree } from '../../tree/tree.js';

/** The synthetic tree tasks. */
export type SyntheticTreeTask = 'arithmetic' | 'boolean';

/** What a synthetic task needs to build a classifier and draw data. */
export interface SyntheticTreeTaskSpec {
  /** One line for help texts. */
  readonly summary: string;
  /** Every word a tree of the task can hold. */
  readonly vocabulary: readonly string[];
  /** Every label, in class order. */
  readonly classes: readonly string[];
  /** A random tree of exactly this height, labelled at every node. */
  generate(rng: Rng, height: number): Tree<NodeLabel>;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const ARITHMETIC_OPS = ['+', '-', '*'];
const BOOLEAN_OPS = ['and', 'or', 'xor', 'not'];

/** A node to be made: its height and where it goes (index into `slots` of its parent). */
interface Pending {
  readonly height: number;
  readonly into: Tree<string>[];
}

/**
 * A random tree shape of exactly `height` with words at every node, built top-down with an
 * explicit stack: an internal node gets an operator from `ops` (its arity from `arityOf`);
 * one child (at a random position) has height - 1, the others a uniform height in
 * 0..height-1, so the tree is exactly that high and neither a chain nor full.
 */
function randomShape(rng: Rng, height: number, leaves: readonly string[], ops: readonly string[], arityOf: (op: string) => number): Tree<string> {
  if (!Number.isInteger(height) || height < 0) throw new ArgumentError('tree task', `height must be a non-negative integer, got ${height}`);
  const root: Tree<string>[] = [];
  const stack: Pending[] = [{ height, into: root }];
  while (stack.length > 0) {
    const { height: h, into } = stack.pop() as Pending;
    if (h === 0) {
      into.push({ value: leaves[rng.int(leaves.length)] as string, children: [] });
      continue;
    }
    const op = ops[rng.int(ops.length)] as string;
    const arity = arityOf(op);
    const children: Tree<string>[] = [];
    into.push({ value: op, children });
    const tallest = rng.int(arity);
    const heights = Array.from({ length: arity }, (_, k) => (k === tallest ? h - 1 : rng.int(h)));
    // Pushed last-first so children are filled left to right.
    for (let k = arity - 1; k >= 0; k--) stack.push({ height: heights[k] as number, into: children });
  }
  return root[0] as Tree<string>;
}

/** Labels every node of a word tree with `evaluate`, bottom-up (iteratively). */
function label(shape: Tree<string>, evaluate: (word: string, children: readonly number[]) => number): Tree<NodeLabel> {
  return reduceTree<string, { tree: Tree<NodeLabel>; value: number }>(shape, (word, kids) => {
    const value = evaluate(word, kids.map((k) => k.value));
    return { tree: { value: { label: String(value), word }, children: kids.map((k) => k.tree) }, value };
  }).tree;
}

/**
 * Arithmetic expression trees: digits 0-9 at the leaves, `+`, `-`, `*` at internal nodes,
 * and at EVERY node the label (its value modulo 10), e.g. `(1 * (3 3) (7 + (9 9) (8 8)))`:
 *
 *     label(digit) = digit,   label(a op b) = (label(a) op label(b)) mod 10 in 0..9
 *
 * (mod 10 of the exact value equals the operation on the children's residues, so the labels
 * are exact at any depth). A model must learn the 3 x 10 x 10 composition table and apply it
 * at every level, so accuracy on trees deeper than any seen in training measures whether it
 * learned the composition rather than memorised shapes.
 *
 * @example
 * ```ts
 * const t = arithmeticTree(new Rng(0), 3);
 * treeHeight(t); // 3
 * formatTree(t); // e.g. '(4 - (7 * (9 9) (3 3)) (3 ...))'
 * ```
 */
export function arithmeticTree(rng: Rng, height: number): Tree<NodeLabel> {
  const shape = randomShape(rng, height, DIGITS, ARITHMETIC_OPS, () => 2);
  return label(shape, (word, [a = 0, b = 0]) => {
    switch (word) {
      case '+': return (a + b) % 10;
      case '-': return (((a - b) % 10) + 10) % 10;
      case '*': return (a * b) % 10;
      default: return Number(word);
    }
  });
}

/**
 * Boolean formula trees: `T` and `F` at the leaves; `and`, `or`, `xor` (binary) and `not`
 * (unary: a node with one child, which binary cells read with an empty second slot) at
 * internal nodes; the label of every node is its truth value, `1` or `0`.
 *
 * @example
 * ```ts
 * formatTree(booleanTree(new Rng(1), 2)); // e.g. '(1 or (0 not (1 T)) (1 T))'
 * ```
 */
export function booleanTree(rng: Rng, height: number): Tree<NodeLabel> {
  const shape = randomShape(rng, height, ['T', 'F'], BOOLEAN_OPS, (op) => (op === 'not' ? 1 : 2));
  return label(shape, (word, [a = 0, b = 0]) => {
    switch (word) {
      case 'and': return a & b;
      case 'or': return a | b;
      case 'xor': return a ^ b;
      case 'not': return 1 - a;
      default: return word === 'T' ? 1 : 0;
    }
  });
}

/**
 * The synthetic tasks, keyed by name: vocabulary, classes and a generator each.
 *
 * @example
 * ```ts
 * const { classes, generate } = TREE_TASKS.arithmetic;
 * classes.length; // 10
 * const t = generate(new Rng(0), 4);
 * ```
 */
export const TREE_TASKS: { readonly [K in SyntheticTreeTask]: SyntheticTreeTaskSpec } = {
  arithmetic: {
    summary: 'expressions over digits with + - *, every node labelled with its value mod 10',
    vocabulary: [...DIGITS, ...ARITHMETIC_OPS],
    classes: DIGITS,
    generate: arithmeticTree,
  },
  boolean: {
    summary: 'formulas over T/F with and, or, xor, not, every node labelled with its truth value',
    vocabulary: ['T', 'F', ...BOOLEAN_OPS],
    classes: ['0', '1'],
    generate: booleanTree,
  },
};

/**
 * `count` trees of a task with heights drawn uniformly from minHeight..maxHeight.
 *
 * @example
 * ```ts
 * const test = sampleTrees(TREE_TASKS.arithmetic, new Rng(7), 500, 6, 8); // held-out, deeper
 * ```
 */
export function sampleTrees(task: SyntheticTreeTaskSpec, rng: Rng, count: number, minHeight: number, maxHeight: number): Tree<NodeLabel>[] {
  if (!Number.isInteger(minHeight) || !Number.isInteger(maxHeight) || minHeight < 0 || maxHeight < minHeight) {
    throw new ArgumentError('sampleTrees', `need integer heights 0 <= min <= max, got ${minHeight}..${maxHeight}`);
  }
  return Array.from({ length: count }, () => task.generate(rng, minHeight + rng.int(maxHeight - minHeight + 1)));
}
