import { readFile, stat, writeFile } from 'node:fs/promises';
import { loadModelFile, saveModelFile } from '../../io/node.js';
import type { TreeClassifier } from '../../models/tree/tree-classifier.js';
import { Rng } from '../../tensor/index.js';
import { TextError, decodeUtf8 } from '../../train/text.js';
import { TREE_TASKS, sampleTrees, type SyntheticTreeTask } from '../../train/tree/tasks.js';
import {
  TREE_TASK_DEFAULTS, evaluateTreeClassifier, heightRange, trainTreeData, trainTreeTask, treeClassifierFile, treeClassifierFromFile,
  type TreeEvaluation, type TreeFitProgress, type TreeTaskResult,
} from '../../train/tree/trainer.js';
import { TreeParseError, parseTrees, type NodeLabel } from '../../tree/parse.js';
import { TREE_CELL_KINDS } from '../../tree/registry.js';
import { treeToSvg } from '../../tree/svg.js';
import { preOrder, treeHeight, treeSize, type Tree } from '../../tree/tree.js';
import { defineCommand, type Command } from '../command.js';
import { UsageError, suggest } from '../flags.js';
import { createReporter, jsonFlag, type Reporter } from '../output.js';

const TASKS = Object.keys(TREE_TASKS) as SyntheticTreeTask[];

/** Flags shared by `tree train` and `tree eval`: where the held-out trees come from, and the picture. */
const dataFlags = {
  task: { type: 'enum', values: TASKS, help: `synthetic task (${TASKS.join(', ')}); the default without --data is arithmetic` },
  data: { type: 'string', placeholder: 'file', help: 'bracketed trees, one per line, a label at every node (SST format)' },
  testDepthMin: { type: 'integer', min: 0, default: TREE_TASK_DEFAULTS.testDepthMin, help: 'synthetic held-out trees: least height' },
  testDepthMax: { type: 'integer', min: 0, default: TREE_TASK_DEFAULTS.testDepthMax, help: 'synthetic held-out trees: greatest height' },
  testSize: { type: 'integer', min: 1, default: TREE_TASK_DEFAULTS.testSize, help: 'synthetic held-out trees: how many' },
  seed: { type: 'integer', default: TREE_TASK_DEFAULTS.seed, help: 'random seed (data, initialisation, split)' },
  svg: { type: 'string', default: 'tree.svg', placeholder: 'file', help: "picture of a held-out tree with every node's prediction ('' for none)" },
} as const;

const trainCommand = defineCommand({
  name: 'tree train',
  summary: 'train a recursive network to label every node of a tree (expressions, formulas, a treebank)',
  description:
    'Trees are folded bottom-up by level: all nodes of one height across the batch go through one gemm per level. ' +
    'Synthetic tasks draw fresh trees of depth --train-depth-min..--train-depth-max every step and are measured on ' +
    'held-out trees of depth --test-depth-min..--test-depth-max (deeper than any seen, by default). ' +
    'Depth is the height of a tree: edges on its longest root-to-leaf path.',
  flags: {
    ...jsonFlag,
    ...dataFlags,
    testData: { type: 'string', placeholder: 'file', help: 'held-out trees for --data (default: a seeded split of --data)' },
    testFraction: { type: 'number', min: 0, max: 0.9, default: 0.1, help: 'share of --data held out when there is no --test-data' },
    cell: { type: 'enum', values: TREE_CELL_KINDS, default: TREE_TASK_DEFAULTS.cell, help: 'tree cell kind' },
    hidden: { type: 'integer', min: 1, default: TREE_TASK_DEFAULTS.hidden, help: 'units in a node state' },
    embedding: { type: 'integer', min: 1, default: TREE_TASK_DEFAULTS.embedding, help: 'size of a word vector' },
    batch: { type: 'integer', min: 1, default: TREE_TASK_DEFAULTS.batch, help: 'trees per step' },
    lr: { type: 'number', min: 0, default: TREE_TASK_DEFAULTS.lr, help: 'Adam learning rate (decays linearly to a tenth)' },
    clipNorm: { type: 'number', min: 0, default: TREE_TASK_DEFAULTS.clipNorm, help: 'global gradient-norm clip' },
    minutes: { type: 'number', min: 0, default: TREE_TASK_DEFAULTS.minutes, help: 'training time budget' },
    steps: { type: 'integer', min: 0, default: TREE_TASK_DEFAULTS.steps, help: 'at most this many optimizer steps' },
    supervise: { type: 'enum', values: ['nodes', 'roots'], default: TREE_TASK_DEFAULTS.supervise, help: 'train on every node label or on root labels only' },
    target: { type: 'number', min: 0, max: 1, default: TREE_TASK_DEFAULTS.target, help: 'stop early at this node accuracy on fresh training-depth trees (1: never)' },
    warmup: { type: 'integer', min: 0, default: TREE_TASK_DEFAULTS.warmup, help: 'steps of linear learning-rate warm-up (0: none)' },
    average: { type: 'number', min: 0, max: 0.99999, default: TREE_TASK_DEFAULTS.average, help: 'keep a moving average of the weights with this decay and end with it (0: off)' },
    trainDepthMin: { type: 'integer', min: 0, default: TREE_TASK_DEFAULTS.trainDepthMin, help: 'synthetic training trees: least height' },
    trainDepthMax: { type: 'integer', min: 0, default: TREE_TASK_DEFAULTS.trainDepthMax, help: 'synthetic training trees: greatest height' },
    out: { type: 'string', placeholder: 'file', help: 'save the trained model here (for unfold tree eval)' },
  },
  examples: [
    'unfold tree train --task arithmetic --json',
    'unfold tree train --task boolean --cell child-sum-lstm --minutes 2 --out bool.unf',
    'unfold tree train --data sst-train.txt --test-data sst-dev.txt --cell nary-lstm --hidden 150',
  ],
  async run({ flags, io }) {
    if (flags.trainDepthMax < flags.trainDepthMin) throw new UsageError('--train-depth-max must be at least --train-depth-min');
    const report = createReporter(io, { json: flags.json, command: 'tree train' });
    const progress = (p: TreeFitProgress): void => report.progress({
      done: Number(p.seconds.toFixed(1)), total: flags.minutes * 60, unit: 's', label: `tree ${flags.cell}`, metrics: { step: p.step, loss: p.loss },
    });
    const fit = { ...TREE_TASK_DEFAULTS, ...flags, supervise: flags.supervise as 'nodes' | 'roots' };
    let run;
    let metadata: Record<string, string>;
    if (flags.data !== undefined) {
      if (flags.task !== undefined) throw new UsageError('give --task or --data, not both');
      const { train, test } = await loadData(flags.data, flags.testData, flags.testFraction, flags.seed);
      run = trainTreeData({ ...fit, name: flags.data }, train, test, progress);
      metadata = { task: flags.data };
    } else {
      const task = flags.task ?? 'arithmetic';
      checkTestDepths(flags);
      run = trainTreeTask({ ...fit, task }, progress);
      metadata = { task };
    }
    metadata['trainDepths'] = JSON.stringify(run.result.trainDepths);
    if (run.result.diverged === true) report.note('training stopped: the loss or a gradient became non-finite');
    if (flags.out !== undefined) await saveModelFile(flags.out, treeClassifierFile(run.model, metadata));
    const svg = await drawPrediction(flags.svg, run.model, run.testTrees, run.evaluation, run.result.task);
    finish(report, run.result, { ...(flags.out === undefined ? {} : { model: flags.out }), ...(svg === null ? {} : { svg }) });
    return 0;
  },
});

const evalCommand = defineCommand({
  name: 'tree eval',
  summary: 'measure a saved tree classifier on held-out trees (root and node accuracy)',
  description: 'Loads a model written by unfold tree train --out and labels held-out trees: synthetic ones of the task it was trained on (or --task), or --data.',
  flags: {
    ...jsonFlag,
    ...dataFlags,
    model: { type: 'string', placeholder: 'file', help: 'model file from unfold tree train --out (required)' },
  },
  examples: ['unfold tree eval --model arith.unf --test-depth-min 9 --test-depth-max 10 --json', 'unfold tree eval --model sst.unf --data sst-test.txt'],
  async run({ flags, io }) {
    if (flags.model === undefined) throw new UsageError('--model is required (see unfold tree eval --help)');
    const start = performance.now();
    const report = createReporter(io, { json: flags.json, command: 'tree eval' });
    const { model, metadata } = treeClassifierFromFile(await loadModelFile(flags.model));
    let trees: Tree<NodeLabel>[];
    let task: string;
    if (flags.data !== undefined) {
      if (flags.task !== undefined) throw new UsageError('give --task or --data, not both');
      trees = await parseFile(flags.data);
      task = flags.data;
    } else {
      const saved = metadata['task'];
      const name = flags.task ?? (TASKS.includes(saved as SyntheticTreeTask) ? (saved as SyntheticTreeTask) : undefined);
      if (name === undefined) throw new UsageError(`the model was trained on '${saved ?? '?'}', not a synthetic task: give --data`);
      checkTestDepths(flags);
      trees = sampleTrees(TREE_TASKS[name], new Rng(flags.seed + 1_000_003), flags.testSize, flags.testDepthMin, flags.testDepthMax);
      task = name;
    }
    if (trees.length === 0) throw new TextError('no trees to evaluate');
    const evaluation = evaluateTreeClassifier(model, trees);
    const trainDepths = parseDepths(metadata['trainDepths']);
    const result: TreeTaskResult = {
      task, cell: model.config.cell, rootAccuracy: evaluation.rootAccuracy, nodeAccuracy: evaluation.nodeAccuracy,
      trainDepths, testDepths: heightRange(trees), seconds: (performance.now() - start) / 1000, trainSeconds: 0, steps: 0, treesSeen: 0,
      testTrees: trees.length,
    };
    const svg = await drawPrediction(flags.svg, model, trees, evaluation, task);
    finish(report, result, { model: flags.model, ...(svg === null ? {} : { svg }) });
    return 0;
  },
});

const subcommands: readonly Command[] = [trainCommand, evalCommand];

/**
 * `unfold tree train|eval`: recursive networks over trees. `train` fits a tree classifier on
 * a synthetic task (arithmetic, boolean) or a treebank file and reports root and node
 * accuracy on held-out trees with their depths; `eval` measures a saved model.
 */
export const treeCommand: Command = {
  name: 'tree',
  summary: 'recursive networks over trees: unfold tree train | unfold tree eval',
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      const lines = ['Usage: unfold tree <train|eval> [flags]', '', 'Recursive networks over trees.', '', 'Subcommands:'];
      for (const c of subcommands) lines.push(`  ${c.name.slice(5).padEnd(6)} ${c.summary}`);
      lines.push('', 'See unfold tree train --help and unfold tree eval --help.');
      for (const line of lines) (sub === undefined ? io.err : io.out)(line);
      return sub === undefined ? 2 : 0;
    }
    const command = subcommands.find((c) => c.name === `tree ${sub}`);
    if (command === undefined) {
      const hint = suggest(sub, subcommands.map((c) => c.name.slice(5)));
      throw new UsageError(`unknown subcommand 'tree ${sub}'${hint === undefined ? '' : `; did you mean 'tree ${hint}'?`} (see unfold tree --help)`);
    }
    return command.run(rest, io);
  },
};

function checkTestDepths(flags: { testDepthMin: number; testDepthMax: number }): void {
  if (flags.testDepthMax < flags.testDepthMin) throw new UsageError('--test-depth-max must be at least --test-depth-min');
}

function parseDepths(text: string | undefined): [number, number] {
  try {
    const v = JSON.parse(text ?? '') as unknown;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number')) return [v[0] as number, v[1] as number];
  } catch {
    // Older or foreign files: the depths are simply unknown.
  }
  return [-1, -1];
}

async function readTextFile(path: string): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new TextError(`${path}: no such file`);
  }
  if (info.isDirectory()) throw new TextError(`${path} is a directory; give a file of bracketed trees`);
  const bytes = await readFile(path);
  return decodeUtf8(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

async function parseFile(path: string): Promise<Tree<NodeLabel>[]> {
  try {
    return parseTrees(await readTextFile(path));
  } catch (e) {
    // A parse error already says where; add which file.
    if (e instanceof TreeParseError) e.message = `${path}: ${e.message}`;
    throw e;
  }
}

async function loadData(path: string, testPath: string | undefined, fraction: number, seed: number): Promise<{ train: Tree<NodeLabel>[]; test: Tree<NodeLabel>[] }> {
  const all = await parseFile(path);
  if (testPath !== undefined) return { train: all, test: await parseFile(testPath) };
  if (all.length < 2) throw new TextError(`${path} holds ${all.length} tree(s); need at least 2 to hold some out (or give --test-data)`);
  const shuffled = new Rng(seed).shuffle([...all]);
  const held = Math.min(all.length - 1, Math.max(1, Math.round(all.length * fraction)));
  return { train: shuffled.slice(held), test: shuffled.slice(0, held) };
}

/**
 * Writes the picture of one held-out tree with the model's prediction at every node: the
 * deepest tree small enough to read (at most 48 nodes), else the smallest.
 */
async function drawPrediction(path: string, model: TreeClassifier, trees: readonly Tree<NodeLabel>[], evaluation: TreeEvaluation, task: string): Promise<string | null> {
  if (path === '' || trees.length === 0) return null;
  let pick = -1;
  for (const [i, t] of trees.entries()) {
    if (treeSize(t) > 48) continue;
    if (pick < 0 || treeHeight(t) > treeHeight(trees[pick] as Tree<NodeLabel>)) pick = i;
  }
  if (pick < 0) {
    pick = 0;
    for (const [i, t] of trees.entries()) if (treeSize(t) < treeSize(trees[pick] as Tree<NodeLabel>)) pick = i;
  }
  const tree = trees[pick] as Tree<NodeLabel>;
  const predicted = evaluation.predictions[pick] as string[];
  const nodes = preOrder(tree);
  const index = new Map(nodes.map((n, i) => [n, i]));
  const right = nodes.filter((n, i) => predicted[i] === n.value.label).length;
  const svg = treeToSvg(tree, (value, node) => {
    const p = predicted[index.get(node) as number] as string;
    const ok = p === value.label;
    return { text: value.word ?? '', caption: ok ? `${p}` : `${p} (gold ${value.label})`, fill: ok ? '#c8ecc8' : '#f6c1c1' };
  }, { title: `${task} (${model.config.cell}): depth ${treeHeight(tree)}, ${right}/${nodes.length} nodes right; captions are predictions` });
  await writeFile(path, svg);
  return path;
}

function finish(report: Reporter, result: TreeTaskResult, files: Readonly<Record<string, string>>): void {
  const { task, rootAccuracy, nodeAccuracy, trainDepths, testDepths, seconds, ...rest } = result;
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  const depths = (d: readonly number[]): string => (d[0] === d[1] ? `${d[0]}` : `${d[0]}-${d[1]}`);
  const summary = [
    `${task} (${result.cell}): root accuracy ${pct(rootAccuracy)}, node accuracy ${pct(nodeAccuracy)} on ${result.testTrees} held-out trees of depth ${depths(testDepths)}` +
      (trainDepths[0] >= 0 ? ` (trained on depth ${depths(trainDepths)})` : ''),
    result.steps > 0 ? `${result.steps} steps, ${result.treesSeen} trees in ${result.trainSeconds.toFixed(0)} s of training; ${seconds.toFixed(0)} s in all` : `${seconds.toFixed(1)} s`,
    ...Object.entries(files).map(([k, v]) => `${k}: ${v}`),
  ];
  report.result({ task, rootAccuracy, nodeAccuracy, trainDepths, testDepths, seconds, ...rest, ...files }, summary);
}

