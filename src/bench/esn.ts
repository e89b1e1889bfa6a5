import { EchoStateNetwork, householderQrSolver, normalEquationsSolver } from '../models/esn/index.js';
import { Tensor } from '../tensor/index.js';
import { mackeyGlass } from '../train/esn/index.js';
import type { Workload } from './workload.js';

/** The reservoir sizes and training lengths the esn benchmark fits. */
export interface EsnBenchOptions {
  readonly sizes?: readonly { readonly units: number; readonly steps: number }[];
  /** Repetitions per size; the best is reported (default 3). */
  readonly repeats?: number;
}

const defaultSizes = [{ units: 100, steps: 2000 }, { units: 1000, steps: 5000 }] as const;

/**
 * The echo state network benchmark: the wall-clock seconds to fit a leaky ESN (10 %
 * connectivity, spectral radius 1.25, leak 0.3, dense input, readout on [u; x]) to
 * one-step-ahead Mackey-Glass, by phase:
 *
 * - build: draw the sparse W and scale it to its spectral radius (Arnoldi estimate);
 * - run: drive the reservoir through all steps (one sparse mat-vec per step);
 * - ridge: centred normal equations by gemm + Cholesky, in float64;
 * - total: the three together, what `EchoStateNetwork.fit` costs from scratch;
 * - ridge-qr: the Householder QR solver instead, for comparison.
 *
 * Best of `repeats` runs per size. No peer runs in this process (reservoirpy is Python).
 *
 * @example
 * ```ts
 * await esnWorkload({ sizes: [{ units: 100, steps: 1000 }], repeats: 1 }).run({ record: console.log, note: console.log });
 * ```
 */
export function esnWorkload(options: EsnBenchOptions = {}): Workload {
  const sizes = options.sizes ?? defaultSizes;
  const repeats = options.repeats ?? 3;
  return {
    name: 'esn',
    title: 'esn: fit a leaky ESN (float64 ridge readout) to one-step Mackey-Glass; seconds per phase, best of runs (lower is better)',
    async run(report) {
      for (const { units, steps } of sizes) {
        const x = mackeyGlass({ length: steps + 1 });
        const inputs = new Tensor(Float64Array.from(x.subarray(0, steps)), [steps, 1]);
        const targets = Float64Array.from(x.subarray(1));
        const washout = Math.min(100, steps - 1);
        const best = { build: Infinity, run: Infinity, ridge: Infinity, total: Infinity, 'ridge-qr': Infinity };
        for (let r = 0; r < repeats; r++) {
          let t = performance.now();
          const esn = new EchoStateNetwork({ reservoir: { units, inputSize: 1, spectralRadius: 1.25, leak: 0.3, seed: r }, outputSize: 1, ridge: 1e-5 });
          const build = (performance.now() - t) / 1000;
          t = performance.now();
          const states = esn.reservoir.run(inputs).data as Float64Array;
          const run = (performance.now() - t) / 1000;
          const f = units + 1;
          const z = new Float64Array(steps * f);
          for (let s = 0; s < steps; s++) {
            z[s * f] = x[s] as number;
            z.set(states.subarray(s * units, (s + 1) * units), s * f + 1);
          }
          t = performance.now();
          normalEquationsSolver(z, targets, washout, steps - washout, f, 1, 1e-5);
          const ridge = (performance.now() - t) / 1000;
          best.build = Math.min(best.build, build);
          best.run = Math.min(best.run, run);
          best.ridge = Math.min(best.ridge, ridge);
          best.total = Math.min(best.total, build + run + ridge);
          if (r === 0) {
            t = performance.now();
            householderQrSolver(z, targets, washout, steps - washout, f, 1, 1e-5);
            best['ridge-qr'] = (performance.now() - t) / 1000;
          }
          // Let the event loop breathe between heavy runs (progress output, signals).
          await new Promise((resolve) => setTimeout(resolve, 0));
        }
        for (const [phase, seconds] of Object.entries(best)) {
          report.record({ bench: 'esn', params: { units, steps, phase }, impl: 'unfold', metric: 'seconds', value: seconds, unit: 's', higherIsBetter: false });
        }
      }
      report.note('esn: reservoirpy (Python) is not run here; its quick-start fit (100 units, 1599 steps) is the reference for the one-step protocol (unfold esn).');
    },
  };
}
