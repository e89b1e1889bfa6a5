import { ArgumentError, Rng, Tensor } from '../../tensor/index.js';

/**
 * A batch of an algorithmic task, padded to the longest example. Every example starts at
 * step 0 and runs for its own number of steps; the steps after it are padding, ignored by
 * the loss (a recurrent model is causal, so padding at the end never changes what came
 * before it).
 */
export interface AlgorithmicBatch {
  /** [B, T, inputSize] */
  readonly inputs: Tensor;
  /** [B, T, outputSize]: the bits to predict (0 where not scored). */
  readonly targets: Tensor;
  /** [B, T]: 1 at the steps whose outputs are scored. */
  readonly mask: Tensor;
  /** Steps of each example (the rest of its row is padding). */
  readonly steps: readonly number[];
  /** The example's size parameter: sequence length (copy, repeat copy) or item count (recall). */
  readonly sizes: readonly number[];
}

/** The three tasks of Graves et al. 2014 that unfold generates. */
export type AlgorithmicTask = 'copy' | 'repeat-copy' | 'associative-recall';

/** The input and output widths and the training range of each task, as in Graves et al. 2014. */
export const TASK_SHAPES = {
  /** 8-bit vectors plus a delimiter channel; lengths 1-20. */
  copy: { inputSize: 9, outputSize: 8, minSize: 1, maxSize: 20 },
  /** 8-bit vectors, a delimiter and a repeat-count channel; lengths 1-10, 1-10 repeats; output adds an end marker. */
  'repeat-copy': { inputSize: 10, outputSize: 9, minSize: 1, maxSize: 10 },
  /** Items of three 6-bit vectors with item and query delimiter channels; 2-6 items. */
  'associative-recall': { inputSize: 8, outputSize: 6, minSize: 2, maxSize: 6 },
} as const satisfies Record<AlgorithmicTask, { inputSize: number; outputSize: number; minSize: number; maxSize: number }>;

/** Bits per vector of the copy and repeat-copy tasks. */
export const COPY_BITS = 8;
/** The most repeats of the repeat-copy task (its count channel holds repeats / REPEAT_MAX). */
export const REPEAT_MAX = 10;
/** Bits per vector and vectors per item of associative recall. */
export const RECALL_BITS = 6;
export const RECALL_ITEM_VECTORS = 3;

/** One example before padding: steps x inputSize inputs, targets and a scored-step mask. */
interface Example {
  readonly steps: number;
  readonly size: number;
  readonly x: Float32Array;
  readonly y: Float32Array;
  readonly m: Float32Array;
}

function pack(examples: readonly Example[], inputSize: number, outputSize: number): AlgorithmicBatch {
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.steps));
  const x = new Float32Array(B * T * inputSize);
  const y = new Float32Array(B * T * outputSize);
  const m = new Float32Array(B * T);
  examples.forEach((e, b) => {
    x.set(e.x, b * T * inputSize);
    y.set(e.y, b * T * outputSize);
    m.set(e.m, b * T);
  });
  return {
    inputs: new Tensor(x, [B, T, inputSize]),
    targets: new Tensor(y, [B, T, outputSize]),
    mask: new Tensor(m, [B, T]),
    steps: examples.map((e) => e.steps),
    sizes: examples.map((e) => e.size),
  };
}

function bits(rng: Rng): number {
  return rng.uniform() < 0.5 ? 1 : 0;
}

/**
 * One copy example (Graves et al. 2014, 4.1): L random 8-bit vectors, then a delimiter on
 * channel 8, then L blank steps during which the vectors must be output in order.
 * Steps 2L + 1; the last L are scored.
 */
function copyExample(length: number, rng: Rng): Example {
  const I = TASK_SHAPES.copy.inputSize;
  const O = TASK_SHAPES.copy.outputSize;
  const steps = 2 * length + 1;
  const x = new Float32Array(steps * I);
  const y = new Float32Array(steps * O);
  const m = new Float32Array(steps);
  for (let t = 0; t < length; t++) {
    for (let k = 0; k < COPY_BITS; k++) {
      const v = bits(rng);
      x[t * I + k] = v;
      y[(length + 1 + t) * O + k] = v;
    }
    m[length + 1 + t] = 1;
  }
  x[length * I + COPY_BITS] = 1;
  return { steps, size: length, x, y, m };
}

/**
 * One repeat-copy example (Graves et al. 2014, 4.2): L random 8-bit vectors, then a step
 * with the delimiter (channel 8) and the repeat count n / 10 (channel 9); then the sequence
 * must be output n times followed by an end marker (output channel 8) at the final step.
 * Steps L + 1 + nL + 1; the last nL + 1 are scored.
 */
function repeatCopyExample(length: number, repeats: number, rng: Rng): Example {
  const I = TASK_SHAPES['repeat-copy'].inputSize;
  const O = TASK_SHAPES['repeat-copy'].outputSize;
  const steps = length + 1 + repeats * length + 1;
  const x = new Float32Array(steps * I);
  const y = new Float32Array(steps * O);
  const m = new Float32Array(steps);
  const seq: number[][] = [];
  for (let t = 0; t < length; t++) {
    const v = Array.from({ length: COPY_BITS }, () => bits(rng));
    seq.push(v);
    v.forEach((b, k) => (x[t * I + k] = b));
  }
  x[length * I + COPY_BITS] = 1;
  x[length * I + COPY_BITS + 1] = repeats / REPEAT_MAX;
  for (let n = 0; n < repeats; n++) {
    for (let t = 0; t < length; t++) {
      const at = length + 1 + n * length + t;
      (seq[t] as number[]).forEach((b, k) => (y[at * O + k] = b));
      m[at] = 1;
    }
  }
  const end = steps - 1;
  y[end * O + COPY_BITS] = 1;
  m[end] = 1;
  return { steps, size: length, x, y, m };
}

/**
 * One associative-recall example (Graves et al. 2014, 4.3): `items` items of three random
 * 6-bit vectors, each preceded by an item delimiter (channel 6); then a query, one of the
 * items but the last, between two query delimiters (channel 7); then three blank steps in
 * which the item that followed the query must be output.
 * Steps 4 items + 5 + 3; the last 3 are scored.
 */
function recallExample(items: number, rng: Rng): Example {
  const I = TASK_SHAPES['associative-recall'].inputSize;
  const O = TASK_SHAPES['associative-recall'].outputSize;
  const V = RECALL_ITEM_VECTORS;
  const steps = items * (V + 1) + (V + 2) + V;
  const x = new Float32Array(steps * I);
  const y = new Float32Array(steps * O);
  const m = new Float32Array(steps);
  const all: number[][][] = [];
  for (let i = 0; i < items; i++) {
    const base = i * (V + 1);
    x[base * I + RECALL_BITS] = 1;
    const item: number[][] = [];
    for (let v = 0; v < V; v++) {
      const vec = Array.from({ length: RECALL_BITS }, () => bits(rng));
      vec.forEach((b, k) => (x[(base + 1 + v) * I + k] = b));
      item.push(vec);
    }
    all.push(item);
  }
  const q = rng.int(items - 1);
  const qBase = items * (V + 1);
  x[qBase * I + RECALL_BITS + 1] = 1;
  (all[q] as number[][]).forEach((vec, v) => vec.forEach((b, k) => (x[(qBase + 1 + v) * I + k] = b)));
  x[(qBase + V + 1) * I + RECALL_BITS + 1] = 1;
  const outBase = qBase + V + 2;
  (all[q + 1] as number[][]).forEach((vec, v) => {
    vec.forEach((b, k) => (y[(outBase + v) * O + k] = b));
    m[outBase + v] = 1;
  });
  return { steps, size: items, x, y, m };
}

/**
 * A seeded batch of one of Graves et al. 2014's tasks, one size per example: the sequence
 * length for copy and repeat copy (repeat copy also draws 1-10 repeats per example), the
 * number of items for associative recall.
 *
 * @example
 * ```ts
 * const batch = algorithmicBatch('copy', [3, 20, 7], new Rng(0));
 * batch.inputs.shape; // [3, 41, 9]   (longest example: 2 * 20 + 1 steps)
 * batch.steps;        // [7, 41, 15]
 * ```
 */
export function algorithmicBatch(task: AlgorithmicTask, sizes: readonly number[], rng: Rng): AlgorithmicBatch {
  if (sizes.length === 0) throw new ArgumentError(task, 'a batch needs at least one example');
  const min = task === 'associative-recall' ? 2 : 1;
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < min) throw new ArgumentError(task, `sizes must be integers >= ${min}, got ${s}`);
  }
  const shape = TASK_SHAPES[task];
  const examples = sizes.map((s) => {
    switch (task) {
      case 'copy':
        return copyExample(s, rng);
      case 'repeat-copy':
        return repeatCopyExample(s, 1 + rng.int(REPEAT_MAX), rng);
      case 'associative-recall':
        return recallExample(s, rng);
    }
  });
  return pack(examples, shape.inputSize, shape.outputSize);
}
