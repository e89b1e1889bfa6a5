import { layout, layoutBytes } from './tree-lstm.js';
import { wasmKernels, type WasmKernels } from './wasm-module.js';

// The tapes of whole tree folds (kernels/tree-lstm-fold.ts, kernels/child-sum-lstm-fold-wasm.ts,
// kernels/tree-rnn-fold-wasm.ts)
// kept in wasm memory between a forward and its backward: one block each, held until the
// backward frees it, or released when no backward will follow. A forward that is recorded but
// never back-propagated (evaluation without noGrad) leaves its block, so past a budget the
// oldest blocks are evicted, and a backward that finds its tape gone recomputes the forward.
// One list and one budget for every kind of fold.

/** A block of wasm memory (byte address and size) that holds a fold's tape. */
export interface ResidentBlock {
  readonly at: number;
  readonly bytes: number;
}

/** A fold tape that may hold a block in wasm memory (null once released or evicted). */
export interface ResidentTape {
  resident: ResidentBlock | null;
}

/** Every fold tape's blocks beyond this many bytes are evicted, oldest first. */
export const RESIDENT_BUDGET_BYTES = 64 << 20;

// Tapes holding a block, oldest first, and their bytes.
const held: ResidentTape[] = [];
let heldBytes = 0;

/**
 * Frees a tape's block in wasm memory (a no-op when it has none), through `free` (the kernels'
 * allocator; absent when they are gone, when there is nothing to free into).
 *
 * @example
 * ```ts
 * releaseResidentTape(tape, wasmKernels());
 * ```
 */
export function releaseResidentTape(tape: ResidentTape, w: Pick<WasmKernels, 'free'> | undefined): void {
  const r = tape.resident;
  if (r === null) return;
  tape.resident = null;
  const i = held.indexOf(tape);
  if (i >= 0) held.splice(i, 1);
  heldBytes -= r.bytes;
  w?.free(r.at);
}

/**
 * A new block of `bytes` for `tape`'s forward (its old block released first), evicting the
 * oldest tapes of any fold while the budget would be passed; beyond it the memory holds at most
 * the newest tape. The caller sets `tape.resident` to a block at the returned address.
 *
 * @example
 * ```ts
 * const at = holdResidentTape(w, tape, bytes);
 * tape.resident = { at, bytes, ... };
 * ```
 */
export function holdResidentTape(w: WasmKernels, tape: ResidentTape, bytes: number): number {
  releaseResidentTape(tape, w);
  while (held.length > 0 && heldBytes + bytes > RESIDENT_BUDGET_BYTES) releaseResidentTape(held[0] as ResidentTape, w);
  const at = w.alloc(bytes);
  held.push(tape);
  heldBytes += bytes;
  return at;
}

/**
 * Runs a backward from `tape`'s block: recomputes the forward first when the block is gone
 * (evicted, or freed by an earlier backward of a retained graph), and frees the block after,
 * whatever happens.
 *
 * @example
 * ```ts
 * return backwardFromTape(w, tape, () => forward(w, args, tape, scratchOut), (kept) => backwardResident(w, args, kept, dy));
 * ```
 */
export function backwardFromTape<B extends ResidentBlock, R>(w: WasmKernels, tape: { resident: B | null }, recompute: () => void, backward: (kept: B) => R): R {
  try {
    if (tape.resident === null) recompute();
    if (tape.resident === null) throw new Error('backwardFromTape: the recomputed forward left no tape');
    return backward(tape.resident);
  } finally {
    releaseResidentTape(tape, w);
  }
}

/**
 * The kernels a wasm forward's backward runs on: the ones the forward ran on, which are still
 * loaded (an Error naming `fn` if they are gone).
 *
 * @example
 * ```ts
 * if (tape.wasm) return foldBackwardWasm(tapeKernels('naryTreeLstmFoldBackward'), args, tape, dy, want);
 * ```
 */
export function tapeKernels(fn: string): WasmKernels {
  const w = wasmKernels();
  if (w === undefined) throw new Error(`${fn}: the forward pass ran on the wasm kernels, which are gone`);
  return w;
}

/**
 * A forward into a new tape block: holds a block for tables of the given sizes (floats; see
 * {@link holdResidentTape}), lays them out (byte addresses, 16-byte aligned), sets
 * `tape.resident` to `make(tables, at, bytes)` and runs `fill` on it. A fill that throws
 * releases the block: a half-written tape must not pass for a good one (a retried backward
 * would read it).
 *
 * @example
 * ```ts
 * forwardIntoTape(w, tape, [nodes * I, nodes * H], ([x, states], at, bytes) => ({ at, bytes, x, states }), (kept) => forwardInto(w, args, kept, out));
 * ```
 */
export function forwardIntoTape<B extends ResidentBlock>(
  w: WasmKernels, tape: { resident: B | null }, sizes: readonly number[], make: (tables: number[], at: number, bytes: number) => B, fill: (kept: B) => void,
): void {
  const bytes = layoutBytes(sizes);
  const at = holdResidentTape(w, tape, bytes);
  const kept = make(layout(at, sizes), at, bytes);
  tape.resident = kept;
  try {
    fill(kept);
  } catch (error) {
    releaseResidentTape(tape, w);
    throw error;
  }
}
