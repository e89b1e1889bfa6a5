// Runs the README's code so the tour cannot drift from the library. It lives with the
// CLI because it is a Node-side check of what users see, like the executable tests.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** The ```ts blocks that import the package: the ones a reader would paste and run. */
const blocks = [...readme.matchAll(/^```ts\n([\s\S]*?)^```$/gm)]
  .map((m) => m[1] as string)
  .filter((code) => code.includes("from 'unfold'"));

/**
 * `console.log(...); // expected` comments, in order; `...` in the expectation matches
 * anything (values that are seeded but not worth spelling out).
 */
function expectations(code: string): RegExp[] {
  return code
    .split('\n')
    .filter((line) => line.includes('console.log(') && line.includes('// '))
    .map((line) => line.slice(line.lastIndexOf('// ') + 3).trim())
    .map((expected) => new RegExp(`^${expected.split('...').map(escapeRegExp).join('.*')}$`));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

test('the README has a tour', () => {
  assert.ok(blocks.length >= 1, 'no ```ts block importing from unfold in README.md');
});

for (const [i, code] of blocks.entries()) {
  test(`README example ${i + 1} runs and prints what its comments say`, () => {
    // The code is valid JavaScript too; `import 'unfold'` resolves to this package
    // through its own "exports" (a package may import itself by name).
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 0, `example ${i + 1} failed:\n${r.stderr}`);
    const printed = r.stdout.split('\n').filter((l) => l !== '');
    const expected = expectations(code);
    assert.equal(printed.length, expected.length, `printed:\n${r.stdout}`);
    for (const [k, pattern] of expected.entries()) assert.match(printed[k] ?? '', pattern);
  });
}
