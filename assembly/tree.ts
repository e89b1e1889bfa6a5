// The element-wise passes of one Tree-LSTM level, N-ary and Child-Sum, for WebAssembly SIMD
// (f32x4); src/kernels/tree-lstm.ts and child-sum-lstm.ts have the maths and the JavaScript
// twins. The N-ary level runs wholly on this module's memory (the JS side copies inputs in,
// runs the gemms here, then one of these passes); the Child-Sum one copies its pre-activations
// in for the pass and the results out.
//
// N-ary layouts: z [n, (N+3)H] with row blocks i, f_1..f_N, g, o; childC [n, N, H]; tanhC
// [n, H]; out [2, n, H] (h, then c); da [n, 4H] with blocks i, f, g, o. Addresses in bytes,
// sizes in elements. `kids` is 0 for the step with no children (leaves): the f blocks are
// then not activated (they touch nothing) and their gradients are 0.

import { ld, ld1, sigmoid1, st, st1, tanh1, vsigmoid, vtanh } from './simd-math';

/**
 * Forward: activates z in place (sigma of the i, f_k and o blocks, tanh of g), then
 * c = i g + sum_k f_k c_k, tanhC = tanh(c), h = o tanh(c) for every row.
 */
export function treeLstmForward(n: i32, H: i32, N: i32, z: usize, childC: usize, kids: bool, tanhC: usize, out: usize): void {
  const G = (N + 3) * H;
  const hOut = out, cOut = out + (<usize>(n * H) << 2);
  for (let r = 0; r < n; r++) {
    const zr = z + (<usize>(r * G) << 2);
    const zi = zr, zg = zr + (<usize>((N + 1) * H) << 2), zo = zr + (<usize>((N + 2) * H) << 2);
    const cr = childC + (<usize>(r * N * H) << 2);
    const row = <usize>(r * H) << 2;
    const tc = tanhC + row, hr = hOut + row, crow = cOut + row;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = vsigmoid(ld(zi, j)), g = vtanh(ld(zg, j)), o = vsigmoid(ld(zo, j));
      st(zi, j, i);
      st(zg, j, g);
      st(zo, j, o);
      let c = f32x4.mul(i, g);
      if (kids) {
        for (let k = 0; k < N; k++) {
          const zf = zr + (<usize>((1 + k) * H) << 2);
          const f = vsigmoid(ld(zf, j));
          st(zf, j, f);
          c = f32x4.add(c, f32x4.mul(f, ld(cr + (<usize>(k * H) << 2), j)));
        }
      }
      const t = vtanh(c);
      st(tc, j, t);
      st(crow, j, c);
      st(hr, j, f32x4.mul(o, t));
    }
    for (; j < H; j++) {
      const i = sigmoid1(ld1(zi, j)), g = tanh1(ld1(zg, j)), o = sigmoid1(ld1(zo, j));
      st1(zi, j, i);
      st1(zg, j, g);
      st1(zo, j, o);
      let c = i * g;
      if (kids) {
        for (let k = 0; k < N; k++) {
          const zf = zr + (<usize>((1 + k) * H) << 2);
          const f = sigmoid1(ld1(zf, j));
          st1(zf, j, f);
          c += f * ld1(cr + (<usize>(k * H) << 2), j);
        }
      }
      const t = tanh1(c);
      st1(tc, j, t);
      st1(crow, j, c);
      st1(hr, j, o * t);
    }
  }
}

/**
 * Backward from dy [2, n, H] (dL/dh, then dL/dc) and the activated z: with
 * dc~ = dc + dh o (1 - tanh(c)^2),
 *
 *     dz_i = dc~ g i (1-i),  dz_g = dc~ i (1-g^2),  dz_o = dh tanh(c) o (1-o)
 *     dz_f_k = dc~ c_k f_k (1-f_k),  dChildC_k = dc~ f_k
 *
 * into dz [n, (N+3)H], and da [n, 4H] = dz with the N forget blocks summed (dChildC only
 * with kids and when `dChildC` is not 0).
 */
export function treeLstmBackward(
  n: i32, H: i32, N: i32, z: usize, childC: usize, kids: bool, tanhC: usize, dy: usize, dz: usize, da: usize, dChildC: usize,
): void {
  const G = (N + 3) * H;
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const dcIn = dy + (<usize>(n * H) << 2);
  for (let r = 0; r < n; r++) {
    const zr = z + (<usize>(r * G) << 2), dzr = dz + (<usize>(r * G) << 2), dar = da + (<usize>(r * 4 * H) << 2);
    const gOff = <usize>((N + 1) * H) << 2, oOff = <usize>((N + 2) * H) << 2, hb = <usize>H << 2;
    const cr = childC + (<usize>(r * N * H) << 2), dcr = dChildC + (<usize>(r * N * H) << 2);
    const row = <usize>(r * H) << 2;
    const tc = tanhC + row, dhr = dy + row, dcr0 = dcIn + row;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = ld(zr, j), g = ld(zr + gOff, j), o = ld(zr + oOff, j), t = ld(tc, j), dh = ld(dhr, j);
      const dc = f32x4.add(ld(dcr0, j), f32x4.mul(f32x4.mul(dh, o), f32x4.sub(one, f32x4.mul(t, t))));
      const dzi = f32x4.mul(f32x4.mul(dc, g), f32x4.mul(i, f32x4.sub(one, i)));
      const dzg = f32x4.mul(f32x4.mul(dc, i), f32x4.sub(one, f32x4.mul(g, g)));
      const dzo = f32x4.mul(f32x4.mul(dh, t), f32x4.mul(o, f32x4.sub(one, o)));
      st(dzr, j, dzi);
      st(dzr + gOff, j, dzg);
      st(dzr + oOff, j, dzo);
      st(dar, j, dzi);
      st(dar + 2 * hb, j, dzg);
      st(dar + 3 * hb, j, dzo);
      let dzf = zero;
      for (let k = 0; k < N; k++) {
        const fo = <usize>((1 + k) * H) << 2, ko = <usize>(k * H) << 2;
        if (!kids) {
          st(dzr + fo, j, zero);
          continue;
        }
        const f = ld(zr + fo, j);
        const d = f32x4.mul(f32x4.mul(dc, ld(cr + ko, j)), f32x4.mul(f, f32x4.sub(one, f)));
        st(dzr + fo, j, d);
        dzf = f32x4.add(dzf, d);
        if (dChildC != 0) st(dcr + ko, j, f32x4.mul(dc, f));
      }
      st(dar + hb, j, dzf);
    }
    for (; j < H; j++) {
      const i = ld1(zr, j), g = ld1(zr + gOff, j), o = ld1(zr + oOff, j), t = ld1(tc, j), dh = ld1(dhr, j);
      const dc = ld1(dcr0, j) + dh * o * (1 - t * t);
      const dzi = dc * g * i * (1 - i);
      const dzg = dc * i * (1 - g * g);
      const dzo = dh * t * o * (1 - o);
      st1(dzr, j, dzi);
      st1(dzr + gOff, j, dzg);
      st1(dzr + oOff, j, dzo);
      st1(dar, j, dzi);
      st1(dar + 2 * hb, j, dzg);
      st1(dar + 3 * hb, j, dzo);
      let dzf: f32 = 0;
      for (let k = 0; k < N; k++) {
        const fo = <usize>((1 + k) * H) << 2, ko = <usize>(k * H) << 2;
        if (!kids) {
          st1(dzr + fo, j, 0);
          continue;
        }
        const f = ld1(zr + fo, j);
        const d = dc * ld1(cr + ko, j) * f * (1 - f);
        st1(dzr + fo, j, d);
        dzf += d;
        if (dChildC != 0) st1(dcr + ko, j, dc * f);
      }
      st1(dar + hb, j, dzf);
    }
  }
}

/**
 * Child-Sum Tree-LSTM forward pass (src/kernels/child-sum-lstm.ts has the maths): z [n, 4H]
 * holds the i, g, o pre-activations (f block unused), f [n, K, H] each child's forget
 * pre-activation; activates both in place and writes tanhC [n, H] and out [2, n, H] (h, then c).
 */
export function childSumForward(n: i32, H: i32, K: i32, z: usize, f: usize, childC: usize, kids: bool, tanhC: usize, out: usize): void {
  const G = 4 * H;
  const cOut = out + (<usize>(n * H) << 2);
  const hb = <usize>H << 2;
  for (let r = 0; r < n; r++) {
    const zi = z + (<usize>(r * G) << 2), zg = zi + 2 * hb, zo = zi + 3 * hb;
    const fr = f + (<usize>(r * K * H) << 2), cr = childC + (<usize>(r * K * H) << 2);
    const row = <usize>(r * H) << 2;
    const tc = tanhC + row, hr = out + row, crow = cOut + row;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = vsigmoid(ld(zi, j)), g = vtanh(ld(zg, j)), o = vsigmoid(ld(zo, j));
      st(zi, j, i);
      st(zg, j, g);
      st(zo, j, o);
      let c = f32x4.mul(i, g);
      if (kids) {
        for (let k = 0; k < K; k++) {
          const ko = <usize>(k * H) << 2;
          const fk = vsigmoid(ld(fr + ko, j));
          st(fr + ko, j, fk);
          c = f32x4.add(c, f32x4.mul(fk, ld(cr + ko, j)));
        }
      }
      const t = vtanh(c);
      st(tc, j, t);
      st(crow, j, c);
      st(hr, j, f32x4.mul(o, t));
    }
    for (; j < H; j++) {
      const i = sigmoid1(ld1(zi, j)), g = tanh1(ld1(zg, j)), o = sigmoid1(ld1(zo, j));
      st1(zi, j, i);
      st1(zg, j, g);
      st1(zo, j, o);
      let c = i * g;
      if (kids) {
        for (let k = 0; k < K; k++) {
          const ko = <usize>(k * H) << 2;
          const fk = sigmoid1(ld1(fr + ko, j));
          st1(fr + ko, j, fk);
          c += fk * ld1(cr + ko, j);
        }
      }
      const t = tanh1(c);
      st1(tc, j, t);
      st1(crow, j, c);
      st1(hr, j, o * t);
    }
  }
}

/**
 * Child-Sum Tree-LSTM backward element-wise pass from dy [2, n, H]: dz [n, 4H] = [dz_i, 0,
 * dz_g, dz_o], da [n, 4H] the same with the forget block sum_k dz_f,k, dzf [n, K, H], and
 * dChildC [n, K, H] = dc~ f_k (when kids and dChildC is not 0).
 */
export function childSumBackward(
  n: i32, H: i32, K: i32, z: usize, f: usize, childC: usize, kids: bool, tanhC: usize, dy: usize, dz: usize, da: usize, dzf: usize, dChildC: usize,
): void {
  const G = 4 * H;
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const hb = <usize>H << 2;
  const dcIn = dy + (<usize>(n * H) << 2);
  for (let r = 0; r < n; r++) {
    const off = <usize>(r * G) << 2;
    const zi = z + off, dzr = dz + off, dar = da + off;
    const kOff = <usize>(r * K * H) << 2;
    const fr = f + kOff, cr = childC + kOff, dfr = dzf + kOff, dcr = dChildC + kOff;
    const row = <usize>(r * H) << 2;
    const tc = tanhC + row, dhr = dy + row, dcr0 = dcIn + row;
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = ld(zi, j), g = ld(zi + 2 * hb, j), o = ld(zi + 3 * hb, j), t = ld(tc, j), dh = ld(dhr, j);
      const dc = f32x4.add(ld(dcr0, j), f32x4.mul(f32x4.mul(dh, o), f32x4.sub(one, f32x4.mul(t, t))));
      const dzi = f32x4.mul(f32x4.mul(dc, g), f32x4.mul(i, f32x4.sub(one, i)));
      const dzg = f32x4.mul(f32x4.mul(dc, i), f32x4.sub(one, f32x4.mul(g, g)));
      const dzo = f32x4.mul(f32x4.mul(dh, t), f32x4.mul(o, f32x4.sub(one, o)));
      st(dzr, j, dzi);
      st(dzr + hb, j, zero);
      st(dzr + 2 * hb, j, dzg);
      st(dzr + 3 * hb, j, dzo);
      st(dar, j, dzi);
      st(dar + 2 * hb, j, dzg);
      st(dar + 3 * hb, j, dzo);
      let sumF = zero;
      if (kids) {
        for (let k = 0; k < K; k++) {
          const ko = <usize>(k * H) << 2;
          const fk = ld(fr + ko, j);
          const d = f32x4.mul(f32x4.mul(dc, ld(cr + ko, j)), f32x4.mul(fk, f32x4.sub(one, fk)));
          st(dfr + ko, j, d);
          sumF = f32x4.add(sumF, d);
          if (dChildC != 0) st(dcr + ko, j, f32x4.mul(dc, fk));
        }
      }
      st(dar + hb, j, sumF);
    }
    for (; j < H; j++) {
      const i = ld1(zi, j), g = ld1(zi + 2 * hb, j), o = ld1(zi + 3 * hb, j), t = ld1(tc, j), dh = ld1(dhr, j);
      const dc = ld1(dcr0, j) + dh * o * (1 - t * t);
      const dzi = dc * g * i * (1 - i);
      const dzg = dc * i * (1 - g * g);
      const dzo = dh * t * o * (1 - o);
      st1(dzr, j, dzi);
      st1(dzr + hb, j, 0);
      st1(dzr + 2 * hb, j, dzg);
      st1(dzr + 3 * hb, j, dzo);
      st1(dar, j, dzi);
      st1(dar + 2 * hb, j, dzg);
      st1(dar + 3 * hb, j, dzo);
      let sumF: f32 = 0;
      if (kids) {
        for (let k = 0; k < K; k++) {
          const ko = <usize>(k * H) << 2;
          const fk = ld1(fr + ko, j);
          const d = dc * ld1(cr + ko, j) * fk * (1 - fk);
          st1(dfr + ko, j, d);
          sumF += d;
          if (dChildC != 0) st1(dcr + ko, j, dc * fk);
        }
      }
      st1(dar + hb, j, sumF);
    }
  }
}

/**
 * dst [rows, aCols + bCols] = [a | b] for a [rows, aCols] and b [rows, bCols]: the side-by-side
 * layout of the merged products, one memory.copy per row part (no per-row work in JS).
 */
export function joinColumns(rows: i32, a: usize, aCols: i32, b: usize, bCols: i32, dst: usize): void {
  const aBytes = <usize>aCols << 2, bBytes = <usize>bCols << 2;
  for (let r = 0; r < rows; r++) {
    const d = dst + <usize>r * (aBytes + bBytes);
    memory.copy(d, a + <usize>r * aBytes, aBytes);
    memory.copy(d + aBytes, b + <usize>r * bBytes, bBytes);
  }
}

/** The inverse of joinColumns: src [rows, aCols + bCols] into a [rows, aCols] and b [rows, bCols]. */
export function splitColumns(rows: i32, src: usize, a: usize, aCols: i32, b: usize, bCols: i32): void {
  const aBytes = <usize>aCols << 2, bBytes = <usize>bCols << 2;
  for (let r = 0; r < rows; r++) {
    const s = src + <usize>r * (aBytes + bBytes);
    memory.copy(a + <usize>r * aBytes, s, aBytes);
    memory.copy(b + <usize>r * bBytes, s + aBytes, bBytes);
  }
}
