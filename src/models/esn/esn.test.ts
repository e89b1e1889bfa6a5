import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { qr } from '../../kernels/index.js';
import { ArgumentError, Rng, ShapeError, Tensor } from '../../tensor/index.js';
import { DeepEsn } from './deep-esn.js';
import { EsnClassifier } from './classifier.js';
import { denseEigenvalues, denseSpectralRadius, hessenbergEigenvalues } from './eigen.js';
import { EchoStateNetwork } from './esn.js';
import { effectiveSpectralRadius, memoryCapacity } from './observables.js';
import { RlsReadout, householderQrSolver, normalEquationsSolver, ridgeRegression, type LinearReadout } from './readout.js';
import { Reservoir, type ReservoirConfig } from './reservoir.js';
import { csrFromDense, csrMatVec, csrToDense, randomSparse } from './sparse.js';
import { sparseSpectralRadius } from './spectral-radius.js';

function gaussian(length: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  return Float64Array.from({ length }, () => rng.normal());
}

function column(values: ArrayLike<number>): Tensor {
  return new Tensor(Float64Array.from(values), [values.length, 1]);
}

function sine(length: number, omega: number, phase = 0): Float64Array {
  return Float64Array.from({ length }, (_, t) => Math.sin(omega * t + phase));
}

function relativeDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs((a[i] as number) - (b[i] as number)));
    den = Math.max(den, Math.abs(b[i] as number));
  }
  return num / Math.max(den, Number.MIN_VALUE);
}

describe('eigenvalues and the spectral radius', () => {
  test('Francis QR: known spectra (rotation pair, companion matrix of (x-1)(x-2)(x-3)(x^2+4))', () => {
    const rot = hessenbergEigenvalues(new Float64Array([0, -2, 2, 0]), 2);
    assert.deepEqual([...rot.re].map((v) => Math.abs(v) < 1e-15), [true, true]);
    assert.deepEqual([...rot.im].map(Math.abs).sort(), [2, 2]);
    // x^5 - 6x^4 + 15x^3 - 30x^2 + 44x - 24 = (x-1)(x-2)(x-3)(x^2+4); companion matrix is Hessenberg.
    const c = [6, -15, 30, -44, 24];
    const n = 5;
    const h = new Float64Array(n * n);
    c.forEach((v, j) => (h[j] = v));
    for (let i = 1; i < n; i++) h[i * n + i - 1] = 1;
    const { re, im } = hessenbergEigenvalues(h, n);
    const roots = [...re].map((r, k) => [r, im[k] as number] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const expected: readonly (readonly [number, number])[] = [[0, -2], [0, 2], [1, 0], [2, 0], [3, 0]];
    roots.forEach(([r, i], k) => {
      const [er, ei] = expected[k] ?? [Number.NaN, Number.NaN];
      assert.ok(Math.abs(r - er) < 1e-9 && Math.abs(i - ei) < 1e-9, `root ${k}: ${r} + ${i}i`);
    });
  });

  test('dense eigenvalues: trace and sum of squares match the matrix (random 30 x 30)', () => {
    const n = 30;
    const a = gaussian(n * n, 7);
    const { re, im } = denseEigenvalues(a, n);
    let trace = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i] as number;
    // trace(A^2) = sum lambda^2 = sum (re^2 - im^2).
    let trace2 = 0;
    for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) trace2 += (a[i * n + k] as number) * (a[k * n + i] as number);
    assert.ok(Math.abs(re.reduce((s, v) => s + v, 0) - trace) < 1e-9);
    assert.ok(Math.abs(re.reduce((s, v, k) => s + v * v - (im[k] as number) ** 2, 0) - trace2) < 1e-8);
  });

  for (const [n, density, seed] of [[100, 0.1, 1], [250, 0.02, 2], [250, 0.1, 3]] as const) {
    test(`Arnoldi estimate of rho(W) matches the dense eigensolver (${n} units, density ${density})`, () => {
      const w = randomSparse(n, n, density, new Rng(seed), (r) => r.normal());
      const exact = denseSpectralRadius(csrToDense(w), n);
      const estimate = sparseSpectralRadius(w);
      assert.ok(estimate.converged);
      assert.ok(Math.abs(estimate.radius / exact - 1) < 1e-4, `estimate ${estimate.radius} vs exact ${exact}`);
    });
  }

  test('a reservoir is scaled to its target spectral radius within 1 % (dense check)', () => {
    for (const [units, connectivity, target] of [[200, 0.05, 1.25], [250, 0.1, 0.9]] as const) {
      const res = new Reservoir({ units, inputSize: 1, connectivity, spectralRadius: target, seed: 11 });
      const rho = denseSpectralRadius(csrToDense(res.w), units);
      assert.ok(Math.abs(rho / target - 1) < 0.01, `rho(W) = ${rho}, target ${target}`);
    }
  });

  test('effective spectral radius of a leaky reservoir is rho((1 - a) I + a W)', () => {
    const n = 120;
    const leak = 0.3;
    const res = new Reservoir({ units: n, inputSize: 1, spectralRadius: 1.25, leak, seed: 5 });
    const dense = csrToDense(res.w);
    for (let i = 0; i < dense.length; i++) dense[i] = leak * (dense[i] as number);
    for (let i = 0; i < n; i++) dense[i * n + i] = (dense[i * n + i] as number) + 1 - leak;
    const exact = denseSpectralRadius(dense, n);
    assert.ok(Math.abs(effectiveSpectralRadius(res).radius / exact - 1) < 1e-6);
    const noLeak = new Reservoir({ units: n, inputSize: 1, spectralRadius: 1.25, seed: 5 });
    assert.ok(Math.abs(effectiveSpectralRadius(noLeak).radius - 1.25) < 1e-3);
  });
});

describe('reservoir update', () => {
  const n = 30;
  const base = { units: n, inputSize: 2, spectralRadius: 0.9, seed: 8 } as const;
  const inputs = new Tensor(gaussian(2 * 80, 12), [80, 2]);

  test('a leak array of equal entries gives the scalar leak\'s states bit for bit', () => {
    const scalar = new Reservoir({ ...base, leak: 0.3 }).run(inputs).data;
    const perUnit = new Reservoir({ ...base, leak: new Array<number>(n).fill(0.3) }).run(inputs).data;
    assert.ok(scalar.every((v, i) => Object.is(v, perUnit[i])), 'per-unit leak 0.3 differs from scalar leak 0.3');
  });

  test('mixed per-unit leaks: one step is x_i <- (1 - a_i) x_i + a_i tanh(W_in u + W x + b)_i, by hand', () => {
    const leak = Array.from({ length: n }, (_, i) => [1, 0.5, 0.1][i % 3] as number);
    const res = new Reservoir({ ...base, leak });
    // The leak draws no random numbers, so the weights are those of the scalar-leak reservoir.
    assert.deepEqual(res.w.values, new Reservoir({ ...base, leak: 0.3 }).w.values);
    assert.deepEqual(Array.from(res.leak), leak);
    const states = res.run(inputs).data as Float64Array;
    const w = csrToDense(res.w);
    const t = 40;
    const x0 = states.subarray((t - 1) * n, t * n);
    const u0 = (inputs.data as Float64Array).subarray(t * 2, t * 2 + 2);
    const stepped = Float64Array.from(x0);
    res.step(stepped, u0);
    for (let i = 0; i < n; i++) {
      let pre = res.bias[i] as number;
      for (let j = 0; j < 2; j++) pre += (res.wIn[i * 2 + j] as number) * (u0[j] as number);
      for (let k = 0; k < n; k++) pre += (w[i * n + k] as number) * (x0[k] as number);
      const a = leak[i] as number;
      const expected = (1 - a) * (x0[i] as number) + a * Math.tanh(pre);
      assert.ok(Math.abs((states[t * n + i] as number) - expected) < 1e-14, `run, unit ${i} (leak ${a})`);
      assert.ok(Math.abs((stepped[i] as number) - expected) < 1e-14, `step, unit ${i} (leak ${a})`);
    }
    // The slow units (a = 0.1) move a tenth of the way from x(t-1) to the leak-1 update.
    const fast = new Reservoir({ ...base, leak: 1 });
    const full = Float64Array.from(x0);
    fast.step(full, u0);
    for (let i = 2; i < n; i += 3) {
      const moved = ((states[t * n + i] as number) - (x0[i] as number)) / ((full[i] as number) - (x0[i] as number));
      assert.ok(Math.abs(moved - 0.1) < 1e-9, `unit ${i} moved ${moved} of the way`);
    }
  });

  test('input connectivity: the density of W_in matches inputConnectivity', () => {
    for (const density of [0.1, 0.3, 0.75]) {
      const res = new Reservoir({ units: 200, inputSize: 10, inputConnectivity: density, seed: 21 });
      const nonZero = res.wIn.reduce((c, v) => c + (v !== 0 ? 1 : 0), 0);
      // 2000 Bernoulli(density) draws: standard deviation <= 0.012, so 0.04 is > 3 sigma.
      assert.ok(Math.abs(nonZero / 2000 - density) < 0.04, `density ${nonZero / 2000}, wanted ${density}`);
    }
    const dense = new Reservoir({ units: 200, inputSize: 10, inputConnectivity: 1, seed: 21 });
    assert.ok(dense.wIn.every((v) => v !== 0), 'inputConnectivity 1 leaves a zero in W_in');
  });
});

describe('sparse reservoir weights', () => {
  test('randomSparse: density, determinism, and mat-vec equal to the dense product', () => {
    const w = randomSparse(200, 150, 0.05, new Rng(3), (r) => r.normal());
    const again = randomSparse(200, 150, 0.05, new Rng(3), (r) => r.normal());
    assert.deepEqual(w.values, again.values);
    assert.deepEqual(w.columns, again.columns);
    const nnz = w.values.length;
    assert.ok(Math.abs(nnz / (200 * 150) - 0.05) < 0.005, `density ${nnz / 30000}`);
    const dense = csrToDense(w);
    assert.deepEqual(csrToDense(csrFromDense(dense, 200, 150)), dense);
    const x = gaussian(150, 4);
    const y = new Float64Array(200);
    csrMatVec(w, x, y);
    for (let i = 0; i < 200; i++) {
      let s = 0;
      for (let j = 0; j < 150; j++) s += (dense[i * 150 + j] as number) * (x[j] as number);
      assert.ok(Math.abs(s - (y[i] as number)) < 1e-12);
    }
  });
});

describe('readouts', () => {
  // Features with very different scales and a non-zero mean, as reservoir states have.
  const rows = 300;
  const f = 12;
  const o = 2;
  const z = gaussian(rows * f, 21).map((v, i) => 0.3 + v * 10 ** -(i % f / 4));
  const y = gaussian(rows * o, 22);

  /** Ridge with an unpenalised intercept by QR of [1 Z; 0 sqrt(beta) I]: independent of both solvers. */
  function directSolve(beta: number): LinearReadout {
    const m = rows + f;
    const a = new Float64Array(m * (f + 1));
    const b = new Float64Array(m * o);
    for (let r = 0; r < rows; r++) {
      a[r * (f + 1)] = 1;
      for (let k = 0; k < f; k++) a[r * (f + 1) + 1 + k] = z[r * f + k] as number;
      for (let k = 0; k < o; k++) b[r * o + k] = y[r * o + k] as number;
    }
    for (let k = 0; k < f; k++) a[(rows + k) * (f + 1) + 1 + k] = Math.sqrt(beta);
    const { q, r: rr } = qr(a, m, f + 1);
    const n = f + 1;
    const weight = new Float64Array(o * f);
    const bias = new Float64Array(o);
    for (let k = 0; k < o; k++) {
      const qtb = new Float64Array(n);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) qtb[j] = (qtb[j] as number) + (q[i * n + j] as number) * (b[i * o + k] as number);
      const w = new Float64Array(n);
      for (let i = n - 1; i >= 0; i--) {
        let v = qtb[i] as number;
        for (let j = i + 1; j < n; j++) v -= (rr[i * n + j] as number) * (w[j] as number);
        w[i] = v / (rr[i * n + i] as number);
      }
      bias[k] = w[0] as number;
      for (let j = 0; j < f; j++) weight[k * f + j] = w[j + 1] as number;
    }
    return { weight, bias };
  }

  for (const beta of [0, 1e-6, 0.5]) {
    test(`ridge readout (beta ${beta}) equals a direct float64 solve, by both solvers`, () => {
      const direct = directSolve(beta);
      for (const solver of [normalEquationsSolver, householderQrSolver]) {
        const r = solver(z, y, 0, rows, f, o, beta);
        assert.ok(relativeDiff(r.weight, direct.weight) < 1e-8, `weights differ by ${relativeDiff(r.weight, direct.weight)}`);
        assert.ok(relativeDiff(r.bias, direct.bias) < 1e-8);
      }
    });
  }

  test('ridgeRegression recovers an exact linear map', () => {
    const zs = new Tensor(Float64Array.from([0, 1, 2, 3]), [4, 1]);
    const ys = new Tensor(Float64Array.from([1, 3, 5, 7]), [4, 1]);
    const { weight, bias } = ridgeRegression(zs, ys, 0);
    assert.ok(Math.abs((weight[0] as number) - 2) < 1e-12 && Math.abs((bias[0] as number) - 1) < 1e-12);
  });

  test('RLS after all samples equals ridge with beta = alpha on [1; z] (bias penalised too)', () => {
    const alpha = 0.1;
    const rls = new RlsReadout(f, o, { alpha });
    for (let r = 0; r < rows; r++) rls.update(z.subarray(r * f, (r + 1) * f), y.subarray(r * o, (r + 1) * o));
    // Direct: (X^T X + alpha I) w = X^T y with X = [1 z].
    const n = f + 1;
    const xtx = new Float64Array(n * n);
    const xty = new Float64Array(n * o);
    for (let r = 0; r < rows; r++) {
      const x = [1, ...z.subarray(r * f, (r + 1) * f)];
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) xtx[i * n + j] = (xtx[i * n + j] as number) + (x[i] as number) * (x[j] as number);
        for (let k = 0; k < o; k++) xty[i * o + k] = (xty[i * o + k] as number) + (x[i] as number) * (y[r * o + k] as number);
      }
    }
    for (let i = 0; i < n; i++) xtx[i * n + i] = (xtx[i * n + i] as number) + alpha;
    const solution = qrSolveSquare(xtx, n, xty, o);
    const got = rls.readout();
    for (let k = 0; k < o; k++) {
      assert.ok(Math.abs((got.bias[k] as number) - (solution[k] as number)) < 1e-7);
      for (let j = 0; j < f; j++) assert.ok(Math.abs((got.weight[k * f + j] as number) - (solution[(j + 1) * o + k] as number)) < 1e-6 * (1 + Math.abs(solution[(j + 1) * o + k] as number)));
    }
  });

  test('a singular problem with ridge 0 is a clear error', () => {
    const dup = new Float64Array(rows * 2).map((_, i) => Math.floor(i / 2)); // two identical columns
    assert.throws(() => normalEquationsSolver(dup, y.subarray(0, rows), 0, rows, 2, 1, 0), (e: unknown) => e instanceof ArgumentError && /larger ridge/.test(e.message));
    assert.throws(() => householderQrSolver(dup, y.subarray(0, rows), 0, rows, 2, 1, 0), (e: unknown) => e instanceof ArgumentError && /linearly dependent/.test(e.message));
  });
});

/** Solves A X = B (A [n, n], B [n, k]) by QR: a reference independent of Cholesky. */
function qrSolveSquare(a: Float64Array, n: number, b: Float64Array, k: number): Float64Array {
  const { q, r } = qr(a, n, n);
  const x = new Float64Array(n * k);
  for (let c = 0; c < k; c++) {
    const qtb = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qtb[j] = (qtb[j] as number) + (q[i * n + j] as number) * (b[i * k + c] as number);
    for (let i = n - 1; i >= 0; i--) {
      let v = qtb[i] as number;
      for (let j = i + 1; j < n; j++) v -= (r[i * n + j] as number) * (x[j * k + c] as number);
      x[i * k + c] = v / (r[i * n + i] as number);
    }
  }
  return x;
}

describe('echo state network', () => {
  const u = sine(600, 0.2);
  const target = sine(600, 0.2, 0.2);

  test('fit: the readout equals ridge regression on the collected states', () => {
    const esn = new EchoStateNetwork({ reservoir: { units: 40, inputSize: 1, seed: 2 }, outputSize: 1, ridge: 1e-4 });
    esn.fit(column(u), column(target), { washout: 50 });
    const states = new Reservoir(esn.reservoir.config).run(column(u)).data as Float64Array;
    const features = new Float64Array(600 * 41);
    for (let t = 0; t < 600; t++) {
      features[t * 41] = u[t] as number;
      features.set(states.subarray(t * 40, (t + 1) * 40), t * 41 + 1);
    }
    const direct = householderQrSolver(features, target, 50, 550, 41, 1, 1e-4);
    assert.ok(relativeDiff(esn.readout?.weight ?? [], direct.weight) < 1e-8);
  });

  test('same seed gives bit-identical predictions; another seed does not', () => {
    const make = (seed: number): Float64Array => {
      const esn = new EchoStateNetwork({ reservoir: { units: 60, inputSize: 1, spectralRadius: 1.1, leak: 0.4, seed }, outputSize: 1 });
      esn.fit(column(u.subarray(0, 400)), column(target.subarray(0, 400)), { washout: 50 });
      return esn.predict(column(u.subarray(400))).data as Float64Array;
    };
    const a = make(9);
    const b = make(9);
    assert.ok(a.every((v, i) => Object.is(v, b[i])), 'predictions differ between two runs with the same seed');
    assert.ok(make(10).some((v, i) => v !== a[i]));
  });

  test('bad hyperparameters and inputs give clear typed errors', () => {
    const bad = (config: ReservoirConfig, pattern: RegExp): void => {
      assert.throws(() => new Reservoir(config), (e: unknown) => e instanceof ArgumentError && pattern.test(e.message), `expected ${pattern}`);
    };
    bad({ units: -5, inputSize: 1 }, /units must be a positive integer, got -5/);
    bad({ units: 2.5, inputSize: 1 }, /units must be a positive integer/);
    bad({ units: 10, inputSize: 1, leak: 0 }, /leak must be in \(0, 1\]/);
    bad({ units: 10, inputSize: 1, leak: 1.5 }, /leak must be in \(0, 1\]/);
    bad({ units: 3, inputSize: 1, leak: [0.5, 0.5] }, /leak has 2 entries but there are 3 units/);
    bad({ units: 10, inputSize: 1, connectivity: 0 }, /connectivity must be in \(0, 1\]/);
    bad({ units: 10, inputSize: 1, spectralRadius: -1 }, /spectralRadius must be a finite number >= 0/);
    bad({ units: 10, inputSize: 1, activation: 'relu' as 'tanh' }, /unknown activation 'relu'/);
    const esn = new EchoStateNetwork({ reservoir: { units: 10, inputSize: 1 }, outputSize: 1 });
    assert.throws(() => esn.fit(column(u.subarray(0, 50)), column(target.subarray(0, 50)), { washout: 50 }), (e: unknown) => e instanceof ArgumentError && /the series \(50 steps\) must be longer than the washout \(50 steps\)/.test(e.message));
    assert.throws(() => esn.predict(column(u)), (e: unknown) => e instanceof ArgumentError && /not trained yet/.test(e.message));
    assert.throws(() => esn.fit(new Tensor(new Float64Array(20), [10, 2]), column(target.subarray(0, 10))), ShapeError);
    assert.throws(() => new EchoStateNetwork({ reservoir: { units: 10, inputSize: 1 }, outputSize: 1, ridge: -1 }), /ridge must be a finite number >= 0/);
  });

  test('output feedback: teacher-forced training, then a closed-loop sine generator', () => {
    const wave = sine(1400, 0.25).map((v) => 0.5 * v);
    const esn = new EchoStateNetwork({
      reservoir: { units: 100, inputSize: 1, feedbackSize: 1, spectralRadius: 0.8, feedbackConnectivity: 1, feedbackWeights: 'uniform', biasScaling: 0, seed: 4 },
      outputSize: 1, ridge: 1e-8, readoutInput: false,
    });
    const zeros = (n: number): Tensor => new Tensor(new Float64Array(n), [n, 1]);
    esn.fit(zeros(1000), column(wave.subarray(0, 1000)), { washout: 100 });
    const free = esn.generate(400).data as Float64Array;
    let worst = 0;
    for (let t = 0; t < 400; t++) worst = Math.max(worst, Math.abs((free[t] as number) - (wave[1000 + t] as number)));
    assert.ok(worst < 0.01, `free-run error ${worst}`);
  });

  test('FORCE (RLS in closed loop) learns the same generator online', () => {
    // FORCE wants slow (leaky) units in a chaotic reservoir, as in Sussillo & Abbott's continuous-time network.
    const wave = sine(2300, 0.25).map((v) => 0.5 * v);
    const esn = new EchoStateNetwork({
      reservoir: { units: 100, inputSize: 1, feedbackSize: 1, spectralRadius: 1.3, leak: 0.2, feedbackConnectivity: 1, feedbackWeights: 'uniform', biasScaling: 0, seed: 6 },
      outputSize: 1, readoutInput: false,
    });
    const zeros = (n: number): Tensor => new Tensor(new Float64Array(n), [n, 1]);
    esn.fitOnline(zeros(2000), column(wave.subarray(0, 2000)), { washout: 50, alpha: 0.1, closedLoop: true });
    const free = esn.generate(300).data as Float64Array;
    let worst = 0;
    for (let t = 0; t < 300; t++) worst = Math.max(worst, Math.abs((free[t] as number) - (wave[2000 + t] as number)));
    assert.ok(worst < 0.05, `free-run error after FORCE ${worst}`);
  });

  test('generate with outputAsInput turns a one-step predictor into a generator', () => {
    const wave = sine(900, 0.3);
    const esn = new EchoStateNetwork({ reservoir: { units: 80, inputSize: 1, spectralRadius: 0.9, seed: 8 }, outputSize: 1, ridge: 1e-9 });
    esn.fit(column(wave.subarray(0, 700)), column(wave.subarray(1, 701)), { washout: 100 });
    const free = esn.generate(100, { outputAsInput: true }).data as Float64Array;
    let worst = 0;
    for (let t = 0; t < 100; t++) worst = Math.max(worst, Math.abs((free[t] as number) - (wave[701 + t] as number)));
    assert.ok(worst < 0.01, `error ${worst}`);
  });
});

describe('memory capacity', () => {
  test('a linear reservoir of N units has sum_k MC_k near N (Jaeger 2002)', () => {
    const n = 20;
    const res = new Reservoir({ units: n, inputSize: 1, activation: 'identity', spectralRadius: 0.95, connectivity: 0.5, biasScaling: 0, seed: 3 });
    const mc = memoryCapacity(res, { maxDelay: 80 });
    const all = mc.total + (mc.byDelay[0] as number);
    assert.ok(Math.abs(all / n - 1) < 0.02, `sum over k >= 0 is ${all}`);
    assert.ok(mc.total <= n);
    // A saturating tanh reservoir forgets faster than the linear bound.
    const tanh = new Reservoir({ units: n, inputSize: 1, spectralRadius: 0.95, connectivity: 0.5, inputScaling: 2, seed: 3 });
    assert.ok(memoryCapacity(tanh, { maxDelay: 40, trainLength: 3000, testLength: 3000 }).total < mc.total);
  });
});

describe('deep ESN and classifier', () => {
  test('deep ESN: concatenated states of all layers feed the readout; layer sizes are checked', () => {
    const u = sine(500, 0.2);
    const y = Float64Array.from(u, (_, t) => (t >= 5 ? (u[t - 5] as number) ** 2 : 0));
    const deep = new DeepEsn({ layers: [{ units: 30, inputSize: 1, leak: 0.6, seed: 1 }, { units: 30, inputSize: 30, leak: 0.3, seed: 2 }], outputSize: 1, ridge: 1e-8 });
    assert.equal(deep.featureSize, 60);
    const fit = deep.fit(column(u.subarray(0, 400)), column(y.subarray(0, 400)), { washout: 50 });
    assert.ok(fit.rmse < 0.01, `training RMSE ${fit.rmse}`);
    const p = deep.predict(column(u.subarray(400))).data as Float64Array;
    assert.equal(p.length, 100);
    assert.throws(() => new DeepEsn({ layers: [{ units: 30, inputSize: 1 }, { units: 10, inputSize: 20 }], outputSize: 1 }), /layer 1 has inputSize 20 but layer 0 has 30 units/);
  });

  test('classifier: two frequencies told apart from the mean state', () => {
    const rng = new Rng(12);
    const make = (count: number): { seqs: Tensor[]; labels: number[] } => {
      const seqs: Tensor[] = [];
      const labels: number[] = [];
      for (let k = 0; k < count; k++) {
        const label = k % 2;
        const omega = label === 0 ? 0.2 : 0.45;
        const len = 30 + rng.int(20);
        seqs.push(column(sine(len, omega, rng.uniformRange(0, 6.28)).map((v) => v + 0.1 * rng.normal())));
        labels.push(label);
      }
      return { seqs, labels };
    };
    const train = make(60);
    const test = make(40);
    for (const pooling of ['mean', 'last'] as const) {
      const clf = new EsnClassifier({ reservoir: { units: 50, inputSize: 1, leak: 0.5, seed: 3 }, classes: 2, pooling, skip: 5, ridge: 1e-3 });
      clf.fit(train.seqs, train.labels);
      const predicted = clf.predict(test.seqs);
      const accuracy = predicted.filter((p, k) => p === test.labels[k]).length / test.labels.length;
      assert.ok(accuracy >= 0.9, `${pooling} pooling accuracy ${accuracy}`);
    }
  });
});
