import { gemmWasmBase64 } from './wasm/gemm-wasm.generated.js';

// The WebAssembly SIMD backend: assembly/gemm.ts compiled by scripts/build-wasm.mjs and
// embedded as base64, so loading needs neither fetch nor fs. The module owns one linear
// memory laid out as
//
//     [kernel statics][packed A][packed B][A storage][B storage][C, compact m x n]
//
// and the JS side copies operands in and C out. The memory grows to the largest problem seen
// and never shrinks, so steady-state calls allocate nothing on either side.

// The globals this file needs, typed locally: the project compiles against ES2022 + Node
// types, which do not declare WebAssembly, and some engines lack it altogether.
interface WasmNamespace {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: object }>;
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface GemmExports {
  memory: WasmMemory;
  heapBase(): number;
  packABytes(): number;
  packBBytes(n: number): number;
  sgemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number,
    packA: number, packB: number,
  ): void;
}

const wasmApi = (globalThis as { WebAssembly?: WasmNamespace }).WebAssembly;

// (module (func (result v128) i32.const 0 i8x16.splat i8x16.popcnt)): validates only where
// the SIMD proposal is implemented, without compiling the real kernel.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

/** True when this engine implements WebAssembly SIMD (checked once, by validating a probe). */
export const wasmSimdSupported: boolean = (() => {
  try {
    return wasmApi !== undefined && wasmApi.validate(SIMD_PROBE);
  } catch {
    return false;
  }
})();

let kernel: GemmExports | undefined;
// Constant for the module's lifetime; cached to save two calls into wasm per gemm.
let packAAt = 0;
let packBAt = 0;
let pending: Promise<boolean> | undefined;
let heap = new Float32Array(0);
// Cached view of C's region for the output copy: one `set` call per gemm, no new view per
// call while the problem size repeats (as it does inside a training loop).
let cView = new Float32Array(0);
let cViewStart = -1;

/**
 * Instantiates the wasm kernel if it is not ready yet, synchronously when the engine allows.
 * Returns false while it is unavailable (no SIMD, or a browser main thread that only compiles
 * small modules asynchronously: the async compile is then started and the JS backend serves
 * calls until it finishes).
 */
export function wasmGemmReady(): boolean {
  if (kernel !== undefined) return true;
  if (!wasmSimdSupported || wasmApi === undefined || pending !== undefined) return false;
  const bytes = decodeBase64(gemmWasmBase64);
  try {
    adopt(new wasmApi.Instance(new wasmApi.Module(bytes), {}).exports);
    return true;
  } catch {
    pending = wasmApi.compile(bytes)
      .then((module) => wasmApi.instantiate(module, {}))
      .then((instance) => { adopt(instance.exports); return true; }, () => false);
    return false;
  }
}

/**
 * Resolves once the wasm kernel is instantiated (true) or known to be unavailable (false).
 * Only browsers need to wait: elsewhere the first call instantiates synchronously.
 *
 * @example
 * ```ts
 * import { loadWasmGemm } from './gemm-wasm.js';
 * const ok = await loadWasmGemm(); // true on engines with WebAssembly SIMD
 * ```
 */
export async function loadWasmGemm(): Promise<boolean> {
  if (wasmGemmReady()) return true;
  return pending ?? false;
}

function adopt(exports: object): void {
  kernel = exports as GemmExports;
  packAAt = kernel.heapBase();
  packBAt = align16(packAAt + kernel.packABytes());
  heap = new Float32Array(kernel.memory.buffer);
}

/**
 * Single-precision gemm on the wasm SIMD kernel; same contract as {@link gemm}, float32 only.
 * Call {@link wasmGemmReady} first: this assumes the kernel is instantiated. Returns false,
 * having changed nothing, when the operands do not fit in wasm memory (over ~4 GiB): the
 * caller should then use the JS kernel.
 *
 *     C[m x n] = alpha * op(A) * op(B) + beta * C
 *
 * @example
 * ```ts
 * import { gemmWasm, wasmGemmReady } from './gemm-wasm.js';
 * const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([5, 6, 7, 8]);
 * const c = new Float32Array(4);
 * if (wasmGemmReady()) gemmWasm(false, false, 2, 2, 2, 1, a, 0, 2, b, 0, 2, 0, c, 0, 2);
 * // c = [19, 22, 43, 50]
 * ```
 */
export function gemmWasm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  beta: number, c: Float32Array, cOffset: number, ldc: number,
): boolean {
  const w = kernel;
  if (w === undefined) throw new Error('gemmWasm: the WebAssembly kernel is not instantiated; call wasmGemmReady() first');
  if (m <= 0 || n <= 0) return true;
  // The stored extent of each operand, from its first to its last element: copying the span
  // (rather than compacting rows) keeps lda/ldb meaningful inside wasm and is one memcpy
  // when the operand is a whole array.
  const spanA = k <= 0 ? 0 : transA ? (k - 1) * lda + m : (m - 1) * lda + k;
  const spanB = k <= 0 ? 0 : transB ? (n - 1) * ldb + k : (k - 1) * ldb + n;
  const spanC = m * n;
  const packA = packAAt, packB = packBAt;
  const aAt = align16(packB + w.packBBytes(n));
  const bAt = align16(aAt + spanA * 4);
  const cAt = align16(bAt + spanB * 4);
  if (!ensureBytes(w, cAt + spanC * 4)) return false;

  if (spanA > 0) copyIn(a, aOffset, spanA, aAt >> 2);
  if (spanB > 0) copyIn(b, bOffset, spanB, bAt >> 2);
  if (beta !== 0) {
    if (ldc === n) copyIn(c, cOffset, spanC, cAt >> 2);
    else {
      const h = heap;
      for (let i = 0, d = cAt >> 2; i < m; i++) {
        for (let j = 0, s = cOffset + i * ldc; j < n; j++) h[d++] = c[s + j] as number;
      }
    }
  }
  w.sgemm(transA ? 1 : 0, transB ? 1 : 0, m, n, k, alpha, aAt, lda, bAt, ldb, beta, cAt, packA, packB);

  if (ldc === n) {
    if (cViewStart !== cAt || cView.length !== spanC || cView.buffer !== heap.buffer) {
      cView = heap.subarray(cAt >> 2, (cAt >> 2) + spanC);
      cViewStart = cAt;
    }
    c.set(cView, cOffset);
  } else {
    const h = heap;
    for (let i = 0, s = cAt >> 2; i < m; i++) {
      for (let j = 0, d = cOffset + i * ldc; j < n; j++) c[d + j] = h[s++] as number;
    }
  }
  return true;
}

function align16(x: number): number {
  return (x + 15) & ~15;
}

// False when the memory cannot grow that far (wasm32 stops at 4 GiB; engines may stop sooner).
function ensureBytes(w: GemmExports, bytes: number): boolean {
  const have = w.memory.buffer.byteLength;
  if (bytes > have) {
    // Grow by at least half again so a slowly increasing problem size does not grow every call.
    const pages = (x: number): number => Math.ceil((x - have) / 65536);
    try {
      w.memory.grow(pages(Math.max(bytes, Math.floor(have * 1.5))));
    } catch {
      try {
        w.memory.grow(pages(bytes));
      } catch {
        return false;
      }
    }
  }
  // Growing detaches the old ArrayBuffer; refresh the view whenever the buffer changed.
  if (heap.buffer !== w.memory.buffer) heap = new Float32Array(w.memory.buffer);
  return true;
}

// Below this many elements a loop copy is as fast as `set`, and it avoids creating a subarray
// view per call; above it the memcpy behind `set` wins by far.
const LOOP_COPY_MAX = 2048;

function copyIn(src: Float32Array, start: number, length: number, dst: number): void {
  const h = heap;
  if (start === 0 && length === src.length) h.set(src, dst);
  else if (length <= LOOP_COPY_MAX) for (let i = 0; i < length; i++) h[dst + i] = src[start + i] as number;
  else h.set(src.subarray(start, start + length), dst);
}

// atob is not in every runtime this library targets (and not in the ES2022 lib), so decode
// by hand; it runs once per process.
function decodeBase64(text: string): Uint8Array {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const value = new Uint8Array(128);
  for (let i = 0; i < alphabet.length; i++) value[alphabet.charCodeAt(i)] = i;
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* '=' */) end--;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let acc = 0, bits = 0, o = 0;
  for (let i = 0; i < end; i++) {
    acc = (acc << 6) | (value[text.charCodeAt(i)] as number);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}
