// Echo state networks (reservoir computing): reservoirs with sparse recurrent weights,
// closed-form and online readouts, deep and classifier variants, observables.
export { type CsrMatrix, csrMatVec, randomSparse, csrFromDense, csrToDense, csrScale, checkCsr } from './sparse.js';
export { type Eigenvalues, hessenbergEigenvalues, denseEigenvalues, denseSpectralRadius, maxModulus } from './eigen.js';
export { type LinearOperator, type SpectralRadiusOptions, type SpectralRadiusEstimate, sparseSpectralRadius } from './spectral-radius.js';
export {
  ACTIVATIONS, WEIGHT_DISTRIBUTIONS, RESERVOIR_DEFAULTS, Reservoir, resolveReservoirConfig, checkSeries, asFloat64,
  type ActivationName, type WeightDistribution, type ReservoirConfig, type ResolvedReservoirConfig, type ReservoirWeights, type ReservoirRunOptions,
} from './reservoir.js';
export {
  RidgeAccumulator, ridgeRegression, applyReadout, RlsReadout, normalEquationsSolver, householderQrSolver,
  type LinearReadout, type RlsOptions, type ReadoutSolver,
} from './readout.js';
export {
  EchoStateNetwork, ESN_DEFAULTS, applyReadoutRows,
  type EsnConfig, type EsnFitOptions, type EsnOnlineFitOptions, type EsnFitReport, type EsnPredictOptions, type EsnGenerateOptions,
} from './esn.js';
export { DeepEsn, type DeepEsnConfig } from './deep-esn.js';
export { EsnClassifier, POOLINGS, type PoolingName, type EsnClassifierConfig } from './classifier.js';
export { effectiveSpectralRadius, memoryCapacity, type MemoryCapacityOptions, type MemoryCapacity } from './observables.js';
