import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward, gradcheck } from '../autograd/index.js';
import { OutputFeedbackCell, type OutputFeedbackState } from '../cells/output-feedback-cell.js';
import { mse, slice, softmax, sum, unstack } from '../ops/index.js';
import { Adam } from '../optim/index.js';
import { ArgumentError, Rng, Tensor, randn, zeros, type DType } from '../tensor/index.js';
import { scan } from './scan.js';
import {
  argmaxOneHot, exponentialDecay, freeRunning, inverseSigmoidDecay, linearDecay, runWithFeedback, sampleOneHot,
  scheduledSampling, teacherForcing, type OutputTransform,
} from './teacher-forcing.js';

const f64 = { dtype: 'float64' } as const;

function smallCell(seed = 0, hiddenRecurrence = false): OutputFeedbackCell {
  return new OutputFeedbackCell({ inputSize: 3, hiddenSize: 4, outputSize: 2, hiddenRecurrence, dtype: 'float64' }, new Rng(seed));
}

function gradsOf(params: readonly Tensor[]): number[] {
  return params.flatMap((p) => Array.from(p.grad?.data ?? new Float64Array(p.size)));
}

test('teacher forcing: gradcheck through the run w.r.t. inputs and every parameter', () => {
  const cell = smallCell(1);
  const xs = randn([2, 3, 3], new Rng(2), { ...f64, requiresGrad: true });
  const ys = randn([2, 3, 2], new Rng(3), f64);
  const result = gradcheck((x) => runWithFeedback(cell, x, { targets: ys, feedback: teacherForcing() }).outputs, [xs, ...cell.parameters()]);
  assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError}`);
});

test('teacher forcing decouples the steps: o(t) depends on x(t) alone, and the loss is a sum of one-step losses', () => {
  const cell = smallCell(4);
  const steps = 4;
  const xs = randn([2, steps, 3], new Rng(5), { ...f64, requiresGrad: true });
  const ys = randn([2, steps, 2], new Rng(6), f64);
  const { outputs } = runWithFeedback(cell, xs, { targets: ys, feedback: teacherForcing() });
  for (let t = 0; t < steps; t++) {
    xs.grad = null;
    backward(sum(slice(outputs, [0, t, 0], [2, 1, 2])), undefined, { retainGraph: true });
    const g = xs.grad as Tensor | null;
    for (let b = 0; b < 2; b++) {
      for (let s = 0; s < steps; s++) {
        const norm = Math.hypot(...[0, 1, 2].map((j) => g?.get(b, s, j) ?? 0));
        assert.equal(norm === 0, s !== t, `d o(${t}) / d x(${s}) for example ${b}: ${norm}`);
      }
    }
  }

  // The full-sequence loss and its gradients equal the sum over steps of one-step problems,
  // each started from y(t-1) taken from the targets.
  const params = cell.parameters();
  cell.zeroGrad();
  const whole = mse(runWithFeedback(cell, xs.detach(), { targets: ys, feedback: teacherForcing() }).outputs, ys);
  backward(whole);
  const wholeGrads = gradsOf(params);
  cell.zeroGrad();
  const xSteps = unstack(xs.detach(), 1);
  const ySteps = unstack(ys, 1);
  let total = 0;
  for (let t = 0; t < steps; t++) {
    const previous = t === 0 ? zeros([2, 2], f64) : (ySteps[t - 1] as Tensor);
    const start = cell.withFeedback(cell.initialState(2), previous);
    const o = cell.step(xSteps[t] as Tensor, start).output;
    // mse averages over B * T * O; each step's share is its own mean divided by T.
    const piece = mse(o, ySteps[t] as Tensor);
    backward(piece);
    total += piece.item() / steps;
  }
  assert.ok(Math.abs(whole.item() - total) < 1e-14);
  gradsOf(params).forEach((g, i) => assert.ok(Math.abs(g / steps - (wholeGrads[i] as number)) < 1e-14, `param grad ${i}`));
});

function handLoop(cell: OutputFeedbackCell, xs: Tensor, transform: OutputTransform, start: OutputFeedbackState): number[][] {
  let state = start;
  const outs: number[][] = [];
  for (const x of unstack(xs, 1)) {
    const r = cell.step(x, state);
    outs.push(Array.from(r.output.data));
    state = cell.withFeedback(r.state, transform(r.output));
  }
  return outs;
}

function byStep(outputs: Tensor): number[][] {
  return unstack(outputs, 1).map((o) => Array.from(o.data));
}

test('free running feeds back the model output: equals a hand loop (identity, softmax, argmax one-hot) and scan', () => {
  const cell = smallCell(7, true);
  const xs = randn([3, 5, 3], new Rng(8), f64);
  const start = cell.withFeedback(cell.initialState(3), randn([3, 2], new Rng(9), f64));
  const transforms: [string, OutputTransform][] = [['identity', (o) => o], ['softmax', (o) => softmax(o)], ['argmax', argmaxOneHot]];
  for (const [name, transform] of transforms) {
    const run = runWithFeedback(cell, xs, { feedback: freeRunning(transform), initialState: start });
    assert.deepEqual(byStep(run.outputs), handLoop(cell, xs, transform, start), name);
  }
  // The cell left to itself under scan is free running with the identity.
  const run = runWithFeedback(cell, xs, { feedback: freeRunning(), initialState: start });
  assert.deepEqual(Array.from(run.outputs.data), Array.from(scan(cell, xs, { initialState: start }).outputs.data));
  assert.deepEqual(Array.from(run.fed.data), Array.from(run.outputs.data));
});

test('scheduled sampling: eps = 1 is teacher forcing, eps = 0 is free running, eps = 0.5 mixes per example', () => {
  const cell = smallCell(10, true);
  const xs = randn([6, 5, 3], new Rng(11), f64);
  const ys = randn([6, 5, 2], new Rng(12), f64);
  const run = (feedback: ReturnType<typeof teacherForcing>): { outputs: number[]; fed: number[]; grads: number[] } => {
    cell.zeroGrad();
    const r = runWithFeedback(cell, xs, { targets: ys, feedback });
    backward(mse(r.outputs, ys));
    return { outputs: Array.from(r.outputs.data), fed: Array.from(r.fed.data), grads: gradsOf(cell.parameters()) };
  };
  assert.deepEqual(run(scheduledSampling(1, new Rng(0))), run(teacherForcing()));
  assert.deepEqual(run(scheduledSampling(0, new Rng(0))), run(freeRunning()));
  // A schedule is any function of the run's training iteration.
  const warmUp = scheduledSampling((i) => (i < 10 ? 1 : 0), new Rng(0));
  const early = runWithFeedback(cell, xs, { targets: ys, feedback: warmUp, iteration: 3 });
  assert.deepEqual(Array.from(early.fed.data), Array.from(ys.data));
  const late = runWithFeedback(cell, xs, { targets: ys, feedback: warmUp, iteration: 30 });
  assert.deepEqual(Array.from(late.fed.data), Array.from(late.outputs.data));

  const mixed = runWithFeedback(cell, xs, { targets: ys, feedback: scheduledSampling(0.5, new Rng(13)) });
  let truths = 0;
  let models = 0;
  for (let b = 0; b < 6; b++) {
    for (let t = 0; t < 5; t++) {
      const fed = [mixed.fed.get(b, t, 0), mixed.fed.get(b, t, 1)];
      const truth = [ys.get(b, t, 0), ys.get(b, t, 1)];
      const own = [mixed.outputs.get(b, t, 0), mixed.outputs.get(b, t, 1)];
      if (fed[0] === truth[0] && fed[1] === truth[1]) truths++;
      else if (fed[0] === own[0] && fed[1] === own[1]) models++;
      else assert.fail(`fed value at (${b}, ${t}) is neither the truth nor the model's output`);
    }
  }
  assert.equal(truths + models, 30);
  assert.ok(truths >= 8 && models >= 8, `truth ${truths} times, model ${models} times`);
});

test('decay schedules follow Bengio et al. 2015', () => {
  const inv = inverseSigmoidDecay(10);
  assert.ok(Math.abs(inv(0) - 10 / 11) < 1e-15);
  assert.ok(inv(100) < inv(10) && inv(10) < inv(0));
  assert.ok(Math.abs(exponentialDecay(0.9)(3) - 0.729) < 1e-15);
  const lin = linearDecay(1, 0.01, 0.2);
  assert.equal(lin(0), 1);
  assert.ok(Math.abs(lin(50) - 0.5) < 1e-15);
  assert.equal(lin(1000), 0.2);
  assert.throws(() => exponentialDecay(1), ArgumentError);
  assert.throws(() => inverseSigmoidDecay(0.5), ArgumentError);
});

test('argmaxOneHot and sampleOneHot: one-hot rows; samples follow softmax(o / temperature)', () => {
  assert.deepEqual(argmaxOneHot(new Tensor(Float64Array.from([0.1, 2, -1, 5, 1, 1]), [2, 3])).toArray(), [[0, 1, 0], [1, 0, 0]]);
  const sample = sampleOneHot(new Rng(14));
  const logits = new Tensor(Float64Array.from([0, Math.log(3)]), [1, 2]); // p = [0.25, 0.75]
  let second = 0;
  const n = 2000;
  for (let i = 0; i < n; i++) {
    const row = sample(logits).data;
    assert.equal((row[0] as number) + (row[1] as number), 1);
    second += row[1] as number;
  }
  // Binomial standard deviation sqrt(0.75 * 0.25 / 2000) = 0.0097: allow 4 of them.
  assert.ok(Math.abs(second / n - 0.75) < 0.04, `frequency ${second / n}`);
  const cold = sampleOneHot(new Rng(15), 1e-3);
  for (let i = 0; i < 50; i++) assert.deepEqual(Array.from(cold(logits).data), [0, 1]);
});

test('padded steps keep the state and emit zeros, as in scan', () => {
  const cell = smallCell(16);
  const xs = randn([2, 4, 3], new Rng(17), f64);
  const ys = randn([2, 4, 2], new Rng(18), f64);
  const padded = runWithFeedback(cell, xs, { targets: ys, feedback: teacherForcing(), lengths: [4, 2] });
  const alone = runWithFeedback(cell, slice(xs, [1, 0, 0], [1, 2, 3]), { targets: slice(ys, [1, 0, 0], [1, 2, 2]), feedback: teacherForcing() });
  assert.deepEqual(Array.from(padded.finalState.y.data.subarray(2, 4)), Array.from(alone.finalState.y.data));
  for (let t = 2; t < 4; t++) for (let j = 0; j < 2; j++) assert.equal(padded.outputs.get(1, t, j), 0);
});

test('runWithFeedback rejects missing or misshapen targets and feedback', () => {
  const cell = smallCell();
  const xs = randn([2, 3, 3], new Rng(0), f64);
  assert.throws(() => runWithFeedback(cell, xs, { feedback: teacherForcing() }), /teacherForcing: no target for step 0/);
  assert.throws(() => runWithFeedback(cell, xs, { feedback: scheduledSampling(0.5, new Rng(0)) }), /scheduledSampling: no target/);
  assert.throws(() => runWithFeedback(cell, xs, { targets: zeros([2, 3, 3], f64), feedback: teacherForcing() }), /targets must be \[2, 3, 2\]/);
  assert.throws(() => runWithFeedback(cell, xs, { feedback: () => zeros([2, 5], f64) }), /feedback at step 0 must be \[2, 2\]/);
  assert.throws(() => runWithFeedback(cell, xs, { targets: zeros([2, 3, 2], f64), feedback: scheduledSampling(1.5, new Rng(0)) }), /\[0, 1\]/);
});

/** A sine wave as the point (sin, cos) turning by `omega` per step: y(t) = R y(t-1). */
function circle(batch: number, steps: number, phases: readonly number[], omega: number, dtype: DType): { xs: Tensor; ys: Tensor; y0: Tensor } {
  const make = (shape: number[], f: (i: number) => number): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = f(i);
    return new Tensor(data, shape);
  };
  const angle = (b: number, t: number): number => (phases[b] as number) + omega * t;
  return {
    // A constant input: the model is a pure generator driven by what is fed back.
    xs: make([batch, steps, 1], () => 1),
    ys: make([batch, steps, 2], (i) => {
      const [b, t, j] = [Math.floor(i / (2 * steps)), Math.floor(i / 2) % steps, i % 2];
      return j === 0 ? Math.sin(angle(b, t + 1)) : Math.cos(angle(b, t + 1));
    }),
    y0: make([batch, 2], (i) => (i % 2 === 0 ? Math.sin(angle(Math.floor(i / 2), 0)) : Math.cos(angle(Math.floor(i / 2), 0)))),
  };
}

test('a model trained with teacher forcing then runs free: it generates a sine wave for 48 steps', () => {
  const omega = (2 * Math.PI) / 12;
  const cell = new OutputFeedbackCell({ inputSize: 1, hiddenSize: 12, outputSize: 2 }, new Rng(0));
  const freeRunMse = (): number => {
    const phases = Array.from({ length: 8 }, (_, i) => i * 0.77);
    const { xs, ys, y0 } = circle(8, 48, phases, omega, 'float32');
    const start = cell.withFeedback(cell.initialState(8), y0);
    return mse(runWithFeedback(cell, xs, { feedback: freeRunning(), initialState: start }).outputs, ys).item();
  };
  const before = freeRunMse();
  const opt = new Adam(cell, { lr: 0.02 });
  const rng = new Rng(1);
  for (let it = 0; it < 120; it++) {
    // Short windows suffice: under teacher forcing each step is its own training example.
    const { xs, ys, y0 } = circle(16, 4, Array.from({ length: 16 }, () => rng.uniformRange(0, 2 * Math.PI)), omega, 'float32');
    const { outputs } = runWithFeedback(cell, xs, { targets: ys, feedback: teacherForcing(), initialState: cell.withFeedback(cell.initialState(16), y0) });
    opt.zeroGrad();
    backward(mse(outputs, ys));
    opt.step();
  }
  const after = freeRunMse();
  // Measured: 0.50 before (about what predicting 0 scores) and about 1e-4 after; the free
  // run is 12x longer than any training window and feeds back its own errors.
  assert.ok(before > 0.2, `untrained free-run MSE ${before}`);
  assert.ok(after < 5e-3, `trained free-run MSE over 48 steps ${after}`);
});

test('gradients flow through a fed-back model output when free running (identity), not through a one-hot', () => {
  const cell = smallCell(19);
  const xs = randn([1, 3, 3], new Rng(20), { ...f64, requiresGrad: true });
  const lastOutput = (transform: OutputTransform): Tensor => {
    xs.grad = null;
    const { outputs } = runWithFeedback(cell, xs, { feedback: freeRunning(transform) });
    backward(sum(slice(outputs, [0, 2, 0], [1, 1, 2])));
    return xs.grad as unknown as Tensor;
  };
  const through = lastOutput((o) => o);
  assert.ok(Math.abs(through.get(0, 0, 0)) > 0, 'x(0) reaches o(2) through the fed-back outputs');
  const cut = lastOutput(argmaxOneHot);
  assert.deepEqual([0, 1, 2].map((j) => cut.get(0, 0, j)), [0, 0, 0]);
});
