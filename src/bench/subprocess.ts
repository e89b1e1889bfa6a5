import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// Every implementation of a recurrent workload runs in a child process of its own: its peak
// resident memory is then its own (not the sum of every peer loaded so far), and no peer's
// JIT state, wasm heap or worker threads linger into the next one's timing.

/**
 * What a child measured, printed as the last line of its stdout: one figure (`value` in
 * `unit`), or one per size for gemm (`values`), the process's peak resident memory, and
 * facts about the path that ran. `ok: false` carries the reason it could not run.
 *
 * @example
 * ```ts
 * const r: ChildReport = { ok: true, value: 14000, unit: 'tokens/s', reps: 10, peakRssMb: 120, detail: { gemm: 'wasm-simd' } };
 * ```
 */
export type ChildReport =
  | {
    readonly ok: true;
    readonly value?: number;
    readonly values?: Readonly<Record<string, number>>;
    readonly unit: string;
    readonly reps?: number;
    readonly iterations?: number;
    readonly peakRssMb: number;
    readonly detail?: Readonly<Record<string, string>>;
  }
  | { readonly ok: false; readonly reason: string };

/**
 * The peak resident set size of this process so far, in MiB: VmHWM from /proc/self/status
 * on Linux (the kernel's high-water mark, which includes memory of worker threads and
 * WebAssembly heaps), else Node's maxRSS.
 *
 * @example
 * ```ts
 * console.log(`${peakRssMb().toFixed(0)} MiB`);
 * ```
 */
export function peakRssMb(): number {
  try {
    const m = /VmHWM:\s*(\d+)\s*kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m !== null) return Number(m[1]) / 1024;
  } catch {
    // Not Linux: fall through.
  }
  return process.resourceUsage().maxRSS / 1024;
}

/** A command line to run a child measurement with. */
export interface ChildCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Killed (and reported as failed) after this long. */
  readonly timeoutMs: number;
}

/**
 * Runs a child measurement and parses its report (the last stdout line that is a JSON
 * object). A child that fails, times out or prints no report yields `ok: false` with the
 * reason, including the last line of its stderr.
 *
 * @example
 * ```ts
 * const r = await runChild(nodeChild('lstm-train', 'unfold'));
 * if (r.ok) console.log(r.value, r.unit, r.peakRssMb);
 * ```
 */
export function runChild(cmd: ChildCommand): Promise<ChildReport> {
  return new Promise((resolve) => {
    const child = spawn(cmd.command, [...cmd.args], { env: { ...process.env, ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr = (stderr + d).slice(-4000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), cmd.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `could not start ${cmd.command}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').map((l) => l.trim()).filter((l) => l.startsWith('{')).pop();
      if (line !== undefined) {
        try {
          resolve(JSON.parse(line) as ChildReport);
          return;
        } catch {
          // Reported below as a failure.
        }
      }
      const lastErr = stderr.trim().split('\n').pop() ?? '';
      const how = signal === 'SIGKILL' ? `timed out after ${Math.round(cmd.timeoutMs / 1000)} s` : `exited with ${signal ?? code}`;
      resolve({ ok: false, reason: `${how}${lastErr === '' ? '' : `: ${lastErr}`}` });
    });
  });
}

/**
 * The command that runs `child.js <bench> <impl>` (this package's own benchmark child,
 * src/bench/child.ts) with the running Node.
 *
 * @example
 * ```ts
 * await runChild(nodeChild('lstm-generate', 'tfjs-wasm', 120_000));
 * ```
 */
export function nodeChild(bench: string, impl: string, timeoutMs = 600_000): ChildCommand {
  // The parent's Node flags too (e.g. --experimental-wasm-relaxed-simd): peers run on the same engine settings.
  return { command: process.execPath, args: [...process.execArgv, fileURLToPath(new URL('./child.js', import.meta.url)), bench, impl], timeoutMs };
}

// The Python that has torch: an explicit choice, Debian's interpreter (python3-torch), then
// whatever python3 is on PATH.
const PYTHON_CANDIDATES = [process.env['UNFOLD_BENCH_PYTHON'], '/usr/bin/python3', 'python3'].filter((p): p is string => p !== undefined && p !== '');

let torchPython: Promise<{ python: string } | { reason: string }> | undefined;

/**
 * Finds a Python interpreter where `import torch` works (checked once per process), or
 * says why none does. The bench skips the torch peer with that note.
 *
 * @example
 * ```ts
 * const found = await findTorchPython();
 * if ('python' in found) console.log(found.python);
 * ```
 */
export function findTorchPython(): Promise<{ python: string } | { reason: string }> {
  torchPython ??= (async () => {
    const tried: string[] = [];
    for (const python of PYTHON_CANDIDATES) {
      if (python.startsWith('/') && !existsSync(python)) continue;
      const ok = await new Promise<boolean>((resolve) => {
        const p = spawn(python, ['-c', 'import torch'], { stdio: 'ignore' });
        p.on('error', () => resolve(false));
        p.on('close', (code) => resolve(code === 0));
      });
      if (ok) return { python };
      tried.push(python);
    }
    return { reason: `no Python with torch found (tried ${tried.join(', ') || 'none'}; install python3-torch and libopenblas0-pthread, or set UNFOLD_BENCH_PYTHON)` };
  })();
  return torchPython;
}

/**
 * The command that runs bench/torch_rnn.py with `args` under the setting that is fastest on
 * the 2-core reference machine: one OpenMP thread, two OpenBLAS threads.
 *
 * @example
 * ```ts
 * const r = await runChild(torchChild('/usr/bin/python3', ['train', 'lstm']));
 * ```
 */
export function torchChild(python: string, args: readonly string[], timeoutMs = 300_000): ChildCommand {
  // dist/bench/ -> the package root's bench/ folder.
  const script = fileURLToPath(new URL('../../bench/torch_rnn.py', import.meta.url));
  return { command: python, args: [script, ...args], env: { OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '2' }, timeoutMs };
}
