// Loads and replays the golden fixtures in test/fixtures/cells/, written by
// scripts/golden_cells.py (run with /usr/bin/python3, which has python3-torch): the gated
// cell forms torch.nn has no module for, computed from written-out equations with torch
// in float64, gradients by torch.autograd. Shared by src/cells/gru-cell.test.ts and
// src/cells/lstm-cell.test.ts; the scan replay, leaf and difference helpers are also what
// src/sequence/torch-golden.test.ts uses for PyTorch's own cells.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { backward } from '../autograd/index.js';
import type { Cell, CellState } from '../cells/cell.js';
import type { Module } from '../nn/index.js';
import { add, mul, sum } from '../ops/index.js';
import { scan } from '../sequence/scan.js';
import { Tensor, allocate, type DType } from '../tensor/index.js';

/** A tensor as the fixtures store it: shape and row-major values. */
export interface FixtureTensor {
  readonly shape: readonly number[];
  readonly data: readonly number[] | Float32Array | Float64Array;
}

/** What a replay of `scan` over one cell compares: the part every cell fixture shares. */
export interface ScanFixture {
  readonly input: FixtureTensor;
  readonly h0: FixtureTensor;
  readonly c0: FixtureTensor | null;
  readonly output: FixtureTensor;
  readonly hN: FixtureTensor;
  readonly cN: FixtureTensor | null;
  readonly lossWeights: { readonly output: FixtureTensor; readonly hN: FixtureTensor; readonly cN?: FixtureTensor };
  readonly loss: number;
  readonly grad: { readonly input: FixtureTensor; readonly h0: FixtureTensor; readonly c0: FixtureTensor | null };
}

/** One fixture of scripts/golden_cells.py (gated_fixtures). */
export interface CellFixture extends ScanFixture {
  readonly torch: string;
  readonly generator: string;
  readonly name: string;
  readonly cell: 'gru' | 'lstm';
  /** The cell's options beyond inputSize and hiddenSize (resetAfter, peephole, projSize). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly inputSize: number;
  readonly hiddenSize: number;
  /** Under unfold's parameter names (cell.namedParameters()). */
  readonly params: Readonly<Record<string, FixtureTensor>>;
  readonly grad: ScanFixture['grad'] & { readonly params: Readonly<Record<string, FixtureTensor>> };
}

// float64 shows the maths is the same, not merely close (results are stored with 14
// significant digits); float32 is held to the 1e-5.
export const FIXTURE_TOLERANCE: Record<DType, number> = { float64: 1e-10, float32: 1e-5 };

const dir = new URL('../../test/fixtures/cells/', import.meta.url);

/** test/fixtures/cells/<name>.json. */
export function loadCellFixture(name: string): CellFixture {
  return JSON.parse(readFileSync(new URL(`${name}.json`, dir), 'utf8')) as CellFixture;
}

/** A leaf tensor of `dtype` from fixture data (cast to float32 when asked). */
export function leaf(t: FixtureTensor, dtype: DType, requiresGrad = false): Tensor {
  const data = allocate(dtype, t.data.length);
  data.set(t.data);
  return new Tensor(data, t.shape, requiresGrad);
}

/** Max |a - b| after checking the shapes agree; names the quantity on failure. */
export function maxDiff(what: string, actual: Tensor | null, expected: FixtureTensor): number {
  assert.ok(actual !== null, `${what}: no value (a gradient that never arrived?)`);
  assert.deepEqual([...actual.shape], [...expected.shape], `${what}: shape`);
  let m = 0;
  for (let i = 0; i < actual.size; i++) {
    const d = Math.abs((actual.data[i] as number) - (expected.data[i] as number));
    // NaN must fail, and Math.max would swallow it.
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

/**
 * The loss sums about a hundred products, so its float32 rounding grows with its size: it is
 * compared relative to max(1, |loss|); everything else absolutely.
 */
export function lossDiff(actual: number, expected: number): number {
  const d = Math.abs(actual - expected) / Math.max(1, Math.abs(expected));
  return Number.isNaN(d) ? Infinity : d;
}

/**
 * Runs `scan` over `cell` (weights already loaded) from the fixture's input and initial
 * states, back-propagates the fixture's loss (output, h_n and c_n weighted and summed) and
 * returns the difference of every compared quantity but the parameter gradients, which the
 * caller reads from its cell under its fixture's parameter names. `fused`, when given, is
 * passed to scan (else scan chooses).
 */
export function replayScan(cell: Cell, fx: ScanFixture, dtype: DType, fused?: boolean): Map<string, number> {
  const diffs = new Map<string, number>();
  const xs = leaf(fx.input, dtype, true);
  const h0 = leaf(fx.h0, dtype, true);
  const c0 = fx.c0 === null ? null : leaf(fx.c0, dtype, true);
  const initialState: CellState = c0 === null ? { h: h0 } : { h: h0, c: c0 };
  const { outputs, finalState } = scan(cell, xs, fused === undefined ? { initialState } : { initialState, fused });
  diffs.set('output', maxDiff('output', outputs, fx.output));
  const h = finalState['h'] as Tensor;
  diffs.set('h_n', maxDiff('h_n', h, fx.hN));
  let loss = add(sum(mul(outputs, leaf(fx.lossWeights.output, dtype))), sum(mul(h, leaf(fx.lossWeights.hN, dtype))));
  if (fx.cN !== null && fx.lossWeights.cN !== undefined) {
    const c = finalState['c'] as Tensor;
    diffs.set('c_n', maxDiff('c_n', c, fx.cN));
    loss = add(loss, sum(mul(c, leaf(fx.lossWeights.cN, dtype))));
  }
  diffs.set('loss', lossDiff(loss.item(), fx.loss));
  backward(loss);
  diffs.set('d input', maxDiff('d input', xs.grad, fx.grad.input));
  diffs.set('d h0', maxDiff('d h0', h0.grad, fx.grad.h0));
  if (c0 !== null && fx.grad.c0 !== null) diffs.set('d c0', maxDiff('d c0', c0.grad, fx.grad.c0));
  return diffs;
}

/**
 * Copies the fixture's weights into `cell` by name, replays it ({@link replayScan}) and adds
 * the difference of every parameter gradient.
 */
export function replayCellFixture(cell: Cell & Module, fx: CellFixture, dtype: DType, fused = true): Map<string, number> {
  const params = new Map(cell.namedParameters());
  assert.deepEqual([...params.keys()].sort(), Object.keys(fx.params).sort(), 'parameter names');
  for (const [name, p] of params) {
    const t = fx.params[name] as FixtureTensor;
    assert.deepEqual([...p.shape], [...t.shape], `${name}: shape`);
    p.data.set(t.data);
    p.grad = null;
  }
  const diffs = replayScan(cell, fx, dtype, fused);
  for (const [name, p] of params) diffs.set(`d ${name}`, maxDiff(`d ${name}`, p.grad, fx.grad.params[name] as FixtureTensor));
  return diffs;
}

/** Asserts every difference of {@link replayCellFixture} is within the dtype's tolerance. */
export function assertMatchesFixture(diffs: Map<string, number>, fx: CellFixture, dtype: DType): void {
  for (const [what, d] of diffs) assert.ok(d <= FIXTURE_TOLERANCE[dtype], `${fx.name} ${dtype}: ${what} differs from the reference by ${d}`);
}
