import { wasmKernels } from './wasm-module.js';

// Weights kept in WebAssembly memory across kernel calls. A training step changes every
// weight, so the kernels copy (and pack) them once per call, which a whole sequence
// amortises. Generation is the opposite case: thousands of one-step calls with weights that
// do not change, where copying W_hh (4 MiB for an LSTM of 512) would cost more than the
// product itself. Inside withResidentWeights, kernels keep their wasm copy of each weight
// array (raw, or packed for the gemm) and reuse it on every call; leaving the scope frees them.

let depth = 0;
// Weight array -> variant ('raw', 'packedT', ...) -> [address, floats].
let cache = new Map<object, Map<string, [number, number]>>();

/**
 * Runs `fn` with weights resident in WebAssembly memory: a kernel that copies a weight array
 * into wasm memory does so once, the first time, and reuses the copy for the rest of the
 * scope. The weights (every typed array passed to a kernel as a weight) must not change
 * inside the scope. Scopes nest; the copies are freed when the outermost one ends.
 *
 * @example
 * ```ts
 * import { withResidentWeights } from 'unfold';
 * const text = withResidentWeights(() => generate(model, prime, 1000, {}, rng));
 * ```
 */
export function withResidentWeights<T>(fn: () => T): T {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    if (depth === 0) {
      const w = wasmKernels();
      for (const variants of cache.values()) for (const [at] of variants.values()) w?.free(at);
      cache = new Map();
    }
  }
}

/** Whether a {@link withResidentWeights} scope is active. @example `if (residentScope()) ...` */
export function residentScope(): boolean {
  return depth > 0;
}

/**
 * The wasm address of the resident copy of `array` in form `variant` (`floats` floats,
 * written by `fill(address)` the first time), or null outside a {@link withResidentWeights}
 * scope, where the caller copies into its scratch instead.
 *
 * @example
 * ```ts
 * const at = residentCopy(args.weightHh, 'packedT', e.packedBBytes(H, G) / 4, (at) => pack(at));
 * ```
 */
export function residentCopy(array: object, variant: string, floats: number, fill: (at: number) => void): number | null {
  if (depth === 0) return null;
  const w = wasmKernels();
  if (w === undefined) return null;
  let variants = cache.get(array);
  if (variants === undefined) {
    variants = new Map();
    cache.set(array, variants);
  }
  const have = variants.get(variant);
  if (have !== undefined && have[1] === floats) return have[0];
  // Another size under the same key (the array was reused for other shapes): replace it.
  if (have !== undefined) {
    w.free(have[0]);
    variants.delete(variant);
  }
  const at = w.alloc(floats * 4);
  // Registered only once filled: a fill that throws must not leave a block of garbage cached.
  try {
    fill(at);
  } catch (error) {
    w.free(at);
    throw error;
  }
  variants.set(variant, [at, floats]);
  return at;
}

const arrayIds = new WeakMap<object, number>();
let nextArrayId = 0;

/**
 * A number that names `array` for as long as it lives, for a resident copy's variant when the
 * copy is kept under another array (a packing of two weight arrays, kept under one of them,
 * names the other in its variant).
 *
 * @example
 * ```ts
 * residentCopy(weightHh, `fold:${arrayId(weightIh)}`, floats, fill);
 * ```
 */
export function arrayId(array: object): number {
  let id = arrayIds.get(array);
  if (id === undefined) arrayIds.set(array, (id = nextArrayId++));
  return id;
}
