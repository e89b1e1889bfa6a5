export { addingBatch, type AddingBatch } from './tasks/adding.js';
export { copyMemoryBatch, copyMemoryBaseline, COPY_MEMORY_SYMBOLS, COPY_MEMORY_COPIED, type CopyMemoryBatch } from './tasks/copy-memory.js';
export {
  trainDependencyTask, TASK_DEFAULTS, type DependencyTask, type DependencyTaskConfig, type TaskProgress, type TaskResult,
} from './tasks/train-task.js';
