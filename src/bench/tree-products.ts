import { sgemmAt } from '../kernels/gemm-wasm.js';
import { rowsOf, runParts, threadScratch } from '../kernels/threads.js';
import { naryTreeLstmFoldLevelParts } from '../kernels/tree-lstm-fold.js';
import { wasmKernels } from '../kernels/wasm-module.js';
import type { FoldLevel } from '../tree/fold.js';

/** One kind of product of a pass: its name, and a call that runs it for every level of every plan. */
export interface TreePassProductKind {
  readonly name: string;
  /** Packs this kind's B the way the fold packs it (once per pass), then runs every product of the kind. */
  run(): void;
  /** Multiply-adds times two of one `run()`. */
  readonly flop: number;
}

/** The products of a pass, on a block of wasm memory that {@link TreePassProducts.release} frees. */
export interface TreePassProducts {
  readonly kinds: readonly TreePassProductKind[];
  /** Every kind once: all the products of one training pass over the plans. */
  run(): void;
  /** FLOP of one `run()`. */
  readonly flop: number;
  release(): void;
}

/**
 * The products alone of one training pass of the fused N-ary Tree-LSTM fold
 * (kernels/tree-lstm-fold.ts) over a batch's level schedules: each a product of the pass's
 * shape through the fold's own gemm kernels on wasm memory, split over the kernel threads as
 * the fold splits it (a level's rows into the fold's parts for that level; the weight
 * gradient as sgemmAt splits it), with nothing else of the pass (no gates, gathers,
 * embedding, head, loss or autograd). Each level's product is one kernel job here, where the
 * fold runs a level's internal rows and leaves in one job, so this pays a thread wake-up
 * more per level and pass direction (tens of microseconds). With G = (N + 3) H gate rows, K = I + N H, m a level's
 * internal rows, l its leaves, T all internal rows and n all nodes:
 *
 *     forward   [x | h_1..h_N] W^T   m x G x K  per level,   x W_x^T   l x G x I  per level
 *     backward  dz W                 m x K x G  per level,   dz W_x    l x I x G  per level
 *     weights   dz^T [h_1..h_N]      G x N H x T,            dz^T x    G x I x n
 *
 * This is the floor under a pass's time on this machine, so `batch-1 time / this time at a
 * large batch` bounds what level batching can gain over batch 1 (docs/decisions/0005). The
 * operands hold arbitrary finite values: only the time means anything.
 *
 * @example
 * ```ts
 * const p = treePassProducts([planFold(trees, 2)], 32, 128, 2);
 * p.run(); // one pass's products
 * p.release();
 * ```
 */
export function treePassProducts(plans: readonly { readonly levels: readonly FoldLevel[]; readonly nodes: readonly unknown[] }[], inputSize: number, hiddenSize: number, arity: number): TreePassProducts {
  const w = wasmKernels();
  if (w === undefined) throw new Error('treePassProducts: the WebAssembly kernels are not loaded');
  const e = w.exports;
  const I = inputSize, H = hiddenSize, N = arity;
  const G = (N + 3) * H, NH = N * H, K = I + NH;
  const rows = Math.max(...plans.map((p) => p.nodes.length));
  // A: the row operand ([rows, K] or [rows, G], and dz read transposed); B: the weights
  // [G, K] and the deferred products' [rows, K]; C: any product's result; P: a packed B.
  const sizes = [rows * Math.max(K, G), Math.max(G * K, rows * K), Math.max(rows * Math.max(K, G), G * K)];
  const packedBytes = Math.max(e.packedBBytes(K, G), e.packedBBytes(G, K));
  const floats = sizes.reduce((s, n) => s + n, 0);
  const block = w.alloc(floats * 4 + packedBytes);
  const A = block, B = A + (sizes[0] as number) * 4, C = B + (sizes[1] as number) * 4, P = C + (sizes[2] as number) * 4;
  for (let i = 0; i < floats; i++) w.f32[(block >> 2) + i] = Math.sin(i) / 16;
  // Each level's products split over the kernel threads into the parts the fold splits that
  // level into (by rows), each part reading the one packed B, as the fold's level jobs do.
  const levels = plans.flatMap((p) => {
    const parts = naryTreeLstmFoldLevelParts({ inputSize: I, hiddenSize: H, arity: N, levels: p.levels });
    return p.levels.map((lv, l) => ({ internal: lv.internal, leaves: lv.count - lv.internal, parts: parts[l] as number }));
  });
  const product = (m: number, parts: number, n: number, k: number, beta: number): void => {
    runParts('sgemmPacked', parts, (part) => {
      const [r0, r1] = rowsOf(m, parts, part);
      const t = threadScratch(part);
      return [0, r1 - r0, n, k, 1, A + r0 * k * 4, k, P, beta, C + r0 * n * 4, n, t.packA, t.tile];
    });
  };
  const perLevel = (name: string, pack: () => void, which: 'internal' | 'leaves', n: number, k: number, beta: number): TreePassProductKind => {
    let flop = 0;
    for (const lv of levels) flop += 2 * lv[which] * n * k;
    return {
      name, flop,
      run() {
        pack();
        for (const lv of levels) if (lv[which] > 0) product(lv[which], Math.min(lv.parts, Math.max(1, Math.floor(lv[which] / 8))), n, k, beta);
      },
    };
  };
  const kinds: TreePassProductKind[] = [
    perLevel('forward, internal rows: [x | h] W^T', () => e.packB(1, K, G, B, K, P), 'internal', G, K, 1),
    perLevel('forward, leaves: x W_x^T', () => e.packB(1, I, G, B, K, P), 'leaves', G, I, 1),
    perLevel('backward, internal rows: dz W', () => e.packB(0, G, K, B, K, P), 'internal', K, G, 0),
    perLevel('backward, leaves: dz W_x', () => e.packB(0, G, I, B, K, P), 'leaves', I, G, 0),
  ];
  let deferred = 0;
  for (const p of plans) deferred += 2 * G * (NH * p.levels.reduce((s, lv) => s + lv.internal, 0) + I * p.nodes.length);
  kinds.push({
    name: 'weights: dz^T h and dz^T x', flop: deferred,
    run() {
      for (const p of plans) {
        const T = p.levels.reduce((s, lv) => s + lv.internal, 0);
        if (T > 0) sgemmAt(true, false, G, NH, T, 1, A, G, B, NH, 0, C, NH);
        sgemmAt(true, false, G, I, p.nodes.length, 1, A, G, B, I, 0, C, I);
      }
    },
  });
  let released = false;
  return {
    kinds,
    flop: kinds.reduce((s, k) => s + k.flop, 0),
    run() {
      if (released) throw new Error('treePassProducts: released');
      for (const k of kinds) k.run();
    },
    release() {
      if (released) return;
      released = true;
      w.free(block);
    },
  };
}
