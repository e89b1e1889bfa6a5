import { setFlagsFromString } from 'node:v8';
import { RELAXED_SIMD_PROBE } from '../kernels/wasm-probes.js';

// Imported FIRST by a test file that must run the relaxed SIMD build of the kernels (its FMA
// gemm) on Node 20, where relaxed SIMD sits behind --experimental-wasm-relaxed-simd. Module
// evaluation follows import order, so the flag is set before kernels/wasm-module.ts probes
// the engine. Node >= 22 has relaxed SIMD on and no longer knows the flag: set only if needed.

const wasm = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
const needsFlag = wasm !== undefined && !wasm.validate(RELAXED_SIMD_PROBE);
if (needsFlag) setFlagsFromString('--experimental-wasm-relaxed-simd');

/** The Node flags a child process needs for relaxed SIMD: the flag on Node 20, none where it is on. */
export const relaxedSimdNodeFlags: readonly string[] = needsFlag ? ['--experimental-wasm-relaxed-simd'] : [];
