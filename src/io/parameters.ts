import type { Module } from '../nn/index.js';
import { ArgumentError, ShapeError, Tensor, sameShape } from '../tensor/index.js';

/**
 * Copies tensors into a module's parameters by name, after checking that every name is
 * present with the right shape and that none is left over; nothing is written unless all
 * of it fits. Values are converted to the parameter's dtype.
 *
 * @example
 * ```ts
 * loadParameters(net, decodeModelFile(bytes).tensors, 'model.');
 * ```
 */
export function loadParameters(module: Module, tensors: ReadonlyMap<string, Tensor>, prefix = ''): void {
  const params = module.namedParameters();
  const missing: string[] = [];
  for (const [name, p] of params) {
    const t = tensors.get(prefix + name);
    if (t === undefined) missing.push(prefix + name);
    else if (!sameShape(t.shape, p.shape)) throw new ShapeError('loadParameters', `parameter '${prefix + name}' has the wrong shape (file vs model)`, [t.shape, p.shape]);
  }
  const unexpected = [...tensors.keys()].filter((k) => k.startsWith(prefix) && !params.has(k.slice(prefix.length)));
  if (missing.length > 0 || unexpected.length > 0) {
    throw new ArgumentError('loadParameters', `the file does not fit the model: ${missing.length > 0 ? `missing ${missing.join(', ')}` : ''}${missing.length > 0 && unexpected.length > 0 ? '; ' : ''}${unexpected.length > 0 ? `unexpected ${unexpected.join(', ')}` : ''}`);
  }
  for (const [name, p] of params) p.data.set((tensors.get(prefix + name) as Tensor).data);
}

/** A module's parameters as a name -> tensor map with an optional name prefix, for {@link encodeModelFile}. */
export function parameterTensors(module: Module, prefix = ''): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, p] of module.namedParameters()) out.set(prefix + name, p);
  return out;
}
