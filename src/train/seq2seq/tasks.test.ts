import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../tensor/index.js';
import { TextError } from '../text.js';
import { Seq2SeqVocabulary, parsePairs } from './pairs.js';
import { additionTask, createSeq2SeqTask, datesTask, reversalTask, splitOf, SEQ2SEQ_TASKS } from './tasks.js';

test('every task is deterministic under a seed and stays inside its symbol sets', () => {
  for (const name of SEQ2SEQ_TASKS) {
    const task = createSeq2SeqTask(name);
    const a = new Rng(4);
    const b = new Rng(4);
    for (let i = 0; i < 500; i++) {
      const p = task.sample(a);
      assert.deepEqual(p, task.sample(b));
      for (const ch of p.source) assert.ok(task.sourceSymbols.includes(ch), `${name}: ${JSON.stringify(ch)} in ${p.source}`);
      for (const ch of p.target) assert.ok(task.targetSymbols.includes(ch), `${name}: ${JSON.stringify(ch)} in ${p.target}`);
    }
  }
});

test('reversal: targets reverse sources, trained lengths in range, unseen lengths beyond it', () => {
  const task = reversalTask({ minLength: 3, maxLength: 7, unseenMaxLength: 10, alphabet: 'xyz' });
  const rng = new Rng(1);
  const lengths = new Set<number>();
  for (let i = 0; i < 300; i++) {
    const p = task.sample(rng);
    assert.equal(p.target, [...p.source].reverse().join(''));
    lengths.add(p.source.length);
    const u = task.sampleUnseen?.(rng);
    assert.ok(u !== undefined && u.source.length >= 8 && u.source.length <= 10);
  }
  assert.deepEqual([...lengths].sort(), [3, 4, 5, 6, 7]);
  assert.equal(reversalTask({ unseenMaxLength: 0 }).sampleUnseen, undefined);
  assert.throws(() => reversalTask({ minLength: 5, maxLength: 2 }), /minLength <= maxLength/);
});

test('addition: the target is the sum; operand lengths 1..maxDigits are equally likely', () => {
  const task = additionTask({ maxDigits: 3 });
  const rng = new Rng(2);
  const digitCounts = [0, 0, 0, 0];
  for (let i = 0; i < 3000; i++) {
    const p = task.sample(rng);
    const m = /^(\d+)\+(\d+)$/.exec(p.source);
    assert.ok(m !== null, p.source);
    const [x, y] = [m[1] as string, m[2] as string];
    assert.equal(p.target, String(Number(x) + Number(y)));
    assert.ok(x === '0' || !x.startsWith('0'));
    digitCounts[x.length] = (digitCounts[x.length] as number) + 1;
  }
  for (let d = 1; d <= 3; d++) assert.ok(Math.abs((digitCounts[d] as number) / 3000 - 1 / 3) < 0.04, String(digitCounts));
});

test('dates: ISO targets of real days in 1950-2049, and sources that name the same day', () => {
  const task = datesTask();
  const rng = new Rng(3);
  const months = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const { source, target } = task.sample(rng);
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(target);
    assert.ok(m !== null, target);
    const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
    assert.ok(y >= 1950 && y <= 2049);
    const date = new Date(Date.UTC(y, mo - 1, d));
    assert.equal(date.getUTCDate(), d, `${target} is a real day`);
    // Every format shows the day number and either the month's name or its number.
    const lower = source.toLowerCase();
    const named = months.findIndex((name) => lower.includes(name));
    if (named !== -1) assert.equal(named + 1, mo, `${source} -> ${target}`);
    assert.ok(source.includes(String(d)) || source.includes(String(d).padStart(2, '0')), `${source} -> ${target}`);
    seen.add(source.replace(/\d/g, '9').replace(/[A-Za-z]+/g, 'w'));
  }
  assert.ok(seen.size >= 12, `only ${seen.size} distinct format shapes`);
  // Slashes are month-first, dots day-first.
  const r = new Rng(0);
  for (let i = 0; i < 500; i++) {
    const { source, target } = task.sample(r);
    const slash = /^(\d{1,2})\/(\d{1,2})\/\d+$/.exec(source);
    if (slash !== null) assert.equal(Number(slash[1]), Number(target.slice(5, 7)), source);
    const dot = /^(\d{1,2})\.(\d{1,2})\.\d{4}$/.exec(source);
    if (dot !== null) assert.equal(Number(dot[2]), Number(target.slice(5, 7)), source);
  }
});

test('pairs files: CRLF, a byte-order mark, blank lines and any UTF-8 are fine', () => {
  const text = '\uFEFFabc\tcba\r\n\n한국어 🙂\t🙂 어국한\nx y\tz\n';
  const pairs = parsePairs(new TextEncoder().encode(text), 'p.tsv');
  assert.deepEqual(pairs, [{ source: 'abc', target: 'cba' }, { source: '한국어 🙂', target: '🙂 어국한' }, { source: 'x y', target: 'z' }]);
});

test('malformed pairs files are an error naming the line (missing tab, empty side, extra tab, invalid UTF-8)', () => {
  const enc = new TextEncoder();
  const cases: [Uint8Array, RegExp][] = [
    [enc.encode('a\tb\nno tab here\n'), /p\.tsv: line 2: no tab/],
    [enc.encode('a\tb\nc\t\n'), /p\.tsv: line 2: empty target/],
    [enc.encode('\tb\n'), /p\.tsv: line 1: empty source/],
    [enc.encode('a\tb\n\na\tb\tc\n'), /p\.tsv: line 3: more than one tab/],
    [new Uint8Array([0x61, 0x09, 0x62, 0x0a, 0x63, 0x09, 0xff, 0x0a]), /p\.tsv: line 2: invalid UTF-8 at byte 6/],
    [enc.encode('\n\n'), /no pairs/],
  ];
  for (const [bytes, message] of cases) {
    assert.throws(() => parsePairs(bytes, 'p.tsv'), (e: unknown) => e instanceof TextError && message.test(e.message), String(message));
  }
});

test('the seq2seq vocabulary puts symbols after the reserved ids and skips them when decoding', () => {
  const v = new Seq2SeqVocabulary([...'ab🙂']);
  assert.equal(v.size, 6);
  assert.deepEqual(Array.from(v.encode('🙂ab')), [5, 3, 4]);
  assert.equal(v.decode([1, 5, 3, 0, 4, 2]), '🙂ab');
  assert.throws(() => v.encode('abc'), /"c"/);
});

test('splitOf divides the input space 5 / 5 / 90 by a seeded hash, also inside a small region of it', () => {
  const count = (sources: string[], seed: number) => {
    const c = { train: 0, validation: 0, test: 0 };
    for (const s of sources) c[splitOf(s, seed)]++;
    return c;
  };
  const many = Array.from({ length: 20000 }, (_, i) => `${i}+${(i * 7919) % 1000}`);
  const c = count(many, 1);
  assert.ok(Math.abs(c.test / 20000 - 0.05) < 0.01 && Math.abs(c.validation / 20000 - 0.05) < 0.01, JSON.stringify(c));
  assert.deepEqual(many.map((s) => splitOf(s, 1)), many.map((s) => splitOf(s, 1)));
  assert.notDeepEqual(many.slice(0, 200).map((s) => splitOf(s, 1)), many.slice(0, 200).map((s) => splitOf(s, 2)));
  // The 100 sums of two one-digit numbers: most stay in training.
  const small = Array.from({ length: 100 }, (_, i) => `${i % 10}+${Math.floor(i / 10)}`);
  assert.ok(count(small, 1).train >= 80);
  assert.throws(() => splitOf('x', 1, 0.6), /fraction/);
});
