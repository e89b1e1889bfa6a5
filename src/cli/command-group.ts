import type { CliIO, Command } from './command.js';
import { UsageError, suggest } from './flags.js';

/**
 * A command with subcommands: `unfold <name> <sub> [flags]`. `unfold <name> --help` lists
 * them, `unfold <name> <sub> --help` shows one; each subcommand is a `defineCommand` named
 * `'<name> <sub>'`, so its help and errors read like the command line.
 *
 * @example
 * ```ts
 * export const ntmCommand = commandGroup('ntm', 'neural Turing machines', [trainSubcommand, evalSubcommand]);
 * ```
 */
export function commandGroup(name: string, summary: string, subcommands: readonly Command[]): Command {
  const word = (c: Command): string => c.name.slice(name.length + 1);
  return {
    name,
    summary,
    async run(argv: readonly string[], io: CliIO) {
      const [sub, ...rest] = argv;
      if (sub === undefined || sub === '--help' || sub === '-h') {
        const lines = [`Usage: unfold ${name} <${subcommands.map(word).join('|')}> [flags]`, '', summary, '', 'Subcommands:'];
        const width = Math.max(...subcommands.map((c) => word(c).length));
        for (const c of subcommands) lines.push(`  ${word(c).padEnd(width)}  ${c.summary}`);
        lines.push('', `See unfold ${name} <subcommand> --help.`);
        for (const line of lines) (sub === undefined ? io.err : io.out).call(io, line);
        return sub === undefined ? 2 : 0;
      }
      const command = subcommands.find((c) => word(c) === sub);
      if (command === undefined) {
        const hint = suggest(sub, subcommands.map(word));
        throw new UsageError(`unknown subcommand '${name} ${sub}'${hint === undefined ? '' : `; did you mean '${hint}'?`} (see unfold ${name} --help)`);
      }
      return command.run(rest, io);
    },
  };
}
