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

/** Escapes text for SVG. */
function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * hops.svg: a memory network's attention over the story's sentences at every hop, for a few
 * test questions: one row per sentence (most recent first) with a cell per hop, shaded from
 * white (weight 0) to dark blue (1) and labelled with the weight, and the sentence in full
 * beside it (a chart library would truncate it); the question, the answer and the model's
 * answer head each block. Hand-written SVG: a table of cells needs nothing more.
 *
 * @example
 * ```ts
 * await writeFileAtomic('out/hops.svg', hopsSvg(inspectAttention(model, vocab, test.slice(0, 3))));
 * ```
 */
export function hopsSvg(examples: readonly MemNetAttention[]): string {
  const cell = 34;
  const row = 20;
  const parts: string[] = [];
  let y = 24;
  let width = 400;
  for (const ex of examples) {
    const hops = ex.attention.length;
    const mark = ex.predicted === ex.answer ? 'right' : 'wrong';
    parts.push(`<text x="10" y="${y}" font-weight="bold">${xml(`${ex.question}? answer: ${ex.answer}; model: ${ex.predicted} (${mark})`)}</text>`);
    y += 10;
    for (let k = 0; k < hops; k++) parts.push(`<text x="${10 + k * cell + cell / 2}" y="${y + 12}" text-anchor="middle" fill="#555">hop ${k + 1}</text>`);
    y += 18;
    ex.sentences.forEach((sentence, i) => {
      for (let k = 0; k < hops; k++) {
        const w = Math.min(1, Math.max(0, (ex.attention[k] as readonly number[])[i] as number));
        // White to dark blue; the weight printed in white on dark cells so it stays legible.
        const shade = (c0: number, c1: number): number => Math.round(c0 + (c1 - c0) * w);
        parts.push(
          `<rect x="${10 + k * cell}" y="${y}" width="${cell - 2}" height="${row - 2}" fill="rgb(${shade(255, 8)},${shade(255, 48)},${shade(255, 107)})" stroke="#ccc"/>`,
          `<text x="${10 + k * cell + cell / 2 - 1}" y="${y + 13}" text-anchor="middle" font-size="10" fill="${w > 0.5 ? 'white' : '#333'}">${w.toFixed(2)}</text>`,
        );
      }
      parts.push(`<text x="${16 + hops * cell}" y="${y + 13}">${i}: ${xml(sentence)}</text>`);
      width = Math.max(width, 30 + hops * cell + 8 * (sentence.length + 4));
      y += row;
    });
    y += 26;
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y}" font-family="sans-serif" font-size="12">` +
    `<rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`;
}
