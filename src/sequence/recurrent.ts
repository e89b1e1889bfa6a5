import { CELLS, type CellConfigs, type CellKind } from '../cells/registry.js';
import type { Cell, CellState } from '../cells/cell.js';
import { Dropout, Module } from '../nn/index.js';
import { add, concat } from '../ops/index.js';
import { ArgumentError, Rng, type DType, type Tensor } from '../tensor/index.js';
import { bidirectional, concatMerge, type MergeFunction } from './bidirectional.js';
import { scan } from './scan.js';

/** Config of a {@link Recurrent} stack. Serialisable: kind and numbers only. */
export interface RecurrentConfig<K extends CellKind = CellKind> {
  /** The registered cell kind of every layer. */
  readonly cell: K;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Stacked layers (default 1). */
  readonly numLayers?: number;
  /** Add a backward-reading cell to every layer (default false). */
  readonly bidirectional?: boolean;
  /** Dropout on the outputs of every layer but the last, in training mode (default 0). */
  readonly dropout?: number;
  /**
   * Skip connections between layers: each layer above the first also reads the original
   * input (Graves 2013), shortening the path from x to the top layer. Default false.
   */
  readonly inputSkip?: boolean;
  /** Residual connections: a layer's output is added to its input when sizes agree. Default false. */
  readonly residual?: boolean;
  /** Extra options of the cell kind (e.g. `{ projSize: 64 }` for an LSTM). */
  readonly cellOptions?: Omit<CellConfigs[K], 'inputSize' | 'hiddenSize' | 'dtype'>;
  readonly dtype?: DType;
}

/** A {@link RecurrentConfig} of any one kind, so `cellOptions` is checked against that kind. */
export type AnyRecurrentConfig = { [K in CellKind]: RecurrentConfig<K> }[CellKind];

/** Options of {@link Recurrent.forward}. */
export interface RecurrentForwardOptions {
  readonly lengths?: readonly number[];
  /** Per layer, the initial state of each direction. */
  readonly initialStates?: readonly { readonly forward?: CellState; readonly backward?: CellState }[];
  /** How the two directions combine (default concatenation). */
  readonly merge?: MergeFunction;
}

/** What {@link Recurrent.forward} returns. */
export interface RecurrentResult {
  /** The top layer's outputs [B, T, outputSize]. */
  readonly outputs: Tensor;
  /** Per layer, the final state of each direction. */
  readonly finalStates: { readonly forward: CellState; readonly backward?: CellState }[];
}

/**
 * A deep (stacked) RNN (section 10.5, Figure 10.13a) over any registered cell, optionally
 * bidirectional, with dropout between layers and optional skip or residual connections.
 * Layer l reads the outputs of layer l-1 (and, with inputSkip, also x).
 *
 * Parameters are named `cells.<l>.<name>` and `reverseCells.<l>.<name>`, mapping one-to-one
 * onto PyTorch's `<name>_l<l>` and `<name>_l<l>_reverse` (see `loadTorchStateDict`).
 *
 * @example
 * ```ts
 * const lstm = new Recurrent({ cell: 'lstm', inputSize: 16, hiddenSize: 64, numLayers: 2, bidirectional: true }, new Rng(0));
 * const { outputs } = lstm.forward(xs, { lengths }); // [B, T, 128]
 * ```
 */
export class Recurrent extends Module {
  readonly config: AnyRecurrentConfig;
  /** The forward-direction cell of each layer. */
  readonly cells: Cell[];
  /** The backward-direction cell of each layer (empty unless bidirectional). */
  readonly reverseCells: Cell[];
  readonly dropouts: Dropout[];
  /** Features of the top layer's output. */
  readonly outputSize: number;

  constructor(config: AnyRecurrentConfig, rng: Rng) {
    super();
    const layers = config.numLayers ?? 1;
    if (!Number.isInteger(layers) || layers < 1) throw new ArgumentError('Recurrent', `numLayers must be a positive integer, got ${layers}`);
    const p = config.dropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new ArgumentError('Recurrent', `dropout must be in [0, 1), got ${p}`);
    this.config = config;
    const spec = CELLS[config.cell] as { create(c: unknown, r: Rng): Cell };
    const dirs = config.bidirectional === true ? 2 : 1;
    this.cells = [];
    this.reverseCells = [];
    this.dropouts = [];
    let inputSize = config.inputSize;
    for (let l = 0; l < layers; l++) {
      const layerInput = l > 0 && config.inputSkip === true ? inputSize + config.inputSize : inputSize;
      const cellConfig = { ...config.cellOptions, inputSize: layerInput, hiddenSize: config.hiddenSize, dtype: config.dtype ?? 'float32' };
      const fw = spec.create(cellConfig, rng);
      this.cells.push(fw);
      if (dirs === 2) this.reverseCells.push(spec.create(cellConfig, rng));
      inputSize = fw.outputSize * dirs;
      if (l < layers - 1) this.dropouts.push(new Dropout({ p, rng: rng.fork() }));
    }
    this.outputSize = inputSize;
  }

  /** Runs every layer over the whole sequence xs [B, T, inputSize]. */
  forward(xs: Tensor, options: RecurrentForwardOptions = {}): RecurrentResult {
    const finalStates: { forward: CellState; backward?: CellState }[] = [];
    const lengths = options.lengths === undefined ? {} : { lengths: options.lengths };
    let h = xs;
    this.cells.forEach((cell, l) => {
      const init = options.initialStates?.[l];
      const input = l > 0 && this.config.inputSkip === true ? concat([h, xs], -1) : h;
      let out: Tensor;
      const reverse = this.reverseCells[l];
      if (reverse === undefined) {
        const r = scan(cell, input, { ...lengths, ...(init?.forward === undefined ? {} : { initialState: init.forward }) });
        out = r.outputs;
        finalStates.push({ forward: r.finalState });
      } else {
        const r = bidirectional(cell, reverse, input, {
          ...lengths,
          merge: options.merge ?? concatMerge,
          ...(init?.forward === undefined ? {} : { initialForward: init.forward }),
          ...(init?.backward === undefined ? {} : { initialBackward: init.backward }),
        });
        out = r.outputs;
        finalStates.push({ forward: r.forward.finalState, backward: r.backward.finalState });
      }
      if (this.config.residual === true && out.shape[2] === h.shape[2]) out = add(out, h);
      const drop = this.dropouts[l];
      h = drop === undefined ? out : drop.forward(out);
    });
    return { outputs: h, finalStates };
  }
}
