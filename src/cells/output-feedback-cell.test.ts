import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scan } from '../sequence/scan.js';
import { runWithFeedback, teacherForcing } from '../sequence/teacher-forcing.js';
import { ArgumentError, Rng, Tensor, randn, zeros } from '../tensor/index.js';
import { isFeedbackCell, OutputFeedbackCell } from './output-feedback-cell.js';
import { RNNCell } from './rnn-cell.js';

/** scripts/golden_cells.py's pattern: 0.5 sin(0.37 k + 1.3 p + 0.1) over the flat index k. */
function pattern(shape: readonly number[], p: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return new Tensor(Float64Array.from({ length: n }, (_, k) => 0.5 * Math.sin(0.37 * k + 1.3 * p + 0.1)), shape);
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    assert.ok(Math.abs((actual[i] as number) - (expected[i] as number)) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

// Printed by scripts/golden_cells.py, output_feedback(): outputs [B,T,O] for B = 2, T = 4, O = 2.
const GOLDEN = {
  plainFree: [
    -0.0008984580951773569, -0.07834227800167651, -0.0631776342030359, -0.1136906882429437, -0.30143556725787773, -0.26051162012186424,
    -0.49029565506711187, -0.33527215584818737, -0.8857297653994265, -0.6526917895413096, -0.2839269672144349, -0.0835724675083824,
    -0.4514181795212, -0.32732337531677286, 0.02631210242812987, 0.03061023309650407,
  ],
  plainTeacher: [
    -0.0008984580951773569, -0.07834227800167651, 0.15344882004470545, 0.10307216519903156, -0.008650845608700442, 0.02434016924731669,
    -0.4233311421627897, -0.2727274241242671, -0.8857297653994265, -0.6526917895413096, -1.0186992075551335, -0.7948532953569691,
    -0.9034844753396283, -0.756362104080039, -0.5562555570201084, -0.5284461944358402,
  ],
  recurrentFree: [
    0.6469058457752228, -0.1672511192050795, 0.19450957346299097, 0.3444328963991213, 0.38240214158369146, 0.033408753338428965,
    0.05890810080879169, 0.4605906478794324, 0.2807405218366019, 0.26823271610467786, 0.09882621290575919, 0.4056183603599055,
    0.3372235588415339, 0.0830389322867141, 0.30952513073449117, 0.1577709677193302,
  ],
  recurrentTeacher: [
    0.6469058457752228, -0.1672511192050795, 0.5250483244722888, 0.1642898496876682, 0.6259736011493624, 0.10007323762143072,
    0.39609912380248957, 0.3937351695269269, 0.2807405218366019, 0.26823271610467786, 0.08901181827997326, 0.40376681891822874,
    0.18748947241206268, 0.14897384662763258, 0.23047379533057888, 0.10722602205176227,
  ],
};

for (const hiddenRecurrence of [false, true]) {
  test(`output-feedback cell (hiddenRecurrence ${hiddenRecurrence}) matches the NumPy reference, free and teacher-forced`, () => {
    const cell = new OutputFeedbackCell({ inputSize: 2, hiddenSize: 3, outputSize: 2, hiddenRecurrence, dtype: 'float64' }, new Rng(0));
    cell.parameters().forEach((t, p) => t.data.set(pattern(t.shape, p).data));
    const xs = pattern([2, 4, 2], 100);
    const free = scan(cell, xs).outputs.data;
    const forced = runWithFeedback(cell, xs, { targets: pattern([2, 4, 2], 201), feedback: teacherForcing() }).outputs.data;
    assertClose(free, hiddenRecurrence ? GOLDEN.recurrentFree : GOLDEN.plainFree, 1e-14, 'free');
    assertClose(forced, hiddenRecurrence ? GOLDEN.recurrentTeacher : GOLDEN.plainTeacher, 1e-14, 'teacher-forced');
  });
}

test('the output, not h, is fed back: without hidden recurrence h(t-1) in the state is ignored', () => {
  const cell = new OutputFeedbackCell({ inputSize: 3, hiddenSize: 5, outputSize: 2, dtype: 'float64' }, new Rng(1));
  const x = randn([2, 3], new Rng(2), { dtype: 'float64' });
  const s = cell.initialState(2);
  const a = cell.step(x, s);
  const b = cell.step(x, { h: randn([2, 5], new Rng(3), { dtype: 'float64' }), y: s.y });
  assert.deepEqual(Array.from(a.output.data), Array.from(b.output.data));
  const c = cell.step(x, cell.withFeedback(s, randn([2, 2], new Rng(4), { dtype: 'float64' })));
  assert.notDeepEqual(Array.from(a.output.data), Array.from(c.output.data));
  // The next state feeds back o(t) itself.
  assert.equal(a.state.y, a.output);
});

test('isFeedbackCell tells feedback cells from others; withFeedback checks the shape', () => {
  const cell = new OutputFeedbackCell({ inputSize: 1, hiddenSize: 2, outputSize: 3 }, new Rng(0));
  assert.ok(isFeedbackCell(cell));
  assert.ok(!isFeedbackCell(new RNNCell({ inputSize: 1, hiddenSize: 2 }, new Rng(0))));
  assert.equal(cell.feedbackSize, 3);
  assert.throws(() => cell.withFeedback(cell.initialState(2), zeros([2, 2])), /must be \[2, 3\], got \[2,2\]/);
  assert.throws(() => new OutputFeedbackCell({ inputSize: 1, hiddenSize: 2, outputSize: 0 }, new Rng(0)), ArgumentError);
  assert.deepEqual([...cell.namedParameters().keys()], ['weightIh', 'weightYh', 'biasIh', 'weightHo', 'biasHo']);
});
