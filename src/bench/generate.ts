import type { Tensor1D, Tensor2D } from '@tensorflow/tfjs';
import { gemmBackend, gemmReady, kernelThreadsReady, sequenceKernelPath } from '../kernels/index.js';
import { LanguageModel, generate } from '../models/index.js';
import { Rng } from '../tensor/index.js';
import { brainJsVersion, loadBrain, loadTfjsLayers, tfjsWasmFlavour, type TfjsBackend } from './peers.js';
import { findTorchPython, nodeChild, peakRssMb, runChild, torchChild, type ChildReport } from './subprocess.js';
import { timeRepeated, type RepeatOptions } from './timing.js';
import { RECURRENT_IMPLS, recordChild, type RecurrentImpl } from './train.js';
import type { Workload } from './workload.js';

/** The issue's generation workload: a character LSTM sampled one symbol at a time. */
export const GENERATE_SPEC = { vocab: 65, hidden: 512, steps: 1000 } as const;

/**
 * `lstm-generate`: autoregressive sampling from a character LSTM (one-hot input over a
 * vocabulary of 65, hidden 512, a linear layer to 65 logits, softmax, sampling of the next
 * symbol, fed back as the next input), batch 1, 1,000 steps with the state carried, in
 *
 *     microseconds per step = (seconds for 1,000 steps, best run) * 1e6 / 1,000
 *
 * and the child process's peak resident memory. Random weights: only speed is measured. Each
 * peer runs its fastest way of stepping: unfold `generate()` on a LanguageModel (embedding 65
 * in front of the LSTM: one more 65 x 65 lookup than one-hot), tfjs-core's basicLSTMCell +
 * matMul + multinomial (tfjs-layers' stateful predict() was 2-3x slower here), brain.js's LSTM
 * stepped as its own run() does, PyTorch's LSTMCell under no_grad.
 *
 * @example
 * ```ts
 * await generateWorkload().run({ record: (r) => console.log(r), note: console.log });
 * ```
 */
export function generateWorkload(impls: readonly RecurrentImpl[] = RECURRENT_IMPLS): Workload {
  return {
    name: 'lstm-generate',
    title: 'lstm-generate: LSTM 512 over one-hot 65, linear + softmax + sampling, batch 1, 1,000 steps; '
      + 'microseconds per step (best run) and peak RSS, each implementation in its own process (lower is better)',
    async run(report) {
      for (const impl of impls) {
        let r: ChildReport;
        if (impl === 'torch') {
          const found = await findTorchPython();
          r = 'reason' in found ? { ok: false, reason: found.reason } : await runChild(torchChild(found.python, ['generate']));
        } else {
          r = await runChild(nodeChild('lstm-generate', impl));
        }
        recordChild(report, 'lstm-generate', impl, r, 'usPerStep', false);
      }
    },
  };
}

// Child side: runs inside `node child.js lstm-generate <impl>`.

const REPS: RepeatOptions = { warmup: 1, minReps: 3, maxReps: 10, budgetMs: 5000 };
const SLOW_REPS: RepeatOptions = { warmup: 1, minReps: 2, maxReps: 4, budgetMs: 8000 };

/**
 * Measures one implementation of lstm-generate in this process (printed by child.ts).
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(await runGenerateChild('unfold')));
 * ```
 */
export async function runGenerateChild(impl: RecurrentImpl): Promise<ChildReport> {
  switch (impl) {
    case 'unfold': return generateUnfold();
    case 'tfjs-wasm': return generateTfjs('wasm');
    case 'tfjs-cpu': return generateTfjs('cpu');
    case 'brainjs': return generateBrain();
    case 'torch': return { ok: false, reason: 'torch runs from bench/torch_rnn.py, not a Node child' };
  }
}

function report(t: { bestMs: number; medianMs: number; reps: number }, detail: Record<string, string>): ChildReport {
  const { steps } = GENERATE_SPEC;
  return {
    ok: true, value: (t.bestMs * 1000) / steps, unit: 'us/step', reps: t.reps, peakRssMb: peakRssMb(),
    detail: { ...detail, median: `${((t.medianMs * 1000) / steps).toFixed(0)} us/step` },
  };
}

async function generateUnfold(): Promise<ChildReport> {
  await gemmReady();
  const threads = await kernelThreadsReady();
  const { vocab, hidden, steps } = GENERATE_SPEC;
  const model = new LanguageModel({ vocabSize: vocab, cell: 'lstm', hidden, layers: 1, embedding: vocab, dropout: 0 }, new Rng(1));
  const rng = new Rng(2);
  // The prime is one symbol, so the call is the prime's step plus 999 generated ones.
  const t = await timeRepeated(() => generate(model, [0], steps, { temperature: 1 }, rng), REPS);
  return report(t, { gemm: gemmBackend(), kernels: sequenceKernelPath(), threads: String(threads) });
}

async function generateTfjs(backend: TfjsBackend): Promise<ChildReport> {
  const peer = await loadTfjsLayers(backend);
  if (!peer.ok) return peer;
  const tf = peer.lib;
  const { vocab, hidden, steps } = GENERATE_SPEC;
  // basicLSTMCell multiplies [x, h] by one [I + H, 4H] kernel; random weights, the speed is the same.
  const kernel = tf.randomNormal([vocab + hidden, 4 * hidden], 0, 0.05) as Tensor2D;
  const bias = tf.zeros([4 * hidden]) as Tensor1D;
  const wOut = tf.randomNormal([hidden, vocab], 0, 0.05) as Tensor2D;
  const bOut = tf.zeros([vocab]) as Tensor1D;
  const oneHot = tf.tidy(() => tf.unstack(tf.oneHot(tf.range(0, vocab, 1, 'int32'), vocab).toFloat().reshape([vocab, 1, vocab]))) as Tensor2D[];
  const run = (): void => {
    let c = tf.zeros([1, hidden]) as Tensor2D;
    let h = tf.zeros([1, hidden]) as Tensor2D;
    let symbol = 0;
    for (let i = 0; i < steps; i++) {
      const [c2, h2, next] = tf.tidy(() => {
        const [cc, hh] = tf.basicLSTMCell(1, kernel, bias, oneHot[symbol] as Tensor2D, c, h);
        return [cc, hh, tf.multinomial(tf.add(tf.matMul(hh, wOut), bOut) as Tensor2D, 1)];
      });
      c.dispose();
      h.dispose();
      c = c2 as Tensor2D;
      h = h2 as Tensor2D;
      symbol = next.dataSync()[0] as number;
      next.dispose();
    }
    c.dispose();
    h.dispose();
  };
  const t = await timeRepeated(run, backend === 'cpu' ? SLOW_REPS : REPS);
  return report(t, { tfjs: `${tf.version_core}${backend === 'wasm' ? ` (${tfjsWasmFlavour(tf)})` : ''}`, step: 'basicLSTMCell + matMul + multinomial' });
}

async function generateBrain(): Promise<ChildReport> {
  const peer = await loadBrain();
  if (!peer.ok) return peer;
  const { vocab, hidden, steps } = GENERATE_SPEC;
  const net = new peer.lib.recurrent.LSTM({ inputSize: vocab, inputRange: vocab, hiddenLayers: [hidden], outputSize: vocab });
  net.initialize();
  const rng = new Rng(3);
  // brain.js's run() loop (one bound equation per step, state carried through them), minus its
  // stop at the end-of-text symbol: softmax over the output row, then sample.
  const run = (): void => {
    let previous = 0;
    for (let i = 0; i < steps; i++) {
      while (net.model.equations.length <= i) net.bindEquation();
      const out = (net.model.equations[i] as { runIndex(p: number): { weights: Float32Array } }).runIndex(previous).weights;
      let max = -Infinity;
      for (let k = 0; k < out.length; k++) max = Math.max(max, out[k] as number);
      let total = 0;
      for (let k = 0; k < out.length; k++) total += Math.exp((out[k] as number) - max);
      let u = rng.uniform() * total;
      let next = out.length - 1;
      for (let k = 0; k < out.length; k++) {
        u -= Math.exp((out[k] as number) - max);
        if (u < 0) {
          next = k;
          break;
        }
      }
      previous = next;
    }
  };
  const t = await timeRepeated(run, SLOW_REPS);
  return report(t, { 'brain.js': brainJsVersion(), input: 'its input table (one row per symbol)' });
}
