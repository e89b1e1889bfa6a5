import { ArgumentError, type Rng } from '../tensor/index.js';

/** How the next symbol is drawn from a distribution over the vocabulary. */
export interface SamplingOptions {
  /** Divides the logits: below 1 sharper, above 1 flatter; 0 means greedy (argmax). Default 1. */
  readonly temperature?: number;
  /** Keep only the k most likely symbols (0 or absent: all). */
  readonly topK?: number;
  /** Nucleus sampling: keep the smallest set of symbols whose probability reaches p (1 or absent: all). */
  readonly topP?: number;
}

/** Checks sampling options and throws an ArgumentError naming the bad one. */
export function checkSamplingOptions(options: SamplingOptions): void {
  const { temperature = 1, topK = 0, topP = 1 } = options;
  if (!(temperature >= 0) || !Number.isFinite(temperature)) throw new ArgumentError('sampling', `temperature must be >= 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new ArgumentError('sampling', `topK must be a non-negative integer, got ${topK}`);
  if (!(topP > 0 && topP <= 1)) throw new ArgumentError('sampling', `topP must be in (0, 1], got ${topP}`);
}

/**
 * Draws one index from logits z (a row of the output layer):
 * p_i = softmax(z / T)_i, restricted to the top-k and/or the top-p nucleus and
 * renormalised (Holtzman et al. 2020), then sampled with `rng`. Temperature 0 is argmax.
 *
 * @example
 * ```ts
 * sampleLogits(new Float32Array([2, 1, 0.1]), { temperature: 0.8, topK: 2 }, new Rng(0));
 * ```
 */
export function sampleLogits(logits: ArrayLike<number>, options: SamplingOptions, rng: Rng): number {
  const n = logits.length;
  const { temperature = 1, topK = 0, topP = 1 } = options;
  let best = 0;
  for (let i = 1; i < n; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  if (temperature === 0) return best;
  const maxLogit = logits[best] as number;
  // Generation calls this once per symbol: the buffers are kept between calls (one vocabulary
  // size at a time), so a step allocates nothing.
  if (scratchProbs.length !== n) {
    scratchProbs = new Float64Array(n);
    scratchOrder = new Int32Array(n);
  }
  const probs = scratchProbs;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.exp(((logits[i] as number) - maxLogit) / temperature);
    probs[i] = p;
    total += p;
  }
  for (let i = 0; i < n; i++) probs[i] = (probs[i] as number) / total;
  let keep = n;
  const truncated = (topK > 0 && topK < n) || topP < 1;
  if (truncated) {
    // A stable sort by falling probability (ties keep index order), as Array.prototype.sort.
    for (let i = 0; i < n; i++) scratchOrder[i] = i;
    scratchOrder.sort(byFallingProbability);
    keep = topK > 0 ? Math.min(topK, n) : n;
    if (topP < 1) {
      let mass = 0;
      for (let r = 0; r < keep; r++) {
        mass += probs[scratchOrder[r] as number] as number;
        if (mass >= topP) {
          keep = r + 1;
          break;
        }
      }
    }
  }
  let mass = 0;
  for (let r = 0; r < keep; r++) mass += probs[truncated ? (scratchOrder[r] as number) : r] as number;
  let u = rng.uniform() * mass;
  for (let r = 0; r < keep; r++) {
    const i = truncated ? (scratchOrder[r] as number) : r;
    u -= probs[i] as number;
    if (u < 0) return i;
  }
  return truncated ? (scratchOrder[keep - 1] as number) : keep - 1;
}

let scratchProbs = new Float64Array(0);
let scratchOrder = new Int32Array(0);
const byFallingProbability = (a: number, b: number): number => (scratchProbs[b] as number) - (scratchProbs[a] as number);
