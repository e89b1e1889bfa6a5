import { Module } from '../nn/index.js';
import { add, chunk, lstmSequence, matmul, mul, sigmoid, tanh } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import {
  checkBaseConfig, checkStepInput, type BaseCellConfig, type Cell, type SequenceRunOptions, type SequenceRunResult, type StepKernel,
  type StepResult,
} from './cell.js';
import { stepperWeights, uniformParameter } from './params.js';

/** Config of an {@link LSTMCell}. */
export interface LSTMCellConfig extends BaseCellConfig {
  /** Include the biases (default true). */
  readonly bias?: boolean;
  /**
   * Initial forget-gate bias (default 1, as Keras' unit_forget_bias and Jozefowicz et al.
   * 2015 recommend: the cell starts by remembering). The forget rows (H..2H) of b_ih are
   * set to it and those of b_hh to 0, so the gate's total bias is exactly this value; 0
   * gives an unbiased start (PyTorch instead draws these rows at random like the others).
   * Ignored when `bias` is false.
   */
  readonly forgetBias?: number;
  /** Peephole connections from the cell state into the gates (Gers & Schmidhuber 2000). */
  readonly peephole?: boolean;
  /** Project h to this many units (PyTorch's proj_size); 0 or absent for none. */
  readonly projSize?: number;
}

/** The state of an LSTM: hidden output h [B, P or H] and cell c [B, H]. */
export type LSTMState = { readonly h: Tensor; readonly c: Tensor };

/**
 * Long short-term memory (Hochreiter & Schmidhuber 1997; the chapter's section 10.10.1),
 * in PyTorch's formulation and gate order i, f, g, o:
 *
 *     [i f g o] = x W_ih^T + b_ih + h(t-1) W_hh^T + b_hh        (each [B, H])
 *     i = sigma(i + w_ci * c(t-1)),  f = sigma(f + w_cf * c(t-1))  (peepholes optional)
 *     g = tanh(g)
 *     c(t) = f * c(t-1) + i * g
 *     o = sigma(o + w_co * c(t))
 *     h(t) = o * tanh(c(t))          then h(t) = h(t) W_hr^T with a projection
 *
 * The self-loop weight of the cell state is the forget gate f: gradients through c pass
 * multiplied by f, not by a fixed matrix, which is why LSTMs carry long-range information.
 *
 * @example
 * ```ts
 * const cell = new LSTMCell({ inputSize: 8, hiddenSize: 64, projSize: 32 }, new Rng(0));
 * const { output, state } = cell.step(x, cell.initialState(4)); // output [4, 32]; state.c [4, 64]
 * ```
 */
export class LSTMCell extends Module implements Cell<LSTMState> {
  readonly kind = 'lstm';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly projSize: number;
  readonly dtype: DType;
  /** [4 * hiddenSize, inputSize], gates stacked i, f, g, o */
  readonly weightIh: Tensor;
  /** [4 * hiddenSize, outputSize] (outputSize = projSize or hiddenSize) */
  readonly weightHh: Tensor;
  /** [4 * hiddenSize] or null */
  readonly biasIh: Tensor | null;
  /** [4 * hiddenSize] or null */
  readonly biasHh: Tensor | null;
  /** [projSize, hiddenSize] or null */
  readonly weightHr: Tensor | null;
  /** Peephole weights [hiddenSize] for the input, forget and output gates, or null. */
  readonly weightCi: Tensor | null;
  readonly weightCf: Tensor | null;
  readonly weightCo: Tensor | null;

  constructor(config: LSTMCellConfig, rng: Rng) {
    super();
    checkBaseConfig('lstm', config);
    const { inputSize: i, hiddenSize: h } = config;
    const p = config.projSize ?? 0;
    if (!Number.isInteger(p) || p < 0 || p >= h && p !== 0) {
      throw new ArgumentError('lstm cell', `projSize must be an integer in 0..hiddenSize-1 (as in PyTorch), got ${p}`);
    }
    this.inputSize = i;
    this.hiddenSize = h;
    this.projSize = p;
    this.outputSize = p > 0 ? p : h;
    this.dtype = config.dtype ?? 'float32';
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([4 * h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([4 * h, this.outputSize], k, rng, this.dtype);
    const bias = config.bias ?? true;
    this.biasIh = bias ? uniformParameter([4 * h], k, rng, this.dtype) : null;
    this.biasHh = bias ? uniformParameter([4 * h], k, rng, this.dtype) : null;
    if (this.biasIh !== null && this.biasHh !== null) {
      const forget = config.forgetBias ?? 1;
      for (let j = h; j < 2 * h; j++) {
        this.biasIh.data[j] = forget;
        this.biasHh.data[j] = 0;
      }
    }
    this.weightHr = p > 0 ? uniformParameter([p, h], k, rng, this.dtype) : null;
    const peep = config.peephole ?? false;
    this.weightCi = peep ? uniformParameter([h], k, rng, this.dtype) : null;
    this.weightCf = peep ? uniformParameter([h], k, rng, this.dtype) : null;
    this.weightCo = peep ? uniformParameter([h], k, rng, this.dtype) : null;
  }

  initialState(batch: number): LSTMState {
    return {
      h: zeros([batch, this.outputSize], { dtype: this.dtype }),
      c: zeros([batch, this.hiddenSize], { dtype: this.dtype }),
    };
  }

  step(x: Tensor, state: LSTMState): StepResult<LSTMState> {
    checkStepInput(this, x);
    let gates = add(matmul(x, this.weightIh, { transB: true }), matmul(state.h, this.weightHh, { transB: true }));
    if (this.biasIh !== null && this.biasHh !== null) gates = add(gates, add(this.biasIh, this.biasHh));
    let [i, f, g, o] = chunk(gates, 4, -1) as [Tensor, Tensor, Tensor, Tensor];
    if (this.weightCi !== null && this.weightCf !== null) {
      i = add(i, mul(state.c, this.weightCi));
      f = add(f, mul(state.c, this.weightCf));
    }
    const c = add(mul(sigmoid(f), state.c), mul(sigmoid(i), tanh(g)));
    if (this.weightCo !== null) o = add(o, mul(c, this.weightCo));
    let h = mul(sigmoid(o), tanh(c));
    if (this.weightHr !== null) h = matmul(h, this.weightHr, { transB: true });
    return { output: h, state: { h, c } };
  }

  /**
   * The whole sequence as one fused `lstmSequence` op; null (so scan composes `step`) with
   * peepholes or a projection, which the fused kernel does not implement, and in a subclass
   * that overrides `step`.
   */
  scanFused(xs: Tensor, initialState: LSTMState, options: SequenceRunOptions): SequenceRunResult<LSTMState> | null {
    // A subclass with its own step is no longer what the kernel computes.
    if (this.step !== LSTMCell.prototype.step) return null;
    if (this.weightHr !== null || this.weightCi !== null || this.weightCf !== null || this.weightCo !== null) return null;
    const { outputs, h, c } = lstmSequence(xs, initialState.h, initialState.c, this, options);
    return { outputs, finalState: { h, c } };
  }

  /**
   * The `lstm` step kernel for generation; null (so callers compose `step`) for float64, with
   * peepholes or a projection, which the kernel does not implement, and in a subclass that
   * overrides `step`.
   */
  stepKernel(): StepKernel | null {
    // float64 has no step kernel; a subclass with its own step is no longer what it computes.
    if (this.dtype !== 'float32' || this.step !== LSTMCell.prototype.step) return null;
    if (this.weightHr !== null || this.weightCi !== null || this.weightCf !== null || this.weightCo !== null) return null;
    return { cell: { kind: 'lstm' }, weights: stepperWeights(this) };
  }
}
