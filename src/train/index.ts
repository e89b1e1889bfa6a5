export { addingBatch, type AddingBatch } from './tasks/adding.js';
export { copyMemoryBatch, copyMemoryBaseline, COPY_MEMORY_SYMBOLS, COPY_MEMORY_COPIED, type CopyMemoryBatch } from './tasks/copy-memory.js';
export {
  trainDependencyTask, TASK_DEFAULTS, type DependencyTask, type DependencyTaskConfig, type TaskProgress, type TaskResult,
} from './tasks/train-task.js';
export { TextError, Vocabulary, decodeUtf8, firstInvalidUtf8 } from './text.js';
export {
  LMTrainer, LM_TRAINING_DEFAULTS, OPTIMIZERS, DivergenceError, evaluateBpc, loadLanguageModel, readModelMetadata,
  type LMTrainingConfig, type OptimizerName, type CurvePoint,
} from './lm-trainer.js';
