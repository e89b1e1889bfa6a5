// `node child.js <bench> <impl>`: measures one implementation of one recurrent benchmark in
// this (fresh) process and prints its report as one JSON line on stdout (see subprocess.ts).
// The parent, `unfold bench`, starts one child per implementation so that each figure of
// peak resident memory belongs to that implementation alone.
import { runGenerateChild } from './generate.js';
import type { ChildReport } from './subprocess.js';
import { RECURRENT_IMPLS, runTrainChild, type RecurrentImpl, type TrainKind } from './train.js';

async function main(argv: readonly string[]): Promise<ChildReport> {
  const [bench, impl] = argv;
  if (impl === undefined || !(RECURRENT_IMPLS as readonly string[]).includes(impl)) {
    return { ok: false, reason: `unknown implementation '${impl ?? ''}' (${RECURRENT_IMPLS.join(', ')})` };
  }
  const which = impl as RecurrentImpl;
  if (bench === 'lstm-generate') return runGenerateChild(which);
  const kind = /^(lstm|gru|rnn)-train$/.exec(bench ?? '')?.[1];
  if (kind !== undefined) return runTrainChild(kind as TrainKind, which);
  return { ok: false, reason: `unknown benchmark '${bench ?? ''}'` };
}

main(process.argv.slice(2)).then(
  (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
  (e: unknown) => process.stdout.write(`${JSON.stringify({ ok: false, reason: e instanceof Error ? e.message : String(e) })}\n`),
).finally(() => {
  // Peers may leave timers or worker threads behind; the report is out, so end here.
  process.exit(0);
});
