export {
  reversalTask, additionTask, datesTask, createSeq2SeqTask, splitOf, SEQ2SEQ_TASKS, SEQ2SEQ_TASK_DEFAULTS,
  type Seq2SeqPair, type Seq2SeqTask, type Seq2SeqTaskName, type Seq2SeqTaskOptions, type Seq2SeqSplit,
} from './tasks.js';
export { Seq2SeqVocabulary, parsePairs } from './pairs.js';
export {
  Seq2SeqTrainer, SEQ2SEQ_TRAINING_DEFAULTS, SEQ2SEQ_FORMAT, translate, evaluatePairs, scoreOutputs, seq2seqModelFile, loadSeq2SeqModel,
  type Seq2SeqTrainingConfig, type Seq2SeqFeedbackMode, type Seq2SeqPairSampler, type TranslateOptions, type Translation,
  type Seq2SeqAccuracy, type Seq2SeqEvaluation, type LoadedSeq2Seq,
} from './trainer.js';
