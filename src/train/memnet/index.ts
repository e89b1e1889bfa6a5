export { parseBabi, formatBabi, generateBabi, tokenizeBabi, BabiFormatError, type QAExample, type BabiTask } from './babi.js';
export {
  trainMemNet, encodeQA, evaluateQA, inspectAttention, QAVocabulary, MEMNET_TRAINING_DEFAULTS,
  type MemNetTrainingConfig, type MemNetProgress, type MemNetResult, type QABatch, type QAData, type MemNetAttention,
} from './trainer.js';
