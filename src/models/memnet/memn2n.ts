import { Module, parameter } from '../../nn/index.js';
import { add, matmul, mul, reshape, slice, softmax, squeeze, unsqueeze, where } from '../../ops/index.js';
import { ArgumentError, Rng, Tensor, allocate, type DType } from '../../tensor/index.js';

/**
 * How the embeddings of the hops are shared (Sukhbaatar et al. 2015, section 2.2):
 * - `adjacent`: A(k+1) = C(k), B = A(1), W^T = C(K): K + 1 matrices in all;
 * - `layerwise`: one A and one C for every hop (RNN-like), a separate B and W, and a linear
 *   map between hops, u(k+1) = H u(k) + o(k).
 */
export type WeightTying = 'adjacent' | 'layerwise';

/** Config of a {@link MemN2N}. Serialisable; defaults in {@link MEMN2N_DEFAULTS}. */
export interface MemN2NConfig {
  /** Words, including the padding word 0. */
  readonly vocabSize: number;
  /** d: embedding size. */
  readonly embeddingSize?: number;
  /** K: memory hops. */
  readonly hops?: number;
  /** The most sentences kept in memory (the most recent ones). */
  readonly memorySize?: number;
  readonly tying?: WeightTying;
  /** Weight the words of a sentence by position (PE) instead of a plain bag of words. */
  readonly positionEncoding?: boolean;
  /** Add a learned vector per memory slot, by recency (TE). */
  readonly temporalEncoding?: boolean;
  /** Standard deviation of the N(0, std^2) initial weights. */
  readonly initStd?: number;
  readonly dtype?: DType;
}

/** Defaults of {@link MemN2NConfig}: the paper's bAbI settings (d = 20, K = 3, 50 memories, adjacent tying, PE, TE, N(0, 0.1^2)). */
export const MEMN2N_DEFAULTS = {
  embeddingSize: 20, hops: 3, memorySize: 50, tying: 'adjacent', positionEncoding: true, temporalEncoding: true, initStd: 0.1, dtype: 'float32',
} as const satisfies Omit<Required<MemN2NConfig>, 'vocabSize'>;

/** A batch of stories and questions as word ids (0 pads). */
export interface MemN2NInput {
  /** [B, S, J]: S sentences of J words, memory slot 0 the MOST RECENT sentence; all-zero rows are empty slots. */
  readonly stories: Tensor;
  /** [B, J]: the question. */
  readonly queries: Tensor;
  /** Valid memory slots per example (slots >= count are padding, masked out of the attention). */
  readonly memoryCounts: readonly number[];
}

/** Options of {@link MemN2N.forward}. */
export interface MemN2NForwardOptions {
  /**
   * Linear start (LS): leave out the softmax of every hop's attention, so the model starts
   * linear and avoids the poor local minima the paper reports; the answer softmax stays.
   */
  readonly linear?: boolean;
}

/** What {@link MemN2N.forward} returns. */
export interface MemN2NResult {
  /** [B, V] answer logits. */
  readonly logits: Tensor;
  /** Per hop, the attention over memory slots [B, S] (the weights p of eq. 1). */
  readonly attention: readonly Tensor[];
}

/**
 * Position-encoding weights l_kj = (1 - j/J) - (k/d)(1 - 2j/J) (Sukhbaatar et al. 2015,
 * section 4.1; j = 1..J over the words of the sentence, k = 1..d over embedding components)
 * for every word of `ids` [..., J], with J each sentence's own word count; 0 at padding.
 * Without position encoding the weights are 1 on words (a bag of words).
 *
 * @example
 * ```ts
 * positionWeights(tensor([[4, 9, 0]]), 20, true).shape; // [1, 3, 20]
 * ```
 */
export function positionWeights(ids: Tensor, d: number, positional: boolean, dtype: DType = 'float32'): Tensor {
  const J = ids.shape[ids.rank - 1] as number;
  const rows = ids.size / J;
  const out = allocate(dtype, ids.size * d);
  for (let r = 0; r < rows; r++) {
    let words = 0;
    for (let j = 0; j < J; j++) if (ids.data[r * J + j] !== 0) words++;
    let position = 0;
    for (let j = 0; j < J; j++) {
      if (ids.data[r * J + j] === 0) continue;
      position++;
      const base = (r * J + j) * d;
      for (let k = 1; k <= d; k++) {
        out[base + k - 1] = positional ? 1 - position / words - (k / d) * (1 - (2 * position) / words) : 1;
      }
    }
  }
  return new Tensor(out, [...ids.shape, d]);
}

/**
 * The position-weighted bags of words of sentences `ids` [..., J] over a vocabulary of V words,
 * as two sparse-in-spirit matrices so that encoding is a matrix product: the position weight
 * splits as l_kj = a_j + (k/d) b_j with a_j = 1 - j/J and b_j = 2j/J - 1, hence
 *
 *     sum_j l_j . E x_j = A E + (k/d) . (B E),    A[r, v] = sum_{j: x_rj = v} a_j,  B likewise with b_j
 *
 * (for a bag of words A holds word counts and B is null). Rows r run over the sentences.
 */
function bags(ids: Tensor, vocabSize: number, positional: boolean, dtype: DType): { a: Tensor; b: Tensor | null } {
  const J = ids.shape[ids.rank - 1] as number;
  const rows = ids.size / J;
  const a = allocate(dtype, rows * vocabSize);
  const b = positional ? allocate(dtype, rows * vocabSize) : null;
  for (let r = 0; r < rows; r++) {
    let words = 0;
    for (let j = 0; j < J; j++) if (ids.data[r * J + j] !== 0) words++;
    let position = 0;
    for (let j = 0; j < J; j++) {
      const v = ids.data[r * J + j] as number;
      if (v === 0) continue;
      if (!Number.isInteger(v) || v < 0 || v >= vocabSize) throw new ArgumentError('MemN2N', `word id ${v} is not in 0..${vocabSize - 1}`);
      position++;
      const at = r * vocabSize + v;
      if (b === null) {
        a[at] = (a[at] as number) + 1;
      } else {
        a[at] = (a[at] as number) + 1 - position / words;
        b[at] = (b[at] as number) + (2 * position) / words - 1;
      }
    }
  }
  return { a: new Tensor(a, [rows, vocabSize]), b: b === null ? null : new Tensor(b, [rows, vocabSize]) };
}

/**
 * Encodes sentences: sum_j l_j . E x_j for `ids` [..., J] with the table E [V, d] -> [..., d],
 * l the position encoding (or 1 for a bag of words). Computed as one or two matrix products
 * with the sentences' weighted bags of words (see `bags`), so neither the gather of every
 * word's embedding nor its backward scatter is needed. Equal to
 * `sum(mul(gather(E, ids), positionWeights(ids, d, positional)), -2)`.
 *
 * @example
 * ```ts
 * encodeSentences(embedding, stories, true); // [B, S, d]
 * ```
 */
export function encodeSentences(table: Tensor, ids: Tensor, positional: boolean): Tensor {
  const [V, d] = table.shape as [number, number];
  const { a, b } = bags(ids, V, positional, table.dtype);
  const outShape = [...ids.shape.slice(0, -1), d];
  let enc = matmul(a, table);
  if (b !== null) {
    const scaleK = allocate(table.dtype, d);
    for (let k = 1; k <= d; k++) scaleK[k - 1] = k / d;
    enc = add(enc, mul(matmul(b, table), new Tensor(scaleK, [d])));
  }
  return reshape(enc, outShape);
}

function gaussian(shape: readonly number[], std: number, rng: Rng, dtype: DType): Tensor {
  let size = 1;
  for (const s of shape) size *= s;
  const data = allocate(dtype, size);
  for (let i = 0; i < size; i++) data[i] = std * rng.normal();
  return parameter(new Tensor(data, shape));
}

/**
 * An end-to-end memory network (Sukhbaatar, Szlam, Weston & Fergus 2015): a question
 * attends over a memory of sentences for K hops, and the last hop's state predicts the
 * answer word:
 *
 *     m_i = sum_j l_j . A x_ij + T_A(i),   c_i = sum_j l_j . C x_ij + T_C(i),   u(1) = sum_j l_j . B q_j
 *     p_i = softmax_i(u(k) . m_i(k))      (no softmax during linear start)        (1)
 *     o(k) = sum_i p_i c_i(k)                                                       (2)
 *     u(k+1) = u(k) + o(k)   (adjacent)   or   H u(k) + o(k)   (layerwise)
 *     a = softmax(W u(K+1))                                                          (3)
 *
 * with l the position encoding (1 for a bag of words) and T the temporal encoding by slot
 * (slot 0 the most recent sentence). Every embedding starts N(0, 0.1^2); padding words are
 * weighted 0, padded memory slots are masked out of the attention.
 *
 * @example
 * ```ts
 * import { MemN2N, Rng } from 'unfold';
 * const net = new MemN2N({ vocabSize: 40, hops: 3 }, new Rng(0));
 * const { logits, attention } = net.forward({ stories, queries, memoryCounts }); // logits [B, 40], attention: 3 x [B, S]
 * ```
 */
export class MemN2N extends Module {
  readonly config: Required<MemN2NConfig>;
  /** Word embeddings [V, d]: adjacent tying holds K + 1 (E_0 = A(1) = B, E_k = C(k) = A(k+1), E_K = W^T); layerwise holds A, C, B, W. */
  readonly embeddings: Tensor[];
  /** Temporal encodings [memorySize, d], parallel to `embeddings` (none without TE). */
  readonly temporal: Tensor[];
  /** [d, d] the map between hops of layerwise tying, else null. */
  readonly hopMap: Tensor | null;

  constructor(config: MemN2NConfig, rng: Rng) {
    super();
    const c: Required<MemN2NConfig> = { ...MEMN2N_DEFAULTS, ...config };
    for (const key of ['vocabSize', 'embeddingSize', 'hops', 'memorySize'] as const) {
      if (!Number.isInteger(c[key]) || c[key] < 1) throw new ArgumentError('MemN2N', `${key} must be a positive integer, got ${c[key]}`);
    }
    this.config = c;
    const { vocabSize: V, embeddingSize: d, hops: K, memorySize: S, initStd, dtype } = c;
    const count = c.tying === 'adjacent' ? K + 1 : 4;
    this.embeddings = Array.from({ length: count }, () => gaussian([V, d], initStd, rng, dtype));
    // Temporal encodings exist for the memory-side matrices only (A and C roles).
    const temporalCount = c.temporalEncoding ? (c.tying === 'adjacent' ? K + 1 : 2) : 0;
    this.temporal = Array.from({ length: temporalCount }, () => gaussian([S, d], initStd, rng, dtype));
    this.hopMap = c.tying === 'layerwise' ? gaussian([d, d], initStd, rng, dtype) : null;
  }

  /** The embedding and temporal matrices playing A(k), C(k), B and W^T. */
  private roles(hop: number): { a: Tensor; c: Tensor; ta: Tensor | null; tc: Tensor | null } {
    const e = this.embeddings;
    const t = this.temporal;
    if (this.config.tying === 'adjacent') {
      return { a: e[hop] as Tensor, c: e[hop + 1] as Tensor, ta: t[hop] ?? null, tc: t[hop + 1] ?? null };
    }
    return { a: e[0] as Tensor, c: e[1] as Tensor, ta: t[0] ?? null, tc: t[1] ?? null };
  }


  forward(input: MemN2NInput, options: MemN2NForwardOptions = {}): MemN2NResult {
    const { stories, queries, memoryCounts } = input;
    if (stories.rank !== 3 || queries.rank !== 2 || stories.shape[0] !== queries.shape[0]) {
      throw new ArgumentError('MemN2N', `stories must be [B, S, J] and queries [B, J], got [${stories.shape.join(',')}] and [${queries.shape.join(',')}]`);
    }
    const [B, S] = stories.shape as [number, number];
    const { embeddingSize: d, hops: K, memorySize, dtype } = this.config;
    if (S > memorySize) throw new ArgumentError('MemN2N', `stories hold ${S} sentences but the memory has ${memorySize} slots`);
    if (memoryCounts.length !== B) throw new ArgumentError('MemN2N', `memoryCounts has ${memoryCounts.length} entries for a batch of ${B}`);
    const pe = this.config.positionEncoding;
    const valid = allocate(dtype, B * S);
    memoryCounts.forEach((n, b) => valid.fill(1, b * S, b * S + Math.min(n, S)));
    const validMask = new Tensor(valid, [B, S]);
    const bMatrix = this.config.tying === 'adjacent' ? (this.embeddings[0] as Tensor) : (this.embeddings[2] as Tensor);
    let u = encodeSentences(bMatrix, queries, pe);
    const attention: Tensor[] = [];
    const slots = (t: Tensor | null): Tensor | null => (t === null ? null : slice(t, [0, 0], [S, d]));
    // With adjacent tying C(k) = A(k+1): each matrix's encoding of the story is made once.
    const encoded = new Map<Tensor, Tensor>();
    const encode = (table: Tensor): Tensor => {
      let e = encoded.get(table);
      if (e === undefined) {
        e = encodeSentences(table, stories, pe);
        encoded.set(table, e);
      }
      return e;
    };
    for (let k = 0; k < K; k++) {
      const { a, c, ta, tc } = this.roles(k);
      let m = encode(a);
      let cm = encode(c);
      const tA = slots(ta);
      const tC = slots(tc);
      if (tA !== null) m = add(m, tA);
      if (tC !== null) cm = add(cm, tC);
      const scores = squeeze(matmul(m, unsqueeze(u, 2)), 2);
      // Padded slots take no attention: -1e9 before the softmax, 0 in the linear model.
      const p = options.linear === true ? mul(scores, validMask) : softmax(where(validMask, scores, -1e9), -1);
      attention.push(p);
      const o = squeeze(matmul(unsqueeze(p, 1), cm), 1);
      u = this.hopMap === null ? add(u, o) : add(matmul(u, this.hopMap, { transB: true }), o);
    }
    const w = this.config.tying === 'adjacent' ? (this.embeddings[K] as Tensor) : (this.embeddings[3] as Tensor);
    return { logits: matmul(u, w, { transB: true }), attention };
  }
}
