import { setFlagsFromString } from 'node:v8';

// Imported FIRST by a test file that must run the relaxed SIMD build of the kernels (its FMA
// gemm) on Node 20, where relaxed SIMD sits behind --experimental-wasm-relaxed-simd. Module
// evaluation follows import order, so the flag is set before kernels/wasm-module.ts probes
// the engine. Node >= 22 has relaxed SIMD on and no longer knows the flag: set only if needed.

/** The command-line flag that turns relaxed SIMD on in Node 20 (empty where it is already on). */
export const relaxedSimdNodeFlags: readonly string[] = [];

// (module (func (param v128) (result v128) local.get 0 local.get 0 local.get 0 f32x4.relaxed_madd))
const PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 0, 32, 0, 253, 133, 2, 11]);
const wasm = (globalThis as { WebAssembly?: { validate(bytes: Uint8Array): boolean } }).WebAssembly;
if (wasm !== undefined && !wasm.validate(PROBE)) {
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  (relaxedSimdNodeFlags as string[]).push('--experimental-wasm-relaxed-simd');
}
