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
