export { UnfoldError, ShapeError, DTypeError, ArgumentError, formatShape } from './errors.js';
export { Rng, type RngState } from './rng.js';
export { type Shape, sizeOf, stridesOf, sameShape, broadcastShapes, normaliseAxis, checkShape } from './shape.js';
export { Tensor, allocate, type DType, type TypedArray, type GradFn } from './tensor.js';
export { tensor, full, zeros, ones, zerosLike, randn, rand, arange, type CreateOptions } from './create.js';
