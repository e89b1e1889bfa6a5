import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeModelFile, encodeModelFile } from '../../io/index.js';
import { noGrad } from '../../autograd/index.js';
import { add, scale, sum } from '../../ops/index.js';
import { Rng, Tensor, tensor } from '../../tensor/index.js';
import { COPY_BITS, RECALL_BITS, REPEAT_MAX, TASK_SHAPES, algorithmicBatch } from './tasks.js';
import {
  NTM_TRAINING_DEFAULTS, NTMTrainer, evaluateAlgorithmic, loadAlgorithmicModel, maskedBitLoss, trainAlgorithmicTask, trainingRange,
} from './trainer.js';

const at = (t: Tensor, ...i: number[]): number => t.get(...i);

test('copy: L vectors, a delimiter, then the same vectors scored during L blank steps', () => {
  const batch = algorithmicBatch('copy', [3, 1], new Rng(1));
  assert.deepEqual(batch.inputs.shape, [2, 7, 9]);
  assert.deepEqual(batch.steps, [7, 3]);
  for (let t = 0; t < 3; t++) {
    for (let k = 0; k < COPY_BITS; k++) assert.equal(at(batch.targets, 0, 4 + t, k), at(batch.inputs, 0, t, k));
    assert.equal(at(batch.inputs, 0, t, COPY_BITS), 0);
  }
  assert.equal(at(batch.inputs, 0, 3, COPY_BITS), 1);
  for (let t = 4; t < 7; t++) for (let k = 0; k < 9; k++) assert.equal(at(batch.inputs, 0, t, k), 0);
  assert.deepEqual(Array.from(batch.mask.data), [0, 0, 0, 0, 1, 1, 1, 0, 0, 1, 0, 0, 0, 0]);
});

test('repeat copy: the count on its channel, the sequence repeated that often, then an end marker', () => {
  const batch = algorithmicBatch('repeat-copy', [2], new Rng(4));
  const steps = batch.steps[0] as number;
  const repeats = Math.round(at(batch.inputs, 0, 2, COPY_BITS + 1) * REPEAT_MAX);
  assert.equal(steps, 2 + 1 + repeats * 2 + 1);
  assert.equal(at(batch.inputs, 0, 2, COPY_BITS), 1);
  for (let n = 0; n < repeats; n++) {
    for (let t = 0; t < 2; t++) for (let k = 0; k < COPY_BITS; k++) assert.equal(at(batch.targets, 0, 3 + n * 2 + t, k), at(batch.inputs, 0, t, k));
  }
  assert.equal(at(batch.targets, 0, steps - 1, COPY_BITS), 1);
  let scored = 0;
  for (let t = 0; t < steps; t++) scored += at(batch.mask, 0, t);
  assert.equal(scored, repeats * 2 + 1);
});

test('associative recall: the target is the item after the queried one', () => {
  for (const seed of [1, 2, 3]) {
    const items = 4;
    const batch = algorithmicBatch('associative-recall', [items], new Rng(seed));
    const item = (i: number): number[] => Array.from({ length: 3 * RECALL_BITS }, (_, j) => at(batch.inputs, 0, i * 4 + 1 + Math.floor(j / RECALL_BITS), j % RECALL_BITS));
    const query = Array.from({ length: 3 * RECALL_BITS }, (_, j) => at(batch.inputs, 0, items * 4 + 1 + Math.floor(j / RECALL_BITS), j % RECALL_BITS));
    const q = [0, 1, 2].find((i) => item(i).every((v, j) => v === query[j]));
    assert.ok(q !== undefined);
    const target = Array.from({ length: 3 * RECALL_BITS }, (_, j) => at(batch.targets, 0, items * 4 + 5 + Math.floor(j / RECALL_BITS), j % RECALL_BITS));
    assert.deepEqual(target, item(q + 1));
    assert.equal(at(batch.inputs, 0, items * 4, RECALL_BITS + 1), 1);
    assert.equal(at(batch.inputs, 0, items * 4 + 4, RECALL_BITS + 1), 1);
  }
});

test('the loss is the summed binary cross-entropy of the scored bits, averaged over sequences', () => {
  const batch = algorithmicBatch('copy', [1, 2], new Rng(2));
  const logits = tensor(Array.from({ length: 2 * 5 * 8 }, (_, i) => Math.sin(i)), { dtype: 'float32' });
  const z = new Tensor(logits.data, [2, 5, 8]);
  let expected = 0;
  for (let b = 0; b < 2; b++) {
    for (let t = 0; t < 5; t++) {
      if (at(batch.mask, b, t) === 0) continue;
      for (let k = 0; k < 8; k++) {
        const zi = at(z, b, t, k);
        const y = at(batch.targets, b, t, k);
        expected += Math.log(1 + Math.exp(zi)) - y * zi;
      }
    }
  }
  assert.ok(Math.abs(maskedBitLoss(z, batch).item() - expected / 2) < 1e-4);
});

test('an NTM (feed-forward controller) learns to copy sequences of 1-5 vectors within 2,000 training sequences', () => {
  const config = {
    ...NTM_TRAINING_DEFAULTS, controller: 'ff' as const, memorySlots: 32, maxSize: 5, batch: 1, curriculum: false,
    sequences: 2000, evalEvery: 250, validationSize: 64, targetBits: 0.5,
  };
  assert.deepEqual(trainingRange(config), [1, 5]);
  const { result, trainer } = trainAlgorithmicTask(config);
  assert.ok(result.validation.bitErrorRate < 0.01, `validation bit error rate ${result.validation.bitErrorRate}`);
  const test = evaluateAlgorithmic(trainer.model, 'copy', [1, 2, 3, 4, 5], 100, new Rng(99));
  assert.ok(test.bitErrorRate < 0.02, `test bit error rate ${test.bitErrorRate}`);
  // The saved model reloads to the same outputs.
  const file = decodeModelFile(encodeModelFile(trainer.modelFile()));
  const { model, config: loaded } = loadAlgorithmicModel(file);
  assert.equal(loaded.controller, 'ff');
  const batch = algorithmicBatch('copy', [4], new Rng(5));
  const [a, b] = noGrad(() => [trainer.model.forward(batch.inputs), model.forward(batch.inputs)]);
  assert.deepEqual(Array.from(a?.data ?? []), Array.from(b?.data ?? []));
});

test('the trainer: curriculum starts short and only grows; the LSTM baseline trains on the same batches', () => {
  const trainer = new NTMTrainer({ ...NTM_TRAINING_DEFAULTS, memorySlots: 16, controllerSize: 16, curriculum: true, curriculumStart: 2, curriculumExplore: 0, batch: 4 });
  assert.equal(trainer.level, 2);
  for (const s of trainer.nextSizes()) assert.ok(s >= 1 && s <= 2);
  for (let i = 0; i < 3; i++) assert.ok(Number.isFinite(trainer.step()));
  assert.equal(trainer.sequencesSeen, 12);
  const lstm = new NTMTrainer({ ...NTM_TRAINING_DEFAULTS, model: 'lstm', lstmHidden: 16, lstmLayers: 2, batch: 4 });
  assert.ok(Number.isFinite(lstm.step()));
});

/**
 * Logits [B, T, 8] that copy perfectly: each row's vectors before its delimiter, replayed
 * after it, at +-20 (so every scored bit is right).
 */
function perfectCopyLogits(inputs: Tensor): Tensor {
  const [B, T, I] = inputs.shape as [number, number, number];
  const O = TASK_SHAPES.copy.outputSize;
  const x = inputs.data;
  const z = new Float32Array(B * T * O).fill(-20);
  for (let b = 0; b < B; b++) {
    let length = 0;
    while ((x[(b * T + length) * I + COPY_BITS] as number) !== 1) length++;
    for (let t = 0; t < length; t++) {
      for (let k = 0; k < O; k++) z[(b * T + length + 1 + t) * O + k] = (x[(b * T + t) * I + k] as number) === 1 ? 20 : -20;
    }
  }
  return new Tensor(z, [B, T, O]);
}

test('the curriculum advances when the error at its level is low, until the task maximum, and not when it is high', () => {
  const config = { ...NTM_TRAINING_DEFAULTS, memorySlots: 8, memoryWidth: 4, controllerSize: 8, curriculumStart: 2, curriculumExplore: 0, batch: 50 };
  // batch 50: the window of recent batches is max(4, ceil(200 / 50)) = 4.
  const untrained = new NTMTrainer(config);
  for (let i = 0; i < 4; i++) untrained.step();
  assert.equal(untrained.level, 2, 'an untrained machine (about half its bits wrong) stays at the start');

  const trainer = new NTMTrainer(config);
  // The trainer's own model, made to answer perfectly; the zero term keeps one parameter on
  // the tape so backward and the optimizer step run as usual.
  const anchor = trainer.model.parameters()[0] as Tensor;
  trainer.model.forward = (inputs) => add(perfectCopyLogits(inputs), scale(sum(anchor), 0));
  const levels = [trainer.level];
  for (let i = 0; i < 60 && trainer.level < 20; i++) {
    assert.ok(trainer.step() < 1e-3, 'the perfect answers cost almost nothing');
    if (trainer.level !== levels.at(-1)) levels.push(trainer.level);
  }
  // Each advance needs a full window of 4 batches below the threshold, and grows the level by a quarter.
  assert.deepEqual(levels, [2, 3, 4, 5, 7, 9, 12, 15, 19, 20]);
  assert.equal(trainer.steps, 4 * (levels.length - 1));
  for (let i = 0; i < 4; i++) trainer.step();
  assert.equal(trainer.level, 20, 'the level stops at the task maximum');
  for (const s of trainer.nextSizes()) assert.ok(s >= 1 && s <= 20);
});
