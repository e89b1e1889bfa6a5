// Tiny WebAssembly modules whose validation tells which proposals an engine implements,
// without compiling the real kernels. A module of its own (imports nothing), so a test can
// probe the engine before kernels/wasm-module.ts is evaluated.

/** (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): valid where SIMD is implemented. */
export const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/**
 * (module (func (param v128) (result v128) local.get 0 local.get 0 local.get 0
 * f32x4.relaxed_madd)): valid where relaxed SIMD is on (Node >= 22, Chrome >= 114; Node 20
 * behind --experimental-wasm-relaxed-simd).
 */
export const RELAXED_SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 0, 32, 0, 253, 133, 2, 11,
]);
