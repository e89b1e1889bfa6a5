import { gemm } from '../../kernels/index.js';
import { ArgumentError, Rng, ShapeError, Tensor } from '../../tensor/index.js';
import { applyReadout, normalEquationsSolver, RlsReadout, type LinearReadout, type ReadoutSolver, type RlsOptions } from './readout.js';
import { Reservoir, asFloat64, checkSeries, type ReservoirConfig, type ReservoirRunOptions } from './reservoir.js';

/** The config of an {@link EchoStateNetwork}: JSON-serialisable, stored in model files. */
export interface EsnConfig {
  readonly reservoir: ReservoirConfig;
  /** O, the output dimension. With feedback, `reservoir.feedbackSize` must equal it. */
  readonly outputSize: number;
  /** Ridge regulariser beta of the readout (default {@link ESN_DEFAULTS}.ridge). */
  readonly ridge?: number;
  /**
   * Also feed u(t) straight to the readout: z(t) = [u(t); x(t)] instead of x(t) (default
   * true, as Lukosevicius' practical guide recommends; reservoirpy's ESN leaves it out).
   */
  readonly readoutInput?: boolean;
}

/**
 * Defaults of {@link EsnConfig}.
 *
 * @example
 * ```ts
 * import { ESN_DEFAULTS } from 'unfold';
 * ESN_DEFAULTS.ridge; // 1e-6
 * ```
 */
export const ESN_DEFAULTS = { ridge: 1e-6, readoutInput: true } as const;

/** Options of {@link EchoStateNetwork.fit}. */
export interface EsnFitOptions {
  /** Initial steps whose states are not used to fit (the reservoir forgets x(0) meanwhile). Default 0. */
  readonly washout?: number;
  /** Overrides the config's ridge regulariser. */
  readonly ridge?: number;
  /** How to solve the ridge problem (default {@link normalEquationsSolver}; {@link householderQrSolver} for tiny ridges). */
  readonly solver?: ReadoutSolver;
  /** State noise amplitude while collecting the training states (default 0; see `ReservoirRunOptions.noise`). */
  readonly noise?: number;
  /** Seed of the state noise (default: the reservoir's seed). */
  readonly noiseSeed?: number;
}

/** Options of {@link EchoStateNetwork.fitOnline}. */
export interface EsnOnlineFitOptions extends RlsOptions {
  readonly washout?: number;
  /**
   * Feed back the network's own output while learning (FORCE, Sussillo & Abbott 2009)
   * instead of the target (teacher forcing). Only matters with feedback. Default false.
   */
  readonly closedLoop?: boolean;
}

/** What a fit reports. */
export interface EsnFitReport {
  /** Steps the readout was fitted on (T - washout). */
  readonly samples: number;
  /** Root-mean-square training error over those steps and all outputs. */
  readonly rmse: number;
}

/** Options of {@link EchoStateNetwork.predict}. */
export interface EsnPredictOptions {
  /**
   * [T, O]: feed these values back instead of the network's outputs (teacher forcing), e.g.
   * to synchronise the reservoir with a signal before a free run. Row t is fed at step t+1.
   */
  readonly teacher?: Tensor;
}

/** Options of {@link EchoStateNetwork.generate}. */
export interface EsnGenerateOptions {
  /** [steps, I]: inputs of the free run (default zeros; not allowed with `outputAsInput`). */
  readonly inputs?: Tensor;
  /** Use y(t-1) as the input u(t): turns a one-step-ahead predictor into a generator (needs I = O). */
  readonly outputAsInput?: boolean;
}

/**
 * An echo state network (Jaeger 2001; Goodfellow et al., Deep Learning, section 10.8): a
 * fixed random {@link Reservoir} and a trained linear readout
 *
 *     x(t) = (1 - a) x(t-1) + a f(W_in u(t) + W x(t-1) + W_fb y(t-1) + b)
 *     y(t) = W_out z(t) + c,   z(t) = x(t)  (or [u(t); x(t)] with `readoutInput`)
 *
 * Only W_out [O, F] and c [O] are learned: in closed form by ridge regression
 * ({@link EchoStateNetwork.fit}, float64 normal equations with Cholesky) or online by
 * recursive least squares / FORCE ({@link EchoStateNetwork.fitOnline}). With output
 * feedback, training teacher-forces y(t-1) := target(t-1); {@link EchoStateNetwork.generate}
 * then runs the network in closed loop (Jaeger & Haas 2004).
 *
 * The network keeps its state between calls, as reservoirpy does: `fit` then `predict`
 * continues from the last training state, which is what one-step-ahead forecasting on the
 * rest of a series wants. `reset()` returns to x = 0.
 *
 * @example
 * ```ts
 * import { EchoStateNetwork, tensor } from 'unfold';
 * const esn = new EchoStateNetwork({ reservoir: { units: 100, inputSize: 1, spectralRadius: 1.25, leak: 0.3 }, outputSize: 1, ridge: 1e-5 });
 * esn.fit(xTrain, yTrain, { washout: 100 }); // [T, 1] each
 * const yHat = esn.predict(xTest);            // [T', 1]
 * ```
 */
export class EchoStateNetwork {
  readonly config: Required<EsnConfig>;
  readonly reservoir: Reservoir;
  /** The trained readout, null before fitting. */
  readout: LinearReadout | null;
  /** x(t) after the last step [N]. */
  state: Float64Array;
  /** y(t) of the last step [O]: what feedback and `outputAsInput` use next. */
  lastOutput: Float64Array;

  constructor(config: EsnConfig, parts: { readonly reservoir?: Reservoir; readonly readout?: LinearReadout } = {}) {
    const c: Required<EsnConfig> = {
      reservoir: config.reservoir,
      outputSize: config.outputSize,
      ridge: config.ridge ?? ESN_DEFAULTS.ridge,
      readoutInput: config.readoutInput ?? ESN_DEFAULTS.readoutInput,
    };
    if (!Number.isInteger(c.outputSize) || c.outputSize < 1) throw new ArgumentError('EchoStateNetwork', `outputSize must be a positive integer, got ${c.outputSize}`);
    if (!(Number.isFinite(c.ridge) && c.ridge >= 0)) throw new ArgumentError('EchoStateNetwork', `ridge must be a finite number >= 0, got ${c.ridge}`);
    this.reservoir = parts.reservoir ?? new Reservoir(c.reservoir);
    const fb = this.reservoir.config.feedbackSize;
    if (fb !== 0 && fb !== c.outputSize) {
      throw new ArgumentError('EchoStateNetwork', `reservoir.feedbackSize (${fb}) must be 0 or equal outputSize (${c.outputSize}): the output is what is fed back`);
    }
    this.config = { ...c, reservoir: this.reservoir.config };
    this.readout = null;
    if (parts.readout !== undefined) {
      const r = parts.readout;
      if (r.bias.length !== c.outputSize || r.weight.length !== c.outputSize * this.featureSize) {
        throw new ShapeError('EchoStateNetwork', 'readout must be W [outputSize, features] and c [outputSize]', [[r.weight.length], [c.outputSize * this.featureSize]]);
      }
      this.readout = r;
    }
    this.state = this.reservoir.initialState();
    this.lastOutput = new Float64Array(c.outputSize);
  }

  /** F, the readout's input size: N, or I + N with `readoutInput`. */
  get featureSize(): number {
    return this.reservoir.units + (this.config.readoutInput ? this.reservoir.config.inputSize : 0);
  }

  /** Back to x = 0 and y = 0 (the readout is kept). */
  reset(): void {
    this.state.fill(0);
    this.lastOutput.fill(0);
  }

  /**
   * Runs the reservoir over inputs [T, I] from the current state (teacher-forcing the
   * targets [T, O] into the feedback, when there is feedback), discards the first `washout`
   * states and fits the readout by ridge regression on the rest. Afterwards the state is
   * x(T-1) and the last output target(T-1), ready to predict what follows.
   *
   * Throws an ArgumentError when T <= washout, and when the normal equations are singular
   * (ridge 0 with too few samples).
   */
  fit(inputs: Tensor, targets: Tensor, options: EsnFitOptions = {}): EsnFitReport {
    const { steps, washout } = this.checkTraining('fit', inputs, targets, options.washout);
    const ridge = options.ridge ?? this.config.ridge;
    const noise = options.noise ?? 0;
    const rng = new Rng(options.noiseSeed ?? this.reservoir.config.seed);
    const z = this.collectFeatures(inputs, targets, steps, noise > 0 ? { amplitude: noise, rng } : undefined);
    const f = this.featureSize;
    const o = this.config.outputSize;
    const y = asFloat64(targets.data);
    const samples = steps - washout;
    const readout = (options.solver ?? normalEquationsSolver)(z, y, washout, samples, f, o, ridge);
    this.readout = readout;
    const predicted = applyReadoutRows(readout, z, washout, samples, f);
    let sq = 0;
    for (let i = 0; i < samples * o; i++) sq += ((predicted[i] as number) - (y[washout * o + i] as number)) ** 2;
    return { samples, rmse: Math.sqrt(sq / (samples * o)) };
  }

  /**
   * Fits the readout online by recursive least squares, one step at a time (see
   * {@link RlsReadout}); with `closedLoop` and output feedback this is FORCE learning:
   * the network feeds back its own (pre-update) output while the readout learns.
   */
  fitOnline(inputs: Tensor, targets: Tensor, options: EsnOnlineFitOptions = {}): EsnFitReport {
    const { steps, washout } = this.checkTraining('fitOnline', inputs, targets, options.washout);
    const f = this.featureSize;
    const o = this.config.outputSize;
    const ni = this.reservoir.config.inputSize;
    const hasFb = this.reservoir.config.feedbackSize > 0;
    const rls = new RlsReadout(f, o, options);
    const u = asFloat64(inputs.data);
    const y = asFloat64(targets.data);
    const z = new Float64Array(f);
    const out = new Float64Array(o);
    const scratch = new Float64Array(this.reservoir.units);
    let sq = 0;
    for (let t = 0; t < steps; t++) {
      const ut = u.subarray(t * ni, (t + 1) * ni);
      this.reservoir.step(this.state, ut, hasFb ? this.lastOutput : undefined, scratch);
      this.features(ut, this.state, z);
      rls.predict(z, out);
      const target = y.subarray(t * o, (t + 1) * o);
      if (t >= washout) sq += rls.update(z, target);
      this.lastOutput.set(options.closedLoop === true ? out : target);
    }
    this.readout = rls.readout();
    return { samples: steps - washout, rmse: Math.sqrt(sq / ((steps - washout) * o)) };
  }

  /**
   * Runs from the current state over inputs [T, I] and returns the outputs y [T, O]. With
   * feedback, the network's own outputs are fed back, or `options.teacher` when given.
   */
  predict(inputs: Tensor, options: EsnPredictOptions = {}): Tensor {
    const readout = this.requireReadout('predict');
    const steps = checkSeries('EchoStateNetwork.predict', inputs, this.reservoir.config.inputSize, 'inputs');
    const o = this.config.outputSize;
    const teacher = options.teacher;
    if (teacher !== undefined && checkSeries('EchoStateNetwork.predict', teacher, o, 'teacher') !== steps) {
      throw new ShapeError('EchoStateNetwork.predict', 'teacher must have one row per input step', [teacher.shape, inputs.shape]);
    }
    if (this.reservoir.config.feedbackSize === 0 || teacher !== undefined) {
      // Inputs (and feedback) known in advance: the fast path, one gemm for all input projections.
      const z = this.collectFeatures(inputs, teacher, steps);
      const ys = applyReadoutRows(readout, z, 0, steps, this.featureSize);
      if (steps > 0) this.lastOutput.set(teacher === undefined ? ys.subarray((steps - 1) * o) : asFloat64(teacher.data).subarray((steps - 1) * o, steps * o));
      return new Tensor(ys, [steps, o]);
    }
    return this.closedLoop(steps, asFloat64(inputs.data), false);
  }

  /**
   * Runs `steps` steps in closed loop from the current state: y(t) is computed from x(t) and
   * fed back (through W_fb, and as the next input with `outputAsInput`). Returns y [steps, O].
   */
  generate(steps: number, options: EsnGenerateOptions = {}): Tensor {
    this.requireReadout('generate');
    if (!Number.isInteger(steps) || steps < 0) throw new ArgumentError('EchoStateNetwork.generate', `steps must be a non-negative integer, got ${steps}`);
    const ni = this.reservoir.config.inputSize;
    const outputAsInput = options.outputAsInput === true;
    if (outputAsInput) {
      if (ni !== this.config.outputSize) throw new ArgumentError('EchoStateNetwork.generate', `outputAsInput needs inputSize (${ni}) = outputSize (${this.config.outputSize})`);
      if (options.inputs !== undefined) throw new ArgumentError('EchoStateNetwork.generate', 'give either inputs or outputAsInput, not both');
    }
    let u: Float64Array | null = null;
    if (options.inputs !== undefined) {
      if (checkSeries('EchoStateNetwork.generate', options.inputs, ni, 'inputs') !== steps) throw new ShapeError('EchoStateNetwork.generate', 'inputs must have one row per step', [options.inputs.shape, [steps, ni]]);
      u = asFloat64(options.inputs.data);
    } else if (!outputAsInput) {
      u = new Float64Array(steps * ni);
    }
    return this.closedLoop(steps, u, outputAsInput);
  }

  private closedLoop(steps: number, u: Float64Array | null, outputAsInput: boolean): Tensor {
    const readout = this.requireReadout('generate');
    const ni = this.reservoir.config.inputSize;
    const o = this.config.outputSize;
    const hasFb = this.reservoir.config.feedbackSize > 0;
    const ys = new Float64Array(steps * o);
    const z = new Float64Array(this.featureSize);
    const scratch = new Float64Array(this.reservoir.units);
    const ut = new Float64Array(ni);
    const out = new Float64Array(o);
    for (let t = 0; t < steps; t++) {
      if (outputAsInput) ut.set(this.lastOutput);
      else if (u !== null) ut.set(u.subarray(t * ni, (t + 1) * ni));
      this.reservoir.step(this.state, ut, hasFb ? this.lastOutput : undefined, scratch);
      this.features(ut, this.state, z);
      applyReadout(readout, z, out);
      ys.set(out, t * o);
      this.lastOutput.set(out);
    }
    return new Tensor(ys, [steps, o]);
  }

  /** Runs the reservoir over all steps from the current state; returns the features [T, F] and leaves the state at x(T-1). */
  private collectFeatures(inputs: Tensor, teacher: Tensor | undefined, steps: number, noise?: ReservoirRunOptions['noise']): Float64Array {
    const o = this.config.outputSize;
    const n = this.reservoir.units;
    let feedback: Tensor | undefined;
    if (this.reservoir.config.feedbackSize > 0) {
      if (teacher === undefined) throw new ArgumentError('EchoStateNetwork', 'a reservoir with feedback needs the targets to teacher-force');
      // Step t is fed y(t-1): the last output before this call, then targets shifted by one.
      const fb = new Float64Array(steps * o);
      if (steps > 0) {
        fb.set(this.lastOutput);
        fb.set(asFloat64(teacher.data).subarray(0, (steps - 1) * o), o);
      }
      feedback = new Tensor(fb, [steps, o]);
    }
    const states = this.reservoir.run(inputs, {
      state: this.state,
      ...(feedback === undefined ? {} : { feedback }),
      ...(noise === undefined ? {} : { noise }),
    }).data as Float64Array;
    if (steps > 0) this.state.set(states.subarray((steps - 1) * n));
    if (teacher !== undefined && steps > 0) this.lastOutput.set(asFloat64(teacher.data).subarray((steps - 1) * o, steps * o));
    if (!this.config.readoutInput) return states;
    const ni = this.reservoir.config.inputSize;
    const u = asFloat64(inputs.data);
    const f = ni + n;
    const z = new Float64Array(steps * f);
    for (let t = 0; t < steps; t++) {
      z.set(u.subarray(t * ni, (t + 1) * ni), t * f);
      z.set(states.subarray(t * n, (t + 1) * n), t * f + ni);
    }
    return z;
  }

  /** z(t) = x(t), or [u(t); x(t)], into `out`. */
  private features(u: Float64Array, x: Float64Array, out: Float64Array): void {
    if (this.config.readoutInput) {
      out.set(u);
      out.set(x, u.length);
    } else {
      out.set(x);
    }
  }

  private checkTraining(where: string, inputs: Tensor, targets: Tensor, washoutOption: number | undefined): { steps: number; washout: number } {
    const steps = checkSeries(`EchoStateNetwork.${where}`, inputs, this.reservoir.config.inputSize, 'inputs');
    if (checkSeries(`EchoStateNetwork.${where}`, targets, this.config.outputSize, 'targets') !== steps) {
      throw new ShapeError(`EchoStateNetwork.${where}`, 'inputs and targets must have the same number of steps', [inputs.shape, targets.shape]);
    }
    const washout = washoutOption ?? 0;
    if (!Number.isInteger(washout) || washout < 0) throw new ArgumentError(`EchoStateNetwork.${where}`, `washout must be a non-negative integer, got ${washout}`);
    if (steps <= washout) throw new ArgumentError(`EchoStateNetwork.${where}`, `the series (${steps} steps) must be longer than the washout (${washout} steps)`);
    return { steps, washout };
  }

  private requireReadout(where: string): LinearReadout {
    if (this.readout === null) throw new ArgumentError(`EchoStateNetwork.${where}`, 'the readout is not trained yet: call fit() (or fitOnline()) first');
    return this.readout;
  }
}

/**
 * y(t) = W z(t) + c for rows [from, from + rows) of z [T, F]: one gemm. Returns [rows, O].
 *
 * @example
 * ```ts
 * const ys = applyReadoutRows(readout, features, 0, steps, featureSize); // [steps, O]
 * ```
 */
export function applyReadoutRows(readout: LinearReadout, z: Float64Array, from: number, rows: number, f: number): Float64Array {
  const o = readout.bias.length;
  const ys = new Float64Array(rows * o);
  for (let t = 0; t < rows; t++) ys.set(readout.bias, t * o);
  if (rows > 0) gemm(false, true, rows, o, f, 1, z, from * f, f, readout.weight, 0, f, 1, ys, 0, o);
  return ys;
}
