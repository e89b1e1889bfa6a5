import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The compiled `unfold` executable (dist/cli/main.js). */
export const mainJs = fileURLToPath(new URL('../cli/main.js', import.meta.url));

/**
 * Runs the compiled executable the way a user would: a fresh Node process with no terminal
 * attached and without UNFOLD_DEBUG, so errors look as they do for users.
 *
 * @example
 * ```ts
 * const { status, stdout } = runUnfold('--version');
 * ```
 */
export function runUnfold(...argv: string[]): RunResult {
  return spawnUnfold(argv, null);
}

/**
 * {@link runUnfold} with `input` on the process's standard input (a pipe, closed after it),
 * for commands that read stdin.
 *
 * @example
 * ```ts
 * const { stdout } = runUnfoldWithInput('abc\n', 'seq2seq', 'translate', '--model', dir);
 * ```
 */
export function runUnfoldWithInput(input: string | Buffer, ...argv: string[]): RunResult {
  return spawnUnfold(argv, input);
}

/** What a run of the executable left: exit status (null when killed), stdout and stderr. */
export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function spawnUnfold(argv: readonly string[], input: string | Buffer | null): RunResult {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['UNFOLD_DEBUG'];
  const r = input === null
    ? spawnSync(process.execPath, [mainJs, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env })
    : spawnSync(process.execPath, [mainJs, ...argv], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The non-empty lines of a command's output. */
export const outputLines = (text: string): string[] => text.split('\n').filter((l) => l !== '');

/**
 * The last JSON line of `--json` output, after checking that it is the result and that
 * every line before it is a progress object.
 *
 * @example
 * ```ts
 * const result = jsonResult(runUnfold('gradients', '--length', '5', '--json').stdout);
 * ```
 */
export function jsonResult(stdout: string): Record<string, unknown> {
  const objects = outputLines(stdout).map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(objects.slice(0, -1).every((o) => o['type'] === 'progress'), 'every line before the result is progress');
  const result = objects.at(-1) as Record<string, unknown>;
  assert.equal(result['type'], 'result');
  return result;
}
