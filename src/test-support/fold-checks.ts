// Helpers shared by the fused tree-fold tests (src/tree/fold-fused.test.ts for the N-ary
// Tree-LSTM, src/tree/child-sum-fold.test.ts for the Child-Sum one): which ops a graph holds,
// and element-wise closeness relative to the reference's largest magnitude.
import assert from 'node:assert/strict';
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
