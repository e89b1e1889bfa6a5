import { kernelsRelaxedWasmBase64 } from './wasm/kernels-relaxed-wasm.generated.js';
import { kernelsSharedRelaxedWasmBase64 } from './wasm/kernels-shared-relaxed-wasm.generated.js';
import { kernelsSharedWasmBase64 } from './wasm/kernels-shared-wasm.generated.js';
import { kernelsWasmBase64 } from './wasm/kernels-wasm.generated.js';
import { RELAXED_SIMD_PROBE, SIMD_PROBE } from './wasm-probes.js';

// The WebAssembly SIMD kernels (assembly/*.ts, compiled by scripts/build-wasm.mjs and embedded
// as base64, so loading needs neither fetch nor fs) and the memory they run on. The memory is
// created here and imported by the module: a SHARED memory where the engine allows it (Node;
// a cross-origin-isolated page), so worker threads (threads.ts) can run the same kernels on
// the same buffers, else a plain one. Buffers in it come from a small first-fit allocator:
// transient scratch (the gemm wrapper's operands, a sequence kernel's per-call arrays) and
// long-lived blocks (the saved activations of a recorded recurrence, packed weights of a
// generation session).

/** The raw exports of the kernel module; addresses are byte offsets into its memory. */
export interface KernelExports {
  heapBase(): number;
  packABytes(): number;
  packBBytes(n: number): number;
  tileBytes(): number;
  packedBBytes(k: number, n: number): number;
  packB(transB: number, k: number, n: number, b: number, ldb: number, dst: number): void;
  sgemm(
    transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number,
    packA: number, packB: number, tile: number,
  ): void;
  sgemmPacked(
    transA: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, packedB: number, beta: number, c: number, ldc: number, packA: number, tile: number,
  ): void;
  sgemv(m: number, n: number, alpha: number, a: number, lda: number, x: number, beta: number, y: number): void;
  expInPlace(x: number, n: number): void;
  sigmoidInPlace(x: number, n: number): void;
  tanhInPlace(x: number, n: number): void;
  lstmStepForward(B: number, H: number, gates: number, bias: number, hPrev: number, cPrev: number, hNext: number, cNext: number, tanhC: number, lengths: number, t: number): void;
  lstmStepBackward(B: number, H: number, gates: number, cPrev: number, tanhC: number, dy: number, dh: number, dc: number, dGates: number, lengths: number, t: number): void;
  rnnStepForward(B: number, H: number, pre: number, bias: number, hPrev: number, hNext: number, relu: number, lengths: number, t: number): void;
  rnnStepBackward(B: number, H: number, hNext: number, dy: number, dh: number, da: number, relu: number, lengths: number, t: number): void;
  gruAfterStepForward(B: number, H: number, gates: number, hh: number, bi: number, bh: number, hPrev: number, hNext: number, aux: number, lengths: number, t: number): void;
  gruBeforeResetGates(B: number, H: number, gates: number, hh: number, bi: number, bh: number, hPrev: number, aux: number): void;
  gruBeforeStepForward(B: number, H: number, gates: number, hh: number, bi: number, bh: number, hPrev: number, hNext: number, lengths: number, t: number): void;
  gruAfterStepBackward(B: number, H: number, gates: number, hPrev: number, aux: number, dy: number, dh: number, dGx: number, dGh: number, lengths: number, t: number): void;
  gruBeforeCandidateBackward(B: number, H: number, gates: number, hPrev: number, dy: number, dh: number, dGx: number, dGh: number, lengths: number, t: number): void;
  gruBeforeResetBackward(B: number, H: number, gates: number, hPrev: number, drh: number, dh: number, dGx: number, dGh: number, lengths: number, t: number): void;
  columnSums(src: number, ld: number, rows: number, cols: number, out: number): void;
  lstmForwardLoop(
    B: number, b0: number, b1: number, T: number, H: number, reverse: number,
    gates: number, hs: number, cs: number, tanhC: number, packed: number, bias: number, lengths: number, packA: number, tile: number,
  ): void;
  lstmBackwardLoop(
    B: number, b0: number, b1: number, T: number, H: number, reverse: number,
    gates: number, cs: number, tanhC: number, dys: number, dh: number, dc: number, dGates: number, packed: number, lengths: number, packA: number, tile: number,
  ): void;
  rnnForwardLoop(
    B: number, b0: number, b1: number, T: number, H: number, reverse: number, relu: number,
    pre: number, hs: number, packed: number, bias: number, lengths: number, packA: number, tile: number,
  ): void;
  rnnBackwardLoop(
    B: number, b0: number, b1: number, T: number, H: number, reverse: number, relu: number,
    hs: number, dys: number, dh: number, da: number, packed: number, lengths: number, packA: number, tile: number,
  ): void;
  gruForwardLoop(
    B: number, b0: number, b1: number, T: number, H: number, reverse: number, resetAfter: number,
    gates: number, hs: number, aux: number, hh: number, packed: number, packedRz: number, packedN: number, bi: number, bh: number,
    lengths: number, packA: number, tile: number,
  ): void;
  gruBackwardLoop(
    B: number, b0: number, b1: number, T: number, H: number, reverse: number, resetAfter: number,
    gates: number, hs: number, aux: number, dys: number, dh: number, drh: number, dGx: number, dGh: number,
    packed: number, packedRz: number, packedN: number, lengths: number, packA: number, tile: number,
  ): void;
  treeGatesForward(
    n: number, H: number, K: number, z: number, rowStride: number, gOff: number, oOff: number, f: number, fStride: number,
    childC: number, kids: number, tanhC: number, hOut: number, cOut: number,
  ): void;
  treeGatesBackward(
    n: number, H: number, K: number, z: number, rowStride: number, gOff: number, oOff: number, f: number, fStride: number,
    childC: number, kids: number, tanhC: number, dh: number, dc: number, dz: number, df: number, da: number, dChildC: number,
  ): void;
  treeFoldLevelForward(
    mFrom: number, mTo: number, lFrom: number, lTo: number, H: number, N: number, I: number, nodes: number, row0: number, leafRow0: number,
    belowStart: number, belowCount: number, idx: number, x: number, bias: number, biasRows: number, packedW: number, packedWx: number, z: number,
    tanhC: number, states: number, inTab: number, cc: number, packA: number, tile: number,
  ): void;
  treeFoldLevelBackward(
    mFrom: number, mTo: number, lFrom: number, lTo: number, H: number, N: number, I: number, nodes: number, row0: number, leafRow0: number,
    belowStart: number, belowCount: number, idx: number, x: number, states: number, z: number, tanhC: number, ds: number, dzTab: number,
    t: number, u: number, da: number, dx: number, hTab: number, xTab: number, cc: number, dIn: number, dcc: number, packedW: number,
    packedWx: number, packA: number, tile: number,
  ): void;
  childSumFoldLevelForward(
    mFrom: number, mTo: number, lFrom: number, lTo: number, H: number, K: number, I: number, nodes: number, row0: number, leafRow0: number,
    belowStart: number, belowCount: number, slot0: number, t: number, idx: number, x: number, bias: number, biasRows: number, packedWih: number,
    packedUi: number, packedUf: number, packedUgo: number, z: number, tanhC: number, states: number, forget: number, childSum: number, chs: number,
    cc: number, packA: number, tile: number,
  ): void;
  childSumFoldLevelBackward(
    mFrom: number, mTo: number, lFrom: number, lTo: number, H: number, K: number, I: number, nodes: number, row0: number, leafRow0: number,
    belowStart: number, belowCount: number, slot0: number, t: number, u: number, idx: number, x: number, states: number, z: number, tanhC: number,
    forget: number, ds: number, da: number, dzf: number, dx: number, xTab: number, chTab: number, dz: number, dSum: number, dch: number,
    cc: number, dcc: number, packedWhh: number, packedUf: number, packedWih: number, packA: number, tile: number,
  ): void;
  treeRnnFoldLevelForward(
    mFrom: number, mTo: number, lFrom: number, lTo: number, H: number, N: number, I: number, row0: number, leafRow0: number, belowStart: number,
    belowCount: number, idx: number, x: number, bias: number, biasRows: number, packedW: number, packedWx: number, states: number, inTab: number,
    packA: number, tile: number,
  ): void;
  treeRnnFoldLevelBackward(
    mFrom: number, mTo: number, lFrom: number, lTo: number, H: number, N: number, I: number, row0: number, leafRow0: number, belowStart: number,
    belowCount: number, idx: number, x: number, states: number, ds: number, dzTab: number, t: number, u: number, dx: number, xTab: number,
    hTab: number, dIn: number, packedW: number, packedWx: number, packA: number, tile: number,
  ): void;
  joinColumns(rows: number, a: number, aCols: number, b: number, bCols: number, dst: number): void;
  splitColumns(rows: number, src: number, a: number, aCols: number, b: number, bCols: number): void;
  copyRows(rows: number, cols: number, src: number, srcStride: number, dst: number, dstStride: number): void;
  gatherChildRows(m: number, H: number, K: number, idx: number, none: number, src: number, dst: number, dstStride: number, dstOff: number): void;
  scatterAddChildRows(m: number, H: number, K: number, idx: number, none: number, src: number, srcStride: number, srcOff: number, dst: number): void;
}

// The globals this file needs, typed locally: the project compiles against ES2022 + Node
// types, which do not declare WebAssembly, and some engines lack it altogether.
interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}
interface WasmNamespace {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  compile(bytes: Uint8Array): Promise<object>;
  instantiate(module: object, imports: object): Promise<{ exports: object }>;
}

const wasmApi = (globalThis as { WebAssembly?: WasmNamespace }).WebAssembly;

/** True when this engine implements WebAssembly SIMD (checked once, by validating a probe). */
export const wasmSimdSupported: boolean = (() => {
  try {
    return wasmApi !== undefined && wasmApi.validate(SIMD_PROBE);
  } catch {
    return false;
  }
})();

/**
 * True when this engine implements relaxed SIMD, whose f32x4.relaxed_madd the gemm
 * micro-kernel then uses as a fused multiply-add (docs/decisions/0010-relaxed-simd-fma.md).
 *
 * @example
 * ```ts
 * import { wasmRelaxedSimdSupported } from 'unfold';
 * console.log(wasmRelaxedSimdSupported ? 'gemm uses FMA' : 'gemm uses multiply then add');
 * ```
 */
export const wasmRelaxedSimdSupported: boolean = (() => {
  try {
    return wasmSimdSupported && wasmApi !== undefined && wasmApi.validate(RELAXED_SIMD_PROBE);
  } catch {
    return false;
  }
})();

/** Which build of the kernel module runs: baseline SIMD, or SIMD with relaxed SIMD's FMA. */
export type WasmKernelVariant = 'simd' | 'relaxed-simd';

let relaxedSetting: boolean | 'auto' = 'auto';

/**
 * Chooses the kernel build before the kernels load: 'auto' (the default) takes the relaxed
 * SIMD build where the engine has it, `false` always the baseline one, `true` the relaxed one
 * (a TypeError where the engine lacks it). With FMA a multiply-add rounds once instead of
 * twice, so float32 results differ from the baseline build's in the last bits, and between
 * CPUs with and without FMA; `false` gives the same bits on every machine. Once the kernels
 * start loading the choice is fixed: changing it then throws (a setting that keeps the build
 * already chosen is accepted).
 *
 * @example
 * ```ts
 * import { setWasmRelaxedSimd, gemmReady } from 'unfold';
 * setWasmRelaxedSimd(false); // reproducible float32 bits across machines
 * await gemmReady();
 * ```
 */
export function setWasmRelaxedSimd(setting: boolean | 'auto'): void {
  if (setting === true && !wasmRelaxedSimdSupported) {
    throw new TypeError('setWasmRelaxedSimd(true): this engine has no WebAssembly relaxed SIMD (Node >= 22, Chrome >= 114, or Node 20 with --experimental-wasm-relaxed-simd)');
  }
  if (kernels !== undefined || pending !== undefined) {
    if (relaxedWanted(setting) !== relaxedWanted(relaxedSetting)) {
      const state = kernels === undefined ? 'already loading' : `already loaded as the ${kernels.variant} build`;
      throw new Error(`setWasmRelaxedSimd(${String(setting)}): the kernels are ${state}; choose before the first kernel call`);
    }
  }
  relaxedSetting = setting;
}

/**
 * The kernel build that runs, or undefined before the kernels are instantiated (or where
 * there is no WebAssembly SIMD).
 *
 * @example
 * ```ts
 * import { wasmKernelVariant, gemmReady } from 'unfold';
 * await gemmReady();
 * console.log(wasmKernelVariant()); // 'relaxed-simd' on Node >= 22
 * ```
 */
export function wasmKernelVariant(): WasmKernelVariant | undefined {
  return kernels?.variant;
}

function relaxedWanted(setting: boolean | 'auto'): boolean {
  return setting === 'auto' ? wasmRelaxedSimdSupported : setting;
}

function kernelBase64(shared: boolean, relaxed: boolean): string {
  if (relaxed) return shared ? kernelsSharedRelaxedWasmBase64 : kernelsRelaxedWasmBase64;
  return shared ? kernelsSharedWasmBase64 : kernelsWasmBase64;
}

const PAGE = 65536;
// Blocks start on cache lines: two threads writing neighbouring blocks never share a line.
const ALIGN = 64;

function alignUp(x: number): number {
  return Math.ceil(x / ALIGN) * ALIGN;
}

/**
 * The instantiated kernels: exports, memory, typed views that follow the memory when it
 * grows, an allocator, and the main thread's gemm scratch (packed A and B panels, an edge tile).
 *
 * @example
 * ```ts
 * const w = wasmKernels();
 * if (w !== undefined) {
 *   const p = w.alloc(4 * 16);
 *   w.f32.fill(1, p >> 2, (p >> 2) + 16);
 *   w.free(p);
 * }
 * ```
 */
export class WasmKernels {
  readonly exports: KernelExports;
  /** Whether the memory is a SharedArrayBuffer that worker threads may attach to. */
  readonly shared: boolean;
  /** Which build of the module this is. */
  readonly variant: WasmKernelVariant;
  /** The compiled module, for worker threads to instantiate on the same memory. */
  readonly module: object;
  readonly memory: WasmMemory;
  /** Main-thread scratch for sgemm: packed A (MC x KC), packed B (KC x NC), one tile. */
  readonly packA: number;
  readonly packB: number;
  readonly tile: number;
  private f32View: Float32Array;
  private i32View: Int32Array;
  private top: number;
  private readonly live = new Map<number, number>();
  // Free blocks as [address, bytes], sorted by address and coalesced.
  private readonly holes: [number, number][] = [];
  private readonly scratchBlocks = new Map<string, [number, number]>();

  constructor(module: object, exports: object, memory: WasmMemory, shared: boolean, variant: WasmKernelVariant) {
    this.module = module;
    this.variant = variant;
    this.exports = exports as KernelExports;
    this.memory = memory;
    this.shared = shared;
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
    this.top = alignUp(this.exports.heapBase());
    this.packA = this.alloc(this.exports.packABytes());
    this.packB = this.alloc(this.exports.packBBytes(1 << 30));
    this.tile = this.alloc(this.exports.tileBytes());
  }

  /** A Float32Array over the whole memory (re-read after any alloc: growing replaces the buffer). */
  get f32(): Float32Array {
    if (this.f32View.buffer !== this.memory.buffer) this.refresh();
    return this.f32View;
  }

  /** An Int32Array over the whole memory. */
  get i32(): Int32Array {
    if (this.i32View.buffer !== this.memory.buffer) this.refresh();
    return this.i32View;
  }

  /**
   * A block of at least `bytes` (64-byte aligned address), growing the memory if needed.
   * Throws RangeError when the memory cannot grow that far (wasm32 stops at 4 GiB).
   */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(bytes, 1));
    for (let i = 0; i < this.holes.length; i++) {
      const hole = this.holes[i] as [number, number];
      if (hole[1] < size) continue;
      const at = hole[0];
      if (hole[1] === size) this.holes.splice(i, 1);
      else { hole[0] += size; hole[1] -= size; }
      this.live.set(at, size);
      return at;
    }
    const at = this.top;
    this.ensure(at + size);
    this.top = at + size;
    this.live.set(at, size);
    return at;
  }

  /** Returns a block from {@link alloc} (freeing an address twice, or a foreign one, throws). */
  free(at: number): void {
    const size = this.live.get(at);
    if (size === undefined) throw new Error(`WasmKernels.free: ${at} is not an allocated block`);
    this.live.delete(at);
    let i = 0;
    while (i < this.holes.length && (this.holes[i] as [number, number])[0] < at) i++;
    this.holes.splice(i, 0, [at, size]);
    // Coalesce with the next and the previous hole, then give a trailing hole back to top.
    const next = this.holes[i + 1];
    const cur = this.holes[i] as [number, number];
    if (next !== undefined && cur[0] + cur[1] === next[0]) {
      cur[1] += next[1];
      this.holes.splice(i + 1, 1);
    }
    const prev = this.holes[i - 1];
    if (prev !== undefined && prev[0] + prev[1] === cur[0]) {
      prev[1] += cur[1];
      this.holes.splice(i, 1);
    }
    const last = this.holes[this.holes.length - 1];
    if (last !== undefined && last[0] + last[1] === this.top) {
      this.top = last[0];
      this.holes.pop();
    }
  }

  /**
   * A named scratch block of at least `bytes`, reused across calls and grown (contents lost)
   * when too small. Each user names its own, so a sequence kernel's buffers never overlap the
   * gemm wrapper's; kernels run to completion on one thread, so one block per name suffices.
   */
  scratch(name: string, bytes: number): number {
    const have = this.scratchBlocks.get(name);
    if (have !== undefined && have[1] >= bytes) return have[0];
    if (have !== undefined) this.free(have[0]);
    // Half again as much, so a slowly growing problem does not reallocate every call.
    const size = alignUp(have === undefined ? bytes : Math.max(bytes, Math.floor(have[1] * 1.5)));
    const at = this.alloc(size);
    this.scratchBlocks.set(name, [at, size]);
    return at;
  }

  /** Bytes of memory in use by live blocks, and the size of the memory (for tests and diagnostics). */
  usage(): { liveBytes: number; memoryBytes: number } {
    let liveBytes = 0;
    for (const size of this.live.values()) liveBytes += size;
    return { liveBytes, memoryBytes: this.memory.buffer.byteLength };
  }

  /** Copies `src` into the memory at byte address `at`. */
  write(at: number, src: ArrayLike<number> & { readonly length: number }, from = 0, length = src.length - from): void {
    const f = this.f32;
    const base = at >> 2;
    if (src instanceof Float32Array && length > 64) f.set(from === 0 && length === src.length ? src : src.subarray(from, from + length), base);
    else for (let i = 0; i < length; i++) f[base + i] = src[from + i] as number;
  }

  /** Copies `length` floats at byte address `at` into `dst` from `offset`. */
  read(at: number, length: number, dst: Float32Array, offset = 0): void {
    dst.set(this.f32.subarray(at >> 2, (at >> 2) + length), offset);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = (x: number): number => Math.ceil((x - have) / PAGE);
    try {
      this.memory.grow(pages(Math.max(bytes, Math.floor(have * 1.5))));
    } catch {
      this.memory.grow(pages(bytes));
    }
    this.refresh();
  }

  private refresh(): void {
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }
}

let kernels: WasmKernels | undefined;
let pending: Promise<boolean> | undefined;

// A shared memory needs SharedArrayBuffer, which browsers only expose to cross-origin-isolated
// pages; the maximum is asked for in steps, since some engines refuse to reserve 4 GiB.
function makeMemory(): { memory: WasmMemory; shared: boolean } {
  if (wasmApi === undefined) throw new Error('no WebAssembly');
  if (typeof SharedArrayBuffer !== 'undefined') {
    for (const maximum of [65536, 16384, 4096]) {
      try {
        return { memory: new wasmApi.Memory({ initial: 32, maximum, shared: true }), shared: true };
      } catch {
        // Try a smaller maximum, then a plain memory.
      }
    }
  }
  return { memory: new wasmApi.Memory({ initial: 32 }), shared: false };
}

/**
 * The kernels, instantiating them on first use (synchronously where the engine allows), or
 * undefined while they are unavailable: no WebAssembly SIMD, or a browser main thread that
 * compiles modules this size only asynchronously (the compile is then started, and callers
 * run their JavaScript kernels until it finishes).
 *
 * @example
 * ```ts
 * const w = wasmKernels();
 * if (w !== undefined) w.exports.sigmoidInPlace(at, n);
 * ```
 */
export function wasmKernels(): WasmKernels | undefined {
  if (kernels !== undefined) return kernels;
  if (!wasmSimdSupported || wasmApi === undefined || pending !== undefined) return undefined;
  const { memory, shared } = makeMemory();
  const relaxed = relaxedWanted(relaxedSetting);
  const variant: WasmKernelVariant = relaxed ? 'relaxed-simd' : 'simd';
  const bytes = decodeBase64(kernelBase64(shared, relaxed));
  try {
    const module = new wasmApi.Module(bytes);
    kernels = new WasmKernels(module, new wasmApi.Instance(module, { env: { memory } }).exports, memory, shared, variant);
    return kernels;
  } catch {
    const api = wasmApi;
    pending = api.compile(bytes)
      .then(async (module) => {
        const instance = await api.instantiate(module, { env: { memory } });
        kernels = new WasmKernels(module, instance.exports, memory, shared, variant);
        return true;
      }, () => false);
    return undefined;
  }
}

/**
 * Resolves once the kernels are instantiated (true) or known to be unavailable (false). Only
 * browsers need to wait: elsewhere the first call instantiates synchronously.
 *
 * @example
 * ```ts
 * if (await loadWasmKernels()) console.log('WebAssembly SIMD kernels ready');
 * ```
 */
export async function loadWasmKernels(): Promise<boolean> {
  if (wasmKernels() !== undefined) return true;
  return pending ?? false;
}

/**
 * The kernel module's bytes for worker threads (they instantiate the same module on the same
 * shared memory), or undefined when the memory is not shared.
 *
 * @example
 * ```ts
 * const bytes = sharedKernelBytes(); // Uint8Array | undefined
 * ```
 */
export function sharedKernelBytes(): Uint8Array | undefined {
  return kernels?.shared === true ? decodeBase64(kernelBase64(true, kernels.variant === 'relaxed-simd')) : undefined;
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
