import { ArgumentError, type Tensor } from '../tensor/index.js';
import { apply } from './apply.js';
import { releaseNtmTape } from './memory-ops.js';
import type { NtmSequenceAttrs, NtmSequenceOpInputs } from './op-def.js';

const NO_ATTRS = Object.freeze({}) as Readonly<Record<string, never>>;

/**
 * A neural Turing machine head's weighting over memory (Graves et al. 2014, eqs. 5-9) as one
 * fused op: content addressing by cosine similarity sharpened by beta, interpolation with the
 * previous weighting by gate g, a circular shift by the distribution s over offsets -r..r,
 * and sharpening by gamma:
 *
 *     K_i = cos(M_i, k);  wc = softmax(beta K);  wg = g wc + (1 - g) w(t-1)
 *     wt_i = sum_j s_j wg[(i - j + r) mod N];  w_i = wt_i^gamma / sum_j wt_j^gamma
 *
 * Shapes: memory [B, N, M], key [B, M], beta, gate, gamma [B, 1], shift [B, K] (K = 2r + 1
 * odd, K <= N), previous [B, N] -> w [B, N]. The inputs are already activated (beta >= 0,
 * g in [0, 1], s a distribution, gamma >= 1). Equal to the composed pipeline of
 * models/ntm/addressing.ts (tested), several times faster.
 *
 * @example
 * ```ts
 * import { ntmAddressing } from 'unfold';
 * const w = ntmAddressing(memory, key, beta, gate, shift, gamma, previous); // [B, N]
 * ```
 */
export function ntmAddressing(memory: Tensor, key: Tensor, beta: Tensor, gate: Tensor, shift: Tensor, gamma: Tensor, previous: Tensor): Tensor {
  return apply('ntmAddressing', [memory, key, beta, gate, shift, gamma, previous], NO_ATTRS);
}

/**
 * A write head's erase-then-add (Graves et al. 2014, eqs. 3-4) as one fused op:
 *
 *     M'[b, i, m] = M[b, i, m] (1 - w[b, i] e[b, m]) + w[b, i] a[b, m]
 *
 * Shapes: memory [B, N, M], weights [B, N], erase and add [B, M] -> [B, N, M].
 *
 * @example
 * ```ts
 * import { ntmWrite } from 'unfold';
 * const next = ntmWrite(memory, w, sigmoid(eraseLogits), tanh(addLogits));
 * ```
 */
export function ntmWrite(memory: Tensor, weights: Tensor, erase: Tensor, add: Tensor): Tensor {
  return apply('ntmWrite', [memory, weights, erase, add], NO_ATTRS);
}

/**
 * The parameters of a neural Turing machine in the layout of {@link ntmSequence} (an
 * `NTMCell` supplies them): initial state, head and output layers, controller weights.
 *
 * @example
 * ```ts
 * const params: NtmSequenceParams = cell.sequenceParams();
 * ```
 */
export interface NtmSequenceParams {
  /** [N, M] */
  readonly initialMemory: Tensor;
  /** [R, M] */
  readonly initialReads: Tensor;
  /** [R + W, N] initial weightings (distributions), read heads first */
  readonly initialWeights: Tensor;
  /** [P, H] */
  readonly headsWeight: Tensor;
  /** [P] */
  readonly headsBias: Tensor;
  /** [O, H + R M] */
  readonly outputWeight: Tensor;
  /** [O] */
  readonly outputBias: Tensor;
  /** [G H, I + R M]: G = 4 (LSTM gates i f g o) or 1 (feed-forward tanh layer) */
  readonly weightIh: Tensor;
  /** [G H] */
  readonly biasIh: Tensor;
  /** [4 H, H] for an LSTM controller, else null */
  readonly weightHh: Tensor | null;
  /** [4 H] for an LSTM controller, else null */
  readonly biasHh: Tensor | null;
}

/**
 * A whole neural Turing machine run over a sequence as ONE fused op: xs [B, T, I] to the
 * clipped output logits [B, T, O], back-propagated through time by a hand-written kernel
 * (kernels/ntm-sequence.ts) instead of a graph of about 200 nodes per step. Computes exactly
 * what `scan` over an `NTMCell` computes (tested), several times faster.
 *
 * @example
 * ```ts
 * import { ntmSequence } from 'unfold';
 * const logits = ntmSequence(xs, cell.sequenceParams(), { readHeads: 1, writeHeads: 1, shiftRange: 1, clip: 20 });
 * ```
 */
export function ntmSequence(xs: Tensor, p: NtmSequenceParams, attrs: NtmSequenceAttrs): Tensor {
  const head: [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor] = [
    xs, p.initialMemory, p.initialReads, p.initialWeights, p.headsWeight, p.headsBias, p.outputWeight, p.outputBias, p.weightIh, p.biasIh,
  ];
  if ((p.weightHh === null) !== (p.biasHh === null)) throw new ArgumentError('ntmSequence', 'weightHh and biasHh come together (LSTM controller) or not at all');
  const inputs: NtmSequenceOpInputs = p.weightHh !== null && p.biasHh !== null ? [...head, p.weightHh, p.biasHh] : head;
  const y = apply('ntmSequence', inputs, attrs);
  releaseNtmTape(y);
  return y;
}
