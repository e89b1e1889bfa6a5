// Two builds' language-model steps in ONE process, passes alternating (as
// scripts/ab-tree-builds.mjs does for trees): the lstm-train benchmark's step (src/bench/train.ts's
// TRAIN_SPEC: forward, cross-entropy at every step, full BPTT, Adam) and its inference
// (forward under noGrad), for CELL (lstm by default, or gru, rnn), 2 kernel threads. Prints the
// best of [rounds - 2] passes per build and B over A (above 1: B is faster).
//
//   A=/tmp/before/dist B="$PWD/dist" [CELL=gru] node scripts/ab-sequence-builds.mjs [rounds]
const [A, B] = [process.env.A, process.env.B ?? new URL('../dist', import.meta.url).pathname];
if (A === undefined) throw new Error("set A to the other build's dist folder (B defaults to this checkout's dist)");
const cell = process.env.CELL ?? 'lstm';
const libs = [];
for (const d of [A, B]) {
  const lib = await import(`${d}/index.js`);
  const { TRAIN_SPEC: spec, symbols } = await import(`${d}/bench/train.js`);
  await lib.gemmReady(); lib.setKernelThreads(2); await lib.kernelThreadsReady();
  const model = new lib.LanguageModel({ vocabSize: spec.vocab, cell, hidden: spec.hidden, layers: 1, embedding: spec.embedding, dropout: 0 }, new lib.Rng(1));
  const opt = new lib.Adam(model, { lr: spec.lr });
  const tokens = new lib.Tensor(symbols(spec.batch * spec.steps, 2), [spec.batch, spec.steps]);
  const targets = new lib.Tensor(symbols(spec.batch * spec.steps, 3), [spec.batch, spec.steps]);
  const step = () => { const { logits } = model.forward(tokens); lib.backward(lib.crossEntropy(logits, targets)); opt.step(); opt.zeroGrad(); };
  const infer = () => lib.noGrad(() => model.forward(tokens));
  libs.push({ step, infer });
}
const rounds = Number(process.argv[2] ?? 20);
const best = {};
for (let r = 0; r < rounds; r++) for (const kind of ['step', 'infer']) for (const i of r % 2 ? [1, 0] : [0, 1]) {
  const t0 = performance.now(); libs[i][kind](); const ms = performance.now() - t0;
  if (r > 1) best[`${kind}${i}`] = Math.min(best[`${kind}${i}`] ?? 1e9, ms);
}
for (const kind of ['step', 'infer']) console.log(`${cell} ${kind}: A ${best[kind + 0].toFixed(1)} ms, B ${best[kind + 1].toFixed(1)} ms, B/A ${(best[kind + 0] / best[kind + 1]).toFixed(3)}x`);
process.exit(0);
