// Whether two builds fold trees to the same bits: the Child-Sum Tree-LSTM (64 units), the
// recursive network (128) and the N-ary Tree-LSTM (32) over the same 64 random trees, forward
// and backward (loss sum(outputs * w)), float32 on the wasm kernels and with the JavaScript
// gemm, and float64; 2 kernel threads. Prints how many of the outputs and gradients (72
// arrays) differ in any bit between A and B. For refactors that must not change behaviour.
//
//   A=/tmp/before/dist B="$PWD/dist" node scripts/compare-fold-bits.mjs
const [A, B] = [process.env.A, process.env.B ?? new URL('../dist', import.meta.url).pathname];
if (A === undefined) throw new Error("set A to the other build's dist folder (B defaults to this checkout's dist)");
const res = [];
for (const d of [A, B]) {
  const lib = await import(`${d}/index.js`);
  const { tree } = await import(`${d}/tree/tree.js`);
  const { setGemmBackend } = await import(`${d}/kernels/gemm.js`);
  await lib.gemmReady(); lib.setKernelThreads(2); await lib.kernelThreadsReady();
  const out = [];
  const rng = new lib.Rng(9);
  const rt = (depth, maxKids) => { const w = rng.int(10); if (depth === 0 || rng.uniform() < 0.25) return tree(w, []); return tree(w, Array.from({ length: 1 + rng.int(maxKids) }, () => rt(depth - 1, maxKids))); };
  const treesCS = Array.from({ length: 64 }, () => rt(5, 3)), treesR = Array.from({ length: 64 }, () => rt(5, 2));
  for (const backend of ['auto', 'js']) {
    setGemmBackend(backend);
    for (const [make, trees] of [[(dt) => new lib.ChildSumTreeLSTMCell({ inputSize: 16, hiddenSize: 64, dtype: dt }, new lib.Rng(7)), treesCS], [(dt) => new lib.RecursiveCell({ inputSize: 16, hiddenSize: 128, arity: 2, dtype: dt }, new lib.Rng(7)), treesR], [(dt) => new lib.NaryTreeLSTMCell({ inputSize: 16, hiddenSize: 32, arity: 2, dtype: dt }, new lib.Rng(7)), treesR]]) {
      for (const dtype of ['float32', 'float64']) {
        const cell = make(dtype);
        const table = lib.randn([10, 16], new lib.Rng(8), { dtype, requiresGrad: true });
        const { outputs } = lib.foldTree(cell, trees, (v) => lib.gather(table, new lib.Tensor(dtype === 'float64' ? Float64Array.from(v) : Float32Array.from(v), [v.length])));
        lib.backward(lib.sum(lib.mul(outputs, lib.randn(outputs.shape, new lib.Rng(10), { dtype }))));
        out.push(Float64Array.from(outputs.data), ...[table, ...cell.parameters()].map((p) => Float64Array.from(p.grad.data)));
      }
    }
  }
  setGemmBackend('auto');
  res.push(out);
}
let diff = 0;
res[0].forEach((a, i) => { const b = res[1][i]; for (let k = 0; k < a.length; k++) if (!Object.is(a[k], b[k])) { diff++; break; } });
console.log('arrays', res[0].length, 'differing', diff);
process.exit(0);
