import { backward } from '../autograd/index.js';
import { gemmBackend, gemmReady, kernelThreadsReady, sequenceKernelPath, wasmKernelVariant } from '../kernels/index.js';
import { LanguageModel } from '../models/index.js';
import { crossEntropy } from '../ops/index.js';
import { Adam } from '../optim/index.js';
import { Rng, Tensor } from '../tensor/index.js';
import { brainJsVersion, loadBrain, loadTfjsLayers, tfjsWasmFlavour, type TfjsBackend } from './peers.js';
import { findTorchPython, nodeChild, peakRssMb, runChild, torchChild, type ChildReport } from './subprocess.js';
import { timeRepeated, type RepeatOptions } from './timing.js';
import type { BenchReporter, Workload } from './workload.js';

/** The recurrent cells the training benchmarks cover: lstm-train, gru-train, rnn-train. */
export type TrainKind = 'lstm' | 'gru' | 'rnn';

/** Implementations of the recurrent workloads, each run in a child process of its own. */
export const RECURRENT_IMPLS = ['unfold', 'tfjs-wasm', 'tfjs-cpu', 'brainjs', 'torch'] as const;
export type RecurrentImpl = (typeof RECURRENT_IMPLS)[number];

/** The issue's reference workload: a character-level language model. */
export const TRAIN_SPEC = { vocab: 65, embedding: 64, hidden: 256, batch: 32, steps: 64, lr: 1e-3 } as const;

const TITLES: Record<TrainKind, string> = {
  lstm: 'LSTM',
  gru: 'GRU',
  rnn: 'Elman RNN (tanh)',
};

/**
 * A training benchmark (`lstm-train`, `gru-train`, `rnn-train`): one optimisation step of a
 * character-level language model on a batch of 32 sequences of 64 symbols over a vocabulary
 * of 65 (embedding 64, or one-hot where the peer cannot train an embedding), one recurrent
 * layer of 256, a linear head, softmax cross-entropy at every step, full back-propagation
 * through time and Adam, in
 *
 *     tokens/s = 32 * 64 / (seconds per step, best of the timed steps)
 *
 * and the child process's peak resident memory. brain.js trains one sequence at a time with
 * its own RMSProp-style rule (it has no batches and no Adam): its figure is 64 / (seconds per
 * sequence).
 *
 * @example
 * ```ts
 * await trainWorkload('lstm').run({ record: (r) => console.log(r), note: console.log });
 * ```
 */
export function trainWorkload(kind: TrainKind, impls: readonly RecurrentImpl[] = RECURRENT_IMPLS): Workload {
  const name = `${kind}-train`;
  return {
    name,
    title: `${name}: ${TITLES[kind]} language model, vocab 65, hidden 256, batch 32 x 64 steps, cross-entropy, BPTT, Adam; `
      + 'tokens/s (best step) and peak RSS, each implementation in its own process (higher tokens/s, lower MiB are better)',
    async run(report) {
      for (const impl of impls) {
        const r = await measure(kind, impl);
        recordChild(report, name, impl, r, 'tokensPerSec', true);
      }
    },
  };
}

async function measure(kind: TrainKind, impl: RecurrentImpl): Promise<ChildReport> {
  if (impl !== 'torch') return runChild(nodeChild(`${kind}-train`, impl));
  const found = await findTorchPython();
  if ('reason' in found) return { ok: false, reason: found.reason };
  return runChild(torchChild(found.python, ['train', kind]));
}

/**
 * Records a child's figure and its peak memory, or notes why the implementation was skipped.
 * The path that ran (backend, threads) goes into a note.
 *
 * @example
 * ```ts
 * recordChild(report, 'lstm-train', 'unfold', await runChild(nodeChild('lstm-train', 'unfold')), 'tokensPerSec', true);
 * ```
 */
export function recordChild(report: BenchReporter, bench: string, impl: string, r: ChildReport, metric: string, higherIsBetter: boolean): void {
  if (!r.ok) {
    report.note(`${impl} skipped: ${r.reason}`);
    return;
  }
  const described = Object.entries(r.detail ?? {}).map(([k, v]) => `${k} ${v}`).join(', ');
  const reps = r.reps ?? r.iterations;
  report.note(`${impl}: ${described}${reps === undefined ? '' : `; best of ${reps} timed runs`}`);
  report.record({ bench, params: {}, impl, metric, value: r.value ?? NaN, unit: r.unit, higherIsBetter });
  report.record({ bench, params: {}, impl, metric: 'peakRssMb', value: r.peakRssMb, unit: 'MiB', higherIsBetter: false });
}

// Child side: runs inside `node child.js <kind>-train <impl>`.

// Slow peers get few steps (a tfjs-cpu LSTM step takes several seconds); the best of them is
// still the figure, and the median shows the spread.
const UNFOLD_REPS: RepeatOptions = { warmup: 3, minReps: 5, maxReps: 30, budgetMs: 6000 };
const TFJS_REPS: RepeatOptions = { warmup: 1, minReps: 2, maxReps: 5, budgetMs: 10_000 };
// tfjs-cpu's LSTM and GRU steps take 10-30 s each on the reference machine: one warm-up, one timed.
const TFJS_CPU_REPS: RepeatOptions = { warmup: 1, minReps: 1, maxReps: 2, budgetMs: 0 };
const BRAIN_REPS: RepeatOptions = { warmup: 1, minReps: 3, maxReps: 10, budgetMs: 4000 };

/**
 * Measures one implementation of a training benchmark in this process and returns the
 * child's report (printed by child.ts).
 *
 * @example
 * ```ts
 * console.log(JSON.stringify(await runTrainChild('lstm', 'unfold')));
 * ```
 */
export async function runTrainChild(kind: TrainKind, impl: RecurrentImpl): Promise<ChildReport> {
  switch (impl) {
    case 'unfold': return trainUnfold(kind);
    case 'tfjs-wasm': return trainTfjs(kind, 'wasm');
    case 'tfjs-cpu': return trainTfjs(kind, 'cpu');
    case 'brainjs': return trainBrain(kind);
    case 'torch': return { ok: false, reason: 'torch runs from bench/torch_rnn.py, not a Node child' };
  }
}

/** Random symbol ids in [0, vocab), the same for every implementation. */
export function symbols(n: number, seed: number, vocab: number = TRAIN_SPEC.vocab): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => Math.min(vocab - 1, Math.floor(rng.uniform() * vocab)));
}

async function trainUnfold(kind: TrainKind): Promise<ChildReport> {
  await gemmReady();
  // The default configuration, with its worker threads up before the timing starts.
  const threads = await kernelThreadsReady();
  const { vocab, embedding, hidden, batch, steps, lr } = TRAIN_SPEC;
  const model = new LanguageModel({ vocabSize: vocab, cell: kind, hidden, layers: 1, embedding, dropout: 0 }, new Rng(1));
  const optimizer = new Adam(model, { lr });
  const tokens = new Tensor(symbols(batch * steps, 2), [batch, steps]);
  const targets = new Tensor(symbols(batch * steps, 3), [batch, steps]);
  // The same step as LMTrainer.step, without its data batching and clipping.
  const step = (): number => {
    const { logits } = model.forward(tokens);
    const loss = crossEntropy(logits, targets);
    backward(loss);
    optimizer.step();
    optimizer.zeroGrad();
    return loss.item();
  };
  const t = await timeRepeated(step, UNFOLD_REPS);
  return {
    ok: true, value: (batch * steps) / (t.bestMs / 1000), unit: 'tokens/s', reps: t.reps, peakRssMb: peakRssMb(),
    detail: {
      gemm: gemmBackend(), build: wasmKernelVariant() ?? 'none', kernels: sequenceKernelPath(), threads: String(threads),
      median: `${((batch * steps) / (t.medianMs / 1000)).toFixed(0)} tokens/s`,
    },
  };
}

async function trainTfjs(kind: TrainKind, backend: TfjsBackend): Promise<ChildReport> {
  const peer = await loadTfjsLayers(backend);
  if (!peer.ok) return peer;
  const tf = peer.lib;
  const { vocab, hidden, batch, steps, lr } = TRAIN_SPEC;
  const layer = kind === 'lstm' ? tf.layers.lstm : kind === 'gru' ? tf.layers.gru : tf.layers.simpleRNN;
  const model = tf.sequential();
  // One-hot input: tfjs's Embedding gradient (UnsortedSegmentSum) has no wasm kernel.
  // GRU with resetAfter matches PyTorch's and unfold's default formulation.
  // The orthogonal recurrent initialiser (tfjs's default) runs a QR decomposition in JS that
  // takes minutes on the cpu backend; the step's speed does not depend on the values.
  // tfjs's GRU has only the reset-before form (resetAfter: true throws), a few more flops
  // per step than PyTorch's and unfold's reset-after.
  model.add(layer({ units: hidden, returnSequences: true, inputShape: [steps, vocab], recurrentInitializer: 'glorotUniform' }));
  model.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: vocab, activation: 'softmax' }) }));
  model.compile({ optimizer: tf.train.adam(lr), loss: 'sparseCategoricalCrossentropy' });
  const x = tf.tidy(() => tf.oneHot(tf.tensor2d(symbols(batch * steps, 2), [batch, steps], 'int32'), vocab).toFloat());
  const y = tf.tensor3d(symbols(batch * steps, 3), [batch, steps, 1]);
  const t = await timeRepeated(() => model.trainOnBatch(x, y), backend === 'cpu' && kind !== 'rnn' ? TFJS_CPU_REPS : TFJS_REPS);
  return {
    ok: true, value: (batch * steps) / (t.bestMs / 1000), unit: 'tokens/s', reps: t.reps, peakRssMb: peakRssMb(),
    detail: {
      tfjs: `${tf.version_core}${backend === 'wasm' ? ` (${tfjsWasmFlavour(tf)})` : ''}`,
      input: 'one-hot',
      ...(kind === 'gru' ? { gru: 'reset before (its only form)' } : {}),
    },
  };
}

async function trainBrain(kind: TrainKind): Promise<ChildReport> {
  const peer = await loadBrain();
  if (!peer.ok) return peer;
  const { vocab, embedding, hidden, steps } = TRAIN_SPEC;
  const Net = peer.lib.recurrent[kind === 'lstm' ? 'LSTM' : kind === 'gru' ? 'GRU' : 'RNN'];
  // brain.js looks each symbol up in its own input table (an embedding of inputSize).
  const net = new Net({ inputSize: embedding, inputRange: vocab, hiddenLayers: [hidden], outputSize: vocab });
  net.initialize();
  const sequence = Array.from(symbols(steps, 2));
  const t = await timeRepeated(() => net.trainPattern(sequence), BRAIN_REPS);
  return {
    ok: true, value: steps / (t.bestMs / 1000), unit: 'tokens/s', reps: t.reps, peakRssMb: peakRssMb(),
    detail: { 'brain.js': brainJsVersion(), batch: '1 sequence', optimizer: 'its RMSProp-style rule', ...(kind === 'rnn' ? { activation: 'relu (its only one)' } : {}) },
  };
}
