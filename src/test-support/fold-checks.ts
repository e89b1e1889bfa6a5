// Helpers shared by the fused tree-fold tests (src/tree/fold-fused.test.ts for the N-ary
// Tree-LSTM, child-sum-fold.test.ts, tree-rnn-fold.test.ts, fold-wasm.test.ts and
// kernels/tree-fold-deferred.test.ts): the random trees they fold, one fold run with its
// gradients, which ops a graph holds, element-wise closeness relative to the reference's
// largest magnitude, the comparison of a fused fold with its references, a wasm tape's life
// and the weights kept inside withResidentWeights.
import assert from 'node:assert/strict';
import { backward, noGrad } from '../autograd/index.js';
import { gemmReady, setGemmBackend } from '../kernels/gemm.js';
import { RESIDENT_BUDGET_BYTES } from '../kernels/fold-tapes.js';
import { kernelThreadsReady, setKernelThreads } from '../kernels/threads.js';
import { withResidentWeights } from '../kernels/resident.js';
import { wasmKernels } from '../kernels/wasm-module.js';
import { gather, mul, sum } from '../ops/index.js';
import { Rng, Tensor, randn, type DType } from '../tensor/index.js';
import { foldTree, planFold } from '../tree/fold.js';
import type { TreeCell } from '../tree/tree-cell.js';
import { tree, type Tree } from '../tree/tree.js';

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
 * assertClose(fused.outputs, exact.outputs, 2e-6, 'outputs against float64');
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
 * One fold as the fold tests compare them: `makeCell(dtype)` seeded the same for every dtype
 * (the weights drawn in float64 and copied, so float32 and float64 runs share them), each node's
 * input a row of a seeded [vocab, inputSize] table that requires gradients, the loss
 * sum(outputs * w) with w seeded; returns the outputs and the gradients of the table and of
 * every parameter, as float64. With `ops`, asserts which fold ran: the fused op and not the
 * by-level one, or the other way round when `byLevel`. With `tableInputs`, foldTree gets the
 * table and each node's row instead of a lookup callback (the same inputs).
 *
 * @example
 * ```ts
 * const fused = runFold((d) => new RecursiveCell({ inputSize: 5, hiddenSize: 7, dtype: d }, new Rng(7)), trees, { vocab: 10, dtype: 'float32', byLevel: false });
 * ```
 */
export function runFold(
  makeCell: (dtype: DType) => TreeCell, trees: readonly Tree<number>[],
  o: {
    readonly vocab: number; readonly dtype: DType; readonly byLevel: boolean; readonly ops?: { readonly fused: string; readonly byLevel: string };
    /** Hand foldTree the word table and every node's row ({ table, rows }) instead of a lookup callback. */
    readonly tableInputs?: boolean;
  },
): FoldRun {
  const ref = makeCell('float64');
  const cell = makeCell(o.dtype);
  cell.parameters().forEach((p, i) => p.data.set((ref.parameters()[i] as Tensor).data));
  const cast = (t: Tensor): Float32Array | Float64Array => (o.dtype === 'float64' ? t.data.slice() : Float32Array.from(t.data));
  const I = cell.inputSize;
  const table = new Tensor(cast(randn([o.vocab, I], new Rng(8), { dtype: 'float64' })), [o.vocab, I], true);
  const ids = (values: readonly number[]): Tensor => new Tensor(o.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), [values.length]);
  const plan = planFold(trees, cell.arity);
  const rows = Int32Array.from(plan.nodes, (n) => n.value);
  const { outputs } = foldTree(cell, plan, o.tableInputs === true ? { table, rows } : (values) => gather(table, ids(values)), { byLevel: o.byLevel });
  if (o.ops !== undefined) {
    const ops = opsBehind(outputs);
    assert.equal(ops.has(o.ops.fused), !o.byLevel, `${o.ops.fused} in the graph`);
    assert.equal(ops.has(o.ops.byLevel), o.byLevel, `${o.ops.byLevel} in the graph`);
  }
  backward(sum(mul(outputs, new Tensor(cast(randn(outputs.shape, new Rng(10), { dtype: 'float64' })), outputs.shape))));
  return { outputs: Float64Array.from(outputs.data), grads: [table, ...cell.parameters()].map((p) => Float64Array.from(p.grad?.data ?? [])) };
}

/**
 * The checks of a fused fold in float32 against its references: every gradient non-zero, the
 * outputs bitwise those of the float32 by-level graph (a fold that runs the by-level
 * arithmetic; or, with `outputsTolerance`, within it of them) and within 2e-6 of the float64
 * fold, the gradients within 1e-5 of float64's and of the by-level graph's (the largest
 * differences seen were about 2e-7 and 4e-7).
 *
 * @example
 * ```ts
 * compareFolds('wasm, 8 units', run('float32', false), run('float32', true), run('float64', false));
 * ```
 */
export function compareFolds(label: string, fused: FoldRun, byLevel: FoldRun, exact: FoldRun, outputsTolerance?: number): void {
  assert.ok(fused.grads.every((g) => g.some((v) => v !== 0)), `${label}: every gradient is non-zero`);
  if (outputsTolerance === undefined) assert.deepEqual(fused.outputs, byLevel.outputs, `${label}: outputs against the by-level fold`);
  else assertClose(fused.outputs, byLevel.outputs, outputsTolerance, `${label}: outputs against the by-level fold`);
  assertClose(fused.outputs, exact.outputs, 2e-6, `${label}: outputs against float64`);
  fused.grads.forEach((g, i) => {
    assertClose(g, exact.grads[i] as Float64Array, 1e-5, `${label}: gradient ${i} against float64`);
    assertClose(g, byLevel.grads[i] as Float64Array, 1e-5, `${label}: gradient ${i} against the by-level fold`);
  });
}

/**
 * A fold run on one kernel thread (`one`), then on two (`two`, which may check more while both
 * threads are up), the automatic thread count restored afterwards: asserts both threads
 * started and that the two runs give the same bits, outputs and every gradient (each row is
 * computed by one part whatever the split, so a race or an overlap of the parts' rows, or of
 * their scratch, would change bits). Returns the two-thread run.
 *
 * @example
 * ```ts
 * await sameBitsOnOneAndTwoThreads(() => run('float32'), () => run('float32'));
 * ```
 */
export async function sameBitsOnOneAndTwoThreads(one: () => FoldRun, two: () => FoldRun): Promise<FoldRun> {
  await gemmReady();
  try {
    setKernelThreads(1);
    await kernelThreadsReady();
    const a = one();
    setKernelThreads(2);
    assert.equal(await kernelThreadsReady(), 2, 'two kernel threads started');
    const b = two();
    assert.deepEqual(b.outputs, a.outputs, 'outputs on two threads and on one');
    b.grads.forEach((g, i) => assert.deepEqual(g, a.grads[i], `gradient ${i} on two threads and on one`));
    return b;
  } finally {
    setKernelThreads('auto');
    await kernelThreadsReady();
  }
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

/**
 * The life of a wasm fold's tape (x, the states, the gates... kept in wasm memory from the
 * forward to the backward, kernels/fold-tapes.ts): freed by an unrecorded forward and by the
 * backward, evicted when recorded forwards pile up without a backward (memory bounded by the
 * budget plus one tape), and recomputed by a backward that finds it gone, as by a second
 * backward of a retained graph, with the same gradient bits. `fold()` runs the fold forward
 * (recorded unless under noGrad); the loss is sum(outputs * weights); `params` are the tensors
 * whose gradients are compared.
 *
 * @example
 * ```ts
 * await checkTapeLife(() => foldTree(cell, trees, inputs).outputs, [table, ...cell.parameters()], weights);
 * ```
 */
export async function checkTapeLife(fold: () => Tensor, params: readonly Tensor[], weights: Tensor): Promise<void> {
  await gemmReady();
  const w = wasmKernels();
  assert.ok(w !== undefined, 'the wasm kernels are loaded on Node 20');
  const gradients = (): Float32Array[] => params.map((p) => Float32Array.from(p.grad?.data ?? []));
  const zero = (): void => params.forEach((p) => { p.grad = null; });
  // Reference gradients (none left over from before), and the scratch blocks allocated once.
  zero();
  backward(sum(mul(fold(), weights)));
  const reference = gradients();
  zero();
  const base = w.usage().liveBytes;
  noGrad(fold);
  assert.equal(w.usage().liveBytes, base, 'an unrecorded forward frees its tape');
  backward(sum(mul(fold(), weights)));
  assert.equal(w.usage().liveBytes, base, 'the backward frees the tape');
  zero();
  // One recorded forward, then many recorded but never back-propagated: memory stays bounded
  // (tapes are evicted; the oldest first, which this does not tell apart), and the first
  // one's backward, which finds its tape gone, recomputes it.
  const first = sum(mul(fold(), weights));
  const oneTape = w.usage().liveBytes - base;
  assert.ok(oneTape > 0, 'a recorded forward keeps its tape');
  let most = 0;
  for (let i = 0; i < Math.ceil((RESIDENT_BUDGET_BYTES * 1.25) / oneTape); i++) {
    fold();
    most = Math.max(most, w.usage().liveBytes - base);
  }
  assert.ok(most <= RESIDENT_BUDGET_BYTES + oneTape, `tapes held at most ${most} bytes (one is ${oneTape})`);
  backward(first, undefined, { retainGraph: true });
  const afterEviction = gradients();
  zero();
  backward(first);
  const again = gradients();
  reference.forEach((g, i) => {
    assert.deepEqual(afterEviction[i], g, `gradient ${i} after the tape was evicted and recomputed`);
    assert.deepEqual(again[i], g, `gradient ${i} from a second backward of the retained graph`);
  });
}

/**
 * A fold inside withResidentWeights: its outputs are bitwise those outside the scope, it
 * keeps its packed weights for the scope (a second fold adds no copy), leaving the scope frees
 * them, and new weights after a scope are used by the next one. `fold()` runs an unrecorded
 * forward and returns its outputs; `params` are the weights it reads.
 *
 * @example
 * ```ts
 * await checkResidentWeights(() => Float32Array.from(noGrad(() => foldTree(cell, trees, inputs).outputs).data), cell.parameters());
 * ```
 */
export async function checkResidentWeights(fold: () => Float32Array, params: readonly Tensor[]): Promise<void> {
  await gemmReady();
  const w = wasmKernels();
  assert.ok(w !== undefined, 'the wasm kernels are loaded on Node 20');
  const plain = fold();
  withResidentWeights(fold); // the scratch blocks a scope uses, once
  const base = w.usage().liveBytes;
  const input = params[0] as Tensor;
  const [first, second, held, afterSecond] = withResidentWeights(() => {
    const a = fold();
    const heldAfterFirst = w.usage().liveBytes - base;
    // Weights must not change inside a scope; changing one here shows the second fold reads
    // the copy packed by the first (a fold that packed again would see the change).
    const kept = input.data[0] as number;
    input.data[0] = kept + 0.5;
    const b = fold();
    input.data[0] = kept;
    return [a, b, heldAfterFirst, w.usage().liveBytes - base];
  });
  assert.deepEqual(first, plain, 'the first fold in the scope');
  assert.deepEqual(second, plain, 'a second fold in the scope, from the kept weights (not packed again)');
  assert.ok(held > 0, 'the scope keeps the packed weights');
  assert.equal(afterSecond, held, 'the second fold reuses them (no second copy)');
  assert.equal(w.usage().liveBytes, base, 'leaving the scope frees them');
  // New weights after the scope are used by the next scope (nothing stale survives it).
  for (const p of params) p.data[0] = (p.data[0] as number) + 0.5;
  const changed = fold();
  assert.notDeepEqual(changed, plain);
  assert.deepEqual(withResidentWeights(fold), changed);
}

/**
 * How {@link randomTree} shapes a tree: `nary`, a node is a leaf with probability `leaf`, else
 * unary up to `unary` (u < unary, one draw u for both), else it has `arity` children; `any`,
 * a leaf with probability `leaf`, else 1 to `maxKids` children.
 */
export type RandomTreeShape =
  | { readonly kind: 'nary'; readonly arity: number; readonly leaf: number; readonly unary: number }
  | { readonly kind: 'any'; readonly maxKids: number; readonly leaf: number };

/**
 * A random tree of at most `depth` levels below the root, each node's value a word in
 * 0 .. vocab - 1, shaped by `shape` (the same draws, in the same order, as the fold tests
 * each had: a word, then the shape's).
 *
 * @example
 * ```ts
 * const t = randomTree(new Rng(1), 5, { kind: 'any', maxKids: 3, leaf: 0.3 }, 10);
 * ```
 */
export function randomTree(rng: Rng, depth: number, shape: RandomTreeShape, vocab: number): Tree<number> {
  const word = rng.int(vocab);
  const below = (): Tree<number> => randomTree(rng, depth - 1, shape, vocab);
  if (shape.kind === 'nary') {
    const u = rng.uniform();
    if (depth === 0 || u < shape.leaf) return tree(word, []);
    return tree(word, Array.from({ length: u < shape.unary ? 1 : shape.arity }, below));
  }
  if (depth === 0 || rng.uniform() < shape.leaf) return tree(word, []);
  return tree(word, Array.from({ length: 1 + rng.int(shape.maxKids) }, below));
}
