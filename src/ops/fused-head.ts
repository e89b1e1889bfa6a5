import { gemm } from '../kernels/gemm.js';
import { fastExp } from '../kernels/rnn-sequence-common.js';
import { ArgumentError, ShapeError, Tensor, allocate, type TypedArray } from '../tensor/index.js';
import type { FusedHeadOpName, OpDef } from './op-def.js';
import { checkSameDType } from './raw/checks.js';

// The output head of a sequence model as two ops: the affine layer and the softmax
// cross-entropy loss. Both are composites of the primitives (matmul + add; logSoftmax,
// gather, mul, sum), promoted for speed: a character-level language model computes its head
// on B*T rows every step, and the composed versions allocate a dozen [B*T, V] intermediates
// and walk them again in backward. Each is checked against its composed twin (gradcheck in
// ops-gradcheck.test.ts, values and gradients in fused-head.test.ts).

/**
 * y = x W^T + b for x [rows, I] (any leading axes, folded into rows), W [O, I], b [O]: one
 * gemm with the bias pre-loaded into the output (beta = 1). Backward:
 *
 *     dx = dy W,   dW = dy^T x,   db = sum over rows of dy
 *
 * each one gemm (or one column sum), computed only for inputs that need it.
 */
function linearForward(inputs: [Tensor, Tensor] | [Tensor, Tensor, Tensor]): Tensor {
  const [x, weight, bias] = inputs;
  checkSameDType('linear', bias === undefined ? [x, weight] : [x, weight, bias]);
  if (weight.rank !== 2) throw new ShapeError('linear', 'the weight must be [outFeatures, inFeatures]', [weight.shape]);
  const [outF, inF] = weight.shape as [number, number];
  if (x.rank < 1 || x.shape[x.rank - 1] !== inF) {
    throw new ShapeError('linear', `the input's last axis must be inFeatures = ${inF}`, [x.shape, weight.shape]);
  }
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== outF)) throw new ShapeError('linear', `the bias must be [${outF}]`, [bias.shape]);
  const rows = x.size / inF;
  const out = allocate(x.dtype, rows * outF);
  if (bias !== undefined) for (let r = 0; r < rows; r++) out.set(bias.data, r * outF);
  gemm(false, true, rows, outF, inF, 1, x.data, 0, inF, weight.data, 0, inF, bias === undefined ? 0 : 1, out, 0, outF, true);
  return new Tensor(out, [...x.shape.slice(0, -1), outF]);
}

/**
 * Softmax cross-entropy of `logits` [N, C] against class ids `targets` [N] with per-row
 * weights `weights` [N] (0 drops a row):
 *
 *     l_n = w_n (logSumExp(x_n) - x_n[t_n]),   reduced by mean (sum l / sum w, 0 when sum w = 0),
 *                                              sum, or none ([N])
 *
 * computed stably (the row maximum is subtracted before exponentiating). Backward, from the
 * gradient g of the result:
 *
 *     dx_nc = c_n (softmax(x_n)_c - [c = t_n]),   c_n = w_n g / sum w (mean), w_n g (sum), w_n g_n (none)
 *
 * Targets and weights take no gradient (they are data, as in the composite).
 */
function crossEntropyForward(inputs: [Tensor, Tensor, Tensor], reduction: 'mean' | 'sum' | 'none'): Tensor {
  const [logits, targets, weights] = inputs;
  checkSameDType('softmaxCrossEntropy', [logits, weights]);
  if (logits.rank !== 2) throw new ShapeError('softmaxCrossEntropy', 'logits must be [N, C]', [logits.shape]);
  const [n, classes] = logits.shape as [number, number];
  if (targets.rank !== 1 || targets.shape[0] !== n || weights.rank !== 1 || weights.shape[0] !== n) {
    throw new ShapeError('softmaxCrossEntropy', `targets and weights must be [${n}]`, [logits.shape, targets.shape, weights.shape]);
  }
  const x = logits.data, t = targets.data, w = weights.data;
  const fast = x instanceof Float32Array;
  const perRow = allocate(logits.dtype, n);
  let total = 0, weightSum = 0;
  for (let r = 0; r < n; r++) {
    const target = t[r] as number;
    if (!Number.isInteger(target) || target < 0 || target >= classes) {
      throw new ArgumentError('softmaxCrossEntropy', `target ${target} at row ${r} is not a class index in [0, ${classes})`);
    }
    const row = r * classes;
    const loss = (w[r] as number) * (logSumExpRow(x, row, classes, fast) - (x[row + target] as number));
    perRow[r] = loss;
    total += loss;
    weightSum += w[r] as number;
  }
  if (reduction === 'none') return new Tensor(perRow, [n]);
  const out = allocate(logits.dtype, 1);
  out[0] = reduction === 'sum' ? total : weightSum > 0 ? total / weightSum : 0;
  return new Tensor(out, []);
}

// log sum_c exp(x[row + c]) with the maximum taken out first. Float32 logits use the kernels'
// polynomial exp (relative error 2e-9, far below float32's rounding; Math.exp is a call out of
// optimised code and was most of this op's time); float64 keeps Math.exp, so gradient checks
// see the exact function.
function logSumExpRow(x: TypedArray, row: number, classes: number, fast: boolean): number {
  let m = -Infinity;
  for (let c = 0; c < classes; c++) m = Math.max(m, x[row + c] as number);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  if (fast) for (let c = 0; c < classes; c++) s += fastExp((x[row + c] as number) - m);
  else for (let c = 0; c < classes; c++) s += Math.exp((x[row + c] as number) - m);
  return m + Math.log(s);
}

/**
 * The promoted head ops, forward and backward side by side; spread into the op table in
 * table.ts.
 *
 * - linear([x, W, (b)]) -> x W^T + b, x [..., I], W [O, I], b [O]
 * - softmaxCrossEntropy([logits [N, C], targets [N], weights [N]], { reduction }) -> [] or [N]
 *
 * Users reach them through `Linear` and `crossEntropy` (exported from 'unfold'); `apply` is
 * internal, so the example runs inside src/ops.
 *
 * @example
 * ```ts
 * import { apply } from './apply.js';
 * const y = apply('linear', [x, weight, bias], {}); // x [N, I], weight [O, I], bias [O] -> [N, O]
 * ```
 */
export const HEAD_OPS: { [K in FusedHeadOpName]: OpDef<K> } = {
  linear: {
    forward: (inputs) => linearForward(inputs),
    backward: (g, { inputs }) => {
      const [x, weight, bias] = inputs;
      const [outF, inF] = weight.shape as [number, number];
      const rows = x.size / inF;
      let dx: Tensor | null = null, dW: Tensor | null = null, db: Tensor | null = null;
      if (x.requiresGrad) {
        const d = allocate(x.dtype, x.size);
        gemm(false, false, rows, inF, outF, 1, g.data, 0, outF, weight.data, 0, inF, 0, d, 0, inF);
        dx = new Tensor(d, x.shape);
      }
      if (weight.requiresGrad) {
        const d = allocate(x.dtype, outF * inF);
        gemm(true, false, outF, inF, rows, 1, g.data, 0, outF, x.data, 0, inF, 0, d, 0, inF);
        dW = new Tensor(d, weight.shape);
      }
      if (bias?.requiresGrad === true) {
        const d = allocate(x.dtype, outF);
        const gd = g.data;
        for (let r = 0; r < rows; r++) {
          const row = r * outF;
          for (let j = 0; j < outF; j++) d[j] = (d[j] as number) + (gd[row + j] as number);
        }
        db = new Tensor(d, bias.shape);
      }
      return bias === undefined ? [dx, dW] : [dx, dW, db];
    },
    // dx, dW and db are each allocated here.
    freshGradients: true,
  },
  softmaxCrossEntropy: {
    forward: (inputs, { reduction }) => crossEntropyForward(inputs, reduction),
    backward: (g, { inputs: [logits, targets, weights], attrs: { reduction } }) => {
      if (!logits.requiresGrad) return [null, null, null];
      const [n, classes] = logits.shape as [number, number];
      const x = logits.data, t = targets.data, w = weights.data, gd = g.data;
      let weightSum = 0;
      for (let r = 0; r < n; r++) weightSum += w[r] as number;
      const scalar = reduction === 'mean' ? (weightSum > 0 ? (gd[0] as number) / weightSum : 0) : (gd[0] as number);
      const dx = allocate(logits.dtype, n * classes);
      const fast = x instanceof Float32Array;
      for (let r = 0; r < n; r++) {
        const coef = (w[r] as number) * (reduction === 'none' ? (gd[r] as number) : scalar);
        if (coef === 0) continue;
        const row = r * classes;
        const lse = logSumExpRow(x, row, classes, fast);
        if (fast) for (let c = 0; c < classes; c++) dx[row + c] = coef * fastExp((x[row + c] as number) - lse);
        else for (let c = 0; c < classes; c++) dx[row + c] = coef * Math.exp((x[row + c] as number) - lse);
        const target = row + (t[r] as number);
        dx[target] = (dx[target] as number) - coef;
      }
      return [new Tensor(dx, logits.shape), null, null];
    },
    freshGradients: true,
  },
};
