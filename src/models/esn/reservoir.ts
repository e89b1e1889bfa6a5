import { gemm } from '../../kernels/index.js';
import { ArgumentError, Rng, ShapeError, Tensor } from '../../tensor/index.js';
import { checkCsr, csrMatVec, csrScale, randomSparse, type CsrMatrix } from './sparse.js';
import { sparseSpectralRadius, type SpectralRadiusEstimate } from './spectral-radius.js';

/**
 * The unit non-linearities a reservoir can use, by name (the name is what a config and a
 * model file store). `identity` makes a linear reservoir, whose memory capacity has a
 * closed-form bound (see `memoryCapacity`).
 *
 * @example
 * ```ts
 * import { ACTIVATIONS } from 'unfold';
 * ACTIVATIONS.tanh(0.5); // 0.4621...
 * ```
 */
export const ACTIVATIONS = {
  tanh: Math.tanh,
  identity: (x: number): number => x,
} as const satisfies Record<string, (x: number) => number>;

/** A key of {@link ACTIVATIONS}. */
export type ActivationName = keyof typeof ACTIVATIONS;

/**
 * Distributions of the non-zero weights, by name. `normal` is N(0, 1) (reservoirpy's
 * recurrent default), `uniform` is U(-1, 1) (Jaeger's), `bernoulli` is +-1 with equal
 * probability (reservoirpy's input, bias and feedback default). Scalings multiply them.
 *
 * @example
 * ```ts
 * import { Rng, WEIGHT_DISTRIBUTIONS } from 'unfold';
 * WEIGHT_DISTRIBUTIONS.bernoulli(new Rng(0)); // -1 or 1
 * ```
 */
export const WEIGHT_DISTRIBUTIONS = {
  normal: (rng: Rng): number => rng.normal(),
  uniform: (rng: Rng): number => rng.uniformRange(-1, 1),
  bernoulli: (rng: Rng): number => (rng.uniform() < 0.5 ? -1 : 1),
} as const satisfies Record<string, (rng: Rng) => number>;

/** A key of {@link WEIGHT_DISTRIBUTIONS}. */
export type WeightDistribution = keyof typeof WEIGHT_DISTRIBUTIONS;

/**
 * Everything that defines a reservoir; with the seed, the same config builds the same
 * reservoir bit for bit on every machine. JSON-serialisable. Omitted fields take
 * {@link RESERVOIR_DEFAULTS} (reservoirpy's defaults, so its recipes carry over).
 */
export interface ReservoirConfig {
  /** N, the number of units. */
  readonly units: number;
  /** I, the input dimension (0 for an autonomous reservoir driven by feedback alone). */
  readonly inputSize: number;
  /** O_fb, the dimension of the output fed back into the reservoir (0: no feedback). */
  readonly feedbackSize?: number;
  /** rho(W) after scaling: W is rescaled so its largest |eigenvalue| is this. */
  readonly spectralRadius?: number;
  /** Density of W: each of the N^2 entries is non-zero with this probability. */
  readonly connectivity?: number;
  readonly recurrentWeights?: WeightDistribution;
  /** Multiplies W_in; one number, or one per input feature (length I). */
  readonly inputScaling?: number | readonly number[];
  /** Density of W_in [N, I]. */
  readonly inputConnectivity?: number;
  readonly inputWeights?: WeightDistribution;
  /** Multiplies the bias b. 0 gives no bias. */
  readonly biasScaling?: number;
  /** Density of b [N]. */
  readonly biasConnectivity?: number;
  readonly biasWeights?: WeightDistribution;
  /** Multiplies W_fb [N, O_fb]. */
  readonly feedbackScaling?: number;
  /** Density of W_fb. */
  readonly feedbackConnectivity?: number;
  readonly feedbackWeights?: WeightDistribution;
  /** Leak rate a in (0, 1]: one number, or one per unit (length N; several time scales). */
  readonly leak?: number | readonly number[];
  readonly activation?: ActivationName;
  /** Seed of every random draw of the reservoir. */
  readonly seed?: number;
}

/**
 * The defaults of {@link ReservoirConfig}, in one place. They are reservoirpy's (so its
 * recipes carry over) except two: W_in is dense U(-1, 1) (Lukosevicius 2012, "A practical
 * guide to applying echo state networks"), where reservoirpy connects each input to 10 %
 * of the units with weights +-1 (with a dense W_in and the input also fed to the readout,
 * the one-step Mackey-Glass RMSE falls from 2.6e-3 to 1.05e-3 on average:
 * docs/decisions/0006-echo-state-networks.md); and the spectral radius, which reservoirpy
 * leaves unscaled unless asked, is 0.9. Set `inputConnectivity: 0.1, inputWeights:
 * 'bernoulli'` for reservoirpy's reservoir.
 *
 * @example
 * ```ts
 * import { RESERVOIR_DEFAULTS } from 'unfold';
 * RESERVOIR_DEFAULTS.connectivity; // 0.1
 * ```
 */
export const RESERVOIR_DEFAULTS = {
  feedbackSize: 0,
  spectralRadius: 0.9,
  connectivity: 0.1,
  recurrentWeights: 'normal',
  inputScaling: 1,
  inputConnectivity: 1,
  inputWeights: 'uniform',
  biasScaling: 1,
  biasConnectivity: 0.1,
  biasWeights: 'bernoulli',
  feedbackScaling: 1,
  feedbackConnectivity: 0.1,
  feedbackWeights: 'bernoulli',
  leak: 1,
  activation: 'tanh',
  seed: 0,
} as const satisfies Required<Omit<ReservoirConfig, 'units' | 'inputSize'>>;

/** A {@link ReservoirConfig} with every default filled in. */
export type ResolvedReservoirConfig = Required<ReservoirConfig>;

/** The weights of a reservoir, for building one from stored arrays (a model file). */
export interface ReservoirWeights {
  /** W [N, N], sparse. */
  readonly w: CsrMatrix;
  /** W_in [N, I] row-major. */
  readonly wIn: Float64Array;
  /** b [N]. */
  readonly bias: Float64Array;
  /** W_fb [N, O_fb] row-major. */
  readonly wFb: Float64Array;
}

/** Options of {@link Reservoir.run}. */
export interface ReservoirRunOptions {
  /** x(-1), the state before the first step [N] (default zeros); not modified. */
  readonly state?: Float64Array;
  /**
   * [T, O_fb]: the value fed back at each step, already aligned: row t is y(t-1) (the
   * previous target when teacher forcing). Required iff the reservoir has feedback.
   */
  readonly feedback?: Tensor;
  /**
   * State noise: after each update every unit gets amplitude * U(-1, 1) added (Jaeger's
   * nu). Injected while teacher forcing, it teaches the readout to pull a perturbed state
   * back, which stabilises closed-loop generation; a regulariser like ridge, but in the
   * dynamics.
   */
  readonly noise?: { readonly amplitude: number; readonly rng: Rng };
}

/**
 * A reservoir: N leaky-integrator units with fixed random sparse recurrent weights W
 * (compressed sparse rows), input weights W_in, bias b and optional output feedback W_fb
 * (Jaeger 2001; leaky units as in Jaeger, Lukosevicius, Popovici & Siewert 2007):
 *
 *     x(t) = (1 - a) .* x(t-1) + a .* f( W_in u(t) + W x(t-1) + W_fb y(t-1) + b )
 *
 * with a the leak rate (a scalar or one per unit), f the activation. W is drawn with density
 * `connectivity` and rescaled to the requested spectral radius rho(W), estimated by the
 * Arnoldi method ({@link sparseSpectralRadius}); `scaling` records that estimate so a run
 * can report it. Nothing here is trained: a readout (ridge, RLS) learns from the states.
 *
 * Shapes: u(t) [I], x(t) [N], y(t) [O_fb]; W [N, N], W_in [N, I], b [N], W_fb [N, O_fb].
 *
 * @example
 * ```ts
 * import { Reservoir, tensor } from 'unfold';
 * const res = new Reservoir({ units: 100, inputSize: 1, spectralRadius: 1.25, leak: 0.3, seed: 42 });
 * const states = res.run(tensor([[0.1], [0.2], [0.3]], { dtype: 'float64' })); // [3, 100]
 * res.scaling.radius; // rho(W) before scaling, as estimated
 * ```
 */
export class Reservoir {
  readonly config: ResolvedReservoirConfig;
  /** W [N, N]: sparse recurrent weights, scaled to the target spectral radius. */
  readonly w: CsrMatrix;
  /** W_in [N, I]: input weights (input scaling applied), row-major. */
  readonly wIn: Float64Array;
  /** b [N]: bias (bias scaling applied). */
  readonly bias: Float64Array;
  /** W_fb [N, O_fb]: feedback weights (feedback scaling applied), row-major. */
  readonly wFb: Float64Array;
  /** a [N]: the leak rate of each unit. */
  readonly leak: Float64Array;
  /** The Arnoldi estimate of rho(W) before scaling (null when built from stored weights). */
  readonly scaling: SpectralRadiusEstimate | null;

  constructor(config: ReservoirConfig, weights?: ReservoirWeights) {
    const c = resolveReservoirConfig(config);
    this.config = c;
    this.leak = new Float64Array(c.units);
    if (typeof c.leak === 'number') this.leak.fill(c.leak);
    else this.leak.set(c.leak);
    if (weights !== undefined) {
      checkWeights(c, weights);
      this.w = weights.w;
      this.wIn = weights.wIn;
      this.bias = weights.bias;
      this.wFb = weights.wFb;
      this.scaling = null;
      return;
    }
    // One independent stream per part, so that e.g. adding feedback leaves W unchanged.
    const rng = new Rng(c.seed);
    const wRng = rng.fork();
    const inRng = rng.fork();
    const biasRng = rng.fork();
    const fbRng = rng.fork();
    const raw = randomSparse(c.units, c.units, c.connectivity, wRng, WEIGHT_DISTRIBUTIONS[c.recurrentWeights]);
    const estimate = sparseSpectralRadius(raw, undefined, { seed: c.seed });
    if (!(estimate.radius > 0)) {
      throw new ArgumentError('Reservoir', `the random W (${c.units} units, connectivity ${c.connectivity}) has spectral radius 0 and cannot be scaled; raise connectivity or units`);
    }
    this.scaling = estimate;
    this.w = csrScale(raw, c.spectralRadius / estimate.radius);
    const scales = typeof c.inputScaling === 'number' ? new Array<number>(c.inputSize).fill(c.inputScaling) : c.inputScaling;
    this.wIn = denseSparse(c.units, c.inputSize, c.inputConnectivity, inRng, WEIGHT_DISTRIBUTIONS[c.inputWeights], scales);
    this.bias = denseSparse(c.units, 1, c.biasConnectivity, biasRng, WEIGHT_DISTRIBUTIONS[c.biasWeights], [c.biasScaling]);
    const fbScales = new Array<number>(c.feedbackSize).fill(c.feedbackScaling);
    this.wFb = denseSparse(c.units, c.feedbackSize, c.feedbackConnectivity, fbRng, WEIGHT_DISTRIBUTIONS[c.feedbackWeights], fbScales);
  }

  /** N, the number of units. */
  get units(): number {
    return this.config.units;
  }

  /** x = 0 [N], the usual initial state. */
  initialState(): Float64Array {
    return new Float64Array(this.config.units);
  }

  /**
   * One update x <- (1 - a) x + a f(W_in u + W x + W_fb y + b), in place on `state` [N].
   * `input` [I] and `feedback` [O_fb] are plain arrays; `scratch` [N] avoids an allocation
   * in a loop. For sequences prefer {@link Reservoir.run}, which projects all inputs at once.
   *
   * @example
   * ```ts
   * const x = res.initialState();
   * res.step(x, new Float64Array([0.5]));
   * ```
   */
  step(state: Float64Array, input: ArrayLike<number>, feedback?: ArrayLike<number>, scratch = new Float64Array(this.config.units)): void {
    const { units: n, inputSize: ni, feedbackSize: nf } = this.config;
    if (state.length !== n) throw new ShapeError('Reservoir.step', 'state must have one entry per unit', [[state.length], [n]]);
    if (input.length !== ni) throw new ShapeError('Reservoir.step', 'input size differs from the config', [[input.length], [ni]]);
    if (nf > 0 && (feedback === undefined || feedback.length !== nf)) {
      throw new ArgumentError('Reservoir.step', `this reservoir takes feedback of size ${nf}`);
    }
    for (let i = 0; i < n; i++) {
      let s = this.bias[i] as number;
      for (let j = 0; j < ni; j++) s += (this.wIn[i * ni + j] as number) * (input[j] as number);
      scratch[i] = s;
    }
    this.update(state, scratch, feedback);
  }

  /**
   * Runs the reservoir over inputs [T, I] and returns every state, [T, N] float64 (row t is
   * x(t)). All input projections W_in u(t) + b are one gemm before the time loop; each step
   * then costs one sparse mat-vec (nnz(W) multiply-adds), the feedback term and N
   * activations, with no allocation.
   *
   * @example
   * ```ts
   * const states = res.run(inputs);                         // from x = 0
   * const more = res.run(next, { state: lastRow(states) }); // carry on
   * ```
   */
  run(inputs: Tensor, options: ReservoirRunOptions = {}): Tensor {
    const { units: n, inputSize: ni, feedbackSize: nf } = this.config;
    const steps = checkSeries('Reservoir.run', inputs, ni, 'inputs');
    const fb = options.feedback;
    if (nf > 0) {
      if (fb === undefined) throw new ArgumentError('Reservoir.run', `this reservoir has output feedback (size ${nf}): pass options.feedback [T, ${nf}]`);
      if (checkSeries('Reservoir.run', fb, nf, 'feedback') !== steps) throw new ShapeError('Reservoir.run', 'feedback must have one row per input step', [fb.shape, inputs.shape]);
    }
    const u = asFloat64(inputs.data);
    const fbData = fb === undefined ? null : asFloat64(fb.data);
    const states = new Float64Array(steps * n);
    // states[t] first holds W_in u(t) + b (one gemm for all t), then x(t) in place.
    for (let t = 0; t < steps; t++) states.set(this.bias, t * n);
    if (ni > 0 && steps > 0) gemm(false, true, steps, n, ni, 1, u, 0, ni, this.wIn, 0, ni, 1, states, 0, n);
    const x = options.state === undefined ? new Float64Array(n) : Float64Array.from(options.state);
    if (x.length !== n) throw new ShapeError('Reservoir.run', 'state must have one entry per unit', [[x.length], [n]]);
    const noise = options.noise;
    if (noise !== undefined && !(Number.isFinite(noise.amplitude) && noise.amplitude >= 0)) {
      throw new ArgumentError('Reservoir.run', `noise amplitude must be a finite number >= 0, got ${noise.amplitude}`);
    }
    for (let t = 0; t < steps; t++) {
      const drive = states.subarray(t * n, (t + 1) * n);
      this.update(x, drive, fbData === null ? undefined : fbData.subarray(t * nf, (t + 1) * nf));
      if (noise !== undefined && noise.amplitude > 0) {
        for (let i = 0; i < n; i++) x[i] = (x[i] as number) + noise.amplitude * (2 * noise.rng.uniform() - 1);
      }
      states.set(x, t * n);
    }
    return new Tensor(states, [steps, n]);
  }

  /**
   * x <- (1 - a) x + a f(drive + W x + W_fb y), where drive = W_in u + b; `drive` is
   * overwritten (it becomes the pre-activation).
   */
  private update(x: Float64Array, drive: Float64Array, feedback: ArrayLike<number> | undefined): void {
    const { units: n, feedbackSize: nf } = this.config;
    csrMatVec(this.w, x, drive, true);
    if (nf > 0 && feedback !== undefined) {
      for (let i = 0; i < n; i++) {
        let s = drive[i] as number;
        for (let j = 0; j < nf; j++) s += (this.wFb[i * nf + j] as number) * (feedback[j] as number);
        drive[i] = s;
      }
    }
    const f = ACTIVATIONS[this.config.activation];
    const leak = this.leak;
    for (let i = 0; i < n; i++) {
      const a = leak[i] as number;
      x[i] = (1 - a) * (x[i] as number) + a * f(drive[i] as number);
    }
  }
}

/**
 * Fills in defaults and checks every field, throwing an ArgumentError that names the field,
 * its value and the allowed range: units a positive integer, leak in (0, 1], densities in
 * (0, 1], scalings and the spectral radius finite and >= 0, known activation and
 * distributions, per-feature arrays of the right length.
 *
 * @example
 * ```ts
 * import { resolveReservoirConfig } from 'unfold';
 * resolveReservoirConfig({ units: 100, inputSize: 1 }).leak; // 1
 * resolveReservoirConfig({ units: -5, inputSize: 1 });        // throws ArgumentError: units must be ...
 * ```
 */
export function resolveReservoirConfig(config: ReservoirConfig): ResolvedReservoirConfig {
  const c = { ...RESERVOIR_DEFAULTS, ...stripUndefined(config) } as ResolvedReservoirConfig;
  const where = 'Reservoir';
  const positiveInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError(where, `${name} must be a positive integer, got ${v}`);
  };
  const nonNegInt = (name: string, v: number): void => {
    if (!Number.isInteger(v) || v < 0) throw new ArgumentError(where, `${name} must be a non-negative integer, got ${v}`);
  };
  const density = (name: string, v: number): void => {
    if (!(v > 0 && v <= 1)) throw new ArgumentError(where, `${name} must be in (0, 1], got ${v}`);
  };
  const finiteNonNeg = (name: string, v: number): void => {
    if (!(Number.isFinite(v) && v >= 0)) throw new ArgumentError(where, `${name} must be a finite number >= 0, got ${v}`);
  };
  const leakOk = (name: string, v: number): void => {
    if (!(v > 0 && v <= 1)) throw new ArgumentError(where, `${name} must be in (0, 1] (1: no leaking), got ${v}`);
  };
  positiveInt('units', c.units);
  nonNegInt('inputSize', c.inputSize);
  nonNegInt('feedbackSize', c.feedbackSize);
  finiteNonNeg('spectralRadius', c.spectralRadius);
  density('connectivity', c.connectivity);
  density('inputConnectivity', c.inputConnectivity);
  density('biasConnectivity', c.biasConnectivity);
  density('feedbackConnectivity', c.feedbackConnectivity);
  finiteNonNeg('biasScaling', c.biasScaling);
  finiteNonNeg('feedbackScaling', c.feedbackScaling);
  if (typeof c.inputScaling === 'number') finiteNonNeg('inputScaling', c.inputScaling);
  else {
    if (c.inputScaling.length !== c.inputSize) throw new ArgumentError(where, `inputScaling has ${c.inputScaling.length} entries but inputSize is ${c.inputSize}`);
    c.inputScaling.forEach((v, k) => finiteNonNeg(`inputScaling[${k}]`, v));
  }
  if (typeof c.leak === 'number') leakOk('leak', c.leak);
  else {
    if (c.leak.length !== c.units) throw new ArgumentError(where, `leak has ${c.leak.length} entries but there are ${c.units} units`);
    c.leak.forEach((v, k) => leakOk(`leak[${k}]`, v));
  }
  if (!Object.hasOwn(ACTIVATIONS, c.activation)) throw new ArgumentError(where, `unknown activation '${String(c.activation)}' (choose ${Object.keys(ACTIVATIONS).join(', ')})`);
  for (const key of ['recurrentWeights', 'inputWeights', 'biasWeights', 'feedbackWeights'] as const) {
    if (!Object.hasOwn(WEIGHT_DISTRIBUTIONS, c[key])) throw new ArgumentError(where, `unknown ${key} distribution '${String(c[key])}' (choose ${Object.keys(WEIGHT_DISTRIBUTIONS).join(', ')})`);
  }
  if (!Number.isFinite(c.seed)) throw new ArgumentError(where, `seed must be a finite number, got ${c.seed}`);
  return c;
}

/**
 * The number of steps T of a series [T, size], after checking its shape.
 *
 * @example
 * ```ts
 * checkSeries('fit', inputs, 1, 'inputs'); // T, or a ShapeError naming 'inputs'
 * ```
 */
export function checkSeries(where: string, series: Tensor, size: number, name: string): number {
  if (series.shape.length !== 2 || series.shape[1] !== size) {
    throw new ShapeError(where, `${name} must be [T, ${size}]`, [series.shape]);
  }
  return series.shape[0] as number;
}

/**
 * The data as float64, without a copy when it already is.
 *
 * @example
 * ```ts
 * asFloat64(new Float32Array([1, 2])); // Float64Array [1, 2]
 * ```
 */
export function asFloat64(data: Float32Array | Float64Array): Float64Array {
  return data instanceof Float64Array ? data : Float64Array.from(data);
}

/** A dense [rows, cols] matrix with a Bernoulli(density) mask, column j scaled by scales[j]. */
function denseSparse(rows: number, cols: number, density: number, rng: Rng, draw: (rng: Rng) => number, scales: readonly number[]): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      if (density < 1 && rng.uniform() >= density) continue;
      out[i * cols + j] = draw(rng) * (scales[j] as number);
    }
  }
  return out;
}

function checkWeights(c: ResolvedReservoirConfig, weights: ReservoirWeights): void {
  const n = c.units;
  if (weights.w.rows !== n || weights.w.cols !== n) throw new ShapeError('Reservoir', 'W must be [units, units]', [[weights.w.rows, weights.w.cols], [n, n]]);
  checkCsr(weights.w, 'W');
  const sized = (name: string, a: Float64Array, size: number): void => {
    if (a.length !== size) throw new ShapeError('Reservoir', `${name} has the wrong size`, [[a.length], [size]]);
    for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i] as number)) throw new ArgumentError('Reservoir', `${name} holds a non-finite value at ${i}`);
  };
  sized('W_in', weights.wIn, n * c.inputSize);
  sized('bias', weights.bias, n);
  sized('W_fb', weights.wFb, n * c.feedbackSize);
}

/** The config without keys whose value is undefined, so they do not override defaults. */
function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
