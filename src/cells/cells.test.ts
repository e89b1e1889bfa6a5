import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gradcheck } from '../autograd/index.js';
import { concat, sum } from '../ops/index.js';
import { scan } from '../sequence/scan.js';
import { ArgumentError, Rng, Tensor, randn } from '../tensor/index.js';
import type { Cell, CellState } from './cell.js';
import { CELLS, CELL_KINDS, createCell, type CellKind } from './registry.js';
import { stateTensors } from './state.js';

const INPUT = 3;
const HIDDEN = 4;

function cellsUnderTest(dtype: 'float32' | 'float64'): { label: string; cell: Cell }[] {
  const out: { label: string; cell: Cell }[] = [];
  for (const kind of CELL_KINDS) {
    CELLS[kind].testConfigs.forEach((extra, i) => {
      const config = { ...extra, inputSize: INPUT, hiddenSize: HIDDEN, dtype };
      out.push({ label: `${kind}#${i} ${JSON.stringify(extra)}`, cell: createCell(kind as CellKind, config as never, new Rng(17 + i)) });
    });
  }
  return out;
}

/** The hand-written unrolled loop that scan must equal. */
function handLoop(cell: Cell, xs: Tensor): { outputs: number[]; final: number[] } {
  const [b, t] = xs.shape as [number, number, number];
  let state: CellState = cell.initialState(b);
  const outputs: number[][] = [];
  for (let step = 0; step < t; step++) {
    const x = new Tensor(new Float64Array(b * INPUT), [b, INPUT]);
    for (let i = 0; i < b; i++) for (let j = 0; j < INPUT; j++) x.data[i * INPUT + j] = xs.get(i, step, j);
    const r = cell.step(x, state);
    state = r.state;
    outputs.push(Array.from(r.output.data));
  }
  // Reorder [T][B*O] to [B, T, O].
  const o = cell.outputSize;
  const flat: number[] = [];
  for (let i = 0; i < b; i++) for (let s = 0; s < t; s++) for (let j = 0; j < o; j++) flat.push(outputs[s]![i * o + j]!);
  return { outputs: flat, final: stateTensors(state).flatMap((x) => Array.from(x.data)) };
}

for (const { label, cell } of cellsUnderTest('float64')) {
  test(`${label}: initialState shapes and output size`, () => {
    const s = cell.initialState(5);
    for (const t of stateTensors(s)) assert.equal(t.shape[0], 5);
    const r = cell.step(randn([5, INPUT], new Rng(1), { dtype: 'float64' }), s);
    assert.deepEqual(r.output.shape, [5, cell.outputSize]);
  });

  test(`${label}: scan equals the hand loop`, () => {
    const xs = randn([2, 5, INPUT], new Rng(2), { dtype: 'float64' });
    // The composed path is the hand loop's exact twin; the fused path (cell.scanFused) rounds
    // differently and is checked against the composed one in src/sequence/fused.test.ts.
    const { outputs, finalState } = scan(cell, xs, { fused: false });
    const ref = handLoop(cell, xs);
    assert.deepEqual(Array.from(outputs.data), ref.outputs);
    assert.deepEqual(stateTensors(finalState).flatMap((x) => Array.from(x.data)), ref.final);
  });

  test(`${label}: gradcheck through scan (BPTT) w.r.t. inputs and every parameter, with padding`, () => {
    const xs = randn([2, 4, INPUT], new Rng(3), { dtype: 'float64', requiresGrad: true });
    const params = cell.parameters();
    assert.ok(params.length > 0);
    const fn = (x: Tensor): Tensor => {
      const { outputs, finalState } = scan(cell, x, { lengths: [4, 2] });
      return concat([sum(outputs, 1), ...stateTensors(finalState)], 1);
    };
    const result = gradcheck((x) => fn(x), [xs, ...params]);
    assert.ok(result.maxRelError < 1e-6, `max relative error ${result.maxRelError} at ${JSON.stringify(result.worst)}`);
  });

  test(`${label}: padded steps carry the state and emit zeros; reverse skips the padding`, () => {
    const xs = randn([2, 5, INPUT], new Rng(4), { dtype: 'float64' });
    const padded = scan(cell, xs, { lengths: [5, 3] });
    // Example 1 alone, cut to its 3 valid steps, must give the same final state.
    const short = new Tensor(new Float64Array(3 * INPUT), [1, 3, INPUT]);
    for (let s = 0; s < 3; s++) for (let j = 0; j < INPUT; j++) short.data[s * INPUT + j] = xs.get(1, s, j);
    const alone = scan(cell, short);
    const finalOf = (st: CellState, row: number): number[] =>
      stateTensors(st).flatMap((t) => Array.from(t.data.subarray(row * (t.size / (t.shape[0] as number)), (row + 1) * (t.size / (t.shape[0] as number)))));
    const a = finalOf(padded.finalState, 1);
    const b = finalOf(alone.finalState, 0);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-12));
    for (let s = 3; s < 5; s++) for (let j = 0; j < cell.outputSize; j++) assert.equal(padded.outputs.get(1, s, j), 0);
    const rev = scan(cell, xs, { lengths: [5, 3], reverse: true });
    const revAlone = scan(cell, short, { reverse: true });
    const c = finalOf(rev.finalState, 1);
    const d = finalOf(revAlone.finalState, 0);
    c.forEach((v, i) => assert.ok(Math.abs(v - d[i]!) < 1e-12));
  });
}

test('scan rejects bad inputs with typed errors', () => {
  const cell = createCell('gru', { inputSize: INPUT, hiddenSize: HIDDEN }, new Rng(0));
  assert.throws(() => scan(cell, randn([2, 5, INPUT + 1], new Rng(0))), ArgumentError);
  assert.throws(() => scan(cell, randn([2, 5, INPUT], new Rng(0)), { lengths: [5, 6] }), /lengths\[1\] = 6/);
  assert.throws(() => createCell('lstm', { inputSize: 0, hiddenSize: 4 }, new Rng(0)), /inputSize must be a positive integer/);
});
