import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../tensor/index.js';
import { addingBatch } from './adding.js';
import { copyMemoryBaseline, copyMemoryBatch } from './copy-memory.js';
import { TASK_DEFAULTS, trainDependencyTask } from './train-task.js';

test('adding problem: two markers, one per half; the target is the sum of the marked values', () => {
  const { inputs, targets } = addingBatch(64, 30, new Rng(1));
  for (let b = 0; b < 64; b++) {
    const marked: number[] = [];
    for (let t = 0; t < 30; t++) if (inputs.get(b, t, 1) === 1) marked.push(t);
    assert.equal(marked.length, 2);
    assert.ok(marked[0]! < 15 && marked[1]! >= 15);
    assert.ok(Math.abs(targets.get(b, 0) - inputs.get(b, marked[0]!, 0) - inputs.get(b, marked[1]!, 0)) < 1e-6);
  }
  // The constant predictor 1 scores about 1/6.
  const big = addingBatch(20000, 10, new Rng(2)).targets.data;
  let mse = 0;
  for (const y of big) mse += (y - 1) ** 2 / big.length;
  assert.ok(Math.abs(mse - 1 / 6) < 0.01, `constant-predictor MSE ${mse}`);
});

test('copy memory: layout, targets and the memoryless baseline 10 ln 8 / (T + 20)', () => {
  const T = 7;
  const { inputs, targets } = copyMemoryBatch(3, T, new Rng(3));
  assert.deepEqual(inputs.shape, [3, T + 20, 10]);
  for (let b = 0; b < 3; b++) {
    const symbol = (t: number): number => [...Array(10).keys()].find((c) => inputs.get(b, t, c) === 1)!;
    for (let t = 0; t < 10; t++) assert.ok(symbol(t) >= 1 && symbol(t) <= 8);
    for (let t = 10; t < T + 20; t++) assert.equal(symbol(t), t === T + 9 ? 9 : 0);
    for (let t = 0; t < T + 10; t++) assert.equal(targets.get(b, t), 0);
    for (let t = 0; t < 10; t++) assert.equal(targets.get(b, T + 10 + t), symbol(t));
  }
  assert.ok(Math.abs(copyMemoryBaseline(100) - (10 * Math.log(8)) / 120) < 1e-15);
});

test('an LSTM learns the adding problem at T = 20 well below the constant predictor', () => {
  const r = trainDependencyTask({ ...TASK_DEFAULTS, task: 'adding', cell: 'lstm', length: 20, hidden: 16, batch: 32, lr: 1e-2, steps: 1000, minutes: 5, testSize: 500, seed: 3 });
  assert.equal(r.steps, 1000);
  assert.ok(r.testMse! < 0.01, `test MSE ${r.testMse}`);
});
