export { arithmeticTree, booleanTree, sampleTrees, TREE_TASKS, type SyntheticTreeTask, type SyntheticTreeTaskSpec } from './tasks.js';
export {
  fitTreeClassifier, evaluateTreeClassifier, heightRange, trainTreeTask, trainTreeData, treeClassifierFile, treeClassifierFromFile,
  TREE_FIT_DEFAULTS, TREE_TASK_DEFAULTS,
  type TreeFitConfig, type TreeFitProgress, type TreeFitResult, type TreeEvaluation, type TreeTaskConfig, type TreeDataConfig,
  type TreeTaskResult, type TreeTaskRun,
} from './trainer.js';
