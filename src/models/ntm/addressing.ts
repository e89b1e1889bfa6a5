import {
  add, circularConvolution, clamp, cosineSimilarity, div, exp, log, matmul, mul, outer, softmax, squeeze, sub, sum, unsqueeze,
} from '../../ops/index.js';
import type { Tensor } from '../../tensor/index.js';

// The neural Turing machine's memory access composed from primitives, one function per
// equation of Graves et al. 2014, section 3. These are the reference ("composed twin") of the
// fused ops `ntmAddressing` and `ntmWrite` that the cell runs; tests check that both agree
// and that each piece passes a float64 gradient check.

/**
 * Content addressing (eqs. 5-6): the cosine similarity of every memory slot with the key,
 * sharpened by the key strength and normalised:
 *
 *     wc_i = exp(beta K(k, M_i)) / sum_j exp(beta K(k, M_j)),   K(u, v) = u.v / (|u| |v|)
 *
 * Shapes: memory [B, N, M], key [B, M], beta [B, 1] -> [B, N].
 *
 * @example
 * ```ts
 * const wc = contentWeighting(memory, key, beta); // rows sum to 1
 * ```
 */
export function contentWeighting(memory: Tensor, key: Tensor, beta: Tensor): Tensor {
  return softmax(mul(beta, cosineSimilarity(memory, unsqueeze(key, 1), -1)), -1);
}

/**
 * Interpolation (eq. 7): the gate g chooses between the content weighting and the head's
 * previous weighting, wg = g wc + (1 - g) w(t-1). Shapes: [B, N], [B, N], g [B, 1] -> [B, N].
 *
 * @example
 * ```ts
 * const wg = interpolate(wc, previous, gate);
 * ```
 */
export function interpolate(content: Tensor, previous: Tensor, gate: Tensor): Tensor {
  return add(mul(gate, content), mul(sub(1, gate), previous));
}

/**
 * Location shift (eq. 8): circular convolution of the weighting with the shift distribution
 * s over offsets -r..r, wt_i = sum_j s_j w[(i - j + r) mod N]. Shapes: [B, N], [B, 2r + 1] -> [B, N].
 *
 * @example
 * ```ts
 * const wt = shiftWeighting(wg, shift); // shift [B, 3]: mass on offset +1 moves the focus one slot on
 * ```
 */
export function shiftWeighting(weights: Tensor, shift: Tensor): Tensor {
  return circularConvolution(weights, shift);
}

/**
 * Sharpening (eq. 9): w_i = wt_i^gamma / sum_j wt_j^gamma with gamma >= 1 per example,
 * undoing the blur of the shift. Shapes: [B, N], gamma [B, 1] -> [B, N]. Weights must be
 * positive (log is taken); the fused op also handles exact zeros.
 *
 * @example
 * ```ts
 * const w = sharpen(wt, gamma);
 * ```
 */
export function sharpen(weights: Tensor, gamma: Tensor): Tensor {
  const powered = exp(mul(gamma, log(weights)));
  return div(powered, sum(powered, -1, true));
}

/**
 * The whole addressing pipeline composed: content, interpolation, shift, sharpening. Equal
 * to the fused `ntmAddressing` op (which the cell uses); kept as its readable twin.
 *
 * @example
 * ```ts
 * const w = addressComposed(memory, key, beta, gate, shift, gamma, previous); // [B, N]
 * ```
 */
export function addressComposed(memory: Tensor, key: Tensor, beta: Tensor, gate: Tensor, shift: Tensor, gamma: Tensor, previous: Tensor): Tensor {
  const wc = contentWeighting(memory, key, beta);
  const wg = interpolate(wc, previous, gate);
  // The fused op floors nothing here; exact zeros cannot occur with positive inputs, but a
  // clamp keeps the composed log finite if a test feeds a zero.
  return sharpen(clamp(shiftWeighting(wg, shift), 1e-30, Infinity), gamma);
}

/**
 * Reading (eq. 2): r = sum_i w_i M_i, the weighted sum of memory rows, as a batched matrix
 * product. Shapes: memory [B, N, M], weights [B, N] -> [B, M].
 *
 * @example
 * ```ts
 * const r = readMemory(memory, w);
 * ```
 */
export function readMemory(memory: Tensor, weights: Tensor): Tensor {
  return squeeze(matmul(unsqueeze(weights, 1), memory), 1);
}

/**
 * Writing (eqs. 3-4) composed: erase then add, M' = M (1 - w e^T) + w a^T. Equal to the
 * fused `ntmWrite` op. Shapes: memory [B, N, M], weights [B, N], erase and add [B, M].
 *
 * @example
 * ```ts
 * const next = writeComposed(memory, w, erase, addVector);
 * ```
 */
export function writeComposed(memory: Tensor, weights: Tensor, erase: Tensor, addVector: Tensor): Tensor {
  return add(mul(memory, sub(1, outer(weights, erase))), outer(weights, addVector));
}
