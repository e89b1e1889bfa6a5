import { UnfoldError } from '../tensor/index.js';
import type { Tree } from './tree.js';

/**
 * What a bracketed tree holds at each node: the label (a sentiment class, the value of a
 * sub-expression...) and, optionally, one word (the token at a leaf; an operator or a head
 * word at an internal node; `null` where there is none, as at the phrase nodes of the
 * Stanford Sentiment Treebank).
 */
export interface NodeLabel {
  readonly label: string;
  readonly word: string | null;
}

/**
 * A malformed bracketed tree: the message says what is wrong and where, e.g.
 * `unbalanced brackets: '(' at line 1, column 9 is never closed`. Lines and columns count
 * from 1; columns count Unicode code points, so an emoji is one column.
 *
 * @example
 * ```ts
 * try { parseTree('(3 (2 It)'); } catch (e) { if (e instanceof TreeParseError) console.log(e.line, e.column); } // 1 1
 * ```
 */
export class TreeParseError extends UnfoldError {
  /** 1-based line of the offending character. */
  readonly line: number;
  /** 1-based column (in code points) of the offending character. */
  readonly column: number;
  constructor(detail: string, line: number, column: number) {
    super('parse', `${detail} (line ${line}, column ${column})`);
    this.line = line;
    this.column = column;
  }
}

interface OpenNode {
  label: string | null;
  word: string | null;
  readonly children: Tree<NodeLabel>[];
  readonly line: number;
  readonly column: number;
}

/**
 * Parses every bracketed tree in `text` (Penn Treebank / Stanford Sentiment Treebank
 * style), in order. The grammar, with whitespace (spaces, tabs, newlines) between tokens:
 *
 *     node := '(' label [word] node* ')'        label, word := any run of characters but
 *                                               whitespace and brackets
 *
 * so `(3 (2 It) (4 (3 (2 is) (3 good))))` is an SST sentence with a label at every node,
 * and `(7 + (3 3) (4 4))` an expression whose internal node carries its operator as its word.
 * Files usually hold one tree per line, but any whitespace separates trees.
 *
 * The scan is one pass with an explicit stack of open nodes: linear time, and no recursion,
 * so a 100,000-deep chain parses like a flat one. Malformed input throws a
 * {@link TreeParseError} with the line and column: unbalanced brackets, a missing label
 * (`( (2 a))`), an empty leaf (`(2)`), a second word in one node, text outside brackets.
 *
 * @example
 * ```ts
 * const [t] = parseTrees('(3 (2 It) (4 (3 (2 is) (3 good))))\n');
 * t!.value;                      // { label: '3', word: null }
 * t!.children[0]!.value.word;    // 'It'
 * ```
 */
export function parseTrees(text: string): Tree<NodeLabel>[] {
  const trees: Tree<NodeLabel>[] = [];
  const stack: OpenNode[] = [];
  let line = 1;
  let column = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch === 10 /* \n */) {
      line++;
      column = 1;
      i++;
      continue;
    }
    if (ch === 32 || ch === 9 || ch === 13) {
      i++;
      column++;
      continue;
    }
    if (ch === 40 /* ( */) {
      const top = stack[stack.length - 1];
      if (top !== undefined && top.label === null) throw new TreeParseError("missing label: '(' must be followed by a label, not by '('", top.line, top.column);
      stack.push({ label: null, word: null, children: [], line, column });
      i++;
      column++;
      continue;
    }
    if (ch === 41 /* ) */) {
      const top = stack.pop();
      if (top === undefined) throw new TreeParseError("unbalanced brackets: ')' closes nothing", line, column);
      if (top.label === null) throw new TreeParseError("missing label: '(' must be followed by a label, not by ')'", top.line, top.column);
      if (top.word === null && top.children.length === 0) {
        throw new TreeParseError(`empty leaf: node '(${top.label}' has neither a word nor children`, top.line, top.column);
      }
      const node: Tree<NodeLabel> = { value: { label: top.label, word: top.word }, children: top.children };
      const parent = stack[stack.length - 1];
      if (parent === undefined) trees.push(node);
      else parent.children.push(node);
      i++;
      column++;
      continue;
    }
    // An atom: everything up to whitespace or a bracket.
    const start = i;
    const atomLine = line;
    const atomColumn = column;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13 || c === 40 || c === 41) break;
      // A surrogate pair is one code point: one column.
      if (c < 0xd800 || c > 0xdbff) column++;
      i++;
    }
    const atom = text.slice(start, i);
    const top = stack[stack.length - 1];
    if (top === undefined) throw new TreeParseError(`expected '(' but found '${clip(atom)}'`, atomLine, atomColumn);
    if (top.label === null) top.label = atom;
    else if (top.word === null && top.children.length === 0) top.word = atom;
    else {
      throw new TreeParseError(
        `unexpected word '${clip(atom)}' in node '(${top.label}': a node holds at most one word, written before its children`,
        atomLine, atomColumn,
      );
    }
  }
  // The outermost unclosed bracket: in a file of one tree per line, the broken tree's start.
  const open = stack[0];
  if (open !== undefined) throw new TreeParseError("unbalanced brackets: '(' is never closed", open.line, open.column);
  return trees;
}

/**
 * Parses exactly one bracketed tree (see {@link parseTrees} for the format and errors).
 *
 * @example
 * ```ts
 * const t = parseTree('(7 + (3 3) (4 4))');
 * t.value; // { label: '7', word: '+' }
 * ```
 */
export function parseTree(text: string): Tree<NodeLabel> {
  const trees = parseTrees(text);
  if (trees.length !== 1) {
    const where = trees.length === 0 ? endOf(text) : startOfSecond(text);
    throw new TreeParseError(trees.length === 0 ? 'expected a tree, found none' : `expected one tree, found ${trees.length}`, where.line, where.column);
  }
  return trees[0] as Tree<NodeLabel>;
}

/**
 * Writes a tree back in the bracketed format, on one line: `(label word child ...)`.
 * `parseTree(formatTree(t))` gives `t` back. Iterative, so any depth is fine.
 *
 * @example
 * ```ts
 * formatTree(parseTree('(3 (2 It)\n  (4 (2 is) (4 good)))')); // '(3 (2 It) (4 (2 is) (4 good)))'
 * ```
 */
export function formatTree(root: Tree<NodeLabel>): string {
  const parts: string[] = [];
  // Either a node to open or a closing bracket to write.
  const stack: (Tree<NodeLabel> | null)[] = [root];
  while (stack.length > 0) {
    const item = stack.pop() as Tree<NodeLabel> | null;
    if (item === null) {
      parts.push(')');
      continue;
    }
    parts.push(parts.length === 0 ? '(' : ' (');
    parts.push(item.value.label);
    if (item.value.word !== null) parts.push(` ${item.value.word}`);
    stack.push(null);
    for (let k = item.children.length - 1; k >= 0; k--) stack.push(item.children[k] as Tree<NodeLabel>);
  }
  return parts.join('');
}

function clip(atom: string): string {
  return atom.length > 40 ? `${atom.slice(0, 37)}...` : atom;
}

function position(text: string, end: number): { line: number; column: number } {
  let line = 1;
  let column = 1;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      column = 1;
    } else if (c < 0xd800 || c > 0xdbff) column++;
  }
  return { line, column };
}

function endOf(text: string): { line: number; column: number } {
  return position(text, text.length);
}

// Where the second top-level tree opens: the first '(' at bracket depth 0 after the first tree.
function startOfSecond(text: string): { line: number; column: number } {
  let depth = 0;
  let closed = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40) {
      if (depth === 0 && closed === 1) return position(text, i);
      depth++;
    } else if (c === 41) {
      depth--;
      if (depth === 0) closed++;
    }
  }
  return endOf(text);
}
