import type { CellState } from '../cells/cell.js';
import { CELLS, type CellKind } from '../cells/registry.js';
import { Dropout, Embedding, Linear, Module } from '../nn/index.js';
import { Recurrent, type AnyRecurrentConfig } from '../sequence/index.js';
import { ArgumentError, Rng, type Tensor } from '../tensor/index.js';

/** Config of a {@link LanguageModel}: serialisable, stored in model files. */
export interface LanguageModelConfig {
  /** Symbols in the vocabulary (V). */
  readonly vocabSize: number;
  /** A registered cell kind. */
  readonly cell: CellKind;
  /** Hidden units per layer. */
  readonly hidden: number;
  /** Stacked recurrent layers. */
  readonly layers: number;
  /** Size of the input embedding of each symbol. */
  readonly embedding: number;
  /** Dropout on the embeddings, between layers and before the output layer (training only). */
  readonly dropout: number;
}

/** Defaults of {@link LanguageModelConfig} (besides vocabSize), in one place. */
export const LANGUAGE_MODEL_DEFAULTS = {
  cell: 'lstm', hidden: 256, layers: 1, embedding: 64, dropout: 0,
} as const satisfies Omit<LanguageModelConfig, 'vocabSize'>;

/** The carried recurrent state of every layer (forward direction). */
export type LanguageModelState = readonly CellState[];

/**
 * A recurrent language model (the chapter's RNN as a generative model, section 10.2.3):
 *
 *     e(t) = E[x(t)],  h(t) = RNN(h(t-1), e(t)),  P(x(t+1) | x(<=t)) = softmax(V h(t) + c)
 *
 * Trained by maximum likelihood with teacher forcing (the true x(t) is fed at step t);
 * sampled by feeding each drawn symbol back in, one step at a time with the state
 * carried (see `sampleText`).
 *
 * @example
 * ```ts
 * const lm = new LanguageModel({ ...LANGUAGE_MODEL_DEFAULTS, vocabSize: 65 }, new Rng(0));
 * const { logits, state } = lm.forward(tokens); // tokens [B, T] of ids -> logits [B, T, 65]
 * ```
 */
export class LanguageModel extends Module {
  readonly config: LanguageModelConfig;
  readonly embed: Embedding;
  readonly rnn: Recurrent;
  readonly head: Linear;
  readonly inputDropout: Dropout;
  readonly outputDropout: Dropout;

  constructor(config: LanguageModelConfig, rng: Rng) {
    super();
    for (const key of ['vocabSize', 'hidden', 'layers', 'embedding'] as const) {
      if (!Number.isInteger(config[key]) || config[key] < 1) throw new ArgumentError('LanguageModel', `${key} must be a positive integer, got ${config[key]}`);
    }
    if (!(config.cell in CELLS)) throw new ArgumentError('LanguageModel', `unknown cell kind '${config.cell}'`);
    this.config = { ...config };
    this.embed = new Embedding({ numEmbeddings: config.vocabSize, embeddingDim: config.embedding, rng });
    const rnnConfig = { cell: config.cell, inputSize: config.embedding, hiddenSize: config.hidden, numLayers: config.layers, dropout: config.dropout } as AnyRecurrentConfig;
    this.rnn = new Recurrent(rnnConfig, rng);
    this.head = new Linear({ inFeatures: this.rnn.outputSize, outFeatures: config.vocabSize, rng });
    this.inputDropout = new Dropout({ p: config.dropout, rng: rng.fork() });
    this.outputDropout = new Dropout({ p: config.dropout, rng: rng.fork() });
  }

  /** The zero state for a batch of B streams. */
  initialState(batch: number): LanguageModelState {
    return this.rnn.cells.map((c) => c.initialState(batch));
  }

  /** Logits of the next symbol at every position: tokens [B, T] (integer ids) -> [B, T, V]. */
  forward(tokens: Tensor, state?: LanguageModelState): { logits: Tensor; state: LanguageModelState } {
    const x = this.inputDropout.forward(this.embed.forward(tokens));
    const initialStates = state?.map((s) => ({ forward: s }));
    const r = this.rnn.forward(x, initialStates === undefined ? {} : { initialStates });
    const logits = this.head.forward(this.outputDropout.forward(r.outputs));
    return { logits, state: r.finalStates.map((f) => f.forward) };
  }
}
