import { FIRST_SYMBOL_ID } from '../../models/seq2seq/index.js';
import { TextError, Vocabulary, decodeUtf8, firstInvalidUtf8 } from '../text.js';
import type { Seq2SeqPair } from './tasks.js';

/**
 * A code-point vocabulary for a seq2seq model: symbol i of the underlying
 * {@link Vocabulary} has id FIRST_SYMBOL_ID + i, below which sit the reserved pad, begin
 * and end tokens. `size` counts the reserved ids, so it is the model's vocabulary size.
 *
 * @example
 * ```ts
 * const v = Seq2SeqVocabulary.fromText('abc');
 * v.encode('cab'); // Int32Array [5, 3, 4]
 * v.decode([5, 3, 4, 2]); // 'cab' (reserved ids are skipped)
 * ```
 */
export class Seq2SeqVocabulary {
  readonly symbols: Vocabulary;

  constructor(symbols: readonly string[]) {
    this.symbols = new Vocabulary(symbols);
  }

  /** The vocabulary of every code point in `text`, sorted by code point. */
  static fromText(text: string): Seq2SeqVocabulary {
    return new Seq2SeqVocabulary(Vocabulary.fromText(text).symbols);
  }

  /** Ids in all, reserved tokens included. */
  get size(): number {
    return this.symbols.size + FIRST_SYMBOL_ID;
  }

  /** Characters of `text` the vocabulary lacks (each once, in order of appearance). */
  unknown(text: string): string[] {
    return this.symbols.unknown(text);
  }

  /** Ids of every code point; throws a TextError listing unknown characters. */
  encode(text: string): Int32Array {
    const ids = this.symbols.encode(text);
    for (let i = 0; i < ids.length; i++) ids[i] = (ids[i] as number) + FIRST_SYMBOL_ID;
    return ids;
  }

  /** The text of ids; reserved ids (pad, begin, end) produce nothing. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (id >= FIRST_SYMBOL_ID) s += this.symbols.symbols[id - FIRST_SYMBOL_ID] ?? '';
    }
    return s;
  }
}

/**
 * Parses a pairs file: one `source<TAB>target` per line, UTF-8, LF or CRLF line ends;
 * blank lines are skipped. Every problem is a {@link TextError} naming the line: invalid
 * UTF-8 (with the byte offset in the file), a missing tab, more than one tab, an empty
 * source or target.
 *
 * @example
 * ```ts
 * parsePairs(new TextEncoder().encode('abc\tcba\nxy\tyx\n'), 'pairs.tsv'); // 2 pairs
 * ```
 */
export function parsePairs(bytes: Uint8Array, name = 'input'): Seq2SeqPair[] {
  const pairs: Seq2SeqPair[] = [];
  let start = 0;
  let line = 0;
  // A leading byte-order mark is not part of the first source.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3;
  while (start < bytes.length) {
    line++;
    let end = bytes.indexOf(0x0a, start);
    if (end === -1) end = bytes.length;
    const raw = bytes.subarray(start, end);
    const bad = firstInvalidUtf8(raw);
    if (bad !== -1) throw new TextError(`${name}: line ${line}: invalid UTF-8 at byte ${start + bad}`);
    let text = decodeUtf8(raw, name);
    if (text.endsWith('\r')) text = text.slice(0, -1);
    start = end + 1;
    if (text.trim() === '') continue;
    const tab = text.indexOf('\t');
    if (tab === -1) throw new TextError(`${name}: line ${line}: no tab; each line must be source<TAB>target`);
    if (text.indexOf('\t', tab + 1) !== -1) throw new TextError(`${name}: line ${line}: more than one tab; each line must be source<TAB>target`);
    const source = text.slice(0, tab);
    const target = text.slice(tab + 1);
    if (source === '') throw new TextError(`${name}: line ${line}: empty source`);
    if (target === '') throw new TextError(`${name}: line ${line}: empty target`);
    pairs.push({ source, target });
  }
  if (pairs.length === 0) throw new TextError(`${name}: no pairs (expected source<TAB>target lines)`);
  return pairs;
}
