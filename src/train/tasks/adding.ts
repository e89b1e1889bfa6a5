import { ArgumentError, Rng, Tensor } from '../../tensor/index.js';

/** A batch of the adding problem. */
export interface AddingBatch {
  /** [B, T, 2]: channel 0 a value in [0, 1), channel 1 the marker (exactly two 1s). */
  readonly inputs: Tensor;
  /** [B, 1]: the sum of the two marked values. */
  readonly targets: Tensor;
}

/**
 * The adding problem (Hochreiter & Schmidhuber 1997, in the form of Le et al. 2015 and
 * Arjovsky et al. 2016): a sequence of T random values in [0, 1) beside a marker channel
 * that is 1 at one random step of the first half and one random step of the second half;
 * the target is the sum of the two marked values, read after the whole sequence.
 * Predicting the constant 1 scores MSE 1/6 ~ 0.167 (the variance of a sum of two
 * uniforms); a sequence counts as solved when |prediction - target| < 0.04.
 *
 * @example
 * ```ts
 * const { inputs, targets } = addingBatch(32, 100, new Rng(0)); // [32, 100, 2], [32, 1]
 * ```
 */
export function addingBatch(batch: number, length: number, rng: Rng): AddingBatch {
  if (!Number.isInteger(length) || length < 2) throw new ArgumentError('adding problem', `length must be an integer >= 2, got ${length}`);
  const x = new Float32Array(batch * length * 2);
  const y = new Float32Array(batch);
  const half = Math.floor(length / 2);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) x[(b * length + t) * 2] = rng.uniform();
    const first = rng.int(half);
    const second = half + rng.int(length - half);
    x[(b * length + first) * 2 + 1] = 1;
    x[(b * length + second) * 2 + 1] = 1;
    y[b] = (x[(b * length + first) * 2] as number) + (x[(b * length + second) * 2] as number);
  }
  return { inputs: new Tensor(x, [batch, length, 2]), targets: new Tensor(y, [batch, 1]) };
}
