import type { FoldLevelSchedule, SlottedFoldLevelSchedule } from '../kernels/tree-fold-levels.js';
import type { Tensor } from '../tensor/index.js';
import { apply } from './apply.js';
import { reshape, slice } from './functional.js';
import { releaseTreeLstmTape } from './tree-ops.js';

/**
 * The weights of an N-ary Tree-LSTM in NaryTreeLSTMCell's layout (the cell can be passed as
 * is): weightIh [4H, I] with gates i, f, g, o; weightHh [(N+3)H, N*H] with row blocks i,
 * f_1..f_N, g, o; biasIh [4H] and biasHh [(N+3)H], both or neither.
 *
 * @example
 * ```ts
 * const params: NaryTreeLstmParams = { arity: 2, weightIh, weightHh, biasIh: null, biasHh: null };
 * ```
 */
export interface NaryTreeLstmParams {
  readonly arity: number;
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHh: Tensor | null;
}

/**
 * One level of an N-ary Tree-LSTM (Tai, Socher & Manning 2015) as one differentiable op, the
 * fused twin of NaryTreeLSTMCell's composed step:
 *
 *     i = sigma(W_i x + b_i + sum_l U_i^l h_l),   f_k = sigma(W_f x + b_f + sum_l U_f^{kl} h_l)
 *     g = tanh(W_g x + b_g + sum_l U_g^l h_l),    o = sigma(W_o x + b_o + sum_l U_o^l h_l)
 *     c = i g + sum_k f_k c_k,                    h = o tanh(c)
 *
 * x [n, I]; children h, c [n, N, H] (absent children as zero rows), or null for the step with
 * no children (leaves), which gives the same bits as zero children. Returns h and c [n, H].
 *
 * @example
 * ```ts
 * const cell = new NaryTreeLSTMCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const { h, c } = naryTreeLstm(x, cell, { h: pairH, c: pairC }); // pairs [n, 2, 16]
 * const leaves = naryTreeLstm(x, cell, null);
 * ```
 */
export function naryTreeLstm(x: Tensor, params: NaryTreeLstmParams, children: { readonly h: Tensor; readonly c: Tensor } | null): { h: Tensor; c: Tensor } {
  const { inputs, bias } = weightInputs(x, params);
  if (children !== null) inputs.push(children.h, children.c);
  return unpack(apply('naryTreeLstm', inputs, { arity: params.arity, bias, children: children !== null }));
}

export type { FoldLevelSchedule, SlottedFoldLevelSchedule };

/**
 * A whole N-ary Tree-LSTM fold as one differentiable op: every level of a schedule (a
 * FoldPlan's `levels`, see tree/fold.ts) composed bottom-up, level l's internal rows from
 * their children's states in level l-1 and its leaves by the step with no children, each level
 * exactly as {@link naryTreeLstm} computes it. x [nodes, I] holds every node's input in plan
 * order (or, with `inputRows`, x is a table [rows, I] and node r's input is its row
 * inputRows[r]: an embedding lookup inside the fold, where the WebAssembly kernels multiply each
 * distinct row by the input weights once instead of once per node; the gradient of x is then
 * the table's); returns every node's h and c [nodes, H] in plan order. One call for the whole batch:
 * the weights enter the kernels once, the children's rows are gathered inside them, and the
 * weight gradient is one sum (kernels/tree-lstm-fold.ts).
 *
 * @example
 * ```ts
 * const cell = new NaryTreeLSTMCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const plan = planFold(trees, 2);
 * const { h, c } = naryTreeLstmFold(x, cell, plan.levels); // x [plan.nodes.length, 8]
 * ```
 */
export function naryTreeLstmFold(x: Tensor, params: NaryTreeLstmParams, levels: readonly FoldLevelSchedule[], inputRows?: Int32Array): { h: Tensor; c: Tensor } {
  const { inputs, bias } = weightInputs(x, params);
  return unpack(apply('naryTreeLstmFold', inputs, inputRows === undefined ? { arity: params.arity, bias, levels } : { arity: params.arity, bias, levels, inputRows }));
}

/**
 * The weights of a Child-Sum Tree-LSTM in ChildSumTreeLSTMCell's layout (the cell can be
 * passed as is): weightIh [4H, I] and weightHh [4H, H], gates i, f, g, o; biasIh and biasHh
 * [4H], both or neither.
 *
 * @example
 * ```ts
 * const params: ChildSumTreeLstmParams = { weightIh, weightHh, biasIh: null, biasHh: null };
 * ```
 */
export interface ChildSumTreeLstmParams {
  readonly weightIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHh: Tensor | null;
}

/**
 * One level of a Child-Sum Tree-LSTM (Tai, Socher & Manning 2015) as one differentiable op,
 * the fused twin of ChildSumTreeLSTMCell's composed step:
 *
 *     h~ = sum_k h_k,   [i, g, o] = sigma, tanh, sigma of (W x + b + U h~)
 *     f_k = sigma(W_f x + b_f + U_f h_k),   c = i g + sum_k f_k c_k,   h = o tanh(c)
 *
 * x [n, I]; children h, c [n, K, H] (zero rows for padding slots), or null for the step with no
 * children (leaves), which gives the same bits as zero children. Returns h and c [n, H].
 *
 * @example
 * ```ts
 * const cell = new ChildSumTreeLSTMCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const { h, c } = childSumTreeLstm(x, cell, { h: kidsH, c: kidsC }); // kids [n, K, 16]
 * ```
 */
export function childSumTreeLstm(x: Tensor, params: ChildSumTreeLstmParams, children: { readonly h: Tensor; readonly c: Tensor } | null): { h: Tensor; c: Tensor } {
  const { inputs, bias } = weightInputs(x, params);
  if (children !== null) inputs.push(children.h, children.c);
  return unpack(apply('childSumTreeLstm', inputs, { bias, children: children !== null }));
}

/**
 * A whole Child-Sum Tree-LSTM fold as one differentiable op: every level of a schedule (a
 * FoldPlan's `levels`, whose `slots` give each level's child slots) composed bottom-up, each
 * level's internal rows from their children's states in the level below and its leaves by the
 * step with no children, each level exactly as {@link childSumTreeLstm} computes it. x
 * [nodes, I] holds every node's input in plan order (or, with `inputRows`, x is a table
 * [rows, I] and node r's input its row inputRows[r], as for {@link naryTreeLstmFold}); returns
 * every node's h and c [nodes, H] in plan order. One graph node for the whole batch
 * (kernels/child-sum-lstm-fold.ts).
 *
 * @example
 * ```ts
 * const cell = new ChildSumTreeLSTMCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const plan = planFold(trees, null);
 * const { h, c } = childSumTreeLstmFold(x, cell, plan.levels); // x [plan.nodes.length, 8]
 * ```
 */
export function childSumTreeLstmFold(x: Tensor, params: ChildSumTreeLstmParams, levels: readonly SlottedFoldLevelSchedule[], inputRows?: Int32Array): { h: Tensor; c: Tensor } {
  const { inputs, bias } = weightInputs(x, params);
  return unpack(apply('childSumTreeLstmFold', inputs, inputRows === undefined ? { bias, levels } : { bias, levels, inputRows }));
}

/**
 * The weights of the classic recursive network in RecursiveCell's layout (the cell can be
 * passed as is): weightIh [H, I], weightHh [H, arity * H] (columns in child order), biasIh and
 * biasHh [H], both or neither.
 *
 * @example
 * ```ts
 * const params: TreeRnnParams = { arity: 2, weightIh, weightHh, biasIh: null, biasHh: null };
 * ```
 */
export type TreeRnnParams = NaryTreeLstmParams;

/**
 * A whole fold of the classic recursive network as one differentiable op: every level of a
 * schedule (a FoldPlan's `levels`) composed bottom-up by
 *
 *     h = tanh(W_ih x + b_ih + b_hh + W_hh [h_1; ...; h_N])     (leaves: no W_hh term)
 *
 * with RecursiveCell's weights (the cell can be passed as is): weightIh [H, I], weightHh
 * [H, N H], biasIh and biasHh [H], both or neither. x [nodes, I] holds every node's input in
 * plan order (or, with `inputRows`, x is a table [rows, I] and node r's input its row
 * inputRows[r], as for {@link naryTreeLstmFold}); returns every node's h [nodes, H] in plan
 * order (kernels/tree-rnn-fold.ts).
 *
 * @example
 * ```ts
 * const cell = new RecursiveCell({ inputSize: 8, hiddenSize: 16 }, new Rng(0));
 * const plan = planFold(trees, 2);
 * const h = treeRnnFold(x, cell, plan.levels); // x [plan.nodes.length, 8]
 * ```
 */
export function treeRnnFold(x: Tensor, params: TreeRnnParams, levels: readonly FoldLevelSchedule[], inputRows?: Int32Array): Tensor {
  const { inputs, bias } = weightInputs(x, params);
  const h = apply('treeRnnFold', inputs, inputRows === undefined ? { arity: params.arity, bias, levels } : { arity: params.arity, bias, levels, inputRows });
  releaseTreeLstmTape(h);
  return h;
}

/** A tree op's first inputs [x, weightIh, weightHh, (biasIh, biasHh)] and whether the biases are among them (both or neither). */
function weightInputs(x: Tensor, params: ChildSumTreeLstmParams): { inputs: [Tensor, Tensor, Tensor, ...Tensor[]]; bias: boolean } {
  const bias = params.biasIh !== null && params.biasHh !== null;
  const inputs: [Tensor, Tensor, Tensor, ...Tensor[]] = [x, params.weightIh, params.weightHh];
  if (bias) inputs.push(params.biasIh as Tensor, params.biasHh as Tensor);
  return { inputs, bias };
}

/** h and c [n, H] of a tree op's packed output [2, n, H] (its tape released when unrecorded). */
function unpack(packed: Tensor): { h: Tensor; c: Tensor } {
  releaseTreeLstmTape(packed);
  const [, n, h] = packed.shape as [number, number, number];
  return { h: reshape(slice(packed, [0, 0, 0], [1, n, h]), [n, h]), c: reshape(slice(packed, [1, 0, 0], [1, n, h]), [n, h]) };
}
