import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ModelFileError, decodeModelFile, encodeModelFile } from '../../io/index.js';
import { SEQ2SEQ_DEFAULTS } from '../../models/seq2seq/index.js';
import { Rng } from '../../tensor/index.js';
import { Seq2SeqVocabulary } from './pairs.js';
import { reversalTask, type Seq2SeqPair } from './tasks.js';
import {
  SEQ2SEQ_TRAINING_DEFAULTS, Seq2SeqTrainer, evaluatePairs, loadSeq2SeqModel, scoreOutputs, translate, type Seq2SeqTrainingConfig,
} from './trainer.js';

const TINY: Seq2SeqTrainingConfig = {
  ...SEQ2SEQ_TRAINING_DEFAULTS,
  model: { ...SEQ2SEQ_DEFAULTS, hidden: 24, embedding: 12, attention: 'general' },
  batch: 32, lr: 5e-3, seed: 3,
};

function setup(config: Seq2SeqTrainingConfig = TINY, heldOut: readonly Seq2SeqPair[] = []) {
  const task = reversalTask({ minLength: 3, maxLength: 6, alphabet: 'abcdef' });
  const vocab = new Seq2SeqVocabulary([...task.sourceSymbols]);
  const held = new Set(heldOut.map((p) => p.source));
  return { task, vocab, trainer: Seq2SeqTrainer.create(config, vocab, vocab, task.sample, (s) => held.has(s)) };
}

test('learns to reverse short sequences with attention in 300 steps', () => {
  const task = reversalTask({ minLength: 3, maxLength: 6, alphabet: 'abcdef' });
  const rng = new Rng(77);
  const testPairs = Array.from({ length: 200 }, () => task.sample(rng));
  const { trainer, vocab } = setup(TINY, testPairs);
  const first = trainer.step();
  for (let i = 1; i < 300; i++) trainer.step();
  const r = evaluatePairs(trainer.model, vocab, vocab, testPairs);
  assert.ok(first > 1.5, `initial loss ${first}`);
  assert.ok(r.exactMatch >= 0.9, `exact match ${r.exactMatch} after ${trainer.steps} steps`);
  assert.ok(r.tokenAccuracy >= 0.95);
  assert.deepEqual(Object.keys(r.byLength), ['3', '4', '5', '6']);
});

test('training never draws a held-out source, and is deterministic under its seed', () => {
  const task = reversalTask({ minLength: 3, maxLength: 6, alphabet: 'abcdef' });
  const rng = new Rng(1);
  const heldOut = Array.from({ length: 300 }, () => task.sample(rng));
  const held = new Set(heldOut.map((p) => p.source));
  const vocab = new Seq2SeqVocabulary([...task.sourceSymbols]);
  const drawn: string[] = [];
  const spy = (r: Rng): Seq2SeqPair => {
    const p = task.sample(r);
    drawn.push(p.source);
    return p;
  };
  const a = Seq2SeqTrainer.create(TINY, vocab, vocab, spy, (s) => held.has(s));
  const b = Seq2SeqTrainer.create(TINY, vocab, vocab, task.sample, (s) => held.has(s));
  const losses = [a.step(), a.step(), a.step()];
  assert.deepEqual([b.step(), b.step(), b.step()], losses);
  // The sampler ran for every candidate; the held-out ones among them were skipped.
  assert.ok(drawn.some((s) => held.has(s)), 'the test should exercise a collision');
  assert.equal(a.pairsSeen, 3 * TINY.batch);
});

test('scheduled sampling trains too, feeding the truth with a decaying probability', () => {
  const { trainer } = setup({ ...TINY, feedback: 'scheduled', samplingDecay: 5 });
  assert.equal(trainer.truthProbability, 5 / (5 + 1));
  for (let i = 0; i < 20; i++) assert.ok(Number.isFinite(trainer.step()));
  assert.ok(Math.abs(trainer.truthProbability - 5 / (5 + Math.exp(4))) < 1e-12);
  assert.throws(() => setup({ ...TINY, feedback: 'sometimes' as 'teacher' }), /feedback must be 'teacher' or 'scheduled'/);
});

test('observe keeps the best parameters and halves the learning rate after `patience` reports without improvement', () => {
  const { trainer } = setup({ ...TINY, patience: 2 });
  trainer.step();
  assert.equal(trainer.observe(0.5), true);
  const kept = trainer.model.parameters().map((p) => Array.from(p.data));
  trainer.step();
  assert.equal(trainer.observe(0.4), false);
  assert.equal(trainer.optimizer.lr, TINY.lr);
  assert.equal(trainer.observe(0.5), false);
  assert.equal(trainer.optimizer.lr, TINY.lr / 2);
  trainer.restoreBest();
  trainer.model.parameters().forEach((p, i) => assert.deepEqual(Array.from(p.data), kept[i]));
  assert.equal(trainer.bestStep, 1);
});

test('a model file rebuilds the same model: same translations, greedy and beam; other files are refused', () => {
  const { trainer, vocab } = setup();
  for (let i = 0; i < 20; i++) trainer.step();
  const sources = ['abc', 'fedcba', 'aab'];
  const file = decodeModelFile(encodeModelFile(trainer.modelFile({ task: 'reverse' })));
  const loaded = loadSeq2SeqModel(file);
  assert.equal(loaded.metadata['task'], 'reverse');
  assert.deepEqual(loaded.config, trainer.config);
  for (const options of [{}, { beamWidth: 3 }]) {
    assert.deepEqual(
      translate(loaded.model, loaded.sourceVocab, loaded.targetVocab, sources, options),
      translate(trainer.model, vocab, vocab, sources, options),
    );
  }
  assert.throws(() => loadSeq2SeqModel({ tensors: new Map(), metadata: { format: 'unfold-language-model' } }), (e: unknown) => e instanceof ModelFileError && /not an unfold seq2seq model/.test(e.message));
});

test('translate keeps the input order across length-sorted batches and names unknown characters', () => {
  const { trainer, vocab } = setup();
  const sources = ['abcdef', 'a', 'fed', 'ab', 'ffffff'];
  const batched = translate(trainer.model, vocab, vocab, sources, { batchSize: 2 });
  assert.deepEqual(batched.map((t) => t.source), sources);
  const one = sources.map((s) => translate(trainer.model, vocab, vocab, [s])[0]?.output);
  assert.deepEqual(batched.map((t) => t.output), one);
  assert.throws(() => translate(trainer.model, vocab, vocab, ['ab', 'abz']), /source 2 has characters the model never saw: "z"/);
});

test('scores: exact match, and token accuracy counting missing and extra symbols, overall and by source length', () => {
  const pairs: Seq2SeqPair[] = [{ source: 'xy', target: 'abc' }, { source: 'xy', target: 'abc' }, { source: 'xyz', target: 'abc' }, { source: 'xyz', target: '한🙂' }];
  const r = scoreOutputs(pairs, ['abc', 'ab', 'abcd', '한🙂']);
  assert.equal(r.exactMatch, 0.5);
  assert.equal(r.tokenAccuracy, (3 + 2 + 3 + 2) / (3 + 3 + 4 + 2));
  assert.deepEqual(r.byLength, { 2: { pairs: 2, exactMatch: 0.5, tokenAccuracy: 5 / 6 }, 3: { pairs: 2, exactMatch: 0.5, tokenAccuracy: 5 / 6 } });
});
