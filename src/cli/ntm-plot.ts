import type { NTMTrace } from '../models/ntm/index.js';
import type { MemNetAttention } from '../train/memnet/index.js';

/** Places several standalone SVG documents one above the other in one document. */
function stack(svgs: readonly string[], gap = 16): string {
  let y = 0;
  let width = 0;
  const parts: string[] = [];
  for (const svg of svgs) {
    const body = svg.replace(/^<\?xml[^>]*>\s*/, '');
    const w = Number(/width="([\d.]+)"/.exec(body)?.[1] ?? 600);
    const h = Number(/height="([\d.]+)"/.exec(body)?.[1] ?? 300);
    // A nested <svg> keeps each chart's own coordinate system; only its position changes.
    parts.push(body.replace(/^<svg/, `<svg x="0" y="${y}"`));
    y += h + gap;
    width = Math.max(width, w);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y - gap}">${parts.join('')}</svg>\n`;
}

/** The slots any head focused on (weight above 10% at some step), with a margin, so a 128-slot memory is not drawn mostly blank. */
function usedSlots(trace: NTMTrace): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const head of [...trace.readWeights, ...trace.writeWeights]) {
    for (const row of head) {
      row.forEach((w, i) => {
        if (w > 0.1) {
          lo = Math.min(lo, i);
          hi = Math.max(hi, i);
        }
      });
    }
  }
  const n = trace.readWeights[0]?.[0]?.length ?? 1;
  if (!Number.isFinite(lo)) return [0, n - 1];
  return [Math.max(0, lo - 2), Math.min(n - 1, hi + 2)];
}

/**
 * memory.svg: every write head's and read head's weighting over time (time across, memory
 * slots down, darker = more weight), the picture of Graves et al. 2014's Figure 6. On the
 * copy task a trained machine writes the input vectors to consecutive slots, then reads the
 * same slots back in the same order. Uses the shared chart module's heatmap.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/memory.svg', await memorySvg(traceNtm(cell, batch.inputs), 'copy, length 20'));
 * ```
 */
export async function memorySvg(trace: NTMTrace, caption: string): Promise<string> {
  const { heatmap } = await import('./plot.js');
  const [lo, hi] = usedSlots(trace);
  const rows = hi - lo + 1;
  const panels: string[] = [];
  const draw = async (name: string, weights: readonly (readonly number[])[]): Promise<void> => {
    const T = weights.length;
    const values = new Float64Array(rows * T);
    for (let t = 0; t < T; t++) for (let r = 0; r < rows; r++) values[r * T + t] = (weights[t] as readonly number[])[lo + r] as number;
    panels.push(await heatmap({
      values, rows, cols: T, cellSize: 8, title: `${name} weighting (${caption})`, xTitle: 'time step', yTitle: 'memory slot',
      rowLabels: Array.from({ length: rows }, (_, r) => String(lo + r)), colLabels: Array.from({ length: T }, (_, t) => String(t)),
    }));
  };
  for (const [i, w] of trace.writeWeights.entries()) await draw(trace.writeWeights.length > 1 ? `write head ${i + 1}` : 'write', w);
  for (const [i, w] of trace.readWeights.entries()) await draw(trace.readWeights.length > 1 ? `read head ${i + 1}` : 'read', w);
  return stack(panels);
}

/**
 * hops.svg: a memory network's attention over the story's sentences at every hop, for a few
 * test questions (sentences down, hops across), with the question, the answer and the
 * model's answer in each title.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/hops.svg', await hopsSvg(inspectAttention(model, vocab, test.slice(0, 3))));
 * ```
 */
export async function hopsSvg(examples: readonly MemNetAttention[]): Promise<string> {
  const { heatmap } = await import('./plot.js');
  const panels: string[] = [];
  for (const ex of examples) {
    const rows = ex.sentences.length;
    const hops = ex.attention.length;
    const values = new Float64Array(rows * hops);
    for (let k = 0; k < hops; k++) for (let r = 0; r < rows; r++) values[r * hops + k] = (ex.attention[k] as readonly number[])[r] as number;
    panels.push(await heatmap({
      values, rows, cols: hops, cellSize: 18,
      title: `${ex.question}? answer: ${ex.answer}, model: ${ex.predicted}`,
      xTitle: 'hop', yTitle: 'memory (most recent first)',
      // Labels must be distinct: a sentence can occur twice in one story.
      rowLabels: ex.sentences.map((s, i) => `${i}: ${s}`), colLabels: Array.from({ length: hops }, (_, k) => String(k + 1)),
    }));
  }
  return stack(panels);
}
