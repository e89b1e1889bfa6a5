// Helpers shared by the fused tree-fold tests (src/tree/fold-fused.test.ts for the N-ary
// Tree-LSTM, src/tree/child-sum-fold.test.ts for the Child-Sum one): which ops a graph holds,
// and element-wise closeness relative to the reference's largest magnitude.
import assert from 'node:assert/strict';
import { gemmReady, setGemmBackend } from '../kernels/gemm.js';
import type { Tensor } from '../tensor/index.js';

/**
 * The op names of the graph that produced `t` (a walk over gradFn inputs).
 *
 * @example
 * ```ts
 * assert.ok(opsBehind(outputs).has('naryTreeLstmFold'));
 * ```
 */
export function opsBehind(t: Tensor): Set<string> {
  const ops = new Set<string>();
  const seen = new Set<Tensor>();
  const stack = [t];
  while (stack.length > 0) {
    const node = stack.pop() as Tensor;
    if (seen.has(node) || node.gradFn === null) continue;
    seen.add(node);
    ops.add(node.gradFn.op);
    stack.push(...node.gradFn.inputs);
  }
  return ops;
}

/**
 * Asserts |a - b| <= tol * max(1, max |b|) element by element, naming the first element that is not.
 *
 * @example
 * ```ts
 * assertClose(fused.outputs, exact.outputs, 2e-5, 'outputs against float64');
 * ```
 */
export function assertClose(a: Float64Array, b: Float64Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths`);
  let scale = 1;
  for (const v of b) scale = Math.max(scale, Math.abs(v));
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (!(d <= tol * scale)) assert.fail(`${what}: element ${i} is ${a[i]}, expected ${b[i]} (difference ${d}, scale ${scale})`);
  }
}

/** A fold's outputs and the gradients of its inputs' table and of every parameter, as float64. */
export interface FoldRun {
  readonly outputs: Float64Array;
  readonly grads: readonly Float64Array[];
}

/**
 * The checks of a fused fold in float32 against its references: every gradient non-zero, the
 * outputs bitwise those of the float32 by-level graph (a fold that runs the by-level
 * arithmetic) and within 2e-6 of the float64 fold, the gradients within 1e-5 of float64's and
 * of the by-level graph's (the largest differences seen were about 2e-7 and 4e-7).
 *
 * @example
 * ```ts
 * compareFolds('wasm, 8 units', run('float32', false), run('float32', true), run('float64', false));
 * ```
 */
export function compareFolds(label: string, fused: FoldRun, byLevel: FoldRun, exact: FoldRun): void {
  assert.ok(fused.grads.every((g) => g.some((v) => v !== 0)), `${label}: every gradient is non-zero`);
  assert.deepEqual(fused.outputs, byLevel.outputs, `${label}: outputs against the by-level fold`);
  assertClose(fused.outputs, exact.outputs, 2e-6, `${label}: outputs against float64`);
  fused.grads.forEach((g, i) => {
    assertClose(g, exact.grads[i] as Float64Array, 1e-5, `${label}: gradient ${i} against float64`);
    assertClose(g, byLevel.grads[i] as Float64Array, 1e-5, `${label}: gradient ${i} against the by-level fold`);
  });
}

/**
 * Runs `check` on the WebAssembly kernels ('wasm'), then with the JavaScript gemm ('js'),
 * restoring the automatic choice afterwards.
 *
 * @example
 * ```ts
 * test('...', () => onWasmAndJs((path) => compareFolds(path, ...)));
 * ```
 */
export async function onWasmAndJs(check: (path: 'wasm' | 'js') => void): Promise<void> {
  await gemmReady();
  try {
    check('wasm');
    setGemmBackend('js');
    check('js');
  } finally {
    setGemmBackend('auto');
  }
}
