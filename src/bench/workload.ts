/**
 * One measured figure: `value` `unit` of `metric` for implementation `impl` on benchmark
 * `bench` at the given parameters. `--json` prints it as one line with exactly the keys
 * bench, ...params, impl, metric, value, unit (issue 5's format), e.g.
 *
 *     {"bench":"gemm","n":256,"impl":"unfold","metric":"gflops","value":44.1,"unit":"GFLOP/s"}
 *
 * `detail` (the path that ran) labels the table's columns and goes into notes, not into JSON.
 *
 * @example
 * ```ts
 * const r: BenchRecord = { bench: 'gemm', params: { n: 256 }, impl: 'unfold', metric: 'gflops',
 *   value: 44.1, unit: 'GFLOP/s', higherIsBetter: true, detail: { backend: 'wasm-simd' } };
 * formatRecordJson(r);
 * ```
 */
export interface BenchRecord {
  readonly bench: string;
  /** What was measured, e.g. `{ n: 256 }`; one table row per distinct value. */
  readonly params: Readonly<Record<string, number | string>>;
  /** `'unfold'` for the library's default configuration; anything else is a peer or variant. */
  readonly impl: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** Orients the unfold/peer ratio: GFLOP/s is higher-better, milliseconds are not. */
  readonly higherIsBetter: boolean;
  /** Facts about the run that are not measurements, e.g. `{ backend: 'wasm-simd' }`. */
  readonly detail?: Readonly<Record<string, string>>;
}

/** Where a workload sends its figures and its remarks (skipped peers, settings used). */
export interface BenchReporter {
  record(r: BenchRecord): void;
  /** A remark for people; kept off stdout in `--json` mode. */
  note(line: string): void;
}

/**
 * A named benchmark that `unfold bench <name>` runs. Adding one is one registry entry in
 * src/bench/main.ts.
 *
 * @example
 * ```ts
 * const hello: Workload = {
 *   name: 'hello', title: 'a constant',
 *   async run(report) {
 *     report.record({ bench: 'hello', params: { n: 1 }, impl: 'unfold', metric: 'x', value: 1, unit: 'x', higherIsBetter: true });
 *   },
 * };
 * ```
 */
export interface Workload {
  readonly name: string;
  /** One line, printed above the table: what is computed, how it is timed. */
  readonly title: string;
  run(report: BenchReporter): Promise<void>;
}

/**
 * The `--json` line for one record (see {@link BenchRecord} for the keys and their order).
 * `impl` is always one of the names the JSON format knows (unfold and its peers): a variant of
 * unfold's own (`unfold-1thread`, `unfold-js`, ...) is written as `"impl":"unfold"` with a
 * `"variant"` key after it, so a reader that filters on impl never meets an unknown name and
 * the default configuration is the record without `variant`.
 *
 * @example
 * ```ts
 * formatRecordJson({ bench: 'gemm', params: { n: 256 }, impl: 'unfold-1thread', metric: 'gflops', value: 27.2, unit: 'GFLOP/s', higherIsBetter: true });
 * // '{"bench":"gemm","n":256,"impl":"unfold","variant":"1thread","metric":"gflops","value":27.2,"unit":"GFLOP/s"}'
 * ```
 */
export function formatRecordJson(r: BenchRecord): string {
  const variant = r.impl.startsWith('unfold-') ? r.impl.slice('unfold-'.length) : undefined;
  const impl = variant === undefined ? { impl: r.impl } : { impl: 'unfold', variant };
  return JSON.stringify({ bench: r.bench, ...r.params, ...impl, metric: r.metric, value: roundFigure(r.value), unit: r.unit });
}

/** Four significant digits: more would be noise on a shared machine. */
export function roundFigure(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(4)) : x;
}

/**
 * Renders the records of one benchmark as an aligned text table: one row per parameter
 * setting and metric, one column per implementation, then `unfold/<peer>` ratio columns
 * oriented so that above 1 means unfold is better (faster, or smaller for memory). A metric
 * column appears when the table holds more than one metric.
 *
 * @example
 * ```ts
 * formatTable([rec('unfold', 40), rec('tfjs-wasm', 30)]);
 * // [ '  n   unfold [wasm-simd]   tfjs-wasm   unfold/tfjs-wasm', ... ]
 * ```
 */
export function formatTable(records: readonly BenchRecord[]): string[] {
  const rowKeys: string[] = [];
  const rowInfo = new Map<string, { params: Readonly<Record<string, number | string>>; metric: string; unit: string }>();
  const impls: string[] = [];
  const implLabel = new Map<string, string>();
  const cells = new Map<string, BenchRecord>();
  for (const r of records) {
    const key = `${JSON.stringify(r.params)}\u0000${r.metric}`;
    if (!rowInfo.has(key)) { rowKeys.push(key); rowInfo.set(key, { params: r.params, metric: r.metric, unit: r.unit }); }
    if (!implLabel.has(r.impl)) {
      impls.push(r.impl);
      implLabel.set(r.impl, r.impl);
    }
    if (r.detail !== undefined && implLabel.get(r.impl) === r.impl) {
      const detail = Object.values(r.detail).join(', ');
      if (detail !== '') implLabel.set(r.impl, `${r.impl} [${detail}]`);
    }
    cells.set(`${key}\u0000${r.impl}`, r);
  }
  const paramNames = [...new Set(records.flatMap((r) => Object.keys(r.params)))];
  const metrics = new Set(records.map((r) => r.metric));
  const showMetric = metrics.size > 1;
  const peers = impls.includes('unfold') ? impls.filter((i) => !i.startsWith('unfold')) : [];
  const header = [...paramNames, ...(showMetric ? ['metric'] : []), ...impls.map((i) => implLabel.get(i) ?? i), ...peers.map((p) => `unfold/${p}`)];
  const rows = rowKeys.map((key) => {
    const info = rowInfo.get(key) ?? { params: {}, metric: '', unit: '' };
    const get = (impl: string): BenchRecord | undefined => cells.get(`${key}\u0000${impl}`);
    const unfold = get('unfold');
    return [
      ...paramNames.map((p) => String(info.params[p] ?? '')),
      ...(showMetric ? [`${info.metric} (${info.unit})`] : []),
      ...impls.map((i) => { const r = get(i); return r === undefined ? '-' : formatFigure(r.value); }),
      ...peers.map((p) => {
        const peer = get(p);
        if (unfold === undefined || peer === undefined || peer.value === 0 || unfold.value === 0 || !Number.isFinite(peer.value)) return '-';
        const ratio = unfold.higherIsBetter ? unfold.value / peer.value : peer.value / unfold.value;
        return `${ratio.toFixed(2)}x`;
      }),
    ];
  });
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cols: readonly string[]): string => cols.map((s, c) => s.padStart(widths[c] ?? 0)).join('   ');
  return [line(header), ...rows.map(line)];
}

function formatFigure(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}
