import { preOrder, postOrder, type Tree } from './tree.js';

/** How one node is drawn by {@link treeToSvg}. */
export interface SvgNodeStyle {
  /** Text inside the node (a word, an operator); may be empty. */
  readonly text: string;
  /** A second, smaller line under the node (e.g. `pred 7 / gold 7`). */
  readonly caption?: string;
  /** Fill colour of the node, any SVG colour (default a light grey). */
  readonly fill?: string;
}

/** Options of {@link treeToSvg}. */
export interface TreeSvgOptions {
  /** A line of text above the tree. */
  readonly title?: string;
  /** Horizontal distance between neighbouring leaves, px (default 64). */
  readonly leafSpacing?: number;
  /** Vertical distance between levels, px (default 64). */
  readonly levelSpacing?: number;
}

/**
 * Draws a tree as a standalone SVG document, root at the top: leaves are spaced evenly
 * left to right, each internal node is centred over its first and last child, and edges
 * are straight lines. `style` says what each node shows (e.g. its word and the model's
 * prediction, coloured by correctness). Layout and drawing are iterative, so depth is no
 * limit, though a picture of thousands of nodes is not much use.
 *
 * @example
 * ```ts
 * const svg = treeToSvg(parseTree('(7 + (3 3) (4 4))'), (v) => ({ text: v.word ?? '', caption: `value ${v.label}` }));
 * svg.startsWith('<svg'); // true
 * ```
 */
export function treeToSvg<T>(root: Tree<T>, style: (value: T, node: Tree<T>) => SvgNodeStyle, options: TreeSvgOptions = {}): string {
  const dx = options.leafSpacing ?? 64;
  const dy = options.levelSpacing ?? 64;
  const radius = 16;
  const top = options.title === undefined ? 32 : 56;

  const depth = new Map<Tree<T>, number>([[root, 0]]);
  let maxDepth = 0;
  for (const node of preOrder(root)) {
    const d = depth.get(node) as number;
    if (d > maxDepth) maxDepth = d;
    for (const c of node.children) depth.set(c, d + 1);
  }
  // Leaves left to right get consecutive slots; post-order visits them in that order.
  const x = new Map<Tree<T>, number>();
  let nextLeaf = 0;
  for (const node of postOrder(root)) {
    if (node.children.length === 0) x.set(node, dx / 2 + dx * nextLeaf++);
    else x.set(node, ((x.get(node.children[0] as Tree<T>) as number) + (x.get(node.children[node.children.length - 1] as Tree<T>) as number)) / 2);
  }
  const width = Math.max(dx * nextLeaf, 160);
  const height = top + dy * maxDepth + 2 * radius + 24;
  const yOf = (node: Tree<T>): number => top + radius + dy * (depth.get(node) as number);

  const edges: string[] = [];
  const shapes: string[] = [];
  for (const node of preOrder(root)) {
    const x0 = (x.get(node) as number).toFixed(1);
    const y0 = yOf(node).toFixed(1);
    for (const c of node.children) {
      edges.push(`<line x1="${x0}" y1="${y0}" x2="${(x.get(c) as number).toFixed(1)}" y2="${yOf(c).toFixed(1)}"/>`);
    }
    const s = style(node.value, node);
    shapes.push(
      `<g><circle cx="${x0}" cy="${y0}" r="${radius}" fill="${escapeXml(s.fill ?? '#eeeeee')}"/>` +
      `<text x="${x0}" y="${y0}" dy="0.35em" class="t">${escapeXml(s.text)}</text>` +
      (s.caption === undefined ? '' : `<text x="${x0}" y="${(yOf(node) + radius + 11).toFixed(1)}" class="c">${escapeXml(s.caption)}</text>`) +
      '</g>',
    );
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    '<style>line{stroke:#888;stroke-width:1.5}circle{stroke:#444;stroke-width:1}.t{font-size:13px;text-anchor:middle}.c{font-size:10px;text-anchor:middle;fill:#333}</style>',
    '<rect width="100%" height="100%" fill="white"/>',
    options.title === undefined ? '' : `<text x="8" y="22" font-size="14">${escapeXml(options.title)}</text>`,
    ...edges,
    ...shapes,
    '</svg>',
    '',
  ].filter((line) => line !== '').join('\n') + '\n';
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
