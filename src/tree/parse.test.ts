import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatTree, parseTree, parseTrees, TreeParseError, type NodeLabel } from './parse.js';
import { leafValues, preOrder, treeHeight, type Tree } from './tree.js';

test('parses an SST sentence: a label at every node, words at the leaves', () => {
  const t = parseTree('(3 (2 It) (4 (3 (2 is) (3 good))))');
  assert.deepEqual(t.value, { label: '3', word: null });
  assert.deepEqual(leafValues(t).map((v) => v.word), ['It', 'is', 'good']);
  assert.deepEqual(preOrder(t).map((n) => n.value.label), ['3', '2', '4', '3', '2', '3']);
  assert.equal(treeHeight(t), 3);
});

test('an internal node may carry one word before its children (an operator)', () => {
  const t = parseTree('(7 + (3 3) (4 * (2 2) (2 1)))');
  assert.deepEqual(t.value, { label: '7', word: '+' });
  assert.deepEqual(t.children[1]?.value, { label: '4', word: '*' });
});

test('whitespace of any kind separates tokens and trees; blank lines are fine', () => {
  const trees = parseTrees('\n(1 (1 a)\n\t(0 b))\r\n\n(0 c)  (1 (1 d))\n');
  assert.equal(trees.length, 3);
  assert.equal(formatTree(trees[0] as Tree<NodeLabel>), '(1 (1 a) (0 b))');
});

test('formatTree and parseTree round-trip', () => {
  for (const text of ['(3 (2 It) (4 (3 (2 is) (3 good))))', '(7 + (3 3) (4 * (2 2) (2 1)))', '(0 x)', '(1 and (1 (0 not (1 T))) (1 T))']) {
    assert.equal(formatTree(parseTree(text)), text);
  }
});

/** The error's message, line and column for a malformed input. */
function failure(text: string): [string, number, number] {
  try {
    parseTrees(text);
  } catch (e) {
    assert.ok(e instanceof TreeParseError, String(e));
    assert.equal(e.code, 'parse');
    return [e.message, e.line, e.column];
  }
  return assert.fail(`no error for ${JSON.stringify(text)}`);
}

test('malformed trees get an error with line and column', () => {
  // An unclosed bracket is reported where it opened.
  assert.deepEqual(failure('(3 (2 It)\n  (4 (2 good)'), ["unbalanced brackets: '(' is never closed (line 1, column 1)", 1, 1]);
  assert.deepEqual(failure('(1 (1 a))\n(1 (1 a)))'), ["unbalanced brackets: ')' closes nothing (line 2, column 10)", 2, 10]);
  assert.deepEqual(failure('(3 ( (2 a)))'), ["missing label: '(' must be followed by a label, not by '(' (line 1, column 4)", 1, 4]);
  assert.deepEqual(failure('(3 (2 a) ())'), ["missing label: '(' must be followed by a label, not by ')' (line 1, column 10)", 1, 10]);
  assert.deepEqual(failure('(3 (2 a)\n    (2))'), ["empty leaf: node '(2' has neither a word nor children (line 2, column 5)", 2, 5]);
  assert.match(failure('(3 (2 a b))')[0], /^unexpected word 'b' in node '\(2'.*\(line 1, column 9\)$/);
  assert.match(failure('(3 (2 a) b)')[0], /unexpected word 'b'.*\(line 1, column 10\)$/);
  assert.deepEqual(failure('  hello (1 a)'), ["expected '(' but found 'hello' (line 1, column 3)", 1, 3]);
  // Columns count code points: the emoji is one column.
  assert.deepEqual(failure('(1 (1 \u{1F600}) (1))').slice(1), [1, 10]);
});

test('parseTree wants exactly one tree', () => {
  assert.throws(() => parseTree('  \n'), /expected a tree, found none \(line 2, column 1\)/);
  assert.throws(() => parseTree('(1 a)\n  (2 b)'), /expected one tree, found 2 \(line 2, column 3\)/);
});
