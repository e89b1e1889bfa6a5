import type { TypedArray } from '../tensor/index.js';
import { fastSigmoid, tanhOf } from './rnn-sequence-common.js';

// The element-wise passes of one Tree-LSTM level, shared by the N-ary (kernels/tree-lstm.ts)
// and the Child-Sum (kernels/child-sum-lstm.ts) cell: the JavaScript form here, the
// WebAssembly SIMD form in assembly/tree.ts (treeGatesForward, treeGatesBackward), which
// takes the same layout as byte addresses. The two cells differ only in where their
// pre-activations sit, which TreeGateLayout describes.

/**
 * Where one call's pre-activations sit. z holds n rows of `rowStride` values with i at
 * offset 0, g at `gOffset`, o at `oOffset`; the forget pre-activation of node r, slot k starts
 * at `forgetOffset + r * forgetStride + k * H` of its own array (which may be z itself).
 * N-ary: rowStride (N+3)H, g at (N+1)H, o at (N+2)H, forget inside z at H with stride
 * (N+3)H. Child-Sum: rowStride 4H, g at 2H, o at 3H (its f block unused), forget in an
 * [n, K, H] array of its own.
 */
export interface TreeGateLayout {
  readonly nodes: number;
  readonly hiddenSize: number;
  /** Child slots K (N for the N-ary cell). */
  readonly slots: number;
  readonly rowStride: number;
  readonly gOffset: number;
  readonly oOffset: number;
  readonly forgetOffset: number;
  readonly forgetStride: number;
}

/**
 * The inputs of one Tree-LSTM level call that both cells share: n nodes with inputs x [n, I],
 * the weights in the cell's layout, both biases or neither, and the children's states
 * childH, childC [n, K, H] (absent children as zero rows), or null for the step with no
 * children (leaves), which gives the same bits as zero children.
 */
export interface TreeLstmLevelArgs {
  readonly nodes: number;
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly x: TypedArray;
  readonly weightIh: TypedArray;
  readonly weightHh: TypedArray;
  readonly biasIh: TypedArray | null;
  readonly biasHh: TypedArray | null;
  readonly childH: TypedArray | null;
  readonly childC: TypedArray | null;
}

/** Gradients of one level call's inputs; null where no gradient was asked for. */
export interface TreeLstmGrads {
  readonly x: TypedArray | null;
  readonly weightIh: TypedArray | null;
  readonly weightHh: TypedArray | null;
  readonly biasIh: TypedArray | null;
  readonly biasHh: TypedArray | null;
  readonly childH: TypedArray | null;
  readonly childC: TypedArray | null;
}

/** Which gradients a level's backward computes: of x, of the weights and biases, of the children's states. */
export interface TreeLstmWanted {
  readonly x: boolean;
  readonly weights: boolean;
  readonly children: boolean;
}

function sig(v: number, fast: boolean): number {
  return fast ? fastSigmoid(v) : 1 / (1 + Math.exp(-v));
}

/**
 * Forward: activates z (sigma of i and o, tanh of g) and, with children (childC not null),
 * the forget gates in place, then for every node
 *
 *     c = i g + sum_k f_k c_k,   tanhC = tanh(c),   h = o tanh(c)
 *
 * into out [2, n, H] (h, then c). `fast` uses the float32 kernels' exponential and tanh.
 *
 * @example
 * ```ts
 * treeGatesForward(layout, z, z, childC, true, tanhC, out); // N-ary: the forget gates inside z
 * ```
 */
export function treeGatesForward(
  L: TreeGateLayout, z: TypedArray, forget: TypedArray, childC: TypedArray | null, fast: boolean, tanhC: TypedArray, out: TypedArray,
): void {
  const { nodes: n, hiddenSize: H, slots: K } = L;
  for (let r = 0; r < n; r++) {
    const zi = r * L.rowStride, zg = zi + L.gOffset, zo = zi + L.oOffset;
    const fr = L.forgetOffset + r * L.forgetStride;
    for (let j = 0; j < H; j++) {
      const i = sig(z[zi + j] as number, fast), g = tanhOf(z[zg + j] as number, fast), o = sig(z[zo + j] as number, fast);
      z[zi + j] = i;
      z[zg + j] = g;
      z[zo + j] = o;
      let c = i * g;
      if (childC !== null) {
        for (let k = 0; k < K; k++) {
          const fk = sig(forget[fr + k * H + j] as number, fast);
          forget[fr + k * H + j] = fk;
          c += fk * (childC[(r * K + k) * H + j] as number);
        }
      }
      const t = tanhOf(c, fast);
      tanhC[r * H + j] = t;
      out[n * H + r * H + j] = c;
      out[r * H + j] = o * t;
    }
  }
}

/**
 * Backward from dy [2, n, H] (dL/dh, then dL/dc) and the activated gates: with
 * dc~ = dc + dh o (1 - tanh(c)^2),
 *
 *     dz_i = dc~ g i (1 - i),  dz_g = dc~ i (1 - g^2),  dz_o = dh tanh(c) o (1 - o)
 *     df_k = dc~ c_k f_k (1 - f_k),  dChildC_k = dc~ f_k
 *
 * into dz (z's layout; everything between its i and g blocks is zeroed first, so an unused
 * f block reads 0), dForget (the forget layout; may be dz itself), da [n, 4H] =
 * [dz_i, sum_k df_k, dz_g, dz_o] and dChildC [n, K, H] (when not null).
 *
 * @example
 * ```ts
 * treeGatesBackward(layout, z, z, childC, tanhC, dy, dz, dz, da, dChildC); // N-ary
 * ```
 */
export function treeGatesBackward(
  L: TreeGateLayout, z: TypedArray, forget: TypedArray, childC: TypedArray | null, tanhC: TypedArray, dy: TypedArray,
  dz: TypedArray, dForget: TypedArray, da: TypedArray, dChildC: TypedArray | null,
): void {
  const { nodes: n, hiddenSize: H, slots: K } = L;
  for (let r = 0; r < n; r++) {
    const zi = r * L.rowStride, zg = zi + L.gOffset, zo = zi + L.oOffset;
    dz.fill(0, zi + H, zg);
    const fr = L.forgetOffset + r * L.forgetStride;
    const ar = r * 4 * H;
    for (let j = 0; j < H; j++) {
      const dh = dy[r * H + j] as number;
      const t = tanhC[r * H + j] as number;
      const i = z[zi + j] as number, g = z[zg + j] as number, o = z[zo + j] as number;
      const dc = (dy[n * H + r * H + j] as number) + dh * o * (1 - t * t);
      const dzi = dc * g * i * (1 - i);
      const dzg = dc * i * (1 - g * g);
      const dzo = dh * t * o * (1 - o);
      dz[zi + j] = dzi;
      dz[zg + j] = dzg;
      dz[zo + j] = dzo;
      da[ar + j] = dzi;
      da[ar + 2 * H + j] = dzg;
      da[ar + 3 * H + j] = dzo;
      let sumF = 0;
      if (childC !== null) {
        for (let k = 0; k < K; k++) {
          const fk = forget[fr + k * H + j] as number;
          const d = dc * (childC[(r * K + k) * H + j] as number) * fk * (1 - fk);
          dForget[fr + k * H + j] = d;
          sumF += d;
          if (dChildC !== null) dChildC[(r * K + k) * H + j] = dc * fk;
        }
      }
      da[ar + H + j] = sumF;
    }
  }
}
