import type { TypedArray } from '../tensor/index.js';

/** Sizes of one batched addressing call: batch B, memory slots N, slot width M, shift window K = 2r + 1. */
export interface AddressingDims {
  readonly batch: number;
  readonly slots: number;
  readonly width: number;
  readonly shifts: number;
}

/** The inputs of the addressing kernels, row-major typed arrays. */
export interface AddressingArgs extends AddressingDims {
  /** [B, N, M] memory before this step's write. */
  readonly memory: TypedArray;
  /** [B, M] key vector k. */
  readonly key: TypedArray;
  /** [B] key strength beta >= 0. */
  readonly beta: TypedArray;
  /** [B] interpolation gate g in [0, 1]. */
  readonly gate: TypedArray;
  /** [B, K] shift distribution s over offsets -r..r. */
  readonly shift: TypedArray;
  /** [B] sharpening exponent gamma >= 1. */
  readonly gamma: TypedArray;
  /** [B, N] the head's previous weighting. */
  readonly previous: TypedArray;
}

/** Gradient buffers (zero-filled, accumulated into); null for an input that needs none. */
export interface AddressingGrads {
  readonly memory: TypedArray | null;
  readonly key: TypedArray | null;
  readonly beta: TypedArray | null;
  readonly gate: TypedArray | null;
  readonly shift: TypedArray | null;
  readonly gamma: TypedArray | null;
  readonly previous: TypedArray | null;
}

/** The floor of the product of norms in the cosine similarity, as in `cosineSimilarity` (eps = 1e-8, squared inside the root). */
const EPS2 = 1e-16;

/**
 * Per-row intermediates of the addressing, in float64 whatever the storage dtype: a float32
 * weighting raised to gamma = 20 underflows, and the backward pass needs these values at
 * full precision to agree with finite differences. Reused across rows and calls.
 */
export interface AddressingScratch {
  readonly cos: Float64Array;
  readonly content: Float64Array;
  readonly gated: Float64Array;
  readonly shifted: Float64Array;
  readonly out: Float64Array;
  /** |M_i|^2 per slot. */
  readonly rowNorm2: Float64Array;
  /** sqrt(max(|M_i|^2 |k|^2, eps^2)) per slot. */
  readonly denom: Float64Array;
  /** Backward temporaries. */
  readonly dShifted: Float64Array;
  readonly dGated: Float64Array;
  readonly dZ: Float64Array;
  /** |k|^2 of the last forward row. */
  knorm2: number;
}

/** Scratch for rows of N slots. @example `const s = addressingScratch(128)` */
export function addressingScratch(slots: number): AddressingScratch {
  const f = (): Float64Array => new Float64Array(slots);
  return {
    cos: f(), content: f(), gated: f(), shifted: f(), out: f(), rowNorm2: f(), denom: f(), dShifted: f(), dGated: f(), dZ: f(), knorm2: 0,
  };
}

/**
 * The addressing of ONE example, reading its inputs at offsets (so callers can address
 * heads whose parameters sit side by side in one row): memory rows at mem[memOff + i * M],
 * the key at key[keyOff..], the shift at shift[shiftOff..], the previous weighting at
 * prev[prevOff..]. Leaves every intermediate and the weighting (`s.out`) in the scratch.
 */
export function addressRowForward(
  N: number, M: number, K: number,
  mem: TypedArray, memOff: number, key: TypedArray, keyOff: number,
  beta: number, gate: number, shift: TypedArray, shiftOff: number, gamma: number,
  prev: TypedArray, prevOff: number, s: AddressingScratch,
): void {
  const r = (K - 1) >> 1;
  let knorm2 = 0;
  for (let m = 0; m < M; m++) {
    const v = key[keyOff + m] as number;
    knorm2 += v * v;
  }
  s.knorm2 = knorm2;
  // Content: cosine similarity of every slot with the key, then softmax(beta * cos).
  let zmax = -Infinity;
  for (let i = 0; i < N; i++) {
    const base = memOff + i * M;
    let dot = 0;
    let n2 = 0;
    for (let m = 0; m < M; m++) {
      const v = mem[base + m] as number;
      dot += v * (key[keyOff + m] as number);
      n2 += v * v;
    }
    const den = Math.sqrt(Math.max(n2 * knorm2, EPS2));
    s.rowNorm2[i] = n2;
    s.denom[i] = den;
    const c = dot / den;
    s.cos[i] = c;
    const z = beta * c;
    if (z > zmax) zmax = z;
  }
  let zsum = 0;
  for (let i = 0; i < N; i++) {
    const e = Math.exp(beta * (s.cos[i] as number) - zmax);
    s.content[i] = e;
    zsum += e;
  }
  // Interpolation with the previous weighting.
  for (let i = 0; i < N; i++) {
    const wc = (s.content[i] as number) / zsum;
    s.content[i] = wc;
    s.gated[i] = gate * wc + (1 - gate) * (prev[prevOff + i] as number);
  }
  // Circular shift: out[i] = sum_j s_j w[(i - (j - r)) mod N].
  let maxShifted = 0;
  for (let i = 0; i < N; i++) {
    let acc = 0;
    for (let j = 0; j < K; j++) {
      let src = i - j + r;
      if (src < 0) src += N;
      else if (src >= N) src -= N;
      acc += (shift[shiftOff + j] as number) * (s.gated[src] as number);
    }
    s.shifted[i] = acc;
    if (acc > maxShifted) maxShifted = acc;
  }
  // Sharpening: w_i = wt_i^gamma / sum_j wt_j^gamma, computed as (wt_i / max wt)^gamma so
  // the sum is at least 1 and never underflows, whatever gamma.
  let psum = 0;
  for (let i = 0; i < N; i++) {
    const v = s.shifted[i] as number;
    const p = v > 0 && maxShifted > 0 ? Math.pow(v / maxShifted, gamma) : 0;
    s.out[i] = p;
    psum += p;
  }
  if (psum > 0) {
    for (let i = 0; i < N; i++) s.out[i] = (s.out[i] as number) / psum;
  } else {
    // Every shifted weight is 0 (only possible with a degenerate shift distribution): fall
    // back to uniform rather than 0/0.
    for (let i = 0; i < N; i++) s.out[i] = 1 / N;
  }
}

/** Where {@link addressRowBackward} adds its gradients; null arrays are skipped. */
export interface AddressingRowGrads {
  mem: TypedArray | null;
  memOff: number;
  key: TypedArray | Float64Array | null;
  keyOff: number;
  shift: TypedArray | Float64Array | null;
  shiftOff: number;
  prev: TypedArray | Float64Array | null;
  prevOff: number;
  /** Set (not added) by the call: dL/dbeta, dL/dgate, dL/dgamma. */
  beta: number;
  gate: number;
  gamma: number;
}

/**
 * The vector-Jacobian product of one row, right after {@link addressRowForward} on the same
 * inputs filled the scratch: given dL/dw at dOut[dOutOff..], ADDS the gradients of the
 * memory, key, shift and previous weighting into `g` and SETS g.beta, g.gate, g.gamma.
 *
 *     sharpening:    dL/dwt_i = gamma w_i (dw_i - c) / wt_i,   c = sum_j dw_j w_j
 *                    dL/dgamma = sum_i w_i (dw_i - c) ln wt_i
 *     shift:         dL/dwg[(i - j + r) mod N] += s_j dL/dwt_i;   dL/ds_j = sum_i dL/dwt_i wg[(i - j + r) mod N]
 *     interpolation: dL/dwc = g dL/dwg;  dL/dw(t-1) = (1 - g) dL/dwg;  dL/dg = sum_i dL/dwg_i (wc_i - w(t-1)_i)
 *     softmax:       dL/dz_i = wc_i (dL/dwc_i - sum_j dL/dwc_j wc_j),  z = beta K
 *     cosine:        dK_i/dM_i = k / d_i - K_i M_i / |M_i|^2,  dK_i/dk = M_i / d_i - K_i k / |k|^2
 *                    (the second terms vanish where the 1e-8 floor is active)
 */
export function addressRowBackward(
  N: number, M: number, K: number,
  mem: TypedArray, memOff: number, key: TypedArray, keyOff: number,
  beta: number, gate: number, shift: TypedArray, shiftOff: number, gamma: number,
  prev: TypedArray, prevOff: number, s: AddressingScratch,
  dOut: TypedArray | Float64Array, dOutOff: number, g: AddressingRowGrads,
): void {
  const r = (K - 1) >> 1;
  const dShifted = s.dShifted;
  const dGated = s.dGated;
  const dZ = s.dZ;
  // Sharpening.
  let c = 0;
  for (let i = 0; i < N; i++) c += (dOut[dOutOff + i] as number) * (s.out[i] as number);
  let dGamma = 0;
  for (let i = 0; i < N; i++) {
    const w = s.out[i] as number;
    const wt = s.shifted[i] as number;
    if (w > 0 && wt > 0) {
      const t = w * ((dOut[dOutOff + i] as number) - c);
      dShifted[i] = (gamma * t) / wt;
      dGamma += t * Math.log(wt);
    } else {
      dShifted[i] = 0;
    }
  }
  g.gamma = dGamma;
  // Shift.
  dGated.fill(0);
  for (let j = 0; j < K; j++) {
    const sj = shift[shiftOff + j] as number;
    let ds = 0;
    for (let i = 0; i < N; i++) {
      let src = i - j + r;
      if (src < 0) src += N;
      else if (src >= N) src -= N;
      const d = dShifted[i] as number;
      dGated[src] = (dGated[src] as number) + sj * d;
      ds += d * (s.gated[src] as number);
    }
    if (g.shift !== null) g.shift[g.shiftOff + j] = (g.shift[g.shiftOff + j] as number) + ds;
  }
  // Interpolation.
  let dg = 0;
  const gp = g.prev;
  for (let i = 0; i < N; i++) {
    const d = dGated[i] as number;
    dg += d * ((s.content[i] as number) - (prev[prevOff + i] as number));
    if (gp !== null) gp[g.prevOff + i] = (gp[g.prevOff + i] as number) + (1 - gate) * d;
  }
  g.gate = dg;
  // Softmax of z = beta K.
  let dot = 0;
  for (let i = 0; i < N; i++) dot += gate * (dGated[i] as number) * (s.content[i] as number);
  let dBeta = 0;
  for (let i = 0; i < N; i++) {
    const dz = (s.content[i] as number) * (gate * (dGated[i] as number) - dot);
    dZ[i] = dz;
    dBeta += dz * (s.cos[i] as number);
  }
  g.beta = dBeta;
  if (g.mem === null && g.key === null) return;
  // Cosine similarity.
  const knorm2 = s.knorm2;
  const gm = g.mem;
  const gk = g.key;
  for (let i = 0; i < N; i++) {
    const dK = beta * (dZ[i] as number);
    if (dK === 0) continue;
    const den = s.denom[i] as number;
    const n2 = s.rowNorm2[i] as number;
    const cosine = s.cos[i] as number;
    const floored = n2 * knorm2 <= EPS2;
    const base = memOff + i * M;
    const gBase = g.memOff + i * M;
    const inv = dK / den;
    const rowTerm = floored || n2 === 0 ? 0 : (dK * cosine) / n2;
    const keyTerm = floored || knorm2 === 0 ? 0 : (dK * cosine) / knorm2;
    for (let m = 0; m < M; m++) {
      const mv = mem[base + m] as number;
      const kv = key[keyOff + m] as number;
      if (gm !== null) gm[gBase + m] = (gm[gBase + m] as number) + inv * kv - rowTerm * mv;
      if (gk !== null) gk[g.keyOff + m] = (gk[g.keyOff + m] as number) + inv * mv - keyTerm * kv;
    }
  }
}

/**
 * The neural Turing machine's addressing (Graves et al. 2014, section 3.3), for a batch:
 *
 *     K_i  = M_i . k / max(|M_i| |k|, 1e-8)                 cosine similarity      (6)
 *     wc_i = exp(beta K_i) / sum_j exp(beta K_j)            content weighting      (5)
 *     wg   = g wc + (1 - g) w(t-1)                          interpolation          (7)
 *     wt_i = sum_j s_j wg[(i - j + r) mod N]                circular shift, offsets -r..r (8)
 *     w_i  = wt_i^gamma / sum_j wt_j^gamma                  sharpening             (9)
 *
 * Writes w [B, N] into `out`. Arithmetic is float64 whatever the storage type.
 *
 * @example
 * ```ts
 * const out = new Float32Array(B * N);
 * ntmAddressingForward({ batch: B, slots: N, width: M, shifts: 3, memory, key, beta, gate, shift, gamma, previous }, out);
 * ```
 */
export function ntmAddressingForward(a: AddressingArgs, out: TypedArray): void {
  const { slots: N, width: M, shifts: K } = a;
  const s = addressingScratch(N);
  for (let b = 0; b < a.batch; b++) {
    addressRowForward(N, M, K, a.memory, b * N * M, a.key, b * M, a.beta[b] as number, a.gate[b] as number, a.shift, b * K, a.gamma[b] as number, a.previous, b * N, s);
    out.set(s.out, b * N);
  }
}

/**
 * The vector-Jacobian product of {@link ntmAddressingForward}: given dL/dw [B, N], ADDS
 * dL/d(input) into each non-null buffer of `grads` (see {@link addressRowBackward} for the
 * maths). Recomputes the forward intermediates, cheaper than keeping them for every step of
 * a long unrolled sequence.
 *
 * @example
 * ```ts
 * ntmAddressingBackward(args, dw, { memory: dMemory, key: dKey, beta: null, gate: dGate, shift: dShift, gamma: dGamma, previous: dPrev });
 * ```
 */
export function ntmAddressingBackward(a: AddressingArgs, dOut: TypedArray, grads: AddressingGrads): void {
  const { slots: N, width: M, shifts: K } = a;
  const s = addressingScratch(N);
  const g: AddressingRowGrads = { mem: grads.memory, memOff: 0, key: grads.key, keyOff: 0, shift: grads.shift, shiftOff: 0, prev: grads.previous, prevOff: 0, beta: 0, gate: 0, gamma: 0 };
  for (let b = 0; b < a.batch; b++) {
    const beta = a.beta[b] as number;
    const gate = a.gate[b] as number;
    const gamma = a.gamma[b] as number;
    addressRowForward(N, M, K, a.memory, b * N * M, a.key, b * M, beta, gate, a.shift, b * K, gamma, a.previous, b * N, s);
    g.memOff = b * N * M;
    g.keyOff = b * M;
    g.shiftOff = b * K;
    g.prevOff = b * N;
    addressRowBackward(N, M, K, a.memory, b * N * M, a.key, b * M, beta, gate, a.shift, b * K, gamma, a.previous, b * N, s, dOut, b * N, g);
    if (grads.beta !== null) grads.beta[b] = (grads.beta[b] as number) + g.beta;
    if (grads.gate !== null) grads.gate[b] = (grads.gate[b] as number) + g.gate;
    if (grads.gamma !== null) grads.gamma[b] = (grads.gamma[b] as number) + g.gamma;
  }
}

/** The inputs of the memory-write kernels. */
export interface MemoryWriteArgs {
  readonly batch: number;
  readonly slots: number;
  readonly width: number;
  /** [B, N, M] memory before the write. */
  readonly memory: TypedArray;
  /** [B, N] write weighting. */
  readonly weights: TypedArray;
  /** [B, M] erase vector e in [0, 1]. */
  readonly erase: TypedArray;
  /** [B, M] add vector a. */
  readonly add: TypedArray;
}

/**
 * One write head's erase-then-add (Graves et al. 2014, equations 3 and 4), for a batch:
 *
 *     M'[i, m] = M[i, m] (1 - w_i e_m) + w_i a_m
 *
 * @example
 * ```ts
 * ntmWriteForward({ batch: B, slots: N, width: M, memory, weights, erase, add }, out); // out [B, N, M]
 * ```
 */
export function ntmWriteForward(a: MemoryWriteArgs, out: TypedArray): void {
  const { batch: B, slots: N, width: M } = a;
  for (let b = 0; b < B; b++) {
    const e = b * M;
    for (let i = 0; i < N; i++) {
      const w = a.weights[b * N + i] as number;
      const base = (b * N + i) * M;
      for (let m = 0; m < M; m++) {
        out[base + m] = (a.memory[base + m] as number) * (1 - w * (a.erase[e + m] as number)) + w * (a.add[e + m] as number);
      }
    }
  }
}

/** Gradient buffers of {@link ntmWriteBackward} (accumulated into); null where none is needed. */
export interface MemoryWriteGrads {
  readonly memory: TypedArray | null;
  readonly weights: TypedArray | null;
  readonly erase: TypedArray | null;
  readonly add: TypedArray | null;
}

/**
 * The vector-Jacobian product of {@link ntmWriteForward}, given G = dL/dM':
 *
 *     dL/dM[i, m] = G[i, m] (1 - w_i e_m)
 *     dL/dw_i     = sum_m G[i, m] (a_m - M[i, m] e_m)
 *     dL/de_m     = -sum_i G[i, m] M[i, m] w_i
 *     dL/da_m     = sum_i G[i, m] w_i
 *
 * @example
 * ```ts
 * ntmWriteBackward(args, dOut, { memory: dM, weights: dW, erase: dE, add: dA });
 * ```
 */
export function ntmWriteBackward(a: MemoryWriteArgs, dOut: TypedArray, grads: MemoryWriteGrads): void {
  const { batch: B, slots: N, width: M } = a;
  const de = new Float64Array(M);
  const da = new Float64Array(M);
  for (let b = 0; b < B; b++) {
    const e = b * M;
    de.fill(0);
    da.fill(0);
    for (let i = 0; i < N; i++) {
      const w = a.weights[b * N + i] as number;
      const base = (b * N + i) * M;
      let dw = 0;
      for (let m = 0; m < M; m++) {
        const gOut = dOut[base + m] as number;
        const mv = a.memory[base + m] as number;
        const ev = a.erase[e + m] as number;
        if (grads.memory !== null) grads.memory[base + m] = (grads.memory[base + m] as number) + gOut * (1 - w * ev);
        dw += gOut * ((a.add[e + m] as number) - mv * ev);
        de[m] = (de[m] as number) - gOut * mv * w;
        da[m] = (da[m] as number) + gOut * w;
      }
      if (grads.weights !== null) grads.weights[b * N + i] = (grads.weights[b * N + i] as number) + dw;
    }
    for (let m = 0; m < M; m++) {
      if (grads.erase !== null) grads.erase[e + m] = (grads.erase[e + m] as number) + (de[m] as number);
      if (grads.add !== null) grads.add[e + m] = (grads.add[e + m] as number) + (da[m] as number);
    }
  }
}
