/**
 * Index maps for NumPy broadcasting: for every flat position of the output, the flat
 * position in each input. Computed once per shape combination and cached, so the
 * element-wise loops stay simple `out[i] = f(a[ia[i]], b[ib[i]])` passes.
 */
const cache = new Map<string, Int32Array>();
const CACHE_LIMIT = 256;

/**
 * For an input of shape `inShape` broadcast to `outShape` (right-aligned), the flat input
 * index of each output element.
 *
 * @example
 * ```ts
 * broadcastIndex([3], [2, 3]); // Int32Array [0, 1, 2, 0, 1, 2]
 * ```
 */
export function broadcastIndex(inShape: readonly number[], outShape: readonly number[]): Int32Array {
  const key = `${inShape.join(',')}>${outShape.join(',')}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const rank = outShape.length;
  let total = 1;
  for (const d of outShape) total *= d;
  // Input stride per output axis, 0 where the input is broadcast along it.
  const strides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let i = inShape.length - 1; i >= 0; i--) {
    const d = inShape[i] as number;
    strides[rank - inShape.length + i] = d === 1 ? 0 : s;
    s *= d;
  }
  const index = new Int32Array(total);
  const counter = new Array<number>(rank).fill(0);
  let offset = 0;
  for (let i = 0; i < total; i++) {
    index[i] = offset;
    for (let ax = rank - 1; ax >= 0; ax--) {
      const c = (counter[ax] as number) + 1;
      const st = strides[ax] as number;
      if (c < (outShape[ax] as number)) {
        counter[ax] = c;
        offset += st;
        break;
      }
      counter[ax] = 0;
      offset -= st * (c - 1);
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, index);
  return index;
}
