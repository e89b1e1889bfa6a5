import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../../autograd/index.js';
import { crossEntropy } from '../../ops/index.js';
import { Rng } from '../../tensor/index.js';
import { beamSearch, greedyDecode, lengthPenalty, sampleDecode } from './decode.js';
import { SEQ2SEQ_DEFAULTS, SEQ2SEQ_TOKENS, Seq2Seq, padSequences, type Seq2SeqConfig, type TokenBatch } from './model.js';

const V = 9;

/**
 * An untrained model with weights scaled up so its distributions are peaked and its
 * outputs end at different lengths: a harder test of beam bookkeeping than a flat model.
 */
function sharpModel(seed: number, overrides: Partial<Seq2SeqConfig> = {}): Seq2Seq {
  const model = new Seq2Seq({ ...SEQ2SEQ_DEFAULTS, sourceVocabSize: V, targetVocabSize: V, embedding: 6, hidden: 8, ...overrides }, new Rng(seed));
  for (const p of model.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = (p.data[i] as number) * 2.5;
  return model;
}

function randomSources(n: number, rng: Rng): TokenBatch {
  return padSequences(Array.from({ length: n }, () => Array.from({ length: 1 + rng.int(7) }, () => 3 + rng.int(V - 3))));
}

test('beam search of width 1 is greedy decoding exactly: same ids, same log-probabilities, same finished flags', () => {
  for (const seed of [1, 2, 3, 4]) {
    const model = sharpModel(seed, seed % 2 === 0 ? { cell: 'lstm', attention: 'general' } : {});
    const source = randomSources(24, new Rng(100 + seed));
    const greedy = greedyDecode(model, source, { maxLength: 12 });
    const beam = beamSearch(model, source, { beamWidth: 1, maxLength: 12 });
    greedy.forEach((g, b) => {
      const h = beam[b]?.[0];
      assert.ok(h !== undefined);
      assert.deepEqual(h.tokens, g.tokens, `seed ${seed} example ${b}`);
      assert.equal(h.logProb, g.logProb);
      assert.equal(h.finished, g.finished);
    });
  }
});

test('beam search of width k never scores below greedy (log-probability, and normalised score with a length penalty)', () => {
  let strictlyBetter = 0;
  let compared = 0;
  for (const seed of [5, 6, 7]) {
    const model = sharpModel(seed, { cell: seed === 6 ? 'rnn' : 'gru', attention: seed === 7 ? 'none' : 'additive' });
    const source = randomSources(30, new Rng(200 + seed));
    const greedy = greedyDecode(model, source, { maxLength: 10 });
    for (const alpha of [0, 0.8]) {
      for (const k of [2, 3, 5]) {
        const beams = beamSearch(model, source, { beamWidth: k, lengthPenalty: alpha, maxLength: 10, nBest: k });
        beams.forEach((hyps, b) => {
          const g = greedy[b];
          const best = hyps[0];
          assert.ok(g !== undefined && best !== undefined);
          const gScore = g.logProb / lengthPenalty(g.tokens.length + (g.finished ? 1 : 0), alpha);
          assert.ok(best.score >= gScore, `seed ${seed} k=${k} alpha=${alpha} example ${b}: beam ${best.score} < greedy ${gScore}`);
          if (best.score > gScore + 1e-9) strictlyBetter++;
          compared++;
          for (let i = 1; i < hyps.length; i++) assert.ok((hyps[i - 1] as { score: number }).score >= (hyps[i] as { score: number }).score);
        });
      }
    }
  }
  // The search is doing something: on a peaked random model it often finds better outputs.
  assert.ok(strictlyBetter > compared / 20, `beam beat greedy on only ${strictlyBetter} of ${compared}`);
});

test('a hypothesis\'s logProb is the model\'s log-likelihood of that output recomputed by teacher forcing (the carried state is right)', () => {
  const model = sharpModel(8, { cell: 'lstm', attention: 'additive', context: 'both' });
  const source = randomSources(10, new Rng(9));
  const beams = beamSearch(model, source, { beamWidth: 3, maxLength: 9, nBest: 3 });
  noGrad(() => {
    beams.forEach((hyps, b) => {
      const len = source.lengths[b] as number;
      const one = padSequences([Array.from(source.tokens.data.subarray(b * (source.tokens.shape[1] as number), b * (source.tokens.shape[1] as number) + len))]);
      for (const h of hyps) {
        const target = padSequences([h.finished ? [...h.tokens, SEQ2SEQ_TOKENS.eos] : h.tokens]);
        const logits = model.forward(one, target).logits;
        const nll = crossEntropy(logits, target.tokens, { reduction: 'sum' }).item();
        assert.ok(Math.abs(-nll - h.logProb) < 1e-3 * Math.max(1, Math.abs(h.logProb)), `example ${b}: ${-nll} vs ${h.logProb}`);
      }
    });
  });
});

test('decoding costs one decoder step per generated symbol: the prefix is never re-run', () => {
  const model = sharpModel(10);
  const source = randomSources(16, new Rng(11));
  let rows = 0;
  let calls = 0;
  const step = model.step.bind(model);
  model.step = (previous, state, encoded) => {
    calls++;
    rows += previous.size;
    return step(previous, state, encoded);
  };
  const greedy = greedyDecode(model, source, { maxLength: 10 });
  const generated = greedy.reduce((n, h) => n + h.tokens.length + (h.finished ? 1 : 0), 0);
  assert.equal(rows, generated);
  assert.equal(calls, Math.max(...greedy.map((h) => h.tokens.length + (h.finished ? 1 : 0))));
  rows = 0;
  calls = 0;
  const k = 4;
  beamSearch(model, source, { beamWidth: k, maxLength: 10 });
  const beamRows = rows;
  const beamCalls = calls;
  // The greedy candidate is one batched greedy pass on top of the beam steps.
  assert.ok(beamCalls <= 2 * 10);
  assert.ok(beamRows <= generated + source.lengths.length * k * 10, `${beamRows} rows`);
});

test('sampling: temperature 0 and top-k 1 are greedy; a seed reproduces a draw; the reserved tokens are never drawn', () => {
  const model = sharpModel(12);
  const source = randomSources(12, new Rng(13));
  const greedy = greedyDecode(model, source, { maxLength: 10 });
  for (const options of [{ temperature: 0 }, { topK: 1 }]) {
    const s = sampleDecode(model, source, { ...options, maxLength: 10 }, new Rng(1));
    s.forEach((h, b) => assert.deepEqual(h.tokens, greedy[b]?.tokens));
  }
  const a = sampleDecode(model, source, { temperature: 1.5, topP: 0.9, maxLength: 10 }, new Rng(7));
  const again = sampleDecode(model, source, { temperature: 1.5, topP: 0.9, maxLength: 10 }, new Rng(7));
  assert.deepEqual(a, again);
  for (const h of a) assert.ok(h.tokens.every((t) => t >= 3));
});

test('attention weights come back per generated step, over the example\'s own source positions', () => {
  const model = sharpModel(14);
  const source = padSequences([[3, 4, 5, 6], [7, 8]]);
  for (const hyps of [greedyDecode(model, source, { returnAttention: true, maxLength: 6 }), beamSearch(model, source, { beamWidth: 3, returnAttention: true, maxLength: 6 }).map((h) => h[0])]) {
    hyps.forEach((h, b) => {
      assert.ok(h?.attention);
      assert.equal(h.attention.length, h.tokens.length + (h.finished ? 1 : 0));
      for (const row of h.attention) {
        assert.equal(row.length, source.lengths[b]);
        assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-5);
      }
    });
  }
  assert.equal(greedyDecode(model, source, { maxLength: 6 })[0]?.attention, null);
});

test('bad decoding options are refused', () => {
  const model = sharpModel(15);
  const source = padSequences([[3]]);
  assert.throws(() => beamSearch(model, source, { beamWidth: 0 }), /beamWidth must be a positive integer/);
  assert.throws(() => beamSearch(model, source, { beamWidth: 2, lengthPenalty: -1 }), /lengthPenalty/);
  assert.throws(() => greedyDecode(model, source, { maxLength: 0 }), /maxLength/);
  assert.throws(() => sampleDecode(model, source, { topP: 2 }, new Rng(0)), /topP/);
});
