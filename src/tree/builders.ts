import { ArgumentError } from '../tensor/index.js';
import { tree, type Tree } from './tree.js';

/**
 * The value of an internal node made by a builder from its two children (e.g. a constant
 * `{ label: '', word: null }`, or something computed from the children's values).
 */
export type JoinValue<T> = (left: Tree<T>, right: Tree<T>) => T;

function checkItems(where: string, items: readonly unknown[]): void {
  if (items.length === 0) throw new ArgumentError(where, 'needs at least one item');
}

/**
 * A balanced binary tree over a sequence x_1..x_r (leaves in order): adjacent nodes are
 * paired level by level (an odd one out moves up unpaired), so the height is
 * ceil(log2 r): the chapter's point that a recursive network reaches every input in
 * O(log r) compositions, where a chain (an RNN) needs r - 1.
 *
 * @example
 * ```ts
 * const t = balancedTree(['a', 'b', 'c', 'd', 'e'], () => '*');
 * treeHeight(t); // 3 = ceil(log2 5)
 * leafValues(t); // ['a', 'b', 'c', 'd', 'e']
 * ```
 */
export function balancedTree<T>(items: readonly T[], join: JoinValue<T>): Tree<T> {
  checkItems('balancedTree', items);
  let layer: Tree<T>[] = items.map((x) => tree(x));
  while (layer.length > 1) {
    const next: Tree<T>[] = [];
    for (let i = 0; i + 1 < layer.length; i += 2) {
      const left = layer[i] as Tree<T>;
      const right = layer[i + 1] as Tree<T>;
      next.push(tree(join(left, right), [left, right]));
    }
    if (layer.length % 2 === 1) next.push(layer[layer.length - 1] as Tree<T>);
    layer = next;
  }
  return layer[0] as Tree<T>;
}

/**
 * The left-branching chain (((x_1 x_2) x_3) ... x_r): height r - 1, the shape of an RNN
 * reading left to right. Built iteratively, so r = 100,001 (height 100,000) is fine.
 *
 * @example
 * ```ts
 * treeHeight(leftBranchingTree(['a', 'b', 'c', 'd'], () => '*')); // 3
 * ```
 */
export function leftBranchingTree<T>(items: readonly T[], join: JoinValue<T>): Tree<T> {
  checkItems('leftBranchingTree', items);
  let acc: Tree<T> = tree(items[0] as T);
  for (let i = 1; i < items.length; i++) {
    const right = tree(items[i] as T);
    acc = tree(join(acc, right), [acc, right]);
  }
  return acc;
}

/**
 * The right-branching chain (x_1 (x_2 (... (x_{r-1} x_r)))): height r - 1, the shape of an
 * RNN reading right to left (and of most English constituency parses' spines).
 *
 * @example
 * ```ts
 * treeHeight(rightBranchingTree(['a', 'b', 'c'], () => '*')); // 2
 * ```
 */
export function rightBranchingTree<T>(items: readonly T[], join: JoinValue<T>): Tree<T> {
  checkItems('rightBranchingTree', items);
  let acc: Tree<T> = tree(items[items.length - 1] as T);
  for (let i = items.length - 2; i >= 0; i--) {
    const left = tree(items[i] as T);
    acc = tree(join(left, acc), [left, acc]);
  }
  return acc;
}
