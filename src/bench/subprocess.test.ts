import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nodeChild, peakRssMb, runChild } from './subprocess.js';

// The child-process protocol of the recurrent benchmarks: the last JSON line of stdout is the
// report; anything else (a crash, a hang, no report) becomes a reason to skip, never a throw.

const node = (code: string, timeoutMs = 20_000) => ({ command: process.execPath, args: ['-e', code], timeoutMs });

test('a child report is the last JSON line of its stdout', async () => {
  const r = await runChild(node(`console.log('banner'); console.log('{"ok":false,"reason":"first"}'); console.log(JSON.stringify({ ok: true, value: 3, unit: 'x', peakRssMb: 1 }))`));
  assert.deepEqual(r, { ok: true, value: 3, unit: 'x', peakRssMb: 1 });
});

test('a failing, silent or hanging child yields ok: false with the reason', async () => {
  const crash = await runChild(node(`console.error('boom: no torch'); process.exit(3)`));
  assert.deepEqual(crash, { ok: false, reason: 'exited with 3: boom: no torch' });
  const hang = await runChild(node('setTimeout(() => {}, 60000)', 300));
  assert.equal(hang.ok, false);
  assert.match(hang.ok ? '' : hang.reason, /timed out/);
  const missing = await runChild({ command: '/nonexistent/python3', args: [], timeoutMs: 1000 });
  assert.match(missing.ok ? '' : missing.reason, /could not start/);
});

test('the bench child refuses unknown benchmarks and implementations', async () => {
  const bench = await runChild(nodeChild('nope-train', 'unfold', 20_000));
  assert.deepEqual(bench, { ok: false, reason: "unknown benchmark 'nope-train'" });
  const impl = await runChild(nodeChild('lstm-train', 'numpy', 20_000));
  assert.match(impl.ok ? '' : impl.reason, /unknown implementation 'numpy'/);
});

test('peak RSS is a plausible number of MiB', () => {
  const mb = peakRssMb();
  assert.ok(mb > 10 && mb < 100_000, `${mb}`);
});
