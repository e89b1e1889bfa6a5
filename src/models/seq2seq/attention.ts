import { Linear, Module } from '../../nn/index.js';
import { add, matmul, reshape, softmax, tanh, unsqueeze, where } from '../../ops/index.js';
import { uniformParameter } from '../../cells/params.js';
import { ArgumentError, ShapeError, Tensor, allocate, type DType, type Rng } from '../../tensor/index.js';

/**
 * What an attention mechanism reads: the encoder's annotations h_1..h_S of each example
 * and their projections, computed ONCE per source sentence by {@link Attention.prepare}
 * so that each decoder step only projects its query.
 */
export interface AttentionMemory {
  /** h_s, the vectors the context is averaged from: [B, S, memorySize]. */
  readonly values: Tensor;
  /** The part of the score that depends on h_s alone (W_k h_s + b for additive, W_a h_s for general, h_s for dot): [B, S, keySize]. */
  readonly keys: Tensor;
  /** 1 at real source positions, 0 at padding: [B, S]. Padding gets weight exactly 0. */
  readonly mask: Tensor;
}

/** One attention read: the context vector and the weights that made it. */
export interface AttentionResult {
  /** c = sum_s alpha_s h_s: [B, memorySize]. */
  readonly context: Tensor;
  /** alpha = softmax over valid positions of the scores: [B, S], each row sums to 1, 0 at padding. */
  readonly weights: Tensor;
}

/**
 * A content-based attention mechanism (Bahdanau et al. 2015; Luong et al. 2015): a score
 * e_s = score(q, h_s) between the decoder's query q and every source annotation h_s,
 * turned into weights alpha = softmax(e) over the valid positions, and the context
 * c = sum_s alpha_s h_s. It frees the decoder from squeezing the whole source into one
 * fixed-size vector C (the chapter's section 10.4 points to it for that reason).
 *
 * @example
 * ```ts
 * const attention = createAttention({ kind: 'additive', querySize: 32, memorySize: 64 }, new Rng(0));
 * const memory = attention.prepare(encoderOutputs, sourceMask); // [B, S, 64], [B, S]
 * const { context, weights } = attention.attend(query, memory);  // query [B, 32] -> [B, 64], [B, S]
 * ```
 */
export interface Attention {
  readonly kind: AttentionKind;
  /** Features of the query q (the decoder's output). */
  readonly querySize: number;
  /** Features of each annotation h_s (the encoder's output). */
  readonly memorySize: number;
  /** Projects the annotations once per source batch; `mask` [B, S] is 1 at real positions. */
  prepare(values: Tensor, mask: Tensor): AttentionMemory;
  /** Scores the query [B, querySize] against the prepared memory and reads the context. */
  attend(query: Tensor, memory: AttentionMemory): AttentionResult;
  parameters(): Tensor[];
}

/** Config of an attention mechanism. Serialisable: kind and numbers only. */
export interface AttentionConfig<K extends AttentionKind = AttentionKind> {
  readonly kind: K;
  readonly querySize: number;
  readonly memorySize: number;
  /** Units of the additive scorer's hidden layer (default querySize); ignored by dot and general. */
  readonly hiddenSize?: number;
  readonly dtype?: DType;
}

/**
 * Scores masked to -Infinity at padding, so softmax gives those positions weight exactly 0
 * and `where` passes them no gradient: padding never influences the context.
 */
function readContext(scores: Tensor, memory: AttentionMemory): AttentionResult {
  const weights = softmax(where(memory.mask, scores, -Infinity), -1);
  const [batch, , size] = memory.values.shape as [number, number, number];
  const context = reshape(matmul(unsqueeze(weights, 1), memory.values), [batch, size]);
  return { context, weights };
}

function checkMemory(kind: string, values: Tensor, mask: Tensor, memorySize: number, dtype: DType): void {
  if (values.rank !== 3 || values.shape[2] !== memorySize) {
    throw new ShapeError(`${kind} attention`, `memory must be [batch, source length, ${memorySize}]`, [values.shape]);
  }
  if (values.dtype !== dtype) throw new ArgumentError(`${kind} attention`, `memory is ${values.dtype} but the parameters are ${dtype}`);
  if (mask.rank !== 2 || mask.shape[0] !== values.shape[0] || mask.shape[1] !== values.shape[1]) {
    throw new ShapeError(`${kind} attention`, 'mask must be [batch, source length] like the memory', [mask.shape, values.shape]);
  }
}

function checkQuery(kind: string, query: Tensor, querySize: number, memory: AttentionMemory): void {
  if (query.rank !== 2 || query.shape[1] !== querySize || query.shape[0] !== memory.values.shape[0]) {
    throw new ShapeError(`${kind} attention`, `query must be [${memory.values.shape[0]}, ${querySize}]`, [query.shape]);
  }
}

/**
 * Additive attention (Bahdanau, Cho & Bengio 2015), a one-hidden-layer scorer:
 *
 *     e_s = v^T tanh(W_q q + W_k h_s + b)
 *
 * with W_q = `query.weight` [A, Q], W_k = `key.weight` [A, M], b = `key.bias` [A] and
 * v = `score` [A]. W_k h_s + b is computed once per source in `prepare` (one gemm for all
 * positions); a step costs one [B, Q] x [Q, A] product plus the tanh over [B, S, A].
 *
 * @example
 * ```ts
 * const att = new AdditiveAttention({ kind: 'additive', querySize: 16, memorySize: 32, hiddenSize: 24 }, new Rng(0));
 * const { weights } = att.attend(q, att.prepare(h, mask)); // [B, S]
 * ```
 */
export class AdditiveAttention extends Module implements Attention {
  readonly kind = 'additive';
  readonly querySize: number;
  readonly memorySize: number;
  readonly hiddenSize: number;
  readonly dtype: DType;
  /** W_q: weight [A, Q], no bias */
  readonly query: Linear;
  /** W_k: weight [A, M], bias b [A] */
  readonly key: Linear;
  /** v: [A] */
  readonly score: Tensor;

  constructor(config: AttentionConfig<'additive'>, rng: Rng) {
    super();
    checkSizes(config);
    this.querySize = config.querySize;
    this.memorySize = config.memorySize;
    this.hiddenSize = config.hiddenSize ?? config.querySize;
    if (!Number.isInteger(this.hiddenSize) || this.hiddenSize < 1) throw new ArgumentError('additive attention', `hiddenSize must be a positive integer, got ${this.hiddenSize}`);
    this.dtype = config.dtype ?? 'float32';
    this.query = new Linear({ inFeatures: this.querySize, outFeatures: this.hiddenSize, bias: false, dtype: this.dtype, rng });
    this.key = new Linear({ inFeatures: this.memorySize, outFeatures: this.hiddenSize, dtype: this.dtype, rng });
    this.score = uniformParameter([this.hiddenSize], 1 / Math.sqrt(this.hiddenSize), rng, this.dtype);
  }

  prepare(values: Tensor, mask: Tensor): AttentionMemory {
    checkMemory('additive', values, mask, this.memorySize, this.dtype);
    return { values, keys: this.key.forward(values), mask };
  }

  attend(query: Tensor, memory: AttentionMemory): AttentionResult {
    checkQuery('additive', query, this.querySize, memory);
    const [batch, steps] = memory.values.shape as [number, number, number];
    const hidden = tanh(add(memory.keys, unsqueeze(this.query.forward(query), 1)));
    const scores = reshape(matmul(hidden, reshape(this.score, [this.hiddenSize, 1])), [batch, steps]);
    return readContext(scores, memory);
  }
}

/**
 * Multiplicative "dot" attention (Luong, Pham & Manning 2015): e_s = q . h_s. No
 * parameters; the query and the annotations must have the same size (a bidirectional
 * encoder doubles the annotation size, so pair it with a decoder twice as wide, or use
 * 'general').
 *
 * @example
 * ```ts
 * const att = new DotAttention({ kind: 'dot', querySize: 32, memorySize: 32 });
 * const { context } = att.attend(q, att.prepare(h, mask)); // [B, 32]
 * ```
 */
export class DotAttention extends Module implements Attention {
  readonly kind = 'dot';
  readonly querySize: number;
  readonly memorySize: number;
  readonly dtype: DType;

  constructor(config: AttentionConfig<'dot'>) {
    super();
    checkSizes(config);
    if (config.querySize !== config.memorySize) {
      throw new ArgumentError('dot attention', `the query (${config.querySize}) and the memory (${config.memorySize}) must have the same size; use 'general' attention to learn a map between them`);
    }
    this.querySize = config.querySize;
    this.memorySize = config.memorySize;
    this.dtype = config.dtype ?? 'float32';
  }

  prepare(values: Tensor, mask: Tensor): AttentionMemory {
    checkMemory('dot', values, mask, this.memorySize, this.dtype);
    return { values, keys: values, mask };
  }

  attend(query: Tensor, memory: AttentionMemory): AttentionResult {
    checkQuery('dot', query, this.querySize, memory);
    return readContext(bilinearScores(query, memory.keys), memory);
  }
}

/**
 * Multiplicative "general" attention (Luong, Pham & Manning 2015): e_s = q^T W_a h_s with
 * W_a = `weight.weight` [Q, M]. W_a h_s is computed once per source in `prepare`, so a
 * step costs one batched product of the query with the keys.
 *
 * @example
 * ```ts
 * const att = new GeneralAttention({ kind: 'general', querySize: 32, memorySize: 64 }, new Rng(0));
 * const { context } = att.attend(q, att.prepare(h, mask)); // q [B, 32] -> [B, 64]
 * ```
 */
export class GeneralAttention extends Module implements Attention {
  readonly kind = 'general';
  readonly querySize: number;
  readonly memorySize: number;
  readonly dtype: DType;
  /** W_a: weight [Q, M], no bias */
  readonly weight: Linear;

  constructor(config: AttentionConfig<'general'>, rng: Rng) {
    super();
    checkSizes(config);
    this.querySize = config.querySize;
    this.memorySize = config.memorySize;
    this.dtype = config.dtype ?? 'float32';
    this.weight = new Linear({ inFeatures: this.memorySize, outFeatures: this.querySize, bias: false, dtype: this.dtype, rng });
  }

  prepare(values: Tensor, mask: Tensor): AttentionMemory {
    checkMemory('general', values, mask, this.memorySize, this.dtype);
    return { values, keys: this.weight.forward(values), mask };
  }

  attend(query: Tensor, memory: AttentionMemory): AttentionResult {
    checkQuery('general', query, this.querySize, memory);
    return readContext(bilinearScores(query, memory.keys), memory);
  }
}

/** e[b, s] = keys[b, s, :] . q[b, :] as one batched product: [B, S, Q] x [B, Q, 1]. */
function bilinearScores(query: Tensor, keys: Tensor): Tensor {
  const [batch, steps] = keys.shape as [number, number, number];
  return reshape(matmul(keys, unsqueeze(query, 2)), [batch, steps]);
}

function checkSizes(config: AttentionConfig): void {
  for (const key of ['querySize', 'memorySize'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) throw new ArgumentError(`${config.kind} attention`, `${key} must be a positive integer, got ${config[key]}`);
  }
}

/** The attention kinds unfold implements. */
export type AttentionKind = 'additive' | 'dot' | 'general';

/** What the registry knows of one attention kind. */
export interface AttentionSpec<K extends AttentionKind> {
  /** One line for `--help` and docs. */
  readonly summary: string;
  create(config: AttentionConfig<K>, rng: Rng): Attention;
}

/**
 * Every attention kind, keyed by kind: the CLI's `--attention` choices, the generic
 * gradient check and model files (kind + sizes rebuild the mechanism) all read this table.
 *
 * @example
 * ```ts
 * const att = ATTENTIONS.general.create({ kind: 'general', querySize: 8, memorySize: 16 }, new Rng(0));
 * ```
 */
export const ATTENTIONS: { readonly [K in AttentionKind]: AttentionSpec<K> } = {
  additive: { summary: 'Bahdanau: e = v^T tanh(W_q q + W_k h + b)', create: (config, rng) => new AdditiveAttention(config, rng) },
  dot: { summary: 'Luong dot: e = q . h (query and memory of one size)', create: (config) => new DotAttention(config) },
  general: { summary: 'Luong general: e = q^T W_a h', create: (config, rng) => new GeneralAttention(config, rng) },
};

/** The registered attention kinds, in table order. @example `ATTENTION_KINDS; // ['additive', 'dot', 'general']` */
export const ATTENTION_KINDS = Object.keys(ATTENTIONS) as AttentionKind[];

/**
 * Builds an attention mechanism by kind.
 *
 * @example
 * ```ts
 * const att = createAttention({ kind: 'dot', querySize: 32, memorySize: 32 }, new Rng(0));
 * ```
 */
export function createAttention(config: AttentionConfig, rng: Rng): Attention {
  if (!(config.kind in ATTENTIONS)) throw new ArgumentError('attention', `unknown kind '${String(config.kind)}' (${ATTENTION_KINDS.join(', ')})`);
  return (ATTENTIONS[config.kind] as AttentionSpec<AttentionKind>).create(config, rng);
}

/**
 * The [B, S] mask of valid source positions for per-example lengths: 1 where s < lengths[b].
 *
 * @example
 * ```ts
 * sourceMask([3, 1], 3, 'float32').toArray(); // [[1, 1, 1], [1, 0, 0]]
 * ```
 */
export function sourceMask(lengths: readonly number[], steps: number, dtype: DType): Tensor {
  const data = allocate(dtype, lengths.length * steps);
  lengths.forEach((n, b) => data.fill(1, b * steps, b * steps + Math.min(n, steps)));
  return new Tensor(data, [lengths.length, steps]);
}
