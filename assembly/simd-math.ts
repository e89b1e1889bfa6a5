// The f32x4 maths shared by the fused kernels (rnn.ts, tree.ts): exp, sigmoid and tanh per
// lane, their scalar forms for row tails, and loads and stores by element index. Not
// re-exported from index.ts: these are inlined helpers, not module exports.

// Cephes' expf: x = n ln2 + r with |r| <= ln2 / 2 (ln2 split in two for an exact n ln2),
// e^r = 1 + r + r^2 P(r), 2^n built in the exponent bits. About 2 ulp; the clamp keeps 2^n
// normal (n in [-126, 127]) and maps +-inf to the limits (NaN stays NaN).
const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_MIN: f32 = -87.3;
const EXP_MAX: f32 = 88.3;

/**
 * x clamped to [lo, hi] per lane, NaN kept: pmax(x, lo) is x < lo ? lo : x and pmin(v, hi) is
 * hi < v ? hi : v, so a NaN lane stays NaN and every other lane is min(max(x, lo), hi). These
 * pseudo-min/max are one minps/maxps each on x64, where f32x4.min/max need a sequence of
 * fix-ups for wasm's NaN and signed-zero rules (which a clamp to nonzero bounds never needs).
 */
@inline
function clamp(x: v128, lo: f32, hi: f32): v128 {
  return f32x4.pmin(f32x4.pmax(x, f32x4.splat(lo)), f32x4.splat(hi));
}

@inline
export function vexp(x: v128): v128 {
  const c = clamp(x, EXP_MIN, EXP_MAX);
  const n = f32x4.nearest(f32x4.mul(c, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(c, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/**
 * c + a b per lane: one fused multiply-add (a single rounding) when the module is built with
 * relaxed SIMD (ASC_FEATURE_RELAXED_SIMD, a compile-time constant, so the branch folds away),
 * else a multiply then an add. Relaxed SIMD lets the engine choose: V8 emits an FMA where the
 * CPU has one (seen here on x64 with FMA3: relaxed-simd.test observes the single rounding),
 * and may round twice on a CPU without.
 */
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** sigma(x) = 1 / (1 + e^-x) per lane. */
@inline
export function vsigmoid(x: v128): v128 {
  return f32x4.div(f32x4.splat(1), f32x4.add(f32x4.splat(1), vexp(f32x4.neg(x))));
}

// tanh(x) ~ x P(x^2) / Q(x^2) on [-9.1, 9.1], the (4, 4) rational fit of the JS kernels
// (rnn-sequence-common.ts, relative error 2.3e-8 in exact arithmetic; a few float32 ulp
// here). No exponential, so no cancellation near 0 as with 2 sigma(2x) - 1.
@inline
export function vtanh(x: v128): v128 {
  const c = clamp(x, -9.1, 9.1);
  const s = f32x4.mul(c, c);
  let num = f32x4.splat(1.317773626330343e-8);
  num = f32x4.add(f32x4.mul(num, s), f32x4.splat(2.0481457634452613e-5));
  num = f32x4.add(f32x4.mul(num, s), f32x4.splat(0.0034878316958076435));
  num = f32x4.add(f32x4.mul(num, s), f32x4.splat(0.13374493675332383));
  num = f32x4.add(f32x4.mul(num, s), f32x4.splat(0.9999999771995304));
  let den = f32x4.splat(7.704169408574713e-7);
  den = f32x4.add(f32x4.mul(den, s), f32x4.splat(0.0003272951200954197));
  den = f32x4.add(f32x4.mul(den, s), f32x4.splat(0.025847470701123157));
  den = f32x4.add(f32x4.mul(den, s), f32x4.splat(0.46707807463804646));
  den = f32x4.add(f32x4.mul(den, s), f32x4.splat(1));
  return f32x4.div(f32x4.mul(c, num), den);
}

// Scalar forms for the tails of rows whose length is not a multiple of 4: the same lane
// maths, so a result does not depend on where its element sits in the row.
@inline
export function sigmoid1(x: f32): f32 {
  return f32x4.extract_lane(vsigmoid(f32x4.splat(x)), 0);
}

@inline
export function tanh1(x: f32): f32 {
  return f32x4.extract_lane(vtanh(f32x4.splat(x)), 0);
}

@inline
export function ld(p: usize, j: i32): v128 {
  return v128.load(p + (<usize>j << 2));
}

@inline
export function st(p: usize, j: i32, v: v128): void {
  v128.store(p + (<usize>j << 2), v);
}

@inline
export function ld1(p: usize, j: i32): f32 {
  return load<f32>(p + (<usize>j << 2));
}

@inline
export function st1(p: usize, j: i32, v: f32): void {
  store<f32>(p + (<usize>j << 2), v);
}
