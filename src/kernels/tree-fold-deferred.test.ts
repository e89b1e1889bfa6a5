import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ArgumentError, Rng, randn, type DType, type TypedArray } from '../tensor/index.js';
import { onWasmAndJs, randomTree } from '../test-support/fold-checks.js';
import { planFold } from '../tree/fold.js';
import { childSumLstmBackward, childSumLstmForward, childSumLstmTape } from './child-sum-lstm.js';
import { childSumLstmFoldBackward, childSumLstmFoldForward, childSumLstmFoldTape, type ChildSumLstmFoldArgs } from './child-sum-lstm-fold.js';
import type { FoldOfLevelsGrads } from './tree-fold-levels.js';
import { naryTreeLstmFoldBackward, naryTreeLstmFoldForward, naryTreeLstmFoldTape, type NaryTreeLstmFoldArgs } from './tree-lstm-fold.js';
import { treeRnnFoldBackward, treeRnnFoldForward, treeRnnFoldTape, type TreeRnnFoldArgs } from './tree-rnn-fold.js';

// The tree folds (Child-Sum, recursive network, N-ary) defer dx and the weight gradients to one
// product each over all levels, from tables the backward fills part by part: here, asking for only
// some gradients gives those exactly as asking for all (the tables a gradient reads are filled
// whatever else is asked), and nothing for the rest. Their values are checked against float64
// and the by-level graph in tree/child-sum-fold.test.ts, tree/tree-rnn-fold.test.ts and
// tree/fold-fused.test.ts.

const I = 5, H = 6;


type Backward = (want: { x: boolean; weights: boolean }) => FoldOfLevelsGrads;

/** A fold of 8 random trees run forward; returns its backward from a fixed dy. */
function foldOf(kind: 'child-sum' | 'rnn' | 'nary', dtype: DType, seed: number): Backward {
  const rng = new Rng(seed);
  const trees = Array.from({ length: 8 }, () => randomTree(rng, 4, { kind: 'any', maxKids: kind === 'child-sum' ? 3 : 2, leaf: 0.3 }, 1));
  const arity = kind === 'child-sum' ? null : 2;
  const plan = planFold(trees, arity);
  const nodes = plan.nodes.length;
  const data = (shape: number[], k: number): TypedArray => randn(shape, new Rng(seed * 100 + k), { dtype }).data;
  const G = kind === 'rnn' ? H : 4 * H;
  // The N-ary cell's W_hh and b_hh have N + 3 blocks (one forget gate per child slot).
  const GH = kind === 'nary' ? 5 * H : G;
  const base = {
    nodes, inputSize: I, hiddenSize: H, x: data([nodes, I], 4), weightIh: data([G, I], 5),
    weightHh: data([GH, kind === 'child-sum' ? H : 2 * H], 6), biasIh: data([G], 7), biasHh: data([GH], 8), levels: plan.levels,
  };
  const fields = kind === 'rnn' ? 1 : 2;
  const out = data([fields, nodes, H], 0);
  const dy = data([fields, nodes, H], 9);
  if (kind === 'nary') {
    const args: NaryTreeLstmFoldArgs = { ...base, arity: 2 };
    const tape = naryTreeLstmFoldTape();
    naryTreeLstmFoldForward(args, tape, out);
    return (want) => naryTreeLstmFoldBackward(args, tape, dy, want);
  }
  if (kind === 'rnn') {
    const args: TreeRnnFoldArgs = { ...base, arity: 2 };
    const tape = treeRnnFoldTape();
    treeRnnFoldForward(args, tape, out);
    return (want) => treeRnnFoldBackward(args, tape, dy, want);
  }
  const args: ChildSumLstmFoldArgs = base;
  const tape = childSumLstmFoldTape();
  childSumLstmFoldForward(args, tape, out);
  return (want) => childSumLstmFoldBackward(args, tape, dy, want);
}

const WEIGHTS = ['weightIh', 'weightHh', 'biasIh', 'biasHh'] as const;

function check(path: string): void {
  for (const kind of ['child-sum', 'rnn', 'nary'] as const) {
    for (const dtype of ['float32', 'float64'] as const) {
      const label = `${kind}, ${dtype}, ${path}`;
      const other = foldOf(kind, dtype, 4);
      const fold = foldOf(kind, dtype, 3);
      // Another fold's backward first, so that tables this one does not fill hold other values.
      const backward: Backward = (want) => {
        other({ x: true, weights: true });
        return fold(want);
      };
      const all = backward({ x: true, weights: true });
      assert.ok(all.x !== null && WEIGHTS.every((k) => all[k] !== null), `${label}: every gradient`);
      assert.ok(Array.from(all.x as TypedArray).some((v) => v !== 0), `${label}: dx is not all zeros`);
      const onlyX = backward({ x: true, weights: false });
      assert.deepEqual(Array.from(onlyX.x as TypedArray), Array.from(all.x as TypedArray), `${label}: dx alone`);
      for (const k of WEIGHTS) assert.equal(onlyX[k], null, `${label}: no ${k} when only dx is asked`);
      const onlyWeights = backward({ x: false, weights: true });
      assert.equal(onlyWeights.x, null, `${label}: no dx when only the weights are asked`);
      for (const k of WEIGHTS) assert.deepEqual(Array.from(onlyWeights[k] as TypedArray), Array.from(all[k] as TypedArray), `${label}: ${k} alone`);
      const none = backward({ x: false, weights: false });
      assert.ok(none.x === null && WEIGHTS.every((k) => none[k] === null), `${label}: nothing asked, nothing given`);
    }
  }
}

test('the deferred fold backwards give each asked-for gradient as when all are asked, and null for the rest, on WebAssembly and JavaScript', () => onWasmAndJs(check));

test('a Child-Sum level backward that keeps da and dz_f for a fold refuses to compute dx or the weight gradients', () => {
  const n = 2, K = 2;
  const d = (size: number, seed: number): Float64Array => randn([size], new Rng(seed), { dtype: 'float64' }).data as Float64Array;
  const args = {
    nodes: n, slots: K, inputSize: I, hiddenSize: H, x: d(n * I, 1), weightIh: d(4 * H * I, 2), weightHh: d(4 * H * H, 3),
    biasIh: null, biasHh: null, childH: d(n * K * H, 4), childC: d(n * K * H, 5),
  };
  const tape = childSumLstmTape(args.x, n, K, H, true);
  childSumLstmForward(args, tape, new Float64Array(2 * n * H));
  const keep = { da: new Float64Array(n * 4 * H), forget: new Float64Array(n * K * H) };
  const dy = d(2 * n * H, 6);
  for (const want of [{ x: true, weights: false }, { x: false, weights: true }]) {
    assert.throws(() => childSumLstmBackward(args, tape, dy, { ...want, children: true }, keep), (e: unknown) => e instanceof ArgumentError && /computes neither dx nor the weight gradients/.test((e as Error).message));
  }
  assert.throws(() => childSumLstmBackward(args, tape, dy, { x: false, weights: false, children: true }, { ...keep, da: new Float64Array(3) }), (e: unknown) => e instanceof ArgumentError && /keep\.da/.test((e as Error).message));
  // Kept, da is the level's: its forget block is the sum of the children's dz_f.
  childSumLstmBackward(args, tape, dy, { x: false, weights: false, children: true }, keep);
  assert.ok(keep.forget.some((v) => v !== 0), 'dz_f was written');
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < H; j++) {
      const summed = (keep.forget[(r * K) * H + j] as number) + (keep.forget[(r * K + 1) * H + j] as number);
      assert.ok(Math.abs((keep.da[r * 4 * H + H + j] as number) - summed) < 1e-15, `row ${r}, unit ${j}`);
    }
  }
});
