// The fused RNN, LSTM and GRU time steps for WebAssembly SIMD (f32x4): the element-wise part
// of each step, and whole time loops (per step one packed gemm from gemm.ts and one of those
// passes), compiled with gemm.ts by scripts/build-wasm.mjs. The JS side
// (src/kernels/*-sequence.ts) copies inputs in, packs the weights once, and calls a loop on
// the main thread and, in parallel over the other half of the batch, on a worker thread
// (src/kernels/threads.ts); every buffer lives in this module's memory, so nothing is copied
// inside the loop.
//
// Layouts match the JavaScript kernels (src/kernels/*-sequence.ts) exactly: every per-step
// buffer is one contiguous [B, F] block; gate blocks are stacked along the features in
// PyTorch's order (LSTM i f g o, GRU r z n). Addresses are in bytes, sizes in elements.
//
// Masking: `lengths` is the address of B i32 valid lengths, or 0 when every example runs all
// steps; at a padded step (t >= lengths[b]) the state is copied through and the gradients of
// the row are zero, as in the JS kernels.

import { sgemmPacked } from './gemm';
import { ld, ld1, sigmoid1, st, st1, tanh1, vexp, vsigmoid, vtanh } from './simd-math';

@inline
function isPadded(lengths: usize, b: i32, t: i32): bool {
  return lengths != 0 && t >= load<i32>(lengths + (<usize>b << 2));
}

/** Test hooks: out[k] = e^x[k], sigma(x[k]), tanh(x[k]) for k < n, with the kernels' approximations. */
export function expInPlace(x: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) st(x, k, vexp(ld(x, k)));
  for (; k < n; k++) st1(x, k, f32x4.extract_lane(vexp(f32x4.splat(ld1(x, k))), 0));
}

/** sigma in place over n floats (test hook and the LSTM inference step). */
export function sigmoidInPlace(x: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) st(x, k, vsigmoid(ld(x, k)));
  for (; k < n; k++) st1(x, k, sigmoid1(ld1(x, k)));
}

/** tanh in place over n floats. */
export function tanhInPlace(x: usize, n: i32): void {
  let k = 0;
  for (; k + 4 <= n; k += 4) st(x, k, vtanh(ld(x, k)));
  for (; k < n; k++) st1(x, k, tanh1(ld1(x, k)));
}

/**
 * One LSTM step for every row b < B, after the recurrent gemm has added h(t-1) W_hh^T to the
 * input projection in `gates` [B, 4H]:
 *
 *     [i f g o] = sigma, sigma, tanh, sigma of (gates + bias)
 *     c(t) = f c(t-1) + i g,   h(t) = o tanh(c(t))
 *
 * writing the activated gates back into `gates` (what backward reads), c(t) to `cNext`,
 * tanh(c(t)) to `tanhC` and h(t) to `hNext` (each [B, H]). Padded rows copy the state.
 */
export function lstmStepForward(
  B: i32, H: i32, gates: usize, bias: usize, hPrev: usize, cPrev: usize, hNext: usize, cNext: usize, tanhC: usize, lengths: usize, t: i32,
): void {
  const rowBytes = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const hp = hPrev + <usize>b * rowBytes, cp = cPrev + <usize>b * rowBytes;
    const hn = hNext + <usize>b * rowBytes, cn = cNext + <usize>b * rowBytes, tc = tanhC + <usize>b * rowBytes;
    if (isPadded(lengths, b, t)) {
      memory.copy(hn, hp, rowBytes);
      memory.copy(cn, cp, rowBytes);
      continue;
    }
    const gi = gates + <usize>b * 4 * rowBytes;
    const gf = gi + rowBytes, gg = gf + rowBytes, go = gg + rowBytes;
    const bi = bias, bf = bias + rowBytes, bg = bf + rowBytes, bo = bg + rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = vsigmoid(f32x4.add(ld(gi, j), ld(bi, j)));
      const f = vsigmoid(f32x4.add(ld(gf, j), ld(bf, j)));
      const g = vtanh(f32x4.add(ld(gg, j), ld(bg, j)));
      const o = vsigmoid(f32x4.add(ld(go, j), ld(bo, j)));
      const c = f32x4.add(f32x4.mul(f, ld(cp, j)), f32x4.mul(i, g));
      const tcv = vtanh(c);
      st(gi, j, i);
      st(gf, j, f);
      st(gg, j, g);
      st(go, j, o);
      st(cn, j, c);
      st(tc, j, tcv);
      st(hn, j, f32x4.mul(o, tcv));
    }
    for (; j < H; j++) {
      const i = sigmoid1(ld1(gi, j) + ld1(bi, j));
      const f = sigmoid1(ld1(gf, j) + ld1(bf, j));
      const g = tanh1(ld1(gg, j) + ld1(bg, j));
      const o = sigmoid1(ld1(go, j) + ld1(bo, j));
      const c = f * ld1(cp, j) + i * g;
      const tcv = tanh1(c);
      st1(gi, j, i);
      st1(gf, j, f);
      st1(gg, j, g);
      st1(go, j, o);
      st1(cn, j, c);
      st1(tc, j, tcv);
      st1(hn, j, o * tcv);
    }
  }
}

/**
 * One LSTM step backward for every row: with dh~ = dh + dy(t) and the saved gates,
 *
 *     dc~ = dc + dh~ o (1 - tanh(c)^2)
 *     da_i = dc~ g i (1-i),  da_f = dc~ c(t-1) f (1-f),  da_g = dc~ i (1-g^2),  da_o = dh~ tanh(c) o (1-o)
 *
 * into `dGates` [B, 4H]; dc becomes dc~ f and dh 0 (the caller then adds dGates W_hh).
 * Padded rows get zero gate gradients and keep dh, dc.
 */
export function lstmStepBackward(
  B: i32, H: i32, gates: usize, cPrev: usize, tanhC: usize, dy: usize, dh: usize, dc: usize, dGates: usize, lengths: usize, t: i32,
): void {
  const rowBytes = <usize>H << 2;
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const dgi = dGates + <usize>b * 4 * rowBytes;
    if (isPadded(lengths, b, t)) {
      memory.fill(dgi, 0, 4 * rowBytes);
      continue;
    }
    const dgf = dgi + rowBytes, dgg = dgf + rowBytes, dgo = dgg + rowBytes;
    const gi = gates + <usize>b * 4 * rowBytes;
    const gf = gi + rowBytes, gg = gf + rowBytes, go = gg + rowBytes;
    const cp = cPrev + <usize>b * rowBytes, tc = tanhC + <usize>b * rowBytes;
    const dyr = dy + <usize>b * rowBytes, dhr = dh + <usize>b * rowBytes, dcr = dc + <usize>b * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = ld(gi, j), f = ld(gf, j), g = ld(gg, j), o = ld(go, j), tcv = ld(tc, j);
      const dht = f32x4.add(ld(dhr, j), ld(dyr, j));
      const dct = f32x4.add(ld(dcr, j), f32x4.mul(f32x4.mul(dht, o), f32x4.sub(one, f32x4.mul(tcv, tcv))));
      st(dgi, j, f32x4.mul(f32x4.mul(dct, g), f32x4.mul(i, f32x4.sub(one, i))));
      st(dgf, j, f32x4.mul(f32x4.mul(dct, ld(cp, j)), f32x4.mul(f, f32x4.sub(one, f))));
      st(dgg, j, f32x4.mul(f32x4.mul(dct, i), f32x4.sub(one, f32x4.mul(g, g))));
      st(dgo, j, f32x4.mul(f32x4.mul(dht, tcv), f32x4.mul(o, f32x4.sub(one, o))));
      st(dcr, j, f32x4.mul(dct, f));
      st(dhr, j, zero);
    }
    for (; j < H; j++) {
      const i = ld1(gi, j), f = ld1(gf, j), g = ld1(gg, j), o = ld1(go, j), tcv = ld1(tc, j);
      const dht = ld1(dhr, j) + ld1(dyr, j);
      const dct = ld1(dcr, j) + dht * o * (1 - tcv * tcv);
      st1(dgi, j, dct * g * i * (1 - i));
      st1(dgf, j, dct * ld1(cp, j) * f * (1 - f));
      st1(dgg, j, dct * i * (1 - g * g));
      st1(dgo, j, dht * tcv * o * (1 - o));
      st1(dcr, j, dct * f);
      st1(dhr, j, 0);
    }
  }
}

/**
 * One Elman step for every row: h(t) = act(pre + bias), act = tanh or relu, where `pre` [B, H]
 * holds the input projection plus h(t-1) W_hh^T. Padded rows copy h(t-1).
 */
export function rnnStepForward(B: i32, H: i32, pre: usize, bias: usize, hPrev: usize, hNext: usize, relu: bool, lengths: usize, t: i32): void {
  const rowBytes = <usize>H << 2;
  const zero = f32x4.splat(0);
  for (let b = 0; b < B; b++) {
    const hn = hNext + <usize>b * rowBytes;
    if (isPadded(lengths, b, t)) {
      memory.copy(hn, hPrev + <usize>b * rowBytes, rowBytes);
      continue;
    }
    const pr = pre + <usize>b * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const a = f32x4.add(ld(pr, j), ld(bias, j));
      st(hn, j, relu ? f32x4.max(a, zero) : vtanh(a));
    }
    for (; j < H; j++) {
      const a = ld1(pr, j) + ld1(bias, j);
      st1(hn, j, relu ? (a > 0 ? a : 0) : tanh1(a));
    }
  }
}

/**
 * One Elman step backward: da = (dh + dy(t)) act'(h(t)) with act' = 1 - h^2 (tanh) or
 * [h > 0] (relu), then dh = 0 (the caller adds da W_hh). Padded rows: da = 0, dh kept.
 */
export function rnnStepBackward(B: i32, H: i32, hNext: usize, dy: usize, dh: usize, da: usize, relu: bool, lengths: usize, t: i32): void {
  const rowBytes = <usize>H << 2;
  const zero = f32x4.splat(0), one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const dar = da + <usize>b * rowBytes;
    if (isPadded(lengths, b, t)) {
      memory.fill(dar, 0, rowBytes);
      continue;
    }
    const hn = hNext + <usize>b * rowBytes, dyr = dy + <usize>b * rowBytes, dhr = dh + <usize>b * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const h = ld(hn, j);
      const dht = f32x4.add(ld(dhr, j), ld(dyr, j));
      st(dar, j, relu ? v128.and(dht, f32x4.gt(h, zero)) : f32x4.mul(dht, f32x4.sub(one, f32x4.mul(h, h))));
      st(dhr, j, zero);
    }
    for (; j < H; j++) {
      const h = ld1(hn, j);
      const dht = ld1(dhr, j) + ld1(dyr, j);
      st1(dar, j, relu ? (h > 0 ? dht : 0) : dht * (1 - h * h));
      st1(dhr, j, 0);
    }
  }
}

/**
 * One GRU step with the reset gate after the recurrent product (PyTorch, cuDNN), for every
 * row: `gates` [B, 3H] holds x W_ih^T (no bias) and `hh` [B, 3H] holds h(t-1) W_hh^T (no bias):
 *
 *     r = sigma(x_r + b_ir + h_r + b_hr),  z = sigma(x_z + b_iz + h_z + b_hz)
 *     h_n = h_n + b_hn (saved in aux),     n = tanh(x_n + b_in + r h_n)
 *     h(t) = n + z (h(t-1) - n)
 *
 * Activated r, z, n go back into `gates`. Padded rows copy h(t-1).
 */
export function gruAfterStepForward(
  B: i32, H: i32, gates: usize, hh: usize, bi: usize, bh: usize, hPrev: usize, hNext: usize, aux: usize, lengths: usize, t: i32,
): void {
  const rowBytes = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const hp = hPrev + <usize>b * rowBytes, hn = hNext + <usize>b * rowBytes;
    if (isPadded(lengths, b, t)) {
      memory.copy(hn, hp, rowBytes);
      continue;
    }
    const gr = gates + <usize>b * 3 * rowBytes, gz = gr + rowBytes, gn = gz + rowBytes;
    const hr = hh + <usize>b * 3 * rowBytes, hz = hr + rowBytes, hnn = hz + rowBytes;
    const bir = bi, biz = bi + rowBytes, bin = biz + rowBytes;
    const bhr = bh, bhz = bh + rowBytes, bhn = bhz + rowBytes;
    const ax = aux + <usize>b * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const r = vsigmoid(f32x4.add(f32x4.add(ld(gr, j), ld(bir, j)), f32x4.add(ld(hr, j), ld(bhr, j))));
      const z = vsigmoid(f32x4.add(f32x4.add(ld(gz, j), ld(biz, j)), f32x4.add(ld(hz, j), ld(bhz, j))));
      const hnv = f32x4.add(ld(hnn, j), ld(bhn, j));
      const n = vtanh(f32x4.add(f32x4.add(ld(gn, j), ld(bin, j)), f32x4.mul(r, hnv)));
      st(ax, j, hnv);
      st(gr, j, r);
      st(gz, j, z);
      st(gn, j, n);
      st(hn, j, f32x4.add(n, f32x4.mul(z, f32x4.sub(ld(hp, j), n))));
    }
    for (; j < H; j++) {
      const r = sigmoid1(ld1(gr, j) + ld1(bir, j) + (ld1(hr, j) + ld1(bhr, j)));
      const z = sigmoid1(ld1(gz, j) + ld1(biz, j) + (ld1(hz, j) + ld1(bhz, j)));
      const hnv = ld1(hnn, j) + ld1(bhn, j);
      const n = tanh1(ld1(gn, j) + ld1(bin, j) + r * hnv);
      st1(ax, j, hnv);
      st1(gr, j, r);
      st1(gz, j, z);
      st1(gn, j, n);
      st1(hn, j, n + z * (ld1(hp, j) - n));
    }
  }
}

/**
 * GRU with the reset before the product, first half of a step (every row; padded rows' values
 * are never used): r, z from the input projection in `gates` and h(t-1) W_h{r,z}^T in `hh`,
 * and aux = r h(t-1), which the caller multiplies by W_hn^T into hh's n block.
 */
export function gruBeforeResetGates(B: i32, H: i32, gates: usize, hh: usize, bi: usize, bh: usize, hPrev: usize, aux: usize): void {
  const rowBytes = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const gr = gates + <usize>b * 3 * rowBytes, gz = gr + rowBytes;
    const hr = hh + <usize>b * 3 * rowBytes, hz = hr + rowBytes;
    const bir = bi, biz = bi + rowBytes, bhr = bh, bhz = bh + rowBytes;
    const hp = hPrev + <usize>b * rowBytes, ax = aux + <usize>b * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const r = vsigmoid(f32x4.add(f32x4.add(ld(gr, j), ld(bir, j)), f32x4.add(ld(hr, j), ld(bhr, j))));
      const z = vsigmoid(f32x4.add(f32x4.add(ld(gz, j), ld(biz, j)), f32x4.add(ld(hz, j), ld(bhz, j))));
      st(gr, j, r);
      st(gz, j, z);
      st(ax, j, f32x4.mul(r, ld(hp, j)));
    }
    for (; j < H; j++) {
      const r = sigmoid1(ld1(gr, j) + ld1(bir, j) + (ld1(hr, j) + ld1(bhr, j)));
      const z = sigmoid1(ld1(gz, j) + ld1(biz, j) + (ld1(hz, j) + ld1(bhz, j)));
      st1(gr, j, r);
      st1(gz, j, z);
      st1(ax, j, r * ld1(hp, j));
    }
  }
}

/**
 * GRU with the reset before the product, second half: n = tanh(x_n + b_in + h_n + b_hn) with
 * h_n = (r h(t-1)) W_hn^T already in hh's n block, then h(t) = n + z (h(t-1) - n). Padded
 * rows copy h(t-1).
 */
export function gruBeforeStepForward(
  B: i32, H: i32, gates: usize, hh: usize, bi: usize, bh: usize, hPrev: usize, hNext: usize, lengths: usize, t: i32,
): void {
  const rowBytes = <usize>H << 2;
  for (let b = 0; b < B; b++) {
    const hp = hPrev + <usize>b * rowBytes, hn = hNext + <usize>b * rowBytes;
    if (isPadded(lengths, b, t)) {
      memory.copy(hn, hp, rowBytes);
      continue;
    }
    const gz = gates + <usize>b * 3 * rowBytes + rowBytes, gn = gz + rowBytes;
    const hnn = hh + <usize>b * 3 * rowBytes + 2 * rowBytes;
    const bin = bi + 2 * rowBytes, bhn = bh + 2 * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const n = vtanh(f32x4.add(f32x4.add(ld(gn, j), ld(bin, j)), f32x4.add(ld(hnn, j), ld(bhn, j))));
      st(gn, j, n);
      st(hn, j, f32x4.add(n, f32x4.mul(ld(gz, j), f32x4.sub(ld(hp, j), n))));
    }
    for (; j < H; j++) {
      const n = tanh1(ld1(gn, j) + ld1(bin, j) + (ld1(hnn, j) + ld1(bhn, j)));
      st1(gn, j, n);
      st1(hn, j, n + ld1(gz, j) * (ld1(hp, j) - n));
    }
  }
}

/**
 * GRU (reset after) step backward for every row, with dh~ = dh + dy(t):
 *
 *     da_n = dh~ (1-z) (1-n^2),  da_r = da_n h_n r (1-r),  da_z = dh~ (h(t-1) - n) z (1-z)
 *
 * into dGx = [da_r da_z da_n] (input side) and dGh = [da_r da_z da_n r] (recurrent side);
 * dh becomes dh~ z (the caller adds dGh W_hh). Padded rows: zero gradients, dh kept.
 */
export function gruAfterStepBackward(
  B: i32, H: i32, gates: usize, hPrev: usize, aux: usize, dy: usize, dh: usize, dGx: usize, dGh: usize, lengths: usize, t: i32,
): void {
  const rowBytes = <usize>H << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const xr = dGx + <usize>b * 3 * rowBytes, xz = xr + rowBytes, xn = xz + rowBytes;
    const hr = dGh + <usize>b * 3 * rowBytes, hz = hr + rowBytes, hnn = hz + rowBytes;
    if (isPadded(lengths, b, t)) {
      memory.fill(xr, 0, 3 * rowBytes);
      memory.fill(hr, 0, 3 * rowBytes);
      continue;
    }
    const gr = gates + <usize>b * 3 * rowBytes, gz = gr + rowBytes, gn = gz + rowBytes;
    const hp = hPrev + <usize>b * rowBytes, ax = aux + <usize>b * rowBytes;
    const dyr = dy + <usize>b * rowBytes, dhr = dh + <usize>b * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const r = ld(gr, j), z = ld(gz, j), n = ld(gn, j);
      const dht = f32x4.add(ld(dhr, j), ld(dyr, j));
      const dan = f32x4.mul(f32x4.mul(dht, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const dar = f32x4.mul(f32x4.mul(dan, ld(ax, j)), f32x4.mul(r, f32x4.sub(one, r)));
      const daz = f32x4.mul(f32x4.mul(dht, f32x4.sub(ld(hp, j), n)), f32x4.mul(z, f32x4.sub(one, z)));
      st(xr, j, dar);
      st(xz, j, daz);
      st(xn, j, dan);
      st(hr, j, dar);
      st(hz, j, daz);
      st(hnn, j, f32x4.mul(dan, r));
      st(dhr, j, f32x4.mul(dht, z));
    }
    for (; j < H; j++) {
      const r = ld1(gr, j), z = ld1(gz, j), n = ld1(gn, j);
      const dht = ld1(dhr, j) + ld1(dyr, j);
      const dan = dht * (1 - z) * (1 - n * n);
      const dar = dan * ld1(ax, j) * r * (1 - r);
      const daz = dht * (ld1(hp, j) - n) * z * (1 - z);
      st1(xr, j, dar);
      st1(xz, j, daz);
      st1(xn, j, dan);
      st1(hr, j, dar);
      st1(hz, j, daz);
      st1(hnn, j, dan * r);
      st1(dhr, j, dht * z);
    }
  }
}

/**
 * GRU (reset before) step backward, first half: da_z and da_n into both gradient blocks and
 * dh = dh~ z; da_r waits for d(r h) = da_n W_hn, which the caller computes next. Padded rows:
 * zero gradients, dh kept.
 */
export function gruBeforeCandidateBackward(
  B: i32, H: i32, gates: usize, hPrev: usize, dy: usize, dh: usize, dGx: usize, dGh: usize, lengths: usize, t: i32,
): void {
  const rowBytes = <usize>H << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    const xr = dGx + <usize>b * 3 * rowBytes, xz = xr + rowBytes, xn = xz + rowBytes;
    const hr = dGh + <usize>b * 3 * rowBytes, hz = hr + rowBytes, hnn = hz + rowBytes;
    if (isPadded(lengths, b, t)) {
      memory.fill(xr, 0, 3 * rowBytes);
      memory.fill(hr, 0, 3 * rowBytes);
      continue;
    }
    const gz = gates + <usize>b * 3 * rowBytes + rowBytes, gn = gz + rowBytes;
    const hp = hPrev + <usize>b * rowBytes, dyr = dy + <usize>b * rowBytes, dhr = dh + <usize>b * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const z = ld(gz, j), n = ld(gn, j);
      const dht = f32x4.add(ld(dhr, j), ld(dyr, j));
      const dan = f32x4.mul(f32x4.mul(dht, f32x4.sub(one, z)), f32x4.sub(one, f32x4.mul(n, n)));
      const daz = f32x4.mul(f32x4.mul(dht, f32x4.sub(ld(hp, j), n)), f32x4.mul(z, f32x4.sub(one, z)));
      st(xz, j, daz);
      st(xn, j, dan);
      st(hz, j, daz);
      st(hnn, j, dan);
      st(dhr, j, f32x4.mul(dht, z));
    }
    for (; j < H; j++) {
      const z = ld1(gz, j), n = ld1(gn, j);
      const dht = ld1(dhr, j) + ld1(dyr, j);
      const dan = dht * (1 - z) * (1 - n * n);
      const daz = dht * (ld1(hp, j) - n) * z * (1 - z);
      st1(xz, j, daz);
      st1(xn, j, dan);
      st1(hz, j, daz);
      st1(hnn, j, dan);
      st1(dhr, j, dht * z);
    }
  }
}

/**
 * GRU (reset before) step backward, second half: with d = d(r h) from the caller's gemm,
 * da_r = d h(t-1) r (1-r) into both gradient blocks and dh += d r. Padded rows untouched.
 */
export function gruBeforeResetBackward(
  B: i32, H: i32, gates: usize, hPrev: usize, drh: usize, dh: usize, dGx: usize, dGh: usize, lengths: usize, t: i32,
): void {
  const rowBytes = <usize>H << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < B; b++) {
    if (isPadded(lengths, b, t)) continue;
    const gr = gates + <usize>b * 3 * rowBytes;
    const xr = dGx + <usize>b * 3 * rowBytes, hr = dGh + <usize>b * 3 * rowBytes;
    const hp = hPrev + <usize>b * rowBytes, dr = drh + <usize>b * rowBytes, dhr = dh + <usize>b * rowBytes;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const r = ld(gr, j), d = ld(dr, j);
      const dar = f32x4.mul(f32x4.mul(d, ld(hp, j)), f32x4.mul(r, f32x4.sub(one, r)));
      st(xr, j, dar);
      st(hr, j, dar);
      st(dhr, j, f32x4.add(ld(dhr, j), f32x4.mul(d, r)));
    }
    for (; j < H; j++) {
      const r = ld1(gr, j), d = ld1(dr, j);
      const dar = d * ld1(hp, j) * r * (1 - r);
      st1(xr, j, dar);
      st1(hr, j, dar);
      st1(dhr, j, ld1(dhr, j) + d * r);
    }
  }
}

/**
 * out[j] = sum over r < rows of src[r * ld + j], j < cols: the bias gradients of all steps
 * at once (out is overwritten).
 */
export function columnSums(src: usize, ld: i32, rows: i32, cols: i32, out: usize): void {
  memory.fill(out, 0, <usize>cols << 2);
  const ldBytes = <usize>ld << 2;
  for (let r = 0; r < rows; r++) {
    const row = src + <usize>r * ldBytes;
    let j = 0;
    for (; j + 4 <= cols; j += 4) st(out, j, f32x4.add(ld4(out, j), ld4(row, j)));
    for (; j < cols; j++) st1(out, j, ld1(out, j) + ld1(row, j));
  }
}

@inline
function ld4(p: usize, j: i32): v128 {
  return v128.load(p + (<usize>j << 2));
}

// Whole time loops over the batch rows [b0, b1) of a [B, ...] problem. The rows of a
// recurrence never interact (row b of h(t) depends only on row b of h(t-1)), so two threads
// can each run the loop on half of the batch, forward and backward, with no synchronisation
// inside the loop; each passes its own gemm scratch (packA, tile). Per-step buffers are
// [T, B, F] step-major; a thread's rows of step s are one contiguous block inside it.

/** Forward LSTM loop: per step, gates += h W_hh^T (W_hh^T packed whole), then the cell maths. */
export function lstmForwardLoop(
  B: i32, b0: i32, b1: i32, T: i32, H: i32, reverse: bool,
  gates: usize, hs: usize, cs: usize, tanhC: usize, packed: usize, bias: usize, lengths: usize, packA: usize, tile: usize,
): void {
  const G = 4 * H, rows = b1 - b0;
  if (rows <= 0) return;
  const stepH = <usize>B * H * 4, stepG = <usize>B * G * 4;
  const offH = <usize>b0 * H * 4, offG = <usize>b0 * G * 4;
  const lens = lengths == 0 ? 0 : lengths + (<usize>b0 << 2);
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const g = gates + <usize>s * stepG + offG;
    const hp = hs + <usize>s * stepH + offH, cp = cs + <usize>s * stepH + offH;
    sgemmPacked(false, rows, G, H, 1, hp, H, packed, 1, g, G, packA, tile);
    lstmStepForward(rows, H, g, bias, hp, cp, hp + stepH, cp + stepH, tanhC + <usize>s * stepH + offH, lens, t);
  }
}

/** Backward LSTM loop (last step first): gate gradients, then dh += dGates W_hh (W_hh packed whole). */
export function lstmBackwardLoop(
  B: i32, b0: i32, b1: i32, T: i32, H: i32, reverse: bool,
  gates: usize, cs: usize, tanhC: usize, dys: usize, dh: usize, dc: usize, dGates: usize, packed: usize, lengths: usize, packA: usize, tile: usize,
): void {
  const G = 4 * H, rows = b1 - b0;
  if (rows <= 0) return;
  const stepH = <usize>B * H * 4, stepG = <usize>B * G * 4;
  const offH = <usize>b0 * H * 4, offG = <usize>b0 * G * 4;
  const lens = lengths == 0 ? 0 : lengths + (<usize>b0 << 2);
  const dhr = dh + offH, dcr = dc + offH;
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const dg = dGates + <usize>s * stepG + offG;
    const so = <usize>s * stepH + offH;
    lstmStepBackward(rows, H, gates + <usize>s * stepG + offG, cs + so, tanhC + so, dys + so, dhr, dcr, dg, lens, t);
    // dh holds 0 on valid rows and the carried gradient on padded rows (whose dGates are 0).
    sgemmPacked(false, rows, H, G, 1, dg, G, packed, 1, dhr, H, packA, tile);
  }
}

/** Forward Elman loop: pre += h W_hh^T, then h = act(pre + bias). */
export function rnnForwardLoop(
  B: i32, b0: i32, b1: i32, T: i32, H: i32, reverse: bool, relu: bool,
  pre: usize, hs: usize, packed: usize, bias: usize, lengths: usize, packA: usize, tile: usize,
): void {
  const rows = b1 - b0;
  if (rows <= 0) return;
  const step = <usize>B * H * 4, off = <usize>b0 * H * 4;
  const lens = lengths == 0 ? 0 : lengths + (<usize>b0 << 2);
  for (let s = 0; s < T; s++) {
    const hp = hs + <usize>s * step + off, p = pre + <usize>s * step + off;
    sgemmPacked(false, rows, H, H, 1, hp, H, packed, 1, p, H, packA, tile);
    rnnStepForward(rows, H, p, bias, hp, hp + step, relu, lens, reverse ? T - 1 - s : s);
  }
}

/** Backward Elman loop: da from dh + dy, then dh += da W_hh. */
export function rnnBackwardLoop(
  B: i32, b0: i32, b1: i32, T: i32, H: i32, reverse: bool, relu: bool,
  hs: usize, dys: usize, dh: usize, da: usize, packed: usize, lengths: usize, packA: usize, tile: usize,
): void {
  const rows = b1 - b0;
  if (rows <= 0) return;
  const step = <usize>B * H * 4, off = <usize>b0 * H * 4;
  const lens = lengths == 0 ? 0 : lengths + (<usize>b0 << 2);
  const dhr = dh + off;
  for (let s = T - 1; s >= 0; s--) {
    const d = da + <usize>s * step + off;
    rnnStepBackward(rows, H, hs + <usize>(s + 1) * step + off, dys + <usize>s * step + off, dhr, d, relu, lens, reverse ? T - 1 - s : s);
    sgemmPacked(false, rows, H, H, 1, d, H, packed, 1, dhr, H, packA, tile);
  }
}

/**
 * Forward GRU loop. resetAfter: hh = h W_hh^T (packed whole), then the step; otherwise
 * hh[:, 0:2H] = h W_h{r,z}^T, r and z, hh[:, 2H:3H] = (r h) W_hn^T, then the step. `hh` is
 * [B, 3H] scratch (a thread uses its own rows).
 */
export function gruForwardLoop(
  B: i32, b0: i32, b1: i32, T: i32, H: i32, reverse: bool, resetAfter: bool,
  gates: usize, hs: usize, aux: usize, hh: usize, packed: usize, packedRz: usize, packedN: usize, bi: usize, bh: usize,
  lengths: usize, packA: usize, tile: usize,
): void {
  const G = 3 * H, rows = b1 - b0;
  if (rows <= 0) return;
  const stepH = <usize>B * H * 4, stepG = <usize>B * G * 4;
  const offH = <usize>b0 * H * 4, offG = <usize>b0 * G * 4;
  const lens = lengths == 0 ? 0 : lengths + (<usize>b0 << 2);
  const hhr = hh + offG;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const g = gates + <usize>s * stepG + offG, hp = hs + <usize>s * stepH + offH, ax = aux + <usize>s * stepH + offH;
    if (resetAfter) {
      sgemmPacked(false, rows, G, H, 1, hp, H, packed, 0, hhr, G, packA, tile);
      gruAfterStepForward(rows, H, g, hhr, bi, bh, hp, hp + stepH, ax, lens, t);
    } else {
      sgemmPacked(false, rows, 2 * H, H, 1, hp, H, packedRz, 0, hhr, G, packA, tile);
      gruBeforeResetGates(rows, H, g, hhr, bi, bh, hp, ax);
      sgemmPacked(false, rows, H, H, 1, ax, H, packedN, 0, hhr + (<usize>H << 3), G, packA, tile);
      gruBeforeStepForward(rows, H, g, hhr, bi, bh, hp, hp + stepH, lens, t);
    }
  }
}

/**
 * Backward GRU loop. resetAfter: gradients, then dh += dGh W_hh (packed whole); otherwise
 * d(r h) = dGh_n W_hn into drh ([B, H] scratch), da_r, then dh += dGh_{r,z} W_h{r,z}.
 */
export function gruBackwardLoop(
  B: i32, b0: i32, b1: i32, T: i32, H: i32, reverse: bool, resetAfter: bool,
  gates: usize, hs: usize, aux: usize, dys: usize, dh: usize, drh: usize, dGx: usize, dGh: usize,
  packed: usize, packedRz: usize, packedN: usize, lengths: usize, packA: usize, tile: usize,
): void {
  const G = 3 * H, rows = b1 - b0;
  if (rows <= 0) return;
  const stepH = <usize>B * H * 4, stepG = <usize>B * G * 4;
  const offH = <usize>b0 * H * 4, offG = <usize>b0 * G * 4;
  const lens = lengths == 0 ? 0 : lengths + (<usize>b0 << 2);
  const dhr = dh + offH, drhr = drh + offH;
  for (let s = T - 1; s >= 0; s--) {
    const t = reverse ? T - 1 - s : s;
    const g = gates + <usize>s * stepG + offG, hp = hs + <usize>s * stepH + offH;
    const gx = dGx + <usize>s * stepG + offG, gh = dGh + <usize>s * stepG + offG, dy = dys + <usize>s * stepH + offH;
    if (resetAfter) {
      gruAfterStepBackward(rows, H, g, hp, aux + <usize>s * stepH + offH, dy, dhr, gx, gh, lens, t);
      sgemmPacked(false, rows, H, G, 1, gh, G, packed, 1, dhr, H, packA, tile);
    } else {
      gruBeforeCandidateBackward(rows, H, g, hp, dy, dhr, gx, gh, lens, t);
      sgemmPacked(false, rows, H, H, 1, gh + (<usize>H << 3), G, packedN, 0, drhr, H, packA, tile);
      gruBeforeResetBackward(rows, H, g, hp, drhr, dhr, gx, gh, lens, t);
      sgemmPacked(false, rows, H, 2 * H, 1, gh, G, packedRz, 1, dhr, H, packA, tile);
    }
  }
}
