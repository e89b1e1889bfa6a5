export { gemm } from './gemm.js';
export { qr, cholesky, choleskySolve, solveSpd, type QrResult } from './linalg.js';
