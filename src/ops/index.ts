export type {
  OpName, OpSignatures, OpDef, OpTable, OpContext, ReduceAttrs, SequenceAttrs, SequenceOpInputs, LstmSequenceOpInputs, FusedOpName, MemoryOpName,
  NtmSequenceOpInputs, NtmSequenceAttrs, TreeOpName, NaryTreeLstmOpInputs, NaryTreeLstmAttrs, ChildSumTreeLstmAttrs,
} from './op-def.js';
export { OPS } from './table.js';
export { apply } from './apply.js';
export {
  add, sub, mul, div, neg, exp, log, tanh, sigmoid, relu, softplus, abs, pow, sqrt, clamp, scale,
  sum, mean, max, reshape, transpose, broadcastTo, slice, concat, unsqueeze, squeeze, stack, chunk, unstack,
  gather, where, matmul, type MatmulOptions, type TensorLike,
} from './functional.js';
export {
  logSumExp, logSoftmax, softmax, crossEntropy, mse, binaryCrossEntropy, binaryCrossEntropyWithLogits,
  cosineSimilarity, outer, roll, circularConvolution, type CrossEntropyOptions, type Reduction,
} from './composites.js';
export {
  rnnSequence, lstmSequence, gruSequence, type SequenceParams, type SequenceOpOptions, type SequenceOpResult,
} from './fused-functional.js';
export { ntmAddressing, ntmWrite, ntmSequence, type NtmSequenceParams } from './memory-functional.js';
export {
  naryTreeLstm, naryTreeLstmFold, childSumTreeLstm, childSumTreeLstmFold, treeRnnFold, type NaryTreeLstmParams, type ChildSumTreeLstmParams, type TreeRnnParams, type FoldLevelSchedule,
  type SlottedFoldLevelSchedule,
} from './tree-functional.js';
