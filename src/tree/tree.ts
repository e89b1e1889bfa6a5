import { ArgumentError } from '../tensor/index.js';

/**
 * A rooted, ordered tree: a value at every node and the children left to right. A leaf has
 * no children. Trees are plain immutable data (JSON-able when `T` is), so a parser, a task
 * generator and a model can all share them.
 *
 * Every function in unfold that walks a tree does so with an explicit stack or queue,
 * never by recursion: a 100,000-deep chain (a left-branching parse of a long sentence)
 * would overflow the JavaScript call stack at a few thousand levels.
 *
 * @example
 * ```ts
 * import { tree, treeHeight } from 'unfold';
 * const t = tree('+', [tree('3'), tree('4')]);
 * treeHeight(t); // 1
 * ```
 */
export interface Tree<T> {
  readonly value: T;
  readonly children: readonly Tree<T>[];
}

/**
 * Makes a tree node from a value and its children (none: a leaf).
 *
 * @example
 * ```ts
 * const leaf = tree(7);                      // { value: 7, children: [] }
 * const sum = tree('+', [tree(3), tree(4)]);
 * ```
 */
export function tree<T>(value: T, children: readonly Tree<T>[] = []): Tree<T> {
  return { value, children };
}

/**
 * The nodes in pre-order (a node before its children, children left to right): the
 * canonical node order of a tree in unfold, e.g. for per-node predictions.
 *
 * @example
 * ```ts
 * preOrder(tree('+', [tree(3), tree(4)])).map((n) => n.value); // ['+', 3, 4]
 * ```
 */
export function preOrder<T>(root: Tree<T>): Tree<T>[] {
  const out: Tree<T>[] = [];
  const stack: Tree<T>[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Tree<T>;
    out.push(node);
    // Pushed right to left so the leftmost child is popped (visited) first.
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i] as Tree<T>);
  }
  return out;
}

/**
 * The nodes in post-order (children left to right, then the node): the order a bottom-up
 * computation must follow.
 *
 * @example
 * ```ts
 * postOrder(tree('+', [tree(3), tree(4)])).map((n) => n.value); // [3, 4, '+']
 * ```
 */
export function postOrder<T>(root: Tree<T>): Tree<T>[] {
  // Reversed pre-order of the mirror image is post-order.
  const out: Tree<T>[] = [];
  const stack: Tree<T>[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Tree<T>;
    out.push(node);
    for (const child of node.children) stack.push(child);
  }
  return out.reverse();
}

/**
 * Number of nodes.
 *
 * @example
 * ```ts
 * treeSize(tree('+', [tree(3), tree(4)])); // 3
 * ```
 */
export function treeSize<T>(root: Tree<T>): number {
  let n = 0;
  const stack: Tree<T>[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Tree<T>;
    n++;
    for (const child of node.children) stack.push(child);
  }
  return n;
}

/**
 * The height: edges on the longest path from the root down to a leaf (a leaf has height
 * 0). This is the "depth" of an expression tree in unfold's tasks and reports, and the
 * number of sequential composition steps a fold needs after the leaves.
 *
 *     height(leaf) = 0,   height(node) = 1 + max over children of height(child)
 *
 * @example
 * ```ts
 * treeHeight(tree('*', [tree('+', [tree(1), tree(2)]), tree(3)])); // 2
 * ```
 */
export function treeHeight<T>(root: Tree<T>): number {
  let max = 0;
  const stack: [Tree<T>, number][] = [[root, 0]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [Tree<T>, number];
    if (depth > max) max = depth;
    for (const child of node.children) stack.push([child, depth + 1]);
  }
  return max;
}

/**
 * The values at the leaves, left to right (the sentence of a parse tree).
 *
 * @example
 * ```ts
 * leafValues(tree('S', [tree('NP', [tree('it')]), tree('is')])); // ['it', 'is']
 * ```
 */
export function leafValues<T>(root: Tree<T>): T[] {
  return preOrder(root).filter((n) => n.children.length === 0).map((n) => n.value);
}

/**
 * Bottom-up evaluation of a tree with a plain function:
 *
 *     r(node) = f(node.value, [r(child_1), ..., r(child_k)], node)
 *
 * computed in post-order with an explicit stack, so it is safe on any depth. It is the
 * non-neural twin of `foldTree` (exact labels for the synthetic tasks are computed this way).
 *
 * @example
 * ```ts
 * const t = tree<string>('+', [tree('3'), tree('*', [tree('2'), tree('4')])]);
 * reduceTree(t, (v, kids: number[]) => v === '+' ? kids[0]! + kids[1]! : v === '*' ? kids[0]! * kids[1]! : Number(v)); // 11
 * ```
 */
export function reduceTree<T, R>(root: Tree<T>, f: (value: T, children: R[], node: Tree<T>) => R): R {
  const results = new Map<Tree<T>, R>();
  for (const node of postOrder(root)) {
    const kids = node.children.map((c) => results.get(c) as R);
    results.set(node, f(node.value, kids, node));
  }
  return results.get(root) as R;
}

/**
 * A tree of the same shape with every value transformed: `f(value, node)`.
 *
 * @example
 * ```ts
 * mapTree(tree('3', [tree('4')]), Number); // tree(3, [tree(4)])
 * ```
 */
export function mapTree<T, U>(root: Tree<T>, f: (value: T, node: Tree<T>) => U): Tree<U> {
  return reduceTree<T, Tree<U>>(root, (value, children, node) => ({ value: f(value, node), children }));
}

/**
 * Replaces the values of a tree, in pre-order, with `values` (one per node): how per-node
 * predictions from a model (which come in pre-order) are put back on their tree.
 *
 * @example
 * ```ts
 * withValues(tree('+', [tree('3'), tree('4')]), [7, 3, 4]); // tree(7, [tree(3), tree(4)])
 * ```
 */
export function withValues<T, U>(root: Tree<T>, values: readonly U[]): Tree<U> {
  const nodes = preOrder(root);
  if (values.length !== nodes.length) {
    throw new ArgumentError('withValues', `the tree has ${nodes.length} nodes but ${values.length} values were given`);
  }
  const index = new Map<Tree<T>, number>();
  nodes.forEach((n, i) => index.set(n, i));
  return mapTree(root, (_, node) => values[index.get(node) as number] as U);
}
