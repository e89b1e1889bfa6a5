import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeModelFile, encodeModelFile } from '../io/index.js';
import { DivergenceError, LMTrainer, LM_TRAINING_DEFAULTS, loadLanguageModel, type LMTrainingConfig } from './lm-trainer.js';
import { TextError, Vocabulary, decodeUtf8, firstInvalidUtf8 } from './text.js';

test('vocabulary is over code points: Hangul, accents, emoji and surrogate pairs round-trip', () => {
  const text = 'Ça va? 한국어 테스트 — naïve 🙂🐳 𝄞!';
  const vocab = Vocabulary.fromText(text);
  const ids = vocab.encode(text);
  assert.equal(ids.length, [...text].length);
  assert.equal(vocab.decode(ids), text);
  assert.ok(vocab.symbols.includes('🐳') && vocab.symbols.includes('𝄞'));
  assert.ok(vocab.symbols.every((s) => [...s].length === 1));
  assert.throws(() => vocab.encode('xyz'), (e: unknown) => e instanceof TextError && /"x" \(U\+0078\)/.test(e.message));
  assert.deepEqual(vocab.unknown('ÇZ🙂Z'), ['Z']);
});

test('strict UTF-8 decoding names the byte offset of the first invalid sequence', () => {
  const enc = new TextEncoder();
  assert.equal(decodeUtf8(enc.encode('\uFEFFhé🙂')), 'hé🙂');
  const cases: [number[], number][] = [
    [[0x61, 0x80], 1], // stray continuation byte
    [[0x61, 0x62, 0xc3], 2], // truncated two-byte sequence
    [[0xc0, 0xaf], 0], // overlong
    [[0x61, 0xed, 0xa0, 0x80], 1], // UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], 0], // above U+10FFFF
    [[0x68, 0x69, 0xf0, 0x9f, 0x99], 2], // truncated emoji
  ];
  for (const [bytes, offset] of cases) {
    assert.equal(firstInvalidUtf8(new Uint8Array(bytes)), offset, JSON.stringify(bytes));
    assert.throws(() => decodeUtf8(new Uint8Array(bytes), 'f.txt'), new RegExp(`f.txt: invalid UTF-8 at byte ${offset}$`));
  }
  assert.equal(firstInvalidUtf8(enc.encode('plain ascii, é, 한, 🙂')), -1);
});

const tiny: LMTrainingConfig = {
  ...LM_TRAINING_DEFAULTS,
  model: { cell: 'lstm', hidden: 24, layers: 2, embedding: 8, dropout: 0.1 },
  seq: 12, batch: 4, lr: 1e-2,
};
const corpus = 'the cat sat on the mat. '.repeat(40);

test('a small LSTM language model learns a repetitive text (bits per character fall far below uniform)', () => {
  const vocab = Vocabulary.fromText(corpus);
  const trainer = LMTrainer.create({ ...tiny, model: { ...tiny.model, dropout: 0 } }, vocab, vocab.encode(corpus));
  const first = trainer.step();
  for (let i = 0; i < 150; i++) trainer.step();
  const bpc = trainer.evaluate(vocab.encode(corpus.slice(0, 300)));
  assert.ok(first > 3, `initial ${first} bpc`);
  assert.ok(bpc < 0.6, `after training ${bpc} bpc (uniform is ${Math.log2(vocab.size).toFixed(2)})`);
});

test('resuming from a checkpoint gives exactly the curve of an uninterrupted run (dropout included)', () => {
  const vocab = Vocabulary.fromText(corpus);
  const ids = vocab.encode(corpus);
  const straight = LMTrainer.create(tiny, vocab, ids);
  const expected = Array.from({ length: 16 }, () => straight.step());
  const first = LMTrainer.create(tiny, vocab, ids);
  const got = Array.from({ length: 7 }, () => first.step());
  const bytes = encodeModelFile(first.checkpoint());
  const resumed = LMTrainer.restore(decodeModelFile(bytes), ids);
  for (let i = 0; i < 9; i++) got.push(resumed.step());
  assert.deepEqual(got, expected);
  // The model file alone loads for sampling.
  const { model } = loadLanguageModel(decodeModelFile(encodeModelFile(resumed.modelFile())));
  assert.equal(model.numParameters(), resumed.model.numParameters());
});

test('a non-finite loss stops training without touching the parameters; short texts are refused', () => {
  const vocab = Vocabulary.fromText(corpus);
  const trainer = LMTrainer.create(tiny, vocab, vocab.encode(corpus));
  trainer.step();
  const w = trainer.model.head.weight;
  w.data[0] = Number.NaN;
  const before = trainer.model.parameters().map((p) => Array.from(p.data));
  assert.throws(() => trainer.step(), DivergenceError);
  assert.deepEqual(trainer.model.parameters().map((p) => Array.from(p.data)), before);
  assert.throws(() => LMTrainer.create(tiny, vocab, vocab.encode('the cat')), /shorter than one training sequence/);
  const notes: string[] = [];
  const small = LMTrainer.create(tiny, vocab, vocab.encode(corpus.slice(0, 30)), (n) => notes.push(n));
  assert.equal(small.batch, 2);
  assert.match(notes[0] ?? '', /using 2 parallel streams/);
});

test('an update that overflows a parameter stops training, and a non-finite model is never serialised', () => {
  const vocab = Vocabulary.fromText(corpus);
  // Finite loss and gradients, but lr * gradient overflows float32 on the first update.
  const trainer = LMTrainer.create({ ...tiny, optimizer: 'sgd', lr: 1e300, clipNorm: 0 }, vocab, vocab.encode(corpus));
  assert.throws(() => trainer.step(), (e: unknown) => e instanceof DivergenceError && e.what === 'a parameter' && e.step === 1);
  assert.equal(trainer.steps, 0);
  assert.throws(() => trainer.checkpoint(), DivergenceError);
  assert.throws(() => trainer.modelFile(), DivergenceError);
  assert.throws(() => trainer.step(), DivergenceError, 'the trainer stays stopped');

  // Whatever made them non-finite, parameters or optimizer moments are refused at save time.
  const fine = LMTrainer.create(tiny, vocab, vocab.encode(corpus));
  fine.step();
  assert.doesNotThrow(() => fine.checkpoint());
  fine.model.head.weight.data[0] = Number.POSITIVE_INFINITY;
  assert.throws(() => fine.checkpoint(), (e: unknown) => e instanceof DivergenceError && e.what === 'the training state');
  assert.throws(() => fine.modelFile(), (e: unknown) => e instanceof DivergenceError && e.what === 'a parameter');
});
