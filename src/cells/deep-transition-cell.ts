import { Module } from '../nn/index.js';
import { add, matmul, tanh } from '../ops/index.js';
import { ArgumentError, Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import { checkBaseConfig, checkStepInput, type BaseCellConfig, type Cell, type StepResult } from './cell.js';
import { uniformParameter } from './params.js';

/** Config of a {@link DeepTransitionCell}. */
export interface DeepTransitionCellConfig extends BaseCellConfig {
  /** L >= 1: hidden layers of the MLP between h(t-1) and h(t) (default 1). */
  readonly transitionLayers?: number;
  /** S: units in each of those layers (default hiddenSize). */
  readonly transitionSize?: number;
  /** Add W_s h(t-1) straight into h(t)'s pre-activation, Figure 10.13c (default false: Figure 10.13b). */
  readonly skip?: boolean;
  /** Include the biases (default true). */
  readonly bias?: boolean;
}

/** The defaults of {@link DeepTransitionCellConfig}, in one place (transitionSize defaults to hiddenSize). */
export const DEEP_TRANSITION_DEFAULTS = { transitionLayers: 1, skip: false, bias: true } as const;

/** The state of a {@link DeepTransitionCell}: the hidden vector. */
export type DeepTransitionState = { readonly h: Tensor };

/** One layer of the transition MLP: z = tanh(z_prev W^T + b). */
export interface TransitionLayer {
  /** [outFeatures, inFeatures]: [S, S] inside the MLP, [hiddenSize, S] for the last layer. */
  readonly weight: Tensor;
  /** [outFeatures], or null without bias */
  readonly bias: Tensor | null;
}

/**
 * A recurrent cell whose hidden-to-hidden transition is a deep MLP (the chapter's section
 * 10.5, Figure 10.13b; Pascanu, Gulcehre, Cho & Bengio 2014's DT-RNN), optionally with a
 * skip connection from h(t-1) into h(t) (Figure 10.13c, their DT(S)-RNN):
 *
 *     z_1  = tanh(b_1 + W_1 h(t-1) + U x(t))                       [B, S]
 *     z_l  = tanh(b_l + W_l z_(l-1)),        l = 2..L               [B, S]
 *     h(t) = tanh(b_o + W_o z_L [+ W_s h(t-1)])                     [B, H]
 *
 * with U = weightIh [S, I], W_1 = weightHh [S, H], b_1 = biasIh [S], layers 2..L and the
 * output layer (W_o, b_o) in `transition`, and W_s = weightSkip [H, H].
 *
 * Depth between steps adds representational power but lengthens every path through time:
 * from h(t-1) to h(t) the gradient crosses L + 1 tanh layers instead of one, so it vanishes
 * over fewer steps. The skip term restores a one-layer path h(t-1) -> h(t) beside the deep
 * one, which is what the figure's panel (c) is for.
 *
 * @example
 * ```ts
 * const cell = new DeepTransitionCell({ inputSize: 3, hiddenSize: 16, transitionLayers: 2, skip: true }, new Rng(0));
 * const { output } = cell.step(x, cell.initialState(4)); // x [4, 3] -> [4, 16]
 * ```
 */
export class DeepTransitionCell extends Module implements Cell<DeepTransitionState> {
  readonly kind = 'deep-transition';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly outputSize: number;
  readonly transitionSize: number;
  readonly dtype: DType;
  /** U: [transitionSize, inputSize] */
  readonly weightIh: Tensor;
  /** W_1: [transitionSize, hiddenSize] */
  readonly weightHh: Tensor;
  /** b_1: [transitionSize], or null without bias */
  readonly biasIh: Tensor | null;
  /** Layers 2..L ([S, S] weights) then the output layer ([hiddenSize, S] weight). */
  readonly transition: readonly TransitionLayer[];
  /** W_s: [hiddenSize, hiddenSize] with skip, else null */
  readonly weightSkip: Tensor | null;

  constructor(config: DeepTransitionCellConfig, rng: Rng) {
    super();
    checkBaseConfig('deep-transition', config);
    const { inputSize: i, hiddenSize: h } = config;
    const layers = config.transitionLayers ?? DEEP_TRANSITION_DEFAULTS.transitionLayers;
    const s = config.transitionSize ?? h;
    if (!Number.isInteger(layers) || layers < 1) {
      throw new ArgumentError('deep-transition cell', `transitionLayers must be an integer >= 1, got ${layers}`);
    }
    if (!Number.isInteger(s) || s < 1) throw new ArgumentError('deep-transition cell', `transitionSize must be a positive integer, got ${s}`);
    this.inputSize = i;
    this.hiddenSize = h;
    this.outputSize = h;
    this.transitionSize = s;
    this.dtype = config.dtype ?? 'float32';
    const bias = config.bias ?? DEEP_TRANSITION_DEFAULTS.bias;
    // Each layer U(-1/sqrt(fan_in), 1/sqrt(fan_in)), PyTorch's default for RNN and Linear
    // layers; the first layer's fan-in is taken as H, as for the Elman cell.
    const kh = 1 / Math.sqrt(h);
    const ks = 1 / Math.sqrt(s);
    this.weightIh = uniformParameter([s, i], kh, rng, this.dtype);
    this.weightHh = uniformParameter([s, h], kh, rng, this.dtype);
    this.biasIh = bias ? uniformParameter([s], kh, rng, this.dtype) : null;
    this.transition = Array.from({ length: layers }, (_, l) => {
      const out = l === layers - 1 ? h : s;
      return {
        weight: uniformParameter([out, s], ks, rng, this.dtype),
        bias: bias ? uniformParameter([out], ks, rng, this.dtype) : null,
      };
    });
    this.weightSkip = (config.skip ?? DEEP_TRANSITION_DEFAULTS.skip) ? uniformParameter([h, h], kh, rng, this.dtype) : null;
  }

  initialState(batch: number): DeepTransitionState {
    return { h: zeros([batch, this.hiddenSize], { dtype: this.dtype }) };
  }

  step(x: Tensor, state: DeepTransitionState): StepResult<DeepTransitionState> {
    checkStepInput(this, x);
    let a = add(matmul(x, this.weightIh, { transB: true }), matmul(state.h, this.weightHh, { transB: true }));
    if (this.biasIh !== null) a = add(a, this.biasIh);
    let z = tanh(a);
    this.transition.forEach((layer, l) => {
      let pre = matmul(z, layer.weight, { transB: true });
      if (layer.bias !== null) pre = add(pre, layer.bias);
      if (l === this.transition.length - 1 && this.weightSkip !== null) pre = add(pre, matmul(state.h, this.weightSkip, { transB: true }));
      z = tanh(pre);
    });
    return { output: z, state: { h: z } };
  }
}
