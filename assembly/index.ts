// The one WebAssembly module of unfold's kernels: the gemm (gemm.ts) and the element-wise
// parts of the fused recurrent steps (rnn.ts) and tree levels (tree.ts) in one instance, so a time loop calls both on
// buffers in the same memory. Compiled by scripts/build-wasm.mjs twice: with a plain imported
// memory, and with a shared one for worker threads.
export * from './gemm';
export * from './rnn';
export * from './tree';
