import { formatFlagHelp, kebabCase, parseFlags, type ArgSpec, type FlagSpecs, type FlagValues } from './flags.js';

/**
 * Where a command writes. Commands never touch `process` directly, so they run the same
 * under tests (capturing lines) as in a terminal.
 */
export interface CliIO {
  /** One line to stdout: results, `--json` objects, help. */
  out(line: string): void;
  /** One line to stderr: diagnostics, warnings. */
  err(line: string): void;
  /**
   * Raw text to stdout, no newline added: for output streamed a piece at a time (generated
   * text). Absent where output is collected by lines; callers then fall back to `out`.
   */
  stream?(text: string): void;
  /**
   * The terminal behind stderr, for a redrawn status line (a progress bar); `null` when
   * stderr is a file or a pipe, where a bar would only litter the log.
   */
  readonly terminal: Terminal | null;
  /** Environment variables (UNFOLD_DEBUG...). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** A status line on an interactive stderr; `err` lines are printed above it. */
export interface Terminal {
  /** Width in characters, for fitting the status line. */
  readonly columns: number;
  /** Replaces the status line with `text` (one line, no newline). */
  status(text: string): void;
  /** Removes the status line. */
  clearStatus(): void;
}

/**
 * One `unfold <name>` subcommand. `run` gets the arguments after the command name and
 * returns the exit status: 0 success, 1 failure, 2 bad usage.
 */
export interface Command {
  readonly name: string;
  /** One line, shown by `unfold --help`. */
  readonly summary: string;
  run(argv: readonly string[], io: CliIO): Promise<number>;
}

/** The declaration {@link defineCommand} turns into a {@link Command}. */
export interface CommandSpec<S extends FlagSpecs> {
  readonly name: string;
  readonly summary: string;
  /** Paragraphs of help after the usage line. */
  readonly description?: string;
  readonly args?: readonly ArgSpec[];
  readonly flags: S;
  /** Lines of examples for the help, without the leading `$ `. */
  readonly examples?: readonly string[];
  run(input: { readonly flags: FlagValues<S>; readonly args: readonly string[]; readonly io: CliIO }): Promise<number>;
}

/**
 * Builds a command whose flags are parsed and type-checked before `run` sees them, and
 * whose `--help` is generated from the same declarations, so help never drifts from
 * behaviour. Bad flags throw a `UsageError` (one line, exit 2).
 *
 * @example
 * ```ts
 * export const greet = defineCommand({
 *   name: 'greet',
 *   summary: 'Say hello',
 *   flags: { times: { type: 'integer', default: 1, min: 1, help: 'how often' } },
 *   async run({ flags, io }) {
 *     for (let i = 0; i < flags.times; i++) io.out('hello');
 *     return 0;
 *   },
 * });
 * ```
 */
export function defineCommand<const S extends FlagSpecs>(spec: CommandSpec<S>): Command {
  for (const [key, flag] of Object.entries(spec.flags)) {
    // Programming errors in a declaration, caught the first time the module loads.
    if (key === 'help') throw new Error(`command '${spec.name}': --help is built in`);
    if (flag.type === 'enum' && flag.default !== undefined && !flag.values.includes(flag.default)) {
      throw new Error(`command '${spec.name}': default of --${kebabCase(key)} is not one of its values`);
    }
  }
  return {
    name: spec.name,
    summary: spec.summary,
    async run(argv, io) {
      const parsed = parseFlags(spec.flags, argv, { command: spec.name, args: spec.args ?? [] });
      if (parsed.help) {
        for (const line of commandHelp(spec)) io.out(line);
        return 0;
      }
      return spec.run({ flags: parsed.flags, args: parsed.args, io });
    },
  };
}

/** The `unfold <name> --help` text of a declared command. */
export function commandHelp<S extends FlagSpecs>(spec: Omit<CommandSpec<S>, 'run'>): string[] {
  const args = (spec.args ?? []).map((a) => (a.optional === true ? `[${a.name}]` : `<${a.name}>`));
  const lines = [`Usage: unfold ${[spec.name, ...args].join(' ')} [flags]`, '', spec.summary];
  if (spec.description !== undefined) lines.push('', ...spec.description.split('\n'));
  if (spec.args !== undefined && spec.args.length > 0) {
    const width = Math.max(...spec.args.map((a) => a.name.length));
    lines.push('', 'Arguments:', ...spec.args.map((a) => `  ${a.name.padEnd(width)}  ${a.help}`));
  }
  lines.push('', 'Flags:', ...formatFlagHelp(spec.flags));
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push('', 'Examples:', ...spec.examples.map((e) => `  $ ${e}`));
  }
  return lines;
}
