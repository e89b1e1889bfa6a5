import { Module } from '../nn/index.js';
import { add, matmul, mul, sigmoid, sub, tanh } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, allocate, zeros, type DType } from '../tensor/index.js';
import { checkBaseConfig, checkStepInput, type BaseCellConfig, type Cell, type StepResult } from './cell.js';
import { uniformParameter } from './params.js';

/** Config of a {@link LeakyCell}. */
export interface LeakyCellConfig extends BaseCellConfig {
  /**
   * Time constant tau of each unit, every one >= 1: one number for all units or
   * hiddenSize numbers (default 2). With `learnTimeConstants` these are the initial values.
   */
  readonly timeConstants?: number | readonly number[];
  /** Learn the time constants by gradient descent (default false: they stay fixed). */
  readonly learnTimeConstants?: boolean;
  /** Include the biases (default true). */
  readonly bias?: boolean;
}

/** The defaults of {@link LeakyCellConfig}, in one place. */
export const LEAKY_DEFAULTS = { timeConstants: 2, learnTimeConstants: false, bias: true } as const;

/** The state of a leaky RNN: the hidden vector. */
export type LeakyState = { readonly h: Tensor };

/**
 * The logit theta with sigmoid(theta) = 1/tau. tau = 1 would need theta = +infinity; 20
 * gives 1/tau = 1 - 2e-9, indistinguishable in float32 and still trainable.
 */
function logitOfInverse(tau: number): number {
  return tau - 1 < Math.exp(-20) ? 20 : -Math.log(tau - 1);
}

/**
 * Leaky integrator units (the chapter's section 10.9.2; Mozer 1992, Jaeger et al. 2007):
 * each hidden unit is a running average of an Elman update, with its own time constant
 * tau >= 1 per unit,
 *
 *     h(t) = (1 - 1/tau) * h(t-1) + (1/tau) * tanh(b + W h(t-1) + U x(t))
 *
 * with U = weightIh [H, I], W = weightHh [H, H] and b = biasIh + biasHh, as in
 * {@link RNNCell} (so tau = 1 is exactly the Elman cell with the same weights). A unit
 * with a large tau changes by at most 2/tau per step and remembers for about tau steps:
 * the self-loop weight 1 - 1/tau is near one, so gradients along it barely shrink.
 *
 * Fixed time constants are a constant, untrained tensor. Learned ones are parameterised
 * by a logit theta per unit with 1/tau = sigmoid(theta), i.e. tau = 1 + exp(-theta): any
 * real theta keeps tau > 1, so no projection or clipping is needed during training.
 *
 * @example
 * ```ts
 * const cell = new LeakyCell({ inputSize: 3, hiddenSize: 8, timeConstants: [1, 1, 2, 2, 4, 4, 16, 16] }, new Rng(0));
 * const { output } = cell.step(x, cell.initialState(2)); // x [2, 3] -> [2, 8]
 * cell.timeConstants(); // [1, 1, 2, 2, 4, 4, 16, 16]
 * ```
 */
export class LeakyCell extends Module implements Cell<LeakyState> {
  readonly kind = 'leaky';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly dtype: DType;
  /** U: [hiddenSize, inputSize] */
  readonly weightIh: Tensor;
  /** W: [hiddenSize, hiddenSize] */
  readonly weightHh: Tensor;
  /** [hiddenSize], or null without bias */
  readonly biasIh: Tensor | null;
  /** [hiddenSize], or null without bias */
  readonly biasHh: Tensor | null;
  /** theta: [hiddenSize] with 1/tau = sigmoid(theta) when learned, else null. */
  readonly timeConstantLogit: Tensor | null;
  /** 1/tau: [hiddenSize], a constant (not a parameter) when the time constants are fixed, else null. */
  readonly inverseTimeConstant: Tensor | null;

  constructor(config: LeakyCellConfig, rng: Rng) {
    super();
    checkBaseConfig('leaky', config);
    const { inputSize: i, hiddenSize: h } = config;
    this.inputSize = i;
    this.hiddenSize = h;
    this.outputSize = h;
    this.dtype = config.dtype ?? 'float32';
    const taus = expandTimeConstants(config.timeConstants ?? LEAKY_DEFAULTS.timeConstants, h);
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([h, h], k, rng, this.dtype);
    const bias = config.bias ?? LEAKY_DEFAULTS.bias;
    this.biasIh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    this.biasHh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    const values = allocate(this.dtype, h);
    if (config.learnTimeConstants ?? LEAKY_DEFAULTS.learnTimeConstants) {
      taus.forEach((tau, j) => (values[j] = logitOfInverse(tau)));
      this.timeConstantLogit = new Tensor(values, [h], true);
      this.inverseTimeConstant = null;
    } else {
      taus.forEach((tau, j) => (values[j] = 1 / tau));
      this.timeConstantLogit = null;
      this.inverseTimeConstant = new Tensor(values, [h]);
    }
  }

  initialState(batch: number): LeakyState {
    return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }) };
  }

  /** 1/tau per unit, [hiddenSize] (a function of the parameters when learned). */
  inverseTimeConstants(): Tensor {
    return this.timeConstantLogit === null ? (this.inverseTimeConstant as Tensor) : sigmoid(this.timeConstantLogit);
  }

  /** The current time constants tau per unit, as numbers. */
  timeConstants(): number[] {
    return Array.from(this.inverseTimeConstants().data, (a) => 1 / a);
  }

  step(x: Tensor, state: LeakyState): StepResult<LeakyState> {
    checkStepInput(this, x);
    let a = add(matmul(x, this.weightIh, { transB: true }), matmul(state.h, this.weightHh, { transB: true }));
    if (this.biasIh !== null && this.biasHh !== null) a = add(a, add(this.biasIh, this.biasHh));
    const alpha = this.inverseTimeConstants();
    // (1 - alpha) h + alpha f rather than h + alpha (f - h): with alpha = 1 this is f
    // exactly (0 * h vanishes), so tau = 1 reproduces the Elman cell bit for bit.
    const h = add(mul(sub(1, alpha), state.h), mul(alpha, tanh(a)));
    return { output: h, state: { h } };
  }
}

function expandTimeConstants(value: number | readonly number[], hidden: number): number[] {
  const taus = typeof value === 'number' ? new Array<number>(hidden).fill(value) : [...value];
  if (taus.length !== hidden) {
    throw new ArgumentError('leaky cell', `timeConstants has ${taus.length} entries for hiddenSize ${hidden}`);
  }
  taus.forEach((tau, j) => {
    if (!(Number.isFinite(tau) && tau >= 1)) {
      throw new ArgumentError('leaky cell', `timeConstants[${j}] = ${tau}: each time constant must be a finite number >= 1`);
    }
  });
  return taus;
}
