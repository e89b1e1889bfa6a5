import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng, type TypedArray } from '../tensor/index.js';
import { setGemmBackend } from './gemm.js';
import { gruSequenceBackward, gruSequenceForward, gruTape, type GruSequenceArgs } from './gru-sequence.js';
import { lstmSequenceBackward, lstmSequenceForward, lstmTape, type LstmSequenceArgs } from './lstm-sequence.js';
import { rnnSequenceBackward, rnnSequenceForward, rnnTape, type RnnSequenceArgs } from './rnn-sequence.js';
import { WasmSequenceTape, sequenceKernelPath } from './sequence-wasm.js';
import { wasmKernels } from './wasm-module.js';

// The WebAssembly SIMD paths of the fused kernels against their JavaScript paths on the same
// float32 problems: outputs, final states and every gradient. The JS paths are checked
// against naive loops (rnn-sequence.test.ts), scan over the cells (sequence/fused.test.ts)
// and PyTorch (sequence/torch-golden.test.ts); this closes the loop for the wasm paths, on
// shapes that cross the SIMD width (H = 6, 13) and the gemm's tiles, with masks and reverse.

const w = wasmKernels();
if (w === undefined) throw new Error('these tests need WebAssembly SIMD (Node 20 has it)');

function randomArray(rng: Rng, n: number, scale = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * scale);
}

// max |a - b| relative to the largest |b| (at least 1): float32 sums in a different order
// (gemm blocking, SIMD lanes) differ by a few ulp of the largest terms, not of each element.
function maxRelDiff(a: TypedArray, b: TypedArray): number {
  assert.equal(a.length, b.length);
  let m = 0, scale = 1;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
    scale = Math.max(scale, Math.abs(b[i] as number));
  }
  return m / scale;
}

interface Problem {
  readonly label: string;
  readonly B: number;
  readonly T: number;
  readonly I: number;
  readonly H: number;
  readonly lengths: number[] | null;
  readonly reverse: boolean;
  readonly bias: boolean;
}

const PROBLEMS: Problem[] = [
  { label: 'H 6, one example', B: 1, T: 5, I: 3, H: 6, lengths: null, reverse: false, bias: true },
  { label: 'H 13, lengths', B: 5, T: 7, I: 4, H: 13, lengths: [7, 2, 5, 1, 7], reverse: false, bias: true },
  { label: 'H 16, reverse, no bias', B: 3, T: 6, I: 9, H: 16, lengths: null, reverse: true, bias: false },
  { label: 'H 40, lengths + reverse', B: 9, T: 4, I: 5, H: 40, lengths: [4, 3, 1, 2, 4, 4, 1, 3, 2], reverse: true, bias: true },
];

/** Runs `body` once per path and returns [js, wasm] results, checking which tape each got. */
function bothPaths<R>(make: () => unknown, body: (tape: unknown) => R): [R, R] {
  const results: R[] = [];
  for (const backend of ['js', 'wasm-simd'] as const) {
    setGemmBackend(backend);
    try {
      const tape = make();
      assert.equal(tape instanceof WasmSequenceTape, backend === 'wasm-simd', `${backend} path made the wrong tape`);
      results.push(body(tape));
    } finally {
      setGemmBackend('auto');
    }
  }
  return results as [R, R];
}

function assertClose(label: string, js: Record<string, TypedArray | null>, wasm: Record<string, TypedArray | null>): void {
  for (const [name, a] of Object.entries(js)) {
    const b = wasm[name] ?? null;
    if (a === null || b === null) {
      assert.equal(a, b, `${label}: ${name} present on one path only`);
      continue;
    }
    const d = maxRelDiff(b, a);
    assert.ok(d < 1e-5, `${label}: ${name} differs by ${d} (relative to its largest element)`);
  }
}

function baseArgs(p: Problem, gates: number, rng: Rng): Omit<RnnSequenceArgs, 'h0' | 'relu'> {
  return {
    batch: p.B, steps: p.T, inputSize: p.I, hiddenSize: p.H,
    x: randomArray(rng, p.B * p.T * p.I),
    weightIh: randomArray(rng, gates * p.H * p.I, 0.4), weightHh: randomArray(rng, gates * p.H * p.H, 0.4),
    biasIh: p.bias ? randomArray(rng, gates * p.H, 0.4) : null, biasHh: p.bias ? randomArray(rng, gates * p.H, 0.4) : null,
    lengths: p.lengths === null ? null : Int32Array.from(p.lengths), reverse: p.reverse,
  };
}

function grads(p: Problem, gates: number, states: readonly string[]): Record<string, Float32Array | null> {
  const out: Record<string, Float32Array | null> = {
    dx: new Float32Array(p.B * p.T * p.I), dWeightIh: new Float32Array(gates * p.H * p.I), dWeightHh: new Float32Array(gates * p.H * p.H),
    dBiasIh: p.bias ? new Float32Array(gates * p.H) : null, dBiasHh: p.bias ? new Float32Array(gates * p.H) : null,
  };
  for (const s of states) out[s] = new Float32Array(p.B * p.H);
  return out;
}

for (const p of PROBLEMS) {
  test(`lstm wasm path equals the JS path: ${p.label}`, () => {
    const rng = new Rng(p.H * 7 + p.B);
    const args: LstmSequenceArgs = { ...baseArgs(p, 4, rng), h0: randomArray(rng, p.B * p.H), c0: randomArray(rng, p.B * p.H) };
    const dy = randomArray(rng, p.B * (p.T + 2) * p.H);
    const [js, wasm] = bothPaths(() => lstmTape(args.x, args), (tape) => {
      const y = new Float32Array(p.B * (p.T + 2) * p.H);
      lstmSequenceForward(args, tape as ReturnType<typeof lstmTape>, y);
      const g = grads(p, 4, ['dh0', 'dc0']);
      lstmSequenceBackward(args, tape as ReturnType<typeof lstmTape>, dy, g as never);
      return { y, ...g };
    });
    assertClose(`lstm ${p.label}`, js, wasm);
  });

  for (const resetAfter of [true, false]) {
    test(`gru (reset ${resetAfter ? 'after' : 'before'}) wasm path equals the JS path: ${p.label}`, () => {
      const rng = new Rng(p.H * 11 + p.B);
      const args: GruSequenceArgs = { ...baseArgs(p, 3, rng), h0: randomArray(rng, p.B * p.H), resetAfter };
      const dy = randomArray(rng, p.B * (p.T + 1) * p.H);
      const [js, wasm] = bothPaths(() => gruTape(args.x, args), (tape) => {
        const y = new Float32Array(p.B * (p.T + 1) * p.H);
        gruSequenceForward(args, tape as ReturnType<typeof gruTape>, y);
        const g = grads(p, 3, ['dh0']);
        gruSequenceBackward(args, tape as ReturnType<typeof gruTape>, dy, g as never);
        return { y, ...g };
      });
      assertClose(`gru ${p.label}`, js, wasm);
    });
  }

  for (const relu of [false, true]) {
    test(`rnn (${relu ? 'relu' : 'tanh'}) wasm path equals the JS path: ${p.label}`, () => {
      const rng = new Rng(p.H * 13 + p.B);
      const args: RnnSequenceArgs = { ...baseArgs(p, 1, rng), h0: randomArray(rng, p.B * p.H), relu };
      const dy = randomArray(rng, p.B * (p.T + 1) * p.H);
      const [js, wasm] = bothPaths(() => rnnTape(args.x, args), (tape) => {
        const y = new Float32Array(p.B * (p.T + 1) * p.H);
        rnnSequenceForward(args, tape as ReturnType<typeof rnnTape>, y);
        const g = grads(p, 1, ['dh0']);
        rnnSequenceBackward(args, tape as ReturnType<typeof rnnTape>, dy, g as never);
        return { y, ...g };
      });
      assertClose(`rnn ${p.label}`, js, wasm);
    });
  }
}

test('the SIMD activations match Math.exp, the logistic sigmoid and Math.tanh to float32 accuracy', () => {
  const n = 4003;
  const xs = Float32Array.from({ length: n }, (_, i) => -100 + (200 * i) / (n - 1));
  const at = w.alloc(n * 4);
  try {
    for (const [name, f, exact, tol] of [
      ['expInPlace', w.exports.expInPlace, Math.exp, 4e-7],
      ['sigmoidInPlace', w.exports.sigmoidInPlace, (v: number) => 1 / (1 + Math.exp(-v)), 4e-7],
      ['tanhInPlace', w.exports.tanhInPlace, Math.tanh, 4e-7],
    ] as const) {
      w.f32.set(xs, at >> 2);
      f(at, n);
      const got = w.f32.subarray(at >> 2, (at >> 2) + n);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const x = xs[i] as number;
        const want = exact(x);
        // exp beyond float32's range is clamped to its finite limits (by design).
        if (name === 'expInPlace' && (x > 88 || x < -87)) continue;
        const scale = Math.max(Math.abs(want), name === 'expInPlace' ? 0 : 1e-30);
        worst = Math.max(worst, Math.abs((got[i] as number) - want) / scale);
      }
      assert.ok(worst < tol, `${name}: worst relative error ${worst}`);
    }
  } finally {
    w.free(at);
  }
});

test('sequenceKernelPath reports the path in use', () => {
  assert.equal(sequenceKernelPath(), 'wasm-simd');
  setGemmBackend('js');
  try {
    assert.equal(sequenceKernelPath(), 'js');
  } finally {
    setGemmBackend('auto');
  }
});

test('wasm tapes free their memory when disposed, and the allocator reuses it', () => {
  const before = w.usage().liveBytes;
  const dims = { batch: 4, steps: 8, inputSize: 3, hiddenSize: 32 };
  const tapes = [0, 1, 2].map(() => lstmTape(new Float32Array(0), dims) as WasmSequenceTape);
  assert.ok(w.usage().liveBytes > before);
  const first = tapes[0]?.at;
  for (const t of tapes) t.dispose();
  assert.equal(w.usage().liveBytes, before);
  const again = lstmTape(new Float32Array(0), dims) as WasmSequenceTape;
  assert.equal(again.at, first, 'a freed block is reused first-fit');
  again.dispose();
  again.dispose();
  assert.equal(w.usage().liveBytes, before);
});
