/** One attention matrix to draw: rows are output symbols, columns source symbols. */
export interface AttentionExample {
  /** The source's symbols (column labels). */
  readonly source: readonly string[];
  /** The output's symbols, the end token last when the output finished (row labels). */
  readonly output: readonly string[];
  /** weights[i][j]: attention of output step i on source position j, each row summing to 1. */
  readonly weights: readonly (readonly number[])[];
}

/**
 * Attention matrices as one SVG: a heatmap per example from the shared chart module
 * (rows: output steps, columns: source positions, colour: weight), stacked top to bottom.
 * Symbols repeat within a sentence but the chart's labels must be distinct, so a repeated
 * symbol gets zero-width spaces appended: it reads the same and keeps its own row or column.
 *
 * @example
 * ```ts
 * await attentionSvg([{ source: [...'abc'], output: [...'cba', '</s>'], weights }]); // '<svg ...'
 * ```
 */
export async function attentionSvg(examples: readonly AttentionExample[], title = 'Attention weights'): Promise<string> {
  const { heatmap } = await import('./plot.js');
  const charts = await Promise.all(examples.map((ex, i) => heatmap({
    values: ex.weights.flat(),
    rows: ex.weights.length,
    cols: ex.source.length,
    rowLabels: distinct(ex.output.slice(0, ex.weights.length)),
    colLabels: distinct(ex.source),
    ...(i === 0 ? { title } : {}),
    xTitle: 'source',
    yTitle: 'output',
    cellSize: 16,
  })));
  let y = 0;
  let width = 0;
  const placed = charts.map((svg) => {
    const w = Number(/\bwidth="([\d.]+)"/.exec(svg)?.[1] ?? 0);
    const h = Number(/\bheight="([\d.]+)"/.exec(svg)?.[1] ?? 0);
    // A nested <svg> is positioned by its own x and y.
    const moved = svg.replace(/^<svg /, `<svg x="0" y="${y}" `);
    y += h + 12;
    width = Math.max(width, w);
    return moved;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${Math.max(0, y - 12)}" viewBox="0 0 ${width} ${Math.max(0, y - 12)}">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n${placed.join('\n')}\n</svg>\n`;
}

/** Labels made distinct by appending zero-width spaces to repeats; spaces shown as '␣'. */
function distinct(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((raw) => {
    const label = raw === ' ' ? '␣' : raw;
    const n = seen.get(label) ?? 0;
    seen.set(label, n + 1);
    return label + '\u200b'.repeat(n);
  });
}
