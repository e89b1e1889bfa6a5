import { noGrad } from '../../autograd/index.js';
import { ArgumentError, Tensor, allocate, type Rng } from '../../tensor/index.js';
import { checkSamplingOptions, sampleLogits, type SamplingOptions } from '../sampling.js';
import { SEQ2SEQ_TOKENS, type DecoderState, type EncodedSource, type Seq2Seq, type TokenBatch } from './model.js';

/** Options shared by every decoder. */
export interface DecodeOptions {
  /**
   * Most symbols generated per example, the end token included; a hypothesis that reaches
   * it unfinished is returned with `finished: false`. Default 2 x source length + 10.
   */
  readonly maxLength?: number;
  /** Record the attention weights of every generated step (default false). */
  readonly returnAttention?: boolean;
}

/** One decoded output sequence. */
export interface Hypothesis {
  /** The generated ids, without the end token. */
  readonly tokens: number[];
  /** log P(y | x) = sum_t log P(y(t) | y(<t), x), the end token's included when finished. */
  readonly logProb: number;
  /** What beam search ranks by: logProb / lp(n) (see {@link lengthPenalty}); logProb for greedy and sampling. */
  readonly score: number;
  /** True when the sequence ended with the end token, false when it hit maxLength. */
  readonly finished: boolean;
  /** With `returnAttention`: per generated step (end token included), the weights over the example's source positions. */
  readonly attention: number[][] | null;
}

/**
 * The length normalisation of Wu et al. (2016, GNMT): lp(n) = ((5 + n) / 6)^alpha for a
 * hypothesis of n symbols (end token included). alpha = 0 ranks by raw log-probability,
 * which favours short outputs; alpha around 0.6-1 removes most of that bias.
 *
 * @example
 * ```ts
 * lengthPenalty(7, 0.6); // ((5 + 7) / 6)^0.6 = 1.5157
 * ```
 */
export function lengthPenalty(length: number, alpha: number): number {
  return alpha === 0 ? 1 : ((5 + length) / 6) ** alpha;
}

/**
 * Greedy decoding: y(t) = argmax_y log P(y | y(<t), x) at every step (the reserved pad
 * and begin tokens are never chosen; ties go to the lowest id), until the end token or
 * maxLength. Batched: all examples advance together, one decoder step (one cell step,
 * state carried) per symbol; finished examples leave the batch.
 *
 * @example
 * ```ts
 * const [hyp] = greedyDecode(model, padSequences([vocab.encode('abc')]));
 * vocab.decode(hyp.tokens);
 * ```
 */
export function greedyDecode(model: Seq2Seq, source: TokenBatch, options: DecodeOptions = {}): Hypothesis[] {
  return runDecoder(model, source, options, (_logits, logProbs) => argmaxAllowed(logProbs));
}

/**
 * Ancestral sampling: y(t) drawn from softmax(logits / temperature), optionally limited to
 * the top-k symbols or the top-p nucleus (see `sampleLogits`), until the end token or
 * maxLength. `logProb` is the sample's log-probability under the model itself
 * (temperature 1, no truncation). Temperature 0 is greedy.
 *
 * @example
 * ```ts
 * sampleDecode(model, src, { temperature: 0.8, topP: 0.9 }, new Rng(1));
 * ```
 */
export function sampleDecode(model: Seq2Seq, source: TokenBatch, options: DecodeOptions & SamplingOptions, rng: Rng): Hypothesis[] {
  checkSamplingOptions(options);
  const sampling: SamplingOptions = {
    ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
    ...(options.topK === undefined ? {} : { topK: options.topK }),
    ...(options.topP === undefined ? {} : { topP: options.topP }),
  };
  return runDecoder(model, source, options, (logits) => {
    const row = Float64Array.from(logits);
    row[SEQ2SEQ_TOKENS.pad] = -Infinity;
    row[SEQ2SEQ_TOKENS.bos] = -Infinity;
    return sampleLogits(row, sampling, rng);
  });
}

/** Options of {@link beamSearch}. */
export interface BeamSearchOptions extends DecodeOptions {
  /** K: live hypotheses kept per example at every step. 1 is greedy decoding. */
  readonly beamWidth: number;
  /** alpha of {@link lengthPenalty} (default 0: rank by log-probability). */
  readonly lengthPenalty?: number;
  /** Hypotheses returned per example, best first (default 1, at most beamWidth + 1). */
  readonly nBest?: number;
}

/**
 * Beam search. Each example keeps the K best partial hypotheses by log-probability; at
 * every step each is extended by ONE decoder step on its carried state (the K beams of all
 * examples run as one batch of rows), the best 2K extensions are ranked, those ending in
 * the end token become finished hypotheses scored logProb / lp(n), and the best K others
 * live on; the states follow their parents by a gather on the batch axis. An example is
 * done when K hypotheses have finished, when no live beam can still beat the best finished
 * one (logProb only falls, so a live beam's bound is its logProb / lp(maxLength)), or at
 * maxLength (its live beams are then returned unfinished).
 *
 * With K > 1 the greedy hypothesis is also a candidate (one extra batched greedy pass):
 * plain beam search can lose the greedy path when K better-looking prefixes crowd it out
 * and then fail, so it is not guaranteed to score at least as well as greedy; with the
 * greedy candidate it is. K = 1 is exactly greedy decoding, same ids and same logProb.
 *
 * Returns, per example, up to nBest hypotheses best first.
 *
 * @example
 * ```ts
 * const [best] = beamSearch(model, src, { beamWidth: 5, lengthPenalty: 0.6 })[0];
 * ```
 */
export function beamSearch(model: Seq2Seq, source: TokenBatch, options: BeamSearchOptions): Hypothesis[][] {
  const width = options.beamWidth;
  if (!Number.isInteger(width) || width < 1) throw new ArgumentError('beamSearch', `beamWidth must be a positive integer, got ${width}`);
  const alpha = options.lengthPenalty ?? 0;
  if (!(alpha >= 0) || !Number.isFinite(alpha)) throw new ArgumentError('beamSearch', `lengthPenalty must be a finite number >= 0, got ${alpha}`);
  const nBest = options.nBest ?? 1;
  if (!Number.isInteger(nBest) || nBest < 1) throw new ArgumentError('beamSearch', `nBest must be a positive integer, got ${nBest}`);
  const limits = maxLengths(source, options);
  const record = options.returnAttention === true;
  const { eos } = SEQ2SEQ_TOKENS;

  const results = withEval(model, () => noGrad(() => {
    const encodedAll = model.encode(source);
    const batch = source.lengths.length;
    const vocab = model.config.targetVocabSize;
    const finished: Hypothesis[][] = Array.from({ length: batch }, () => []);
    // Row r of the decoder batch is one live beam: its example and its path so far.
    let beams: Beam[] = Array.from({ length: batch }, (_, b) => ({ example: b, node: null, logProb: 0 }));
    let encoded = encodedAll;
    let state: DecoderState = model.initialState(encoded);
    let rowExamples = beams.map((beam) => beam.example);
    const logProbs = new Float64Array(vocab);
    for (let t = 0; beams.length > 0; t++) {
      const previous = new Tensor(Float64Array.from(beams, (beam) => beam.node?.token ?? SEQ2SEQ_TOKENS.bos), [beams.length]);
      const step = model.step(previous, state, encoded);
      const next: Beam[] = [];
      const parents: number[] = [];
      for (let start = 0; start < beams.length; ) {
        const example = (beams[start] as Beam).example;
        let end = start;
        while (end < beams.length && (beams[end] as Beam).example === example) end++;
        const pool = new TopCandidates(2 * width);
        for (let r = start; r < end; r++) {
          logSoftmaxRow(step.logits.data, r * vocab, vocab, logProbs);
          const base = (beams[r] as Beam).logProb;
          for (let v = 0; v < vocab; v++) {
            if (v === SEQ2SEQ_TOKENS.pad || v === SEQ2SEQ_TOKENS.bos) continue;
            pool.offer(base + (logProbs[v] as number), logProbs[v] as number, r, v);
          }
        }
        const length = t + 1;
        const atLimit = length >= (limits[example] as number);
        const done = finished[example] as Hypothesis[];
        const live: { beam: Beam; row: number }[] = [];
        for (const c of pool.sorted()) {
          if (live.length === width) break;
          const node: PathNode = {
            token: c.token, parent: (beams[c.row] as Beam).node, length,
            attention: record && step.attention !== null ? attentionRow(step.attention, c.row, encoded.lengths[c.row] as number) : null,
          };
          if (c.token === eos) done.push(hypothesis(node, c.total, alpha, true));
          else live.push({ beam: { example, node, logProb: c.total }, row: c.row });
        }
        if (atLimit) {
          for (const { beam } of live) done.push(hypothesis(beam.node as PathNode, beam.logProb, alpha, false));
        } else {
          const best = done.reduce((m, h) => Math.max(m, h.score), -Infinity);
          const bestLive = live.reduce((m, { beam }) => Math.max(m, beam.logProb), -Infinity);
          const settled = done.length >= width || live.length === 0 || best >= bestLive / lengthPenalty(limits[example] as number, alpha);
          if (!settled) {
            for (const { beam, row } of live) {
              next.push(beam);
              parents.push(row);
            }
          }
        }
        start = end;
      }
      if (next.length === 0) break;
      state = model.selectState(step.state, parents);
      const examples = next.map((beam) => beam.example);
      // Rows of one example hold copies of one source, so the source only needs gathering
      // when the example of some row changes (the first step, or an example finishing).
      if (!sameRows(examples, rowExamples)) encoded = model.selectSource(encoded, parents);
      rowExamples = examples;
      beams = next;
    }
    return finished;
  }));

  const anchor = width > 1 ? greedyDecode(model, source, { ...options, returnAttention: record }) : null;
  return results.map((hyps, b) => {
    const all = [...hyps];
    const greedy = anchor?.[b];
    if (greedy !== undefined && !all.some((h) => sameTokens(h, greedy))) {
      const n = greedy.tokens.length + (greedy.finished ? 1 : 0);
      all.push({ ...greedy, score: greedy.logProb / lengthPenalty(n, alpha) });
    }
    // Stable: equal scores keep the order they were found in.
    return all.sort((a, c) => c.score - a.score).slice(0, nBest);
  });
}

interface PathNode {
  readonly token: number;
  readonly parent: PathNode | null;
  readonly length: number;
  readonly attention: number[] | null;
}

interface Beam {
  readonly example: number;
  readonly node: PathNode | null;
  readonly logProb: number;
}

interface Candidate {
  readonly total: number;
  readonly logProb: number;
  readonly row: number;
  readonly token: number;
}

/**
 * The best `capacity` candidates by (total desc, own log-probability desc, row asc, token
 * asc). The secondary keys make the order total and identical to greedy's argmax: with one
 * row, the first candidate is the first maximiser of the row's log-probability.
 */
class TopCandidates {
  private readonly items: Candidate[] = [];
  constructor(private readonly capacity: number) {}

  offer(total: number, logProb: number, row: number, token: number): void {
    if (total === -Infinity) return;
    const items = this.items;
    if (items.length === this.capacity && !before(total, logProb, row, token, items[items.length - 1] as Candidate)) return;
    let i = items.length;
    while (i > 0 && before(total, logProb, row, token, items[i - 1] as Candidate)) i--;
    items.splice(i, 0, { total, logProb, row, token });
    if (items.length > this.capacity) items.pop();
  }

  sorted(): readonly Candidate[] {
    return this.items;
  }
}

function before(total: number, logProb: number, row: number, token: number, c: Candidate): boolean {
  if (total !== c.total) return total > c.total;
  if (logProb !== c.logProb) return logProb > c.logProb;
  if (row !== c.row) return row < c.row;
  return token < c.token;
}

function hypothesis(node: PathNode, logProb: number, alpha: number, finished: boolean): Hypothesis {
  const tokens: number[] = [];
  const attention: number[][] = [];
  let recorded = true;
  for (let n: PathNode | null = node; n !== null; n = n.parent) {
    if (!(finished && n === node)) tokens.push(n.token);
    if (n.attention === null) recorded = false;
    else attention.push(n.attention);
  }
  tokens.reverse();
  attention.reverse();
  return { tokens, logProb, score: logProb / lengthPenalty(node.length, alpha), finished, attention: recorded ? attention : null };
}

function sameTokens(a: Hypothesis, b: Hypothesis): boolean {
  return a.finished === b.finished && a.tokens.length === b.tokens.length && a.tokens.every((t, i) => t === b.tokens[i]);
}

function sameRows(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * The shared loop of greedy decoding and sampling: one decoder step per symbol for every
 * unfinished example at once; `choose` picks each row's next id from its logits and
 * float64 log-probabilities.
 */
function runDecoder(
  model: Seq2Seq, source: TokenBatch, options: DecodeOptions,
  choose: (logits: ArrayLike<number>, logProbs: Float64Array) => number,
): Hypothesis[] {
  const limits = maxLengths(source, options);
  const record = options.returnAttention === true;
  return withEval(model, () => noGrad(() => {
    let encoded: EncodedSource = model.encode(source);
    const batch = source.lengths.length;
    const vocab = model.config.targetVocabSize;
    let state = model.initialState(encoded);
    let active = Array.from({ length: batch }, (_, b) => b);
    let previous = new Tensor(new Float64Array(batch).fill(SEQ2SEQ_TOKENS.bos), [batch]);
    const tokens: number[][] = Array.from({ length: batch }, () => []);
    const attention: number[][][] = Array.from({ length: batch }, () => []);
    const logProb = new Float64Array(batch);
    const finished = new Array<boolean>(batch).fill(false);
    const logProbs = new Float64Array(vocab);
    for (let t = 0; active.length > 0; t++) {
      const step = model.step(previous, state, encoded);
      const keep: number[] = [];
      const ids: number[] = [];
      active.forEach((b, i) => {
        const row = step.logits.data.subarray(i * vocab, (i + 1) * vocab);
        logSoftmaxRow(step.logits.data, i * vocab, vocab, logProbs);
        const id = choose(row, logProbs);
        logProb[b] = (logProb[b] as number) + (logProbs[id] as number);
        if (record && step.attention !== null) (attention[b] as number[][]).push(attentionRow(step.attention, i, encoded.lengths[i] as number));
        if (id === SEQ2SEQ_TOKENS.eos) {
          finished[b] = true;
          return;
        }
        (tokens[b] as number[]).push(id);
        if (t + 1 < (limits[b] as number)) {
          keep.push(i);
          ids.push(id);
        }
      });
      if (keep.length === 0) break;
      if (keep.length < active.length) {
        encoded = model.selectSource(encoded, keep);
        state = model.selectState(step.state, keep);
      } else {
        state = step.state;
      }
      active = keep.map((i) => active[i] as number);
      previous = new Tensor(Float64Array.from(ids), [ids.length]);
    }
    return tokens.map((ts, b) => ({
      tokens: ts, logProb: logProb[b] as number, score: logProb[b] as number, finished: finished[b] as boolean,
      attention: record && model.attention !== null ? (attention[b] as number[][]) : null,
    }));
  }));
}

/** log softmax of data[offset .. offset + n) into out, in float64: x_i - (m + log sum_j exp(x_j - m)). */
function logSoftmaxRow(data: ArrayLike<number>, offset: number, n: number, out: Float64Array): void {
  let m = -Infinity;
  for (let i = 0; i < n; i++) m = Math.max(m, data[offset + i] as number);
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.exp((data[offset + i] as number) - m);
  const lse = m + Math.log(s);
  for (let i = 0; i < n; i++) out[i] = (data[offset + i] as number) - lse;
}

/** The first maximiser of the log-probabilities among ids that may be generated. */
function argmaxAllowed(logProbs: Float64Array): number {
  let best = -1;
  for (let v = 0; v < logProbs.length; v++) {
    if (v === SEQ2SEQ_TOKENS.pad || v === SEQ2SEQ_TOKENS.bos) continue;
    if (best === -1 || (logProbs[v] as number) > (logProbs[best] as number)) best = v;
  }
  return best;
}

function attentionRow(weights: Tensor, row: number, length: number): number[] {
  const steps = weights.shape[1] as number;
  return Array.from(weights.data.subarray(row * steps, row * steps + length));
}

function maxLengths(source: TokenBatch, options: DecodeOptions): number[] {
  const fixed = options.maxLength;
  if (fixed !== undefined && (!Number.isInteger(fixed) || fixed < 1)) throw new ArgumentError('decode', `maxLength must be a positive integer, got ${fixed}`);
  return source.lengths.map((n) => fixed ?? 2 * n + 10);
}

function withEval<T>(model: Seq2Seq, fn: () => T): T {
  const wasTraining = model.training;
  model.eval();
  try {
    return fn();
  } finally {
    model.train(wasTraining);
  }
}

/** Ids as a [1, n] source batch of one example, for decoding a single input. @example `greedyDecode(model, singleSource(ids))` */
export function singleSource(ids: ArrayLike<number>): TokenBatch {
  if (ids.length === 0) throw new ArgumentError('decode', 'the source is empty');
  const data = allocate('float32', ids.length);
  for (let i = 0; i < ids.length; i++) data[i] = ids[i] as number;
  return { tokens: new Tensor(data, [1, ids.length]), lengths: [ids.length] };
}
