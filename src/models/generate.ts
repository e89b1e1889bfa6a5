import { noGrad } from '../autograd/index.js';
import { ArgumentError, Tensor, type Rng } from '../tensor/index.js';
import type { LanguageModel, LanguageModelState } from './language-model.js';
import { checkSamplingOptions, sampleLogits, type SamplingOptions } from './sampling.js';

/**
 * Generates `length` symbols after the prime, streaming each to `onSymbol` as soon as it
 * is drawn. The prime is read in one pass; after that every symbol costs ONE recurrent
 * step: the drawn symbol is fed back and the state carried, never re-running the prefix.
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
      const token = new Tensor(new Float32Array(1), [1, 1]);
      for (let i = 0; i < length; i++) {
        const id = sampleLogits(row, options, rng);
        out.push(id);
        onSymbol(id);
        if (i === length - 1) break;
        token.data[0] = id;
        ({ logits, state } = model.forward(token, state as LanguageModelState));
        row = logits.data;
      }
      return out;
    });
  } finally {
    model.train(wasTraining);
  }
}
