import type { CurvePoint } from '../train/index.js';

/**
 * The loss curve of a language-model run as SVG: training and validation bits per
 * character against tokens seen. Uses the shared chart module when present.
 */
export async function lossCurveSvg(curve: readonly CurvePoint[]): Promise<string> {
  const { lineChart } = await import('./plot.js');
  const train = curve.filter((p) => Number.isFinite(p.trainBpc));
  const val = curve.filter((p) => p.valBpc !== null);
  return lineChart({
    title: 'Character-level language model',
    xTitle: 'tokens seen',
    yTitle: 'bits per character',
    series: [
      { name: 'train', x: train.map((p) => p.tokens), y: train.map((p) => p.trainBpc) },
      { name: 'validation', x: val.map((p) => p.tokens), y: val.map((p) => p.valBpc as number) },
    ],
  });
}
