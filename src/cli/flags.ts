import { UnfoldError } from '../tensor/errors.js';

/**
 * A command-line mistake: an unknown command or flag, a bad or missing value. The CLI
 * prints its message as one line (`unfold: <message>`) and exits with status 2.
 */
export class UsageError extends UnfoldError {
  constructor(message: string) {
    super('usage', message);
  }
}

interface FlagBase {
  /** One line for `--help`. */
  readonly help: string;
}

/** A free-form string flag: `--out model.unf`. */
export interface StringFlag extends FlagBase {
  readonly type: 'string';
  readonly default?: string;
  /** Placeholder shown in help, e.g. `path` in `--out <path>`. */
  readonly placeholder?: string;
}

/** A numeric flag; `integer` also rejects fractions. `min` and `max` are inclusive. */
export interface NumberFlag extends FlagBase {
  readonly type: 'number' | 'integer';
  readonly default?: number;
  readonly min?: number;
  readonly max?: number;
}

/** A switch: `--json`, `--json=false`, `--no-json`. Without a default it is false. */
export interface BooleanFlag extends FlagBase {
  readonly type: 'boolean';
  readonly default?: boolean;
}

/** One of a fixed set of strings: `--cell lstm`. */
export interface EnumFlag<V extends string = string> extends FlagBase {
  readonly type: 'enum';
  readonly values: readonly V[];
  readonly default?: NoInfer<V>;
}

/** The declaration of one flag. */
export type FlagSpec = StringFlag | NumberFlag | BooleanFlag | EnumFlag;

/**
 * The flags of one command, keyed by the name of the config field they fill (camelCase);
 * on the command line the key is spelled in kebab-case: `hiddenSize` is `--hidden-size`.
 * Declaring flags under the config's own field names is what lets a parsed command line
 * be handed straight to the typed config of a model or trainer.
 */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

type FlagValue<F extends FlagSpec> = F extends StringFlag
  ? string
  : F extends NumberFlag
    ? number
    : F extends BooleanFlag
      ? boolean
      : F extends EnumFlag<infer V>
        ? V
        : never;

/**
 * The parsed values: a flag with a default (and every boolean) always has a value;
 * any other flag is `undefined` when it was not given.
 */
export type FlagValues<S extends FlagSpecs> = {
  -readonly [K in keyof S]: S[K] extends BooleanFlag
    ? boolean
    : S[K] extends { readonly default: unknown }
      ? FlagValue<S[K]>
      : FlagValue<S[K]> | undefined;
};

/** A positional argument, for usage lines and arity checks. */
export interface ArgSpec {
  readonly name: string;
  readonly help: string;
  readonly optional?: boolean;
}

/** What {@link parseFlags} returns. */
export type ParseResult<S extends FlagSpecs> =
  | { readonly help: true }
  | { readonly help: false; readonly flags: FlagValues<S>; readonly args: string[] };

/** Options of {@link parseFlags}. */
export interface ParseOptions {
  /** The command's name, for error messages (`... for 'train' (see unfold train --help)`). */
  readonly command: string;
  /** Positional arguments accepted, in order; none when absent. */
  readonly args?: readonly ArgSpec[];
}

/** `hiddenSize` -> `hidden-size`. */
export function kebabCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Parses a command's arguments against its flag declarations.
 *
 * Accepts `--name value` and `--name=value`; booleans also as a bare `--name`,
 * `--name=true|false` and `--no-name`. A repeated flag keeps its last value. `--`
 * ends the flags; everything after it is positional. `-h`/`--help` anywhere before `--`
 * wins over any other problem, so help is always reachable.
 *
 * Every mistake throws a {@link UsageError} whose message is one line and points at
 * `unfold <command> --help`.
 *
 * @example
 * ```ts
 * const r = parseFlags(
 *   { epochs: { type: 'integer', default: 10, min: 1, help: 'passes over the data' },
 *     cell: { type: 'enum', values: ['rnn', 'lstm', 'gru'], default: 'lstm', help: 'cell kind' } },
 *   ['--epochs=3', '--cell', 'gru'],
 *   { command: 'train' },
 * );
 * if (!r.help) r.flags.epochs; // 3 (typed number), r.flags.cell: 'rnn' | 'lstm' | 'gru'
 * ```
 */
export function parseFlags<const S extends FlagSpecs>(specs: S, argv: readonly string[], options: ParseOptions): ParseResult<S> {
  const end = argv.indexOf('--');
  const flagPart = end === -1 ? argv : argv.slice(0, end);
  if (flagPart.includes('--help') || flagPart.includes('-h')) return { help: true };

  const byCliName = new Map<string, [key: string, spec: FlagSpec]>();
  for (const [key, spec] of Object.entries(specs)) byCliName.set(kebabCase(key), [key, spec]);

  const seeHelp = `(see unfold ${options.command} --help)`;
  const where = `for '${options.command}'`;
  const values: Record<string, unknown> = {};
  const args: string[] = [];

  for (let i = 0; i < flagPart.length; i++) {
    const token = flagPart[i] as string;
    // '-' is the conventional name of stdin; '-3' is a negative number, not a flag.
    if (!token.startsWith('-') || token === '-' || /^-\d/.test(token)) {
      args.push(token);
      continue;
    }
    if (!token.startsWith('--')) throw new UsageError(`unknown flag ${token} ${where} ${seeHelp}`);

    const eq = token.indexOf('=');
    let name = eq === -1 ? token.slice(2) : token.slice(2, eq);
    let inline: string | undefined = eq === -1 ? undefined : token.slice(eq + 1);
    let entry = byCliName.get(name);
    if (entry === undefined && name.startsWith('no-') && inline === undefined) {
      const positive = byCliName.get(name.slice(3));
      if (positive?.[1].type === 'boolean') {
        entry = positive;
        name = name.slice(3);
        inline = 'false';
      }
    }
    if (entry === undefined) {
      const hint = suggest(name, [...byCliName.keys()]);
      throw new UsageError(`unknown flag --${name} ${where}${hint === undefined ? '' : `; did you mean --${hint}?`} ${seeHelp}`);
    }
    const [key, spec] = entry;

    let raw: string;
    if (inline !== undefined) {
      raw = inline;
    } else if (spec.type === 'boolean') {
      raw = 'true';
    } else {
      const next = flagPart[i + 1];
      // `--lr --epochs 3` is a forgotten value, not the string "--epochs".
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UsageError(`--${name} ${where} needs a value ${seeHelp}`);
      }
      raw = next;
      i++;
    }
    values[key] = convert(spec, raw, `--${name} ${where}`, seeHelp);
  }

  if (end !== -1) args.push(...argv.slice(end + 1));
  checkArity(args, options, seeHelp);

  for (const [key, spec] of Object.entries(specs)) {
    if (!(key in values)) values[key] = spec.default ?? (spec.type === 'boolean' ? false : undefined);
  }
  return { help: false, flags: values as FlagValues<S>, args };
}

function convert(spec: FlagSpec, raw: string, what: string, seeHelp: string): string | number | boolean {
  switch (spec.type) {
    case 'string':
      return raw;
    case 'boolean':
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw new UsageError(`${what} must be true or false, got '${raw}' ${seeHelp}`);
    case 'enum':
      if ((spec.values as readonly string[]).includes(raw)) return raw;
      throw new UsageError(`${what} must be one of ${spec.values.join(', ')}; got '${raw}' ${seeHelp}`);
    case 'number':
    case 'integer': {
      // Number('') is 0 and Number(' 1') is 1: reject blanks explicitly.
      const value = raw.trim() === raw && raw !== '' ? Number(raw) : Number.NaN;
      const valid = spec.type === 'integer' ? Number.isSafeInteger(value) : Number.isFinite(value);
      if (!valid) throw new UsageError(`${what} must be ${spec.type === 'integer' ? 'an integer' : 'a number'}, got '${raw}' ${seeHelp}`);
      if (spec.min !== undefined && value < spec.min) throw new UsageError(`${what} must be at least ${spec.min}, got ${raw} ${seeHelp}`);
      if (spec.max !== undefined && value > spec.max) throw new UsageError(`${what} must be at most ${spec.max}, got ${raw} ${seeHelp}`);
      return value;
    }
  }
}

function checkArity(args: readonly string[], options: ParseOptions, seeHelp: string): void {
  const specs = options.args ?? [];
  const required = specs.filter((a) => a.optional !== true).length;
  if (args.length > specs.length) {
    const extra = args[specs.length] as string;
    throw new UsageError(`unexpected argument '${extra}' for '${options.command}' ${seeHelp}`);
  }
  if (args.length < required) {
    const missing = specs[args.length] as ArgSpec;
    throw new UsageError(`'${options.command}' needs <${missing.name}> ${seeHelp}`);
  }
}

/** The closest candidate within edit distance 2 (and less than the name's length), for "did you mean". */
export function suggest(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(3, name.length);
  for (const candidate of candidates) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The `Flags:` block of a command's help, one flag per line with its type, default and
 * help, aligned. `-h, --help` comes last.
 */
export function formatFlagHelp(specs: FlagSpecs): string[] {
  const rows: [string, string][] = Object.entries(specs).map(([key, spec]) => {
    const name = `--${kebabCase(key)}`;
    const left = spec.type === 'boolean' ? name : `${name} <${placeholder(spec)}>`;
    const shown = spec.type === 'boolean' ? (spec.default === true ? 'true' : undefined) : spec.default;
    return [left, shown === undefined ? spec.help : `${spec.help} (default: ${shown})`];
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`);
}

function placeholder(spec: Exclude<FlagSpec, BooleanFlag>): string {
  switch (spec.type) {
    case 'string':
      return spec.placeholder ?? 'string';
    case 'enum':
      return spec.values.join('|');
    case 'number':
    case 'integer':
      return spec.type;
  }
}
