import { STANDALONE_CELL_KINDS, createCell, type CellKind } from '../../cells/registry.js';
import { gradientNormsThroughTime } from '../../sequence/index.js';
import { Rng, rand } from '../../tensor/index.js';
import { defineCommand } from '../command.js';
import { jsonFlag, createReporter } from '../output.js';

/**
 * `unfold gradients`: the vanishing gradient, measured. Runs a freshly initialised cell
 * over a random sequence and prints ||dL/dh(t)|| for a loss on the last output.
 */
export const gradientsCommand = defineCommand({
  name: 'gradients',
  summary: 'measure gradient norms through time (vanishing and exploding gradients)',
  description: 'Prints ||dL/dh(t)|| at every step t for L = sum of the last output, and ratio = norm at the first step / norm at the last.',
  flags: {
    ...jsonFlag,
    cell: { type: 'enum', values: STANDALONE_CELL_KINDS, default: 'rnn', help: 'recurrent cell kind' },
    length: { type: 'integer', min: 1, default: 100, help: 'sequence length T' },
    hidden: { type: 'integer', min: 1, default: 64, help: 'hidden units' },
    input: { type: 'integer', min: 1, default: 2, help: 'input features (uniform in [0, 1))' },
    seed: { type: 'integer', default: 1, help: 'random seed' },
  },
  examples: ['unfold gradients --cell rnn --length 100 --json', 'unfold gradients --cell lstm'],
  async run({ flags, io }) {
    const cell = createCell(flags.cell as CellKind, { inputSize: flags.input, hiddenSize: flags.hidden } as never, new Rng(flags.seed));
    const xs = rand([1, flags.length, flags.input], new Rng(flags.seed + 1));
    const { norms, ratio } = gradientNormsThroughTime(cell, xs);
    const report = createReporter(io, { json: flags.json, command: 'gradients' });
    const every = Math.max(1, Math.floor(flags.length / 10));
    const lines = [`${flags.cell}, T=${flags.length}, H=${flags.hidden}: ||dL/dh(t)|| for a loss on the last output`];
    for (let t = 0; t < norms.length; t += every) lines.push(`  t=${String(t).padStart(4)}  ${(norms[t] as number).toExponential(3)}`);
    lines.push(`  t=${String(norms.length - 1).padStart(4)}  ${(norms[norms.length - 1] as number).toExponential(3)}`);
    lines.push(`ratio first/last = ${ratio.toExponential(3)}${ratio < 1e-3 ? ' (vanishing)' : ''}`);
    report.result({ cell: flags.cell, length: flags.length, norms, ratio }, lines);
    return 0;
  },
});
