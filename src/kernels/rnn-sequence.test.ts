import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Rng, type TypedArray } from '../tensor/index.js';
import { gruSequenceForward, gruTape } from './gru-sequence.js';
import { lstmSequenceForward, lstmTape } from './lstm-sequence.js';
import { rnnSequenceForward, rnnTape } from './rnn-sequence.js';
import { fastSigmoid, fastTanh, type SequenceArgs } from './rnn-sequence-common.js';

// The fused kernels against a naive per-element loop written from the equations (no gemm, no
// step-major layout, no tape), on plain typed arrays. Their gradients are checked through the
// ops (ops-gradcheck.test.ts) and against scan over the cells (sequence/fused.test.ts).

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

interface Problem extends SequenceArgs {
  readonly h0: Float64Array;
  readonly c0: Float64Array;
}

function problem(gates: number, B: number, T: number, I: number, H: number, bias: boolean, lengths: number[] | null, reverse: boolean, seed: number): Problem {
  const rng = new Rng(seed);
  const fill = (n: number, scale = 1): Float64Array => Float64Array.from({ length: n }, () => rng.normal() * scale);
  return {
    batch: B, steps: T, inputSize: I, hiddenSize: H,
    x: fill(B * T * I), h0: fill(B * H), c0: fill(B * H),
    weightIh: fill(gates * H * I, 0.5), weightHh: fill(gates * H * H, 0.5),
    biasIh: bias ? fill(gates * H, 0.5) : null, biasHh: bias ? fill(gates * H, 0.5) : null,
    lengths: lengths === null ? null : Int32Array.from(lengths), reverse,
  };
}

/** Row `row` (gate block rows) of W [rows, cols] dotted with v[off..off+cols). */
function dot(w: TypedArray, row: number, cols: number, v: ArrayLike<number>, off: number): number {
  let s = 0;
  for (let k = 0; k < cols; k++) s += (w[row * cols + k] as number) * (v[off + k] as number);
  return s;
}

/**
 * The naive recurrence for every kind: `cellStep(b, x, h, c)` returns the new [h, c] of one
 * example; padded steps keep the state and output 0. Returns y [B, T + S, H] like the kernels.
 */
function naive(p: Problem, stateRows: number, cellStep: (x: number[], h: number[], c: number[]) => [number[], number[]]): number[] {
  const { batch: B, steps: T, inputSize: I, hiddenSize: H } = p;
  const y = new Array<number>(B * (T + stateRows) * H).fill(0);
  for (let b = 0; b < B; b++) {
    let h = Array.from(p.h0.subarray(b * H, (b + 1) * H));
    let c = Array.from(p.c0.subarray(b * H, (b + 1) * H));
    for (let s = 0; s < T; s++) {
      const t = p.reverse ? T - 1 - s : s;
      if (p.lengths !== null && t >= (p.lengths[b] as number)) continue;
      const x = Array.from(p.x.subarray((b * T + t) * I, (b * T + t + 1) * I));
      [h, c] = cellStep(x, h, c);
      for (let j = 0; j < H; j++) y[(b * (T + stateRows) + t) * H + j] = h[j] as number;
    }
    for (let j = 0; j < H; j++) {
      y[(b * (T + stateRows) + T) * H + j] = h[j] as number;
      if (stateRows === 2) y[(b * (T + stateRows) + T + 1) * H + j] = c[j] as number;
    }
  }
  return y;
}

/** x W_ih^T + b_ih for gate row r, and h W_hh^T + b_hh. */
function projections(p: Problem, x: number[], h: number[], r: number): [number, number] {
  const { inputSize: I, hiddenSize: H } = p;
  return [
    dot(p.weightIh, r, I, x, 0) + ((p.biasIh?.[r] as number | undefined) ?? 0),
    dot(p.weightHh, r, H, h, 0) + ((p.biasHh?.[r] as number | undefined) ?? 0),
  ];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const LAYOUTS: { label: string; B: number; T: number; lengths: number[] | null; reverse: boolean }[] = [
  { label: 'batch 1', B: 1, T: 4, lengths: null, reverse: false },
  { label: 'lengths', B: 3, T: 5, lengths: [5, 1, 3], reverse: false },
  { label: 'reverse + lengths', B: 3, T: 5, lengths: [2, 5, 4], reverse: true },
];

for (const layout of LAYOUTS) {
  for (const bias of [true, false]) {
    const tag = `${layout.label}${bias ? '' : ', no bias'}`;
    for (const relu of [false, true]) {
      test(`rnnSequenceForward (${relu ? 'relu' : 'tanh'}, ${tag}) equals the naive loop`, () => {
        const p = problem(1, layout.B, layout.T, 3, 4, bias, layout.lengths, layout.reverse, 1);
        const y = new Float64Array(p.batch * (p.steps + 1) * p.hiddenSize);
        rnnSequenceForward({ ...p, relu }, rnnTape(p.x, p), y);
        const ref = naive(p, 1, (x, h) => {
          const out = h.map((_, j) => {
            const [a, b] = projections(p, x, h, j);
            return relu ? Math.max(a + b, 0) : Math.tanh(a + b);
          });
          return [out, []];
        });
        assert.ok(maxDiff(y, ref) < 1e-12, `differs by ${maxDiff(y, ref)}`);
      });
    }

    test(`lstmSequenceForward (${tag}) equals the naive loop`, () => {
      const p = problem(4, layout.B, layout.T, 3, 4, bias, layout.lengths, layout.reverse, 2);
      const H = p.hiddenSize;
      const y = new Float64Array(p.batch * (p.steps + 2) * H);
      lstmSequenceForward(p, lstmTape(p.x, p), y);
      const ref = naive(p, 2, (x, h, c) => {
        const gate = (k: number, j: number): number => projections(p, x, h, k * H + j).reduce((u, v) => u + v);
        const cNew = c.map((cj, j) => sigmoid(gate(1, j)) * cj + sigmoid(gate(0, j)) * Math.tanh(gate(2, j)));
        const hNew = cNew.map((cj, j) => sigmoid(gate(3, j)) * Math.tanh(cj));
        return [hNew, cNew];
      });
      assert.ok(maxDiff(y, ref) < 1e-12, `differs by ${maxDiff(y, ref)}`);
    });

    for (const resetAfter of [true, false]) {
      test(`gruSequenceForward (reset ${resetAfter ? 'after' : 'before'}, ${tag}) equals the naive loop`, () => {
        const p = problem(3, layout.B, layout.T, 3, 4, bias, layout.lengths, layout.reverse, 3);
        const H = p.hiddenSize;
        const y = new Float64Array(p.batch * (p.steps + 1) * H);
        gruSequenceForward({ ...p, resetAfter }, gruTape(p.x, p), y);
        const ref = naive(p, 1, (x, h) => {
          const r = h.map((_, j) => sigmoid(projections(p, x, h, j).reduce((u, v) => u + v)));
          const z = h.map((_, j) => sigmoid(projections(p, x, h, H + j).reduce((u, v) => u + v)));
          const rh = h.map((hj, j) => (r[j] as number) * hj);
          const n = h.map((_, j) => {
            if (resetAfter) {
              const [xn, hn] = projections(p, x, h, 2 * H + j);
              return Math.tanh(xn + (r[j] as number) * hn);
            }
            const [xn] = projections(p, x, h, 2 * H + j);
            return Math.tanh(xn + dot(p.weightHh, 2 * H + j, H, rh, 0) + ((p.biasHh?.[2 * H + j] as number | undefined) ?? 0));
          });
          return [h.map((hj, j) => (1 - (z[j] as number)) * (n[j] as number) + (z[j] as number) * hj), []];
        });
        assert.ok(maxDiff(y, ref) < 1e-12, `differs by ${maxDiff(y, ref)}`);
      });
    }
  }
}

test('float32 kernels agree with float64 to float32 precision (fast sigmoid/tanh)', () => {
  const p = problem(4, 3, 6, 5, 8, true, [6, 3, 5], false, 4);
  const y64 = new Float64Array(3 * 8 * 8);
  lstmSequenceForward(p, lstmTape(p.x, p), y64);
  const f32 = (a: Float64Array | TypedArray | null): Float32Array | null => (a === null ? null : Float32Array.from(a));
  const p32 = {
    ...p, x: f32(p.x) as Float32Array, h0: f32(p.h0) as Float32Array, c0: f32(p.c0) as Float32Array,
    weightIh: f32(p.weightIh) as Float32Array, weightHh: f32(p.weightHh) as Float32Array, biasIh: f32(p.biasIh), biasHh: f32(p.biasHh),
  };
  const y32 = new Float32Array(3 * 8 * 8);
  lstmSequenceForward(p32, lstmTape(p32.x, p32), y32);
  assert.ok(maxDiff(y32, y64) < 2e-6, `differs by ${maxDiff(y32, y64)}`);
});

test('fastSigmoid and fastTanh stay within 5e-8 relative of Math over the whole range', () => {
  let worst = 0;
  const check = (v: number): void => {
    const s = sigmoid(v);
    if (s > 0) worst = Math.max(worst, Math.abs(fastSigmoid(v) / s - 1));
    const t = Math.tanh(v);
    if (t !== 0) worst = Math.max(worst, Math.abs(fastTanh(v) / t - 1));
  };
  for (let i = -200000; i <= 200000; i++) check(i * 1e-4); // [-20, 20] in steps of 1e-4
  for (const v of [1e-30, -1e-12, 9.0999, 9.1, 9.1001, -9.1, 50, -50, 87, -87, 700, -700]) check(v);
  assert.ok(worst < 5e-8, `worst relative error ${worst}`);
  assert.equal(fastSigmoid(Infinity), 1);
  assert.ok(fastSigmoid(-Infinity) < 1e-300);
  assert.ok(Math.abs(fastTanh(Infinity) - 1) < 5e-8 && Math.abs(fastTanh(-Infinity) + 1) < 5e-8);
  assert.equal(fastTanh(0), 0);
  assert.ok(Number.isNaN(fastSigmoid(NaN)) && Number.isNaN(fastTanh(NaN)));
});

test('workspaces grown by a large call give the same results to a smaller one', () => {
  const small = problem(3, 2, 3, 2, 3, true, [3, 2], true, 5);
  const run = (): Float64Array => {
    const y = new Float64Array(2 * 4 * 3);
    gruSequenceForward({ ...small, resetAfter: false }, gruTape(small.x, small), y);
    return y;
  };
  const before = run();
  const big = problem(3, 5, 9, 7, 6, true, null, false, 6);
  gruSequenceForward({ ...big, resetAfter: false }, gruTape(big.x, big), new Float64Array(5 * 10 * 6));
  assert.deepEqual(run(), before);
});

test('kernels reject wrong sizes and lengths with ArgumentError', () => {
  const p = problem(1, 2, 3, 2, 3, true, null, false, 7);
  const y = new Float64Array(2 * 4 * 3);
  assert.throws(() => rnnSequenceForward({ ...p, relu: false }, rnnTape(p.x, p), new Float64Array(5)), ArgumentError);
  assert.throws(() => rnnSequenceForward({ ...p, relu: false, weightHh: new Float64Array(4) }, rnnTape(p.x, p), y), /weightHh must hold 9/);
  assert.throws(() => rnnSequenceForward({ ...p, relu: false, lengths: Int32Array.from([3, 4]) }, rnnTape(p.x, p), y), /lengths\[1\] = 4/);
  assert.throws(() => rnnSequenceForward({ ...p, relu: false, biasHh: null }, rnnTape(p.x, p), y), /both biases/);
  assert.throws(() => rnnSequenceForward({ ...p, relu: false, x: Float32Array.from(p.x) }, rnnTape(p.x, p), y), /dtype/);
});
