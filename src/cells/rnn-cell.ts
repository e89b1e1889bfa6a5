import { Module } from '../nn/index.js';
import { add, matmul, relu, rnnSequence, tanh } from '../ops/index.js';
import { Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import {
  checkBaseConfig, checkStepInput, type BaseCellConfig, type Cell, type SequenceRunOptions, type SequenceRunResult, type StepKernel,
  type StepResult,
} from './cell.js';
import { stepperWeights, uniformParameter } from './params.js';

/** Config of an {@link RNNCell}. */
export interface RNNCellConfig extends BaseCellConfig {
  /** The activation: 'tanh' (default, the book's equation) or 'relu'. */
  readonly nonlinearity?: 'tanh' | 'relu';
  /** Include the biases (default true). */
  readonly bias?: boolean;
}

/** The state of an Elman RNN: the hidden vector. */
export type RNNState = { readonly h: Tensor };

/**
 * The Elman recurrent cell (the chapter's equation 10.8, PyTorch's nn.RNNCell):
 *
 *     h(t) = tanh(b + W h(t-1) + U x(t))
 *          = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
 *
 * with U = weightIh [H, I], W = weightHh [H, H] and b = biasIh + biasHh (two biases, as
 * in PyTorch, so its weights load unchanged). Initialised U(-1/sqrt(H), 1/sqrt(H)).
 *
 * @example
 * ```ts
 * const cell = new RNNCell({ inputSize: 10, hiddenSize: 32 }, new Rng(0));
 * const { output } = cell.step(x, cell.initialState(4)); // x [4, 10] -> [4, 32]
 * ```
 */
export class RNNCell extends Module implements Cell<RNNState> {
  readonly kind = 'rnn';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly dtype: DType;
  readonly nonlinearity: 'tanh' | 'relu';
  /** U: [hiddenSize, inputSize] */
  readonly weightIh: Tensor;
  /** W: [hiddenSize, hiddenSize] */
  readonly weightHh: Tensor;
  /** [hiddenSize], or null without bias */
  readonly biasIh: Tensor | null;
  /** [hiddenSize], or null without bias */
  readonly biasHh: Tensor | null;

  constructor(config: RNNCellConfig, rng: Rng) {
    super();
    checkBaseConfig('rnn', config);
    const { inputSize: i, hiddenSize: h } = config;
    this.inputSize = i;
    this.hiddenSize = h;
    this.outputSize = h;
    this.dtype = config.dtype ?? 'float32';
    this.nonlinearity = config.nonlinearity ?? 'tanh';
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([h, h], k, rng, this.dtype);
    const bias = config.bias ?? true;
    this.biasIh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    this.biasHh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
  }

  initialState(batch: number): RNNState {
    return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }) };
  }

  /** The pre-activation a(t) = x W_ih^T + b_ih + h W_hh^T + b_hh. */
  preActivation(x: Tensor, h: Tensor): Tensor {
    let a = add(matmul(x, this.weightIh, { transB: true }), matmul(h, this.weightHh, { transB: true }));
    if (this.biasIh !== null && this.biasHh !== null) a = add(a, add(this.biasIh, this.biasHh));
    return a;
  }

  step(x: Tensor, state: RNNState): StepResult<RNNState> {
    checkStepInput(this, x);
    const a = this.preActivation(x, state.h);
    const h = this.nonlinearity === 'tanh' ? tanh(a) : relu(a);
    return { output: h, state: { h } };
  }

  /**
   * The whole sequence as one fused `rnnSequence` op (every configuration is covered); null in
   * a subclass that overrides `step`.
   */
  scanFused(xs: Tensor, initialState: RNNState, options: SequenceRunOptions): SequenceRunResult<RNNState> | null {
    // A subclass with its own step is no longer what the kernel computes.
    if (this.step !== RNNCell.prototype.step) return null;
    const { outputs, h } = rnnSequence(xs, initialState.h, this, { ...options, nonlinearity: this.nonlinearity });
    return { outputs, finalState: { h } };
  }

  /**
   * The `rnn` step kernel for generation (tanh or relu); null for float64 and in a subclass that
   * overrides `step`.
   */
  stepKernel(): StepKernel | null {
    // float64 has no step kernel; a subclass with its own step is no longer what it computes.
    if (this.dtype !== 'float32' || this.step !== RNNCell.prototype.step) return null;
    return { cell: { kind: 'rnn', relu: this.nonlinearity === 'relu' }, weights: stepperWeights(this) };
  }
}
