// The element-wise passes of one Tree-LSTM level for WebAssembly SIMD (f32x4), shared by the
// N-ary and the Child-Sum cell; src/kernels/tree-lstm-gates.ts has the maths and the
// JavaScript twin. The two cells differ only in where the pre-activations sit:
//
//   z      rows of `rowStride` floats: i at 0, g at gOff, o at oOff (N-ary: (N+3)H with the
//          forget blocks between i and g; Child-Sum: 4H with an unused f block);
//   f      the forget pre-activation of node r, slot k at f + (r * fStride + k * H) floats
//          (N-ary: inside z, f = z + H, fStride = rowStride; Child-Sum: its own [n, K, H]).
//
// childC [n, K, H]; tanhC, h, c and their gradients dh, dc [n, H] each (a level's kernel passes
// one [2, n, H] block, h then c; a whole fold passes the level's rows of its [2, nodes, H]
// states); da [n, 4H] with blocks i, f, g, o. Addresses in bytes, sizes and offsets in elements. `kids` is 0 for the step with no
// children (leaves): the forget gates are then not activated and get no gradient.

import { ld, ld1, sigmoid1, st, st1, tanh1, vsigmoid, vtanh } from './simd-math';

@inline
function at(base: usize, elements: i32): usize {
  return base + (<usize>elements << 2);
}

/**
 * Forward: activates z (sigma of i and o, tanh of g) and, with children, f in place, then
 * c = i g + sum_k f_k c_k, tanhC = tanh(c), h = o tanh(c) for every row.
 */
export function treeGatesForward(
  n: i32, H: i32, K: i32, z: usize, rowStride: i32, gOff: i32, oOff: i32, f: usize, fStride: i32,
  childC: usize, kids: bool, tanhC: usize, hOut: usize, cOut: usize,
): void {
  for (let r = 0; r < n; r++) {
    const zi = at(z, r * rowStride), zg = at(zi, gOff), zo = at(zi, oOff);
    const fr = at(f, r * fStride), cr = at(childC, r * K * H);
    const tc = at(tanhC, r * H), hr = at(hOut, r * H), crow = at(cOut, r * H);
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = vsigmoid(ld(zi, j)), g = vtanh(ld(zg, j)), o = vsigmoid(ld(zo, j));
      st(zi, j, i);
      st(zg, j, g);
      st(zo, j, o);
      let c = f32x4.mul(i, g);
      if (kids) {
        for (let k = 0; k < K; k++) {
          const fk = vsigmoid(ld(at(fr, k * H), j));
          st(at(fr, k * H), j, fk);
          c = f32x4.add(c, f32x4.mul(fk, ld(at(cr, k * H), j)));
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
          const fk = sigmoid1(ld1(at(fr, k * H), j));
          st1(at(fr, k * H), j, fk);
          c += fk * ld1(at(cr, k * H), j);
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
 * Backward from dh and dc [n, H] (dL/dh, dL/dc) and the activated gates: with
 * dc~ = dc + dh o (1 - tanh(c)^2),
 *
 *     dz_i = dc~ g i (1-i),  dz_g = dc~ i (1-g^2),  dz_o = dh tanh(c) o (1-o)
 *     df_k = dc~ c_k f_k (1-f_k),  dChildC_k = dc~ f_k
 *
 * into dz (z's layout; everything between its i and g blocks is first zeroed, so an unused f
 * block reads 0), df (f's layout: may lie inside dz), da [n, 4H] = [dz_i, sum_k df_k, dz_g,
 * dz_o], and dChildC [n, K, H] (with kids, when not 0).
 */
export function treeGatesBackward(
  n: i32, H: i32, K: i32, z: usize, rowStride: i32, gOff: i32, oOff: i32, f: usize, fStride: i32,
  childC: usize, kids: bool, tanhC: usize, dhIn: usize, dcIn: usize, dz: usize, df: usize, da: usize, dChildC: usize,
): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  for (let r = 0; r < n; r++) {
    const zi = at(z, r * rowStride), zg = at(zi, gOff), zo = at(zi, oOff);
    const dzi = at(dz, r * rowStride), dzg = at(dzi, gOff), dzo = at(dzi, oOff);
    memory.fill(at(dzi, H), 0, <usize>(gOff - H) << 2);
    const fr = at(f, r * fStride), dfr = at(df, r * fStride);
    const cr = at(childC, r * K * H), dcr = at(dChildC, r * K * H);
    const dar = at(da, r * 4 * H);
    const tc = at(tanhC, r * H), dhr = at(dhIn, r * H), dcr0 = at(dcIn, r * H);
    let j = 0;
    for (; j + 4 <= H; j += 4) {
      const i = ld(zi, j), g = ld(zg, j), o = ld(zo, j), t = ld(tc, j), dh = ld(dhr, j);
      const dc = f32x4.add(ld(dcr0, j), f32x4.mul(f32x4.mul(dh, o), f32x4.sub(one, f32x4.mul(t, t))));
      const gi = f32x4.mul(f32x4.mul(dc, g), f32x4.mul(i, f32x4.sub(one, i)));
      const gg = f32x4.mul(f32x4.mul(dc, i), f32x4.sub(one, f32x4.mul(g, g)));
      const go = f32x4.mul(f32x4.mul(dh, t), f32x4.mul(o, f32x4.sub(one, o)));
      st(dzi, j, gi);
      st(dzg, j, gg);
      st(dzo, j, go);
      st(dar, j, gi);
      st(at(dar, 2 * H), j, gg);
      st(at(dar, 3 * H), j, go);
      let sumF = zero;
      if (kids) {
        for (let k = 0; k < K; k++) {
          const fk = ld(at(fr, k * H), j);
          const d = f32x4.mul(f32x4.mul(dc, ld(at(cr, k * H), j)), f32x4.mul(fk, f32x4.sub(one, fk)));
          st(at(dfr, k * H), j, d);
          sumF = f32x4.add(sumF, d);
          if (dChildC != 0) st(at(dcr, k * H), j, f32x4.mul(dc, fk));
        }
      }
      st(at(dar, H), j, sumF);
    }
    for (; j < H; j++) {
      const i = ld1(zi, j), g = ld1(zg, j), o = ld1(zo, j), t = ld1(tc, j), dh = ld1(dhr, j);
      const dc = ld1(dcr0, j) + dh * o * (1 - t * t);
      const gi = dc * g * i * (1 - i);
      const gg = dc * i * (1 - g * g);
      const go = dh * t * o * (1 - o);
      st1(dzi, j, gi);
      st1(dzg, j, gg);
      st1(dzo, j, go);
      st1(dar, j, gi);
      st1(at(dar, 2 * H), j, gg);
      st1(at(dar, 3 * H), j, go);
      let sumF: f32 = 0;
      if (kids) {
        for (let k = 0; k < K; k++) {
          const fk = ld1(at(fr, k * H), j);
          const d = dc * ld1(at(cr, k * H), j) * fk * (1 - fk);
          st1(at(dfr, k * H), j, d);
          sumF += d;
          if (dChildC != 0) st1(at(dcr, k * H), j, dc * fk);
        }
      }
      st1(at(dar, H), j, sumF);
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

/**
 * dst [rows, cols] (row stride dstStride) = src [rows, cols] (row stride srcStride): a block of
 * columns moved between layouts, one memory.copy per row. srcStride 0 repeats src's first row
 * (a bias into every row of z).
 */
export function copyRows(rows: i32, cols: i32, src: usize, srcStride: i32, dst: usize, dstStride: i32): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) memory.copy(at(dst, r * dstStride), at(src, r * srcStride), bytes);
}

/**
 * The children's rows of a fold level: for node r < m and slot k < K, row idx[r * K + k] of
 * src [*, H] (a zero row when that index is `none`, an absent child) into dst at
 * (r * dstStride + dstOff + k * H). idx holds i32.
 */
export function gatherChildRows(m: i32, H: i32, K: i32, idx: usize, none: i32, src: usize, dst: usize, dstStride: i32, dstOff: i32): void {
  const bytes = <usize>H << 2;
  for (let r = 0; r < m; r++) {
    for (let k = 0; k < K; k++) {
      const j = load<i32>(idx + (<usize>(r * K + k) << 2));
      const d = at(dst, r * dstStride + dstOff + k * H);
      if (j == none) memory.fill(d, 0, bytes);
      else memory.copy(d, at(src, j * H), bytes);
    }
  }
}

/**
 * The adjoint of gatherChildRows: for node r < m and slot k < K with a child (idx != none),
 * adds src's H floats at (r * srcStride + srcOff + k * H) into row idx[r * K + k] of dst.
 */
export function scatterAddChildRows(m: i32, H: i32, K: i32, idx: usize, none: i32, src: usize, srcStride: i32, srcOff: i32, dst: usize): void {
  for (let r = 0; r < m; r++) {
    for (let k = 0; k < K; k++) {
      const j = load<i32>(idx + (<usize>(r * K + k) << 2));
      if (j == none) continue;
      const s = at(src, r * srcStride + srcOff + k * H), d = at(dst, j * H);
      let q = 0;
      for (; q + 4 <= H; q += 4) st(d, q, f32x4.add(ld(d, q), ld(s, q)));
      for (; q < H; q++) st1(d, q, ld1(d, q) + ld1(s, q));
    }
  }
}
