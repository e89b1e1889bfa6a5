import { gruSequenceBackward, gruSequenceForward, gruTape, type GruSequenceArgs, type GruTape } from '../kernels/gru-sequence.js';
import { lstmSequenceBackward, lstmSequenceForward, lstmTape, type LstmSequenceArgs, type LstmTape } from '../kernels/lstm-sequence.js';
import { rnnSequenceBackward, rnnSequenceForward, rnnTape, type RnnSequenceArgs, type RnnTape } from '../kernels/rnn-sequence.js';
import type { SequenceDims } from '../kernels/rnn-sequence-common.js';
import { WasmSequenceTape } from '../kernels/sequence-wasm.js';
import { ArgumentError, ShapeError, Tensor, allocate, type TypedArray } from '../tensor/index.js';
import type { FusedOpName, OpDef, SequenceAttrs } from './op-def.js';
import { checkSameDType } from './raw/checks.js';

// The fused sequence ops: a whole recurrence over T steps as ONE node of the graph, forward
// and backward run by the kernels in kernels/*-sequence.ts. An op has one output, so each packs
// the outputs and the final state along the time axis (docs/decisions/0002):
//
//     y [B, T + S, H]:  rows t < T are the outputs, row T the final h, row T+1 the final c (LSTM)
//
// and fused-functional.ts slices it apart; the slices' backward writes each part's gradient
// into the matching rows of one dy, which is exactly what the kernels' backward reads.

/** What forward keeps for backward, keyed by the op's output (PyTorch's save_for_backward). */
interface Saved<A, P> {
  readonly key: string;
  readonly args: A;
  readonly tape: P;
}

/**
 * The per-step activations of each recorded call, found again by backward through the op's
 * output. A tape goes back to a small pool by shape as soon as no backward can read it any
 * more: at once for calls that were not recorded (inference, or no input needing a
 * gradient), and, for recorded calls, once backward has run through the op without
 * `retainGraph` (it clears the output's gradFn, so the graph cannot be walked again). A
 * training loop therefore reuses one tape per shape instead of allocating (and, for the
 * WebAssembly path, holding wasm memory for) a new one every step.
 */
class TapeStore<A extends SequenceDims & { readonly x: TypedArray }, P> {
  private readonly saved = new WeakMap<Tensor, Saved<A, P>>();
  // Outputs of recorded calls whose tapes may come back, newest last. Strong references, but
  // at most MAX_TRACKED of them: a WeakRef would keep its target alive until the current job
  // ends, which for a synchronous training loop (no await between steps) is never, so every
  // step's outputs and graph would pile up (1.3 MB a step for an RNN of 64 at batch 50 x 100
  // steps, until the process ran out of memory). A graph dropped without backward is thus
  // held for at most MAX_TRACKED further calls, then forgotten here and collected as usual.
  private recorded: Tensor[] = [];
  private readonly spare: { key: string; tape: P }[] = [];

  constructor(private readonly make: (like: TypedArray, dims: SequenceDims) => P) {}

  /** A tape for `args` (pooled when one of that shape is free), remembered under `output`. */
  take(args: A, output: Tensor): P {
    this.reclaim();
    const key = `${args.x instanceof Float64Array ? 64 : 32}:${args.batch}:${args.steps}:${args.hiddenSize}`;
    const i = this.spare.findIndex((s) => s.key === key);
    const tape = i >= 0 ? (this.spare.splice(i, 1)[0] as { tape: P }).tape : this.make(args.x, args);
    this.saved.set(output, { key, args, tape });
    return tape;
  }

  /**
   * Remembers that `output`'s call was recorded, so its tape comes back to the pool once
   * backward has consumed it (only the last MAX_TRACKED recorded outputs are watched).
   */
  track(output: Tensor): void {
    if (!this.saved.has(output)) return;
    this.recorded.push(output);
    if (this.recorded.length > MAX_TRACKED) this.recorded.shift();
  }

  get(op: string, output: Tensor): Saved<A, P> {
    const s = this.saved.get(output);
    if (s === undefined) throw new ArgumentError(op, 'backward found no saved activations for this output (was it released as unrecorded?)');
    return s;
  }

  /** Returns the tape of `output` to the pool: only when nothing can run backward through it. */
  release(output: Tensor): void {
    const s = this.saved.get(output);
    if (s === undefined) return;
    this.saved.delete(output);
    this.spare.push({ key: s.key, tape: s.tape });
    // A handful of shapes (train, eval, last partial batch) covers real loops; beyond that the
    // oldest goes, so memory stays bounded when shapes vary.
    while (this.spare.length > 4) disposeTape((this.spare.shift() as { tape: P }).tape);
  }

  // Takes back the tapes whose outputs backward has consumed (gradFn cleared) or that were
  // never recorded; forgets outputs that were garbage-collected (their wasm tapes are freed
  // by the tape's finaliser).
  private reclaim(): void {
    const keep: Tensor[] = [];
    for (const output of this.recorded) {
      if (!this.saved.has(output)) continue;
      if (output.gradFn === null) this.release(output);
      else keep.push(output);
    }
    this.recorded = keep;
  }
}

// Recorded outputs a TapeStore watches at once: more than the calls of one training step of a
// deep or bidirectional network (one per layer and direction) before its backward runs.
const MAX_TRACKED = 16;

function disposeTape(tape: unknown): void {
  if (tape instanceof WasmSequenceTape) tape.dispose();
}

const rnnTapes = new TapeStore<RnnSequenceArgs, RnnTape>(rnnTape);
const lstmTapes = new TapeStore<LstmSequenceArgs, LstmTape>(lstmTape);
const gruTapes = new TapeStore<GruSequenceArgs, GruTape>(gruTape);

/**
 * Frees the saved activations of a fused sequence op's output when the call was not recorded
 * (its `gradFn` is null, so no backward will ever read them) and lends them to the next call
 * of the same shape; for a recorded call, arranges for them to come back once backward has
 * run through it. Called by the functional wrappers right after `apply` (a direct `apply`
 * leaves its tape to the garbage collector).
 *
 * @example
 * ```ts
 * const y = apply('lstmSequence', inputs, attrs);
 * if (y.gradFn === null) releaseSequenceTape(y);
 * ```
 */
export function releaseSequenceTape(output: Tensor): void {
  for (const store of [rnnTapes, lstmTapes, gruTapes] as const) {
    if (output.gradFn === null) store.release(output);
    else store.track(output);
  }
}

/** Checks the shapes, dtypes and lengths of a fused sequence op and returns its dims. */
function checkSequenceInputs(
  op: string, gates: number, xs: Tensor, states: readonly Tensor[], weightIh: Tensor, weightHh: Tensor,
  biasIh: Tensor | undefined, biasHh: Tensor | undefined, attrs: SequenceAttrs,
): SequenceDims & { lengths: Int32Array | null } {
  const all = [xs, ...states, weightIh, weightHh, ...(biasIh === undefined ? [] : [biasIh]), ...(biasHh === undefined ? [] : [biasHh])];
  checkSameDType(op, all);
  if (xs.rank !== 3) throw new ShapeError(op, 'xs must be [batch, time, inputSize]', [xs.shape]);
  const [B, T, I] = xs.shape as [number, number, number];
  if (weightHh.rank !== 2 || (weightHh.shape[0] as number) !== gates * (weightHh.shape[1] as number)) {
    throw new ShapeError(op, `weightHh must be [${gates} * hidden, hidden]`, [weightHh.shape]);
  }
  const H = weightHh.shape[1] as number;
  const expect = (t: Tensor, shape: number[], name: string): void => {
    if (t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ShapeError(op, `${name} must be [${shape.join(',')}] for xs [${B},${T},${I}] and hidden ${H}`, [t.shape]);
    }
  };
  if (T < 1 || B < 1) throw new ShapeError(op, 'xs needs at least one example and one step', [xs.shape]);
  expect(weightIh, [gates * H, I], 'weightIh');
  states.forEach((s, i) => expect(s, [B, H], i === 0 ? 'h0' : 'c0'));
  if (biasIh !== undefined) expect(biasIh, [gates * H], 'biasIh');
  if (biasHh !== undefined) expect(biasHh, [gates * H], 'biasHh');
  let lengths: Int32Array | null = null;
  if (attrs.lengths !== null) {
    if (attrs.lengths.length !== B) throw new ArgumentError(op, `lengths has ${attrs.lengths.length} entries for a batch of ${B}`);
    lengths = new Int32Array(B);
    attrs.lengths.forEach((n, b) => {
      if (!Number.isInteger(n) || n < 1 || n > T) throw new ArgumentError(op, `lengths[${b}] = ${n} is not an integer in 1..${T}`);
      lengths![b] = n;
    });
  }
  return { batch: B, steps: T, inputSize: I, hiddenSize: H, lengths };
}

/** A zero-filled gradient buffer of t's shape and dtype when t needs one, else null. */
function gradFor(t: Tensor | undefined): TypedArray | null {
  return t !== undefined && t.requiresGrad ? allocate(t.dtype, t.size) : null;
}

function asTensor(data: TypedArray | null, like: Tensor | undefined): Tensor | null {
  return data === null || like === undefined ? null : new Tensor(data, like.shape);
}

/**
 * The fused recurrences: forward and backward side by side, as for every primitive. Spread
 * into the op table in table.ts, so the table's exhaustive type still covers them.
 *
 * - rnnSequence([xs, h0, W_ih, W_hh, (b_ih, b_hh)]) -> [B, T+1, H]: outputs, final h
 * - lstmSequence([xs, h0, c0, W_ih, W_hh, (b_ih, b_hh)]) -> [B, T+2, H]: outputs, final h, final c
 * - gruSequence([xs, h0, W_ih, W_hh, (b_ih, b_hh)]) -> [B, T+1, H]: outputs, final h
 *
 * The maths of each is in the kernel's doc comment; the composed twin is `scan` over
 * RNNCell, LSTMCell, GRUCell, and src/sequence/fused.test.ts checks they agree.
 *
 * Users reach them through the wrappers `rnnSequence`, `lstmSequence` and `gruSequence`
 * (exported from 'unfold'; they also release the tapes); `apply` is internal, so the example
 * runs inside src/ops.
 *
 * @example
 * ```ts
 * import { apply } from './apply.js';
 * const y = apply('gruSequence', [xs, h0, cell.weightIh, cell.weightHh], { lengths: null, reverse: false, resetAfter: true });
 * // y [B, T+1, H]: the outputs, then the final h
 * ```
 */
export const FUSED_OPS: { [K in FusedOpName]: OpDef<K> } = {
  rnnSequence: {
    forward: (inputs, attrs) => {
      const [xs, h0, weightIh, weightHh, biasIh, biasHh] = inputs;
      const dims = checkSequenceInputs('rnnSequence', 1, xs, [h0], weightIh, weightHh, biasIh, biasHh, attrs);
      const args: RnnSequenceArgs = {
        ...dims, x: xs.data, h0: h0.data, weightIh: weightIh.data, weightHh: weightHh.data,
        biasIh: biasIh?.data ?? null, biasHh: biasHh?.data ?? null, reverse: attrs.reverse, relu: attrs.nonlinearity === 'relu',
      };
      const y = new Tensor(allocate(xs.dtype, dims.batch * (dims.steps + 1) * dims.hiddenSize), [dims.batch, dims.steps + 1, dims.hiddenSize]);
      rnnSequenceForward(args, rnnTapes.take(args, y), y.data);
      return y;
    },
    backward: (g, { inputs, output }) => {
      const { args, tape } = rnnTapes.get('rnnSequence', output);
      const [xs, h0, weightIh, weightHh, biasIh, biasHh] = inputs;
      const grads = {
        dx: gradFor(xs), dh0: gradFor(h0), dWeightIh: gradFor(weightIh), dWeightHh: gradFor(weightHh),
        dBiasIh: gradFor(biasIh), dBiasHh: gradFor(biasHh),
      };
      rnnSequenceBackward(args, tape, g.data, grads);
      const [dx, dh0, dWih, dWhh] = [asTensor(grads.dx, xs), asTensor(grads.dh0, h0), asTensor(grads.dWeightIh, weightIh), asTensor(grads.dWeightHh, weightHh)];
      return biasIh === undefined ? [dx, dh0, dWih, dWhh] : [dx, dh0, dWih, dWhh, asTensor(grads.dBiasIh, biasIh), asTensor(grads.dBiasHh, biasHh)];
    },
    // Every gradient is a new array (gradFor), filled by the kernel.
    freshGradients: true,
  },
  lstmSequence: {
    forward: (inputs, attrs) => {
      const [xs, h0, c0, weightIh, weightHh, biasIh, biasHh] = inputs;
      const dims = checkSequenceInputs('lstmSequence', 4, xs, [h0, c0], weightIh, weightHh, biasIh, biasHh, attrs);
      const args: LstmSequenceArgs = {
        ...dims, x: xs.data, h0: h0.data, c0: c0.data, weightIh: weightIh.data, weightHh: weightHh.data,
        biasIh: biasIh?.data ?? null, biasHh: biasHh?.data ?? null, reverse: attrs.reverse,
      };
      const y = new Tensor(allocate(xs.dtype, dims.batch * (dims.steps + 2) * dims.hiddenSize), [dims.batch, dims.steps + 2, dims.hiddenSize]);
      lstmSequenceForward(args, lstmTapes.take(args, y), y.data);
      return y;
    },
    backward: (g, { inputs, output }) => {
      const { args, tape } = lstmTapes.get('lstmSequence', output);
      const [xs, h0, c0, weightIh, weightHh, biasIh, biasHh] = inputs;
      const grads = {
        dx: gradFor(xs), dh0: gradFor(h0), dc0: gradFor(c0), dWeightIh: gradFor(weightIh), dWeightHh: gradFor(weightHh),
        dBiasIh: gradFor(biasIh), dBiasHh: gradFor(biasHh),
      };
      lstmSequenceBackward(args, tape, g.data, grads);
      const [dx, dh0, dc0, dWih, dWhh] = [
        asTensor(grads.dx, xs), asTensor(grads.dh0, h0), asTensor(grads.dc0, c0),
        asTensor(grads.dWeightIh, weightIh), asTensor(grads.dWeightHh, weightHh),
      ];
      return biasIh === undefined
        ? [dx, dh0, dc0, dWih, dWhh]
        : [dx, dh0, dc0, dWih, dWhh, asTensor(grads.dBiasIh, biasIh), asTensor(grads.dBiasHh, biasHh)];
    },
    // Every gradient is a new array (gradFor), filled by the kernel.
    freshGradients: true,
  },
  gruSequence: {
    forward: (inputs, attrs) => {
      const [xs, h0, weightIh, weightHh, biasIh, biasHh] = inputs;
      const dims = checkSequenceInputs('gruSequence', 3, xs, [h0], weightIh, weightHh, biasIh, biasHh, attrs);
      const args: GruSequenceArgs = {
        ...dims, x: xs.data, h0: h0.data, weightIh: weightIh.data, weightHh: weightHh.data,
        biasIh: biasIh?.data ?? null, biasHh: biasHh?.data ?? null, reverse: attrs.reverse, resetAfter: attrs.resetAfter,
      };
      const y = new Tensor(allocate(xs.dtype, dims.batch * (dims.steps + 1) * dims.hiddenSize), [dims.batch, dims.steps + 1, dims.hiddenSize]);
      gruSequenceForward(args, gruTapes.take(args, y), y.data);
      return y;
    },
    backward: (g, { inputs, output }) => {
      const { args, tape } = gruTapes.get('gruSequence', output);
      const [xs, h0, weightIh, weightHh, biasIh, biasHh] = inputs;
      const grads = {
        dx: gradFor(xs), dh0: gradFor(h0), dWeightIh: gradFor(weightIh), dWeightHh: gradFor(weightHh),
        dBiasIh: gradFor(biasIh), dBiasHh: gradFor(biasHh),
      };
      gruSequenceBackward(args, tape, g.data, grads);
      const [dx, dh0, dWih, dWhh] = [asTensor(grads.dx, xs), asTensor(grads.dh0, h0), asTensor(grads.dWeightIh, weightIh), asTensor(grads.dWeightHh, weightHh)];
      return biasIh === undefined ? [dx, dh0, dWih, dWhh] : [dx, dh0, dWih, dWhh, asTensor(grads.dBiasIh, biasIh), asTensor(grads.dBiasHh, biasHh)];
    },
    // Every gradient is a new array (gradFor), filled by the kernel.
    freshGradients: true,
  },
};
