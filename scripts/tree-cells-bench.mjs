// The tree benchmark's workload (src/bench/tree.ts: forward + backward of a tree classifier
// over 64 arithmetic trees of depth 1-6, word vectors of 32, float32) for one tree cell at one
// hidden size: foldTree and the node-at-a-time loop at batch 1 and 64, with the benchmark's
// notes (batch 64 over batch 1, over the loop). `unfold bench tree` runs the N-ary Tree-LSTM;
// this runs any cell. NODEWISE=0 skips the loop (the RNTN's at 128 units takes minutes).
//
//   npm run build && [NODEWISE=0] node scripts/tree-cells-bench.mjs <rnn|rntn|child-sum-lstm|nary-lstm> [hidden]
import { treeWorkload } from '../dist/bench/tree.js';

const cell = process.argv[2] ?? 'nary-lstm', hidden = Number(process.argv[3] ?? 32);
const w = treeWorkload({ cell, batches: [1, 64], hiddens: [hidden], impls: process.env.NODEWISE === '0' ? ['unfold'] : ['unfold', 'unfold-nodewise'] });
await w.run({ record: (r) => console.log(`${cell} ${r.impl} hidden ${r.params.hidden} batch ${r.params.batch}: ${r.value < 100 ? r.value.toFixed(1) : Math.round(r.value)} trees/s`), note: console.log });
process.exit(0);
