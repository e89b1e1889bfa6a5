import { gemm, gemmBackend, gemmReady, kernelThreads, kernelThreadsReady, setGemmBackend, setKernelThreads, wasmKernelVariant } from '../kernels/index.js';
import { loadTfjs, tfjsWasmFlavour, type Tfjs, type TfjsBackend } from './peers.js';
import { findTorchPython, runChild, torchChild } from './subprocess.js';
import { defaultTiming, timeInterleaved, type TimingOptions, type TimingSubject } from './timing.js';
import type { Workload } from './workload.js';

/**
 * The implementations the gemm benchmark knows. `unfold` is the default configuration (the
 * WebAssembly kernel on every kernel thread), `unfold-1thread` the same kernel on one thread,
 * `unfold-js` the JavaScript kernel; `torch` is PyTorch's mm with OpenBLAS (two threads).
 */
export type GemmImpl = 'unfold' | 'unfold-1thread' | 'unfold-js' | 'tfjs-wasm' | 'tfjs-cpu' | 'torch';

/** What {@link gemmWorkload} measures. */
export interface GemmBenchOptions {
  /** Square sizes n: C[n x n] = A[n x n] B[n x n]. */
  readonly sizes?: readonly number[];
  readonly impls?: readonly GemmImpl[];
  readonly timing?: TimingOptions;
}

const defaultSizes = [128, 256, 512, 1024] as const;
const allImpls: readonly GemmImpl[] = ['unfold', 'unfold-1thread', 'unfold-js', 'tfjs-wasm', 'tfjs-cpu', 'torch'];

interface Subject extends TimingSubject {
  readonly impl: GemmImpl;
  readonly n: number;
  readonly detail?: Record<string, string>;
  dispose?(): void;
}

/**
 * The gemm benchmark: float32 C = A B for square n x n matrices, in GFLOP/s
 *
 *     GFLOP/s = 2 n^3 / (seconds per call) / 1e9
 *
 * counting one multiply and one add per inner-product term. Each figure is the best of
 * several batched samples after warm-up, sampled round-robin across implementations (see
 * timeInterleaved). unfold's figure includes copying A and B into and C out of WebAssembly
 * memory; tfjs's includes reading C back with dataSync(). tfjs runs single-threaded (its
 * threaded XNNPACK build needs cross-origin isolation); unfold is measured both ways; PyTorch
 * runs in its own process (bench/torch_rnn.py), so its samples are not interleaved.
 *
 * @example
 * ```ts
 * const w = gemmWorkload({ sizes: [256], impls: ['unfold', 'tfjs-wasm'] });
 * await w.run({ record: (r) => console.log(r.impl, r.value), note: console.log });
 * ```
 */
export function gemmWorkload(options: GemmBenchOptions = {}): Workload {
  const sizes = options.sizes ?? defaultSizes;
  const impls = options.impls ?? allImpls;
  const timing = options.timing ?? defaultTiming;
  return {
    name: 'gemm',
    title: 'gemm: float32 C = A B, square n x n; GFLOP/s = 2n^3 / time, best of interleaved runs (higher is better)',
    async run(report) {
      const subjects: Subject[] = [];
      for (const impl of impls) {
        const made = await makeSubjects(impl, sizes);
        if (typeof made === 'string') report.note(made);
        else subjects.push(...made);
      }
      const torch = impls.includes('torch') ? await torchGemm(sizes) : undefined;
      if (typeof torch === 'string') report.note(torch);
      try {
        for (const n of sizes) {
          const row = subjects.filter((s) => s.n === n);
          const timings = await timeInterleaved(row, timing);
          for (const [i, s] of row.entries()) {
            const t = timings[i];
            if (t === undefined) continue;
            const base = {
              bench: 'gemm', params: { n }, impl: s.impl, metric: 'gflops',
              value: (2 * n ** 3) / (t.msPerCall * 1e6), unit: 'GFLOP/s', higherIsBetter: true,
            };
            report.record(s.detail === undefined ? base : { ...base, detail: s.detail });
          }
          const t = typeof torch === 'object' ? torch.values[String(n)] : undefined;
          if (t !== undefined) report.record({ bench: 'gemm', params: { n }, impl: 'torch', metric: 'gflops', value: t, unit: 'GFLOP/s', higherIsBetter: true });
        }
      } finally {
        for (const s of subjects) s.dispose?.();
        setGemmBackend('auto');
        setKernelThreads('auto');
      }
      if (typeof torch === 'object') report.note(`torch: ${torch.detail}, own process`);
      const wasmPeer = impls.includes('tfjs-wasm') ? await loadTfjs('wasm') : undefined;
      if (wasmPeer?.ok === true) {
        report.note(`tfjs-wasm is @tensorflow/tfjs-backend-wasm ${wasmPeer.lib.version_core} (XNNPACK; ${tfjsWasmFlavour(wasmPeer.lib)})`);
      }
    },
  };
}

// Subjects for one implementation at every size, or a note saying why it is skipped.
async function makeSubjects(impl: GemmImpl, sizes: readonly number[]): Promise<Subject[] | string> {
  switch (impl) {
    case 'unfold':
    case 'unfold-1thread':
    case 'unfold-js': {
      await gemmReady();
      const setting = impl === 'unfold-js' ? 'js' : 'auto';
      const threads = impl === 'unfold' ? 'auto' : 1;
      setGemmBackend(setting);
      setKernelThreads(threads);
      await kernelThreadsReady();
      const backend = gemmBackend();
      const detail = impl === 'unfold-js' ? { backend } : { backend, build: wasmKernelVariant() ?? 'none', threads: String(kernelThreads()) };
      setKernelThreads('auto');
      return sizes.map((n) => {
        const a = randomMatrix(n, 1), b = randomMatrix(n, 2), c = new Float32Array(n * n);
        return {
          impl, n, detail,
          prepare: () => {
            setGemmBackend(setting);
            setKernelThreads(threads);
          },
          call: () => gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, c, 0, n),
        };
      });
    }
    case 'torch':
      return [];
    case 'tfjs-wasm':
    case 'tfjs-cpu': {
      const backend: TfjsBackend = impl === 'tfjs-wasm' ? 'wasm' : 'cpu';
      const peer = await loadTfjs(backend);
      if (!peer.ok) return `${impl} skipped: ${peer.reason}`;
      const tf: Tfjs = peer.lib;
      return sizes.map((n) => {
        // Created while `backend` is active, so the data lives there; prepare() switches
        // back before each sample so matMul never migrates it.
        const a = tf.tensor2d(randomMatrix(n, 1), [n, n]), b = tf.tensor2d(randomMatrix(n, 2), [n, n]);
        return {
          impl, n,
          prepare: async () => { if (tf.getBackend() !== backend) await tf.setBackend(backend); },
          call: () => {
            const c = tf.matMul(a, b);
            c.dataSync();
            c.dispose();
          },
          dispose: () => { a.dispose(); b.dispose(); },
        };
      });
    }
  }
}

// PyTorch's figures from its own process, or why there are none.
async function torchGemm(sizes: readonly number[]): Promise<{ values: Readonly<Record<string, number>>; detail: string } | string> {
  const found = await findTorchPython();
  if ('reason' in found) return `torch skipped: ${found.reason}`;
  const r = await runChild(torchChild(found.python, ['gemm', ...sizes.map(String)]));
  if (!r.ok) return `torch skipped: ${r.reason}`;
  return { values: r.values ?? {}, detail: Object.entries(r.detail ?? {}).map(([k, v]) => `${k} ${v}`).join(', ') };
}

// Values in [-1, 1) from a fixed-seed LCG: the same inputs for every implementation, with no
// denormals or infinities to trip a slow path.
function randomMatrix(n: number, seed: number): Float32Array {
  const x = new Float32Array(n * n);
  let s = seed >>> 0;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    x[i] = s / 2 ** 31 - 1;
  }
  return x;
}
