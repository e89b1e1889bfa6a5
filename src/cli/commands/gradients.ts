import { STANDALONE_CELL_KINDS, createCell, type CellKind } from '../../cells/registry.js';
import { gradientNormsThroughTime, jacobianSpectrum } from '../../sequence/index.js';
import { Rng, rand } from '../../tensor/index.js';
import { defineCommand } from '../command.js';
import { jsonFlag, createReporter } from '../output.js';

/**
 * `unfold gradients`: the vanishing gradient, measured. Runs a freshly initialised cell
 * over a random sequence and prints ||dL/dh(t)|| for a loss on the last output, and the
 * spectral radius of the recurrent Jacobian ds(t)/ds(t-1) of the whole state s (an
 * LSTM's [h; c]) at every step along the same sequence.
 */
export const gradientsCommand = defineCommand({
  name: 'gradients',
  summary: 'measure gradient norms through time (vanishing and exploding gradients)',
  description:
    'Prints ||dL/dh(t)|| at every step t for L = sum of the last output, ratio = norm at the first step / norm at the last, ' +
    'and the spectral radius rho(J(t)) of the recurrent Jacobian J(t) = ds(t)/ds(t-1) of the whole state s (h; an LSTM\'s [h; c]) ' +
    'along the same sequence. JSON keys: cell, length, norms (T values), ratio, jacobianSpectralRadius (T values, entry t at s(t-1) and x(t)). ' +
    'Radii below 1 mean each step shrinks the gradient flowing back through it (vanishing); above 1 it can grow (exploding).',
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
    // The whole state, not just h: an LSTM carries its gradient back through c.
    const radii = jacobianSpectrum(cell, xs, null).spectralRadii;
    const report = createReporter(io, { json: flags.json, command: 'gradients' });
    const every = Math.max(1, Math.floor(flags.length / 10));
    const lines = [`${flags.cell}, T=${flags.length}, H=${flags.hidden}: ||dL/dh(t)|| for a loss on the last output`];
    for (let t = 0; t < norms.length; t += every) lines.push(`  t=${String(t).padStart(4)}  ${(norms[t] as number).toExponential(3)}`);
    lines.push(`  t=${String(norms.length - 1).padStart(4)}  ${(norms[norms.length - 1] as number).toExponential(3)}`);
    lines.push(`ratio first/last = ${ratio.toExponential(3)}${ratio < 1e-3 ? ' (vanishing)' : ''}`);
    const mean = radii.reduce((a, b) => a + b, 0) / radii.length;
    lines.push(`spectral radius of ds(t)/ds(t-1): mean ${mean.toFixed(3)}, min ${Math.min(...radii).toFixed(3)}, max ${Math.max(...radii).toFixed(3)}`);
    report.result({ cell: flags.cell, length: flags.length, norms, ratio, jacobianSpectralRadius: radii }, lines);
    return 0;
  },
});
