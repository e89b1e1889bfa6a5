import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ModelFileError, decodeModelFile, encodeModelFile, type ModelFileContents } from './safetensors.js';

/**
 * Writes a model file atomically: the bytes go to a temporary file in the same folder,
 * are flushed to disk, and the temporary file is renamed over `path`. A crash or kill at
 * any moment leaves either the previous file or the new one, never half of one.
 *
 * @example
 * ```ts
 * await saveModelFile('out/model.safetensors', { tensors: parameterTensors(net), metadata: { config } });
 * ```
 */
export async function saveModelFile(path: string, contents: ModelFileContents): Promise<void> {
  await writeFileAtomic(path, encodeModelFile(contents));
}

/** Writes bytes to `path` through a temporary file and a rename (see {@link saveModelFile}). */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } catch (e) {
    await handle.close();
    await rm(temp, { force: true });
    throw e;
  }
  await handle.close();
  try {
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/**
 * Reads and validates a model file (see `decodeModelFile`). A missing path, a directory or
 * a malformed file is a {@link ModelFileError} naming the path and the problem.
 */
export async function loadModelFile(path: string): Promise<ModelFileContents> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new ModelFileError(`${path}: no such file`);
  }
  if (info.isDirectory()) throw new ModelFileError(`${path} is a directory, not a model file`);
  const bytes = await readFile(path);
  try {
    return decodeModelFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if (e instanceof ModelFileError) throw new ModelFileError(`${path}: ${e.message}`);
    throw e;
  }
}
