import { wasmKernels, type KernelExports, type WasmKernels } from './wasm-module.js';

// Worker threads for the WebAssembly kernels. Each worker instantiates the same kernel
// module on the same SHARED memory and waits (a bounded spin, then blocked in Atomics.wait)
// on a control block in that memory; a job is an export name and numeric arguments (byte
// addresses and sizes), so dispatching one copies nothing. The kernels split work so that
// threads never synchronise inside a loop: a recurrence by batch rows (rows never interact,
// so each thread runs the whole time loop on its rows), a gemm by rows of C, a tree fold
// level by its rows (a node never reads its siblings, and only its own children).
//
// Threads need a shared memory (SharedArrayBuffer: Node, or a cross-origin-isolated page) and
// a way to start a worker: `process.getBuiltinModule('node:worker_threads')` in Node
// (>= 20.16), `Worker` with a Blob URL in a browser. Anywhere else, or before the workers
// have started (it is asynchronous), everything runs on the calling thread, with the same
// results: each part computes its rows exactly as the single-threaded call would.

/** The kernel exports a worker may run (its job table). */
const JOBS = [
  'sgemm', 'lstmForwardLoop', 'lstmBackwardLoop', 'gruForwardLoop', 'gruBackwardLoop', 'rnnForwardLoop', 'rnnBackwardLoop', 'sgemv', 'sgemmPacked',
  'treeFoldLevelForward', 'treeFoldLevelBackward', 'childSumFoldLevelForward', 'childSumFoldLevelBackward', 'treeRnnFoldLevelForward', 'treeRnnFoldLevelBackward',
] as const satisfies readonly (keyof KernelExports)[];

/** A kernel export that can run on a worker thread. */
export type ThreadJob = (typeof JOBS)[number];

/** The thread count setting: a number (1 = no workers), or 'auto'. */
export type KernelThreadsSetting = number | 'auto';

// Control block per worker, in shared memory: [seq, job, argc, done, error, ready] as int32,
// then up to MAX_ARGS float64 arguments.
const CTL_SEQ = 0, CTL_JOB = 1, CTL_ARGC = 2, CTL_DONE = 3, CTL_ERROR = 4, CTL_READY = 5;
const CTL_INTS = 8;
const MAX_ARGS = 40;
const CTL_BYTES = CTL_INTS * 4 + MAX_ARGS * 8;

// Bounded spins before sleeping, in microseconds. A worker that has just finished a job polls
// for the next one this long before it blocks in Atomics.wait, and the caller polls for a
// worker's result this long before it blocks: a futex wake-up costs 60-75 us on this machine
// (a worker's start after the post) and 45-50 us (the caller's return after the worker's
// notify), and a fold posts its level jobs back to back. Measured on the batch-64 tree pass at
// 128 units (2 threads): the joins fell from about 1.35 to 0.6 ms a pass, the pass from
// 15.9-16.6 to 15.1-15.4 ms; with three busy processes on the 2 cores, 48.6-49.2 ms either way.
// Unbounded spinning was worse on a loaded machine (a spinning thread is preempted holding its
// slice: round trips of 350-460 us instead of 16-38 us), so the spins stop and sleep.
const WORKER_SPIN_US = 100;
const JOIN_SPIN_US = 200;

// The worker's whole program, as source so that it needs no file of its own (bundlers, CDNs):
// instantiate, then run jobs until told to stop (seq < 0). An exception is reported in the
// control block, never left to kill the worker while the caller waits.
const WORKER_SOURCE = `
const start = (m) => {
  const { exports } = new WebAssembly.Instance(m.module, { env: { memory: m.memory } });
  const ctl = new Int32Array(m.memory.buffer, m.control, ${CTL_INTS});
  const args = new Float64Array(m.memory.buffer, m.control + ${CTL_INTS * 4}, ${MAX_ARGS});
  const fns = m.jobs.map((name) => exports[name]);
  let seen = 0;
  // Ready, in shared memory: the caller sees it without its event loop turning (a
  // synchronous training loop never reads the 'ready' message).
  Atomics.store(ctl, ${CTL_READY}, 1);
  for (;;) {
    // A bounded spin for the next job, then sleep (see WORKER_SPIN_US).
    const until = performance.now() + ${WORKER_SPIN_US / 1000};
    while (Atomics.load(ctl, ${CTL_SEQ}) === seen && performance.now() < until);
    Atomics.wait(ctl, ${CTL_SEQ}, seen);
    const seq = Atomics.load(ctl, ${CTL_SEQ});
    if (seq === seen) continue;
    if (seq < 0) return;
    seen = seq;
    try {
      fns[ctl[${CTL_JOB}]](...args.subarray(0, ctl[${CTL_ARGC}]));
      ctl[${CTL_ERROR}] = 0;
    } catch (e) {
      ctl[${CTL_ERROR}] = 1;
    }
    Atomics.store(ctl, ${CTL_DONE}, seq);
    Atomics.notify(ctl, ${CTL_DONE});
  }
};
if (typeof self === 'undefined' || typeof self.postMessage !== 'function') {
  const { parentPort } = require('node:worker_threads');
  parentPort.once('message', (m) => { parentPort.postMessage('ready'); start(m); });
} else {
  self.onmessage = (e) => { self.postMessage('ready'); start(e.data); };
}
`;

interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): unknown;
}

interface WorkerSpawner {
  /** Starts the worker program; calls `onMessage` with its messages, `onError` if it fails. */
  spawn(onMessage: (data: unknown) => void, onError: () => void): WorkerHandle;
  /** Logical processors, to size 'auto'. */
  readonly cores: number;
}

type NodeWorkerThreads = {
  Worker: new (code: string, options: { eval: true }) => WorkerHandle & {
    on(event: string, f: (x: unknown) => void): void;
    unref(): void;
  };
};

// The platform's way to start a worker, or null. Node: worker_threads through
// process.getBuiltinModule (so the library core never imports a Node module). Browser: a Blob URL worker, only when the page
// is cross-origin isolated (else SharedArrayBuffer, and so shared wasm memory, is missing).
function findSpawner(): WorkerSpawner | null {
  const g = globalThis as {
    process?: { getBuiltinModule?: (name: string) => unknown };
    Worker?: new (url: string) => WorkerHandle & { onmessage: ((e: { data: unknown }) => void) | null; onerror: (() => void) | null };
    Blob?: new (parts: string[], options: { type: string }) => object;
    URL?: { createObjectURL?(blob: object): string };
    crossOriginIsolated?: boolean;
    navigator?: { hardwareConcurrency?: number };
  };
  const getBuiltin = g.process?.getBuiltinModule;
  if (typeof getBuiltin === 'function') {
    const wt = getBuiltin('node:worker_threads') as NodeWorkerThreads | undefined;
    const os = getBuiltin('node:os') as { availableParallelism?(): number; cpus(): unknown[] } | undefined;
    if (wt?.Worker === undefined) return null;
    return {
      cores: os?.availableParallelism?.() ?? os?.cpus().length ?? 1,
      spawn(onMessage, onError) {
        const worker = new wt.Worker(WORKER_SOURCE, { eval: true });
        // Referenced until it reports ready (so a caller awaiting kernelThreadsReady() keeps
        // the process alive), then unref'd: an idle worker must never keep a process alive.
        worker.on('message', (data) => {
          if (data === 'ready') worker.unref();
          onMessage(data);
        });
        worker.on('error', () => {
          worker.unref();
          onError();
        });
        return worker;
      },
    };
  }
  const { Worker, Blob, URL } = g;
  if (Worker !== undefined && Blob !== undefined && URL?.createObjectURL !== undefined && g.crossOriginIsolated === true) {
    const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }));
    return {
      cores: g.navigator?.hardwareConcurrency ?? 1,
      spawn(onMessage, onError) {
        const worker = new Worker(url);
        worker.onmessage = (e) => onMessage(e.data);
        worker.onerror = onError;
        return worker;
      },
    };
  }
  return null;
}

/** The gemm scratch of one thread: packed A, packed B and an edge tile, at byte addresses. */
export interface ThreadScratch {
  readonly packA: number;
  readonly packB: number;
  readonly tile: number;
}

class Pool {
  private readonly ready: boolean[] = [];
  private readonly handles: WorkerHandle[] = [];
  /** Worker threads (the calling thread not counted). */
  readonly size: number;
  private readonly controls: { at: number; ctl: Int32Array; args: Float64Array }[] = [];
  readonly scratch: ThreadScratch[] = [];
  private seq = 0;
  readonly started: Promise<number>;
  private failed = false;
  // Whether this thread may block in Atomics.wait (a browser's main thread may not: it spins).
  private readonly canBlock: boolean;

  constructor(private readonly kernels: WasmKernels, spawner: WorkerSpawner, workers: number) {
    this.size = workers;
    const e = kernels.exports;
    this.scratch.push({ packA: kernels.packA, packB: kernels.packB, tile: kernels.tile });
    const starts: Promise<void>[] = [];
    for (let i = 0; i < workers; i++) {
      const at = kernels.alloc(CTL_BYTES);
      // alloc does not clear: a recycled block's old bytes read as a job (or, negative, as
      // "stop") the moment the worker starts, and the first real post then waits forever.
      new Uint8Array(kernels.memory.buffer, at, CTL_BYTES).fill(0);
      this.controls.push({ at, ctl: new Int32Array(0), args: new Float64Array(0) });
      this.scratch.push({ packA: kernels.alloc(e.packABytes()), packB: kernels.alloc(e.packBBytes(1 << 30)), tile: kernels.alloc(e.tileBytes()) });
      this.ready.push(false);
      starts.push(new Promise<void>((resolve) => {
        const handle = spawner.spawn((data) => {
          if (data === 'ready') {
            this.ready[i] = true;
            resolve();
          }
        }, () => {
          this.failed = true;
          resolve();
        });
        this.handles.push(handle);
        handle.postMessage({ module: kernels.module, memory: kernels.memory, control: at, jobs: JOBS });
      }));
    }
    this.refreshViews();
    let canBlock = true;
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    } catch {
      canBlock = false;
    }
    this.canBlock = canBlock;
    this.started = Promise.all(starts).then(() => this.threads());
  }

  /** Tells every worker to finish (seq < 0) and terminates it; the pool is unusable after. */
  stop(): void {
    this.failed = true;
    this.refreshViews();
    for (const c of this.controls) {
      Atomics.store(c.ctl, CTL_SEQ, -1);
      Atomics.notify(c.ctl, CTL_SEQ);
    }
    for (const h of this.handles) void h.terminate();
  }

  /**
   * Threads that can take work now: this one plus the started workers, in order up to the
   * first that is still starting (none after a failure). A worker counts as started once it
   * has said so in its control block, so a caller that never yields to its event loop (a
   * synchronous training loop) gets the workers as soon as they are up, not only after the
   * 'ready' message is delivered.
   */
  threads(): number {
    if (this.failed) return 1;
    let n = 1;
    for (let i = 0; i < this.ready.length; i++) {
      if (!this.ready[i]) {
        this.refreshViews();
        if (Atomics.load((this.controls[i] as { ctl: Int32Array }).ctl, CTL_READY) === 1) this.ready[i] = true;
      }
      // Only the started workers before the first one still starting: runParts posts to
      // workers 0 .. parts - 2, and a post to one not yet up would wait for its start.
      if (!this.ready[i]) break;
      n++;
    }
    return n;
  }

  /** Runs `job(...args)` on worker `i`, returning at once; {@link join} waits for it. */
  post(i: number, job: ThreadJob, args: readonly number[]): void {
    if (args.length > MAX_ARGS) throw new Error(`kernel thread job ${job}: ${args.length} arguments, at most ${MAX_ARGS}`);
    this.refreshViews();
    const c = this.controls[i] as { ctl: Int32Array; args: Float64Array };
    c.ctl[CTL_JOB] = JOBS.indexOf(job);
    c.ctl[CTL_ARGC] = args.length;
    for (let k = 0; k < args.length; k++) c.args[k] = args[k] as number;
    this.seq = (this.seq + 1) & 0x3fffffff || 1;
    Atomics.store(c.ctl, CTL_SEQ, this.seq);
    Atomics.notify(c.ctl, CTL_SEQ);
  }

  /** Waits until worker `i` has finished the job posted last; throws if it failed. */
  join(i: number): void {
    const c = this.controls[i] as { ctl: Int32Array };
    const seq = Atomics.load(c.ctl, CTL_SEQ);
    // A bounded spin first (see JOIN_SPIN_US): the worker usually finishes within it.
    const until = performance.now() + JOIN_SPIN_US / 1000;
    while (Atomics.load(c.ctl, CTL_DONE) !== seq && performance.now() < until);
    for (;;) {
      const done = Atomics.load(c.ctl, CTL_DONE);
      if (done === seq) break;
      if (this.canBlock) Atomics.wait(c.ctl, CTL_DONE, done, 1000);
    }
    if (c.ctl[CTL_ERROR] !== 0) throw new Error('a kernel worker thread failed (out of memory, or a bug); run with setKernelThreads(1) to see it here');
  }

  // The control views sit at fixed addresses; re-create them when the memory's buffer object
  // changed (a shared memory keeps its old buffers valid, but re-reading keeps one rule).
  private refreshViews(): void {
    const buffer = this.kernels.memory.buffer;
    for (const c of this.controls) {
      if (c.ctl.buffer !== buffer) {
        c.ctl = new Int32Array(buffer, c.at, CTL_INTS);
        c.args = new Float64Array(buffer, c.at + CTL_INTS * 4, MAX_ARGS);
      }
    }
  }
}

let setting: KernelThreadsSetting = 'auto';
let pool: Pool | null | undefined;
let cores = 1;

// Threads 'auto' uses: every core up to 4 (only 2 were measured: docs/performance.md).
const AUTO_MAX = 4;

function wantedThreads(): number {
  const n = setting === 'auto' ? Math.min(AUTO_MAX, cores) : setting;
  return Math.max(1, Math.floor(n));
}

// The pool, started on first use with as many workers as the setting wants; a later setting
// that wants more replaces it, one that wants fewer just uses fewer of its workers.
function getPool(): Pool | null {
  if (pool !== undefined && (pool === null || pool.size + 1 >= wantedThreads())) return pool;
  const w = wasmKernels();
  if (w === undefined) return null; // A browser still compiling the kernels: try again later.
  const spawner = w.shared ? findSpawner() : null;
  if (spawner === null) {
    pool = null;
    return null;
  }
  cores = spawner.cores;
  const workers = wantedThreads() - 1;
  if (workers <= 0) return null;
  pool?.stop();
  pool = new Pool(w, spawner, workers);
  return pool;
}

/**
 * Sets how many threads the WebAssembly kernels may use: 1 (this thread only), a number, or
 * `'auto'` (the default: one per core, up to 4). Workers start in the background on first
 * use; until they are up, and wherever threads are unavailable (no SharedArrayBuffer, e.g. a
 * page that is not cross-origin isolated; no worker API), kernels run on the calling thread.
 * Results do not depend on the thread count.
 *
 * @example
 * ```ts
 * import { setKernelThreads, kernelThreadsReady } from 'unfold';
 * setKernelThreads(2);
 * await kernelThreadsReady(); // 2 where threads work, else 1
 * ```
 */
export function setKernelThreads(threads: KernelThreadsSetting): void {
  if (threads !== 'auto' && !(Number.isInteger(threads) && threads >= 1)) throw new RangeError(`setKernelThreads: expected a positive integer or 'auto', got ${threads}`);
  setting = threads;
}

/**
 * How many threads a large kernel call would use right now (1 while workers are starting or
 * when threads are unavailable).
 *
 * @example
 * ```ts
 * import { kernelThreads } from 'unfold';
 * console.log(kernelThreads()); // 2 on a 2-core Node machine once the worker is up
 * ```
 */
export function kernelThreads(): number {
  if (setting === 1) return 1;
  return Math.min(wantedThreads(), getPool()?.threads() ?? 1);
}

/**
 * Starts the kernel worker threads if they are not running and resolves with the thread count
 * that large kernel calls will then use.
 *
 * @example
 * ```ts
 * import { kernelThreadsReady } from 'unfold';
 * console.log(await kernelThreadsReady()); // 2
 * ```
 */
export async function kernelThreadsReady(): Promise<number> {
  if (setting === 1) return 1;
  const p = getPool();
  if (p === null) return 1;
  await p.started;
  return kernelThreads();
}

/**
 * The gemm scratch of thread `part` (0 is the calling thread), for jobs that pack operands.
 *
 * @example
 * ```ts
 * const { packA, tile } = threadScratch(0);
 * ```
 */
export function threadScratch(part: number): ThreadScratch {
  const p = pool;
  const s = p === undefined || p === null ? undefined : p.scratch[part];
  if (s !== undefined) return s;
  const w = wasmKernels();
  if (w === undefined || part !== 0) throw new Error(`threadScratch: no thread ${part}`);
  return { packA: w.packA, packB: w.packB, tile: w.tile };
}

/**
 * Runs kernel export `job` in `parts` parts: part p with the arguments `args(p)`, parts 1..n-1
 * on worker threads and part 0 on this thread, and returns when all are done. `parts` must
 * not exceed {@link kernelThreads}(). The parts must write disjoint memory.
 *
 * @example
 * ```ts
 * const parts = kernelThreads();
 * runParts('lstmForwardLoop', parts, (p) => [B, ...rowsOf(B, parts, p), T, H, 0, gates, hs, cs, tanhC, packed, bias, 0, threadScratch(p).packA, threadScratch(p).tile]);
 * ```
 */
export function runParts(job: ThreadJob, parts: number, args: (part: number) => number[]): void {
  const w = wasmKernels();
  if (w === undefined) throw new Error('runParts: the WebAssembly kernels are not loaded');
  const p = parts > 1 ? pool : null;
  if (p === undefined || p === null || p.threads() < parts) {
    if (parts > 1) throw new Error(`runParts: ${parts} parts but ${p?.threads() ?? 1} threads`);
    call(w.exports, job, args(0));
    return;
  }
  for (let i = 1; i < parts; i++) p.post(i - 1, job, args(i));
  try {
    call(w.exports, job, args(0));
  } finally {
    // Always join, even after a failure here: the workers are still writing.
    for (let i = 1; i < parts; i++) p.join(i - 1);
  }
}

function call(e: KernelExports, job: ThreadJob, args: readonly number[]): void {
  (e[job] as (...a: number[]) => void)(...args);
}

/**
 * Rows [from, to) of part `part` when `rows` rows are split into `parts` parts: contiguous,
 * sizes differing by at most one micro-tile of 4 rows, so every part keeps whole tiles.
 *
 * @example
 * ```ts
 * rowsOf(32, 2, 1); // [16, 32]
 * ```
 */
export function rowsOf(rows: number, parts: number, part: number): [number, number] {
  const tiles = Math.ceil(rows / 4);
  const from = Math.min(rows, Math.round((tiles * part) / parts) * 4);
  const to = part === parts - 1 ? rows : Math.min(rows, Math.round((tiles * (part + 1)) / parts) * 4);
  return [from, to];
}

/**
 * How many parts to split a call into: the threads available, but no more than `rows / 8`
 * (a part of fewer than two micro-tiles of rows wastes its packed panels) and 1 for calls
 * under `minMacs` multiply-adds, where waking a worker costs more than it saves.
 *
 * @example
 * ```ts
 * const parts = partsFor(32, 64 * 32 * 256 * 1024, 1 << 22); // 2 with two threads
 * ```
 */
export function partsFor(rows: number, macs: number, minMacs: number): number {
  if (macs < minMacs) return 1;
  return Math.max(1, Math.min(kernelThreads(), Math.floor(rows / 8)));
}
