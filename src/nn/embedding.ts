import { gather, where } from '../ops/index.js';
import { ArgumentError, Tensor, allocate, zeros, type DType, type Rng } from '../tensor/index.js';
import { normal } from './init.js';
import { Module, parameter } from './module.js';

/** Configuration of an {@link Embedding}. */
export interface EmbeddingConfig {
  /** Vocabulary size V: indices run over 0..V-1. */
  readonly numEmbeddings: number;
  /** Size D of each embedding vector. */
  readonly embeddingDim: number;
  /**
   * An index whose row is all zeros at initialisation and never receives a gradient
   * (a padding symbol). Negative values count from the end, as in PyTorch.
   */
  readonly paddingIdx?: number;
  /** Parameter dtype (default float32). */
  readonly dtype?: DType;
  /** Draws the initial table. */
  readonly rng: Rng;
}

/** The defaults of {@link EmbeddingConfig}, in one place. */
export const EMBEDDING_DEFAULTS = { dtype: 'float32' } as const satisfies Partial<EmbeddingConfig>;

/**
 * A lookup table of learned vectors: y[..., :] = W[index[...], :].
 *
 * Shapes: indices [...] (integer values stored in a float tensor) -> y [..., D]; the
 * table W is [V, D], initialised N(0, 1) like PyTorch. The gradient of W is the
 * scatter-add of dL/dy into the looked-up rows (rows not used get zero).
 *
 * With `paddingIdx`, that row starts at zero and gets no gradient: positions holding the
 * padding index pass their output through a branch of `where` that is cut from the graph.
 *
 * @example
 * ```ts
 * import { Embedding, Rng, tensor } from 'unfold';
 * const emb = new Embedding({ numEmbeddings: 10, embeddingDim: 4, paddingIdx: 0, rng: new Rng(0) });
 * emb.forward(tensor([[1, 2, 0], [3, 0, 0]])).shape; // [2, 3, 4]
 * ```
 */
export class Embedding extends Module {
  /** [numEmbeddings, embeddingDim] */
  readonly weight: Tensor;
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row (non-negative), or null. */
  readonly paddingIdx: number | null;

  constructor(config: EmbeddingConfig) {
    super();
    const { numEmbeddings, embeddingDim, rng } = config;
    const dtype = config.dtype ?? EMBEDDING_DEFAULTS.dtype;
    for (const [name, n] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(n) || n <= 0) throw new ArgumentError('Embedding', `${name} must be a positive integer, got ${n}`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const pad = config.paddingIdx;
    if (pad !== undefined && (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings)) {
      throw new ArgumentError('Embedding', `paddingIdx must be an integer in [-${numEmbeddings}, ${numEmbeddings}), got ${pad}`);
    }
    this.paddingIdx = pad === undefined ? null : pad < 0 ? pad + numEmbeddings : pad;
    this.weight = parameter(normal(zeros([numEmbeddings, embeddingDim], { dtype }), rng));
    if (this.paddingIdx !== null) this.weight.data.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
  }

  /** Looks up `indices` [...] -> [..., embeddingDim]. */
  forward(indices: Tensor): Tensor {
    const y = gather(this.weight, indices);
    if (this.paddingIdx === null || !y.requiresGrad) return y;
    // keep[..., 1] is 0 at padding positions; there `where` takes the detached copy (same
    // values, no graph), so the padding row's gradient is exactly zero and its value is
    // still whatever the row holds, as in PyTorch.
    const keep = allocate(this.weight.dtype, indices.size);
    for (let i = 0; i < keep.length; i++) keep[i] = indices.data[i] === this.paddingIdx ? 0 : 1;
    return where(new Tensor(keep, [...indices.shape, 1]), y, y.detach());
  }
}
