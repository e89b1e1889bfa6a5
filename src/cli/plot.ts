import { parse, View } from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { ColorScheme } from 'vega';
import { ArgumentError } from '../tensor/index.js';

// Charts for the CLI's reports (prediction.svg, loss curves, attention maps): a Vega-Lite
// spec compiled to Vega and rendered by Vega's headless SVG renderer. SVG needs no canvas:
// text widths are estimated, so nothing native (node-canvas) is required.

/** One curve of a {@link lineChart}: y(x), drawn in the order given. */
export interface LineSeries {
  /** Legend label; also what tells the series apart. */
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
}

/** Options of {@link lineChart}. */
export interface LineChartOptions {
  readonly series: readonly LineSeries[];
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Plot area in pixels (default 720 x 280). */
  readonly width?: number;
  readonly height?: number;
  /** Logarithmic y axis, e.g. for losses (default false; non-positive values are then dropped). */
  readonly logY?: boolean;
}

/**
 * Renders line charts to a standalone SVG document: one coloured line per series with a
 * legend, linear x, linear or log y, titles. Non-finite points are dropped (a diverged loss
 * does not break the chart). Rendering is headless (Vega's SVG renderer), so it works in
 * Node without a canvas and gives the same bytes for the same data.
 *
 * @example
 * ```ts
 * import { lineChart } from './plot.js';
 * const svg = await lineChart({
 *   series: [{ name: 'truth', x: [0, 1, 2], y: [0, 1, 0] }, { name: 'prediction', x: [0, 1, 2], y: [0, 0.9, 0.1] }],
 *   xTitle: 'step', yTitle: 'x(t)', title: 'Mackey-Glass',
 * });
 * await writeFile('prediction.svg', svg);
 * ```
 */
export async function lineChart(options: LineChartOptions): Promise<string> {
  const values: { x: number; y: number; series: string; order: number }[] = [];
  const logY = options.logY === true;
  for (const s of options.series) {
    if (s.x.length !== s.y.length) throw new ArgumentError('lineChart', `series '${s.name}' has ${s.x.length} x values but ${s.y.length} y values`);
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i] as number;
      const y = s.y[i] as number;
      if (Number.isFinite(x) && Number.isFinite(y) && (!logY || y > 0)) values.push({ x, y, series: s.name, order: i });
    }
  }
  const names = options.series.map((s) => s.name);
  const legend = { orient: 'top', labelLimit: 600, symbolStrokeWidth: 2 } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title === undefined ? {} : { title: options.title }),
    width: options.width ?? 720,
    height: options.height ?? 280,
    background: 'white',
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5, clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.xTitle ?? 'x', scale: { zero: false, nice: false } },
      y: { field: 'y', type: 'quantitative', title: options.yTitle ?? 'y', scale: logY ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null, sort: names, legend },
      // Dashes tell overlapping curves apart (a prediction drawn over its truth) and survive
      // greyscale; the same legend spec merges both channels into one legend.
      strokeDash: { field: 'series', type: 'nominal', title: null, sort: names, legend },
      order: { field: 'order', type: 'quantitative' },
    },
    config: { view: { stroke: null }, axis: { grid: true, gridOpacity: 0.4 } },
  };
  return render(spec);
}

/** Options of {@link heatmap}. */
export interface HeatmapOptions {
  /** values[r * cols + c] is the cell in row r, column c. */
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly cols: number;
  /** Row labels, top to bottom (default 0..rows-1); e.g. output tokens of an attention map. */
  readonly rowLabels?: readonly string[];
  /** Column labels, left to right (default 0..cols-1); e.g. input tokens. */
  readonly colLabels?: readonly string[];
  readonly title?: string;
  readonly xTitle?: string;
  readonly yTitle?: string;
  /** Pixels per cell (default 18). */
  readonly cellSize?: number;
  /** A Vega colour scheme (default 'blues'; 'viridis', 'greys'...). */
  readonly scheme?: ColorScheme;
}

/**
 * Renders a matrix as a heatmap to a standalone SVG document (e.g. seq2seq attention
 * weights: rows are output steps, columns input steps), with a colour legend. Labels must be
 * distinct; rows are drawn top to bottom in the order given.
 *
 * @example
 * ```ts
 * import { heatmap } from './plot.js';
 * const svg = await heatmap({ values: [0.9, 0.1, 0.2, 0.8], rows: 2, cols: 2, rowLabels: ['le', 'chat'], colLabels: ['the', 'cat'] });
 * ```
 */
export async function heatmap(options: HeatmapOptions): Promise<string> {
  const { rows, cols } = options;
  if (options.values.length !== rows * cols) throw new ArgumentError('heatmap', `expected ${rows} x ${cols} = ${rows * cols} values, got ${options.values.length}`);
  const rowLabels = options.rowLabels ?? Array.from({ length: rows }, (_, i) => String(i));
  const colLabels = options.colLabels ?? Array.from({ length: cols }, (_, i) => String(i));
  if (rowLabels.length !== rows || colLabels.length !== cols) throw new ArgumentError('heatmap', 'one label per row and per column');
  const values: { row: string; col: string; value: number }[] = [];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) values.push({ row: rowLabels[r] as string, col: colLabels[c] as string, value: options.values[r * cols + c] as number });
  }
  const cell = options.cellSize ?? 18;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(options.title === undefined ? {} : { title: options.title }),
    width: cols * cell,
    height: rows * cell,
    background: 'white',
    data: { values },
    mark: 'rect',
    encoding: {
      x: { field: 'col', type: 'ordinal', sort: [...colLabels], title: options.xTitle ?? null },
      y: { field: 'row', type: 'ordinal', sort: [...rowLabels], title: options.yTitle ?? null },
      color: { field: 'value', type: 'quantitative', scale: { scheme: options.scheme ?? 'blues' }, title: null },
    },
    config: { view: { stroke: null }, axis: { labelLimit: 120 } },
  };
  return render(spec);
}

async function render(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
