import { ArgumentError, type Rng } from '../../tensor/index.js';

/** Options of {@link mackeyGlass}; every field but `length` has the literature's default. */
export interface MackeyGlassOptions {
  /** Samples to return. */
  readonly length: number;
  /** Delay tau (default 17: mildly chaotic; 30 is the harder MG30). */
  readonly tau?: number;
  /** a, the production rate (default 0.2). */
  readonly a?: number;
  /** b, the decay rate (default 0.1). */
  readonly b?: number;
  /** n, the Hill exponent (default 10). */
  readonly n?: number;
  /** x(0) (default 1.2, as reservoirpy). */
  readonly x0?: number;
  /** x(t) for -tau <= t < 0 (default: constant x0). */
  readonly history?: (t: number) => number;
  /** Time between two returned samples (default 1). */
  readonly sampling?: number;
  /** Integration step h (default 0.1); tau / h and sampling / h must be whole numbers. */
  readonly step?: number;
  /** Samples dropped from the start, to skip the transient from the initial history (default 0). */
  readonly discard?: number;
}

/**
 * The Mackey-Glass delay differential equation (Mackey & Glass 1977), the standard chaotic
 * benchmark of reservoir computing:
 *
 *     dx/dt = a x(t - tau) / (1 + x(t - tau)^n) - b x(t)
 *
 * integrated with the classical fourth-order Runge-Kutta scheme at a fine step h (default
 * 0.1, so tau = 170 steps) and sampled every `sampling` time units. The delayed term at the
 * stages' half steps, x(t - tau + h/2), falls between grid points; it is taken from the
 * cubic Hermite interpolant of the stored solution and its derivative,
 *
 *     x(t_j + h/2) ~ (x_j + x_{j+1}) / 2 + h (f_j - f_{j+1}) / 8,   f_j = dx/dt at t_j,
 *
 * which is fourth-order accurate, so the scheme stays fourth order overall: against h = 0.01
 * the first 300 samples differ by 2.8e-9 at h = 0.1 and 1.8e-10 at h = 0.05 (a ratio of 16). Coarser schemes (RK4 at h = 1 holding the delayed
 * value constant through the step, as reservoirpy does) give a different, if similar-looking,
 * series. See docs/decisions/0006-echo-state-networks.md.
 *
 * Returns the samples x(discard * sampling), ..., x((discard + length - 1) * sampling).
 *
 * @example
 * ```ts
 * import { mackeyGlass } from 'unfold';
 * const x = mackeyGlass({ length: 2000 }); // x[0] = 1.2; values in about [0.4, 1.35]
 * ```
 */
export function mackeyGlass(options: MackeyGlassOptions): Float64Array {
  const { length, tau = 17, a = 0.2, b = 0.1, n = 10, x0 = 1.2, sampling = 1, step: h = 0.1, discard = 0 } = options;
  const history = options.history ?? ((): number => x0);
  const where = 'mackeyGlass';
  if (!Number.isInteger(length) || length < 0) throw new ArgumentError(where, `length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(discard) || discard < 0) throw new ArgumentError(where, `discard must be a non-negative integer, got ${discard}`);
  if (!(h > 0) || !(sampling > 0) || !(tau > 0)) throw new ArgumentError(where, `tau, sampling and step must be positive, got ${tau}, ${sampling}, ${h}`);
  const delaySteps = Math.round(tau / h);
  const perSample = Math.round(sampling / h);
  if (Math.abs(delaySteps * h - tau) > 1e-9 * tau || Math.abs(perSample * h - sampling) > 1e-9 * sampling) {
    throw new ArgumentError(where, `tau (${tau}) and sampling (${sampling}) must be whole multiples of the step (${h})`);
  }
  const total = (discard + length - 1) * perSample + 1;
  if (length === 0) return new Float64Array(0);
  const x = new Float64Array(total);
  const f = new Float64Array(total); // dx/dt at each grid point
  const rhs = (xt: number, xd: number): number => (a * xd) / (1 + xd ** n) - b * xt;
  // x at grid index j (may be negative: the history), and at j + 1/2 by Hermite interpolation.
  const grid = (j: number): number => (j < 0 ? history(j * h) : (x[j] as number));
  const half = (j: number): number => {
    if (j + 1 <= 0) return history((j + 0.5) * h);
    return 0.5 * ((x[j] as number) + (x[j + 1] as number)) + (h * ((f[j] as number) - (f[j + 1] as number))) / 8;
  };
  x[0] = x0;
  for (let k = 0; k + 1 < total; k++) {
    const xk = x[k] as number;
    const k1 = rhs(xk, grid(k - delaySteps));
    // f[k] first: with tau = h the half-step interpolant below needs it.
    f[k] = k1;
    const dm = half(k - delaySteps);
    const d1 = grid(k - delaySteps + 1);
    const k2 = rhs(xk + 0.5 * h * k1, dm);
    const k3 = rhs(xk + 0.5 * h * k2, dm);
    const k4 = rhs(xk + h * k3, d1);
    x[k + 1] = xk + (h / 6) * (k1 + 2 * k2 + 2 * k3 + k4);
  }
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = x[(discard + i) * perSample] as number;
  return out;
}

/** A NARMA input series u and the system's response, aligned for one-step learning. */
export interface NarmaSeries {
  /** u(t), i.i.d. uniform on [0, 0.5]. */
  readonly input: Float64Array;
  /** target[t] = y(t + 1), which depends on u(t), ..., u(t - order + 1) and past y. */
  readonly target: Float64Array;
}

/**
 * The NARMA (non-linear auto-regressive moving average) system of order m (Atiya & Parlos
 * 2000), the standard memory-and-non-linearity benchmark; m = 10 is NARMA-10:
 *
 *     y(t+1) = 0.3 y(t) + 0.05 y(t) sum_{i=0}^{m-1} y(t-i) + 1.5 u(t-m+1) u(t) + 0.1
 *
 * with u(t) i.i.d. U[0, 0.5] and y = 0 before the start. The network sees u(t) and must
 * output y(t+1), so `target[t] = y(t+1)`. The first ~m steps are a transient: wash them
 * out. For rare input draws the recursion blows up; this throws an ArgumentError then
 * (never for m = 10 in practice) rather than returning non-finite values.
 *
 * @example
 * ```ts
 * import { Rng, narma } from 'unfold';
 * const { input, target } = narma(2000, new Rng(0)); // NARMA-10
 * ```
 */
export function narma(length: number, rng: Rng, order = 10): NarmaSeries {
  if (!Number.isInteger(length) || length < 0) throw new ArgumentError('narma', `length must be a non-negative integer, got ${length}`);
  if (!Number.isInteger(order) || order < 1) throw new ArgumentError('narma', `order must be a positive integer, got ${order}`);
  const u = new Float64Array(length);
  for (let t = 0; t < length; t++) u[t] = 0.5 * rng.uniform();
  // y[t] for t = 0..length; target[t] = y[t + 1].
  const y = new Float64Array(length + 1);
  for (let t = 0; t < length; t++) {
    let sum = 0;
    for (let i = 0; i < order && t - i >= 0; i++) sum += y[t - i] as number;
    const old = t - order + 1 >= 0 ? (u[t - order + 1] as number) : 0;
    const next = 0.3 * (y[t] as number) + 0.05 * (y[t] as number) * sum + 1.5 * old * (u[t] as number) + 0.1;
    if (!Number.isFinite(next) || Math.abs(next) > 1e3) throw new ArgumentError('narma', `the NARMA-${order} recursion diverged at step ${t}; use another seed`);
    y[t + 1] = next;
  }
  return { input: u, target: y.subarray(1) };
}

/** One component of {@link sines}: A sin(omega t + phi). */
export interface SineComponent {
  /** omega, in radians per step. */
  readonly frequency: number;
  /** A (default 1). */
  readonly amplitude?: number;
  /** phi, in radians (default 0). */
  readonly phase?: number;
}

/**
 * A sum of sines s(t) = sum_k A_k sin(omega_k t + phi_k), t = 0..length-1: one component is
 * the classic pattern-generation task, two incommensurate ones (omega = 0.2, 0.311) are the
 * multiple superimposed oscillator MSO2 of Jaeger & Haas' experiments, which plain ESNs
 * find hard. With `normalize`, the result is scaled into [-1, 1].
 *
 * @example
 * ```ts
 * import { sines } from 'unfold';
 * const mso2 = sines(1000, [{ frequency: 0.2 }, { frequency: 0.311 }], true);
 * ```
 */
export function sines(length: number, components: readonly SineComponent[], normalize = false): Float64Array {
  if (!Number.isInteger(length) || length < 0) throw new ArgumentError('sines', `length must be a non-negative integer, got ${length}`);
  if (components.length === 0) throw new ArgumentError('sines', 'give at least one component');
  const out = new Float64Array(length);
  for (const c of components) {
    const amp = c.amplitude ?? 1;
    const phase = c.phase ?? 0;
    if (!Number.isFinite(c.frequency) || !Number.isFinite(amp) || !Number.isFinite(phase)) throw new ArgumentError('sines', 'frequency, amplitude and phase must be finite');
    for (let t = 0; t < length; t++) out[t] = (out[t] as number) + amp * Math.sin(c.frequency * t + phase);
  }
  if (normalize && length > 0) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of out) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo;
    for (let t = 0; t < length; t++) out[t] = span === 0 ? 0 : (2 * ((out[t] as number) - lo)) / span - 1;
  }
  return out;
}
