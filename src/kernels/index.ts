export { gemm, gemmBackend, setGemmBackend, gemmReady, type GemmBackend, type GemmBackendSetting } from './gemm.js';
export { qr, cholesky, choleskySolve, solveSpd, type QrResult } from './linalg.js';
