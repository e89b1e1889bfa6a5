export { gemm, gemmBackend, setGemmBackend, gemmReady, type GemmBackend, type GemmBackendSetting } from './gemm.js';
export { sequenceKernelPath } from './sequence-wasm.js';
export { setKernelThreads, kernelThreads, kernelThreadsReady, type KernelThreadsSetting } from './threads.js';
export { withResidentWeights } from './resident.js';
export { RecurrentStepper, LinearStepper, type StepperCell, type StepperWeights } from './stepper.js';
export { qr, cholesky, choleskySolve, solveSpd, type QrResult } from './linalg.js';
export { binaryKernel, mapKernel, zipKernel, zip3Kernel, type BinaryKind } from './elementwise.js';
export { reduceRunsKernel, reduceIndexedKernel } from './reduce.js';
export { broadcastIndex } from './broadcast.js';
