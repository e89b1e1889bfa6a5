export { tree, preOrder, postOrder, treeSize, treeHeight, leafValues, reduceTree, mapTree, withValues, type Tree } from './tree.js';
export { parseTrees, parseTree, formatTree, TreeParseError, type NodeLabel } from './parse.js';
export { balancedTree, leftBranchingTree, rightBranchingTree, type JoinValue } from './builders.js';
export {
  type TreeCell, type TreeState, type BaseTreeCellConfig, checkTreeCellConfig, checkArity, checkComposeInput, affine, repeatRows,
} from './tree-cell.js';
export { RecursiveCell, type RecursiveCellConfig, type RecursiveState } from './recursive-cell.js';
export { RNTNCell, type RNTNCellConfig, type RNTNState } from './rntn-cell.js';
export {
  ChildSumTreeLSTMCell, NaryTreeLSTMCell, type ChildSumTreeLSTMCellConfig, type NaryTreeLSTMCellConfig, type TreeLSTMState,
} from './tree-lstm-cells.js';
export {
  TREE_CELLS, TREE_CELL_KINDS, createTreeCell, type TreeCellConfigs, type TreeCellKind, type TreeCellOptions, type TreeCellSpec,
} from './registry.js';
export {
  planFold, foldTree, foldTreeNodewise, preOrderRowsOf, type FoldPlan, type FoldLevel, type FoldInputs, type FoldInputSource, type FoldTableInputs, type FoldResult, type FoldOptions,
} from './fold.js';
export { treeToSvg, type SvgNodeStyle, type TreeSvgOptions } from './svg.js';
