import { ArgumentError, ShapeError, Tensor } from '../../tensor/index.js';
import { applyReadoutRows } from './esn.js';
import { normalEquationsSolver, type LinearReadout, type ReadoutSolver } from './readout.js';
import { Reservoir, asFloat64, checkSeries, type ReservoirConfig } from './reservoir.js';

/** The config of a {@link DeepEsn}: JSON-serialisable. */
export interface DeepEsnConfig {
  /**
   * One reservoir per layer, bottom first. Layer 0's `inputSize` is the input dimension;
   * layer l > 0's `inputSize` must equal layer l-1's `units` (it is driven by those states).
   * Feedback is not supported in a deep ESN.
   */
  readonly layers: readonly ReservoirConfig[];
  /** O, the output dimension. */
  readonly outputSize: number;
  /** Ridge regulariser of the readout (default 1e-6). */
  readonly ridge?: number;
  /** Also feed u(t) straight to the readout (default false). */
  readonly readoutInput?: boolean;
}

/**
 * A deep echo state network (Gallicchio, Micheli & Pedrelli 2017, "Deep reservoir
 * computing: a critical experimental analysis"): a stack of L reservoirs where layer l is
 * driven by the states of layer l-1,
 *
 *     x^(1)(t) = R_1(u(t), x^(1)(t-1)),   x^(l)(t) = R_l(x^(l-1)(t), x^(l)(t-1)),
 *     y(t) = W_out [x^(1)(t); ...; x^(L)(t)] + c
 *
 * so higher layers see an ever more filtered signal and develop slower time scales. Only
 * the readout over the concatenated states of all layers is trained (ridge regression).
 * Each layer's reservoir is built from its own config (give them different seeds).
 *
 * @example
 * ```ts
 * import { DeepEsn } from 'unfold';
 * const deep = new DeepEsn({
 *   layers: [{ units: 100, inputSize: 1, leak: 0.5, seed: 1 }, { units: 100, inputSize: 100, leak: 0.2, seed: 2 }],
 *   outputSize: 1,
 * });
 * deep.fit(inputs, targets, { washout: 100 });
 * const y = deep.predict(testInputs);
 * ```
 */
export class DeepEsn {
  readonly config: Required<DeepEsnConfig>;
  readonly layers: readonly Reservoir[];
  readout: LinearReadout | null = null;
  /** x^(l)(t) after the last step, one array per layer. */
  readonly states: Float64Array[];

  constructor(config: DeepEsnConfig, parts: { readonly layers?: readonly Reservoir[]; readonly readout?: LinearReadout } = {}) {
    if (config.layers.length === 0) throw new ArgumentError('DeepEsn', 'give at least one layer');
    const c: Required<DeepEsnConfig> = { layers: config.layers, outputSize: config.outputSize, ridge: config.ridge ?? 1e-6, readoutInput: config.readoutInput ?? false };
    if (!Number.isInteger(c.outputSize) || c.outputSize < 1) throw new ArgumentError('DeepEsn', `outputSize must be a positive integer, got ${c.outputSize}`);
    if (!(Number.isFinite(c.ridge) && c.ridge >= 0)) throw new ArgumentError('DeepEsn', `ridge must be a finite number >= 0, got ${c.ridge}`);
    this.layers = parts.layers ?? c.layers.map((layer) => new Reservoir(layer));
    if (this.layers.length !== c.layers.length) throw new ArgumentError('DeepEsn', 'one reservoir per layer config');
    this.layers.forEach((layer, l) => {
      if (layer.config.feedbackSize !== 0) throw new ArgumentError('DeepEsn', `layer ${l} has feedback; a deep ESN does not support output feedback`);
      const below = this.layers[l - 1];
      if (below !== undefined && layer.config.inputSize !== below.units) {
        throw new ArgumentError('DeepEsn', `layer ${l} has inputSize ${layer.config.inputSize} but layer ${l - 1} has ${below.units} units`);
      }
    });
    this.config = { ...c, layers: this.layers.map((layer) => layer.config) };
    this.states = this.layers.map((layer) => layer.initialState());
    if (parts.readout !== undefined) {
      if (parts.readout.bias.length !== c.outputSize || parts.readout.weight.length !== c.outputSize * this.featureSize) {
        throw new ShapeError('DeepEsn', 'readout must be W [outputSize, features] and c [outputSize]', [[parts.readout.weight.length], [c.outputSize * this.featureSize]]);
      }
      this.readout = parts.readout;
    }
  }

  /** F = sum of the layers' units (+ I with `readoutInput`). */
  get featureSize(): number {
    return this.layers.reduce((s, layer) => s + layer.units, 0) + (this.config.readoutInput ? this.inputSize : 0);
  }

  /** I, the input dimension (layer 0's). */
  get inputSize(): number {
    return (this.layers[0] as Reservoir).config.inputSize;
  }

  /** All layers back to x = 0. */
  reset(): void {
    for (const s of this.states) s.fill(0);
  }

  /** Runs all layers over inputs [T, I] from the current states; returns the concatenated features [T, F]. */
  features(inputs: Tensor): Tensor {
    const steps = checkSeries('DeepEsn', inputs, this.inputSize, 'inputs');
    const f = this.featureSize;
    const z = new Float64Array(steps * f);
    let drive = inputs;
    let offset = 0;
    if (this.config.readoutInput) {
      copyColumns(asFloat64(inputs.data), steps, this.inputSize, z, f, 0);
      offset = this.inputSize;
    }
    this.layers.forEach((layer, l) => {
      const state = this.states[l] as Float64Array;
      const states = layer.run(drive, { state });
      const data = states.data as Float64Array;
      if (steps > 0) state.set(data.subarray((steps - 1) * layer.units));
      copyColumns(data, steps, layer.units, z, f, offset);
      offset += layer.units;
      drive = states;
    });
    return new Tensor(z, [steps, f]);
  }

  /** Fits the readout on inputs [T, I] and targets [T, O], discarding the first `washout` steps. Returns the training RMSE. */
  fit(inputs: Tensor, targets: Tensor, options: { readonly washout?: number; readonly ridge?: number; readonly solver?: ReadoutSolver } = {}): { readonly samples: number; readonly rmse: number } {
    const steps = checkSeries('DeepEsn.fit', inputs, this.inputSize, 'inputs');
    const o = this.config.outputSize;
    if (checkSeries('DeepEsn.fit', targets, o, 'targets') !== steps) throw new ShapeError('DeepEsn.fit', 'inputs and targets must have the same number of steps', [inputs.shape, targets.shape]);
    const washout = options.washout ?? 0;
    if (!Number.isInteger(washout) || washout < 0) throw new ArgumentError('DeepEsn.fit', `washout must be a non-negative integer, got ${washout}`);
    if (steps <= washout) throw new ArgumentError('DeepEsn.fit', `the series (${steps} steps) must be longer than the washout (${washout} steps)`);
    const z = this.features(inputs).data as Float64Array;
    const y = asFloat64(targets.data);
    const f = this.featureSize;
    const samples = steps - washout;
    this.readout = (options.solver ?? normalEquationsSolver)(z, y, washout, samples, f, o, options.ridge ?? this.config.ridge);
    const predicted = applyReadoutRows(this.readout, z, washout, samples, f);
    let sq = 0;
    for (let i = 0; i < samples * o; i++) sq += ((predicted[i] as number) - (y[washout * o + i] as number)) ** 2;
    return { samples, rmse: Math.sqrt(sq / (samples * o)) };
  }

  /** Outputs y [T, O] for inputs [T, I], continuing from the current states. */
  predict(inputs: Tensor): Tensor {
    if (this.readout === null) throw new ArgumentError('DeepEsn.predict', 'the readout is not trained yet: call fit() first');
    const z = this.features(inputs);
    const steps = z.shape[0] as number;
    return new Tensor(applyReadoutRows(this.readout, z.data as Float64Array, 0, steps, this.featureSize), [steps, this.config.outputSize]);
  }
}

function copyColumns(src: Float64Array, rows: number, cols: number, dst: Float64Array, stride: number, offset: number): void {
  for (let t = 0; t < rows; t++) dst.set(src.subarray(t * cols, (t + 1) * cols), t * stride + offset);
}
