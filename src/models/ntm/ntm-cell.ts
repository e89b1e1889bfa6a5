import { checkStepInput, type Cell, type CellState, type StepResult } from '../../cells/cell.js';
import { headLayout, type HeadOffsets } from '../../kernels/ntm-sequence.js';
import { LSTMCell, type LSTMState } from '../../cells/lstm-cell.js';
import { Linear, Module, parameter } from '../../nn/index.js';
import {
  add, broadcastTo, clamp, concat, ntmAddressing, ntmSequence, ntmWrite, sigmoid, slice, softmax, softplus, tanh, type NtmSequenceParams,
} from '../../ops/index.js';
import { ArgumentError, Rng, Tensor, allocate, type DType } from '../../tensor/index.js';
import { readMemory } from './addressing.js';

/** Controller kinds of a neural Turing machine: an LSTM, or one feed-forward tanh layer. */
export type NTMControllerKind = 'lstm' | 'ff';

/**
 * How the memory starts each sequence (Collier & Beel 2018 compare the three):
 * - `constant`: every value 1e-6, not trained (fastest to converge in their study);
 * - `learned`: a trained [N, M] parameter;
 * - `random`: N(0, 0.5^2) values drawn once when the model is built, not trained.
 */
export type NTMMemoryInit = 'constant' | 'learned' | 'random';

/** Config of an {@link NTMCell}. Serialisable; defaults in {@link NTM_DEFAULTS}. */
export interface NTMConfig {
  /** Features per input step. */
  readonly inputSize: number;
  /** Features per output step (logits; the tasks read them through a sigmoid). */
  readonly outputSize: number;
  readonly controller?: NTMControllerKind;
  /** Units of the controller. */
  readonly controllerSize?: number;
  /** N: memory slots. */
  readonly memorySlots?: number;
  /** M: values per slot. */
  readonly memoryWidth?: number;
  readonly readHeads?: number;
  readonly writeHeads?: number;
  /** r: shifts over offsets -r..r (3 positions for r = 1). */
  readonly shiftRange?: number;
  readonly memoryInit?: NTMMemoryInit;
  /** The controller's outputs (head parameters and output logits) are clipped to [-clip, clip]; 0 disables. */
  readonly clip?: number;
  readonly dtype?: DType;
}

/** The defaults of {@link NTMConfig}: Graves et al. 2014's copy-task machine (N = 128, M = 20, LSTM of 100 units, shifts -1..1), Collier & Beel's memory initialisation and clip. */
export const NTM_DEFAULTS = {
  controller: 'lstm', controllerSize: 100, memorySlots: 128, memoryWidth: 20, readHeads: 1, writeHeads: 1, shiftRange: 1,
  memoryInit: 'constant', clip: 20, dtype: 'float32',
} as const satisfies Omit<Required<NTMConfig>, 'inputSize' | 'outputSize'>;

/** A fully resolved {@link NTMConfig}. */
export type ResolvedNTMConfig = Required<NTMConfig>;

/** The state of a feed-forward controller: none. */
export type FeedForwardState = Record<never, never>;

/** The controller state type of each controller kind. */
export interface NTMControllerStates {
  lstm: LSTMState;
  ff: FeedForwardState;
}

/**
 * The memory side of a neural Turing machine's state: the memory itself, the last read
 * vectors (fed to the controller at the next step) and every head's last weighting.
 */
export type NTMMemoryState = {
  /** [B, N, M] */
  readonly memory: Tensor;
  /** One [B, M] read vector per read head. */
  readonly reads: readonly Tensor[];
  /** One [B, N] weighting per read head. */
  readonly readWeights: readonly Tensor[];
  /** One [B, N] weighting per write head. */
  readonly writeWeights: readonly Tensor[];
};

/** A neural Turing machine's state: its controller's state (h and c for an LSTM) beside the memory state. */
export type NTMState<C extends CellState = CellState> = C & NTMMemoryState;

/**
 * A one-layer feed-forward controller, h = tanh(W x + b): the NTM's memory is then its only
 * recurrent state, which makes the learned program easier to read (Graves et al. 2014).
 *
 * @example
 * ```ts
 * import { FeedForwardController, Rng, randn } from 'unfold';
 * const ff = new FeedForwardController({ inputSize: 29, hiddenSize: 100 }, new Rng(0));
 * ff.step(randn([4, 29], new Rng(1)), {}).output.shape; // [4, 100]
 * ```
 */
export class FeedForwardController extends Module implements Cell<FeedForwardState> {
  readonly kind = 'ff';
  readonly inputSize: number;
  readonly outputSize: number;
  readonly dtype: DType;
  readonly layer: Linear;

  constructor(config: { readonly inputSize: number; readonly hiddenSize: number; readonly dtype?: DType }, rng: Rng) {
    super();
    this.inputSize = config.inputSize;
    this.outputSize = config.hiddenSize;
    this.dtype = config.dtype ?? 'float32';
    this.layer = new Linear({ inFeatures: config.inputSize, outFeatures: config.hiddenSize, dtype: this.dtype, rng });
  }

  initialState(): FeedForwardState {
    return {};
  }

  step(x: Tensor, state: FeedForwardState): StepResult<FeedForwardState> {
    return { output: tanh(this.layer.forward(x)), state };
  }
}

/**
 * A neural Turing machine (Graves, Wayne & Danihelka 2014) as a recurrent cell: a
 * controller (LSTM or feed-forward) reads x(t) and the previous read vectors, and its output
 * h(t) parameterises every head through one linear layer, clipped to [-clip, clip]:
 *
 *     per head:  k = tanh(.), beta = softplus(.), g = sigmoid(.), s = softmax(.), gamma = 1 + softplus(.)
 *     per write head also: e = sigmoid(.), a = tanh(.)
 *     w = address(M(t-1), k, beta, g, s, gamma, w(t-1))           (eqs. 5-9; fused op ntmAddressing)
 *     r = w^T M(t-1)                                               read heads (eq. 2)
 *     M(t) = M(t-1) (1 - w e^T) + w a^T                            write heads in turn (eqs. 3-4)
 *     y(t) = clip(W_y [h(t); r_1..r_R] + b_y)                      logits
 *
 * Reads see the memory before this step's writes (as in Collier & Beel's reference
 * implementation). The initial read vectors and head weightings are learned, the weightings
 * as softmax of logits that start with every head focused on slot 0; the memory starts as
 * {@link NTMMemoryInit} says. Being a `Cell`, it runs under `scan` and trains by
 * back-propagation through time; `sequence` runs the same maths as one fused op.
 *
 * @example
 * ```ts
 * import { NTMCell, Rng, randn, scan, sigmoid } from 'unfold';
 * const ntm = new NTMCell({ inputSize: 9, outputSize: 8, memorySlots: 32 }, new Rng(0));
 * const xs = randn([2, 5, 9], new Rng(1));
 * const { outputs } = scan(ntm, xs);   // logits [2, 5, 8], one step at a time
 * const fast = ntm.sequence(xs);       // the same logits from the fused op
 * const bits = sigmoid(outputs);
 * ```
 */
export class NTMCell extends Module implements Cell<NTMState> {
  readonly kind = 'ntm';
  readonly config: ResolvedNTMConfig;
  readonly inputSize: number;
  readonly outputSize: number;
  readonly dtype: DType;
  readonly controller: LSTMCell | FeedForwardController;
  /** Maps the controller output to every head's parameters: [P, controllerSize]. */
  readonly heads: Linear;
  /** Maps [h; reads] to the output logits. */
  readonly output: Linear;
  /** [R, M] learned initial read vectors */
  readonly initialReads: Tensor;
  /** [R + W, N] logits of the learned initial weightings (read heads first) */
  readonly initialWeightLogits: Tensor;
  /** [N, M] the initial memory: a parameter when learned, else a fixed tensor */
  readonly initialMemory: Tensor;
  /** Where each head's parameters sit in a row of the head layer's output (read heads first). */
  private readonly layouts: readonly HeadOffsets[];

  constructor(config: NTMConfig, rng: Rng) {
    super();
    const c: ResolvedNTMConfig = { ...NTM_DEFAULTS, ...config };
    for (const key of ['inputSize', 'outputSize', 'controllerSize', 'memorySlots', 'memoryWidth', 'readHeads', 'writeHeads'] as const) {
      if (!Number.isInteger(c[key]) || c[key] < 1) throw new ArgumentError('NTMCell', `${key} must be a positive integer, got ${c[key]}`);
    }
    if (!Number.isInteger(c.shiftRange) || c.shiftRange < 0 || 2 * c.shiftRange + 1 > c.memorySlots) {
      throw new ArgumentError('NTMCell', `shiftRange must be an integer with 2 * shiftRange + 1 <= memorySlots, got ${c.shiftRange}`);
    }
    if (!(c.clip >= 0)) throw new ArgumentError('NTMCell', `clip must be >= 0, got ${c.clip}`);
    this.config = c;
    this.inputSize = c.inputSize;
    this.outputSize = c.outputSize;
    this.dtype = c.dtype;
    const N = c.memorySlots;
    const M = c.memoryWidth;
    const controllerInput = c.inputSize + c.readHeads * M;
    this.controller = c.controller === 'lstm'
      ? new LSTMCell({ inputSize: controllerInput, hiddenSize: c.controllerSize, dtype: c.dtype }, rng)
      : new FeedForwardController({ inputSize: controllerInput, hiddenSize: c.controllerSize, dtype: c.dtype }, rng);
    // The same layout as the fused kernel's, so `sequence` and `step` read the same numbers.
    const layout = headLayout(c.readHeads, c.writeHeads, M, 2 * c.shiftRange + 1);
    this.layouts = layout.heads;
    this.heads = new Linear({ inFeatures: c.controllerSize, outFeatures: layout.size, dtype: c.dtype, rng });
    this.output = new Linear({ inFeatures: c.controllerSize + c.readHeads * M, outFeatures: c.outputSize, dtype: c.dtype, rng });
    const k = 1 / Math.sqrt(M);
    this.initialReads = parameter(filled([c.readHeads, M], c.dtype, () => rng.uniformRange(-k, k)));
    // Every head starts focused on slot 0 (weight 0.9, the rest spread evenly): a uniform
    // start stays uniform under every shift, and a constant memory gives content addressing
    // nothing to tell slots apart, so a sharp starting point is what lets the location-based
    // addressing move a head slot by slot from the first step (learned from there on).
    const focus = Math.log((0.9 * (N - 1)) / 0.1);
    this.initialWeightLogits = parameter(filled([c.readHeads + c.writeHeads, N], c.dtype, () => 0));
    for (let h = 0; h < c.readHeads + c.writeHeads; h++) this.initialWeightLogits.data[h * N] = N > 1 ? focus : 0;
    if (c.memoryInit === 'learned') {
      this.initialMemory = parameter(filled([N, M], c.dtype, () => rng.uniformRange(-k, k)));
    } else if (c.memoryInit === 'random') {
      this.initialMemory = filled([N, M], c.dtype, () => 0.5 * rng.normal());
    } else {
      this.initialMemory = filled([N, M], c.dtype, () => 1e-6);
    }
  }

  /** The memory state before the first step, with the controller's zero state, batch B. */
  initialState(batch: number): NTMState {
    const { readHeads: R, memorySlots: N, memoryWidth: M } = this.config;
    const memory = broadcastTo(this.initialMemory, [batch, N, M]);
    const reads = Array.from({ length: R }, (_, i) => broadcastTo(slice(this.initialReads, [i, 0], [1, M]), [batch, M]));
    const weights = softmax(this.initialWeightLogits, -1);
    const rows = Array.from({ length: R + this.config.writeHeads }, (_, i) => broadcastTo(slice(weights, [i, 0], [1, N]), [batch, N]));
    return {
      ...this.controller.initialState(batch),
      memory, reads, readWeights: rows.slice(0, R), writeWeights: rows.slice(R),
    };
  }

  step(x: Tensor, state: NTMState): StepResult<NTMState> {
    checkStepInput(this, x);
    const c = this.config;
    const M = c.memoryWidth;
    const K = 2 * c.shiftRange + 1;
    const B = x.shape[0] as number;
    const { memory, reads, readWeights, writeWeights, ...controllerState } = state;
    // The controller's own state keys (h and c for an LSTM, none feed-forward) ride in the same record.
    const controller: Cell = this.controller;
    const stepped = controller.step(concat([x, ...reads], 1), controllerState);
    const h = stepped.output;
    const params = this.clip(this.heads.forward(h));
    const take = (offset: number, size: number): Tensor => slice(params, [0, offset], [B, size]);

    const newReadWeights: Tensor[] = [];
    const newWriteWeights: Tensor[] = [];
    const writes: { w: Tensor; erase: Tensor; add: Tensor }[] = [];
    this.layouts.forEach((o, i) => {
      const key = tanh(take(o.key, M));
      const beta = softplus(take(o.beta, 1));
      const gate = sigmoid(take(o.gate, 1));
      const shift = softmax(take(o.shift, K), -1);
      const gamma = add(softplus(take(o.gamma, 1)), 1);
      const write = o.erase >= 0;
      const previous = (write ? writeWeights[i - c.readHeads] : readWeights[i]) as Tensor;
      const w = ntmAddressing(memory, key, beta, gate, shift, gamma, previous);
      if (write) {
        newWriteWeights.push(w);
        writes.push({ w, erase: sigmoid(take(o.erase, M)), add: tanh(take(o.add, M)) });
      } else {
        newReadWeights.push(w);
      }
    });
    const newReads = newReadWeights.map((w) => readMemory(memory, w));
    let next = memory;
    for (const write of writes) next = ntmWrite(next, write.w, write.erase, write.add);
    const logits = this.clip(this.output.forward(concat([h, ...newReads], 1)));
    return {
      output: logits,
      state: { ...stepped.state, memory: next, reads: newReads, readWeights: newReadWeights, writeWeights: newWriteWeights },
    };
  }

  /** The parameters in the layout of the fused `ntmSequence` op (initial weightings as softmax of their logits). */
  sequenceParams(): NtmSequenceParams {
    const ctrl = this.controller;
    const lstm = ctrl instanceof LSTMCell;
    const weightIh = lstm ? ctrl.weightIh : ctrl.layer.weight;
    const biasIh = lstm ? ctrl.biasIh : ctrl.layer.bias;
    if (biasIh === null || (lstm && ctrl.biasHh === null)) throw new ArgumentError('NTMCell', 'the fused run needs controller biases');
    return {
      initialMemory: this.initialMemory, initialReads: this.initialReads, initialWeights: softmax(this.initialWeightLogits, -1),
      headsWeight: this.heads.weight, headsBias: this.heads.bias as Tensor, outputWeight: this.output.weight, outputBias: this.output.bias as Tensor,
      weightIh, biasIh, weightHh: lstm ? ctrl.weightHh : null, biasHh: lstm ? ctrl.biasHh : null,
    };
  }

  /**
   * The whole sequence xs [B, T, inputSize] as ONE fused op (kernels/ntm-sequence.ts): the
   * output logits [B, T, outputSize], equal to `scan(cell, xs).outputs` and several times
   * faster to run and back-propagate. The per-step states are not kept as tensors; use
   * `scan` or `traceNtm` to look at them.
   *
   * @example
   * ```ts
   * const logits = ntm.sequence(xs); // [B, T, 8]
   * ```
   */
  sequence(xs: Tensor): Tensor {
    if (xs.rank !== 3 || xs.shape[2] !== this.inputSize) {
      throw new ArgumentError('NTMCell.sequence', `input must be [batch, time, ${this.inputSize}], got [${xs.shape.join(',')}]`);
    }
    const c = this.config;
    return ntmSequence(xs, this.sequenceParams(), { readHeads: c.readHeads, writeHeads: c.writeHeads, shiftRange: c.shiftRange, clip: c.clip });
  }

  private clip(t: Tensor): Tensor {
    return this.config.clip > 0 ? clamp(t, -this.config.clip, this.config.clip) : t;
  }
}

function filled(shape: readonly number[], dtype: DType, value: () => number): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  const data = allocate(dtype, size);
  for (let i = 0; i < size; i++) data[i] = value();
  return new Tensor(data, shape);
}
