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
export function runUnfold(...argv: string[]): { status: number | null; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['UNFOLD_DEBUG'];
  const r = spawnSync(process.execPath, [mainJs, ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env });
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
