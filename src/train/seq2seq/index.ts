export {
  reversalTask, additionTask, datesTask, createTask, splitOf, SEQ2SEQ_TASKS, TASK_OPTION_DEFAULTS,
  type Pair, type Seq2SeqTask, type Seq2SeqTaskName, type TaskOptions, type Split,
} from './tasks.js';
export { Seq2SeqVocabulary, parsePairs } from './pairs.js';
export {
  Seq2SeqTrainer, SEQ2SEQ_TRAINING_DEFAULTS, SEQ2SEQ_FORMAT, translate, evaluatePairs, scoreOutputs, seq2seqModelFile, loadSeq2SeqModel,
  type Seq2SeqTrainingConfig, type FeedbackMode, type PairSampler, type TranslateOptions, type Translation,
  type AccuracyFigures, type Seq2SeqEvaluation, type LoadedSeq2Seq,
} from './trainer.js';
