import { ArgumentError, Rng, Tensor } from '../../tensor/index.js';

/** Symbols of the copy-memory task: 0 blank, 1..8 data, 9 the delimiter ("now recall"). */
export const COPY_MEMORY_SYMBOLS = 10;
/** How many data symbols must be remembered. */
export const COPY_MEMORY_COPIED = 10;

/** A batch of the copy-memory problem. */
export interface CopyMemoryBatch {
  /** [B, T + 20, 10] one-hot inputs. */
  readonly inputs: Tensor;
  /** [B, T + 20] target symbols (class indices). */
  readonly targets: Tensor;
}

/**
 * The copy-memory problem (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): ten
 * symbols drawn from 1..8, then T - 1 blanks, a delimiter, and ten more blanks; the
 * target is blank everywhere except the last ten steps, which must repeat the first ten
 * symbols. Sequences are T + 20 long. A memoryless strategy (blanks, then uniform guesses)
 * scores cross-entropy 10 ln 8 / (T + 20) per step: {@link copyMemoryBaseline}.
 *
 * @example
 * ```ts
 * const { inputs, targets } = copyMemoryBatch(16, 100, new Rng(0)); // [16, 120, 10], [16, 120]
 * ```
 */
export function copyMemoryBatch(batch: number, delay: number, rng: Rng): CopyMemoryBatch {
  if (!Number.isInteger(delay) || delay < 1) throw new ArgumentError('copy-memory', `length T must be an integer >= 1, got ${delay}`);
  const steps = delay + 2 * COPY_MEMORY_COPIED;
  const x = new Float32Array(batch * steps * COPY_MEMORY_SYMBOLS);
  const y = new Float32Array(batch * steps);
  for (let b = 0; b < batch; b++) {
    const symbols = Array.from({ length: COPY_MEMORY_COPIED }, () => 1 + rng.int(8));
    for (let t = 0; t < steps; t++) {
      let input = 0;
      if (t < COPY_MEMORY_COPIED) input = symbols[t] as number;
      else if (t === delay + COPY_MEMORY_COPIED - 1) input = 9;
      x[(b * steps + t) * COPY_MEMORY_SYMBOLS + input] = 1;
      const recallAt = t - (delay + COPY_MEMORY_COPIED);
      y[b * steps + t] = recallAt >= 0 ? (symbols[recallAt] as number) : 0;
    }
  }
  return { inputs: new Tensor(x, [batch, steps, COPY_MEMORY_SYMBOLS]), targets: new Tensor(y, [batch, steps]) };
}

/** The memoryless baseline cross-entropy per step, 10 ln 8 / (T + 20). */
export function copyMemoryBaseline(delay: number): number {
  return (COPY_MEMORY_COPIED * Math.log(8)) / (delay + 2 * COPY_MEMORY_COPIED);
}
