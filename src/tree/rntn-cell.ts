import { uniformParameter } from '../cells/params.js';
import { Module } from '../nn/index.js';
import { add, matmul, mul, reshape, sum, tanh } from '../ops/index.js';
import { Rng, Tensor, zeros, type DType } from '../tensor/index.js';
import { affine, checkComposeInput, repeatRows, checkTreeCellConfig, type BaseTreeCellConfig, type TreeCell } from './tree-cell.js';

/** Config of an {@link RNTNCell}. */
export interface RNTNCellConfig extends BaseTreeCellConfig {
  /** Include the biases (default true). */
  readonly bias?: boolean;
}

/** The state of a recursive neural tensor network: the node's vector. */
export type RNTNState = { readonly h: Tensor };

/**
 * The recursive neural tensor network (Socher et al. 2013, "Recursive Deep Models for
 * Semantic Compositionality Over a Sentiment Treebank"): a binary composition with a
 * bilinear tensor term, so the two children interact multiplicatively,
 *
 *     c = [h_left; h_right]                                   (2H)
 *     h_k = tanh((W_ih x)_k + b_ih,k + b_hh,k + c^T V^[k] c + (W_hh c)_k),   k = 1..H
 *
 * with V = weightBilinear [H, 2H, 2H] (one 2H x 2H slice per output unit, PyTorch's
 * nn.Bilinear layout), W_hh = weightHh [H, 2H], and the node's own input x through
 * W_ih = weightIh [H, I] (zero input gives exactly Socher's equation). Leaves have no
 * children: h = tanh(W_ih x + b_ih + b_hh).
 *
 * For n nodes the bilinear term is one gemm, P = C V' with V viewed as [H*2H, 2H] (no copy),
 * then (P reshaped [n, H, 2H] * c repeated H times) summed over the last axis. V starts U(-1/(2H), 1/(2H))
 * (so c^T V c starts small next to W c), the rest U(-1/sqrt(H), 1/sqrt(H)).
 *
 * @example
 * ```ts
 * const cell = new RNTNCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const parents = cell.compose(x, { h: pairs }); // pairs [n, 2, 16] -> h [n, 16]
 * ```
 */
export class RNTNCell extends Module implements TreeCell<RNTNState> {
  readonly kind = 'rntn';
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  readonly arity = 2;
  /** W_ih: [hiddenSize, inputSize] */
  readonly weightIh: Tensor;
  /** W_hh: [hiddenSize, 2 * hiddenSize] */
  readonly weightHh: Tensor;
  /** V: [hiddenSize, 2 * hiddenSize, 2 * hiddenSize] */
  readonly weightBilinear: Tensor;
  /** [hiddenSize], or null without bias */
  readonly biasIh: Tensor | null;
  /** [hiddenSize], or null without bias */
  readonly biasHh: Tensor | null;

  constructor(config: RNTNCellConfig, rng: Rng) {
    super();
    checkTreeCellConfig('rntn', config);
    const { inputSize: i, hiddenSize: h } = config;
    this.inputSize = i;
    this.hiddenSize = h;
    this.dtype = config.dtype ?? 'float32';
    const k = 1 / Math.sqrt(h);
    this.weightIh = uniformParameter([h, i], k, rng, this.dtype);
    this.weightHh = uniformParameter([h, 2 * h], k, rng, this.dtype);
    this.weightBilinear = uniformParameter([h, 2 * h, 2 * h], 1 / (2 * h), rng, this.dtype);
    const bias = config.bias ?? true;
    this.biasIh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
    this.biasHh = bias ? uniformParameter([h], k, rng, this.dtype) : null;
  }

  zeroState(n: number): RNTNState {
    return { h: zeros([n, this.hiddenSize], { dtype: this.dtype }) };
  }

  compose(x: Tensor, children: RNTNState | null): RNTNState {
    checkComposeInput(this, x, children);
    const n = x.shape[0] as number;
    const h = this.hiddenSize;
    // Biases ride in the input's gemm; the children's terms are added last (exact zeros for
    // zero children, so the leaf step gives the same bits).
    const a = affine(x, this.weightIh, this.biasIh === null || this.biasHh === null ? null : add(this.biasIh, this.biasHh));
    if (children === null) return { h: tanh(a) };
    const c = reshape(children.h, [n, 2 * h]);
    // P[n, (k, i)] = sum_j V[k, i, j] c[n, j];  bilinear[n, k] = sum_i c[n, i] P[n, k, i].
    const p = reshape(matmul(c, reshape(this.weightBilinear, [h * 2 * h, 2 * h]), { transB: true }), [n, h, 2 * h]);
    const bilinear = sum(mul(p, repeatRows(c, h)), 2);
    return { h: tanh(add(a, add(bilinear, matmul(c, this.weightHh, { transB: true })))) };
  }

  output(state: RNTNState): Tensor {
    return state.h;
  }
}
