import { ArgumentError, type Rng } from '../../tensor/index.js';

/** One source/target pair of a sequence-to-sequence task. */
export interface Seq2SeqPair {
  readonly source: string;
  readonly target: string;
}

/** The generated sequence-to-sequence tasks. */
export type Seq2SeqTaskName = 'reverse' | 'addition' | 'dates';

/** The task names, for flags and validation. @example `SEQ2SEQ_TASKS.map((name) => createSeq2SeqTask(name))` */
export const SEQ2SEQ_TASKS: readonly Seq2SeqTaskName[] = ['reverse', 'addition', 'dates'];

/** Options of the generated tasks; each task reads its own. Serialisable. */
export interface Seq2SeqTaskOptions {
  /** reverse: shortest trained source (default 5). */
  readonly minLength?: number;
  /** reverse: longest trained source (default 20). */
  readonly maxLength?: number;
  /** reverse: longest source of the never-trained lengths maxLength+1.. measured for generalisation (default 30; 0 or <= maxLength: none). */
  readonly unseenMaxLength?: number;
  /** reverse: the symbols (default a-z). */
  readonly alphabet?: string;
  /** addition: most digits of each operand (default 3). */
  readonly maxDigits?: number;
}

/** Defaults of {@link Seq2SeqTaskOptions}, in one place. @example `reversalTask({ ...SEQ2SEQ_TASK_DEFAULTS, maxLength: 10 })` */
export const SEQ2SEQ_TASK_DEFAULTS = {
  minLength: 5, maxLength: 20, unseenMaxLength: 30, alphabet: 'abcdefghijklmnopqrstuvwxyz', maxDigits: 3,
} as const satisfies Required<Seq2SeqTaskOptions>;

/**
 * A seeded generator of source/target pairs: everything the trainer needs to know about a
 * task. The same Rng state always gives the same pair.
 */
export interface Seq2SeqTask {
  readonly name: Seq2SeqTaskName;
  /** Every symbol a source can hold (the source vocabulary). */
  readonly sourceSymbols: string;
  /** Every symbol a target can hold. */
  readonly targetSymbols: string;
  /** Draws one pair from the training distribution. */
  sample(rng: Rng): Seq2SeqPair;
  /** Draws a pair from inputs never trained on (longer reversals), when the task has such a set. */
  readonly sampleUnseen?: (rng: Rng) => Seq2SeqPair;
}

/**
 * Sequence reversal: "abc" -> "cba" with lengths uniform in minLength..maxLength. The
 * first output depends on the LAST input, the hardest case for a fixed-size context and
 * an easy one for attention (a sharp anti-diagonal). `sampleUnseen` draws lengths
 * maxLength+1..unseenMaxLength, which training never shows.
 *
 * @example
 * ```ts
 * reversalTask({ minLength: 3, maxLength: 5 }).sample(new Rng(0)); // e.g. { source: 'qhd', target: 'dhq' }
 * ```
 */
export function reversalTask(options: Seq2SeqTaskOptions = {}): Seq2SeqTask {
  const o = { ...SEQ2SEQ_TASK_DEFAULTS, ...options };
  const symbols = [...o.alphabet];
  if (symbols.length < 2 || new Set(symbols).size !== symbols.length) throw new ArgumentError('reverse task', 'the alphabet needs at least two distinct symbols');
  checkRange('reverse task', o.minLength, o.maxLength);
  const draw = (rng: Rng, lo: number, hi: number): Seq2SeqPair => {
    const n = lo + rng.int(hi - lo + 1);
    const s = Array.from({ length: n }, () => symbols[rng.int(symbols.length)] as string);
    return { source: s.join(''), target: s.reverse().join('') };
  };
  const unseen = o.unseenMaxLength > o.maxLength;
  return {
    name: 'reverse',
    sourceSymbols: o.alphabet,
    targetSymbols: o.alphabet,
    sample: (rng) => draw(rng, o.minLength, o.maxLength),
    ...(unseen ? { sampleUnseen: (rng: Rng) => draw(rng, o.maxLength + 1, o.unseenMaxLength) } : {}),
  };
}

/**
 * Integer addition written out: "123+45" -> "168". Each operand first draws its number
 * of digits uniformly in 1..maxDigits, then a number with exactly that many digits, so
 * short operands are as common as long ones (uniform operands would be 90 % 3-digit).
 * The model must align digits by place value from the right and carry.
 *
 * @example
 * ```ts
 * additionTask({ maxDigits: 2 }).sample(new Rng(0)); // e.g. { source: '7+58', target: '65' }
 * ```
 */
export function additionTask(options: Seq2SeqTaskOptions = {}): Seq2SeqTask {
  const maxDigits = options.maxDigits ?? SEQ2SEQ_TASK_DEFAULTS.maxDigits;
  if (!Number.isInteger(maxDigits) || maxDigits < 1 || maxDigits > 15) throw new ArgumentError('addition task', `maxDigits must be an integer in 1..15, got ${maxDigits}`);
  const operand = (rng: Rng): number => {
    const digits = 1 + rng.int(maxDigits);
    const low = digits === 1 ? 0 : 10 ** (digits - 1);
    return low + Math.floor(rng.uniform() * (10 ** digits - low));
  };
  return {
    name: 'addition',
    sourceSymbols: '+0123456789',
    targetSymbols: '0123456789',
    sample: (rng) => {
      const a = operand(rng);
      const b = operand(rng);
      return { source: `${a}+${b}`, target: String(a + b) };
    },
  };
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The day of the month with its English ordinal suffix: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st... */
function ordinal(d: number): string {
  const teen = d % 100 >= 11 && d % 100 <= 13;
  const suffix = teen ? 'th' : (['th', 'st', 'nd', 'rd'][d % 10] ?? 'th');
  return `${d}${suffix}`;
}

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** One human way of writing a date, from (year, month 1-12, day, weekday 0-6). */
type DateFormat = (y: number, m: number, d: number, w: number) => string;

/**
 * The human formats of the date task. Numeric forms follow one convention each so that
 * every source has one reading: slashes are US month-first (03/04/2021 is March 4), dots
 * are day-first as in most of Europe (04.03.2021 is 4 March), and two-digit years are
 * 1950-2049 (the range dates are drawn from).
 */
const DATE_FORMATS: readonly DateFormat[] = [
  (y, m, d) => `${d} ${MONTHS[m - 1]} ${y}`,
  (y, m, d) => `${pad2(d)} ${MONTHS[m - 1]} ${y}`,
  (y, m, d) => `${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d) => `${MONTHS[m - 1]?.slice(0, 3)} ${d}, ${y}`,
  (y, m, d) => `${d} ${MONTHS[m - 1]?.slice(0, 3)} ${y}`,
  (y, m, d, w) => `${WEEKDAYS[w]}, ${MONTHS[m - 1]} ${d}, ${y}`,
  (y, m, d, w) => `${WEEKDAYS[w]?.slice(0, 3)}, ${d} ${MONTHS[m - 1]?.slice(0, 3)} ${y}`,
  (y, m, d) => `${ordinal(d)} of ${MONTHS[m - 1]} ${y}`,
  (y, m, d) => `${MONTHS[m - 1]} ${ordinal(d)}, ${y}`,
  (y, m, d) => `${pad2(m)}/${pad2(d)}/${y}`,
  (y, m, d) => `${m}/${d}/${String(y).slice(2)}`,
  (y, m, d) => `${d}.${m}.${y}`,
  (y, m, d) => `${pad2(d)}.${pad2(m)}.${y}`,
  (y, m, d) => `${y}/${pad2(m)}/${pad2(d)}`,
  (y, m, d) => `${y}${pad2(m)}${pad2(d)}`,
  (y, m, d) => `${MONTHS[m - 1]?.toLowerCase()} ${d} ${y}`,
  (y, m, d) => `${MONTHS[m - 1]?.toUpperCase()} ${d}, ${y}`,
  (y, m, d) => `${pad2(d)}-${MONTHS[m - 1]?.slice(0, 3)}-${y}`,
];

/** Every date from 1950-01-01 to 2049-12-31, counted in days since the Unix epoch. */
const FIRST_DAY = Date.UTC(1950, 0, 1) / 86_400_000;
const LAST_DAY = Date.UTC(2049, 11, 31) / 86_400_000;

/**
 * Date normalisation: a date written in one of 18 human formats ("3 March 2021",
 * "Wed, 3 Mar 2021", "3rd of March 2021", "03/03/2021", "3.3.2021", "20210303"...) to
 * ISO 8601 ("2021-03-03"). Dates are uniform over 1950-2049; formats uniform. Slashes are
 * month-first (US), dots day-first, two-digit years 1950-2049, so each source has exactly
 * one reading.
 *
 * @example
 * ```ts
 * datesTask().sample(new Rng(0)); // e.g. { source: 'Sat, 9 Aug 1997', target: '1997-08-09' }
 * ```
 */
export function datesTask(): Seq2SeqTask {
  const sample = (rng: Rng): Seq2SeqPair => {
    const day = FIRST_DAY + rng.int(LAST_DAY - FIRST_DAY + 1);
    const date = new Date(day * 86_400_000);
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    const format = DATE_FORMATS[rng.int(DATE_FORMATS.length)] as DateFormat;
    return { source: format(y, m, d, date.getUTCDay()), target: `${y}-${pad2(m)}-${pad2(d)}` };
  };
  return { name: 'dates', sourceSymbols: DATE_SOURCE_SYMBOLS, targetSymbols: '-0123456789', sample };
}

/** Every character any date format can write (computed from the formats' words, so it never drifts). */
const DATE_SOURCE_SYMBOLS = [...new Set([
  ...MONTHS.join(''), ...MONTHS.join('').toLowerCase(), ...MONTHS.join('').toUpperCase(), ...WEEKDAYS.join(''),
  ...'0123456789 ,./-', ...'stndrdthof',
])].sort().join('');

/**
 * The task of a name with its options.
 *
 * @example
 * ```ts
 * const task = createSeq2SeqTask('addition', { maxDigits: 3 });
 * ```
 */
export function createSeq2SeqTask(name: Seq2SeqTaskName, options: Seq2SeqTaskOptions = {}): Seq2SeqTask {
  switch (name) {
    case 'reverse': return reversalTask(options);
    case 'addition': return additionTask(options);
    case 'dates': return datesTask();
  }
}

function checkRange(where: string, lo: number, hi: number): void {
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) throw new ArgumentError(where, `lengths must be integers with 1 <= minLength <= maxLength, got ${lo}..${hi}`);
}

/** Where a source belongs in a held-out split. */
export type Seq2SeqSplit = 'train' | 'validation' | 'test';

/**
 * A seeded split of a task's INPUT SPACE (not of a drawn list): the source's FNV-1a hash,
 * mixed with the seed, gives u in [0, 1); u < f is test, f <= u < 2f validation, the rest
 * train. Every region of the space keeps the same 1 - 2f share for training, so a small
 * region (the 100 sums of two one-digit numbers) is still mostly trained on, while a list
 * of drawn test pairs excluded from training would remove nearly all of it. Deterministic:
 * a source's split depends only on the source and the seed.
 *
 * @example
 * ```ts
 * splitOf('123+45', 1); // 'train' (for most sources: 90 % with the default f = 0.05)
 * ```
 */
export function splitOf(source: string, seed: number, fraction = 0.05): Seq2SeqSplit {
  if (!(fraction > 0 && fraction <= 0.5)) throw new ArgumentError('splitOf', `fraction must be in (0, 0.5], got ${fraction}`);
  // FNV-1a over the UTF-16 units, offset by the seed; a final avalanche spreads close seeds.
  let h = (0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1)) >>> 0;
  for (let i = 0; i < source.length; i++) h = Math.imul(h ^ source.charCodeAt(i), 0x01000193) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  const u = ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
  return u < fraction ? 'test' : u < 2 * fraction ? 'validation' : 'train';
}
