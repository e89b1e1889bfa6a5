import { ModelFileError, type ModelFileContents } from '../../io/index.js';
import { ESN_DEFAULTS, EchoStateNetwork, Reservoir, type CsrMatrix, type EsnConfig } from '../../models/esn/index.js';
import { ArgumentError, Tensor, UnfoldError } from '../../tensor/index.js';

/**
 * The `format` metadata of an ESN model file; a loader refuses anything else.
 *
 * @example
 * ```ts
 * import { ESN_FILE_FORMAT, decodeModelFile } from 'unfold';
 * decodeModelFile(bytes).metadata.format === ESN_FILE_FORMAT;
 * ```
 */
export const ESN_FILE_FORMAT = 'unfold.esn/1';

/**
 * The contents of a model file for a fitted echo state network: the config (JSON, in the
 * metadata) and every weight as a float64 tensor, the sparse W as its three CSR arrays
 * (row offsets and column indices are integers, stored exactly as float64):
 *
 *     reservoir.w.rowStart [N+1], reservoir.w.columns [nnz], reservoir.w.values [nnz],
 *     reservoir.wIn [N, I], reservoir.bias [N], reservoir.wFb [N, O_fb],
 *     readout.weight [O, F], readout.bias [O]
 *
 * The weights are stored rather than regenerated from the seed, so a file stays valid
 * whatever later versions do to the random draws. Write it with `saveModelFile` (atomic)
 * or `encodeModelFile`.
 *
 * @example
 * ```ts
 * import { esnToModelFile, encodeModelFile } from 'unfold';
 * const bytes = encodeModelFile(esnToModelFile(esn));
 * ```
 */
export function esnToModelFile(esn: EchoStateNetwork): ModelFileContents {
  if (esn.readout === null) throw new ArgumentError('esnToModelFile', 'the network is not fitted: there is no readout to save');
  const r = esn.reservoir;
  const { units: n, inputSize: ni, feedbackSize: nf } = r.config;
  const o = esn.config.outputSize;
  const f64 = (values: ArrayLike<number>, shape: number[]): Tensor => new Tensor(Float64Array.from(values), shape);
  const tensors = new Map<string, Tensor>([
    ['reservoir.w.rowStart', f64(r.w.rowStart, [n + 1])],
    ['reservoir.w.columns', f64(r.w.columns, [r.w.columns.length])],
    ['reservoir.w.values', f64(r.w.values, [r.w.values.length])],
    ['reservoir.wIn', f64(r.wIn, [n, ni])],
    ['reservoir.bias', f64(r.bias, [n])],
    ['reservoir.wFb', f64(r.wFb, [n, nf])],
    ['readout.weight', f64(esn.readout.weight, [o, esn.featureSize])],
    ['readout.bias', f64(esn.readout.bias, [o])],
  ]);
  return { tensors, metadata: { format: ESN_FILE_FORMAT, config: JSON.stringify(esn.config) } };
}

/**
 * Rebuilds a fitted echo state network from {@link esnToModelFile}'s contents (as returned
 * by `loadModelFile` / `decodeModelFile`, which have already checked the byte layout). Checks
 * the format tag, the config, every tensor's presence and shape, that the CSR indices are
 * in-range integers in order, and that all values are finite; any problem is a
 * ModelFileError saying which. The state starts at zero.
 *
 * @example
 * ```ts
 * import { esnFromModelFile, loadModelFile } from 'unfold/node';
 * const esn = esnFromModelFile(await loadModelFile('mg.unfold'));
 * ```
 */
export function esnFromModelFile(contents: ModelFileContents): EchoStateNetwork {
  const format = contents.metadata['format'];
  if (format !== ESN_FILE_FORMAT) throw new ModelFileError(`not an echo state network file: format is ${JSON.stringify(format)}, expected "${ESN_FILE_FORMAT}"`);
  let config: EsnConfig;
  try {
    config = JSON.parse(contents.metadata['config'] ?? '') as EsnConfig;
  } catch (e) {
    throw new ModelFileError(`the config metadata is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof config !== 'object' || config === null || typeof config.reservoir !== 'object' || config.reservoir === null) {
    throw new ModelFileError('the config metadata has no reservoir');
  }
  const get = (name: string, shape: readonly number[]): Float64Array => {
    const t = contents.tensors.get(name);
    if (t === undefined) throw new ModelFileError(`tensor '${name}' is missing`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ModelFileError(`tensor '${name}' has shape [${t.shape.join(',')}], expected [${shape.join(',')}]`);
    }
    return Float64Array.from(t.data);
  };
  const integers = (name: string, values: Float64Array, limit: number): Int32Array => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (!Number.isInteger(v) || v < 0 || v > limit) throw new ModelFileError(`tensor '${name}' holds ${v} at ${i}, not an integer in [0, ${limit}]`);
    }
    return Int32Array.from(values);
  };
  try {
    const { units: n, inputSize: ni } = config.reservoir;
    const nf = config.reservoir.feedbackSize ?? 0;
    const o = config.outputSize;
    for (const [k, v] of Object.entries({ units: n, inputSize: ni, feedbackSize: nf, outputSize: o })) {
      if (!Number.isSafeInteger(v) || v < 0) throw new ModelFileError(`config ${k} is ${String(v)}, not a non-negative integer`);
    }
    const columns = contents.tensors.get('reservoir.w.columns');
    const nnz = columns === undefined ? 0 : (columns.shape[0] ?? 0);
    const rowStart = integers('reservoir.w.rowStart', get('reservoir.w.rowStart', [n + 1]), nnz);
    const w: CsrMatrix = {
      rows: n, cols: n, rowStart,
      columns: integers('reservoir.w.columns', get('reservoir.w.columns', [nnz]), Math.max(0, n - 1)),
      values: get('reservoir.w.values', [nnz]),
    };
    const reservoir = new Reservoir(config.reservoir, {
      w, wIn: get('reservoir.wIn', [n, ni]), bias: get('reservoir.bias', [n]), wFb: get('reservoir.wFb', [n, nf]),
    });
    const features = n + ((config.readoutInput ?? ESN_DEFAULTS.readoutInput) ? ni : 0);
    const weight = get('readout.weight', [o, features]);
    const bias = get('readout.bias', [o]);
    for (const [name, a] of [['readout.weight', weight], ['readout.bias', bias]] as const) {
      if (!a.every(Number.isFinite)) throw new ModelFileError(`tensor '${name}' holds a non-finite value`);
    }
    return new EchoStateNetwork(config, { reservoir, readout: { weight, bias } });
  } catch (e) {
    if (e instanceof ModelFileError || !(e instanceof UnfoldError)) throw e;
    // A config or weight the library refuses (a bad leak, a malformed W): still a bad file.
    throw new ModelFileError(`the file does not describe a valid echo state network: ${e.message}`);
  }
}
