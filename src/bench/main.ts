import { esnWorkload } from './esn.js';
import { generateWorkload } from './generate.js';
import { gemmWorkload } from './gemm.js';
import { trainWorkload } from './train.js';
import { TREE_CELL_KINDS, type TreeCellKind } from '../tree/registry.js';
import { treeWorkload } from './tree.js';
import { formatRecordJson, formatTable, type BenchRecord, type Workload } from './workload.js';

/** Where the benchmarks write: stdout lines (table or JSON) and stderr lines (progress, notes). */
export interface BenchIO {
  out(line: string): void;
  err(line: string): void;
}

/**
 * Every benchmark `unfold bench` knows, in the order `unfold bench` (no names) runs them.
 * A new workload (lstm-train, ...) is one entry here.
 */
export const workloads: readonly Workload[] = [
  gemmWorkload(), trainWorkload('lstm'), trainWorkload('gru'), trainWorkload('rnn'), generateWorkload(), treeWorkload(), esnWorkload(),
];

const usage = [
  'usage: unfold bench [workload...] [--json] [--tree-cell <kind>]',
  '',
  'Measures unfold against its peers (tfjs-wasm, tfjs-cpu, brainjs, and torch when a Python',
  'with torch is found) on this machine and prints each figure with the ratio unfold/peer',
  '(above 1: unfold is better). Recurrent workloads run each implementation in a child',
  'process and also report its peak resident memory. With no workload named, runs them all.',
  '',
  '  --json   one JSON object per line on stdout, e.g.',
  '           {"bench":"gemm","n":256,"impl":"unfold","metric":"gflops","value":44.1,"unit":"GFLOP/s"}',
  '           (notes, e.g. which kernel path and how many threads ran, go to stderr)',
  `  --tree-cell <${TREE_CELL_KINDS.join('|')}>`,
  '           the tree cell the tree workload folds (default nary-lstm; the RNTN at 128 units',
  '           takes minutes)',
  '  --help   this text',
];

/**
 * Runs `unfold bench [workload...] [--json]` and returns the exit status (0 ok, 2 bad usage).
 * Without `--json` it prints, per workload, a title, an aligned table of absolute figures
 * with unfold/peer ratios, and notes (skipped peers, backends); with `--json` stdout carries
 * only one JSON record per line and notes go to stderr.
 *
 * @example
 * ```ts
 * import { runBench } from './main.js';
 * const status = await runBench(['gemm', '--json'], { out: console.log, err: console.error });
 * ```
 */
export async function runBench(argv: string[], io: BenchIO): Promise<number> {
  const { cell, rest } = takeTreeCell(argv);
  if (cell === null) {
    io.err(`unfold bench: --tree-cell needs a value (${TREE_CELL_KINDS.join(', ')})`);
    return 2;
  }
  if (cell !== undefined && !(TREE_CELL_KINDS as readonly string[]).includes(cell)) {
    io.err(`unfold bench: --tree-cell must be one of ${TREE_CELL_KINDS.join(', ')}, got '${cell}'`);
    return 2;
  }
  const registry = cell === undefined ? workloads : workloads.map((w) => (w.name === 'tree' ? treeWorkload({ cell: cell as TreeCellKind }) : w));
  return runBenchWith(registry, rest, io);
}

/**
 * `--tree-cell <kind>` (or `--tree-cell=<kind>`) taken out of argv: its value as given
 * (undefined when absent, null when it has none) and the other arguments.
 *
 * @example
 * ```ts
 * takeTreeCell(['tree', '--tree-cell', 'rnn', '--json']); // { cell: 'rnn', rest: ['tree', '--json'] }
 * ```
 */
export function takeTreeCell(argv: readonly string[]): { cell: string | null | undefined; rest: string[] } {
  let cell: string | null | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--tree-cell') {
      const v = argv[i + 1];
      cell = v === undefined || v.startsWith('-') ? null : v;
      if (cell !== null) i++;
    } else if (arg.startsWith('--tree-cell=')) {
      const v = arg.slice('--tree-cell='.length);
      cell = v === '' ? null : v;
    } else {
      rest.push(arg);
    }
  }
  return { cell, rest };
}

/**
 * {@link runBench} over a given workload list (tests pass small fake workloads).
 *
 * @example
 * ```ts
 * await runBenchWith([myWorkload], ['--json'], { out: console.log, err: console.error });
 * ```
 */
export async function runBenchWith(registry: readonly Workload[], argv: readonly string[], io: BenchIO): Promise<number> {
  let json = false;
  const names: string[] = [];
  for (const arg of argv) {
    if (arg === '--json') json = true;
    else if (arg === '--help' || arg === '-h') {
      for (const line of usage) io.out(line);
      io.out('');
      io.out(`workloads: ${registry.map((w) => w.name).join(', ')}`);
      return 0;
    } else if (arg.startsWith('-')) {
      io.err(`unfold bench: unknown option '${arg}' (options: --json, --help)`);
      return 2;
    } else names.push(arg);
  }
  const selected: Workload[] = [];
  for (const name of names) {
    const w = registry.find((x) => x.name === name);
    if (w === undefined) {
      io.err(`unfold bench: unknown workload '${name}'; available: ${registry.map((x) => x.name).join(', ')}`);
      return 2;
    }
    if (!selected.includes(w)) selected.push(w);
  }
  for (const w of selected.length > 0 ? selected : registry) {
    const records: BenchRecord[] = [];
    const notes: string[] = [];
    await w.run({
      record(r) {
        if (json) io.out(formatRecordJson(r));
        else {
          records.push(r);
          // Progress on stderr: a full run takes a minute, mostly in the slowest peer.
          io.err(`${r.bench} ${Object.entries(r.params).map(([k, v]) => `${k}=${v}`).join(' ')} ${r.impl}: ${r.value.toFixed(2)} ${r.unit}`);
        }
      },
      note(line) {
        if (json) io.err(line);
        else notes.push(line);
      },
    });
    if (!json) {
      io.out(w.title);
      for (const line of formatTable(records)) io.out(line);
      for (const line of notes) io.out(`note: ${line}`);
      io.out('');
    }
  }
  return 0;
}
