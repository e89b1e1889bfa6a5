import { createRequire } from 'node:module';
import { UnfoldError } from '../tensor/errors.js';
import type { CliIO, Command } from './command.js';
import { commands as defaultCommands } from './commands/index.js';
import { UsageError, suggest } from './flags.js';

/** Exit statuses of `unfold`. */
export const ExitCode = {
  ok: 0,
  /** Something went wrong while running (a bug, a full disk...). */
  failure: 1,
  /** The user asked for something unfold cannot do: bad command, flag or input. */
  usage: 2,
} as const;

/**
 * The version in package.json. Read at run time rather than copied into the source, so
 * a release only bumps one file. `../../package.json` is the package root both from
 * src/cli/ and from the compiled dist/cli/.
 */
export function packageVersion(): string {
  const pkg = createRequire(import.meta.url)('../../package.json') as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : 'unknown';
}

/**
 * Runs `unfold <argv...>` and returns the exit status. Never throws: a {@link UnfoldError}
 * (bad input, including bad flags) prints `unfold: <message>` and returns 2; anything
 * else prints `unfold: <message>` and returns 1, with the stack only when
 * `UNFOLD_DEBUG=1`.
 */
export async function runCli(argv: readonly string[], io: CliIO, commands: readonly Command[] = defaultCommands): Promise<number> {
  try {
    return await dispatch(argv, io, commands);
  } catch (error) {
    io.terminal?.clearStatus();
    const debug = io.env['UNFOLD_DEBUG'] === '1';
    io.err(`unfold: ${oneLine(error instanceof Error ? error.message : String(error))}`);
    if (debug && error instanceof Error && error.stack !== undefined) io.err(error.stack);
    return error instanceof UnfoldError ? ExitCode.usage : ExitCode.failure;
  }
}

async function dispatch(argv: readonly string[], io: CliIO, commands: readonly Command[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) {
    for (const line of mainHelp(commands)) io.err(line);
    return ExitCode.usage;
  }
  if (first === '--help' || first === '-h') {
    for (const line of mainHelp(commands)) io.out(line);
    return ExitCode.ok;
  }
  if (first === '--version' || first === '-v') {
    io.out(packageVersion());
    return ExitCode.ok;
  }
  if (first === 'help') {
    // `unfold help train` is `unfold train --help`.
    const topic = rest[0];
    if (topic === undefined) return dispatch(['--help'], io, commands);
    return dispatch([topic, '--help'], io, commands);
  }
  if (first.startsWith('-')) throw new UsageError(`unknown flag ${first} (see unfold --help)`);

  const command = commands.find((c) => c.name === first);
  if (command === undefined) {
    const hint = suggest(first, commands.map((c) => c.name));
    throw new UsageError(`unknown command '${first}'${hint === undefined ? '' : `; did you mean '${hint}'?`} (see unfold --help)`);
  }
  return command.run(rest, io);
}

/** The text of `unfold --help`. */
export function mainHelp(commands: readonly Command[]): string[] {
  const width = Math.max(0, ...commands.map((c) => c.name.length));
  return [
    `unfold ${packageVersion()}: recurrent and recursive neural networks`,
    '',
    'Usage: unfold <command> [flags]',
    '       unfold <command> --help',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Flags:',
    '  -h, --help     show this help',
    '  -v, --version  print the version',
    '',
    'With --json, a command prints one JSON object per line; the last line is the result.',
    'Exit status: 0 success, 1 failure, 2 bad usage or input. UNFOLD_DEBUG=1 prints stack traces.',
  ];
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
