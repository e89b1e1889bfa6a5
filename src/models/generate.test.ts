import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noGrad } from '../autograd/index.js';
import { GRUCell, LSTMCell, RNNCell, type LSTMState, type StepResult } from '../cells/index.js';
import { Rng, Tensor } from '../tensor/index.js';
import { generate } from './generate.js';
import { LanguageModel, type LanguageModelState } from './language-model.js';
import { sampleLogits, type SamplingOptions } from './sampling.js';

// generate() steps on kernels/stepper.ts when it can; the reference is the loop it replaced,
// one model.forward per symbol through the op graph. Same kernels at batch 1, so the same
// logits to the bit and the same symbols, for every cell kind and stacked layers.

function reference(model: LanguageModel, prime: number[], length: number, options: SamplingOptions, rng: Rng): number[] {
  model.eval();
  return noGrad(() => {
    let { logits, state } = model.forward(new Tensor(Float32Array.from(prime), [1, prime.length]));
    const vocab = model.config.vocabSize;
    let row = logits.data.subarray((prime.length - 1) * vocab);
    const out: number[] = [];
    for (let i = 0; i < length; i++) {
      const id = sampleLogits(row, options, rng);
      out.push(id);
      if (i === length - 1) break;
      ({ logits, state } = model.forward(new Tensor(Float32Array.from([id]), [1, 1]), state as LanguageModelState));
      row = logits.data;
    }
    return out;
  });
}

for (const [label, cell, layers] of [['lstm', 'lstm', 1], ['gru', 'gru', 1], ['rnn', 'rnn', 1], ['lstm, 2 layers', 'lstm', 2]] as const) {
  test(`generate (step kernels) draws exactly what the op-graph loop draws: ${label}`, () => {
    const model = new LanguageModel({ vocabSize: 11, cell, hidden: 24, layers, embedding: 6, dropout: 0.2 }, new Rng(3));
    // Sharper logits than at initialisation, so a wrong value would change the draws.
    for (const p of model.head.parameters()) for (let i = 0; i < p.size; i++) p.data[i] = (p.data[i] as number) * 8;
    const options = { temperature: 0.9 };
    const fast = generate(model, [1, 4, 2], 300, options, new Rng(7));
    assert.equal(model.training, true, 'the training flag is restored');
    const slow = reference(model, [1, 4, 2], 300, options, new Rng(7));
    assert.deepEqual(fast, slow);
  });
}

test('generate streams every symbol and handles length 0 and 1', () => {
  const model = new LanguageModel({ vocabSize: 7, cell: 'lstm', hidden: 8, layers: 1, embedding: 4, dropout: 0 }, new Rng(1));
  const seen: number[] = [];
  const ids = generate(model, [0], 20, { topK: 3 }, new Rng(2), (id) => seen.push(id));
  assert.deepEqual(seen, ids);
  assert.equal(ids.length, 20);
  assert.deepEqual(generate(model, [0], 0, {}, new Rng(2)), []);
  assert.equal(generate(model, [0, 1], 1, {}, new Rng(2)).length, 1);
  assert.throws(() => generate(model, [], 5, {}, new Rng(2)), /at least one symbol/);
});

test('cells declare their step kernel through Cell.stepKernel; generate uses it, or model.forward without one', () => {
  const rng = new Rng(5);
  const base = { inputSize: 3, hiddenSize: 4 };
  const lstm = new LSTMCell(base, rng);
  const kernel = lstm.stepKernel();
  assert.deepEqual(kernel?.cell, { kind: 'lstm' });
  // The cell's own arrays, which the stepper copies when it is made.
  assert.equal(kernel?.weights.weightHh, lstm.weightHh.data);
  assert.equal(kernel?.weights.biasIh, lstm.biasIh?.data);
  assert.deepEqual(new GRUCell({ ...base, resetAfter: false }, rng).stepKernel()?.cell, { kind: 'gru', resetAfter: false });
  assert.deepEqual(new RNNCell({ ...base, nonlinearity: 'relu' }, rng).stepKernel()?.cell, { kind: 'rnn', relu: true });
  assert.equal(new RNNCell({ ...base, bias: false }, rng).stepKernel()?.weights.biasHh, null);
  // What the step kernels do not compute.
  assert.equal(new LSTMCell({ ...base, peephole: true }, rng).stepKernel(), null);
  assert.equal(new LSTMCell({ ...base, projSize: 2 }, rng).stepKernel(), null);
  assert.equal(new GRUCell({ ...base, dtype: 'float64' }, rng).stepKernel(), null);
  class OwnStep extends LSTMCell {
    override step(x: Tensor, state: LSTMState): StepResult<LSTMState> {
      return super.step(x, state);
    }
  }
  assert.equal(new OwnStep(base, rng).stepKernel(), null);

  // The path taken shows in the forward calls: the prime only with step kernels, one per
  // symbol without. Both draw what the op-graph loop draws.
  for (const [cell, forwards] of [['gru', 1], ['leaky', 40]] as const) {
    const model = new LanguageModel({ vocabSize: 9, cell, hidden: 12, layers: 2, embedding: 5, dropout: 0 }, new Rng(8));
    assert.equal(model.rnn.cells.some((c) => c.stepKernel !== undefined), cell === 'gru');
    const forward = model.forward.bind(model);
    let calls = 0;
    model.forward = (...args) => {
      calls++;
      return forward(...args);
    };
    const drawn = generate(model, [2, 3], 40, { temperature: 0.9 }, new Rng(4));
    assert.equal(calls, forwards, `${cell}: model.forward calls`);
    assert.deepEqual(drawn, reference(model, [2, 3], 40, { temperature: 0.9 }, new Rng(4)), cell);
  }
});
