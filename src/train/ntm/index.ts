export {
  algorithmicBatch, TASK_SHAPES, COPY_BITS, REPEAT_MAX, RECALL_BITS, RECALL_ITEM_VECTORS, type AlgorithmicBatch, type AlgorithmicTask,
} from './tasks.js';
export {
  NTMTrainer, NTM_TRAINING_DEFAULTS, NTM_TASK_DEFAULTS, NTMSequenceModel, LSTMSequenceModel, createAlgorithmicModel, maskedBitLoss, evaluateAlgorithmic,
  loadAlgorithmicModel, trainAlgorithmicTask, trainingRange,
  type NTMTrainingConfig, type AlgorithmicModelKind, type NTMOptimizerName, type AlgorithmicMetrics, type NTMCurvePoint, type AlgorithmicModel,
  type NTMProgress, type NTMTrainingResult,
} from './trainer.js';
