import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradcheck } from '../../autograd/index.js';
import { concat, sum } from '../../ops/index.js';
import { backward } from '../../autograd/index.js';
import { ArgumentError, Rng, randn, type Tensor } from '../../tensor/index.js';
import { ATTENTION_KINDS, DotAttention, createAttention, sourceMask, type AttentionKind } from './attention.js';

const f64 = { dtype: 'float64' } as const;

function leaf(shape: number[], rng: Rng): Tensor {
  const t = randn(shape, rng, f64);
  t.requiresGrad = true;
  return t;
}

/** Query 3 wide (4 for dot, which needs query and memory of one size), memory 4 wide, S = 5, lengths 5 and 2. */
function setup(kind: AttentionKind, seed: number) {
  const rng = new Rng(seed);
  const querySize = kind === 'dot' ? 4 : 3;
  const attention = createAttention({ kind, querySize, memorySize: 4, hiddenSize: 3, dtype: 'float64' }, rng);
  const values = leaf([2, 5, 4], rng);
  const query = leaf([2, querySize], rng);
  const mask = sourceMask([5, 2], 5, 'float64');
  return { attention, values, query, mask };
}

for (const kind of ATTENTION_KINDS) {
  test(`${kind} attention: gradcheck of context and weights w.r.t. query, memory and every parameter`, () => {
    const { attention, values, query, mask } = setup(kind, 3);
    const inputs = [query, values, ...attention.parameters()];
    const r = gradcheck(() => {
      const { context, weights } = attention.attend(query, attention.prepare(values, mask));
      return concat([context, weights], 1);
    }, inputs);
    assert.ok(r.maxRelError < 1e-7, `${kind}: ${JSON.stringify(r)}`);
  });

  test(`${kind} attention: weights sum to 1 over the valid positions, are exactly 0 at padding, and padding gets no gradient`, () => {
    const { attention, values, query, mask } = setup(kind, 4);
    const { context, weights } = attention.attend(query, attention.prepare(values, mask));
    for (let b = 0; b < 2; b++) {
      const row = Array.from(weights.data.subarray(b * 5, b * 5 + 5));
      assert.ok(Math.abs(row.reduce((a, c) => a + c, 0) - 1) < 1e-12);
      if (b === 1) assert.deepEqual(row.slice(2), [0, 0, 0]);
    }
    backward(sum(context));
    const g = values.grad as Tensor;
    // Example 1 has length 2: its positions 2..4 are padding.
    for (let s = 2; s < 5; s++) for (let f = 0; f < 4; f++) assert.equal(g.get(1, s, f), 0);
    // Changing the padded memory leaves the context bit-identical.
    const changed = values.clone();
    for (let s = 2; s < 5; s++) for (let f = 0; f < 4; f++) changed.set(100 * (s + f), 1, s, f);
    const again = attention.attend(query, attention.prepare(changed, mask));
    assert.deepEqual(Array.from(again.context.data), Array.from(context.data));
  });
}

test('dot attention with a query and memory of different sizes says what to do', () => {
  assert.throws(
    () => new DotAttention({ kind: 'dot', querySize: 8, memorySize: 16 }),
    (e: unknown) => e instanceof ArgumentError && /same size; use 'general'/.test(e.message),
  );
});

test('attention checks the shapes of memory, mask and query', () => {
  const { attention, values, mask } = setup('additive', 1);
  assert.throws(() => attention.prepare(values, sourceMask([5], 5, 'float64')), /mask must be \[batch, source length\]/);
  assert.throws(() => attention.attend(randn([2, 7], new Rng(0), f64), attention.prepare(values, mask)), /query must be \[2, 3\]/);
  assert.throws(() => createAttention({ kind: 'cosine' as AttentionKind, querySize: 2, memorySize: 2 }, new Rng(0)), /unknown kind 'cosine'/);
});
