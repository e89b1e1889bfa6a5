import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { gruSequenceForward, gruTape } from './gru-sequence.js';
import { lstmSequenceForward, lstmTape } from './lstm-sequence.js';
import { withResidentWeights } from './resident.js';
import { rnnSequenceForward, rnnTape } from './rnn-sequence.js';
import { LinearStepper, RecurrentStepper, type StepperCell } from './stepper.js';
import { wasmKernels } from './wasm-module.js';

// The step kernels against the fused sequence kernels at batch 1 (which the sequence tests
// check against scan, naive loops and PyTorch), called one step at a time with the state
// carried, as generation does: the same SIMD passes and matrix-vector products, so the same
// bits. (A whole sequence in one call projects its inputs with a gemm, whose sums run in
// another order: equal to float32 rounding, checked too.)

const w = wasmKernels();
if (w === undefined) throw new Error('these tests need WebAssembly SIMD (Node 20 has it)');

const random = (rng: Rng, n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * scale);

const CASES: { label: string; cell: StepperCell; gates: number; H: number; bias: boolean }[] = [
  { label: 'lstm', cell: { kind: 'lstm' }, gates: 4, H: 13, bias: true },
  { label: 'lstm, no bias', cell: { kind: 'lstm' }, gates: 4, H: 16, bias: false },
  { label: 'gru reset after', cell: { kind: 'gru', resetAfter: true }, gates: 3, H: 9, bias: true },
  { label: 'gru reset before', cell: { kind: 'gru', resetAfter: false }, gates: 3, H: 12, bias: true },
  { label: 'rnn tanh', cell: { kind: 'rnn', relu: false }, gates: 1, H: 10, bias: true },
  { label: 'rnn relu, no bias', cell: { kind: 'rnn', relu: true }, gates: 1, H: 8, bias: false },
];

for (const c of CASES) {
  test(`RecurrentStepper (${c.label}) continues exactly what the fused sequence kernel computes`, () => {
    const rng = new Rng(c.H);
    const T = 6, I = 7, H = c.H, G = c.gates * H;
    const weights = {
      inputSize: I, hiddenSize: H, weightIh: random(rng, G * I, 0.4), weightHh: random(rng, G * H, 0.4),
      biasIh: c.bias ? random(rng, G, 0.4) : null, biasHh: c.bias ? random(rng, G, 0.4) : null,
    };
    const x = random(rng, T * I), h0 = random(rng, H), c0 = random(rng, H);
    // One call per step, state carried: y holds the outputs of every step, then the final state.
    const y = new Float32Array((T + 2) * H);
    const whole = new Float32Array((T + 2) * H);
    const run = (xs: Float32Array, steps: number, h: Float32Array, cc: Float32Array, out: Float32Array): void => {
      const dims = { batch: 1, steps, inputSize: I, hiddenSize: H };
      const common = { ...dims, x: xs, h0: h, ...weights, lengths: null, reverse: false };
      const rows = steps + (c.cell.kind === 'lstm' ? 2 : 1);
      const yy = new Float32Array(rows * H);
      if (c.cell.kind === 'lstm') lstmSequenceForward({ ...common, c0: cc }, lstmTape(xs, dims), yy);
      else if (c.cell.kind === 'gru') gruSequenceForward({ ...common, resetAfter: c.cell.resetAfter }, gruTape(xs, dims), yy);
      else rnnSequenceForward({ ...common, relu: c.cell.relu }, rnnTape(xs, dims), yy);
      out.set(yy);
    };
    let h = h0, cc = c0;
    for (let t = 0; t < T; t++) {
      const yy = new Float32Array((1 + 2) * H);
      run(x.subarray(t * I, (t + 1) * I), 1, h, cc, yy);
      y.set(yy.subarray(0, H), t * H);
      h = yy.slice(H, 2 * H);
      cc = yy.slice(2 * H, 3 * H);
    }
    y.set(h, T * H);
    y.set(cc, (T + 1) * H);
    run(x, T, h0, c0, whole.subarray(0, (T + (c.cell.kind === 'lstm' ? 2 : 1)) * H));
    for (let i = 0; i < (T + 1) * H; i++) assert.ok(Math.abs((whole[i] as number) - (y[i] as number)) < 2e-6, 'one call per step vs one call');

    const stepper = RecurrentStepper.create(c.cell, weights);
    assert.ok(stepper !== null);
    try {
      stepper.setState('h', h0);
      if (c.cell.kind === 'lstm') stepper.setState('c', c0);
      for (let t = 0; t < T; t++) {
        w.f32.set(x.subarray(t * I, (t + 1) * I), stepper.input >> 2);
        stepper.step();
        assert.deepEqual(w.f32.slice(stepper.output >> 2, (stepper.output >> 2) + H), y.slice(t * H, (t + 1) * H), `h after step ${t}`);
      }
      assert.deepEqual(stepper.getState('h'), y.slice(T * H, (T + 1) * H));
      if (c.cell.kind === 'lstm') assert.deepEqual(stepper.getState('c'), y.slice((T + 1) * H, (T + 2) * H));
      else assert.throws(() => stepper.getState('c'), /no state 'c'/);
    } finally {
      stepper.dispose();
    }
  });
}

test('LinearStepper equals the gemm wrapper on one vector (bias added the same way)', () => {
  const rng = new Rng(5);
  const [O, I] = [11, 37];
  const weight = random(rng, O * I), bias = random(rng, O), x = random(rng, I);
  const want = new Float32Array(O);
  want.set(bias);
  gemm(false, true, 1, O, I, 1, x, 0, I, weight, 0, I, 1, want, 0, O);
  const head = LinearStepper.create(weight, bias, O, I);
  assert.ok(head !== null);
  const got = new Float32Array(O);
  w.f32.set(x, head.input >> 2);
  head.apply(head.input, got);
  assert.deepEqual(got, want);
  head.dispose();
  head.dispose();
  assert.throws(() => head.apply(), /after dispose/);
});

test('steppers check their weights and free their memory', () => {
  const before = w.usage().liveBytes;
  assert.throws(() => RecurrentStepper.create({ kind: 'lstm' }, {
    inputSize: 2, hiddenSize: 3, weightIh: new Float32Array(5), weightHh: new Float32Array(36), biasIh: null, biasHh: null,
  }), /weightIh must hold 24 elements/);
  const s = RecurrentStepper.create({ kind: 'gru', resetAfter: true }, {
    inputSize: 2, hiddenSize: 3, weightIh: new Float32Array(18), weightHh: new Float32Array(27), biasIh: null, biasHh: null,
  });
  assert.ok(s !== null && w.usage().liveBytes > before);
  s.dispose();
  assert.equal(w.usage().liveBytes, before);
});

test('withResidentWeights: batch-1 kernels and declared-weight gemms give the same results, and the copies are freed after', () => {
  const rng = new Rng(8);
  const H = 20, I = 6, G = 4 * H;
  const dims = { batch: 1, steps: 3, inputSize: I, hiddenSize: H };
  const args = {
    ...dims, x: random(rng, 3 * I), h0: random(rng, H), c0: random(rng, H), weightIh: random(rng, G * I, 0.3), weightHh: random(rng, G * H, 0.3),
    biasIh: random(rng, G), biasHh: random(rng, G), lengths: null, reverse: false,
  };
  const run = (): Float32Array => {
    const y = new Float32Array(5 * H);
    const tape = lstmTape(args.x, dims);
    lstmSequenceForward(args, tape, y);
    if ('dispose' in tape) tape.dispose();
    const c = new Float32Array(G);
    gemm(false, true, 1, G, H, 1, args.h0, 0, H, args.weightHh, 0, H, 0, c, 0, G, true);
    return Float32Array.from([...y, ...c]);
  };
  const outside = run();
  // Scratch blocks grow on first use inside a scope too; measure after that.
  withResidentWeights(run);
  const before = w.usage().liveBytes;
  const inside = withResidentWeights(() => [run(), withResidentWeights(run), run()]);
  for (const r of inside) assert.deepEqual(r, outside);
  assert.ok(w.usage().liveBytes <= before, 'resident copies freed when the scope ends');
});
