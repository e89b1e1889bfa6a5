import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeModelFile, encodeModelFile } from '../../io/index.js';
import { TreeClassifier } from '../../models/tree/tree-classifier.js';
import { Rng } from '../../tensor/index.js';
import { formatTree, parseTree, type NodeLabel } from '../../tree/parse.js';
import { TREE_CELL_KINDS } from '../../tree/registry.js';
import { preOrder, reduceTree, treeHeight, withValues, type Tree } from '../../tree/tree.js';
import { TREE_TASKS, arithmeticTree, booleanTree, sampleTrees } from './tasks.js';
import {
  TREE_FIT_DEFAULTS, TREE_TASK_DEFAULTS, evaluateTreeClassifier, fitTreeClassifier, trainTreeTask, treeClassifierFile, treeClassifierFromFile,
} from './trainer.js';

/** Recomputes an expression's value at every node from the words alone. */
function arithmeticValue(t: Tree<NodeLabel>): number {
  return reduceTree(t, (v, kids: number[]) => {
    const [a = 0, b = 0] = kids;
    if (v.word === '+') return a + b;
    if (v.word === '-') return a - b;
    if (v.word === '*') return a * b;
    return Number(v.word);
  });
}

test('arithmetic trees: exact height, digits at leaves, every label the value mod 10 (exact integers)', () => {
  const rng = new Rng(5);
  for (let h = 0; h <= 6; h++) {
    for (let i = 0; i < 20; i++) {
      const t = arithmeticTree(rng, h);
      assert.equal(treeHeight(t), h);
      for (const node of preOrder(t)) {
        // Heights <= 6 keep exact values below 2^53, so the check can use plain integers.
        const exact = arithmeticValue(node);
        assert.equal(node.value.label, String(((exact % 10) + 10) % 10), formatTree(node));
        assert.equal(node.children.length === 0, /^\d$/.test(node.value.word ?? ''));
      }
    }
  }
  assert.equal(formatTree(arithmeticTree(new Rng(3), 2)), formatTree(arithmeticTree(new Rng(3), 2)), 'seeded');
});

test('boolean trees: truth value at every node; not is unary', () => {
  const rng = new Rng(9);
  let sawNot = false;
  for (let i = 0; i < 50; i++) {
    const t = booleanTree(rng, 1 + (i % 5));
    for (const node of preOrder(t)) {
      const w = node.value.word;
      const kids = node.children.map((c) => Number(c.value.label));
      const expected = w === 'T' ? 1 : w === 'F' ? 0 : w === 'not' ? 1 - kids[0]! : w === 'and' ? kids[0]! & kids[1]! : w === 'or' ? kids[0]! | kids[1]! : kids[0]! ^ kids[1]!;
      assert.equal(node.value.label, String(expected));
      if (w === 'not') {
        sawNot = true;
        assert.equal(node.children.length, 1);
      }
    }
  }
  assert.ok(sawNot);
  assert.throws(() => sampleTrees(TREE_TASKS.boolean, rng, 3, 4, 2), /0 <= min <= max/);
});

test('the classifier labels every node; predictions come back in pre-order', () => {
  const model = new TreeClassifier({ cell: 'nary-lstm', vocabulary: ['1', '2', '+'], classes: ['0', '1', '2', '3'], embeddingSize: 4, hiddenSize: 6 }, new Rng(0));
  const t = parseTree('(3 + (1 1) (2 2))');
  const out = model.forward([t, parseTree('(1 1)')]);
  assert.deepEqual(out.nodeLogits.shape, [4, 4]);
  assert.deepEqual(out.rootLogits.shape, [2, 4]);
  assert.deepEqual(Array.from(model.nodeTargets(out.plan).data).sort(), [1, 1, 2, 3]);
  const [labels] = model.predict(out);
  assert.equal(labels?.length, 3);
  assert.equal(withValues(t, labels!).children.length, 2);
  assert.equal(model.wordIndex(null), 0);
  assert.equal(model.wordIndex('unseen'), 1);
  assert.ok(Number.isFinite(model.nodeLoss(out).item()) && Number.isFinite(model.rootLoss(out).item()));
});

test('model files round-trip every tree cell kind: same predictions after loading', () => {
  const spec = TREE_TASKS.arithmetic;
  const trees = sampleTrees(spec, new Rng(2), 5, 1, 3);
  for (const cell of TREE_CELL_KINDS) {
    const model = new TreeClassifier({ cell, vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: 4, hiddenSize: 6 }, new Rng(1));
    const bytes = encodeModelFile(treeClassifierFile(model, { task: 'arithmetic' }));
    const { model: back, metadata } = treeClassifierFromFile(decodeModelFile(bytes));
    assert.equal(metadata['task'], 'arithmetic');
    assert.deepEqual(Array.from(back.forward(trees).nodeLogits.data), Array.from(model.forward(trees).nodeLogits.data), cell);
  }
  assert.throws(() => treeClassifierFromFile({ tensors: new Map(), metadata: { format: 'other' } }), /not a tree classifier/);
});

test('learns boolean formulas and is right on deeper trees than it was trained on (a few seconds)', () => {
  // The small twin of `unfold tree train --task arithmetic` (which needs minutes to learn its
  // 3 x 10 x 10 table): fresh formulas of depth 1-3 every step, measured on depth 5-6, never
  // seen. Seeds 4, 5, 6 score 0.99, 1.0, 0.985.
  const spec = TREE_TASKS.boolean;
  const rng = new Rng(4);
  const model = new TreeClassifier({ cell: 'nary-lstm', vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: 8, hiddenSize: 16 }, rng);
  const dataRng = rng.fork();
  const fit = fitTreeClassifier(model, (n) => sampleTrees(spec, dataRng, n, 1, 3), { ...TREE_FIT_DEFAULTS, batch: 32, lr: 2e-2, steps: 150, minutes: 1, warmup: 0, average: 0 });
  assert.equal(fit.steps, 150);
  const test = evaluateTreeClassifier(model, sampleTrees(spec, new Rng(77), 200, 5, 6));
  assert.ok(test.rootAccuracy >= 0.95, `root accuracy ${test.rootAccuracy} on depth 5-6`);
  assert.ok(test.nodeAccuracy >= 0.98, `node accuracy ${test.nodeAccuracy} on depth 5-6`);
});

test('weight averaging leaves the moving average of the weights in the model', () => {
  const spec = TREE_TASKS.boolean;
  const model = new TreeClassifier({ cell: 'rnn', vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: 3, hiddenSize: 4, dtype: 'float64' }, new Rng(1));
  const params = model.parameters();
  let avg = params.map((p) => Array.from(p.data));
  const rng = new Rng(2);
  let t = 0;
  fitTreeClassifier(model, (n) => sampleTrees(spec, rng, n, 1, 2), { ...TREE_FIT_DEFAULTS, batch: 4, steps: 3, warmup: 2, average: 0.2 }, () => {
    // After step t the average moves by beta = min(0.2, (1 + t) / (10 + t)) towards the weights.
    const beta = Math.min(0.2, (1 + t) / (10 + t));
    avg = avg.map((a, i) => a.map((v, j) => beta * v + (1 - beta) * (params[i]!.data[j] as number)));
    t++;
  });
  params.forEach((p, i) => Array.from(p.data).forEach((v, j) => assert.ok(Math.abs(v - avg[i]![j]!) < 1e-12)));
});

test('trainTreeTask reports the depths it trained and tested on', () => {
  const run = trainTreeTask({ ...TREE_TASK_DEFAULTS, hidden: 8, embedding: 4, batch: 8, steps: 3, testSize: 10, testDepthMin: 5, testDepthMax: 6 });
  assert.deepEqual(run.result.trainDepths, [1, 5]);
  assert.deepEqual(run.result.testDepths, [5, 6]);
  assert.equal(run.result.steps, 3);
  assert.equal(run.evaluation.predictions.length, 10);
});
