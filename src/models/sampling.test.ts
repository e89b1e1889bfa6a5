import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ArgumentError, Rng } from '../tensor/index.js';
import { checkSamplingOptions, sampleLogits, type SamplingOptions } from './sampling.js';

const DRAWS = 20_000;

/** softmax(z / T), in float64. */
function softmax(logits: readonly number[], temperature = 1): number[] {
  const max = Math.max(...logits);
  const e = logits.map((z) => Math.exp((z - max) / temperature));
  const total = e.reduce((s, v) => s + v, 0);
  return e.map((v) => v / total);
}

function counts(logits: readonly number[], options: SamplingOptions, seed: number): number[] {
  const rng = new Rng(seed);
  const out = new Array<number>(logits.length).fill(0);
  const row = Float32Array.from(logits);
  for (let i = 0; i < DRAWS; i++) {
    const k = sampleLogits(row, options, rng);
    out[k] = (out[k] as number) + 1;
  }
  return out;
}

/** Restricts p to the indices in `keep` and renormalises; the others get probability 0. */
function restrict(p: readonly number[], keep: readonly number[]): number[] {
  const mass = keep.reduce((s, i) => s + (p[i] as number), 0);
  return p.map((v, i) => (keep.includes(i) ? v / mass : 0));
}

// Upper 0.1 % points of the chi-square distribution with df degrees of freedom: a correct
// sampler exceeds them for one seed in a thousand (the seeds here are fixed).
const CHI_SQUARE_999: Record<number, number> = { 1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46, 7: 24.32 };

/** Pearson's chi-square of the counts against `expected` over the indices with p > 0; asserts no draw fell where p = 0. */
function assertDistribution(observed: readonly number[], expected: readonly number[], label: string): void {
  let stat = 0;
  let cells = 0;
  expected.forEach((p, i) => {
    const o = observed[i] as number;
    if (p === 0) {
      assert.equal(o, 0, `${label}: index ${i} has probability 0 but was drawn ${o} times`);
      return;
    }
    const e = p * DRAWS;
    stat += (o - e) ** 2 / e;
    cells += 1;
  });
  if (cells === 1) return; // one cell: every draw is it, already checked above.
  const critical = CHI_SQUARE_999[cells - 1] as number;
  assert.ok(stat < critical, `${label}: chi-square ${stat.toFixed(2)} >= ${critical} (df ${cells - 1}); observed ${observed.join(', ')}`);
}

describe('sampleLogits', () => {
  // Deliberately out of order, so that the top-k and nucleus must be found by sorting.
  const logits = [0.3, 2.1, -1.0, 1.4, 0.9, -0.2, 1.8, 0.0];
  const byProbability = [1, 6, 3, 4, 0, 7, 5, 2];

  test('temperature T draws from softmax(z / T); T = 0 is argmax', () => {
    for (const temperature of [0.5, 1, 2]) {
      assertDistribution(counts(logits, { temperature }, 11), softmax(logits, temperature), `T = ${temperature}`);
    }
    // The scaling matters: draws at T = 0.5 do not fit softmax(z), nor draws at T = 2.
    const chi = (observed: number[], p: number[]): number => p.reduce((s, q, i) => s + ((observed[i] as number) - q * DRAWS) ** 2 / (q * DRAWS), 0);
    assert.ok(chi(counts(logits, { temperature: 0.5 }, 12), softmax(logits)) > 10 * (CHI_SQUARE_999[7] as number));
    assert.ok(chi(counts(logits, { temperature: 2 }, 13), softmax(logits)) > 10 * (CHI_SQUARE_999[7] as number));
    const rng = new Rng(0);
    for (let i = 0; i < 100; i++) assert.equal(sampleLogits(logits, { temperature: 0 }, rng), 1);
  });

  test('top-k draws only among the k most likely, each with its renormalised probability', () => {
    const p = softmax(logits);
    for (const topK of [2, 3, 5]) {
      const observed = counts(logits, { topK }, 20 + topK);
      assertDistribution(observed, restrict(p, byProbability.slice(0, topK)), `top-${topK}`);
    }
    // With temperature, the top k are renormalised from softmax(z / T).
    assertDistribution(counts(logits, { topK: 3, temperature: 1.7 }, 30), restrict(softmax(logits, 1.7), byProbability.slice(0, 3)), 'top-3, T = 1.7');
    // k = 1 is argmax; k >= n (or 0) keeps every symbol and draws the same sequence as no top-k.
    const rng = new Rng(1);
    for (let i = 0; i < 100; i++) assert.equal(sampleLogits(logits, { topK: 1 }, rng), 1);
    const a = new Rng(5);
    const b = new Rng(5);
    for (let i = 0; i < 500; i++) assert.equal(sampleLogits(logits, { topK: 8 }, a), sampleLogits(logits, {}, b));
  });

  test('top-p keeps exactly the smallest nucleus whose probability reaches p', () => {
    // Probabilities 0.5, 0.2, 0.15, 0.1, 0.05 at indices 3, 0, 4, 1, 2: cumulative 0.5, 0.7, 0.85, 0.95, 1.
    const probs = [0.2, 0.1, 0.05, 0.5, 0.15];
    const z = probs.map(Math.log);
    const order = [3, 0, 4, 1, 2];
    for (const [topP, size] of [[0.45, 1], [0.6, 2], [0.75, 3], [0.86, 4], [0.97, 5]] as const) {
      const observed = counts(z, { topP }, 40 + size);
      const nucleus = order.slice(0, size);
      // Exactly the nucleus: every member is drawn, nothing outside it is.
      assert.deepEqual(observed.map((c) => c > 0), probs.map((_, i) => nucleus.includes(i)), `top-p ${topP}: drawn ${observed.join(', ')}`);
      assertDistribution(observed, restrict(probs, nucleus), `top-p ${topP}`);
    }
    // Top-k applies first: within the 2 most likely the mass 0.7 never reaches 0.86, so both stay.
    assertDistribution(counts(z, { topK: 2, topP: 0.86 }, 50), restrict(probs, [3, 0]), 'top-2 then top-p 0.86');
  });

  test('bad options are ArgumentErrors naming the option', () => {
    const bad = (options: SamplingOptions, pattern: RegExp): void => {
      assert.throws(() => checkSamplingOptions(options), (e: unknown) => e instanceof ArgumentError && pattern.test(e.message));
    };
    bad({ temperature: -1 }, /temperature must be >= 0/);
    bad({ topK: 1.5 }, /topK must be a non-negative integer/);
    bad({ topP: 0 }, /topP must be in \(0, 1\]/);
    bad({ topP: 1.2 }, /topP must be in \(0, 1\]/);
    checkSamplingOptions({ temperature: 0, topK: 0, topP: 1 });
  });
});
