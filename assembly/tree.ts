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

import { sgemmPacked } from './gemm';
import { columnSums, tanhInPlace } from './rnn';
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
 * dz_o] (when not 0), and dChildC [n, K, H] (with kids, when not 0).
 */
export function treeGatesBackward(
  n: i32, H: i32, K: i32, z: usize, rowStride: i32, gOff: i32, oOff: i32, f: usize, fStride: i32,
  childC: usize, kids: bool, tanhC: usize, dhIn: usize, dcIn: usize, dz: usize, df: usize, da: usize, dChildC: usize,
): void {
  const one = f32x4.splat(1), zero = f32x4.splat(0);
  const wantA = da != 0;
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
      if (wantA) {
        st(dar, j, gi);
        st(at(dar, 2 * H), j, gg);
        st(at(dar, 3 * H), j, go);
      }
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
      if (wantA) st(at(dar, H), j, sumF);
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
      if (wantA) {
        st1(dar, j, gi);
        st1(at(dar, 2 * H), j, gg);
        st1(at(dar, 3 * H), j, go);
      }
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
      if (wantA) st1(at(dar, H), j, sumF);
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

// ---- One level of a whole N-ary Tree-LSTM fold (src/kernels/tree-lstm-fold.ts) ----
//
// The rows of one level never interact: row r reads only its own inputs and its children's
// states (rows of the level below, finished), and writes only its own rows of z, tanh(c) and
// the states (forward), or its own rows of dz, da and dx and its OWN children's rows of the
// state gradient (backward: every child has one parent). So a level splits by rows over the
// kernel threads with no synchronisation inside it, each part running the whole level's
// chain (gathers, product, gates, scatters) on its rows, with its own gemm scratch.
//
// Layout (floats; G = (N + 3) H, K = I + N H): x [nodes, I]; states [2, nodes, H] (h, then c);
// z and tanhC by node row; the level's internal rows start at node row `row0` and its leaves at
// `leafRow0`; `idx` is the level's child index table (i32, N per internal row, `belowCount`
// for no child), indexing the rows of the level below (which start at `belowStart`). Part
// ranges are [mFrom, mTo) of the internal rows and [lFrom, lTo) of the leaves, both counted
// from the level's first row of that kind. The scratch tables inTab [*, K] and cc [*, N H] are
// indexed by internal row.

@inline
function stateRow(states: usize, row: i32, H: i32): usize {
  return at(states, row * H);
}

/**
 * z rows r .. r + n - 1 (at zr, G wide) start from the bias: its one row repeated, or with
 * `rows` not 0 (i32 per node row) row rows[r + i] of the table `bias` [*, G] for row r + i.
 */
function startRows(n: i32, G: i32, bias: usize, rows: usize, r: i32, zr: usize): void {
  if (rows == 0) copyRows(n, G, bias, 0, zr, G);
  else gatherChildRows(n, G, 1, rows + (<usize>r << 2), -1, bias, zr, G, 0);
}

/**
 * Forward of one level's part: internal rows z = bias + [x | h_1..h_N] W^T (W^T packed whole at
 * `packedW`), leaves z = bias + x W_x^T (W's first I columns, packed at `packedWx`), then the
 * gates pass of each, writing h and c into the states.
 *
 * With `biasRows` not 0 (i32, one per node row), each row's z starts from its own row
 * biasRows[row] of `bias` [*, G] instead of the one bias row: the fold of projected inputs,
 * called with I = 0, where that table holds b + x W_x^T once per distinct input (and no row
 * multiplies x at all).
 */
export function treeFoldLevelForward(
  mFrom: i32, mTo: i32, lFrom: i32, lTo: i32, H: i32, N: i32, I: i32, nodes: i32, row0: i32, leafRow0: i32, belowStart: i32, belowCount: i32,
  idx: usize, x: usize, bias: usize, biasRows: usize, packedW: usize, packedWx: usize, z: usize, tanhC: usize, states: usize, inTab: usize,
  cc: usize, packA: usize, tile: usize,
): void {
  const G = (N + 3) * H, NH = N * H, K = I + NH;
  const cStates = at(states, nodes * H);
  const m = mTo - mFrom;
  if (m > 0) {
    const r = row0 + mFrom, zr = at(z, r * G), inR = at(inTab, mFrom * K), ccR = at(cc, mFrom * NH), ix = idx + (<usize>(mFrom * N) << 2);
    startRows(m, G, bias, biasRows, r, zr);
    copyRows(m, I, at(x, r * I), I, inR, K);
    gatherChildRows(m, H, N, ix, belowCount, stateRow(states, belowStart, H), inR, K, I);
    gatherChildRows(m, H, N, ix, belowCount, stateRow(cStates, belowStart, H), ccR, NH, 0);
    sgemmPacked(false, m, G, K, 1, inR, K, packedW, 1, zr, G, packA, tile);
    treeGatesForward(m, H, N, zr, G, (N + 1) * H, (N + 2) * H, at(zr, H), G, ccR, true, at(tanhC, r * H), stateRow(states, r, H), stateRow(cStates, r, H));
  }
  const l = lTo - lFrom;
  if (l > 0) {
    const r = leafRow0 + lFrom, zr = at(z, r * G);
    startRows(l, G, bias, biasRows, r, zr);
    if (I > 0) sgemmPacked(false, l, G, I, 1, at(x, r * I), I, packedWx, 1, zr, G, packA, tile);
    treeGatesForward(l, H, N, zr, G, (N + 1) * H, (N + 2) * H, at(zr, H), G, 0, false, at(tanhC, r * H), stateRow(states, r, H), stateRow(cStates, r, H));
  }
}

/**
 * Backward of one level's part, from the state gradients ds [2, nodes, H] of its rows: the
 * gates pass into dz (rows t + i of the dz table for internal row i, u + j for leaf j) and,
 * when da is not 0, da (by node row), then
 *
 *     [dx | d(h_1..h_N)] = dz [W_x | W_hh]   (internal; W packed at packedW)   dx = dz W_x   (leaves; W_x packed at packedWx)
 *
 * with d h_k, d c_k added into the children's rows of ds, and, for the deferred weight
 * gradient (when hTab is not 0), each row's x into xTab and its children's h into hTab, at its
 * dz table row. dx is skipped when 0.
 */
export function treeFoldLevelBackward(
  mFrom: i32, mTo: i32, lFrom: i32, lTo: i32, H: i32, N: i32, I: i32, nodes: i32, row0: i32, leafRow0: i32, belowStart: i32, belowCount: i32,
  idx: usize, x: usize, states: usize, z: usize, tanhC: usize, ds: usize, dzTab: usize, t: i32, u: i32, da: usize, dx: usize,
  hTab: usize, xTab: usize, cc: usize, dIn: usize, dcc: usize, packedW: usize, packedWx: usize, packA: usize, tile: usize,
): void {
  const G = (N + 3) * H, NH = N * H, K = I + NH, H4 = 4 * H;
  const cStates = at(states, nodes * H), dc = at(ds, nodes * H);
  const m = mTo - mFrom;
  if (m > 0) {
    const r = row0 + mFrom, zr = at(z, r * G), dzr = at(dzTab, (t + mFrom) * G), ix = idx + (<usize>(mFrom * N) << 2);
    const ccR = at(cc, mFrom * NH), dccR = at(dcc, mFrom * NH), dInR = at(dIn, mFrom * K);
    gatherChildRows(m, H, N, ix, belowCount, stateRow(cStates, belowStart, H), ccR, NH, 0);
    treeGatesBackward(
      m, H, N, zr, G, (N + 1) * H, (N + 2) * H, at(zr, H), G, ccR, true, at(tanhC, r * H), stateRow(ds, r, H), stateRow(dc, r, H),
      dzr, at(dzr, H), da == 0 ? 0 : at(da, r * H4), dccR,
    );
    sgemmPacked(false, m, K, G, 1, dzr, G, packedW, 0, dInR, K, packA, tile);
    if (dx != 0) copyRows(m, I, dInR, K, at(dx, r * I), I);
    scatterAddChildRows(m, H, N, ix, belowCount, dInR, K, I, stateRow(ds, belowStart, H));
    scatterAddChildRows(m, H, N, ix, belowCount, dccR, NH, 0, stateRow(dc, belowStart, H));
    if (hTab != 0) {
      copyRows(m, I, at(x, r * I), I, at(xTab, (t + mFrom) * I), I);
      gatherChildRows(m, H, N, ix, belowCount, stateRow(states, belowStart, H), at(hTab, (t + mFrom) * NH), NH, 0);
    }
  }
  const l = lTo - lFrom;
  if (l > 0) {
    const r = leafRow0 + lFrom, zr = at(z, r * G), dzr = at(dzTab, (u + lFrom) * G);
    treeGatesBackward(
      l, H, N, zr, G, (N + 1) * H, (N + 2) * H, at(zr, H), G, 0, false, at(tanhC, r * H), stateRow(ds, r, H), stateRow(dc, r, H),
      dzr, at(dzr, H), da == 0 ? 0 : at(da, r * H4), 0,
    );
    // dz's forget blocks are zero on a leaf, so dz W_x is its dx.
    if (dx != 0) sgemmPacked(false, l, I, G, 1, dzr, G, packedWx, 0, at(dx, r * I), I, packA, tile);
    if (hTab != 0) copyRows(l, I, at(x, r * I), I, at(xTab, (u + lFrom) * I), I);
  }
}

// ---- One level of a whole Child-Sum Tree-LSTM fold (src/kernels/child-sum-lstm-fold.ts) ----
//
// As the N-ary level above, a level's rows are independent, so it splits by rows over the
// kernel threads, each part running the level's whole chain on its rows. Layout (floats;
// G = 4H, gates i, f, g, o): x [nodes, I]; states [2, nodes, H]; z [nodes, G] and tanhC
// [nodes, H] by node row. Child slots: a level with K slots per internal row owns the slot rows
// slot0 .. slot0 + internal K - 1 of the fold's slot tables (the activated forget gates
// `forget`, and in the backward dz_f and the children's h), internal row r's slot k at
// slot0 + r K + k. Internal-first tables (h~ `childSum`, and in the backward da and x): the
// level's internal rows from row t, its leaves from row u (all levels' internal rows first).
// idx holds i32 child indices, K per internal row (belowCount for no child). The scratch
// tables chs and cc [*, H] are indexed by the level's slot r K + k.


/**
 * Forward of one level's part, the Child-Sum step (kernels/child-sum-lstm.ts's, product for
 * product):
 *
 *     a = bias + x W_ih^T,   h~ = sum_k h_k,   f_k = a_f + h_k U_f^T,   z_{i,g,o} = a_{i,g,o} + h~ U_{i,g,o}^T
 *
 * then the gates pass writing h and c into the states; leaves z = a. Packed: W_ih^T [I, 4H],
 * U_i^T, U_f^T [H, H] and U_{g,o}^T [H, 2H] (U = W_hh's row blocks). With `biasRows` not 0 (i32
 * per node row), a starts from row biasRows[row] of the table `bias` [*, 4H] (projected
 * inputs, I = 0: see treeFoldLevelForward).
 */
export function childSumFoldLevelForward(
  mFrom: i32, mTo: i32, lFrom: i32, lTo: i32, H: i32, K: i32, I: i32, nodes: i32, row0: i32, leafRow0: i32, belowStart: i32, belowCount: i32,
  slot0: i32, t: i32, idx: usize, x: usize, bias: usize, biasRows: usize, packedWih: usize, packedUi: usize, packedUf: usize, packedUgo: usize,
  z: usize, tanhC: usize, states: usize, forget: usize, childSum: usize, chs: usize, cc: usize, packA: usize, tile: usize,
): void {
  const G = 4 * H, KH = K * H;
  const cStates = at(states, nodes * H);
  const m = mTo - mFrom;
  if (m > 0) {
    const r = row0 + mFrom, zr = at(z, r * G), ix = idx + (<usize>(mFrom * K) << 2);
    const chR = at(chs, mFrom * KH), ccR = at(cc, mFrom * KH), fR = at(forget, (slot0 + mFrom * K) * H), hsR = at(childSum, (t + mFrom) * H);
    startRows(m, G, bias, biasRows, r, zr);
    if (I > 0) sgemmPacked(false, m, G, I, 1, at(x, r * I), I, packedWih, 1, zr, G, packA, tile);
    gatherChildRows(m, H, K, ix, belowCount, stateRow(states, belowStart, H), chR, KH, 0);
    gatherChildRows(m, H, K, ix, belowCount, stateRow(cStates, belowStart, H), ccR, KH, 0);
    // h~ = 0 + h_1 + ... + h_K, in slot order: the column sums of each row's K slot rows.
    for (let q = 0; q < m; q++) columnSums(at(chR, q * KH), H, K, H, at(hsR, q * H));
    // Every slot's forget pre-activation starts as the row's a_f.
    for (let q = 0; q < m; q++) copyRows(K, H, at(zr, q * G + H), 0, at(fR, q * KH), H);
    sgemmPacked(false, m * K, H, H, 1, chR, H, packedUf, 1, fR, H, packA, tile);
    sgemmPacked(false, m, H, H, 1, hsR, H, packedUi, 1, zr, G, packA, tile);
    sgemmPacked(false, m, 2 * H, H, 1, hsR, H, packedUgo, 1, at(zr, 2 * H), G, packA, tile);
    treeGatesForward(m, H, K, zr, G, 2 * H, 3 * H, fR, KH, ccR, true, at(tanhC, r * H), stateRow(states, r, H), stateRow(cStates, r, H));
  }
  const l = lTo - lFrom;
  if (l > 0) {
    const r = leafRow0 + lFrom, zr = at(z, r * G);
    startRows(l, G, bias, biasRows, r, zr);
    if (I > 0) sgemmPacked(false, l, G, I, 1, at(x, r * I), I, packedWih, 1, zr, G, packA, tile);
    treeGatesForward(l, H, K, zr, G, 2 * H, 3 * H, 0, 0, 0, false, at(tanhC, r * H), stateRow(states, r, H), stateRow(cStates, r, H));
  }
}

/**
 * Backward of one level's part, from the state gradients ds [2, nodes, H] of its rows: the
 * gates pass into dz (scratch, by internal row; a leaf's dz is its da), dz_f (the slot
 * table `dzf`) and da (the internal-first table), then
 *
 *     d h~ = dz W_hh,   d h_k = d h~ + dz_f,k U_f,   d c_k = dc~ f_k   (added into the children's rows of ds)
 *     dx = da W_ih                                                    (when dx is not 0, by node row)
 *
 * and, for the deferred weight gradient (when xTab is not 0), each row's x into xTab at its
 * da row and its children's h into the slot table chTab. Packed: W_hh [4H, H], U_f [H, H] and
 * W_ih [4H, I], as they are (no transpose).
 */
export function childSumFoldLevelBackward(
  mFrom: i32, mTo: i32, lFrom: i32, lTo: i32, H: i32, K: i32, I: i32, nodes: i32, row0: i32, leafRow0: i32, belowStart: i32, belowCount: i32,
  slot0: i32, t: i32, u: i32, idx: usize, x: usize, states: usize, z: usize, tanhC: usize, forget: usize, ds: usize,
  da: usize, dzf: usize, dx: usize, xTab: usize, chTab: usize, dz: usize, dSum: usize, dch: usize, cc: usize, dcc: usize,
  packedWhh: usize, packedUf: usize, packedWih: usize, packA: usize, tile: usize,
): void {
  const G = 4 * H, KH = K * H;
  const cStates = at(states, nodes * H), dc = at(ds, nodes * H);
  const m = mTo - mFrom;
  if (m > 0) {
    const r = row0 + mFrom, zr = at(z, r * G), ix = idx + (<usize>(mFrom * K) << 2);
    const s = slot0 + mFrom * K, fR = at(forget, s * H), dzfR = at(dzf, s * H), daR = at(da, (t + mFrom) * G);
    const dzR = at(dz, mFrom * G), dSumR = at(dSum, mFrom * H), dchR = at(dch, mFrom * KH), ccR = at(cc, mFrom * KH), dccR = at(dcc, mFrom * KH);
    gatherChildRows(m, H, K, ix, belowCount, stateRow(cStates, belowStart, H), ccR, KH, 0);
    treeGatesBackward(m, H, K, zr, G, 2 * H, 3 * H, fR, KH, ccR, true, at(tanhC, r * H), stateRow(ds, r, H), stateRow(dc, r, H), dzR, dzfR, daR, dccR);
    sgemmPacked(false, m, H, G, 1, dzR, G, packedWhh, 0, dSumR, H, packA, tile);
    for (let q = 0; q < m; q++) copyRows(K, H, at(dSumR, q * H), 0, at(dchR, q * KH), H);
    sgemmPacked(false, m * K, H, H, 1, dzfR, H, packedUf, 1, dchR, H, packA, tile);
    scatterAddChildRows(m, H, K, ix, belowCount, dchR, KH, 0, stateRow(ds, belowStart, H));
    scatterAddChildRows(m, H, K, ix, belowCount, dccR, KH, 0, stateRow(dc, belowStart, H));
    if (dx != 0) sgemmPacked(false, m, I, G, 1, daR, G, packedWih, 0, at(dx, r * I), I, packA, tile);
    if (xTab != 0) {
      copyRows(m, I, at(x, r * I), I, at(xTab, (t + mFrom) * I), I);
      gatherChildRows(m, H, K, ix, belowCount, stateRow(states, belowStart, H), at(chTab, s * H), KH, 0);
    }
  }
  const l = lTo - lFrom;
  if (l > 0) {
    const r = leafRow0 + lFrom, zr = at(z, r * G), daR = at(da, (u + lFrom) * G);
    // A leaf's dz is its da (no forget gates: both f blocks 0), so the pass writes da as both.
    treeGatesBackward(l, H, K, zr, G, 2 * H, 3 * H, 0, 0, 0, false, at(tanhC, r * H), stateRow(ds, r, H), stateRow(dc, r, H), daR, 0, daR, 0);
    if (dx != 0) sgemmPacked(false, l, I, G, 1, daR, G, packedWih, 0, at(dx, r * I), I, packA, tile);
    if (xTab != 0) copyRows(l, I, at(x, r * I), I, at(xTab, (u + lFrom) * I), I);
  }
}

// ---- One level of a whole recursive-network fold (src/kernels/tree-rnn-fold-wasm.ts) ----
//
// h = tanh(b + [x | h_1..h_N] [W_ih | W_hh]^T) for internal rows, h = tanh(b + x W_ih^T) for
// leaves. Split by rows over the kernel threads as the Tree-LSTM levels are. Layout (floats;
// K = I + N H): x [nodes, I]; states h [nodes, H] by node row; the internal-first dz table
// (internal rows of every level, then every leaf: the level's internal rows from row t, its
// leaves from row u); idx: the level's child indices (N per internal row, belowCount for
// none); the scratch inTab [*, K] indexed by the level's internal row.


/**
 * Forward of one level's part: internal rows z = b + [x | h_1..h_N] W^T (W^T = [W_ih | W_hh]^T
 * packed at packedW, the children's h gathered from the level below), leaves z = b + x W_ih^T
 * (packed at packedWx); h = tanh(z), z built in the part's own rows of the states. With
 * `biasRows` not 0 (i32 per node row), z starts from row biasRows[row] of the table `bias`
 * [*, H] (projected inputs, I = 0: see treeFoldLevelForward).
 */
export function treeRnnFoldLevelForward(
  mFrom: i32, mTo: i32, lFrom: i32, lTo: i32, H: i32, N: i32, I: i32, row0: i32, leafRow0: i32, belowStart: i32, belowCount: i32,
  idx: usize, x: usize, bias: usize, biasRows: usize, packedW: usize, packedWx: usize, states: usize, inTab: usize, packA: usize, tile: usize,
): void {
  const K = I + N * H;
  const m = mTo - mFrom;
  if (m > 0) {
    const r = row0 + mFrom, zr = at(states, r * H), inR = at(inTab, mFrom * K), ix = idx + (<usize>(mFrom * N) << 2);
    copyRows(m, I, at(x, r * I), I, inR, K);
    gatherChildRows(m, H, N, ix, belowCount, at(states, belowStart * H), inR, K, I);
    startRows(m, H, bias, biasRows, r, zr);
    sgemmPacked(false, m, H, K, 1, inR, K, packedW, 1, zr, H, packA, tile);
    tanhInPlace(zr, m * H);
  }
  const l = lTo - lFrom;
  if (l > 0) {
    const r = leafRow0 + lFrom, zr = at(states, r * H);
    startRows(l, H, bias, biasRows, r, zr);
    if (I > 0) sgemmPacked(false, l, H, I, 1, at(x, r * I), I, packedWx, 1, zr, H, packA, tile);
    tanhInPlace(zr, l * H);
  }
}

/**
 * Backward of one level's part, from the state gradients ds [nodes, H] of its rows:
 * dz = dh (1 - h^2) into the dz table (internal row i at t + i, leaf j at u + j), then
 *
 *     [dx | d(h_1..h_N)] = dz [W_ih | W_hh]   (internal; packed at packedW)   dx = dz W_ih   (leaves; packed at packedWx)
 *
 * with d h_k added into the children's rows of ds, dx (when not 0) by node row, and, for the
 * deferred weight gradient (when xTab is not 0), each row's x into xTab at its dz row and the
 * internal rows' children's h into hTab [*, N H] at theirs.
 */
export function treeRnnFoldLevelBackward(
  mFrom: i32, mTo: i32, lFrom: i32, lTo: i32, H: i32, N: i32, I: i32, row0: i32, leafRow0: i32, belowStart: i32, belowCount: i32,
  idx: usize, x: usize, states: usize, ds: usize, dzTab: usize, t: i32, u: i32, dx: usize, xTab: usize, hTab: usize, dIn: usize,
  packedW: usize, packedWx: usize, packA: usize, tile: usize,
): void {
  const NH = N * H, K = I + NH;
  const m = mTo - mFrom;
  if (m > 0) {
    const r = row0 + mFrom, dzr = at(dzTab, (t + mFrom) * H), ix = idx + (<usize>(mFrom * N) << 2), dInR = at(dIn, mFrom * K);
    tanhGradient(m * H, at(states, r * H), at(ds, r * H), dzr);
    sgemmPacked(false, m, K, H, 1, dzr, H, packedW, 0, dInR, K, packA, tile);
    if (dx != 0) copyRows(m, I, dInR, K, at(dx, r * I), I);
    scatterAddChildRows(m, H, N, ix, belowCount, dInR, K, I, at(ds, belowStart * H));
    if (xTab != 0) {
      copyRows(m, I, at(x, r * I), I, at(xTab, (t + mFrom) * I), I);
      gatherChildRows(m, H, N, ix, belowCount, at(states, belowStart * H), at(hTab, (t + mFrom) * NH), NH, 0);
    }
  }
  const l = lTo - lFrom;
  if (l > 0) {
    const r = leafRow0 + lFrom, dzr = at(dzTab, (u + lFrom) * H);
    tanhGradient(l * H, at(states, r * H), at(ds, r * H), dzr);
    if (dx != 0) sgemmPacked(false, l, I, H, 1, dzr, H, packedWx, 0, at(dx, r * I), I, packA, tile);
    if (xTab != 0) copyRows(l, I, at(x, r * I), I, at(xTab, (u + lFrom) * I), I);
  }
}

/** dz[k] = dh[k] (1 - h[k]^2) for n floats: the gradient through h = tanh(z). */
function tanhGradient(n: i32, h: usize, dh: usize, dz: usize): void {
  const one = f32x4.splat(1);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const v = ld(h, k);
    st(dz, k, f32x4.mul(ld(dh, k), f32x4.sub(one, f32x4.mul(v, v))));
  }
  for (; k < n; k++) {
    const v = ld1(h, k);
    st1(dz, k, ld1(dh, k) * (1 - v * v));
  }
}
