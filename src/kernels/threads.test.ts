import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { gruSequenceBackward, gruSequenceForward, gruTape } from './gru-sequence.js';
import { lstmSequenceBackward, lstmSequenceForward, lstmTape } from './lstm-sequence.js';
import { rnnSequenceBackward, rnnSequenceForward, rnnTape } from './rnn-sequence.js';
import { RecurrentStepper, type StepperCell } from './stepper.js';
import { kernelThreads, kernelThreadsReady, partsFor, rowsOf, setKernelThreads } from './threads.js';

// Worker threads must not change a single bit: a recurrence is split by batch rows (rows never
// interact) and a gemm by rows of C, so every element is computed by the same instructions in
// the same order as on one thread. Forced to 2 threads so the test means the same on any machine.

const random = (rng: Rng, n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => rng.normal() * scale);

async function withThreads<R>(threads: number, body: () => R): Promise<R> {
  setKernelThreads(threads);
  try {
    assert.equal(await kernelThreadsReady(), threads);
    return body();
  } finally {
    setKernelThreads('auto');
  }
}

function assertBitwiseEqual(label: string, a: Record<string, Float32Array>, b: Record<string, Float32Array>): void {
  for (const [name, x] of Object.entries(a)) {
    const y = b[name] as Float32Array;
    assert.equal(x.length, y.length);
    for (let i = 0; i < x.length; i++) {
      if (!Object.is(x[i], y[i])) assert.fail(`${label}: ${name}[${i}] = ${x[i]} on one thread, ${y[i]} on two`);
    }
  }
}

const B = 32, T = 8, I = 5;

function problem(gates: number, H: number, seed: number) {
  const rng = new Rng(seed);
  return {
    batch: B, steps: T, inputSize: I, hiddenSize: H,
    x: random(rng, B * T * I), weightIh: random(rng, gates * H * I, 0.3), weightHh: random(rng, gates * H * H, 0.1),
    biasIh: random(rng, gates * H, 0.3), biasHh: random(rng, gates * H, 0.3),
    lengths: Int32Array.from({ length: B }, (_, b) => 1 + (b * 5) % T), reverse: seed % 2 === 0,
    h0: random(rng, B * H), c0: random(rng, B * H),
  };
}

interface Grads {
  [name: string]: Float32Array;
  dx: Float32Array; dh0: Float32Array; dWeightIh: Float32Array; dWeightHh: Float32Array; dBiasIh: Float32Array; dBiasHh: Float32Array;
}

function grads(gates: number, H: number): Grads {
  return {
    dx: new Float32Array(B * T * I), dh0: new Float32Array(B * H), dWeightIh: new Float32Array(gates * H * I),
    dWeightHh: new Float32Array(gates * H * H), dBiasIh: new Float32Array(gates * H), dBiasHh: new Float32Array(gates * H),
  };
}

test('two threads give bitwise the results of one: LSTM, GRU (both forms), RNN, forward and backward', async () => {
  const runLstm = (): Record<string, Float32Array> => {
    const H = 64, args = problem(4, H, 1);
    const tape = lstmTape(args.x, args);
    const y = new Float32Array(B * (T + 2) * H);
    lstmSequenceForward(args, tape, y);
    const g = { ...grads(4, H), dc0: new Float32Array(B * H) };
    lstmSequenceBackward(args, tape, random(new Rng(9), y.length), g);
    return { y, ...g };
  };
  const runGru = (resetAfter: boolean) => (): Record<string, Float32Array> => {
    const H = 64, args = { ...problem(3, H, resetAfter ? 2 : 3), resetAfter };
    const tape = gruTape(args.x, args);
    const y = new Float32Array(B * (T + 1) * H);
    gruSequenceForward(args, tape, y);
    const g = grads(3, H);
    gruSequenceBackward(args, tape, random(new Rng(9), y.length), g);
    return { y, ...g };
  };
  const runRnn = (): Record<string, Float32Array> => {
    const H = 128, args = { ...problem(1, H, 4), relu: false };
    const tape = rnnTape(args.x, args);
    const y = new Float32Array(B * (T + 1) * H);
    rnnSequenceForward(args, tape, y);
    const g = grads(1, H);
    rnnSequenceBackward(args, tape, random(new Rng(9), y.length), g);
    return { y, ...g };
  };
  for (const [label, run] of [['lstm', runLstm], ['gru reset after', runGru(true)], ['gru reset before', runGru(false)], ['rnn', runRnn]] as const) {
    const one = await withThreads(1, run);
    const two = await withThreads(2, () => {
      // The problem is big enough to be split: this is what the test is about.
      assert.equal(partsFor(B, T * B * 256 * 64, 1 << 21), 2);
      return run();
    });
    assertBitwiseEqual(label, one, two);
  }
});

test('two threads give bitwise the results of one: a large gemm split by rows', async () => {
  const rng = new Rng(4);
  const [m, n, k] = [203, 130, 150];
  const a = random(rng, m * k), b = random(rng, k * n);
  const run = (): Record<string, Float32Array> => {
    const c = new Float32Array(m * n);
    gemm(false, true, m, n, k, 1, a, 0, k, b, 0, k, 0, c, 0, n);
    return { c };
  };
  assertBitwiseEqual('gemm', await withThreads(1, run), await withThreads(2, run));
});

test('rowsOf splits rows into contiguous parts of whole 4-row tiles', () => {
  assert.deepEqual([0, 1].map((p) => rowsOf(32, 2, p)), [[0, 16], [16, 32]]);
  assert.deepEqual([0, 1, 2].map((p) => rowsOf(30, 3, p)), [[0, 12], [12, 20], [20, 30]]);
  assert.deepEqual([0, 1].map((p) => rowsOf(3, 2, p)), [[0, 3], [3, 3]]);
});

test('setKernelThreads(1) keeps everything on this thread; bad settings throw', async () => {
  setKernelThreads(1);
  try {
    assert.equal(kernelThreads(), 1);
    assert.equal(await kernelThreadsReady(), 1);
    assert.equal(partsFor(64, 1 << 30, 0), 1);
  } finally {
    setKernelThreads('auto');
  }
  assert.throws(() => setKernelThreads(0), RangeError);
  assert.throws(() => setKernelThreads(1.5), RangeError);
});

test('a step kernel splits a large recurrent product by rows over two threads with the same bits', async () => {
  // H = 384: W_hh of an LSTM is 1536 x 384 (590k multiply-adds), above the split threshold;
  // a GRU (1152 x 384) and an RNN of 768 (590k) too.
  const cases: { cell: StepperCell; gates: number; H: number }[] = [
    { cell: { kind: 'lstm' }, gates: 4, H: 384 }, { cell: { kind: 'gru', resetAfter: true }, gates: 3, H: 432 }, { cell: { kind: 'rnn', relu: false }, gates: 1, H: 768 },
  ];
  for (const { cell, gates, H } of cases) {
    const rng = new Rng(H);
    const I = 5, G = gates * H;
    const weights = { inputSize: I, hiddenSize: H, weightIh: random(rng, G * I, 0.2), weightHh: random(rng, G * H, 0.05), biasIh: random(rng, G, 0.1), biasHh: random(rng, G, 0.1) };
    const xs = Array.from({ length: 4 }, () => random(rng, I));
    const run = (): Float32Array => {
      const s = RecurrentStepper.create(cell, weights) as RecurrentStepper;
      try {
        for (const x of xs) {
          s.kernels.f32.set(x, s.input >> 2);
          s.step();
        }
        return s.getState('h');
      } finally {
        s.dispose();
      }
    };
    const one = await withThreads(1, run);
    const two = await withThreads(2, run);
    assertBitwiseEqual(`${cell.kind} H=${H}`, { h: one }, { h: two });
  }
});
