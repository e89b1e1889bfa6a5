import { backward, noGrad } from '../autograd/index.js';
import type { Cell, CellState } from '../cells/cell.js';
import { mapState, stateTensors } from '../cells/state.js';
import { gemm } from '../kernels/index.js';
import { add, mul, reshape, slice, sum } from '../ops/index.js';
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
 * The Jacobian J = ds(t)/ds(t-1) of one step at a given state and input (batch 1): an
 * N x N matrix, row i = d s_i(t) / d s(t-1), from one step and one backward pass over a
 * batch of N copies of the state.
 *
 * s is the state tensor `stateKey` (default 'h'; the cell's other state, an LSTM's c, is
 * then held fixed), or with `stateKey` null the WHOLE state: every tensor of it
 * concatenated in key order (an LSTM's [h; c], a skip cell's [h; past...]), the Jacobian
 * that carries gradients from one step to the one before.
 *
 * For an Elman cell h(t) = tanh(W_ih x + b_ih + W_hh h(t-1) + b_hh) it is
 * diag(1 - h(t)^2) W_hh.
 *
 * @example
 * ```ts
 * const cell = new LSTMCell({ inputSize: 2, hiddenSize: 3 }, new Rng(0));
 * const x = rand([1, 2], new Rng(1));
 * const jac = stepJacobian(cell, x, cell.initialState(1), null); // 6 x 6: d[h; c](t) / d[h; c](t-1)
 * ```
 */
export function stepJacobian<S extends CellState>(cell: Cell<S>, x: Tensor, state: S, stateKey: string | null = 'h'): Float64Array {
  const checkBatch1 = (t: Tensor, what: string): void => {
    if (t.shape[0] !== 1) throw new ArgumentError('stepJacobian', `${what} must be a tensor of batch 1, got shape [${t.shape.join(', ')}]`);
  };
  checkBatch1(x, 'x');
  if (stateKey !== null && !(state[stateKey] instanceof Tensor)) throw new ArgumentError('stepJacobian', `state.${stateKey} must be a tensor of batch 1`);
  const differentiated = stateKey === null ? stateTensors(state) : [state[stateKey] as Tensor];
  differentiated.forEach((t) => checkBatch1(t, stateKey === null ? 'every state tensor' : `state.${stateKey}`));
  const size = differentiated.reduce((n, t) => n + t.size, 0);
  // One step on a batch of `size` copies of (x, state): batch row r is seeded with unit r of
  // s(t), so ONE backward pass gives every row of J (rows of a batch never mix), where
  // back-propagating each unit separately would cost `size` passes.
  const repeat = (t: Tensor, requiresGrad: boolean): Tensor => {
    const data = allocate(t.dtype, size * t.size);
    for (let r = 0; r < size; r++) data.set(t.data, r * t.size);
    return new Tensor(data, [size, ...t.shape.slice(1)], requiresGrad);
  };
  // The differentiated copies, in the order of their units (stateTensors order).
  const leaves: Tensor[] = [];
  const leaf = (t: Tensor): Tensor => {
    const copy = repeat(t, true);
    leaves.push(copy);
    return copy;
  };
  const input = stateKey === null
    ? mapState(state, leaf)
    : ({ ...mapState(state, (t) => repeat(t, false)), [stateKey]: leaf(state[stateKey] as Tensor) } as S);
  const params = cell.parameters();
  const saved = params.map((p) => p.grad);
  const next = cell.step(repeat(x, false), input).state;
  const outputs = stateKey === null ? stateTensors(next) : [next[stateKey] as Tensor];
  const jac = new Float64Array(size * size);
  let loss: Tensor | null = null;
  let row = 0;
  for (const out of outputs) {
    const unit = out.size / size;
    if (!Number.isInteger(unit)) throw new ArgumentError('stepJacobian', 'the step changed the batch size of the state');
    const seed = allocate(out.dtype, out.size);
    for (let i = 0; i < unit; i++, row++) seed[row * unit + i] = 1;
    // A state tensor that depends on nothing differentiable (a constant) has zero rows.
    if (!out.requiresGrad) continue;
    const term = sum(mul(out, new Tensor(seed, out.shape)));
    loss = loss === null ? term : add(loss, term);
  }
  if (row !== size) throw new ArgumentError('stepJacobian', `the step changed the state's size from ${size} to ${row} units`);
  if (loss !== null) backward(loss);
  let col = 0;
  for (const copy of leaves) {
    const g = (copy.grad as Tensor | null)?.data;
    const n = copy.size / size;
    if (g !== undefined) for (let r = 0; r < size; r++) for (let j = 0; j < n; j++) jac[r * size + col + j] = g[r * n + j] as number;
    col += n;
  }
  params.forEach((p, k) => (p.grad = saved[k] ?? null));
  return jac;
}

/**
 * Spectral radius rho(J) = max |eigenvalue| of a square matrix, by Gelfand's formula
 * rho = lim ||J^k||^(1/k), evaluated with repeated squaring and renormalisation
 * (k = 2^squarings). Works for non-symmetric matrices and complex eigenvalues, where
 * plain power iteration oscillates. With a real dominant eigenvalue the estimate is exact
 * to rounding; with a complex pair of largest modulus ||J^2k|| / ||J^k|| still oscillates
 * and the error is of order 1/k relative, times the log of the eigenvectors' condition
 * number (1e-6 to 1e-4 at the default 12 squarings): ample for a diagnostic.
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
  // The blocked kernel: about 3 times the naive triple loop at n = 128 (an LSTM's [h; c] at H = 64).
  gemm(false, false, n, n, n, 1, a, 0, n, a, 0, n, 0, out, 0, n);
  return out;
}

/** What {@link jacobianSpectrum} measured along a trajectory. */
export interface JacobianSpectrum {
  /** Spectral radius of ds(t)/ds(t-1) at each step t = 0..T-1. */
  readonly spectralRadii: number[];
  /** Largest singular value of ds(t)/ds(t-1) at each step. */
  readonly singularValues: number[];
}

/**
 * The recurrent Jacobian's spectral radius and largest singular value at every step of
 * one sequence xs [1, T, I], from the cell's initial state: entry t describes
 * J(t) = ds(t)/ds(t-1), evaluated at s(t-1) and x(t) (see {@link stepJacobian} for s and
 * `stateKey`). Since dL/ds(t) = dL/ds(T-1) J(T-1) ... J(t+1), Jacobians with radius below
 * 1 shrink gradients exponentially in the number of steps (vanishing), above 1 they can
 * explode; the singular value bounds what one step can amplify.
 *
 * @example
 * ```ts
 * const { spectralRadii } = jacobianSpectrum(cell, rand([1, 100, 2], new Rng(0)), null);
 * Math.max(...spectralRadii); // below 1 for a tanh RNN at its default initialisation
 * ```
 */
export function jacobianSpectrum<S extends CellState>(cell: Cell<S>, xs: Tensor, stateKey: string | null = 'h'): JacobianSpectrum {
  const [batch, steps] = checkSequence(cell, xs);
  if (batch !== 1) throw new ArgumentError('jacobianSpectrum', `needs a single sequence (batch 1), got batch ${batch}`);
  const inputSize = xs.shape[2] as number;
  let state = cell.initialState(1);
  const spectralRadii: number[] = [];
  const singularValues: number[] = [];
  for (let t = 0; t < steps; t++) {
    const x = reshape(slice(xs, [0, t, 0], [1, 1, inputSize]), [1, inputSize]).detach();
    const jac = stepJacobian(cell, x, state, stateKey);
    const n = Math.round(Math.sqrt(jac.length));
    spectralRadii.push(spectralRadius(jac, n));
    singularValues.push(largestSingularValue(jac, n));
    state = noGrad(() => cell.step(x, state).state);
  }
  return { spectralRadii, singularValues };
}
