import { ArgumentError, Rng, Tensor } from '../../tensor/index.js';
import { RidgeAccumulator, applyReadout } from './readout.js';
import type { Reservoir } from './reservoir.js';
import { csrMatVec } from './sparse.js';
import { sparseSpectralRadius, type SpectralRadiusEstimate, type SpectralRadiusOptions } from './spectral-radius.js';

/**
 * The effective spectral radius of a leaky reservoir (Jaeger, Lukosevicius, Popovici &
 * Siewert 2007): the spectral radius of the Jacobian of the update at the origin,
 *
 *     W~ = diag(1 - a) + diag(a) W    (tanh'(0) = 1),
 *
 * estimated by the Arnoldi method without forming W~. With a = 1 it is rho(W); with a
 * small leak it approaches 1 from below, which is why heavily leaky reservoirs remember
 * long. Below 1 the reservoir has the echo state property for small inputs.
 *
 * @example
 * ```ts
 * import { Reservoir, effectiveSpectralRadius } from 'unfold';
 * const res = new Reservoir({ units: 100, inputSize: 1, spectralRadius: 1.25, leak: 0.3 });
 * effectiveSpectralRadius(res).radius; // ~ 1.07 (vs 1.25 for W itself)
 * ```
 */
export function effectiveSpectralRadius(reservoir: Reservoir, options: SpectralRadiusOptions = {}): SpectralRadiusEstimate {
  const n = reservoir.units;
  const leak = reservoir.leak;
  const w = reservoir.w;
  return sparseSpectralRadius((x, y) => {
    csrMatVec(w, x, y);
    for (let i = 0; i < n; i++) y[i] = (1 - (leak[i] as number)) * (x[i] as number) + (leak[i] as number) * (y[i] as number);
  }, n, options);
}

/** Options of {@link memoryCapacity}. */
export interface MemoryCapacityOptions {
  /** Largest delay K (default 2N). */
  readonly maxDelay?: number;
  /** Steps the readouts are fitted on (default 10000). */
  readonly trainLength?: number;
  /**
   * Steps they are tested on (default 10000). The squared correlation of a short test run
   * is biased upwards, ~1/testLength per delay, which adds up over the K delays.
   */
  readonly testLength?: number;
  /** Steps run first and discarded (default max(K, 200)). */
  readonly washout?: number;
  /** Half-width of the i.i.d. uniform input U(-amp, amp) (default 0.5, Jaeger's). */
  readonly amplitude?: number;
  /** Ridge of the readouts (default 1e-10). */
  readonly ridge?: number;
  /** Seed of the input sequence (default 0). */
  readonly seed?: number;
}

/** What {@link memoryCapacity} measured. */
export interface MemoryCapacity {
  /** MC = sum_{k=1}^{K} MC_k (Jaeger's definition). */
  readonly total: number;
  /** MC_k for k = 0..K (index = delay; k = 0 is the current input, not counted in `total`). */
  readonly byDelay: Float64Array;
}

/**
 * Jaeger's short-term memory capacity (Jaeger 2002, "Short term memory in echo state
 * networks"): drive the reservoir with i.i.d. input u(t), train one linear readout per delay
 * k to reproduce u(t - k) from x(t), and sum the squared correlations on test data,
 *
 *     MC_k = cov^2(u(t-k), y_k(t)) / (var u * var y_k),     MC = sum_{k>=1} MC_k.
 *
 * For a linear reservoir of N units (activation 'identity'), x(t) = sum_j W^j w_in u(t-j), so
 * with C the state covariance, MC_k = w_in^T W^kT C^{-1} W^k w_in and sum_{k>=0} MC_k =
 * trace(I_N) = N exactly, whatever W (controllable): the capacity is N, less what delay 0
 * takes (`byDelay[0]`, which x(t) holds because u(t) enters at step t). A tanh reservoir
 * stays below. All K readouts are one ridge regression with K + 1 outputs.
 *
 * The reservoir must take one input and no feedback.
 *
 * @example
 * ```ts
 * import { Reservoir, memoryCapacity } from 'unfold';
 * const linear = new Reservoir({ units: 20, inputSize: 1, activation: 'identity', spectralRadius: 0.95, inputConnectivity: 1 });
 * const mc = memoryCapacity(linear); // mc.total + mc.byDelay[0] ~ 20
 * ```
 */
export function memoryCapacity(reservoir: Reservoir, options: MemoryCapacityOptions = {}): MemoryCapacity {
  if (reservoir.config.inputSize !== 1 || reservoir.config.feedbackSize !== 0) {
    throw new ArgumentError('memoryCapacity', 'the reservoir must have inputSize 1 and no feedback');
  }
  const n = reservoir.units;
  const maxDelay = options.maxDelay ?? 2 * n;
  const trainLength = options.trainLength ?? 10000;
  const testLength = options.testLength ?? 10000;
  const washout = options.washout ?? Math.max(maxDelay, 200);
  const amplitude = options.amplitude ?? 0.5;
  const ridge = options.ridge ?? 1e-10;
  for (const [name, v] of Object.entries({ maxDelay, trainLength, testLength, washout })) {
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError('memoryCapacity', `${name} must be a non-negative integer, got ${v}`);
  }
  if (washout < maxDelay) throw new ArgumentError('memoryCapacity', `washout (${washout}) must be at least maxDelay (${maxDelay}) so every target u(t - k) exists`);
  if (trainLength < 1 || testLength < 2) throw new ArgumentError('memoryCapacity', 'trainLength must be >= 1 and testLength >= 2');
  const total = washout + trainLength + testLength;
  const rng = new Rng(options.seed ?? 0);
  const u = new Float64Array(total);
  for (let t = 0; t < total; t++) u[t] = amplitude * (2 * rng.uniform() - 1);
  const states = reservoir.run(new Tensor(u, [total, 1])).data as Float64Array;
  const k1 = maxDelay + 1;
  // targets[t, k] = u(t - k) for the steps after the washout.
  const targets = (from: number, count: number): Float64Array => {
    const y = new Float64Array(count * k1);
    for (let r = 0; r < count; r++) for (let k = 0; k < k1; k++) y[r * k1 + k] = u[from + r - k] as number;
    return y;
  };
  const acc = new RidgeAccumulator(n, k1);
  acc.add(states.subarray(washout * n, (washout + trainLength) * n), targets(washout, trainLength), trainLength);
  const readout = acc.solve(ridge);
  const testFrom = washout + trainLength;
  const yTest = targets(testFrom, testLength);
  const predicted = new Float64Array(testLength * k1);
  for (let r = 0; r < testLength; r++) {
    applyReadout(readout, states, predicted.subarray(r * k1, (r + 1) * k1), (testFrom + r) * n);
  }
  const byDelay = new Float64Array(k1);
  for (let k = 0; k < k1; k++) byDelay[k] = squaredCorrelation(yTest, predicted, k, k1, testLength);
  let sum = 0;
  for (let k = 1; k < k1; k++) sum += byDelay[k] as number;
  return { total: sum, byDelay };
}

/** The squared Pearson correlation of column k of a and b ([rows, stride] each). */
function squaredCorrelation(a: Float64Array, b: Float64Array, k: number, stride: number, rows: number): number {
  let ma = 0;
  let mb = 0;
  for (let r = 0; r < rows; r++) {
    ma += a[r * stride + k] as number;
    mb += b[r * stride + k] as number;
  }
  ma /= rows;
  mb /= rows;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let r = 0; r < rows; r++) {
    const da = (a[r * stride + k] as number) - ma;
    const db = (b[r * stride + k] as number) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return saa === 0 || sbb === 0 ? 0 : (sab * sab) / (saa * sbb);
}
