export {
  TreeClassifier, TREE_CLASSIFIER_DEFAULTS, NO_WORD, UNKNOWN_WORD,
  type TreeClassifierConfig, type AnyTreeClassifierConfig, type TreeClassifierOutput,
} from './tree-classifier.js';
