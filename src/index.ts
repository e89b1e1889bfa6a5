// The public surface of unfold: every exported name is listed here explicitly.

export {
  UnfoldError, ShapeError, DTypeError, ArgumentError, formatShape,
  Rng, type RngState,
  type Shape, sizeOf, sameShape, broadcastShapes,
  Tensor, type DType, type TypedArray, type GradFn,
  tensor, full, zeros, ones, zerosLike, randn, rand, arange, type CreateOptions,
} from './tensor/index.js';

export { gemm } from './kernels/index.js';

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
} from './ops/index.js';
