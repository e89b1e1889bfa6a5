import type { TypedArray } from '../tensor/index.js';
import { gemm } from './gemm.js';
import { addressRowBackward, addressRowForward, addressingScratch, type AddressingRowGrads } from './ntm-addressing.js';

/** Sizes of a fused NTM run. */
export interface NtmSequenceDims {
  readonly batch: number;
  readonly steps: number;
  /** I: features per input step. */
  readonly inputSize: number;
  /** O: output logits per step. */
  readonly outputSize: number;
  /** H: controller units. */
  readonly hidden: number;
  /** N x M memory. */
  readonly slots: number;
  readonly width: number;
  readonly readHeads: number;
  readonly writeHeads: number;
  /** K = 2r + 1 shift positions. */
  readonly shifts: number;
  /** LSTM controller (else one tanh layer). */
  readonly lstm: boolean;
  /** Clip of head parameters and logits to [-clip, clip]; 0 for none. */
  readonly clip: number;
}

/** Inputs of the fused NTM kernels, row-major typed arrays of one dtype. */
export interface NtmSequenceArgs extends NtmSequenceDims {
  /** [B, T, I] */
  readonly x: TypedArray;
  /** [N, M] */
  readonly initialMemory: TypedArray;
  /** [R, M] */
  readonly initialReads: TypedArray;
  /** [R + W, N] initial weightings (read heads first) */
  readonly initialWeights: TypedArray;
  /** [G H, I + R M] (G = 4 for an LSTM, gates i f g o; 1 for feed-forward) */
  readonly weightIh: TypedArray;
  /** [4 H, H] (LSTM) or null */
  readonly weightHh: TypedArray | null;
  /** [G H] */
  readonly biasIh: TypedArray;
  /** [4 H] (LSTM) or null */
  readonly biasHh: TypedArray | null;
  /** [P, H]: every head's parameters from h */
  readonly headsWeight: TypedArray;
  /** [P] */
  readonly headsBias: TypedArray;
  /** [O, H + R M] */
  readonly outputWeight: TypedArray;
  /** [O] */
  readonly outputBias: TypedArray;
}

/** Gradient buffers of {@link ntmSequenceBackward}, zero-filled, accumulated into; null where none is needed. */
export interface NtmSequenceGrads {
  readonly x: TypedArray | null;
  readonly initialMemory: TypedArray | null;
  readonly initialReads: TypedArray | null;
  readonly initialWeights: TypedArray | null;
  readonly weightIh: TypedArray | null;
  readonly weightHh: TypedArray | null;
  readonly biasIh: TypedArray | null;
  readonly biasHh: TypedArray | null;
  readonly headsWeight: TypedArray | null;
  readonly headsBias: TypedArray | null;
  readonly outputWeight: TypedArray | null;
  readonly outputBias: TypedArray | null;
}

/** Where one head's parameters sit in a row of P: key, beta, gate, shift, gamma, then erase and add for a write head. */
export interface HeadOffsets {
  readonly key: number;
  readonly beta: number;
  readonly gate: number;
  readonly shift: number;
  readonly gamma: number;
  /** -1 for a read head. */
  readonly erase: number;
  readonly add: number;
}

/**
 * The parameter layout of the heads, read heads first: each takes M + 3 + K values (key,
 * beta, gate, shift, gamma), a write head 2M more (erase, add). Returns the offsets and P.
 *
 * @example
 * ```ts
 * headLayout(1, 1, 20, 3).size; // 26 + 66 = 92
 * ```
 */
export function headLayout(readHeads: number, writeHeads: number, width: number, shifts: number): { heads: HeadOffsets[]; size: number } {
  const heads: HeadOffsets[] = [];
  let at = 0;
  for (let h = 0; h < readHeads + writeHeads; h++) {
    const write = h >= readHeads;
    const key = at;
    const beta = key + width;
    const gate = beta + 1;
    const shift = gate + 1;
    const gamma = shift + shifts;
    heads.push({ key, beta, gate, shift, gamma, erase: write ? gamma + 1 : -1, add: write ? gamma + 1 + width : -1 });
    at = gamma + 1 + (write ? 2 * width : 0);
  }
  return { heads, size: at };
}

/** What forward keeps for backward: every step's activations, weightings and memory. */
export interface NtmTape {
  /** [T, B, I + R M] controller inputs */
  readonly ctrlIn: TypedArray;
  /** [T, B, G H] activated gates (LSTM: i f g o; feed-forward: h) */
  readonly gates: TypedArray;
  /** [T + 1, B, H] cell states (LSTM) */
  readonly c: TypedArray;
  /** [T, B, H] tanh(c) (LSTM) */
  readonly tanhC: TypedArray;
  /** [T + 1, B, H] controller outputs, h[0] = 0 */
  readonly h: TypedArray;
  /** [T, B, P] head parameters before the clip */
  readonly pPre: TypedArray;
  /** [T, B, P] activated head parameters */
  readonly pAct: TypedArray;
  /** [T + 1, R + W, B, N] weightings; step 0 the initial ones */
  readonly weights: TypedArray;
  /** [T + 1, B, N, M] memory after each step; step 0 the initial memory */
  readonly memory: TypedArray;
  /** [T, W - 1, B, N, M] memory between the write heads of a step */
  readonly mid: TypedArray;
  /** [T + 1, R, B, M] read vectors; step 0 the initial ones */
  readonly reads: TypedArray;
  /** [T, B, H + R M] the output layer's input [h; reads] */
  readonly hr: TypedArray;
  /** [T, B, O] logits before the clip */
  readonly yPre: TypedArray;
}

function alloc(like: TypedArray, n: number): TypedArray {
  return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/** Allocates the tape of a run. @example `const tape = ntmTape(args.x, args)` */
export function ntmTape(like: TypedArray, d: NtmSequenceDims): NtmTape {
  const { batch: B, steps: T, inputSize: I, outputSize: O, hidden: H, slots: N, width: M, readHeads: R, writeHeads: W } = d;
  const P = headLayout(R, W, M, d.shifts).size;
  const G = d.lstm ? 4 : 1;
  return {
    ctrlIn: alloc(like, T * B * (I + R * M)),
    gates: alloc(like, T * B * G * H),
    c: alloc(like, d.lstm ? (T + 1) * B * H : 0),
    tanhC: alloc(like, d.lstm ? T * B * H : 0),
    h: alloc(like, (T + 1) * B * H),
    pPre: alloc(like, T * B * P),
    pAct: alloc(like, T * B * P),
    weights: alloc(like, (T + 1) * (R + W) * B * N),
    memory: alloc(like, (T + 1) * B * N * M),
    mid: alloc(like, T * Math.max(0, W - 1) * B * N * M),
    reads: alloc(like, (T + 1) * R * B * M),
    hr: alloc(like, T * B * (H + R * M)),
    yPre: alloc(like, T * B * O),
  };
}

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}

/**
 * A whole neural Turing machine run over T steps (the maths of `NTMCell`, models/ntm) as
 * one forward pass with no graph: per step, one gemm per controller weight matrix for the
 * batch, one for the head parameters, one for the output layer; addressing, reads and
 * writes as loops over the memory. Writes the clipped logits y [B, T, O] and fills `tape`.
 *
 * @example
 * ```ts
 * const tape = ntmTape(args.x, args);
 * ntmSequenceForward(args, tape, y);
 * ```
 */
export function ntmSequenceForward(a: NtmSequenceArgs, tape: NtmTape, y: TypedArray): void {
  const { batch: B, steps: T, inputSize: I, outputSize: O, hidden: H, slots: N, width: M, readHeads: R, writeHeads: W, shifts: K, clip } = a;
  const In = I + R * M;
  const HR = H + R * M;
  const G = a.lstm ? 4 : 1;
  const HT = R + W;
  const { heads, size: P } = headLayout(R, W, M, K);
  const NM = N * M;
  const scratch = addressingScratch(N);
  const { ctrlIn, gates, c, tanhC, h, pPre, pAct, weights, memory, mid, reads, hr, yPre } = tape;
  // Step 0: the initial state, the same for every example.
  for (let b = 0; b < B; b++) {
    memory.set(a.initialMemory, b * NM);
    for (let rh = 0; rh < R; rh++) reads.set(a.initialReads.subarray(rh * M, (rh + 1) * M), (rh * B + b) * M);
    for (let hd = 0; hd < HT; hd++) weights.set(a.initialWeights.subarray(hd * N, (hd + 1) * N), (hd * B + b) * N);
  }
  for (let t = 0; t < T; t++) {
    // Controller input [x(t); r(t-1)].
    const ci = t * B * In;
    for (let b = 0; b < B; b++) {
      ctrlIn.set(a.x.subarray((b * T + t) * I, (b * T + t + 1) * I), ci + b * In);
      for (let rh = 0; rh < R; rh++) {
        const src = ((t * R + rh) * B + b) * M;
        ctrlIn.set(reads.subarray(src, src + M), ci + b * In + I + rh * M);
      }
    }
    // Controller.
    const gOff = t * B * G * H;
    gemm(false, true, B, G * H, In, 1, ctrlIn, ci, In, a.weightIh, 0, In, 0, gates, gOff, G * H);
    if (a.lstm) gemm(false, true, B, 4 * H, H, 1, h, t * B * H, H, a.weightHh as TypedArray, 0, H, 1, gates, gOff, 4 * H);
    for (let b = 0; b < B; b++) {
      const row = gOff + b * G * H;
      const hOut = (t + 1) * B * H + b * H;
      if (a.lstm) {
        const bih = a.biasIh;
        const bhh = a.biasHh as TypedArray;
        const cPrev = t * B * H + b * H;
        for (let j = 0; j < H; j++) {
          const ig = sigmoid((gates[row + j] as number) + (bih[j] as number) + (bhh[j] as number));
          const fg = sigmoid((gates[row + H + j] as number) + (bih[H + j] as number) + (bhh[H + j] as number));
          const gg = Math.tanh((gates[row + 2 * H + j] as number) + (bih[2 * H + j] as number) + (bhh[2 * H + j] as number));
          const og = sigmoid((gates[row + 3 * H + j] as number) + (bih[3 * H + j] as number) + (bhh[3 * H + j] as number));
          gates[row + j] = ig;
          gates[row + H + j] = fg;
          gates[row + 2 * H + j] = gg;
          gates[row + 3 * H + j] = og;
          const cv = fg * (c[cPrev + j] as number) + ig * gg;
          c[hOut + j] = cv;
          const tc = Math.tanh(cv);
          tanhC[t * B * H + b * H + j] = tc;
          h[hOut + j] = og * tc;
        }
      } else {
        for (let j = 0; j < H; j++) {
          const v = Math.tanh((gates[row + j] as number) + (a.biasIh[j] as number));
          gates[row + j] = v;
          h[hOut + j] = v;
        }
      }
    }
    // Head parameters, clipped, then activated.
    const pOff = t * B * P;
    const hNow = (t + 1) * B * H;
    gemm(false, true, B, P, H, 1, h, hNow, H, a.headsWeight, 0, H, 0, pPre, pOff, P);
    for (let b = 0; b < B; b++) {
      const row = pOff + b * P;
      for (let j = 0; j < P; j++) pPre[row + j] = (pPre[row + j] as number) + (a.headsBias[j] as number);
      for (const hd of heads) {
        const cl = (j: number): number => {
          const v = pPre[row + j] as number;
          return clip > 0 ? Math.min(clip, Math.max(-clip, v)) : v;
        };
        for (let m = 0; m < M; m++) pAct[row + hd.key + m] = Math.tanh(cl(hd.key + m));
        pAct[row + hd.beta] = softplus(cl(hd.beta));
        pAct[row + hd.gate] = sigmoid(cl(hd.gate));
        let smax = -Infinity;
        for (let j = 0; j < K; j++) smax = Math.max(smax, cl(hd.shift + j));
        let ssum = 0;
        for (let j = 0; j < K; j++) {
          const e = Math.exp(cl(hd.shift + j) - smax);
          pAct[row + hd.shift + j] = e;
          ssum += e;
        }
        for (let j = 0; j < K; j++) pAct[row + hd.shift + j] = (pAct[row + hd.shift + j] as number) / ssum;
        pAct[row + hd.gamma] = 1 + softplus(cl(hd.gamma));
        if (hd.erase >= 0) {
          for (let m = 0; m < M; m++) {
            pAct[row + hd.erase + m] = sigmoid(cl(hd.erase + m));
            pAct[row + hd.add + m] = Math.tanh(cl(hd.add + m));
          }
        }
      }
    }
    // Addressing of every head on the memory before this step's writes.
    const memNow = t * B * NM;
    for (let hd = 0; hd < HT; hd++) {
      const o = heads[hd] as HeadOffsets;
      for (let b = 0; b < B; b++) {
        const row = pOff + b * P;
        addressRowForward(
          N, M, K, memory, memNow + b * NM, pAct, row + o.key, pAct[row + o.beta] as number, pAct[row + o.gate] as number,
          pAct, row + o.shift, pAct[row + o.gamma] as number, weights, ((t * HT + hd) * B + b) * N, scratch,
        );
        weights.set(scratch.out, (((t + 1) * HT + hd) * B + b) * N);
      }
    }
    // Reads.
    for (let rh = 0; rh < R; rh++) {
      for (let b = 0; b < B; b++) {
        const w = (((t + 1) * HT + rh) * B + b) * N;
        const out = (((t + 1) * R + rh) * B + b) * M;
        for (let m = 0; m < M; m++) reads[out + m] = 0;
        for (let i = 0; i < N; i++) {
          const wv = weights[w + i] as number;
          if (wv === 0) continue;
          const base = memNow + b * NM + i * M;
          for (let m = 0; m < M; m++) reads[out + m] = (reads[out + m] as number) + wv * (memory[base + m] as number);
        }
      }
    }
    // Writes, in head order: M' = M (1 - w e^T) + w a^T.
    for (let wh = 0; wh < W; wh++) {
      const o = heads[R + wh] as HeadOffsets;
      const from = wh === 0 ? memory : mid;
      const fromOff = wh === 0 ? memNow : (t * (W - 1) + wh - 1) * B * NM;
      const to = wh === W - 1 ? memory : mid;
      const toOff = wh === W - 1 ? (t + 1) * B * NM : (t * (W - 1) + wh) * B * NM;
      for (let b = 0; b < B; b++) {
        const row = pOff + b * P;
        const w = (((t + 1) * HT + R + wh) * B + b) * N;
        for (let i = 0; i < N; i++) {
          const wv = weights[w + i] as number;
          const src = fromOff + b * NM + i * M;
          const dst = toOff + b * NM + i * M;
          for (let m = 0; m < M; m++) {
            to[dst + m] = (from[src + m] as number) * (1 - wv * (pAct[row + o.erase + m] as number)) + wv * (pAct[row + o.add + m] as number);
          }
        }
      }
    }
    // Output layer on [h(t); r(t)].
    const hrOff = t * B * HR;
    for (let b = 0; b < B; b++) {
      hr.set(h.subarray(hNow + b * H, hNow + (b + 1) * H), hrOff + b * HR);
      for (let rh = 0; rh < R; rh++) {
        const src = (((t + 1) * R + rh) * B + b) * M;
        hr.set(reads.subarray(src, src + M), hrOff + b * HR + H + rh * M);
      }
    }
    const yOff = t * B * O;
    gemm(false, true, B, O, HR, 1, hr, hrOff, HR, a.outputWeight, 0, HR, 0, yPre, yOff, O);
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < O; o++) {
        const v = (yPre[yOff + b * O + o] as number) + (a.outputBias[o] as number);
        yPre[yOff + b * O + o] = v;
        y[(b * T + t) * O + o] = clip > 0 ? Math.min(clip, Math.max(-clip, v)) : v;
      }
    }
  }
}

/**
 * Back-propagation through time of {@link ntmSequenceForward}: given dL/dy [B, T, O], ADDS
 * the gradient of every input into the non-null buffers of `grads`. Walks the steps in
 * reverse carrying dL/dh, dL/dc, dL/dr, dL/dw (each head's weighting, used as the next
 * step's previous weighting) and dL/dM; per step it undoes the output layer, the writes
 * (last head first), the reads, the addressing (recomputed from the tape), the activations
 * and clip, the head layer and the controller. Weight gradients accumulate with one gemm
 * per matrix per step.
 *
 * @example
 * ```ts
 * ntmSequenceBackward(args, tape, dy, grads);
 * ```
 */
export function ntmSequenceBackward(a: NtmSequenceArgs, tape: NtmTape, dy: TypedArray, grads: NtmSequenceGrads): void {
  const { batch: B, steps: T, inputSize: I, outputSize: O, hidden: H, slots: N, width: M, readHeads: R, writeHeads: W, shifts: K, clip } = a;
  const In = I + R * M;
  const HR = H + R * M;
  const G = a.lstm ? 4 : 1;
  const HT = R + W;
  const { heads, size: P } = headLayout(R, W, M, K);
  const NM = N * M;
  const like = a.x;
  const { ctrlIn, gates, c, tanhC, h, pPre, pAct, weights, memory, mid, hr, yPre } = tape;
  const scratch = addressingScratch(N);
  const dh = alloc(like, B * H);
  const dc = alloc(like, a.lstm ? B * H : 0);
  const dReads = alloc(like, R * B * M);
  const dW = new Float64Array(HT * B * N);
  const dWlocal = new Float64Array(HT * B * N);
  const dMem = new Float64Array(B * NM);
  const dyPre = alloc(like, B * O);
  const dhr = alloc(like, B * HR);
  const dAct = new Float64Array(B * P);
  const dP = alloc(like, B * P);
  const dGates = alloc(like, B * G * H);
  const dCtrl = alloc(like, B * In);
  const rowGrads: AddressingRowGrads = { mem: null, memOff: 0, key: null, keyOff: 0, shift: null, shiftOff: 0, prev: null, prevOff: 0, beta: 0, gate: 0, gamma: 0 };

  for (let t = T - 1; t >= 0; t--) {
    // Output layer: y = clip(W_y [h; r] + b_y).
    const yOff = t * B * O;
    for (let b = 0; b < B; b++) {
      for (let o = 0; o < O; o++) {
        const v = yPre[yOff + b * O + o] as number;
        dyPre[b * O + o] = clip > 0 && (v > clip || v < -clip) ? 0 : (dy[(b * T + t) * O + o] as number);
      }
    }
    const hrOff = t * B * HR;
    if (grads.outputWeight !== null) gemm(true, false, O, HR, B, 1, dyPre, 0, O, hr, hrOff, HR, 1, grads.outputWeight, 0, HR);
    if (grads.outputBias !== null) {
      for (let b = 0; b < B; b++) for (let o = 0; o < O; o++) grads.outputBias[o] = (grads.outputBias[o] as number) + (dyPre[b * O + o] as number);
    }
    gemm(false, false, B, HR, O, 1, dyPre, 0, O, a.outputWeight, 0, HR, 0, dhr, 0, HR);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < H; j++) dh[b * H + j] = (dh[b * H + j] as number) + (dhr[b * HR + j] as number);
      for (let rh = 0; rh < R; rh++) {
        for (let m = 0; m < M; m++) {
          const at = (rh * B + b) * M + m;
          dReads[at] = (dReads[at] as number) + (dhr[b * HR + H + rh * M + m] as number);
        }
      }
    }
    // Writes, last head first. dMem holds dL/dM(t+1) and becomes dL/dM(t).
    const pOff = t * B * P;
    const memNow = t * B * NM;
    dWlocal.fill(0);
    dAct.fill(0);
    for (let wh = W - 1; wh >= 0; wh--) {
      const o = heads[R + wh] as HeadOffsets;
      const from = wh === 0 ? memory : mid;
      const fromOff = wh === 0 ? memNow : (t * (W - 1) + wh - 1) * B * NM;
      for (let b = 0; b < B; b++) {
        const row = pOff + b * P;
        const w = (((t + 1) * HT + R + wh) * B + b) * N;
        const dRow = b * P;
        for (let i = 0; i < N; i++) {
          const wv = weights[w + i] as number;
          const src = fromOff + b * NM + i * M;
          const g = b * NM + i * M;
          let dw = 0;
          for (let m = 0; m < M; m++) {
            const gOut = dMem[g + m] as number;
            if (gOut === 0) continue;
            const mv = from[src + m] as number;
            const ev = pAct[row + o.erase + m] as number;
            dMem[g + m] = gOut * (1 - wv * ev);
            dw += gOut * ((pAct[row + o.add + m] as number) - mv * ev);
            dAct[dRow + o.erase + m] = (dAct[dRow + o.erase + m] as number) - gOut * mv * wv;
            dAct[dRow + o.add + m] = (dAct[dRow + o.add + m] as number) + gOut * wv;
          }
          dWlocal[((R + wh) * B + b) * N + i] = (dWlocal[((R + wh) * B + b) * N + i] as number) + dw;
        }
      }
    }
    // Reads r = M(t)^T w.
    for (let rh = 0; rh < R; rh++) {
      for (let b = 0; b < B; b++) {
        const w = (((t + 1) * HT + rh) * B + b) * N;
        const dr = (rh * B + b) * M;
        for (let i = 0; i < N; i++) {
          const wv = weights[w + i] as number;
          const base = memNow + b * NM + i * M;
          const g = b * NM + i * M;
          let dw = 0;
          for (let m = 0; m < M; m++) {
            const d = dReads[dr + m] as number;
            dw += (memory[base + m] as number) * d;
            dMem[g + m] = (dMem[g + m] as number) + wv * d;
          }
          dWlocal[(rh * B + b) * N + i] = (dWlocal[(rh * B + b) * N + i] as number) + dw;
        }
      }
    }
    // Addressing: dL/dw(t+1) = its use at this step + its use as the previous weighting at t+1.
    for (let k = 0; k < dWlocal.length; k++) dWlocal[k] = (dWlocal[k] as number) + (dW[k] as number);
    dW.fill(0);
    rowGrads.mem = dMem;
    rowGrads.key = dAct;
    rowGrads.shift = dAct;
    rowGrads.prev = dW;
    for (let hd = 0; hd < HT; hd++) {
      const o = heads[hd] as HeadOffsets;
      for (let b = 0; b < B; b++) {
        const row = pOff + b * P;
        const beta = pAct[row + o.beta] as number;
        const gate = pAct[row + o.gate] as number;
        const gamma = pAct[row + o.gamma] as number;
        const prevOff = ((t * HT + hd) * B + b) * N;
        addressRowForward(N, M, K, memory, memNow + b * NM, pAct, row + o.key, beta, gate, pAct, row + o.shift, gamma, weights, prevOff, scratch);
        rowGrads.memOff = b * NM;
        rowGrads.keyOff = b * P + o.key;
        rowGrads.shiftOff = b * P + o.shift;
        rowGrads.prevOff = (hd * B + b) * N;
        addressRowBackward(
          N, M, K, memory, memNow + b * NM, pAct, row + o.key, beta, gate, pAct, row + o.shift, gamma, weights, prevOff, scratch,
          dWlocal, (hd * B + b) * N, rowGrads,
        );
        dAct[b * P + o.beta] = rowGrads.beta;
        dAct[b * P + o.gate] = rowGrads.gate;
        dAct[b * P + o.gamma] = rowGrads.gamma;
      }
    }
    // Activations and clip of the head parameters.
    for (let b = 0; b < B; b++) {
      const row = pOff + b * P;
      const dRow = b * P;
      for (const o of heads) {
        for (let m = 0; m < M; m++) {
          const k = pAct[row + o.key + m] as number;
          dP[dRow + o.key + m] = (dAct[dRow + o.key + m] as number) * (1 - k * k);
        }
        const clipped = (j: number): number => {
          const v = pPre[row + j] as number;
          return clip > 0 ? Math.min(clip, Math.max(-clip, v)) : v;
        };
        dP[dRow + o.beta] = (dAct[dRow + o.beta] as number) * sigmoid(clipped(o.beta));
        const gv = pAct[row + o.gate] as number;
        dP[dRow + o.gate] = (dAct[dRow + o.gate] as number) * gv * (1 - gv);
        let dot = 0;
        for (let j = 0; j < K; j++) dot += (dAct[dRow + o.shift + j] as number) * (pAct[row + o.shift + j] as number);
        for (let j = 0; j < K; j++) {
          dP[dRow + o.shift + j] = (pAct[row + o.shift + j] as number) * ((dAct[dRow + o.shift + j] as number) - dot);
        }
        dP[dRow + o.gamma] = (dAct[dRow + o.gamma] as number) * sigmoid(clipped(o.gamma));
        if (o.erase >= 0) {
          for (let m = 0; m < M; m++) {
            const e = pAct[row + o.erase + m] as number;
            const av = pAct[row + o.add + m] as number;
            dP[dRow + o.erase + m] = (dAct[dRow + o.erase + m] as number) * e * (1 - e);
            dP[dRow + o.add + m] = (dAct[dRow + o.add + m] as number) * (1 - av * av);
          }
        }
      }
      if (clip > 0) {
        for (let j = 0; j < P; j++) {
          const v = pPre[row + j] as number;
          if (v > clip || v < -clip) dP[dRow + j] = 0;
        }
      }
    }
    // Head layer.
    const hNow = (t + 1) * B * H;
    if (grads.headsWeight !== null) gemm(true, false, P, H, B, 1, dP, 0, P, h, hNow, H, 1, grads.headsWeight, 0, H);
    if (grads.headsBias !== null) {
      for (let b = 0; b < B; b++) for (let j = 0; j < P; j++) grads.headsBias[j] = (grads.headsBias[j] as number) + (dP[b * P + j] as number);
    }
    gemm(false, false, B, H, P, 1, dP, 0, P, a.headsWeight, 0, H, 1, dh, 0, H);
    // Controller.
    const gOff = t * B * G * H;
    if (a.lstm) {
      for (let b = 0; b < B; b++) {
        const row = gOff + b * 4 * H;
        const cPrev = t * B * H + b * H;
        const tcRow = t * B * H + b * H;
        for (let j = 0; j < H; j++) {
          const ig = gates[row + j] as number;
          const fg = gates[row + H + j] as number;
          const gg = gates[row + 2 * H + j] as number;
          const og = gates[row + 3 * H + j] as number;
          const tc = tanhC[tcRow + j] as number;
          const dhv = dh[b * H + j] as number;
          const dct = (dc[b * H + j] as number) + dhv * og * (1 - tc * tc);
          const d = b * 4 * H;
          dGates[d + j] = dct * gg * ig * (1 - ig);
          dGates[d + H + j] = dct * (c[cPrev + j] as number) * fg * (1 - fg);
          dGates[d + 2 * H + j] = dct * ig * (1 - gg * gg);
          dGates[d + 3 * H + j] = dhv * tc * og * (1 - og);
          dc[b * H + j] = dct * fg;
        }
      }
    } else {
      for (let b = 0; b < B; b++) {
        for (let j = 0; j < H; j++) {
          const v = gates[gOff + b * H + j] as number;
          dGates[b * H + j] = (dh[b * H + j] as number) * (1 - v * v);
        }
      }
    }
    const ci = t * B * In;
    if (grads.weightIh !== null) gemm(true, false, G * H, In, B, 1, dGates, 0, G * H, ctrlIn, ci, In, 1, grads.weightIh, 0, In);
    if (a.lstm && grads.weightHh !== null) gemm(true, false, 4 * H, H, B, 1, dGates, 0, 4 * H, h, t * B * H, H, 1, grads.weightHh, 0, H);
    for (let b = 0; b < B; b++) {
      for (let j = 0; j < G * H; j++) {
        const v = dGates[b * G * H + j] as number;
        if (grads.biasIh !== null) grads.biasIh[j] = (grads.biasIh[j] as number) + v;
        if (grads.biasHh !== null) grads.biasHh[j] = (grads.biasHh[j] as number) + v;
      }
    }
    gemm(false, false, B, In, G * H, 1, dGates, 0, G * H, a.weightIh, 0, In, 0, dCtrl, 0, In);
    if (a.lstm) gemm(false, false, B, H, 4 * H, 1, dGates, 0, 4 * H, a.weightHh as TypedArray, 0, H, 0, dh, 0, H);
    else dh.fill(0);
    for (let b = 0; b < B; b++) {
      if (grads.x !== null) {
        for (let i = 0; i < I; i++) grads.x[(b * T + t) * I + i] = (grads.x[(b * T + t) * I + i] as number) + (dCtrl[b * In + i] as number);
      }
      for (let rh = 0; rh < R; rh++) {
        for (let m = 0; m < M; m++) dReads[(rh * B + b) * M + m] = dCtrl[b * In + I + rh * M + m] as number;
      }
    }
  }
  // The initial state is shared by the batch: its gradients sum over the examples.
  if (grads.initialMemory !== null) {
    for (let b = 0; b < B; b++) for (let k = 0; k < NM; k++) grads.initialMemory[k] = (grads.initialMemory[k] as number) + (dMem[b * NM + k] as number);
  }
  if (grads.initialReads !== null) {
    for (let rh = 0; rh < R; rh++) {
      for (let b = 0; b < B; b++) {
        for (let m = 0; m < M; m++) grads.initialReads[rh * M + m] = (grads.initialReads[rh * M + m] as number) + (dReads[(rh * B + b) * M + m] as number);
      }
    }
  }
  if (grads.initialWeights !== null) {
    for (let hd = 0; hd < HT; hd++) {
      for (let b = 0; b < B; b++) {
        for (let i = 0; i < N; i++) grads.initialWeights[hd * N + i] = (grads.initialWeights[hd * N + i] as number) + (dW[(hd * B + b) * N + i] as number);
      }
    }
  }
}
