import { ArgumentError, Tensor, UnfoldError, type DType } from '../tensor/index.js';

/** Thrown when a model file is malformed; the message says what and where (byte offsets). */
export class ModelFileError extends UnfoldError {
  constructor(message: string) {
    super('model-file', message);
  }
}

/** The largest JSON header a file may declare (safetensors uses 100 MB; ours are small). */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** What a model file holds: named tensors plus string metadata (configs, vocabularies as JSON). */
export interface ModelFileContents {
  readonly tensors: ReadonlyMap<string, Tensor>;
  readonly metadata: Readonly<Record<string, string>>;
}

const DTYPE_CODES: Record<DType, 'F32' | 'F64'> = { float32: 'F32', float64: 'F64' };
const BYTES: Record<'F32' | 'F64', number> = { F32: 4, F64: 8 };

/**
 * Encodes tensors and metadata in the safetensors layout (readable by Python's
 * `safetensors`): an 8-byte little-endian header length N, N bytes of JSON
 * `{ "__metadata__": {string: string}, name: { dtype, shape, data_offsets: [begin, end] } }`
 * padded with spaces to a multiple of 8, then the raw little-endian tensor bytes. Data
 * only: nothing in a model file is ever evaluated.
 *
 * @example
 * ```ts
 * const bytes = encodeModelFile({ tensors: net.namedParameters(), metadata: { config: JSON.stringify(config) } });
 * const back = decodeModelFile(bytes); // back.tensors.get('cells.0.weightIh')
 * ```
 */
export function encodeModelFile(contents: ModelFileContents): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { ...contents.metadata } };
  for (const [k, v] of Object.entries(contents.metadata)) {
    if (typeof v !== 'string') throw new ArgumentError('encodeModelFile', `metadata '${k}' must be a string`);
  }
  let offset = 0;
  const entries = [...contents.tensors.entries()];
  for (const [name, t] of entries) {
    if (name === '__metadata__') throw new ArgumentError('encodeModelFile', 'a tensor may not be named __metadata__');
    const code = DTYPE_CODES[t.dtype];
    const size = t.size * BYTES[code];
    header[name] = { dtype: code, shape: [...t.shape], data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  const encoder = new TextEncoder();
  let headerBytes = encoder.encode(json);
  if (headerBytes.length > MAX_HEADER_BYTES) throw new ArgumentError('encodeModelFile', `header of ${headerBytes.length} bytes exceeds ${MAX_HEADER_BYTES}`);
  // Padding keeps the data 8-byte aligned, so float64 views need no copy.
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  json += ' '.repeat(padded - headerBytes.length);
  headerBytes = encoder.encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const [, t] of entries) {
    const step = t.dtype === 'float64' ? 8 : 4;
    for (let i = 0; i < t.size; i++, at += step) {
      if (step === 8) view.setFloat64(at, t.data[i] as number, true);
      else view.setFloat32(at, t.data[i] as number, true);
    }
  }
  return out;
}

/**
 * Decodes and validates a model file before allocating any tensor: the header length is
 * within bounds, the header is JSON of the expected form, every dtype is known, every
 * shape is a list of non-negative integers whose byte size (computed without overflow)
 * equals its offsets' span, offsets are in range, tensors neither overlap nor leave
 * holes, and the data section ends exactly at the end of the file.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = decodeModelFile(bytes);
 * ```
 */
export function decodeModelFile(bytes: Uint8Array): ModelFileContents {
  if (bytes.length < 8) throw new ModelFileError(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(MAX_HEADER_BYTES)) throw new ModelFileError(`header length ${declared} at byte 0 exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLength = Number(declared);
  if (8 + headerLength > bytes.length) throw new ModelFileError(`header length ${headerLength} runs past the end of the ${bytes.length}-byte file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw new ModelFileError(`header (bytes 8..${8 + headerLength}) is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new ModelFileError('header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const spans: { name: string; begin: number; end: number; dtype: 'F32' | 'F64'; shape: number[] }[] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) throw new ModelFileError('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') throw new ModelFileError(`metadata '${k}' is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== 'F32' && e.dtype !== 'F64') throw new ModelFileError(`tensor '${name}': unsupported dtype ${JSON.stringify(e.dtype)} (F32 or F64)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new ModelFileError(`tensor '${name}': shape must be a list of non-negative integers`);
    }
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      throw new ModelFileError(`tensor '${name}': data_offsets must be two non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    // Byte size with overflow checks: stop as soon as it exceeds the data section.
    let size = BYTES[e.dtype];
    for (const d of e.shape as number[]) {
      size *= d;
      if (size > dataLength) throw new ModelFileError(`tensor '${name}': shape [${(e.shape as number[]).join(',')}] needs more bytes than the file's ${dataLength}-byte data section`);
    }
    if (end < begin || end > dataLength) throw new ModelFileError(`tensor '${name}': data_offsets [${begin}, ${end}] are outside the data section (0..${dataLength})`);
    if (end - begin !== size) throw new ModelFileError(`tensor '${name}': data_offsets span ${end - begin} bytes but shape and dtype need ${size}`);
    spans.push({ name, begin, end, dtype: e.dtype, shape: e.shape as number[] });
  }
  spans.sort((a, b) => a.begin - b.begin);
  let cursor = 0;
  for (const s of spans) {
    if (s.begin < cursor) throw new ModelFileError(`tensor '${s.name}' overlaps the tensor before it (bytes ${s.begin}..${cursor})`);
    if (s.begin > cursor) throw new ModelFileError(`hole in the data section at bytes ${dataStart + cursor}..${dataStart + s.begin} before tensor '${s.name}'`);
    cursor = s.end;
  }
  if (cursor !== dataLength) throw new ModelFileError(`file is ${bytes.length} bytes but its tensors end at byte ${dataStart + cursor}`);
  const tensors = new Map<string, Tensor>();
  for (const s of spans) {
    const count = (s.end - s.begin) / BYTES[s.dtype];
    const at = dataStart + s.begin;
    let data: Float32Array | Float64Array;
    if (s.dtype === 'F64') {
      data = new Float64Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat64(at + 8 * i, true);
    } else {
      data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(at + 4 * i, true);
    }
    tensors.set(s.name, new Tensor(data, s.shape));
  }
  return { tensors, metadata };
}
