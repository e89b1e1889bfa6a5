import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng, ArgumentError, DTypeError, type TypedArray } from '../tensor/index.js';
import { gemm, gemmBackend, gemmReady, setGemmBackend, type GemmBackend } from './gemm.js';
import { setWasmRelaxedSimd, wasmKernelVariant, wasmRelaxedSimdSupported } from './wasm-module.js';

interface Case {
  transA: boolean; transB: boolean; m: number; n: number; k: number;
  alpha: number; beta: number;
  aOffset: number; lda: number; bOffset: number; ldb: number; cOffset: number; ldc: number;
}

// The definition, in float64, straight from the stored layout: no blocking to share bugs with.
function naive(t: Case, a: TypedArray, b: TypedArray, c: TypedArray): Float64Array {
  const out = Float64Array.from(c);
  for (let i = 0; i < t.m; i++) {
    for (let j = 0; j < t.n; j++) {
      let s = 0;
      for (let p = 0; p < t.k; p++) {
        const x = a[t.aOffset + (t.transA ? p * t.lda + i : i * t.lda + p)] as number;
        const y = b[t.bOffset + (t.transB ? j * t.ldb + p : p * t.ldb + j)] as number;
        s += x * y;
      }
      const at = t.cOffset + i * t.ldc + j;
      out[at] = t.alpha * s + (t.beta === 0 ? 0 : t.beta * (c[at] as number));
    }
  }
  return out;
}

// |alpha| * sum_p |a_ip b_pj| + |beta c_ij|: the scale of the rounding error of any summation
// order, so the tolerance (k + 3) * eps * magnitude is the textbook bound gamma_k.
function magnitude(t: Case, a: TypedArray, b: TypedArray, c: TypedArray, i: number, j: number): number {
  let s = 0;
  for (let p = 0; p < t.k; p++) {
    s += Math.abs((a[t.aOffset + (t.transA ? p * t.lda + i : i * t.lda + p)] as number)
      * (b[t.bOffset + (t.transB ? j * t.ldb + p : p * t.ldb + j)] as number));
  }
  const cij = t.beta === 0 ? 0 : Math.abs(t.beta * (c[t.cOffset + i * t.ldc + j] as number));
  return Math.abs(t.alpha) * s + cij;
}

function randomArray(rng: Rng, ctor: Float32ArrayConstructor | Float64ArrayConstructor, length: number): TypedArray {
  const x = new ctor(length);
  for (let i = 0; i < length; i++) x[i] = rng.uniformRange(-1, 1);
  return x;
}

function storedSize(rows: number, ld: number, offset: number, cols: number): number {
  return rows === 0 ? offset : offset + (rows - 1) * ld + cols + 3; // + 3: trailing slack must survive
}

function runCase(t: Case, rng: Rng, ctor: Float32ArrayConstructor | Float64ArrayConstructor, label: string): void {
  const [aRows, aCols] = t.transA ? [t.k, t.m] : [t.m, t.k];
  const [bRows, bCols] = t.transB ? [t.n, t.k] : [t.k, t.n];
  const a = randomArray(rng, ctor, storedSize(aRows, t.lda, t.aOffset, aCols));
  const b = randomArray(rng, ctor, storedSize(bRows, t.ldb, t.bOffset, bCols));
  const c = randomArray(rng, ctor, storedSize(t.m, t.ldc, t.cOffset, t.n));
  if (t.beta === 0) {
    // beta = 0 must not read C: NaN there would otherwise poison the result.
    for (let i = 0; i < t.m; i++) c.fill(Number.NaN, t.cOffset + i * t.ldc, t.cOffset + i * t.ldc + t.n);
  }
  const expected = naive(t, a, b, c);
  const before = Float64Array.from(c);
  gemm(t.transA, t.transB, t.m, t.n, t.k, t.alpha, a, t.aOffset, t.lda, b, t.bOffset, t.ldb, t.beta, c, t.cOffset, t.ldc);
  const eps = ctor === Float32Array ? 2 ** -23 : 2 ** -52;
  for (let idx = 0; idx < c.length; idx++) {
    const rel = idx - t.cOffset;
    const i = Math.floor(rel / t.ldc), j = rel - i * t.ldc;
    const inside = rel >= 0 && i < t.m && j < t.n;
    if (!inside) {
      // Padding between rows (ldc > n), before the offset and after the end is not C.
      assert.ok(Object.is(c[idx], before[idx]), `${label}: wrote outside C at ${idx}`);
      continue;
    }
    const got = c[idx] as number, want = expected[idx] as number;
    const tol = (t.k + 3) * eps * magnitude(t, a, b, before, i, j) + 1e-30;
    if (!(Math.abs(got - want) <= tol)) {
      assert.fail(`${label}: C[${i},${j}] = ${got}, expected ${want} (tolerance ${tol}) for ${JSON.stringify(t)}`);
    }
  }
}

function randomCase(rng: Rng, maxDim: number): Case {
  const pick = (): number => {
    // Mix tiny, tile-edge and block-crossing sizes (tiles are 4 x 4 / 4 x 8, KC = 256).
    const special = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 257];
    return rng.uniform() < 0.5 ? (special[rng.int(special.length)] as number) : 1 + rng.int(maxDim);
  };
  const m = pick(), n = pick(), k = pick();
  const transA = rng.uniform() < 0.5, transB = rng.uniform() < 0.5;
  const alphas = [1, -1, 0.5, 2.25, 0];
  const betas = [0, 1, -0.75, 0.5];
  const pad = (): number => (rng.uniform() < 0.5 ? 0 : 1 + rng.int(5));
  return {
    transA, transB, m, n, k,
    alpha: alphas[rng.int(alphas.length)] as number,
    beta: betas[rng.int(betas.length)] as number,
    aOffset: pad(), lda: (transA ? m : k) + pad(),
    bOffset: pad(), ldb: (transB ? k : n) + pad(),
    cOffset: pad(), ldc: n + pad(),
  };
}

const backends: readonly GemmBackend[] = ['js', 'wasm-simd'];

function withBackend(backend: GemmBackend, body: () => void): void {
  setGemmBackend(backend);
  try {
    body();
  } finally {
    setGemmBackend('auto');
  }
}

test('Node 20 runs the WebAssembly SIMD backend by default', async () => {
  assert.equal(await gemmReady(), 'wasm-simd');
  assert.equal(gemmBackend(), 'wasm-simd');
  withBackend('js', () => assert.equal(gemmBackend(), 'js'));
});

test('setWasmRelaxedSimd(true) is a TypeError where the engine has no relaxed SIMD, and the loaded build stays', async (t) => {
  await gemmReady();
  if (wasmRelaxedSimdSupported) {
    setWasmRelaxedSimd(true);
    assert.equal(wasmKernelVariant(), 'relaxed-simd');
    t.skip('this engine has relaxed SIMD, so the TypeError cannot occur');
    return;
  }
  assert.throws(() => setWasmRelaxedSimd(true), (e: unknown) => e instanceof TypeError && /no WebAssembly relaxed SIMD/.test(e.message));
  assert.equal(wasmKernelVariant(), 'simd');
  // The settings that keep the loaded build are accepted, and leave it loaded.
  setWasmRelaxedSimd(false);
  setWasmRelaxedSimd('auto');
  assert.equal(wasmKernelVariant(), 'simd');
});

test('doc example: 2 x 2 product', () => {
  for (const backend of backends) {
    withBackend(backend, () => {
      const a = new Float32Array([1, 2, 3, 4]), b = new Float32Array([5, 6, 7, 8]);
      const c = new Float32Array(4);
      gemm(false, false, 2, 2, 2, 1, a, 0, 2, b, 0, 2, 0, c, 0, 2);
      assert.deepEqual([...c], [19, 22, 43, 50]);
    });
  }
});

for (const backend of backends) {
  for (const ctor of [Float32Array, Float64Array]) {
    test(`setting ${backend}, ${ctor.name}${ctor === Float64Array && backend === 'wasm-simd' ? ' (float64 runs in JS)' : ''}: random shapes, transposes, offsets, strides, alpha, beta`, () => {
      const rng = new Rng(ctor === Float32Array ? 11 : 12);
      withBackend(backend, () => {
        for (let trial = 0; trial < 150; trial++) {
          runCase(randomCase(rng, 70), rng, ctor, `${backend} ${ctor.name} trial ${trial}`);
        }
      });
    });

    test(`${backend} ${ctor.name}: every transpose combination on block-crossing shapes`, () => {
      const rng = new Rng(21);
      withBackend(backend, () => {
        // 130 > MC-ish edges, 300 > KC (two depth blocks), 1030 > NC (two column blocks).
        const shapes: [number, number, number][] = [[130, 37, 300], [6, 1030, 9], [67, 66, 65], [1, 300, 300], [300, 1, 300]];
        for (const [m, n, k] of shapes) {
          for (const transA of [false, true]) {
            for (const transB of [false, true]) {
              const t: Case = {
                transA, transB, m, n, k, alpha: 0.75, beta: 0.5,
                aOffset: 3, lda: (transA ? m : k) + 2, bOffset: 1, ldb: (transB ? k : n) + 1, cOffset: 2, ldc: n + 3,
              };
              runCase(t, rng, ctor, `${backend} ${ctor.name} ${m}x${n}x${k} tA=${transA} tB=${transB}`);
            }
          }
        }
      });
    });
  }
}

test('degenerate sizes: k = 0 scales C by beta, m = 0 or n = 0 touch nothing', () => {
  for (const backend of backends) {
    withBackend(backend, () => {
      const c = new Float32Array([1, 2, 3, 4]);
      gemm(false, false, 2, 2, 0, 1, new Float32Array(0), 0, 1, new Float32Array(0), 0, 2, 3, c, 0, 2);
      assert.deepEqual([...c], [3, 6, 9, 12]);
      const d = new Float32Array([Number.NaN, 1]);
      gemm(false, false, 1, 2, 0, 1, new Float32Array(0), 0, 1, new Float32Array(0), 0, 2, 0, d, 0, 2);
      assert.deepEqual([...d], [0, 0]);
      const e = new Float32Array([5]);
      gemm(false, false, 0, 1, 3, 1, new Float32Array(0), 0, 3, new Float32Array(3), 0, 1, 0, e, 0, 1);
      assert.deepEqual([...e], [5]);
    });
  }
});

test('wasm memory grows and shrinks back without stale views', () => {
  const rng = new Rng(5);
  withBackend('wasm-simd', () => {
    for (const size of [40, 200, 16, 260, 8]) {
      runCase({
        transA: false, transB: true, m: size, n: size + 1, k: size + 2, alpha: 1, beta: 0,
        aOffset: 0, lda: size + 2, bOffset: 0, ldb: size + 2, cOffset: 0, ldc: size + 1,
      }, rng, Float32Array, `grow ${size}`);
    }
  });
});

test('float32 backends agree with each other closely on a large product', () => {
  const rng = new Rng(9);
  const m = 96, n = 200, k = 160;
  const a = randomArray(rng, Float32Array, m * k), b = randomArray(rng, Float32Array, k * n);
  const results = backends.map((backend) => {
    const c = new Float32Array(m * n);
    withBackend(backend, () => gemm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, c, 0, n));
    return c;
  });
  const [js, wasm] = results as [Float32Array, Float32Array];
  let worst = 0;
  for (let i = 0; i < js.length; i++) worst = Math.max(worst, Math.abs((js[i] as number) - (wasm[i] as number)));
  assert.ok(worst < 1e-4, `max |js - wasm| = ${worst}`);
});

test('bad arguments throw typed errors naming the matrix', () => {
  const f = new Float32Array(6), g = new Float64Array(6);
  assert.throws(() => gemm(false, false, 2, 3, 2, 1, f, 0, 1, f, 0, 3, 0, f, 0, 3), (e: unknown) => e instanceof ArgumentError && /A is 2 x 2/.test(e.message));
  assert.throws(() => gemm(false, false, 2, 3, 2, 1, f, 3, 2, f, 0, 3, 0, f, 0, 3), (e: unknown) => e instanceof ArgumentError && /needs 7 elements/.test(e.message));
  assert.throws(() => gemm(false, false, 2, 3, 2, 1, f, 0, 2, g, 0, 3, 0, f, 0, 3), DTypeError);
  assert.throws(() => gemm(false, false, -1, 3, 2, 1, f, 0, 2, f, 0, 3, 0, f, 0, 3), ArgumentError);
});

test('a single-row matrix may have any row stride, as it is never used', () => {
  for (const backend of backends) {
    withBackend(backend, () => {
      const a = new Float32Array([1, 2, 3]), b = new Float32Array([1, 0, 0, 1, 1, 1]);
      const c = new Float32Array(2);
      gemm(false, false, 1, 2, 3, 1, a, 0, 1, b, 0, 2, 0, c, 0, 0);
      assert.deepEqual([...c], [4, 5]);
    });
  }
});
