// Golden values for the GRU form PyTorch has no module for: the reset gate applied before
// the recurrent product (the book's equation 10.46, Cho et al. 2014). The fixture was
// written by scripts/golden_cells.py (gated_fixtures) from the equations written out with
// torch ops in float64, gradients by torch.autograd; the script first checks the same
// code with the reset after the product against nn.GRUCell. The reset-after form is
// checked against nn.GRU itself in src/sequence/torch-golden.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../tensor/index.js';
import { assertMatchesFixture, loadCellFixture, replayCellFixture } from '../test-support/cell-fixtures.js';
import { GRUCell } from './gru-cell.js';

const fx = loadCellFixture('gru-reset-before');

test('the reset-before fixture records its provenance and options', () => {
  assert.equal(fx.generator, 'scripts/golden_cells.py');
  assert.match(fx.torch, /^\d+\.\d+/);
  assert.deepEqual(fx.options, { resetAfter: false });
});

for (const dtype of ['float64', 'float32'] as const) {
  // The fused gruSequence kernel (scan's default) and the composed step are separate code.
  for (const fused of [true, false]) {
    test(`GRU with reset before the product matches the torch reference: outputs, states, every gradient (${dtype}, ${fused ? 'fused' : 'composed'})`, (t) => {
      const cell = new GRUCell({ inputSize: fx.inputSize, hiddenSize: fx.hiddenSize, resetAfter: false, dtype }, new Rng(0));
      const diffs = replayCellFixture(cell, fx, dtype, fused);
      assertMatchesFixture(diffs, fx, dtype);
      t.diagnostic(`max abs diff ${Math.max(...diffs.values()).toExponential(2)}`);
    });
  }
}

test('the fixture tells the two reset forms apart: reset after the product misses it', () => {
  const cell = new GRUCell({ inputSize: fx.inputSize, hiddenSize: fx.hiddenSize, resetAfter: true, dtype: 'float64' }, new Rng(0));
  const diffs = replayCellFixture(cell, fx, 'float64');
  assert.ok((diffs.get('output') as number) > 1e-3, `output diff ${diffs.get('output')}`);
});
