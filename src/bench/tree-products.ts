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

/** A batch's fold schedule for {@link treePassProducts}: its levels, its nodes, and how many distinct input rows (words) they read. */
export interface TreePassPlan {
  readonly levels: readonly FoldLevel[];
  readonly nodes: readonly unknown[];
  readonly distinct: number;
}

/**
 * The products alone of one training pass of the fused N-ary Tree-LSTM fold of table inputs
 * (kernels/tree-lstm-fold.ts, what a TreeClassifier runs) over a batch's level schedules: each
 * a product of the pass's shape through the fold's own gemm kernels on wasm memory, split
 * over the kernel threads as the fold splits it (a level's rows into the fold's parts for
 * that level; the other products as sgemmAt splits them), with nothing else of the pass (no
 * gates, gathers, embedding, head, loss or autograd). Each level's product is one kernel job
 * here, where the fold runs a level's whole chain in one job, so this pays a thread wake-up
 * more per level and pass direction (tens of microseconds). With G = (N + 3) H gate rows,
 * m a level's internal rows, T all internal rows of a plan and U its distinct input rows:
 *
 *     projection   P = T_U W_x^T                      U x G x I     per plan
 *     forward      [h_1..h_N] W_hh^T                  m x G x N H   per level
 *     backward     dz W_hh                            m x N H x G   per level
 *     weights      dz^T [h_1..h_N]                    G x N H x T   per plan
 *     projection   dP^T T_U and dP W_x (backward)     G x I x U + U x I x G   per plan
 *
 * (no leaf multiplies anything: its gates are its word's row of P). This is the floor under a
 * pass's time on this machine, so `batch-1 time / this time at a large batch` bounds what
 * level batching can gain over batch 1 (docs/decisions/0005). The operands hold arbitrary
 * finite values: only the time means anything.
 *
 * @example
 * ```ts
 * const p = treePassProducts([{ ...planFold(trees, 2), distinct: 12 }], 32, 128, 2);
 * p.run(); // one pass's products
 * p.release();
 * ```
 */
export function treePassProducts(plans: readonly TreePassPlan[], inputSize: number, hiddenSize: number, arity: number): TreePassProducts {
  const w = wasmKernels();
  if (w === undefined) throw new Error('treePassProducts: the WebAssembly kernels are not loaded');
  const e = w.exports;
  const I = inputSize, H = hiddenSize, N = arity;
  const G = (N + 3) * H, NH = N * H;
  const rows = Math.max(...plans.map((p) => p.nodes.length));
  // A: the row operand ([rows, NH] or [rows, G], and dz read transposed); B: the weights
  // [G, NH] or [G, I] and the deferred products' [rows, NH]; C: any product's result; P: a packed B.
  const wide = Math.max(NH, G, I);
  const sizes = [rows * wide, Math.max(G * wide, rows * wide), Math.max(rows * wide, G * wide)];
  const packedBytes = Math.max(e.packedBBytes(NH, G), e.packedBBytes(G, NH));
  const floats = sizes.reduce((s, n) => s + n, 0);
  const block = w.alloc(floats * 4 + packedBytes);
  const A = block, B = A + (sizes[0] as number) * 4, C = B + (sizes[1] as number) * 4, P = C + (sizes[2] as number) * 4;
  for (let i = 0; i < floats; i++) w.f32[(block >> 2) + i] = Math.sin(i) / 16;
  // Each level's products split over the kernel threads into the parts the fold splits that
  // level into (by rows; the fold of projected inputs has inputSize 0), each part reading the
  // one packed B, as the fold's level jobs do.
  const levels = plans.flatMap((p) => {
    const parts = naryTreeLstmFoldLevelParts({ inputSize: 0, hiddenSize: H, arity: N, levels: p.levels });
    return p.levels.map((lv, l) => ({ internal: lv.internal, parts: parts[l] as number }));
  });
  const product = (m: number, parts: number, n: number, k: number, beta: number): void => {
    runParts('sgemmPacked', parts, (part) => {
      const [r0, r1] = rowsOf(m, parts, part);
      const t = threadScratch(part);
      return [0, r1 - r0, n, k, 1, A + r0 * k * 4, k, P, beta, C + r0 * n * 4, n, t.packA, t.tile];
    });
  };
  const perLevel = (name: string, pack: () => void, n: number, k: number, beta: number): TreePassProductKind => {
    let flop = 0;
    for (const lv of levels) flop += 2 * lv.internal * n * k;
    return {
      name, flop,
      run() {
        pack();
        for (const lv of levels) if (lv.internal > 0) product(lv.internal, Math.min(lv.parts, Math.max(1, Math.floor(lv.internal / 8))), n, k, beta);
      },
    };
  };
  const perPlan = (name: string, flopOf: (p: TreePassPlan, T: number) => number, run: (p: TreePassPlan, T: number) => void): TreePassProductKind => {
    const internal = (p: TreePassPlan): number => p.levels.reduce((s, lv) => s + lv.internal, 0);
    return {
      name, flop: plans.reduce((s, p) => s + flopOf(p, internal(p)), 0),
      run() {
        for (const p of plans) run(p, internal(p));
      },
    };
  };
  const kinds: TreePassProductKind[] = [
    perPlan('projection: P = T W_x^T', (p) => 2 * p.distinct * G * I, (p) => sgemmAt(false, true, p.distinct, G, I, 1, A, I, B, I, 1, C, G)),
    perLevel('forward, internal rows: [h] W_hh^T', () => e.packB(1, NH, G, B, NH, P), G, NH, 1),
    perLevel('backward, internal rows: dz W_hh', () => e.packB(0, G, NH, B, NH, P), NH, G, 0),
    perPlan('weights: dz^T h', (_p, T) => 2 * G * NH * T, (_p, T) => {
      if (T > 0) sgemmAt(true, false, G, NH, T, 1, A, G, B, NH, 0, C, NH);
    }),
    perPlan('projection backward: dP^T T, dP W_x', (p) => 4 * p.distinct * G * I, (p) => {
      sgemmAt(true, false, G, I, p.distinct, 1, A, G, B, I, 0, C, I);
      sgemmAt(false, false, p.distinct, I, G, 1, A, G, B, I, 0, C, I);
    }),
  ];
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
