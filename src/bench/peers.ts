import { createRequire } from 'node:module';
import { dirname } from 'node:path';

/** The tfjs-core namespace, as the peers' benchmarks use it. */
export type Tfjs = typeof import('@tensorflow/tfjs-core');

/** A loaded peer, or why it could not be loaded (benchmarks skip it with that note). */
export type PeerLoad<T> = { readonly ok: true; readonly lib: T } | { readonly ok: false; readonly reason: string };

/** The tfjs backends unfold is compared with: XNNPACK on WebAssembly SIMD, and plain JS. */
export type TfjsBackend = 'wasm' | 'cpu';

let core: Promise<Tfjs> | undefined;
const registered = new Map<TfjsBackend, Promise<void>>();

/**
 * Loads tfjs-core with one backend registered and active, single-threaded. The peers are
 * devDependencies and imported on demand, so `unfold bench` works (skipping them) when they
 * are not installed.
 *
 * @example
 * ```ts
 * const peer = await loadTfjs('wasm');
 * if (peer.ok) peer.lib.matMul(peer.lib.ones([2, 2]), peer.lib.ones([2, 2])).print();
 * ```
 */
export async function loadTfjs(backend: TfjsBackend): Promise<PeerLoad<Tfjs>> {
  try {
    core ??= import('@tensorflow/tfjs-core').then((tf) => {
      // PROD silences the "use tfjs-node" banner and skips debug-only checks in the timed loop.
      tf.env().set('PROD', true);
      return tf;
    });
    const tf = await core;
    let ready = registered.get(backend);
    if (ready === undefined) {
      ready = backend === 'wasm' ? registerWasm() : import('@tensorflow/tfjs-backend-cpu').then(() => undefined);
      registered.set(backend, ready);
    }
    await ready;
    if (!(await tf.setBackend(backend))) return { ok: false, reason: `tfjs could not initialise its '${backend}' backend` };
    await tf.ready();
    return { ok: true, lib: tf };
  } catch (e) {
    const pkg = backend === 'wasm' ? '@tensorflow/tfjs-backend-wasm' : '@tensorflow/tfjs-backend-cpu';
    return { ok: false, reason: `could not load @tensorflow/tfjs-core and ${pkg} (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` };
  }
}

async function registerWasm(): Promise<void> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the backend reads its .wasm files from disk; by default it looks beside the
  // calling script, so point it at the package's own dist/ (a path prefix, trailing slash).
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  // The single-threaded figure. (In Node tfjs also finds no cross-origin-isolated
  // SharedArrayBuffer and would pick its non-threaded SIMD binary anyway.)
  wasm.setThreadsCount(1);
}

/**
 * Short description of the tfjs wasm backend's build that ran: SIMD and threads on or off.
 *
 * @example
 * ```ts
 * tfjsWasmFlavour(tf); // 'simd, 1 thread'
 * ```
 */
export function tfjsWasmFlavour(tf: Tfjs): string {
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const threads = tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT');
  return `${simd ? 'simd' : 'no simd'}, ${threads ? 'threads available, 1 used' : '1 thread'}`;
}

/** The whole tfjs namespace (core ops, layers, optimizers), as the recurrent benchmarks use it. */
export type TfjsLayers = typeof import('@tensorflow/tfjs');

/**
 * Loads `@tensorflow/tfjs` (core + layers) with one backend active, single-threaded, for the
 * recurrent workloads: tfjs-layers' LSTM/GRU/SimpleRNN need the chained ops and optimizers
 * that the umbrella package installs. The backend is registered as by {@link loadTfjs}.
 *
 * @example
 * ```ts
 * const peer = await loadTfjsLayers('cpu');
 * if (peer.ok) peer.lib.sequential();
 * ```
 */
export async function loadTfjsLayers(backend: TfjsBackend): Promise<PeerLoad<TfjsLayers>> {
  const core = await loadTfjs(backend);
  if (!core.ok) return core;
  try {
    const tf = await import('@tensorflow/tfjs');
    // One tfjs-core instance serves both imports; make sure of it, or the layers would run
    // on a different engine than the backend just registered.
    if (tf.getBackend() !== backend) return { ok: false, reason: `@tensorflow/tfjs did not pick up the '${backend}' backend (two tfjs-core copies?)` };
    return { ok: true, lib: tf };
  } catch (e) {
    return { ok: false, reason: `could not load @tensorflow/tfjs (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` };
  }
}

/** The parts of brain.js's recurrent nets (1.6) the benchmarks drive, typed locally. */
export interface BrainRecurrentNet {
  initialize(): void;
  /** One training sequence of symbol ids: forward, backward through time, weight update. */
  trainPattern(input: readonly number[], logErrorRate?: boolean): number | undefined;
  bindEquation(): void;
  readonly model: { readonly equations: { runIndex(previous: number): { readonly weights: Float32Array } }[] };
}

/** brain.js's recurrent classes, each taking the options the benchmarks pass. */
export interface Brain {
  readonly recurrent: Readonly<Record<'LSTM' | 'GRU' | 'RNN', new (options: {
    inputSize: number; inputRange: number; hiddenLayers: number[]; outputSize: number;
  }) => BrainRecurrentNet>>;
}

/**
 * Loads brain.js (a devDependency; its optional GPU dependency may be absent, which the
 * recurrent nets do not need).
 *
 * @example
 * ```ts
 * const peer = await loadBrain();
 * if (peer.ok) new peer.lib.recurrent.LSTM({ inputSize: 64, inputRange: 65, hiddenLayers: [256], outputSize: 65 });
 * ```
 */
export async function loadBrain(): Promise<PeerLoad<Brain>> {
  try {
    const require = createRequire(import.meta.url);
    const lib = require('brain.js') as Brain;
    const version = (require('brain.js/package.json') as { version: string }).version;
    brainVersion = version;
    return { ok: true, lib };
  } catch (e) {
    return { ok: false, reason: `could not load brain.js (${e instanceof Error ? e.message.split('\n')[0] : String(e)})` };
  }
}

let brainVersion = '?';

/** The version of the brain.js that {@link loadBrain} loaded. @example `brainJsVersion() // '1.6.1'` */
export function brainJsVersion(): string {
  return brainVersion;
}
