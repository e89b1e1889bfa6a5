import { ArgumentError } from '../tensor/errors.js';
import type { TypedArray } from '../tensor/index.js';
import { carve } from './sequence-wasm.js';
import { kernelThreads, rowsOf, runParts } from './threads.js';
import { wasmKernels, type WasmKernels } from './wasm-module.js';

// Step-level inference kernels: one recurrent step (or one affine layer) for ONE example at a
// time, on weights copied into WebAssembly memory once, when the stepper is made. Generating
// text runs thousands of such steps, each a few matrix-vector products (W_hh alone is 4 MiB
// for an LSTM of 512): going through the op graph instead would allocate a dozen tensors per
// step and spend as long in that as in the products. A stepper allocates nothing per step:
// inputs, state and outputs are fixed buffers in wasm memory, addressed by byte offset.
//
// The maths are the fused sequence kernels' at batch 1 (same SIMD passes, the products as
// matrix-vector products), so a stepper continues a state those kernels produced.

// The recurrent product W_hh h is split by rows over the kernel threads from this size on. It
// is memory-bound (every weight read once per step): for an LSTM of 512 (1M multiply-adds,
// 4 MiB) two cores each reading half of W_hh beat one core by more than a thread round trip
// (16-40 us here; measured: lstm-generate 160-215 -> 131-177 us a step). Smaller products
// stay on one thread, where the round trip would be a larger share (not measured).
const SPLIT_MACS = 1 << 19;

/** The weights of a recurrent layer in PyTorch's layout (G gate blocks stacked along rows). */
export interface StepperWeights {
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** [G*H, I] */
  readonly weightIh: TypedArray;
  /** [G*H, H] */
  readonly weightHh: TypedArray;
  /** [G*H] or null */
  readonly biasIh: TypedArray | null;
  /** [G*H] or null */
  readonly biasHh: TypedArray | null;
}

/** Which recurrence a {@link RecurrentStepper} runs. */
export type StepperCell =
  | { readonly kind: 'lstm' }
  | { readonly kind: 'gru'; readonly resetAfter: boolean }
  | { readonly kind: 'rnn'; readonly relu: boolean };

/**
 * One recurrent layer stepped one example at a time. Write the input into `input` (or pass
 * another buffer's address to {@link RecurrentStepper.step}), call `step()`, read h at
 * `output`. The state (h, and c for an LSTM) lives in the stepper.
 *
 * @example
 * ```ts
 * const s = RecurrentStepper.create({ kind: 'lstm' }, weights);
 * if (s !== null) {
 *   s.setState('h', h0); s.setState('c', c0);
 *   s.kernels.f32.set(x, s.input >> 2);
 *   s.step();
 *   const h = s.getState('h');
 *   s.dispose();
 * }
 * ```
 */
export class RecurrentStepper {
  /** Byte address of the input vector (inputSize floats). */
  readonly input: number;
  /** The names of the state vectors: ['h', 'c'] for an LSTM, ['h'] otherwise. */
  readonly stateKeys: readonly ('h' | 'c')[];
  private readonly gates: number;
  private readonly hh: number;
  private readonly aux: number;
  private readonly wih: number;
  private readonly whh: number;
  private readonly bi: number;
  private readonly bh: number;
  // Two slots per state vector, used alternately: a step reads one and writes the other.
  private readonly hSlots: [number, number];
  private readonly cSlots: [number, number];
  private current = 0;
  private disposed = false;
  private readonly block: number;
  // The row-split product's job arguments, per part and per h slot, made once per thread count
  // so that a step allocates nothing.
  private split: { parts: number; jobs: [(part: number) => number[], (part: number) => number[]] } | null = null;

  private constructor(
    readonly kernels: WasmKernels, readonly cell: StepperCell, readonly inputSize: number, readonly hiddenSize: number, weights: StepperWeights,
  ) {
    const H = hiddenSize, I = inputSize;
    const G = (cell.kind === 'lstm' ? 4 : cell.kind === 'gru' ? 3 : 1) * H;
    this.stateKeys = cell.kind === 'lstm' ? ['h', 'c'] : ['h'];
    const { at, bytes } = carve(0, [G * I, G * H, G, G, I, G, G, H, H, H, H, H]);
    this.block = kernels.alloc(bytes);
    const [wih, whh, bi, bh, input, gates, hh, aux, h0, h1, c0, c1] = at.map((a) => this.block + a) as
      [number, number, number, number, number, number, number, number, number, number, number, number];
    this.input = input;
    this.gates = gates;
    this.hh = hh;
    this.aux = aux;
    this.wih = wih;
    this.whh = whh;
    this.bi = bi;
    this.bh = bh;
    this.hSlots = [h0, h1];
    this.cSlots = [c0, c1];
    const heap = kernels.f32;
    heap.set(weights.weightIh, wih >> 2);
    heap.set(weights.weightHh, whh >> 2);
    const { biasIh, biasHh } = weights;
    // LSTM and RNN add both biases to one pre-activation; the GRU needs them apart (b_hn sits
    // inside the reset gate's product).
    for (let k = 0; k < G; k++) {
      const a = biasIh === null ? 0 : (biasIh[k] as number), b = biasHh === null ? 0 : (biasHh[k] as number);
      heap[(bi >> 2) + k] = cell.kind === 'gru' ? a : a + b;
      heap[(bh >> 2) + k] = cell.kind === 'gru' ? b : 0;
    }
    heap.fill(0, h0 >> 2, (h0 >> 2) + H);
    heap.fill(0, c0 >> 2, (c0 >> 2) + H);
  }

  /**
   * A stepper for `cell` with a copy of `weights` (float32), or null when the WebAssembly
   * kernels are unavailable (the caller then steps through the ops). Later changes to the
   * weight arrays are not seen: make a new stepper after training.
   */
  static create(cell: StepperCell, weights: StepperWeights): RecurrentStepper | null {
    const w = wasmKernels();
    if (w === undefined) return null;
    const { inputSize: I, hiddenSize: H } = weights;
    const G = (cell.kind === 'lstm' ? 4 : cell.kind === 'gru' ? 3 : 1) * H;
    const need = (name: string, a: TypedArray | null, n: number): void => {
      if (a !== null && a.length !== n) throw new ArgumentError('RecurrentStepper', `${name} must hold ${n} elements, got ${a.length}`);
      if (a !== null && !(a instanceof Float32Array)) throw new ArgumentError('RecurrentStepper', `${name} must be float32`);
    };
    need('weightIh', weights.weightIh, G * I);
    need('weightHh', weights.weightHh, G * H);
    need('biasIh', weights.biasIh, G);
    need('biasHh', weights.biasHh, G);
    return new RecurrentStepper(w, cell, I, H, weights);
  }

  /** Byte address of h after the last step (hiddenSize floats), valid until the next step. */
  get output(): number {
    return this.hSlots[this.current] as number;
  }

  /** Sets state vector `key` ('h', or 'c' for an LSTM) from `values` (hiddenSize floats). */
  setState(key: 'h' | 'c', values: ArrayLike<number>): void {
    if (values.length !== this.hiddenSize) throw new ArgumentError('RecurrentStepper', `state '${key}' must hold ${this.hiddenSize} values`);
    const at = this.slot(key);
    const heap = this.kernels.f32;
    for (let j = 0; j < this.hiddenSize; j++) heap[(at >> 2) + j] = values[j] as number;
  }

  /** A copy of state vector `key`. */
  getState(key: 'h' | 'c'): Float32Array {
    const at = this.slot(key);
    return this.kernels.f32.slice(at >> 2, (at >> 2) + this.hiddenSize);
  }

  /**
   * One step from the input at byte address `x` (default: this stepper's `input` buffer),
   * e.g. the `output` of the layer below:
   *
   *     LSTM: [i f g o] = act(W_ih x + W_hh h + b),  c = f c + i g,  h = o tanh(c)
   *     GRU:  the fused GRU step (reset after or before the product)
   *     RNN:  h = act(W_ih x + W_hh h + b)
   */
  step(x: number = this.input): void {
    if (this.disposed) throw new Error('RecurrentStepper: used after dispose()');
    const e = this.kernels.exports;
    const { inputSize: I, hiddenSize: H, cell } = this;
    const cur = this.current, next = 1 - cur;
    const h = this.hSlots[cur] as number, hNext = this.hSlots[next] as number;
    if (cell.kind === 'lstm') {
      const c = this.cSlots[cur] as number, cNext = this.cSlots[next] as number;
      e.sgemv(4 * H, I, 1, this.wih, I, x, 0, this.gates);
      this.recurrentProduct(4 * H, h, 1, this.gates);
      e.lstmStepForward(1, H, this.gates, this.bi, h, c, hNext, cNext, this.aux, 0, 0);
    } else if (cell.kind === 'gru') {
      e.sgemv(3 * H, I, 1, this.wih, I, x, 0, this.gates);
      if (cell.resetAfter) {
        this.recurrentProduct(3 * H, h, 0, this.hh);
        e.gruAfterStepForward(1, H, this.gates, this.hh, this.bi, this.bh, h, hNext, this.aux, 0, 0);
      } else {
        e.sgemv(2 * H, H, 1, this.whh, H, h, 0, this.hh);
        e.gruBeforeResetGates(1, H, this.gates, this.hh, this.bi, this.bh, h, this.aux);
        e.sgemv(H, H, 1, this.whh + 2 * H * H * 4, H, this.aux, 0, this.hh + 2 * H * 4);
        e.gruBeforeStepForward(1, H, this.gates, this.hh, this.bi, this.bh, h, hNext, 0, 0);
      }
    } else {
      e.sgemv(H, I, 1, this.wih, I, x, 0, this.gates);
      this.recurrentProduct(H, h, 1, this.gates);
      e.rnnStepForward(1, H, this.gates, this.bi, h, hNext, cell.relu ? 1 : 0, 0, 0);
    }
    this.current = next;
  }

  /** Frees the stepper's wasm memory (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.kernels.free(this.block);
  }

  // y = W_hh h + beta y over the first `rows` rows of W_hh, on every kernel thread when the
  // product is large: each part computes its rows exactly as one call would (same results).
  private recurrentProduct(rows: number, h: number, beta: number, y: number): void {
    const H = this.hiddenSize;
    const parts = rows * H >= SPLIT_MACS ? Math.min(kernelThreads(), Math.floor(rows / 8)) : 1;
    if (parts < 2) {
      this.kernels.exports.sgemv(rows, H, 1, this.whh, H, h, beta, y);
      return;
    }
    if (this.split?.parts !== parts) {
      const table = this.hSlots.map((slot) => Array.from({ length: parts }, (_, p) => {
        const [from, to] = rowsOf(rows, parts, p);
        return [to - from, H, 1, this.whh + from * H * 4, H, slot, beta, y + from * 4];
      }));
      const [t0, t1] = table as [number[][], number[][]];
      this.split = { parts, jobs: [(p) => t0[p] as number[], (p) => t1[p] as number[]] };
    }
    runParts('sgemv', parts, this.split.jobs[h === this.hSlots[0] ? 0 : 1]);
  }

  private slot(key: 'h' | 'c'): number {
    if (key === 'c' && this.cell.kind !== 'lstm') throw new ArgumentError('RecurrentStepper', `a ${this.cell.kind} has no state 'c'`);
    return (key === 'h' ? this.hSlots : this.cSlots)[this.current] as number;
  }
}

/**
 * y = W x + b for one vector, on a copy of W [O, I] and b [O] in WebAssembly memory: the
 * output layer of a generator. Write x at `input` (or pass an address), call `apply()`, read
 * O floats at `output`.
 *
 * @example
 * ```ts
 * const head = LinearStepper.create(weight, bias, 65, 512);
 * head?.apply(rnn.output);
 * ```
 */
export class LinearStepper {
  readonly input: number;
  readonly output: number;
  private readonly w: number;
  private readonly block: number;
  private disposed = false;

  private constructor(readonly kernels: WasmKernels, readonly outFeatures: number, readonly inFeatures: number, weight: TypedArray, bias: TypedArray | null) {
    const { at, bytes } = carve(0, [outFeatures * inFeatures, outFeatures, inFeatures]);
    this.block = kernels.alloc(bytes);
    const [w, y, x] = at.map((a) => this.block + a) as [number, number, number];
    this.w = w;
    this.output = y;
    this.input = x;
    const heap = kernels.f32;
    heap.set(weight, w >> 2);
    this.bias = bias === null ? null : Float32Array.from(bias);
  }

  private readonly bias: Float32Array | null;

  /** A stepper with a copy of weight [O, I] and bias [O] (float32), or null without the wasm kernels. */
  static create(weight: TypedArray, bias: TypedArray | null, outFeatures: number, inFeatures: number): LinearStepper | null {
    const w = wasmKernels();
    if (w === undefined) return null;
    if (weight.length !== outFeatures * inFeatures || !(weight instanceof Float32Array)) {
      throw new ArgumentError('LinearStepper', `weight must be float32 [${outFeatures}, ${inFeatures}]`);
    }
    if (bias !== null && (bias.length !== outFeatures || !(bias instanceof Float32Array))) throw new ArgumentError('LinearStepper', `bias must be float32 [${outFeatures}]`);
    return new LinearStepper(w, outFeatures, inFeatures, weight, bias);
  }

  /** y = W x + b from the input at byte address `x` (default `input`), into `output`; also copied into `out` when given. */
  apply(x: number = this.input, out?: Float32Array): void {
    if (this.disposed) throw new Error('LinearStepper: used after dispose()');
    const O = this.outFeatures;
    this.kernels.exports.sgemv(O, this.inFeatures, 1, this.w, this.inFeatures, x, 0, this.output);
    const heap = this.kernels.f32;
    const y = this.output >> 2;
    if (this.bias !== null) for (let j = 0; j < O; j++) heap[y + j] = (heap[y + j] as number) + (this.bias[j] as number);
    // A loop, not set(subarray(...)): generation calls this once per symbol and allocates nothing.
    if (out !== undefined) for (let j = 0; j < O; j++) out[j] = heap[y + j] as number;
  }

  /** Frees the stepper's wasm memory (idempotent). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.kernels.free(this.block);
  }
}
