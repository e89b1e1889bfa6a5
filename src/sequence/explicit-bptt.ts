import { ArgumentError, Tensor } from '../tensor/index.js';

/**
 * The parameters of the chapter's Elman RNN with softmax outputs (equations 10.8-10.11).
 * Any dtype; the computation runs in float64.
 */
export interface ElmanSoftmaxParameters {
  /** U, input to hidden: [H, I] */
  readonly U: Tensor;
  /** W, hidden to hidden: [H, H] */
  readonly W: Tensor;
  /** V, hidden to output: [O, H] */
  readonly V: Tensor;
  /** b, hidden bias: [H] */
  readonly b: Tensor;
  /** c, output bias: [O] */
  readonly c: Tensor;
}

/** The gradients dL/dtheta, float64, each with its parameter's shape. */
export interface ElmanSoftmaxGradients {
  /** [H, I] */
  readonly U: Tensor;
  /** [H, H] */
  readonly W: Tensor;
  /** [O, H] */
  readonly V: Tensor;
  /** [H] */
  readonly b: Tensor;
  /** [O] */
  readonly c: Tensor;
}

/** What {@link explicitBptt} returns. */
export interface ExplicitBpttResult {
  /** L = sum over examples and steps of -log yhat_y(t)(t). */
  readonly loss: number;
  readonly gradients: ElmanSoftmaxGradients;
  /** h(t) [B, T, H]. */
  readonly hidden: Tensor;
  /** yhat(t) = softmax(o(t)) [B, T, O]. */
  readonly probabilities: Tensor;
  /** dL/dh(t) [B, T, H], the quantity whose shrinking over t is the vanishing gradient. */
  readonly hiddenGradients: Tensor;
}

/**
 * Back-propagation through time written out by hand, as the chapter derives it (section
 * 10.2.2), for the Elman RNN with softmax outputs and the negative log-likelihood loss:
 *
 *     a(t) = b + W h(t-1) + U x(t),   h(t) = tanh(a(t))
 *     o(t) = c + V h(t),              yhat(t) = softmax(o(t))
 *     L    = sum_t L(t) = sum_t -log yhat_{y(t)}(t)
 *
 * Backward, from the last step tau down to the first (equations 10.17-10.28):
 *
 *     dL/dL(t)       = 1
 *     dL/do(t)       = yhat(t) - onehot(y(t))
 *     dL/dh(tau)     = V^T dL/do(tau)
 *     dL/dh(t)       = W^T diag(1 - h(t+1)^2) dL/dh(t+1) + V^T dL/do(t)
 *     dL/dc          = sum_t dL/do(t)
 *     dL/db          = sum_t diag(1 - h(t)^2) dL/dh(t)
 *     dL/dV          = sum_t dL/do(t) h(t)^T
 *     dL/dW          = sum_t diag(1 - h(t)^2) dL/dh(t) h(t-1)^T
 *     dL/dU          = sum_t diag(1 - h(t)^2) dL/dh(t) x(t)^T
 *
 * Plain loops over float64 arrays, no tape: a reference for the autograd engine (the test
 * checks the two agree, and agree with finite differences) and a readable account of BPTT.
 * Each example of the batch is an independent sequence; L sums over all of them.
 *
 * @example
 * ```ts
 * const { loss, gradients } = explicitBptt({ U, W, V, b, c }, xs, [[0, 2, 1]]); // xs [1, 3, I]
 * gradients.W; // dL/dW [H, H]
 * ```
 */
export function explicitBptt(
  params: ElmanSoftmaxParameters,
  xs: Tensor,
  targets: readonly (readonly number[])[],
  h0?: Tensor,
): ExplicitBpttResult {
  const [nh, ni, no] = checkParameters(params);
  if (xs.rank !== 3 || xs.shape[2] !== ni) throw new ArgumentError('explicitBptt', `xs must be [batch, time, ${ni}], got [${xs.shape.join(',')}]`);
  const [nb, nt] = [xs.shape[0] as number, xs.shape[1] as number];
  if (targets.length !== nb || targets.some((row) => row.length !== nt)) {
    throw new ArgumentError('explicitBptt', `targets must be ${nb} rows of ${nt} class indices`);
  }
  targets.forEach((row, bi) =>
    row.forEach((y, t) => {
      if (!Number.isInteger(y) || y < 0 || y >= no) throw new ArgumentError('explicitBptt', `targets[${bi}][${t}] = ${y} is not a class index in [0, ${no})`);
    }),
  );
  if (h0 !== undefined && (h0.rank !== 2 || h0.shape[0] !== nb || h0.shape[1] !== nh)) {
    throw new ArgumentError('explicitBptt', `h0 must be [${nb}, ${nh}], got [${h0.shape.join(',')}]`);
  }
  const U = params.U.data;
  const W = params.W.data;
  const V = params.V.data;
  const bias = params.b.data;
  const c = params.c.data;
  const x = xs.data;

  // Forward, keeping h(t) and yhat(t) for every step: BPTT needs them all (O(tau) memory).
  const h = new Float64Array(nb * nt * nh);
  const p = new Float64Array(nb * nt * no);
  let loss = 0;
  for (let bi = 0; bi < nb; bi++) {
    for (let t = 0; t < nt; t++) {
      const ht = (bi * nt + t) * nh;
      const hp = ht - nh;
      for (let i = 0; i < nh; i++) {
        let a = bias[i] as number;
        for (let j = 0; j < nh; j++) a += (W[i * nh + j] as number) * (t === 0 ? ((h0?.data[bi * nh + j] as number | undefined) ?? 0) : (h[hp + j] as number));
        for (let j = 0; j < ni; j++) a += (U[i * ni + j] as number) * (x[(bi * nt + t) * ni + j] as number);
        h[ht + i] = Math.tanh(a);
      }
      const pt = (bi * nt + t) * no;
      let max = -Infinity;
      for (let k = 0; k < no; k++) {
        let o = c[k] as number;
        for (let j = 0; j < nh; j++) o += (V[k * nh + j] as number) * (h[ht + j] as number);
        p[pt + k] = o;
        max = Math.max(max, o);
      }
      // Softmax with the max subtracted, so exp never overflows.
      let z = 0;
      for (let k = 0; k < no; k++) z += Math.exp((p[pt + k] as number) - max);
      const y = (targets[bi] as readonly number[])[t] as number;
      loss -= (p[pt + y] as number) - max - Math.log(z);
      for (let k = 0; k < no; k++) p[pt + k] = Math.exp((p[pt + k] as number) - max) / z;
    }
  }

  const gU = new Float64Array(nh * ni);
  const gW = new Float64Array(nh * nh);
  const gV = new Float64Array(no * nh);
  const gb = new Float64Array(nh);
  const gc = new Float64Array(no);
  const gh = new Float64Array(nb * nt * nh);
  const go = new Float64Array(no);
  // diag(1 - h(t+1)^2) dL/dh(t+1): the gradient at the pre-activation a(t+1), carried back one step.
  const ga = new Float64Array(nh);
  for (let bi = 0; bi < nb; bi++) {
    ga.fill(0);
    for (let t = nt - 1; t >= 0; t--) {
      const ht = (bi * nt + t) * nh;
      const pt = (bi * nt + t) * no;
      const y = (targets[bi] as readonly number[])[t] as number;
      for (let k = 0; k < no; k++) go[k] = (p[pt + k] as number) - (k === y ? 1 : 0);
      // dL/dh(t) = W^T ga(t+1) + V^T dL/do(t)   (ga is zero at t = tau: nothing comes from the future)
      for (let j = 0; j < nh; j++) {
        let g = 0;
        for (let i = 0; i < nh; i++) g += (W[i * nh + j] as number) * (ga[i] as number);
        for (let k = 0; k < no; k++) g += (V[k * nh + j] as number) * (go[k] as number);
        gh[ht + j] = g;
      }
      for (let k = 0; k < no; k++) {
        gc[k] = (gc[k] as number) + (go[k] as number);
        for (let j = 0; j < nh; j++) gV[k * nh + j] = (gV[k * nh + j] as number) + (go[k] as number) * (h[ht + j] as number);
      }
      for (let i = 0; i < nh; i++) {
        const hi = h[ht + i] as number;
        ga[i] = (1 - hi * hi) * (gh[ht + i] as number);
      }
      for (let i = 0; i < nh; i++) {
        const g = ga[i] as number;
        gb[i] = (gb[i] as number) + g;
        for (let j = 0; j < nh; j++) {
          const prev = t === 0 ? ((h0?.data[bi * nh + j] as number | undefined) ?? 0) : (h[ht - nh + j] as number);
          gW[i * nh + j] = (gW[i * nh + j] as number) + g * prev;
        }
        for (let j = 0; j < ni; j++) gU[i * ni + j] = (gU[i * ni + j] as number) + g * (x[(bi * nt + t) * ni + j] as number);
      }
    }
  }
  return {
    loss,
    gradients: {
      U: new Tensor(gU, [nh, ni]),
      W: new Tensor(gW, [nh, nh]),
      V: new Tensor(gV, [no, nh]),
      b: new Tensor(gb, [nh]),
      c: new Tensor(gc, [no]),
    },
    hidden: new Tensor(h, [nb, nt, nh]),
    probabilities: new Tensor(p, [nb, nt, no]),
    hiddenGradients: new Tensor(gh, [nb, nt, nh]),
  };
}

function checkParameters({ U, W, V, b, c }: ElmanSoftmaxParameters): [number, number, number] {
  const nh = U.shape[0] as number;
  const ni = U.shape[1] as number;
  const no = V.shape[0] as number;
  const expect: [string, Tensor, number[]][] = [['U', U, [nh, ni]], ['W', W, [nh, nh]], ['V', V, [no, nh]], ['b', b, [nh]], ['c', c, [no]]];
  for (const [name, t, shape] of expect) {
    if (U.rank !== 2 || V.rank !== 2 || t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new ArgumentError('explicitBptt', `${name} must be [${shape.join(', ')}] (from U [H, I] and V [O, H]), got [${t.shape.join(',')}]`);
    }
  }
  return [nh, ni, no];
}
