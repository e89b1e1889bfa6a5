import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, gradcheck, noGrad } from '../../autograd/index.js';
import type { CellKind } from '../../cells/registry.js';
import { stateTensors } from '../../cells/state.js';
import { concat } from '../../ops/index.js';
import { argmaxOneHot, scheduledSampling } from '../../sequence/index.js';
import { ArgumentError, Rng, Tensor, randn } from '../../tensor/index.js';
import { sourceMask, type AttentionKind } from './attention.js';
import {
  SEQ2SEQ_DEFAULTS, SEQ2SEQ_TOKENS, Seq2Seq, padSequences, sequenceLoss, type ContextMode, type DecoderState, type Seq2SeqConfig,
} from './model.js';

const f64 = { dtype: 'float64' } as const;

function leafLike(t: Tensor, rng: Rng): Tensor {
  const x = randn(t.shape, rng, f64);
  x.requiresGrad = true;
  return x;
}

const STEP_CASES: { cell: CellKind; attention: AttentionKind | 'none'; context: ContextMode; inputFeeding: boolean }[] = [
  { cell: 'gru', attention: 'additive', context: 'both', inputFeeding: true },
  { cell: 'lstm', attention: 'general', context: 'initial', inputFeeding: true },
  { cell: 'rnn', attention: 'dot', context: 'input', inputFeeding: false },
  { cell: 'gru', attention: 'none', context: 'both', inputFeeding: false },
  { cell: 'lstm', attention: 'additive', context: 'none', inputFeeding: true },
];

for (const c of STEP_CASES) {
  test(`decoder step gradcheck (${c.cell} decoder, ${c.attention} attention, context ${c.context}${c.inputFeeding ? ', input feeding' : ''})`, () => {
    const rng = new Rng(11);
    const model = new Seq2Seq({
      ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 6, targetVocabSize: 6, cell: 'gru', decoderCell: c.cell, embedding: 3, hidden: 2,
      bidirectional: true, attention: c.attention, attentionSize: 3, context: c.context, inputFeeding: c.inputFeeding, dtype: 'float64',
    }, rng);
    // The encoder's outputs and summary as leaves: the step's gradient w.r.t. them is what flows back into the encoder.
    const values = leafLike(randn([2, 3, 4], rng, f64), rng);
    const context = leafLike(randn([2, 4], rng, f64), rng);
    const mask = sourceMask([3, 2], 3, 'float64');
    const template = model.initialState({ context, memory: model.attention?.prepare(values, mask) ?? null, lengths: [3, 2] });
    const cellLeaves = Object.fromEntries(Object.entries(template.cell).filter(([k]) => k !== 'context').map(([k, v]) => [k, leafLike(v as Tensor, rng)]));
    const feed = template.feed === null ? null : leafLike(template.feed, rng);
    const previous = new Tensor(new Float64Array([3, 5]), [2]);
    const params = [...model.namedParameters()].filter(([name]) => !name.startsWith('sourceEmbed') && !name.startsWith('encoder')).map(([, p]) => p);
    const inputs = [values, context, ...Object.values(cellLeaves), ...(feed === null ? [] : [feed]), ...params];
    const r = gradcheck(() => {
      const source = { context, memory: model.attention?.prepare(values, mask) ?? null, lengths: [3, 2] };
      const state: DecoderState = { cell: c.context === 'none' ? cellLeaves : { ...cellLeaves, context }, feed };
      const step = model.step(previous, state, source);
      const outs = [step.logits, ...stateTensors(step.state.cell)];
      if (step.state.feed !== null) outs.push(step.state.feed);
      if (step.attention !== null) outs.push(step.attention);
      return concat(outs, 1);
    }, inputs);
    assert.ok(r.maxRelError < 1e-6, JSON.stringify(r));
  });
}

/** Source and target batches whose padding holds whatever `fill` gives. */
function paddedBatches(fill: (i: number) => number) {
  const source = padSequences([[3, 4, 5, 6, 7], [8, 3], [5, 5, 9]]);
  const target = padSequences([[7, 6], [3, 8, 4, 4, 9], [9]], { appendEnd: true });
  let i = 0;
  for (const batch of [source, target]) {
    const [rows, steps] = batch.tokens.shape as [number, number];
    for (let b = 0; b < rows; b++) for (let t = batch.lengths[b] as number; t < steps; t++) batch.tokens.data[b * steps + t] = fill(i++);
  }
  return { source, target };
}

for (const cell of ['gru', 'lstm'] as const) {
  test(`padding never influences the loss or any gradient (${cell}, bidirectional encoder, additive attention)`, () => {
    const config: Seq2SeqConfig = {
      ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 10, targetVocabSize: 10, cell, embedding: 5, hidden: 6, encoderLayers: 2,
      bidirectional: true, attention: 'additive', context: 'both',
    };
    const model = new Seq2Seq(config, new Rng(3));
    const run = (fill: (i: number) => number): { loss: number; grads: Map<string, Float32Array | Float64Array> } => {
      model.zeroGrad();
      const { source, target } = paddedBatches(fill);
      const loss = sequenceLoss(model.forward(source, target).logits, target);
      backward(loss);
      return { loss: loss.item(), grads: new Map([...model.namedParameters()].map(([k, p]) => [k, (p.grad as Tensor).data.slice()])) };
    };
    const padded = run(() => SEQ2SEQ_TOKENS.pad);
    const rng = new Rng(5);
    for (let trial = 0; trial < 3; trial++) {
      const garbage = run(() => rng.int(10));
      assert.equal(garbage.loss, padded.loss);
      for (const [name, g] of padded.grads) {
        const other = garbage.grads.get(name) as Float32Array;
        let diff = 0;
        for (let k = 0; k < g.length; k++) diff = Math.max(diff, Math.abs((g[k] as number) - (other[k] as number)));
        assert.equal(diff, 0, `gradient of ${name} changed with the padding`);
      }
    }
  });
}

test('teacher forcing is the step loop fed the truth; scheduled sampling with probability 1 is teacher forcing, with 0 it feeds the argmax', () => {
  const model = new Seq2Seq({ ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 9, targetVocabSize: 8, embedding: 4, hidden: 5, dtype: 'float64' }, new Rng(2));
  const source = padSequences([[3, 4, 5], [6, 7]], f64);
  const target = padSequences([[5, 4, 3], [7]], { appendEnd: true, ...f64 });
  noGrad(() => {
    const forced = model.forward(source, target);
    const encoded = model.encode(source);
    let state = model.initialState(encoded);
    let previous = new Tensor(new Float64Array([1, 1]), [2]);
    for (let t = 0; t < 4; t++) {
      const step = model.step(previous, state, encoded);
      for (let b = 0; b < 2; b++) for (let v = 0; v < 8; v++) assert.equal(step.logits.get(b, v), forced.logits.get(b, t, v));
      for (let b = 0; b < 2; b++) for (let s = 0; s < 3; s++) assert.equal(step.attention?.get(b, s), forced.attention?.get(b, t, s));
      state = step.state;
      previous = new Tensor(new Float64Array([target.tokens.get(0, t), target.tokens.get(1, t)]), [2]);
    }
    const always = model.forward(source, target, { feedback: scheduledSampling(1, new Rng(0), argmaxOneHot) });
    assert.deepEqual(Array.from(always.logits.data), Array.from(forced.logits.data));
    const never = model.forward(source, target, { feedback: scheduledSampling(0, new Rng(0), argmaxOneHot) });
    state = model.initialState(encoded);
    previous = new Tensor(new Float64Array([1, 1]), [2]);
    for (let t = 0; t < 4; t++) {
      const step = model.step(previous, state, encoded);
      for (let b = 0; b < 2; b++) for (let v = 0; v < 8; v++) assert.equal(step.logits.get(b, v), never.logits.get(b, t, v));
      state = step.state;
      const fed = argmaxOneHot(step.logits);
      previous = new Tensor(new Float64Array([0, 1].map((b) => [...Array(8).keys()].find((v) => fed.get(b, v) === 1) as number)), [2]);
    }
  });
});

test('a decoder step runs the cell\'s fused kernel yet equals the composed cell step', () => {
  for (const cell of ['gru', 'lstm', 'rnn', 'leaky'] as const) {
    for (const context of ['both', 'none'] as const) {
      const model = new Seq2Seq({ ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 7, targetVocabSize: 7, cell, embedding: 3, hidden: 4, context, dtype: 'float64' }, new Rng(1));
      noGrad(() => {
        const encoded = model.encode(padSequences([[3, 4, 5], [6]], f64));
        const state = model.initialState(encoded);
        const previous = new Tensor(new Float64Array([4, 6]), [2]);
        const x = concat([model.targetEmbed.forward(previous), state.feed as Tensor], 1);
        const composed = model.decoder.step(x, state.cell);
        const fused = model.step(previous, state, encoded);
        const a = stateTensors(composed.state);
        const b = stateTensors(fused.state.cell);
        assert.deepEqual(Object.keys(fused.state.cell), Object.keys(composed.state));
        a.forEach((t, i) => t.data.forEach((v, k) => assert.ok(Math.abs(v - ((b[i] as Tensor).data[k] as number)) < 1e-12, `${cell} ${context}`)));
      });
    }
  }
});

test('forward shapes: logits [B, T, V] and attention [B, T, S]; no attention gives null', () => {
  const source = padSequences([[3, 4, 5, 6], [7]]);
  const target = padSequences([[3], [4, 5]], { appendEnd: true });
  const withAttention = new Seq2Seq({ ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 8, targetVocabSize: 7, hidden: 4, embedding: 3 }, new Rng(0));
  const r = withAttention.forward(source, target);
  assert.deepEqual(r.logits.shape, [2, 3, 7]);
  assert.deepEqual(r.attention?.shape, [2, 3, 4]);
  const plain = new Seq2Seq({ ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 8, targetVocabSize: 7, hidden: 4, embedding: 3, attention: 'none', bidirectional: false }, new Rng(0));
  assert.equal(plain.forward(source, target).attention, null);
});

test('configs that cannot work are refused with the reason', () => {
  const base = { ...SEQ2SEQ_DEFAULTS, sourceVocabSize: 8, targetVocabSize: 8 };
  assert.throws(() => new Seq2Seq({ ...base, attention: 'none', context: 'none' }, new Rng(0)), /would never see the source/);
  assert.throws(() => new Seq2Seq({ ...base, cell: 'context' }, new Rng(0)), /not a cell kind buildable from sizes alone/);
  assert.throws(() => new Seq2Seq({ ...base, targetVocabSize: 3 }, new Rng(0)), /exceed the 3 reserved tokens/);
  assert.throws(
    () => new Seq2Seq({ ...base, attention: 'dot', hidden: 8, decoderHidden: 8 }, new Rng(0)),
    (e: unknown) => e instanceof ArgumentError && /use 'general'/.test(e.message),
  );
  assert.throws(() => padSequences([[3], []]), /sequence 1 is empty/);
});
