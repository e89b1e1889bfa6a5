export { gemm } from './gemm.js';
