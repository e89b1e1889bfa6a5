export { scan, checkSequence, lengthMasks, type ScanOptions, type ScanResult } from './scan.js';
export { bidirectional, concatMerge, sumMerge, type MergeFunction, type BidirectionalOptions, type BidirectionalResult } from './bidirectional.js';
export { Recurrent, type RecurrentConfig, type AnyRecurrentConfig, type RecurrentForwardOptions, type RecurrentResult } from './recurrent.js';
export { lastStep, meanOverTime, maxOverTime } from './pooling.js';
export { StreamingRunner } from './streaming.js';
export { gradientNormsThroughTime, stepJacobian, spectralRadius, largestSingularValue, jacobianSpectrum, type GradientNorms, type JacobianSpectrum } from './diagnostics.js';
export { truncatedBptt, type TbpttOptions, type TbpttResult, type TbpttWindow } from './tbptt.js';
export {
  loadTorchStateDict, toTorchStateDict, loadTorchCellWeights, toTorchCellWeights, torchNamedParameters, torchCellNamedParameters,
  type TorchTensorData, type TorchStateDict, type TorchStateDictJson,
} from './torch-weights.js';
export {
  runWithFeedback, teacherForcing, freeRunning, scheduledSampling, linearDecay, exponentialDecay, inverseSigmoidDecay, argmaxOneHot, sampleOneHot,
  type Feedback, type FeedbackContext, type FeedbackOptions, type FeedbackResult, type OutputTransform, type Schedule,
} from './teacher-forcing.js';
export { explicitBptt, type ElmanSoftmaxParameters, type ElmanSoftmaxGradients, type ExplicitBpttResult } from './explicit-bptt.js';
