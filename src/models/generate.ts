import { noGrad } from '../autograd/index.js';
import type { CellState, StepKernel } from '../cells/index.js';
import { LinearStepper, RecurrentStepper } from '../kernels/index.js';
import { ArgumentError, Tensor, type Rng } from '../tensor/index.js';
import type { LanguageModel, LanguageModelState } from './language-model.js';
import { checkSamplingOptions, sampleLogits, type SamplingOptions } from './sampling.js';

/**
 * Generates `length` symbols after the prime, streaming each to `onSymbol` as soon as it
 * is drawn. The prime is read in one pass; after that every symbol costs ONE recurrent
 * step: the drawn symbol is fed back and the state carried, never re-running the prefix.
 *
 * Those steps run on step-level kernels (kernels/stepper.ts) with the weights copied into
 * WebAssembly memory once, when the model is float32 and every layer's cell has a step
 * kernel (`Cell.stepKernel`: plain RNN, GRU and LSTM cells); otherwise through
 * `model.forward`. Both compute the same values (the same kernels at batch 1). The weights
 * are read when generation starts, so `onSymbol` must not change them.
 *
 * @example
 * ```ts
 * generate(lm, vocab.encode('ROMEO:'), 200, { temperature: 0.8 }, new Rng(1), (id) => process.stdout.write(vocab.decode([id])));
 * ```
 */
export function generate(
  model: LanguageModel, prime: ArrayLike<number>, length: number, options: SamplingOptions, rng: Rng,
  onSymbol: (id: number) => void = () => undefined,
): number[] {
  checkSamplingOptions(options);
  if (prime.length === 0) throw new ArgumentError('generate', 'the prime needs at least one symbol');
  if (!Number.isInteger(length) || length < 0) throw new ArgumentError('generate', `length must be a non-negative integer, got ${length}`);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      const ids = new Float32Array(prime.length);
      for (let i = 0; i < prime.length; i++) ids[i] = prime[i] as number;
      let { logits, state } = model.forward(new Tensor(ids, [1, prime.length]));
      const vocab = model.config.vocabSize;
      let row = logits.data.subarray((prime.length - 1) * vocab, prime.length * vocab);
      const out: number[] = [];
      const fast = length > 1 ? FastGenerator.create(model, state) : null;
      try {
        const token = new Tensor(new Float32Array(1), [1, 1]);
        for (let i = 0; i < length; i++) {
          const id = sampleLogits(row, options, rng);
          out.push(id);
          onSymbol(id);
          if (i === length - 1) break;
          if (fast !== null) {
            row = fast.step(id);
          } else {
            token.data[0] = id;
            ({ logits, state } = model.forward(token, state as LanguageModelState));
            row = logits.data;
          }
        }
      } finally {
        fast?.dispose();
      }
      return out;
    });
  } finally {
    model.train(wasTraining);
  }
}

/**
 * A language model's per-symbol step without the op graph: embedding row -> each layer's
 * step kernel -> output layer, on buffers in WebAssembly memory, nothing allocated per step.
 */
class FastGenerator {
  private readonly logits: Float32Array;

  private constructor(
    private readonly embedding: Float32Array, private readonly layers: RecurrentStepper[], private readonly head: LinearStepper,
  ) {
    this.logits = new Float32Array(head.outFeatures);
  }

  /** Steppers for `model` starting from `state`, or null when a part has no step kernel. */
  static create(model: LanguageModel, state: LanguageModelState): FastGenerator | null {
    const { rnn, head, embed } = model;
    const config = rnn.config;
    if (config.bidirectional === true || config.inputSkip === true || config.residual === true) return null;
    if (!(embed.weight.data instanceof Float32Array) || !(head.weight.data instanceof Float32Array)) return null;
    const kernels = rnn.cells.map((c) => c.stepKernel?.() ?? null);
    if (kernels.some((k) => k === null) || kernels.length !== state.length) return null;
    const layers: RecurrentStepper[] = [];
    const dispose = (): void => { for (const l of layers) l.dispose(); };
    for (const [l, kernel] of (kernels as StepKernel[]).entries()) {
      const stepper = RecurrentStepper.create(kernel.cell, kernel.weights);
      if (stepper === null) {
        dispose();
        return null;
      }
      layers.push(stepper);
      const s = state[l] as CellState;
      for (const key of stepper.stateKeys) stepper.setState(key, (s[key] as Tensor).data);
    }
    const linear = LinearStepper.create(head.weight.data, head.bias?.data ?? null, head.outFeatures, head.inFeatures);
    if (linear === null) {
      dispose();
      return null;
    }
    return new FastGenerator(embed.weight.data, layers, linear);
  }

  /** Feeds symbol `id` and returns the next logits (a buffer reused by the next step). */
  step(id: number): Float32Array {
    const first = this.layers[0] as RecurrentStepper;
    const dim = first.inputSize;
    // An element loop rather than set(subarray(...)): no view object per generated symbol.
    const heap = first.kernels.f32;
    const to = first.input >> 2;
    const from = id * dim;
    for (let j = 0; j < dim; j++) heap[to + j] = this.embedding[from + j] as number;
    let below = first.input;
    for (const layer of this.layers) {
      layer.step(below);
      below = layer.output;
    }
    this.head.apply(below, this.logits);
    return this.logits;
  }

  dispose(): void {
    for (const l of this.layers) l.dispose();
    this.head.dispose();
  }
}
