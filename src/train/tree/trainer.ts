import { backward, noGrad } from '../../autograd/index.js';
import { withResidentWeights } from '../../kernels/index.js';
import { loadParameters, parameterTensors, type ModelFileContents } from '../../io/index.js';
import { TreeClassifier, type AnyTreeClassifierConfig } from '../../models/tree/tree-classifier.js';
import { Adam, clipGradNorm, hasNonFinite } from '../../optim/index.js';
import { ArgumentError, Rng, type Tensor, type TypedArray } from '../../tensor/index.js';
import type { NodeLabel } from '../../tree/parse.js';
import type { TreeCellKind } from '../../tree/registry.js';
import { treeHeight, type Tree } from '../../tree/tree.js';
import { TREE_TASKS, sampleTrees, type SyntheticTreeTask } from './tasks.js';

/** How a tree classifier is trained; every field has a default in {@link TREE_FIT_DEFAULTS}. */
export interface TreeFitConfig {
  /** Trees per optimizer step: every level of the whole batch is one gemm. */
  readonly batch: number;
  /** Adam's learning rate at the start; it decays linearly to lr / 10 over the time budget. */
  readonly lr: number;
  /** Global gradient-norm clip. */
  readonly clipNorm: number;
  /** Wall-clock budget for training. */
  readonly minutes: number;
  /** Upper bound on optimizer steps (whichever of minutes and steps comes first). */
  readonly steps: number;
  /** 'nodes': the loss covers every labelled node; 'roots': the root labels only. */
  readonly supervise: 'nodes' | 'roots';
  /**
   * Stop early once the node accuracy on a fresh batch from the training distribution,
   * checked every 50 steps, reaches this (1 or more: never stop early).
   */
  readonly target: number;
  /** Steps over which the learning rate ramps up linearly from lr / warmup to lr (0: none). */
  readonly warmup: number;
  /**
   * Weight averaging: keep an exponential moving average of the parameters,
   * avg = beta avg + (1 - beta) theta after every step (beta ramps up as (1 + t) / (10 + t)
   * to this value, so early steps are not frozen in), and leave the AVERAGE in the model at
   * the end (Polyak & Juditsky 1992). 0 turns it off.
   */
  readonly average: number;
}

/** Defaults of {@link TreeFitConfig}, in one place. */
export const TREE_FIT_DEFAULTS = {
  batch: 64, lr: 1e-2, clipNorm: 5, minutes: 9, steps: 1_000_000, supervise: 'nodes', target: 1, warmup: 300, average: 0.999,
} as const satisfies TreeFitConfig;

/** Progress of a fit. */
export interface TreeFitProgress {
  readonly step: number;
  readonly loss: number;
  readonly treesSeen: number;
  readonly seconds: number;
}

/** What {@link fitTreeClassifier} did. */
export interface TreeFitResult {
  readonly steps: number;
  readonly treesSeen: number;
  readonly seconds: number;
  /** The last step's loss. */
  readonly loss: number;
  /** Set when training stopped on a non-finite loss or gradient. */
  readonly diverged?: boolean;
}

/**
 * Trains a {@link TreeClassifier} with Adam and gradient-norm clipping on batches drawn from
 * `nextBatch`, within a time and step budget. The learning rate (after an optional linear
 * warm-up) decays linearly from lr to lr / 10 over the budget (time or steps, whichever is
 * nearer), and the model ends with a moving average of its weights: both settle the last
 * tenths of a percent of accuracy that deeper test trees multiply up (a depth-8 expression
 * has some 30 compositions, each of which must be right).
 *
 * @example
 * ```ts
 * const rng = new Rng(0);
 * fitTreeClassifier(model, (n) => sampleTrees(TREE_TASKS.arithmetic, rng, n, 1, 4), { ...TREE_FIT_DEFAULTS, minutes: 1 });
 * ```
 */
export function fitTreeClassifier(
  model: TreeClassifier,
  nextBatch: (size: number) => Tree<NodeLabel>[],
  config: TreeFitConfig,
  onProgress: (p: TreeFitProgress) => void = () => undefined,
  now: () => number = () => performance.now(),
): TreeFitResult {
  for (const key of ['batch', 'steps'] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 0 || (key === 'batch' && config[key] < 1)) {
      throw new ArgumentError('fitTreeClassifier', `${key} must be a positive integer, got ${config[key]}`);
    }
  }
  const params = model.parameters();
  const optimizer = new Adam(params, { lr: config.lr });
  const start = now();
  const budget = config.minutes * 60_000;
  let step = 0;
  let loss = Number.NaN;
  let diverged = false;
  const averaged = config.average > 0 ? params.map((p) => p.data.slice()) : null;
  model.train();
  while (step < config.steps && now() - start < budget) {
    const progress = Math.max((now() - start) / budget, step / config.steps);
    const ramp = config.warmup > 0 ? Math.min(1, (step + 1) / config.warmup) : 1;
    optimizer.lr = ramp * config.lr * (1 - 0.9 * Math.min(1, progress));
    const out = model.forward(nextBatch(config.batch));
    const lossTensor = config.supervise === 'nodes' ? model.nodeLoss(out) : model.rootLoss(out);
    loss = lossTensor.item();
    if (!Number.isFinite(loss)) {
      diverged = true;
      break;
    }
    backward(lossTensor);
    clipGradNorm(params, config.clipNorm);
    if (hasNonFinite(params.map((p) => p.grad).filter((g): g is Tensor => g !== null))) {
      diverged = true;
      break;
    }
    optimizer.step();
    optimizer.zeroGrad();
    if (averaged !== null) {
      const beta = Math.min(config.average, (1 + step) / (10 + step));
      for (const [i, p] of params.entries()) blendInto(averaged[i] as TypedArray, p.data, beta);
    }
    step++;
    onProgress({ step, loss, treesSeen: step * config.batch, seconds: (now() - start) / 1000 });
    if (config.target < 1 && step % 50 === 0) {
      const check = evaluateTreeClassifier(model, nextBatch(Math.max(config.batch, 256)));
      model.train();
      if (check.nodeAccuracy >= config.target) break;
    }
  }
  if (averaged !== null && step > 0) for (const [i, p] of params.entries()) p.data.set(averaged[i] as Float32Array | Float64Array);
  model.eval();
  return { steps: step, treesSeen: step * config.batch, seconds: (now() - start) / 1000, loss, ...(diverged ? { diverged } : {}) };
}

// avg = beta avg + (1 - beta) x, element by element. A function of its own: inlined in
// fitTreeClassifier's loop it took 5.8 ms a step for the default model, about a tenth of the
// step (V8 profile of 200 steps: 1,160 ms of self time, 198 ms as this function).
function blendInto(avg: TypedArray, x: TypedArray, beta: number): void {
  const keep = 1 - beta;
  for (let j = 0; j < x.length; j++) avg[j] = beta * (avg[j] as number) + keep * (x[j] as number);
}

/** Accuracy of a classifier on labelled trees, and its prediction at every node. */
export interface TreeEvaluation {
  /** Fraction of trees whose root label is predicted right. */
  readonly rootAccuracy: number;
  /** Fraction of all labelled nodes predicted right. */
  readonly nodeAccuracy: number;
  /** Per tree, the predicted label of every node in pre-order. */
  readonly predictions: string[][];
}

/**
 * Measures root and node accuracy on `trees`, in batches of `batch` trees, without
 * recording gradients. Nodes whose label is not one of the model's classes are not counted.
 *
 * @example
 * ```ts
 * const { rootAccuracy, nodeAccuracy } = evaluateTreeClassifier(model, testTrees);
 * ```
 */
export function evaluateTreeClassifier(model: TreeClassifier, trees: readonly Tree<NodeLabel>[], batch = 256): TreeEvaluation {
  if (trees.length === 0) throw new ArgumentError('evaluateTreeClassifier', 'needs at least one tree');
  const wasTraining = model.training;
  model.eval();
  let rootsRight = 0;
  let roots = 0;
  let nodesRight = 0;
  let nodes = 0;
  const predictions: string[][] = [];
  // Weights fixed for the whole evaluation: kept in wasm memory (packed) across its batches.
  noGrad(() => withResidentWeights(() => {
    for (let i = 0; i < trees.length; i += batch) {
      const out = model.forward(trees.slice(i, i + batch));
      const predicted = model.predict(out);
      const { plan } = out;
      for (let b = 0; b < plan.trees.length; b++) {
        const labels = predicted[b] as string[];
        predictions.push(labels);
        for (let g = plan.treeOffsets[b] as number, k = 0; g < (plan.treeOffsets[b + 1] as number); g++, k++) {
          const gold = (plan.nodes[plan.preOrderRows[g] as number] as Tree<NodeLabel>).value.label;
          if (model.classIndex(gold) < 0) continue;
          const right = labels[k] === gold;
          nodes++;
          if (right) nodesRight++;
          if (k === 0) {
            roots++;
            if (right) rootsRight++;
          }
        }
      }
    }
  }));
  model.train(wasTraining);
  return { rootAccuracy: roots > 0 ? rootsRight / roots : 0, nodeAccuracy: nodes > 0 ? nodesRight / nodes : 0, predictions };
}

/**
 * The smallest and largest height among trees: the `trainDepths` / `testDepths` of a report.
 *
 * @example
 * ```ts
 * heightRange([parseTree('(1 a)'), parseTree('(2 (1 a) (1 b))')]); // [0, 1]
 * ```
 */
export function heightRange(trees: readonly Tree<unknown>[]): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const t of trees) {
    const h = treeHeight(t);
    if (h < min) min = h;
    if (h > max) max = h;
  }
  return [min, max];
}

/** Config of {@link trainTreeTask}; defaults in {@link TREE_TASK_DEFAULTS}. */
export interface TreeTaskConfig extends TreeFitConfig {
  readonly task: SyntheticTreeTask;
  readonly cell: TreeCellKind;
  /** Size of the node state. */
  readonly hidden: number;
  /** Size of a word vector. */
  readonly embedding: number;
  /** Training trees have heights trainDepthMin..trainDepthMax (drawn fresh every step). */
  readonly trainDepthMin: number;
  readonly trainDepthMax: number;
  /** Held-out trees have heights testDepthMin..testDepthMax. */
  readonly testDepthMin: number;
  readonly testDepthMax: number;
  /** Held-out trees to measure on. */
  readonly testSize: number;
  readonly seed: number;
}

/**
 * Defaults of {@link TreeTaskConfig}: train on expressions of depth 1-5, test on 6-8 (never
 * seen), with a binary Tree-LSTM of 128 units; 9 minutes of training keep a whole run, with
 * the measurement, within 10 minutes. (Training on depth 1-4 reaches 100% at depth 5 but
 * 88-95% at depth 8: a learned composition drifts a little with every level it has never
 * been applied at; one more training level halves that drift at 6-8.)
 */
export const TREE_TASK_DEFAULTS = {
  ...TREE_FIT_DEFAULTS,
  task: 'arithmetic', cell: 'nary-lstm', hidden: 128, embedding: 32,
  trainDepthMin: 1, trainDepthMax: 5, testDepthMin: 6, testDepthMax: 8, testSize: 1000, seed: 1,
} as const satisfies TreeTaskConfig;

/** The figures of a tree task run, as `unfold tree train --json` prints them. */
export interface TreeTaskResult {
  readonly task: string;
  readonly cell: TreeCellKind;
  readonly rootAccuracy: number;
  readonly nodeAccuracy: number;
  /** [min, max] height of the training trees. */
  readonly trainDepths: [number, number];
  /** [min, max] height of the held-out trees. */
  readonly testDepths: [number, number];
  /** Wall-clock seconds of the whole run (training and measuring). */
  readonly seconds: number;
  readonly trainSeconds: number;
  readonly steps: number;
  readonly treesSeen: number;
  readonly testTrees: number;
  readonly diverged?: boolean;
}

/** A run's figures with the trained model, the held-out trees and the predictions on them. */
export interface TreeTaskRun {
  readonly result: TreeTaskResult;
  readonly model: TreeClassifier;
  readonly testTrees: readonly Tree<NodeLabel>[];
  readonly evaluation: TreeEvaluation;
}

/**
 * Trains a tree classifier on a synthetic task (fresh random trees at the training heights
 * every step) and measures it on held-out trees drawn from other heights, usually deeper:
 * the test of whether a recursive network learned the composition rule itself.
 *
 * @example
 * ```ts
 * const { result } = trainTreeTask({ ...TREE_TASK_DEFAULTS, minutes: 2 });
 * result.rootAccuracy; // on depths 6-8 after training on 1-5
 * ```
 */
export function trainTreeTask(config: TreeTaskConfig, onProgress?: (p: TreeFitProgress) => void, now: () => number = () => performance.now()): TreeTaskRun {
  const start = now();
  const spec = TREE_TASKS[config.task];
  const rng = new Rng(config.seed);
  const dataRng = rng.fork();
  const testRng = new Rng(config.seed + 1_000_003);
  const model = new TreeClassifier({
    cell: config.cell, vocabulary: spec.vocabulary, classes: spec.classes, embeddingSize: config.embedding, hiddenSize: config.hidden,
  }, rng);
  const fit = fitTreeClassifier(model, (n) => sampleTrees(spec, dataRng, n, config.trainDepthMin, config.trainDepthMax), config, onProgress, now);
  const testTrees = sampleTrees(spec, testRng, config.testSize, config.testDepthMin, config.testDepthMax);
  const evaluation = evaluateTreeClassifier(model, testTrees);
  const result: TreeTaskResult = {
    task: config.task, cell: config.cell,
    rootAccuracy: evaluation.rootAccuracy, nodeAccuracy: evaluation.nodeAccuracy,
    trainDepths: [config.trainDepthMin, config.trainDepthMax], testDepths: heightRange(testTrees),
    seconds: (now() - start) / 1000, trainSeconds: fit.seconds, steps: fit.steps, treesSeen: fit.treesSeen, testTrees: testTrees.length,
    ...(fit.diverged === true ? { diverged: true } : {}),
  };
  return { result, model, testTrees, evaluation };
}

/** Config of {@link trainTreeData}: the fit options plus the model's sizes. */
export interface TreeDataConfig extends TreeFitConfig {
  readonly cell: TreeCellKind;
  readonly hidden: number;
  readonly embedding: number;
  readonly seed: number;
  /** A name for the data in the result (e.g. the file). */
  readonly name: string;
}

/**
 * Trains a tree classifier on labelled trees (e.g. a sentiment treebank: words at the
 * leaves, a label at every node), reshuffling each epoch, and measures it on `testTrees`.
 * The vocabulary is the training trees' words; the classes are every label seen, sorted
 * (numerically when all are numbers).
 *
 * @example
 * ```ts
 * const run = trainTreeData({ ...TREE_TASK_DEFAULTS, name: 'sst', minutes: 1 }, parseTrees(train), parseTrees(test));
 * run.result.rootAccuracy;
 * ```
 */
export function trainTreeData(
  config: TreeDataConfig,
  trainTrees: readonly Tree<NodeLabel>[],
  testTrees: readonly Tree<NodeLabel>[],
  onProgress?: (p: TreeFitProgress) => void,
  now: () => number = () => performance.now(),
): TreeTaskRun {
  if (trainTrees.length === 0 || testTrees.length === 0) throw new ArgumentError('trainTreeData', 'needs training and test trees');
  const start = now();
  const rng = new Rng(config.seed);
  const words = new Set<string>();
  const labels = new Set<string>();
  for (const t of trainTrees) {
    const stack: Tree<NodeLabel>[] = [t];
    while (stack.length > 0) {
      const node = stack.pop() as Tree<NodeLabel>;
      if (node.value.word !== null) words.add(node.value.word);
      labels.add(node.value.label);
      for (const c of node.children) stack.push(c);
    }
  }
  const classes = [...labels];
  const numeric = classes.every((c) => c.trim() !== '' && Number.isFinite(Number(c)));
  classes.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  const maxChildren = Math.max(...trainTrees.concat(testTrees).map(maxArity));
  // N-ary cells need as many slots as the widest node; binary parses keep the default 2.
  const cellOptions = config.cell === 'nary-lstm' || config.cell === 'rnn' ? (maxChildren > 2 ? { arity: maxChildren } : {}) : {};
  if (config.cell === 'rntn' && maxChildren > 2) throw new ArgumentError('trainTreeData', `the rntn cell is binary but a tree has a node with ${maxChildren} children`);
  const modelConfig = {
    cell: config.cell, cellOptions, vocabulary: [...words].sort(), classes, embeddingSize: config.embedding, hiddenSize: config.hidden,
  } as AnyTreeClassifierConfig;
  const model = new TreeClassifier(modelConfig, rng);
  const order = [...trainTrees];
  let at = order.length;
  const dataRng = rng.fork();
  const next = (n: number): Tree<NodeLabel>[] => {
    const out: Tree<NodeLabel>[] = [];
    while (out.length < Math.min(n, order.length)) {
      if (at >= order.length) {
        dataRng.shuffle(order);
        at = 0;
      }
      out.push(order[at++] as Tree<NodeLabel>);
    }
    return out;
  };
  const fit = fitTreeClassifier(model, next, config, onProgress, now);
  const evaluation = evaluateTreeClassifier(model, testTrees);
  const result: TreeTaskResult = {
    task: config.name, cell: config.cell,
    rootAccuracy: evaluation.rootAccuracy, nodeAccuracy: evaluation.nodeAccuracy,
    trainDepths: heightRange(trainTrees), testDepths: heightRange(testTrees),
    seconds: (now() - start) / 1000, trainSeconds: fit.seconds, steps: fit.steps, treesSeen: fit.treesSeen, testTrees: testTrees.length,
    ...(fit.diverged === true ? { diverged: true } : {}),
  };
  return { result, model, testTrees, evaluation };
}

function maxArity(root: Tree<unknown>): number {
  let max = 0;
  const stack: Tree<unknown>[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Tree<unknown>;
    if (node.children.length > max) max = node.children.length;
    for (const c of node.children) stack.push(c);
  }
  return max;
}

const FORMAT = 'unfold/tree-classifier';

/**
 * A tree classifier as model-file contents: its parameters by name and its config (plus any
 * string metadata, e.g. the task and depths it was trained on) in the header.
 *
 * @example
 * ```ts
 * await saveModelFile('arith.unf', treeClassifierFile(model, { task: 'arithmetic' }));
 * ```
 */
export function treeClassifierFile(model: TreeClassifier, metadata: Readonly<Record<string, string>> = {}): ModelFileContents {
  return { tensors: parameterTensors(model), metadata: { ...metadata, format: FORMAT, config: JSON.stringify(model.config) } };
}

/**
 * Rebuilds a tree classifier from model-file contents written by {@link treeClassifierFile}:
 * the config from the header, then every parameter checked by name and shape.
 *
 * @example
 * ```ts
 * const { model, metadata } = treeClassifierFromFile(await loadModelFile('arith.unf'));
 * ```
 */
export function treeClassifierFromFile(contents: ModelFileContents): { model: TreeClassifier; metadata: Readonly<Record<string, string>> } {
  const { metadata } = contents;
  if (metadata['format'] !== FORMAT) {
    throw new ArgumentError('treeClassifierFromFile', `not a tree classifier (format '${metadata['format'] ?? ''}', expected '${FORMAT}')`);
  }
  let config: AnyTreeClassifierConfig;
  try {
    config = JSON.parse(metadata['config'] ?? '') as AnyTreeClassifierConfig;
  } catch {
    throw new ArgumentError('treeClassifierFromFile', 'the config in the header is not valid JSON');
  }
  const dtype = contents.tensors.values().next().value?.dtype;
  // The file's dtype wins: a float64 checkpoint loads as float64.
  const model = new TreeClassifier(dtype === undefined ? config : { ...config, dtype }, new Rng(0));
  loadParameters(model, contents.tensors);
  model.eval();
  return { model, metadata };
}
