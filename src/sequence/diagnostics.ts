import { backward, noGrad } from '../autograd/index.js';
import type { Cell, CellState } from '../cells/cell.js';
import { reshape, slice, sum } from '../ops/index.js';
import { ArgumentError, Tensor, allocate } from '../tensor/index.js';
import { checkSequence } from './scan.js';

/** What {@link gradientNormsThroughTime} measured. */
export interface GradientNorms {
  /** ||dL/dh(t)|| for t = 0..T-1 (h is the state tensor the output is read from). */
  readonly norms: number[];
  /** norms[0] / norms[T-1]: below 1 the gradient vanishes on its way back, above 1 it explodes. */
  readonly ratio: number;
}

/**
 * The long-term dependency problem made measurable (section 10.7): runs the cell over xs
 * [B, T, I] keeping every step's output h(t), takes the loss L = f(h(T-1)) (by default
 * the sum of the last output) and back-propagates, recording the gradient norm
 * ||dL/dh(t)|| at every step. Since dL/dh(t) = dL/dh(T-1) prod_{k>t} dh(k)/dh(k-1), a
 * norm that falls geometrically with T - t is the vanishing gradient.
 *
 * Runs the composed (taped) path, whatever fast path the cell has.
 *
 * @example
 * ```ts
 * const { norms, ratio } = gradientNormsThroughTime(rnnCell, xs); // ratio ~1e-6 for a tanh RNN at T=100
 * ```
 */
export function gradientNormsThroughTime<S extends CellState>(
  cell: Cell<S>, xs: Tensor, loss: (lastOutput: Tensor) => Tensor = sumAll,
): GradientNorms {
  const [batch, steps] = checkSequence(cell, xs);
  const inputSize = xs.shape[2] as number;
  let state = cell.initialState(batch);
  const outputs: Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const x = reshape(slice(xs, [0, t, 0], [batch, 1, inputSize]), [batch, inputSize]);
    const r = cell.step(x, state);
    r.output.retainGrad();
    outputs.push(r.output);
    state = r.state;
  }
  const last = outputs[steps - 1] as Tensor;
  const l = loss(last);
  if (!l.requiresGrad) throw new ArgumentError('gradientNormsThroughTime', 'the cell has no trainable parameters and the input does not require gradients');
  backward(l);
  const norms = outputs.map((h) => {
    const g = h.grad?.data;
    let s = 0;
    if (g !== undefined) for (let i = 0; i < g.length; i++) s += (g[i] as number) ** 2;
    return Math.sqrt(s);
  });
  for (const p of cell.parameters()) p.grad = null;
  return { norms, ratio: (norms[0] as number) / (norms[steps - 1] as number) };
}

function sumAll(t: Tensor): Tensor {
  return sum(t);
}

/**
 * The Jacobian J = dh(t)/dh(t-1) of one step at a given state and input (batch 1), by
 * back-propagating each unit of h(t): an H x H matrix, row i = d h_i(t) / d h(t-1).
 * The state tensor differentiated is `stateKey` (default 'h').
 */
export function stepJacobian<S extends CellState>(cell: Cell<S>, x: Tensor, state: S, stateKey = 'h'): Float64Array {
  const h0 = state[stateKey];
  if (!(h0 instanceof Tensor) || h0.shape[0] !== 1) {
    throw new ArgumentError('stepJacobian', `state.${stateKey} must be a tensor of batch 1`);
  }
  const size = h0.size;
  const input = new Tensor(h0.data.slice(), h0.shape, true);
  const jac = new Float64Array(size * size);
  const params = cell.parameters();
  const saved = params.map((p) => p.grad);
  for (let i = 0; i < size; i++) {
    input.grad = null;
    const next = cell.step(x, { ...state, [stateKey]: input } as S).state[stateKey] as Tensor;
    const seed = allocate(next.dtype, next.size);
    seed[i] = 1;
    backward(next, new Tensor(seed, next.shape));
    const g = (input.grad as Tensor | null)?.data;
    for (let j = 0; j < size; j++) jac[i * size + j] = g === undefined ? 0 : (g[j] as number);
  }
  params.forEach((p, k) => (p.grad = saved[k] ?? null));
  return jac;
}

/**
 * Spectral radius rho(J) = max |eigenvalue| of a square matrix, by Gelfand's formula
 * rho = lim ||J^k||^(1/k), evaluated with repeated squaring and renormalisation
 * (k = 2^squarings). Works for non-symmetric matrices and complex eigenvalues, where
 * plain power iteration oscillates.
 *
 * @example
 * ```ts
 * spectralRadius(new Float64Array([0, 2, -2, 0]), 2); // 2 (eigenvalues +-2i)
 * ```
 */
export function spectralRadius(matrix: Float64Array | Float32Array, n: number, squarings = 12): number {
  if (matrix.length !== n * n) throw new ArgumentError('spectralRadius', `expected ${n}x${n} = ${n * n} values, got ${matrix.length}`);
  let a: Float64Array = Float64Array.from(matrix);
  // logNorm = log ||J^k||, tracked in log space because J^k over- or underflows.
  let logNorm = Math.log(frobenius(a));
  if (!Number.isFinite(logNorm)) return 0;
  let k = 1;
  let estimate = Math.exp(logNorm);
  for (let s = 0; s < squarings; s++) {
    const norm = frobenius(a);
    for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) / norm;
    a = square(a, n);
    const next = 2 * logNorm + Math.log(frobenius(a));
    if (!Number.isFinite(next)) return 0;
    // ||J^2k|| / ||J^k|| ~ rho^k: the ratio cancels the constant in ||J^k|| ~ C rho^k.
    estimate = Math.exp((next - logNorm) / k);
    logNorm = next;
    k *= 2;
  }
  return estimate;
}

/** The largest singular value ||J||_2 by power iteration on J^T J: the most one step can amplify a gradient. */
export function largestSingularValue(matrix: Float64Array | Float32Array, n: number, iterations = 100): number {
  let v = new Float64Array(n).fill(1 / Math.sqrt(n));
  let sigma = 0;
  for (let it = 0; it < iterations; it++) {
    const jv = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) jv[i] = (jv[i] as number) + (matrix[i * n + j] as number) * (v[j] as number);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[j] = (w[j] as number) + (matrix[i * n + j] as number) * (jv[i] as number);
    const norm = Math.sqrt(w.reduce((s, x) => s + x * x, 0));
    if (norm === 0) return 0;
    sigma = Math.sqrt(norm);
    v = w.map((x) => x / norm);
  }
  return sigma;
}

function frobenius(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) ** 2;
  return Math.sqrt(s);
}

function square(a: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < n; p++) {
      const aip = a[i * n + p] as number;
      if (aip === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] = (out[i * n + j] as number) + aip * (a[p * n + j] as number);
    }
  }
  return out;
}

/** What {@link jacobianSpectrum} measured along a trajectory. */
export interface JacobianSpectrum {
  /** Spectral radius of dh(t)/dh(t-1) at each step. */
  readonly spectralRadii: number[];
  /** Largest singular value of dh(t)/dh(t-1) at each step. */
  readonly singularValues: number[];
}

/**
 * The recurrent Jacobian's spectral radius and largest singular value at every step of
 * one sequence xs [1, T, I]: products of Jacobians with radius below 1 shrink gradients
 * exponentially in the number of steps (vanishing), above 1 they can explode.
 */
export function jacobianSpectrum<S extends CellState>(cell: Cell<S>, xs: Tensor, stateKey = 'h'): JacobianSpectrum {
  const [batch, steps] = checkSequence(cell, xs);
  if (batch !== 1) throw new ArgumentError('jacobianSpectrum', `needs a single sequence (batch 1), got batch ${batch}`);
  const inputSize = xs.shape[2] as number;
  let state = cell.initialState(1);
  const spectralRadii: number[] = [];
  const singularValues: number[] = [];
  for (let t = 0; t < steps; t++) {
    const x = reshape(slice(xs, [0, t, 0], [1, 1, inputSize]), [1, inputSize]).detach();
    const n = (state[stateKey] as Tensor).size;
    const jac = stepJacobian(cell, x, state, stateKey);
    spectralRadii.push(spectralRadius(jac, n));
    singularValues.push(largestSingularValue(jac, n));
    state = noGrad(() => cell.step(x, state).state);
  }
  return { spectralRadii, singularValues };
}
