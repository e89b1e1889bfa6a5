import { Module } from '../nn/index.js';
import { add, chunk, gruSequence, matmul, mul, sigmoid, slice, sub, tanh } from '../ops/index.js';
import { Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import {
  checkBaseConfig, checkStepInput, type BaseCellConfig, type Cell, type SequenceRunOptions, type SequenceRunResult, type StepKernel,
  type StepResult,
} from './cell.js';
import { stepperWeights, uniformParameter } from './params.js';

/** Config of a {@link GRUCell}. */
export interface GRUCellConfig extends BaseCellConfig {
  /** Include the biases (default true). */
  readonly bias?: boolean;
  /**
   * Where the reset gate acts. true (default; PyTorch, cuDNN, Keras 3): on the recurrent
   * product, r * (W_hn h + b_hn). false (the book's equation 10.46 and Cho et al. 2014):
   * on the state before the product, W_hn (r * h) + b_hn.
   */
  readonly resetAfter?: boolean;
}

/** The state of a GRU: the hidden vector. */
export type GRUState = { readonly h: Tensor };

/**
 * Gated recurrent unit (Cho et al. 2014; the chapter's section 10.10.2), PyTorch's gate
 * order r, z, n:
 *
 *     r = sigma(x W_ir^T + b_ir + h W_hr^T + b_hr)
 *     z = sigma(x W_iz^T + b_iz + h W_hz^T + b_hz)
 *     n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))        resetAfter = true
 *     n = tanh(x W_in^T + b_in + (r * h) W_hn^T + b_hn)        resetAfter = false
 *     h(t) = (1 - z) * n + z * h(t-1)
 *
 * z is the book's update gate u: it chooses per unit between copying the old state and
 * writing the new candidate.
 *
 * @example
 * ```ts
 * const cell = new GRUCell({ inputSize: 8, hiddenSize: 32, resetAfter: false }, new Rng(0));
 * ```
 */
export class GRUCell extends Module implements Cell<GRUState> {
  readonly kind = 'gru';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly dtype: DType;
  readonly resetAfter: boolean;
  /** [3 * hiddenSize, inputSize], gates stacked r, z, n */
  readonly weightIh: Tensor;
  /** [3 * hiddenSize, hiddenSize] */
  readonly weightHh: Tensor;
  /** [3 * hiddenSize] or null */
  readonly biasIh: Tensor | null;
  /** [3 * hiddenSize] or null */
  readonly biasHh: Tensor | null;

  constructor(config: GRUCellConfig, rng: Rng) {
    super();
    checkBaseConfig('gru', config);
    const { inputSize: i, hiddenSize: h } = config;
    this.inputSize = i;
    this.hiddenSize = h;
    this.outputSize = h;
    this.dtype = config.dtype ?? 'float32';
    this.resetAfter = config.resetAfter ?? true;
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([3 * h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([3 * h, h], k, rng, this.dtype);
    const bias = config.bias ?? true;
    this.biasIh = bias ? uniformParameter([3 * h], k, rng, this.dtype) : null;
    this.biasHh = bias ? uniformParameter([3 * h], k, rng, this.dtype) : null;
  }

  initialState(batch: number): GRUState {
    return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }) };
  }

  step(x: Tensor, state: GRUState): StepResult<GRUState> {
    checkStepInput(this, x);
    const H = this.hiddenSize;
    let gi = matmul(x, this.weightIh, { transB: true });
    if (this.biasIh !== null) gi = add(gi, this.biasIh);
    const [xr, xz, xn] = chunk(gi, 3, -1) as [Tensor, Tensor, Tensor];
    const h0 = state.h;
    let n: Tensor;
    let r: Tensor;
    let z: Tensor;
    if (this.resetAfter) {
      let gh = matmul(h0, this.weightHh, { transB: true });
      if (this.biasHh !== null) gh = add(gh, this.biasHh);
      const [hr, hz, hn] = chunk(gh, 3, -1) as [Tensor, Tensor, Tensor];
      r = sigmoid(add(xr, hr));
      z = sigmoid(add(xz, hz));
      n = tanh(add(xn, mul(r, hn)));
    } else {
      // The reset gate must act before the candidate's recurrent product, so the r,z rows
      // and the n rows of W_hh are applied separately.
      const wRz = slice(this.weightHh, [0, 0], [2 * H, H]);
      const wN = slice(this.weightHh, [2 * H, 0], [H, H]);
      let gh = matmul(h0, wRz, { transB: true });
      if (this.biasHh !== null) gh = add(gh, slice(this.biasHh, [0], [2 * H]));
      const [hr, hz] = chunk(gh, 2, -1) as [Tensor, Tensor];
      r = sigmoid(add(xr, hr));
      z = sigmoid(add(xz, hz));
      let hn = matmul(mul(r, h0), wN, { transB: true });
      if (this.biasHh !== null) hn = add(hn, slice(this.biasHh, [2 * H], [H]));
      n = tanh(add(xn, hn));
    }
    const h = add(n, mul(z, sub(h0, n)));
    return { output: h, state: { h } };
  }

  /**
   * The whole sequence as one fused `gruSequence` op (both reset forms are covered); null in a
   * subclass that overrides `step`.
   */
  scanFused(xs: Tensor, initialState: GRUState, options: SequenceRunOptions): SequenceRunResult<GRUState> | null {
    // A subclass with its own step is no longer what the kernel computes.
    if (this.step !== GRUCell.prototype.step) return null;
    const { outputs, h } = gruSequence(xs, initialState.h, this, { ...options, resetAfter: this.resetAfter });
    return { outputs, finalState: { h } };
  }

  /**
   * The `gru` step kernel for generation (both reset forms); null for float64 and in a subclass
   * that overrides `step`.
   */
  stepKernel(): StepKernel | null {
    // float64 has no step kernel; a subclass with its own step is no longer what it computes.
    if (this.dtype !== 'float32' || this.step !== GRUCell.prototype.step) return null;
    return { cell: { kind: 'gru', resetAfter: this.resetAfter }, weights: stepperWeights(this) };
  }
}
