import { ArgumentError, UnfoldError } from '../tensor/index.js';

/** Thrown for text that cannot be used: invalid UTF-8 (with the byte offset), empty, too short. */
export class TextError extends UnfoldError {
  constructor(message: string) {
    super('text', message);
  }
}

/**
 * Decodes UTF-8 strictly. Invalid input (a stray continuation byte, a truncated or
 * overlong sequence, a surrogate, a code point above U+10FFFF) is a {@link TextError}
 * naming the byte offset of the first bad sequence, which TextDecoder's fatal mode does
 * not report. A leading byte-order mark is dropped.
 *
 * @example
 * ```ts
 * decodeUtf8(new Uint8Array([0x68, 0xc3, 0xa9])); // 'hé'
 * decodeUtf8(new Uint8Array([0x68, 0xc3]));       // throws: invalid UTF-8 at byte 1
 * ```
 */
export function decodeUtf8(bytes: Uint8Array, source = 'input'): string {
  const offset = firstInvalidUtf8(bytes);
  if (offset !== -1) throw new TextError(`${source}: invalid UTF-8 at byte ${offset}`);
  const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

/** The byte offset of the first invalid UTF-8 sequence, or -1 when all of it is valid. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) { need = 1; min = 0x80; cp = b & 0x1f; }
    else if (b >= 0xe0 && b <= 0xef) { need = 2; min = 0x800; cp = b & 0x0f; }
    else if (b >= 0xf0 && b <= 0xf4) { need = 3; min = 0x10000; cp = b & 0x07; }
    else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * A character vocabulary over Unicode code points (not UTF-16 units: an emoji or any
 * astral character is ONE symbol). Symbols are sorted by code point, so the same text
 * always gives the same ids.
 *
 * @example
 * ```ts
 * const vocab = Vocabulary.fromText('héllo 🙂');
 * vocab.decode(vocab.encode('hé🙂')); // 'hé🙂'
 * ```
 */
export class Vocabulary {
  readonly symbols: readonly string[];
  private readonly ids: ReadonlyMap<string, number>;

  constructor(symbols: readonly string[]) {
    const seen = new Set<string>();
    for (const s of symbols) {
      if ([...s].length !== 1) throw new ArgumentError('Vocabulary', `each symbol must be one code point, got ${JSON.stringify(s)}`);
      if (seen.has(s)) throw new ArgumentError('Vocabulary', `symbol ${JSON.stringify(s)} appears twice`);
      seen.add(s);
    }
    this.symbols = [...symbols];
    this.ids = new Map(symbols.map((s, i) => [s, i]));
  }

  /** The vocabulary of every code point in `text`, sorted by code point. */
  static fromText(text: string): Vocabulary {
    const set = new Set<string>();
    for (const ch of text) set.add(ch);
    return new Vocabulary([...set].sort((a, b) => (a.codePointAt(0) as number) - (b.codePointAt(0) as number)));
  }

  get size(): number {
    return this.symbols.length;
  }

  /** The id of one symbol, or undefined. */
  id(symbol: string): number | undefined {
    return this.ids.get(symbol);
  }

  /** Characters of `text` that are not in the vocabulary (each once, in order of appearance). */
  unknown(text: string): string[] {
    const out = new Set<string>();
    for (const ch of text) if (!this.ids.has(ch)) out.add(ch);
    return [...out];
  }

  /** Ids of every code point of `text`; throws a TextError listing unknown characters. */
  encode(text: string): Int32Array {
    const missing = this.unknown(text);
    if (missing.length > 0) {
      throw new TextError(`characters not in the vocabulary: ${missing.map((c) => `${JSON.stringify(c)} (U+${(c.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')})`).join(', ')}`);
    }
    const out = new Int32Array([...text].length);
    let i = 0;
    for (const ch of text) out[i++] = this.ids.get(ch) as number;
    return out;
  }

  /** The text of a sequence of ids. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.symbols[ids[i] as number] ?? '';
    return s;
  }
}
