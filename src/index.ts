// The public surface of unfold: every exported name is listed here explicitly.
// Browser-safe: file-system helpers live in 'unfold/node' (src/node.ts).

export {
  UnfoldError, ShapeError, DTypeError, ArgumentError, formatShape,
  Rng, type RngState,
  type Shape, sizeOf, sameShape, broadcastShapes,
  Tensor, type DType, type TypedArray, type GradFn,
  tensor, full, zeros, ones, zerosLike, randn, rand, arange, type CreateOptions,
} from './tensor/index.js';

export {
  gemm, gemmBackend, setGemmBackend, gemmReady, type GemmBackend, type GemmBackendSetting, sequenceKernelPath,
  setKernelThreads, kernelThreads, kernelThreadsReady, type KernelThreadsSetting, withResidentWeights,
  setWasmRelaxedSimd, wasmKernelVariant, wasmRelaxedSimdSupported, type WasmKernelVariant,
  RecurrentStepper, LinearStepper, type StepperCell, type StepperWeights,
  qr, cholesky, choleskySolve, solveSpd, type QrResult,
} from './kernels/index.js';

export {
  isGradEnabled, noGrad, enableGrad, backward, gradcheck,
  type BackwardOptions, type GradcheckOptions, type GradcheckResult,
} from './autograd/index.js';

export {
  type OpName, type OpSignatures, type OpDef, type OpTable, type OpContext, type ReduceAttrs, OPS,
  add, sub, mul, div, neg, exp, log, tanh, sigmoid, relu, softplus, abs, pow, sqrt, clamp, scale,
  sum, mean, max, reshape, transpose, broadcastTo, slice, concat, unsqueeze, squeeze, stack, chunk, unstack,
  gather, where, matmul, type MatmulOptions, type TensorLike,
  logSumExp, logSoftmax, softmax, crossEntropy, mse, binaryCrossEntropy, binaryCrossEntropyWithLogits,
  cosineSimilarity, outer, roll, circularConvolution, type CrossEntropyOptions, type Reduction,
  rnnSequence, lstmSequence, gruSequence, type SequenceParams, type SequenceOpOptions, type SequenceOpResult,
  ntmAddressing, ntmWrite, ntmSequence, type NtmSequenceParams, type NtmSequenceAttrs, naryTreeLstm, type NaryTreeLstmParams, childSumTreeLstm, type ChildSumTreeLstmParams,
  naryTreeLstmFold, childSumTreeLstmFold, treeRnnFold, type TreeRnnParams, type FoldLevelSchedule, type SlottedFoldLevelSchedule,
} from './ops/index.js';

export {
  Module, parameter, Linear, LINEAR_DEFAULTS, type LinearConfig, Embedding, EMBEDDING_DEFAULTS, type EmbeddingConfig,
  Dropout, DROPOUT_DEFAULTS, type DropoutConfig, init, type Fans, type KaimingOptions,
} from './nn/index.js';

export {
  Optimizer, paramList, type OptimizerState, type ParamState, type ParamSource, type Hyperparameters, type Slot,
  SGD, SGD_DEFAULTS, type SGDConfig, Adam, AdamW, ADAM_DEFAULTS, ADAMW_DEFAULTS, type AdamConfig,
  RMSprop, RMSPROP_DEFAULTS, type RMSpropConfig, Adagrad, ADAGRAD_DEFAULTS, type AdagradConfig,
  clipGradNorm, clipGradValue, hasNonFinite,
} from './optim/index.js';

export {
  type Cell, type CellState, type StateValue, type StepResult, type BaseCellConfig, type StepKernel, type SequenceRunOptions, type SequenceRunResult,
  mapState, detachState, selectState, stateTensors,
  RNNCell, type RNNCellConfig, type RNNState, LSTMCell, type LSTMCellConfig, type LSTMState, GRUCell, type GRUCellConfig, type GRUState,
  LeakyCell, LEAKY_DEFAULTS, type LeakyCellConfig, type LeakyState, SkipCell, SKIP_DEFAULTS, type SkipCellConfig, type SkipState,
  ClockworkCell, CLOCKWORK_DEFAULTS, type ClockworkCellConfig, type ClockworkState,
  OutputFeedbackCell, OUTPUT_FEEDBACK_DEFAULTS, isFeedbackCell, type FeedbackCell, type OutputFeedbackCellConfig, type OutputFeedbackState,
  DeepTransitionCell, DEEP_TRANSITION_DEFAULTS, type DeepTransitionCellConfig, type DeepTransitionState, type TransitionLayer,
  ContextConditionedCell, CONTEXT_DEFAULTS, type ContextCellConfig, type ContextOptions, type ContextState, type ContextProjection,
  CELLS, CELL_KINDS, STANDALONE_CELL_KINDS, createCell, type CellConfigs, type CellKind, type CellSpec, type ContextInner,
} from './cells/index.js';

export {
  scan, lengthMasks, type ScanOptions, type ScanResult,
  bidirectional, concatMerge, sumMerge, type MergeFunction, type BidirectionalOptions, type BidirectionalResult,
  Recurrent, type RecurrentConfig, type AnyRecurrentConfig, type RecurrentForwardOptions, type RecurrentResult,
  lastStep, meanOverTime, maxOverTime, StreamingRunner,
  gradientNormsThroughTime, stepJacobian, spectralRadius, largestSingularValue, jacobianSpectrum, type GradientNorms, type JacobianSpectrum,
  truncatedBptt, type TbpttOptions, type TbpttResult, type TbpttWindow,
  loadTorchStateDict, toTorchStateDict, loadTorchCellWeights, toTorchCellWeights, torchNamedParameters, torchCellNamedParameters,
  type TorchTensorData, type TorchStateDict, type TorchStateDictJson,
  runWithFeedback, teacherForcing, freeRunning, scheduledSampling, linearDecay, exponentialDecay, inverseSigmoidDecay, argmaxOneHot, sampleOneHot,
  type Feedback, type FeedbackContext, type FeedbackOptions, type FeedbackResult, type OutputTransform, type Schedule,
  explicitBptt, type ElmanSoftmaxParameters, type ElmanSoftmaxGradients, type ExplicitBpttResult,
} from './sequence/index.js';

export {
  LanguageModel, LANGUAGE_MODEL_DEFAULTS, type LanguageModelConfig, type LanguageModelState,
  sampleLogits, checkSamplingOptions, type SamplingOptions, generate,
} from './models/index.js';

export { ModelFileError, MAX_HEADER_BYTES, encodeModelFile, decodeModelFile, type ModelFileContents, loadParameters, parameterTensors } from './io/index.js';

export {
  addingBatch, type AddingBatch, copyMemoryBatch, copyMemoryBaseline, COPY_MEMORY_SYMBOLS, COPY_MEMORY_COPIED, type CopyMemoryBatch,
  trainDependencyTask, TASK_DEFAULTS, type DependencyTask, type DependencyTaskConfig, type TaskProgress, type TaskResult,
  TextError, Vocabulary, decodeUtf8, firstInvalidUtf8,
  LMTrainer, LM_TRAINING_DEFAULTS, OPTIMIZERS, DivergenceError, evaluateBpc, loadLanguageModel, readModelMetadata,
  type LMTrainingConfig, type OptimizerName, type CurvePoint,
} from './train/index.js';

export {
  tree, preOrder, postOrder, treeSize, treeHeight, leafValues, reduceTree, mapTree, withValues, type Tree,
  parseTrees, parseTree, formatTree, TreeParseError, type NodeLabel,
  balancedTree, leftBranchingTree, rightBranchingTree, type JoinValue,
  type TreeCell, type TreeState, type BaseTreeCellConfig,
  RecursiveCell, type RecursiveCellConfig, type RecursiveState, RNTNCell, type RNTNCellConfig, type RNTNState,
  ChildSumTreeLSTMCell, NaryTreeLSTMCell, type ChildSumTreeLSTMCellConfig, type NaryTreeLSTMCellConfig, type TreeLSTMState,
  TREE_CELLS, TREE_CELL_KINDS, createTreeCell, type TreeCellConfigs, type TreeCellKind, type TreeCellOptions, type TreeCellSpec,
  planFold, foldTree, foldTreeNodewise, type FoldPlan, type FoldLevel, type FoldInputs, type FoldInputSource, type FoldTableInputs, type FoldResult, type FoldOptions,
  treeToSvg, type SvgNodeStyle, type TreeSvgOptions,
} from './tree/index.js';

export {
  type CsrMatrix, csrMatVec, randomSparse, csrFromDense, csrToDense, csrScale, checkCsr,
  type Eigenvalues, hessenbergEigenvalues, denseEigenvalues, denseSpectralRadius, maxModulus,
  type LinearOperator, type SpectralRadiusOptions, type SpectralRadiusEstimate, sparseSpectralRadius,
  ACTIVATIONS, WEIGHT_DISTRIBUTIONS, RESERVOIR_DEFAULTS, Reservoir, resolveReservoirConfig,
  type ActivationName, type WeightDistribution, type ReservoirConfig, type ResolvedReservoirConfig, type ReservoirWeights, type ReservoirRunOptions,
  RidgeAccumulator, ridgeRegression, applyReadout, RlsReadout, normalEquationsSolver, householderQrSolver,
  type LinearReadout, type RlsOptions, type ReadoutSolver,
  EchoStateNetwork, ESN_DEFAULTS, applyReadoutRows,
  type EsnConfig, type EsnFitOptions, type EsnOnlineFitOptions, type EsnFitReport, type EsnPredictOptions, type EsnGenerateOptions,
  DeepEsn, type DeepEsnConfig, EsnClassifier, POOLINGS, type PoolingName, type EsnClassifierConfig,
  effectiveSpectralRadius, memoryCapacity, type MemoryCapacityOptions, type MemoryCapacity,
} from './models/esn/index.js';

export {
  mackeyGlass, narma, sines, type MackeyGlassOptions, type NarmaSeries, type SineComponent,
  oneStepMackeyGlass, freeRunMackeyGlass, narma10, READOUT_SOLVERS,
  type EsnPlotSeries, type EsnProtocolRun, type EsnTrialProgress, type ReservoirSettings, type OneStepSettings, type OneStepResult,
  type FreeRunSettings, type FreeRunResult, type NarmaSettings, type NarmaResult,
  esnToModelFile, esnFromModelFile, ESN_FILE_FORMAT,
} from './train/esn/index.js';

export {
  AdditiveAttention, DotAttention, GeneralAttention, ATTENTIONS, ATTENTION_KINDS, createAttention, sourceMask, Seq2Seq, SEQ2SEQ_DEFAULTS,
  SEQ2SEQ_TOKENS, FIRST_SYMBOL_ID, CONTEXT_MODES, sequenceLoss, padSequences, greedyDecode, sampleDecode, beamSearch, lengthPenalty, singleSource,
  type Attention, type AttentionConfig, type AttentionKind, type AttentionMemory, type AttentionResult, type AttentionSpec, type Seq2SeqConfig,
  type ContextMode, type EncodedSource, type DecoderState, type DecoderStep, type TokenBatch, type Seq2SeqForwardOptions, type Seq2SeqForwardResult,
  type PadOptions, type DecodeOptions, type BeamSearchOptions, type Hypothesis,
} from './models/seq2seq/index.js';

export {
  reversalTask, additionTask, datesTask, createSeq2SeqTask, splitOf, SEQ2SEQ_TASKS, SEQ2SEQ_TASK_DEFAULTS, Seq2SeqVocabulary, parsePairs,
  Seq2SeqTrainer, SEQ2SEQ_TRAINING_DEFAULTS, SEQ2SEQ_FORMAT, translate, evaluatePairs, scoreOutputs, seq2seqModelFile, loadSeq2SeqModel,
  type Seq2SeqPair, type Seq2SeqTask, type Seq2SeqTaskName, type Seq2SeqTaskOptions, type Seq2SeqSplit, type Seq2SeqTrainingConfig,
  type Seq2SeqFeedbackMode, type Seq2SeqPairSampler, type TranslateOptions, type Translation, type Seq2SeqAccuracy, type Seq2SeqEvaluation, type LoadedSeq2Seq,
} from './train/seq2seq/index.js';

export {
  TreeClassifier, TREE_CLASSIFIER_DEFAULTS, NO_WORD, UNKNOWN_WORD,
  type TreeClassifierConfig, type AnyTreeClassifierConfig, type TreeClassifierOutput,
} from './models/tree/index.js';

export {
  arithmeticTree, booleanTree, sampleTrees, TREE_TASKS, type SyntheticTreeTask, type SyntheticTreeTaskSpec,
  fitTreeClassifier, evaluateTreeClassifier, heightRange, trainTreeTask, trainTreeData, treeClassifierFile, treeClassifierFromFile,
  TREE_FIT_DEFAULTS, TREE_TASK_DEFAULTS,
  type TreeFitConfig, type TreeFitProgress, type TreeFitResult, type TreeEvaluation, type TreeTaskConfig, type TreeDataConfig,
  type TreeTaskResult, type TreeTaskRun,
} from './train/tree/index.js';

export {
  NTMCell, FeedForwardController, NTM_DEFAULTS,
  type NTMConfig, type ResolvedNTMConfig, type NTMControllerKind, type NTMMemoryInit, type NTMState, type NTMMemoryState,
  type NTMControllerStates, type FeedForwardState,
  contentWeighting, interpolate, shiftWeighting, sharpen, addressComposed, readMemory, writeComposed,
  traceNtm, type NTMTrace,
} from './models/ntm/index.js';

export {
  MemN2N, MEMN2N_DEFAULTS, positionWeights, encodeSentences,
  type MemN2NConfig, type MemN2NInput, type MemN2NForwardOptions, type MemN2NResult, type WeightTying,
} from './models/memnet/index.js';

export {
  algorithmicBatch, TASK_SHAPES, COPY_BITS, REPEAT_MAX, RECALL_BITS, RECALL_ITEM_VECTORS, type AlgorithmicBatch, type AlgorithmicTask,
  NTMTrainer, NTM_TRAINING_DEFAULTS, NTM_TASK_DEFAULTS, NTMSequenceModel, LSTMSequenceModel, createAlgorithmicModel, maskedBitLoss, evaluateAlgorithmic,
  loadAlgorithmicModel, trainAlgorithmicTask, trainingRange,
  type NTMTrainingConfig, type AlgorithmicModelKind, type NTMOptimizerName, type AlgorithmicMetrics, type NTMCurvePoint, type AlgorithmicModel,
  type NTMProgress, type NTMTrainingResult,
} from './train/ntm/index.js';

export {
  parseBabi, formatBabi, generateBabi, tokenizeBabi, BabiFormatError, type QAExample, type BabiTask,
  trainMemNet, encodeQA, evaluateQA, inspectAttention, QAVocabulary, MEMNET_TRAINING_DEFAULTS,
  type MemNetTrainingConfig, type MemNetProgress, type MemNetResult, type QABatch, type QAData, type MemNetAttention,
} from './train/memnet/index.js';
