import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backward } from '../autograd/index.js';
import { gemmReady, setGemmBackend } from '../kernels/gemm.js';
import { sequenceKernelPath } from '../kernels/sequence-wasm.js';
import { mul, sum } from '../ops/index.js';
import { Rng, Tensor, randn, type DType } from '../tensor/index.js';
import { ChildSumTreeLSTMCell, NaryTreeLSTMCell, type NaryTreeLSTMCellConfig, type TreeLSTMState } from './tree-lstm-cells.js';

// The fused Tree-LSTM levels (ops/tree-ops.ts; kernels/tree-lstm.ts with assembly/tree.ts for
// the N-ary cell, kernels/child-sum-lstm.ts for the Child-Sum cell) against their composed
// twins, composeUnfused: the same values and the same
// gradients for the node inputs, the children's h and c and every parameter. In float64 (the
// JavaScript pass, exact maths) to 1e-12; in float32 on both element-wise paths, WebAssembly
// SIMD and JavaScript, to float32 rounding.

const INPUT = 5;
const HIDDEN = 6;

interface Case {
  readonly label: string;
  /** The Child-Sum cell (slots = config.arity or 2) instead of the N-ary one. */
  readonly childSum?: boolean;
  readonly config: Omit<NaryTreeLSTMCellConfig, 'inputSize' | 'hiddenSize' | 'dtype'>;
  readonly children: boolean;
  /** Nodes in the call (default 7); at 16 or more the wasm path merges the input's and the children's gemms. */
  readonly nodes?: number;
}

const CASES: Case[] = [
  { label: 'binary, with children', config: {}, children: true },
  { label: 'binary, leaves', config: {}, children: false },
  { label: 'ternary, forget bias 1, with children', config: { arity: 3, forgetBias: 1 }, children: true },
  { label: 'no bias, with children', config: { bias: false }, children: true },
  { label: 'no bias, leaves', config: { bias: false }, children: false },
  { label: 'binary, 20 nodes with children (one merged product on the wasm path)', config: {}, children: true, nodes: 20 },
  { label: 'ternary, 20 leaves', config: { arity: 3 }, children: false, nodes: 20 },
  { label: 'child-sum, 3 slots', config: { arity: 3 }, children: true, childSum: true },
  { label: 'child-sum, 1 slot, no bias', config: { arity: 1, bias: false }, children: true, childSum: true },
  { label: 'child-sum, leaves', config: {}, children: false, childSum: true },
  { label: 'child-sum, 20 nodes of 2 slots', config: {}, children: true, childSum: true, nodes: 20 },
];

/** Every differentiated tensor of one run: x, children's h and c (when given), then the cell's parameters. */
function runBoth(dtype: DType, c: Case): { fused: Float64Array[]; composed: Float64Array[]; outputs: [Float64Array, Float64Array] } {
  const { arity, ...rest } = c.config;
  const cell = c.childSum === true
    ? new ChildSumTreeLSTMCell({ ...rest, inputSize: INPUT, hiddenSize: HIDDEN, dtype }, new Rng(11))
    : new NaryTreeLSTMCell({ ...c.config, inputSize: INPUT, hiddenSize: HIDDEN, dtype }, new Rng(11));
  const N = cell.arity ?? arity ?? 2;
  const rng = new Rng(12);
  const N_NODES = c.nodes ?? 7;
  const x = randn([N_NODES, INPUT], rng, { dtype, requiresGrad: true });
  const kids: TreeLSTMState | null = c.children
    ? { h: randn([N_NODES, N, HIDDEN], rng, { dtype, requiresGrad: true }), c: randn([N_NODES, N, HIDDEN], rng, { dtype, requiresGrad: true }) }
    : null;
  // Node 0 reads zero children in every slot, node 1 in its last slot (a unary node).
  if (kids !== null) {
    for (const t of [kids.h, kids.c]) {
      t.data.fill(0, 0, N * HIDDEN);
      t.data.fill(0, (2 * N - 1) * HIDDEN, 2 * N * HIDDEN);
    }
  }
  const wh = randn([N_NODES, HIDDEN], rng, { dtype });
  const wc = randn([N_NODES, HIDDEN], rng, { dtype });
  const leaves = [x, ...(kids === null ? [] : [kids.h, kids.c]), ...cell.parameters()];
  const run = (compose: (x: Tensor, k: TreeLSTMState | null) => TreeLSTMState): { grads: Float64Array[]; out: [Float64Array, Float64Array] } => {
    for (const p of leaves) p.grad = null;
    const s = compose(x, kids);
    backward(sum(mul(s.h, wh)));
    // A second loss through c alone, so dL/dc reaches the op from outside too.
    const s2 = compose(x, kids);
    backward(sum(mul(s2.c, wc)));
    return { grads: leaves.map((p) => Float64Array.from(p.grad?.data ?? [])), out: [Float64Array.from(s.h.data), Float64Array.from(s.c.data)] };
  };
  const fused = run((xx, k) => cell.compose(xx, k));
  const composed = run((xx, k) => cell.composeUnfused(xx, k));
  for (const [i, v] of fused.out.entries()) assertClose(v, composed.out[i] as Float64Array, dtype, i === 0 ? 'h' : 'c');
  return { fused: fused.grads, composed: composed.grads, outputs: fused.out };
}

function assertClose(a: Float64Array, b: Float64Array, dtype: DType, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  const tol = dtype === 'float64' ? 1e-12 : 2e-5;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number, y = b[i] as number;
    assert.ok(Math.abs(x - y) <= tol * Math.max(1, Math.abs(y)), `${what}[${i}]: fused ${x} vs composed ${y}`);
  }
}

function checkCase(dtype: DType, c: Case): void {
  const { fused, composed } = runBoth(dtype, c);
  assert.equal(fused.length, composed.length);
  // Every leaf gets a gradient but weightHh in the step with no children, which does not read it.
  assert.equal(fused.filter((g) => g.length === 0).length, c.children ? 0 : 1);
  fused.forEach((g, i) => assertClose(g, composed[i] as Float64Array, dtype, `gradient of leaf ${i}`));
}

for (const c of CASES) {
  test(`naryTreeLstm fused equals composed, float64: ${c.label}`, () => checkCase('float64', c));
}

test('naryTreeLstm fused equals composed in float32 on the WebAssembly and the JavaScript element-wise pass', async () => {
  await gemmReady();
  try {
    assert.equal(sequenceKernelPath(), 'wasm-simd', 'the wasm path is available on Node 20');
    for (const c of CASES) checkCase('float32', c);
    setGemmBackend('js');
    assert.equal(sequenceKernelPath(), 'js');
    for (const c of CASES) checkCase('float32', c);
  } finally {
    setGemmBackend('auto');
  }
});

test('naryTreeLstm and childSumTreeLstm: the WebAssembly and JavaScript passes agree in float32', async () => {
  await gemmReady();
  for (const c of CASES.filter((x) => x.children && (x.nodes ?? 7) >= 16)) {
    try {
      const wasm = runBoth('float32', c);
      setGemmBackend('js');
      const js = runBoth('float32', c);
      wasm.outputs.forEach((v, i) => assertClose(v, js.outputs[i] as Float64Array, 'float32', `${c.label}: output ${i}`));
      wasm.fused.forEach((g, i) => assertClose(g, js.fused[i] as Float64Array, 'float32', `${c.label}: gradient ${i}`));
    } finally {
      setGemmBackend('auto');
    }
  }
});

test('naryTreeLstm rejects malformed inputs with typed errors', () => {
  const cell = new NaryTreeLSTMCell({ inputSize: INPUT, hiddenSize: HIDDEN }, new Rng(0));
  const x = randn([3, INPUT], new Rng(0));
  const kids = { h: randn([3, 2, HIDDEN], new Rng(0)), c: randn([3, 2, HIDDEN - 1], new Rng(0)) };
  assert.throws(() => cell.compose(x, kids), /must be \[3, K, 6\]|childC must be \[3,2,6\]/);
});
