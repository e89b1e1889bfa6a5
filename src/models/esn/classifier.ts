import { ArgumentError, ShapeError, Tensor } from '../../tensor/index.js';
import { RidgeAccumulator, applyReadout, type LinearReadout } from './readout.js';
import { Reservoir, checkSeries, type ReservoirConfig } from './reservoir.js';

/**
 * How a sequence's states x(0..T-1) [T, N] become one feature vector [N], by name (a config
 * stores the name): `last` is x(T-1), the state after the whole sequence; `mean` is the
 * average over the steps from `skip` on, which forgets less of the sequence's start.
 *
 * @example
 * ```ts
 * import { POOLINGS } from 'unfold';
 * const h = new Float64Array(2);
 * POOLINGS.mean(new Float64Array([1, 2, 3, 4]), 2, 2, 0, h); // h = [2, 3]
 * ```
 */
export const POOLINGS = {
  last: (states: Float64Array, steps: number, units: number, _skip: number, out: Float64Array): void => {
    out.set(states.subarray((steps - 1) * units, steps * units));
  },
  mean: (states: Float64Array, steps: number, units: number, skip: number, out: Float64Array): void => {
    const from = Math.min(skip, steps - 1);
    out.fill(0);
    for (let t = from; t < steps; t++) for (let i = 0; i < units; i++) out[i] = (out[i] as number) + (states[t * units + i] as number);
    const count = steps - from;
    for (let i = 0; i < units; i++) out[i] = (out[i] as number) / count;
  },
} as const satisfies Record<string, (states: Float64Array, steps: number, units: number, skip: number, out: Float64Array) => void>;

/** A key of {@link POOLINGS}. */
export type PoolingName = keyof typeof POOLINGS;

/** The config of an {@link EsnClassifier}: JSON-serialisable. */
export interface EsnClassifierConfig {
  readonly reservoir: ReservoirConfig;
  /** Number of classes C; labels are 0..C-1. */
  readonly classes: number;
  /** How a sequence's states become features (default 'mean'). */
  readonly pooling?: PoolingName;
  /** Steps at the start of each sequence left out of `mean` pooling (default 0). */
  readonly skip?: number;
  /** Ridge regulariser of the readout (default 1e-4). */
  readonly ridge?: number;
}

/**
 * An echo state network that classifies whole sequences (e.g. spoken vowels, gestures):
 * every sequence is run through the reservoir from x = 0, its states are pooled into one
 * vector h ({@link POOLINGS}: the last state, or the mean state), and a linear readout
 * trained by ridge regression on one-hot targets scores the classes,
 *
 *     s = W_out h + c,   predicted class = argmax_k s_k
 *
 * (Jaeger's and Lukosevicius' recipe for sequence classification with ESNs).
 *
 * @example
 * ```ts
 * import { EsnClassifier } from 'unfold';
 * const clf = new EsnClassifier({ reservoir: { units: 200, inputSize: 12, leak: 0.1 }, classes: 9, pooling: 'mean' });
 * clf.fit(trainSequences, trainLabels); // sequences: [T_k, 12] tensors, labels: 0..8
 * clf.predict(testSequences);           // number[]
 * ```
 */
export class EsnClassifier {
  readonly config: Required<EsnClassifierConfig>;
  readonly reservoir: Reservoir;
  readout: LinearReadout | null = null;

  constructor(config: EsnClassifierConfig, parts: { readonly reservoir?: Reservoir; readonly readout?: LinearReadout } = {}) {
    const c: Required<EsnClassifierConfig> = {
      reservoir: config.reservoir,
      classes: config.classes,
      pooling: config.pooling ?? 'mean',
      skip: config.skip ?? 0,
      ridge: config.ridge ?? 1e-4,
    };
    if (!Number.isInteger(c.classes) || c.classes < 2) throw new ArgumentError('EsnClassifier', `classes must be an integer >= 2, got ${c.classes}`);
    if (!Object.hasOwn(POOLINGS, c.pooling)) throw new ArgumentError('EsnClassifier', `unknown pooling '${String(c.pooling)}' (choose ${Object.keys(POOLINGS).join(', ')})`);
    if (!Number.isInteger(c.skip) || c.skip < 0) throw new ArgumentError('EsnClassifier', `skip must be a non-negative integer, got ${c.skip}`);
    if (!(Number.isFinite(c.ridge) && c.ridge >= 0)) throw new ArgumentError('EsnClassifier', `ridge must be a finite number >= 0, got ${c.ridge}`);
    this.reservoir = parts.reservoir ?? new Reservoir(c.reservoir);
    if (this.reservoir.config.feedbackSize !== 0) throw new ArgumentError('EsnClassifier', 'the reservoir of a classifier takes no feedback');
    this.config = { ...c, reservoir: this.reservoir.config };
    if (parts.readout !== undefined) {
      if (parts.readout.bias.length !== c.classes || parts.readout.weight.length !== c.classes * this.reservoir.units) {
        throw new ShapeError('EsnClassifier', 'readout must be W [classes, units] and c [classes]', [[parts.readout.weight.length], [c.classes * this.reservoir.units]]);
      }
      this.readout = parts.readout;
    }
  }

  /** The pooled reservoir features of each sequence, [S, N]. */
  features(sequences: readonly Tensor[]): Tensor {
    const n = this.reservoir.units;
    const out = new Float64Array(sequences.length * n);
    const pool = POOLINGS[this.config.pooling];
    sequences.forEach((seq, k) => {
      const steps = checkSeries('EsnClassifier', seq, this.reservoir.config.inputSize, `sequences[${k}]`);
      if (steps === 0) throw new ArgumentError('EsnClassifier', `sequences[${k}] is empty`);
      const states = this.reservoir.run(seq).data as Float64Array;
      pool(states, steps, n, this.config.skip, out.subarray(k * n, (k + 1) * n));
    });
    return new Tensor(out, [sequences.length, n]);
  }

  /** Fits the readout to sequences (each [T_k, I]) and their labels in 0..C-1. Returns the training accuracy. */
  fit(sequences: readonly Tensor[], labels: readonly number[]): { readonly accuracy: number } {
    if (sequences.length !== labels.length) throw new ArgumentError('EsnClassifier.fit', `${sequences.length} sequences but ${labels.length} labels`);
    if (sequences.length === 0) throw new ArgumentError('EsnClassifier.fit', 'no sequences to fit');
    const c = this.config.classes;
    labels.forEach((label, k) => {
      if (!Number.isInteger(label) || label < 0 || label >= c) throw new ArgumentError('EsnClassifier.fit', `labels[${k}] = ${label} is not a class in 0..${c - 1}`);
    });
    const h = this.features(sequences).data as Float64Array;
    const targets = new Float64Array(sequences.length * c);
    labels.forEach((label, k) => (targets[k * c + label] = 1));
    const acc = new RidgeAccumulator(this.reservoir.units, c);
    acc.add(h, targets, sequences.length);
    this.readout = acc.solve(this.config.ridge);
    const predicted = this.classify(h, sequences.length);
    return { accuracy: predicted.filter((p, k) => p === labels[k]).length / labels.length };
  }

  /** Class scores s = W_out h + c for each sequence, [S, C]. */
  scores(sequences: readonly Tensor[]): Tensor {
    const readout = this.requireReadout();
    const h = this.features(sequences).data as Float64Array;
    const c = this.config.classes;
    const n = this.reservoir.units;
    const out = new Float64Array(sequences.length * c);
    for (let k = 0; k < sequences.length; k++) applyReadout(readout, h.subarray(k * n, (k + 1) * n), out.subarray(k * c, (k + 1) * c));
    return new Tensor(out, [sequences.length, c]);
  }

  /** The predicted class (argmax of the scores) of each sequence. */
  predict(sequences: readonly Tensor[]): number[] {
    return this.classify(this.features(sequences).data as Float64Array, sequences.length);
  }

  private classify(h: Float64Array, count: number): number[] {
    const readout = this.requireReadout();
    const c = this.config.classes;
    const n = this.reservoir.units;
    const s = new Float64Array(c);
    const out: number[] = [];
    for (let k = 0; k < count; k++) {
      applyReadout(readout, h, s, k * n);
      let best = 0;
      for (let j = 1; j < c; j++) if ((s[j] as number) > (s[best] as number)) best = j;
      out.push(best);
    }
    return out;
  }

  private requireReadout(): LinearReadout {
    if (this.readout === null) throw new ArgumentError('EsnClassifier', 'the readout is not trained yet: call fit() first');
    return this.readout;
  }
}
