import { GRUCell } from '../cells/gru-cell.js';
import { LSTMCell } from '../cells/lstm-cell.js';
import type { Cell } from '../cells/cell.js';
import type { Module } from '../nn/index.js';
import { ArgumentError, ShapeError, sizeOf, type Tensor } from '../tensor/index.js';
import type { Recurrent } from './recurrent.js';

/**
 * One tensor of a PyTorch state dict as plain data: its shape and its values flattened in
 * row-major order, which is what `tensor.flatten().tolist()` gives in Python.
 */
export interface TorchTensorData {
  readonly shape: readonly number[];
  readonly data: readonly number[] | Float32Array | Float64Array;
}

/** A PyTorch state dict as plain data, keyed by PyTorch's parameter names (`weight_ih_l0`...). */
export type TorchStateDict = Readonly<Record<string, TorchTensorData>>;

/** What {@link toTorchStateDict} returns: plain arrays, so `JSON.stringify` writes lists Python reads. */
export type TorchStateDictJson = Record<string, { shape: number[]; data: number[] }>;

const LAYER_NAME = /^(cells|reverseCells)\.(\d+)\.([A-Za-z][A-Za-z0-9]*)$/;

/** unfold's camelCase field to PyTorch's snake_case: weightIh -> weight_ih. */
function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/**
 * Refuses cells whose weights would load but compute something else than PyTorch's module:
 * the state dict carries no formulation, so only a check here can catch it.
 */
function checkCellFormulation(where: string, cell: Cell, label: string): void {
  // PyTorch's GRU (and cuDNN's) applies the reset gate after the recurrent product; the
  // book's form has the same weight shapes but a different function.
  if (cell instanceof GRUCell && !cell.resetAfter) {
    throw new ArgumentError(where, `${label} is a GRU with resetAfter: false; PyTorch's nn.GRU/GRUCell compute the resetAfter: true form, so its weights would load into a different function`);
  }
  if (cell instanceof LSTMCell && cell.weightCi !== null) {
    throw new ArgumentError(where, `${label} is an LSTM with peepholes, which PyTorch's nn.LSTM/LSTMCell do not have`);
  }
}

function checkRecurrent(where: string, net: Recurrent): void {
  if (net.config.residual === true) {
    throw new ArgumentError(where, 'the net has residual connections, which PyTorch\'s nn.RNN/LSTM/GRU do not have');
  }
  if (net.config.inputSkip === true) {
    throw new ArgumentError(where, 'the net has inputSkip connections, which PyTorch\'s nn.RNN/LSTM/GRU do not have');
  }
  net.cells.forEach((c, l) => checkCellFormulation(where, c, `layer ${l}`));
  net.reverseCells.forEach((c, l) => checkCellFormulation(where, c, `layer ${l} (reverse)`));
}

/**
 * The parameters of a {@link Recurrent} under PyTorch's names, in the order of PyTorch's
 * `state_dict()` (layer by layer, forward direction before reverse; within a direction
 * weight_ih, weight_hh, bias_ih, bias_hh, weight_hr): `cells.<l>.weightIh` is
 * `weight_ih_l<l>` and `reverseCells.<l>.weightHh` is `weight_hh_l<l>_reverse`.
 * Handy to compare gradients with PyTorch's, parameter by parameter.
 *
 * @example
 * ```ts
 * const net = new Recurrent({ cell: 'gru', inputSize: 4, hiddenSize: 8, bidirectional: true }, new Rng(0));
 * [...torchNamedParameters(net).keys()];
 * // ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0', 'weight_ih_l0_reverse', ...]
 * ```
 */
export function torchNamedParameters(net: Recurrent): Map<string, Tensor> {
  const entries: { torch: string; rank: number; tensor: Tensor }[] = [];
  for (const [name, tensor] of net.namedParameters()) {
    const m = LAYER_NAME.exec(name);
    if (m === null) throw new ArgumentError('torchNamedParameters', `parameter ${name} has no PyTorch name (expected cells.<layer>.<name> or reverseCells.<layer>.<name>)`);
    const [, group, layer, field] = m as unknown as [string, string, string, string];
    const reverse = group === 'reverseCells';
    entries.push({ torch: `${snake(field)}_l${layer}${reverse ? '_reverse' : ''}`, rank: Number(layer) * 2 + (reverse ? 1 : 0), tensor });
  }
  // Array.prototype.sort is stable, so the field order within a direction is kept.
  entries.sort((a, b) => a.rank - b.rank);
  return new Map(entries.map((e) => [e.torch, e.tensor]));
}

/**
 * The parameters of one cell under the names of PyTorch's nn.RNNCell / nn.LSTMCell /
 * nn.GRUCell: `weightIh` is `weight_ih`, `biasHh` is `bias_hh` (and an LSTM's projection
 * `weightHr` is `weight_hr`).
 *
 * @example
 * ```ts
 * const cell = new LSTMCell({ inputSize: 4, hiddenSize: 8 }, new Rng(0));
 * [...torchCellNamedParameters(cell).keys()]; // ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']
 * ```
 */
export function torchCellNamedParameters(cell: Cell & Module): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, tensor] of cell.namedParameters()) out.set(snake(name), tensor);
  return out;
}

/**
 * Checks the whole dict against the expected parameters BEFORE writing anything, so a bad
 * dict never leaves a half-loaded model, then copies the values in place (parameters keep
 * their identity, so an optimizer holding them stays valid). Values are converted to the
 * parameter's dtype.
 */
function load(where: string, params: Map<string, Tensor>, unfoldName: (torch: string) => string, dict: TorchStateDict): void {
  const missing = [...params.keys()].filter((k) => !Object.hasOwn(dict, k));
  const unexpected = Object.keys(dict).filter((k) => !params.has(k));
  if (missing.length > 0 || unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
    if (unexpected.length > 0) parts.push(`unexpected ${unexpected.join(', ')}`);
    throw new ArgumentError(where, `the state dict does not match the model's parameters: ${parts.join('; ')}`);
  }
  for (const [name, p] of params) {
    const t = dict[name] as TorchTensorData;
    const same = t.shape.length === p.shape.length && t.shape.every((d, i) => d === p.shape[i]);
    if (!same) {
      throw new ShapeError(where, `${name} (unfold's ${unfoldName(name)}) has a different shape in the state dict than in the model (state dict vs model)`, [t.shape, p.shape]);
    }
    if (t.data.length !== sizeOf(t.shape)) {
      throw new ArgumentError(where, `${name} has ${t.data.length} values for its shape [${t.shape.join(',')}] of ${sizeOf(t.shape)}`);
    }
  }
  for (const [name, p] of params) p.data.set((dict[name] as TorchTensorData).data);
}

function dump(params: Map<string, Tensor>): TorchStateDictJson {
  const out: TorchStateDictJson = {};
  for (const [name, p] of params) out[name] = { shape: [...p.shape], data: Array.from(p.data) };
  return out;
}

/** Inverse of the name mapping, for error messages: weight_hh_l1_reverse -> reverseCells.1.weightHh. */
function unfoldLayerName(torch: string): string {
  const m = /^(.*)_l(\d+)(_reverse)?$/.exec(torch);
  if (m === null) return torch;
  const field = (m[1] as string).replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return `${m[3] === undefined ? 'cells' : 'reverseCells'}.${m[2]}.${field}`;
}

/**
 * Loads the weights of a PyTorch nn.RNN / nn.LSTM / nn.GRU into a {@link Recurrent} of
 * the same architecture, by name: `weight_ih_l0` -> `cells.0.weightIh`,
 * `bias_hh_l1_reverse` -> `reverseCells.1.biasHh`, `weight_hr_l0` (proj_size) ->
 * `cells.0.weightHr`. unfold keeps PyTorch's gate orders (LSTM i, f, g, o; GRU r, z, n)
 * and its two biases, so values copy unchanged.
 *
 * Every name and shape is checked first: a parameter missing from the dict or a key the
 * model has no parameter for is an ArgumentError listing them all, a shape mismatch is a
 * ShapeError naming the parameter with both shapes; nothing is written unless all fit.
 * Nets PyTorch cannot express are refused (residual or inputSkip connections, a GRU with
 * resetAfter: false, LSTM peepholes). What the dict cannot tell -- an RNN's nonlinearity,
 * batch_first -- is the caller's to match: build the net with PyTorch's settings.
 *
 * PyTorch's state dict exported to JSON from Python:
 *
 *     import json
 *     sd = {k: {"shape": list(v.shape), "data": v.flatten().tolist()} for k, v in model.state_dict().items()}
 *     json.dump(sd, open("lstm.json", "w"))
 *
 * @example
 * ```ts
 * // model = nn.LSTM(16, 64, num_layers=2, bidirectional=True, proj_size=32, batch_first=True)
 * const config: RecurrentConfig<'lstm'> = { cell: 'lstm', inputSize: 16, hiddenSize: 64, numLayers: 2, bidirectional: true, cellOptions: { projSize: 32 } };
 * const net = new Recurrent(config, new Rng(0));
 * loadTorchStateDict(net, JSON.parse(readFileSync('lstm.json', 'utf8')));
 * ```
 */
export function loadTorchStateDict(net: Recurrent, stateDict: TorchStateDict): void {
  checkRecurrent('loadTorchStateDict', net);
  load('loadTorchStateDict', torchNamedParameters(net), unfoldLayerName, stateDict);
}

/**
 * The weights of a {@link Recurrent} as a PyTorch state dict (the inverse of
 * {@link loadTorchStateDict}), in PyTorch's key order, with plain number arrays.
 *
 * Loaded in Python:
 *
 *     sd = {k: torch.tensor(v["data"]).reshape(v["shape"]) for k, v in json.load(open("net.json")).items()}
 *     model.load_state_dict(sd)
 *
 * @example
 * ```ts
 * writeFileSync('net.json', JSON.stringify(toTorchStateDict(net)));
 * ```
 */
export function toTorchStateDict(net: Recurrent): TorchStateDictJson {
  checkRecurrent('toTorchStateDict', net);
  return dump(torchNamedParameters(net));
}

/**
 * Loads the weights of a single PyTorch nn.RNNCell / nn.LSTMCell / nn.GRUCell (keys
 * `weight_ih`, `weight_hh`, `bias_ih`, `bias_hh`) into an unfold cell, with the same
 * checks as {@link loadTorchStateDict}. An LSTM cell with a projection also needs
 * `weight_hr` (PyTorch's LSTMCell has none; take it from an nn.LSTM layer).
 *
 * @example
 * ```ts
 * // cell = nn.GRUCell(4, 8); exported with {k: {"shape": ..., "data": ...}} as above
 * const cell = new GRUCell({ inputSize: 4, hiddenSize: 8 }, new Rng(0));
 * loadTorchCellWeights(cell, JSON.parse(readFileSync('gru-cell.json', 'utf8')));
 * ```
 */
export function loadTorchCellWeights(cell: Cell & Module, weights: TorchStateDict): void {
  checkCellFormulation('loadTorchCellWeights', cell, `the ${cell.kind} cell`);
  const params = torchCellNamedParameters(cell);
  load('loadTorchCellWeights', params, (t) => t.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), weights);
}

/**
 * The weights of one cell under PyTorch's cell names (the inverse of
 * {@link loadTorchCellWeights}).
 *
 * @example
 * ```ts
 * const sd = toTorchCellWeights(new RNNCell({ inputSize: 3, hiddenSize: 5 }, new Rng(0)));
 * Object.keys(sd); // ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']
 * ```
 */
export function toTorchCellWeights(cell: Cell & Module): TorchStateDictJson {
  checkCellFormulation('toTorchCellWeights', cell, `the ${cell.kind} cell`);
  return dump(torchCellNamedParameters(cell));
}
